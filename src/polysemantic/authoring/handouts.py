"""Printable workshop handouts, typeset offline with typst.

One source: each chapter's text comes from its own page (the `handout-summary`
admonition right after the learning goals), its exercises from the headers of its
solution notebook (`## Exercise N · title (P points, ~M min, ★★☆)`), its
pen-and-paper questions, misconceptions and plans from `workshop.py`, its figure
from `static_figures.py`, and the book's address from `book/_config.yml`.

Output (`build`): `<stem>.pdf` per chapter (at most two pages), `cheat-sheet.pdf`
(one page), and `facilitator/guide.pdf` (plans, misconceptions, answer keys).
typst uses only its built-in fonts and no packages, and the documents carry no
date, so the same sources give byte-identical PDFs.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from polysemantic.authoring import workshop

PAPERS = ("a4", "us-letter")
SUMMARY_CLASS = "handout-summary"
FACILITATOR = "facilitator"
CHEAT_SHEET = "cheat-sheet.pdf"
# Okabe–Ito blue and vermillion, as in figures.PALETTE.
ACCENT, WARM = "#0072B2", "#D55E00"

_EXERCISE = re.compile(
    r"^## Exercise (\d+) · (.+?) \((\d+(?:\.\d+)?) points?, ~(\d+) min, (?:difficulty )?([★☆]+)"
    r"(?:, importance ([●○]+))?"
)


class HandoutError(Exception):
    """Bad input (unknown chapter, unwritable folder, existing output): one line."""


@dataclass(frozen=True)
class Exercise:
    number: int
    title: str
    points: float
    minutes: int
    difficulty: str  # e.g. "★★☆"
    importance: str = ""  # e.g. "●●○", ARENA's second scale; "" where a header has none


@dataclass(frozen=True)
class Chapter:
    stem: str  # "01_monosemanticity"
    title: str  # "01 · Monosemanticity: the dictionary dream"
    summary: str  # markdown paragraphs
    formulas: tuple[str, ...]  # LaTeX, one per `$$` block
    exercises: tuple[Exercise, ...]

    @property
    def notebook(self) -> str:
        return f"exercises/{self.stem}.ipynb"


# --- reading the sources ------------------------------------------------------------


def summary_block(page: str, where: str) -> tuple[str, tuple[str, ...]]:
    """The text and the `$$` formulas of a chapter page's handout-summary admonition."""
    lines = page.split("\n")
    start = next(
        (i for i, line in enumerate(lines) if line.strip() == f":class: {SUMMARY_CLASS}"), None
    )
    if start is None:
        start = next(
            (
                i
                for i, line in enumerate(lines)
                if line.startswith(":class:") and SUMMARY_CLASS in line
            ),
            None,
        )
    if start is None:
        raise HandoutError(f"{where}: no admonition of class {SUMMARY_CLASS}")
    end = next((i for i in range(start, len(lines)) if lines[i].strip() == ":::"), None)
    if end is None:
        raise HandoutError(f"{where}: the {SUMMARY_CLASS} admonition is never closed")
    body = "\n".join(lines[start + 1 : end])
    formulas = tuple(" ".join(f.split()) for f in re.findall(r"\$\$(.+?)\$\$", body, re.S))
    text = re.sub(r"\$\$.+?\$\$", "", body, flags=re.S).strip()
    return text, formulas


def exercises_of(notebook: Path) -> tuple[Exercise, ...]:
    """The exercises announced in a solution notebook's markdown headers, in order."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    found = []
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        for line in "".join(cell["source"]).split("\n"):
            if m := _EXERCISE.match(line):
                number, title, points, minutes, stars, dots = m.groups()
                found.append(
                    Exercise(int(number), title, float(points), int(minutes), stars, dots or "")
                )
    return tuple(found)


def read_chapter(root: Path, stem: str) -> Chapter:
    page_path = root / "chapters" / f"{stem}.md"
    page = page_path.read_text(encoding="utf-8")
    title = next(line[2:].strip() for line in page.split("\n") if line.startswith("# "))
    summary, formulas = summary_block(page, str(page_path))
    exercises = exercises_of(root / "solutions" / f"{stem}.ipynb")
    return Chapter(stem, title, summary, formulas, exercises)


def chapter_stems(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "chapters").glob("[0-9][0-9]_*.md"))


def page_address(root: Path, stem: str) -> str:
    """Where chapter `stem` is on the web: its page in the published book, whose
    address follows from the repository set once in book/_config.yml (GitHub Pages,
    .github/workflows/book.yml)."""
    from polysemantic.authoring.repository import read_repository

    return f"{read_repository(root).pages_url}chapters/{stem}.html"


def glossary(root: Path) -> list[tuple[str, str]]:
    """(term, definition) pairs of book/glossary.md, in its order."""
    text = (root / "book" / "glossary.md").read_text(encoding="utf-8")
    block = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    entries: list[tuple[str, list[str]]] = []
    for line in block.split("\n"):
        if line and not line[0].isspace():
            entries.append((line.strip(), []))
        elif line.strip() and entries:
            entries[-1][1].append(line.strip())
    bib = (root / "book" / "references.bib").read_text(encoding="utf-8")
    return [(term, _cite_text(" ".join(words), bib)) for term, words in entries]


def _cite_text(text: str, bib: str) -> str:
    """Replace {cite:t}`key` roles with "Author et al. year" from the bibliography."""

    def name(match: re.Match) -> str:
        key = match.group(1)
        entry = re.search(rf"@\w+\{{{key},(.*?)\n\}}", bib, re.S)
        authors = re.search(r"author\s*=\s*\{(.*?)\},?\n", entry.group(1)) if entry else None
        year = re.search(r"year\s*=\s*\{?(\d{4})", entry.group(1)) if entry else None
        if not (authors and year):
            return key
        first = authors.group(1).split(" and ")[0].split(",")[0].strip()
        more = " et al." if " and " in authors.group(1) else ""
        return f"{first}{more} {year.group(1)}"

    return re.sub(r"\{cite:[a-z]+\}`([^`]+)`", name, text)


# --- markdown and LaTeX to typst ----------------------------------------------------

_LATEX_WORDS = {
    r"\qquad": " quad ",
    r"\quad": " quad ",
    r"\cdot": " dot ",
    r"\approx": " approx ",
    r"\ne": " != ",
    r"\le": " <= ",
    r"\lambda": " lambda ",
    r"\pi": " pi ",
    r"\sum": " sum ",
    r"\max": " max ",
    r"\top": "top",
    r"\mathbb{E}": " EE ",
    r"\mathbb{R}": " RR ",
    r"\mathcal{L}": " cal(L) ",
    r"\mathbf{1}": " bold(1) ",
    r"\,": " ",
}


def latex_to_typst(latex: str) -> str:
    """Typst math for the small LaTeX subset the chapters' summaries use."""
    s = latex
    s = re.sub(r"\\lVert(.+?)\\rVert", r" norm(\1)", s)
    s = re.sub(r"\\(?:mathrm|text)\{([^{}]*)\}", lambda m: f' "{m.group(1)}"', s)
    s = re.sub(r"\\hat\s*\{?([A-Za-z])\}?", r" hat(\1)", s)
    s = re.sub(r"\\bar\s*\{?([A-Za-z])\}?", r" macron(\1)", s)
    for word, typst in sorted(_LATEX_WORDS.items(), key=lambda kv: -len(kv[0])):
        s = s.replace(word, typst)
    for _ in range(3):  # nested braces, inside out
        s = re.sub(r"([_^])\{([^{}]*)\}", r"\1(\2)", s)
        s = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"(\1)/(\2)", s)
        s = re.sub(r"\\sqrt\{([^{}]*)\}", r"sqrt(\1)", s)
    s = s.replace("{", "(").replace("}", ")")
    s = re.sub(r"\\[A-Za-z]+", lambda m: m.group(0)[1:], s)
    s = re.sub(r"(\d)\s+(\d)", r"\1 \2", s)
    return " ".join(s.split())


def _escape(text: str) -> str:
    return re.sub(r"([\\#\[\]*_`$<>@~])", r"\\\1", text)


def markdown_to_typst(text: str) -> str:
    """Typst markup for plain paragraphs with **bold**, *italic*, `code` and $maths$."""
    parts = re.split(r"(\$[^$]+\$|\*\*[^*]+\*\*|\*[^*]+\*|`[^`]+`|\{[a-z:]+\}`[^`]+`)", text)
    out = []
    for part in parts:
        if part.startswith("$") and part.endswith("$") and len(part) > 1:
            out.append(f"${latex_to_typst(part[1:-1])}$")
        elif part.startswith("**"):
            out.append(f"*{_escape(part[2:-2])}*")
        elif part.startswith("*") and len(part) > 1:
            out.append(f"_{_escape(part[1:-1])}_")
        elif part.startswith("{"):  # a MyST role: keep its text
            out.append(_escape(part.partition("}")[2].strip("`")))
        elif part.startswith("`"):
            out.append(f"`{part[1:-1]}`")
        else:
            out.append(_escape(part))
    return " ".join("".join(out).split("\n"))


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


# --- typst documents ----------------------------------------------------------------


def _preamble(title: str, paper: str, footer: str) -> str:
    return f"""#set document(title: {_string(title)}, author: "polysemantic", date: none)
#set page(paper: "{paper}", margin: (x: 1.6cm, top: 1.4cm, bottom: 1.6cm),
  footer: context [#set text(7.5pt, fill: luma(90)); {_escape(footer)} #h(1fr)
    #counter(page).display("1 / 1", both: true)])
#set text(font: ("Libertinus Serif", "DejaVu Sans Mono"), size: 10pt, lang: "en")
#set par(justify: true, leading: 0.55em, spacing: 0.8em)
#show heading.where(level: 1): it => block(below: 0.6em,
  text(15pt, fill: rgb("{ACCENT}"), it.body))
#show heading.where(level: 2): it => block(above: 0.9em, below: 0.45em,
  text(11pt, weight: "bold", it.body))
#let stars(s) = text(font: "DejaVu Sans Mono", size: 10pt, s)
#let answer-space(h) = block(width: 100%, height: h, radius: 2pt,
  stroke: (paint: luma(150), thickness: 0.5pt, dash: "dashed"))
"""


def _formula_box(formulas: tuple[str, ...]) -> str:
    body = "\n".join(f"$ {latex_to_typst(f)} $" for f in formulas)
    return (
        f"#block(width: 100%, inset: 6pt, radius: 2pt, "
        f'stroke: (left: 2pt + rgb("{ACCENT}")), fill: luma(245))[\n{body}\n]\n'
    )


def _points(points: float) -> str:
    return f"{points:g} point" + ("" if points == 1 else "s")


def chapter_source(chapter: Chapter, figure: str, caption: str, paper: str, page_url: str) -> str:
    """The typst source of one chapter's handout; `figure` is an SVG next to it."""
    total_points = sum(e.points for e in chapter.exercises)
    total_minutes = sum(e.minutes for e in chapter.exercises)
    rows = "\n".join(
        f"  [{e.number}], [{_escape(e.title)}], [{_points(e.points)}], [~{e.minutes} min], "
        f'[#stars("{e.difficulty}")], [#stars("{e.importance}")],'
        for e in chapter.exercises
    )
    questions = "\n".join(
        f"+ {markdown_to_typst(q.question)}\n  #answer-space(2.6cm)"
        for q in workshop.QUESTIONS.get(chapter.stem, ())
    )
    return (
        _preamble(chapter.title, paper, f"polysemantic · {chapter.title}")
        + f"""
= {_escape(chapter.title)}

== What the chapter shows
{markdown_to_typst(chapter.summary)}

== Key formulas
{_formula_box(chapter.formulas)}
#figure(image("{figure}", width: 72%), caption: [{_escape(caption)}], gap: 0.5em)

== {len(chapter.exercises)} exercises, {_points(total_points)}, about {total_minutes} min
#table(columns: (auto, 1fr, auto, auto, auto, auto), stroke: none, inset: (x: 4pt, y: 3pt),
  fill: (_, y) => if calc.odd(y) {{ luma(242) }},
  table.header([*No.*], [*Exercise*], [*Points*], [*Time*], [*Difficulty*], [*Importance*]),
{rows}
)

== On paper
{questions}

== Where to find it
Notebook: `{chapter.notebook}` in the course repository (`make lab` opens it in
JupyterLab), or from the chapter's exercise page in the book (Colab). \\
Book: #link("{page_url}")[{_escape(page_url)}]
"""
    )


def cheat_sheet_source(chapters: list[Chapter], terms: list[tuple[str, str]], paper: str) -> str:
    """The one-page cheat sheet: the four core terms, the key formulas, the glossary."""
    core, rest = terms[:4], terms[4:]

    def entry(term: str, definition: str) -> str:
        return f"*{_escape(term)}.* {markdown_to_typst(definition)}\n\n"

    formulas = "\n".join(
        f"  [*{_escape(c.title.split(':')[0])}*], "
        + ", ".join(f"[$ {latex_to_typst(f)} $]" for f in c.formulas[:1])
        + ","
        for c in chapters
    )
    half = (len(rest) + 1) // 2
    left = "".join(entry(t, d) for t, d in rest[:half])
    right = "".join(entry(t, d) for t, d in rest[half:])
    return (
        _preamble("Cheat sheet", paper, "polysemantic · cheat sheet")
        + f"""#set par(spacing: 0.55em)
= Polysemanticity, superposition and sparse autoencoders: cheat sheet

== The four core terms
#block(fill: luma(245), inset: 6pt, radius: 2pt, width: 100%)[
#set text(9pt)
{"".join(entry(t, d) for t, d in core)}]

== Key formulas
#text(8.5pt, table(columns: (auto, 1fr), stroke: none, inset: (x: 4pt, y: 1.5pt),
  align: (left + horizon, left + horizon),
{formulas}
))

== The rest of the glossary
#text(8pt, grid(columns: (1fr, 1fr), gutter: 12pt, [
{left}], [
{right}]))
"""
    )


def facilitator_source(chapters: list[Chapter], paper: str) -> str:
    by_stem = {c.stem: c for c in chapters}
    plans = []
    for name, rows in workshop.PLANS.items():
        total = sum(minutes for _, minutes, _ in rows)
        clock = 0
        cells = []
        for stem, minutes, what in rows:
            chapter = _escape(by_stem[stem].title.split(":")[0]) if stem in by_stem else ""
            start = f"{clock // 60}:{clock % 60:02d}"
            cells.append(f"  [{start}], [{minutes} min], [{chapter}], [{_escape(what)}],")
            clock += minutes
        plans.append(
            f"== {_escape(name[0].upper() + name[1:])}, {total} min\n"
            "#table(columns: (auto, auto, auto, 1fr), stroke: none, inset: (x: 4pt, y: 2.5pt),\n"
            "  fill: (_, y) => if calc.odd(y) { luma(242) },\n"
            "  table.header([*Start*], [*Time*], [*Chapter*], [*What happens*]),\n"
            + "\n".join(cells)
            + "\n)\n"
        )
    sections = []
    for c in chapters:
        minutes = sum(e.minutes for e in c.exercises)
        mis = "\n".join(
            f"- {markdown_to_typst(m)}" for m in workshop.MISCONCEPTIONS.get(c.stem, ())
        )
        keys = "\n".join(
            f'+ {markdown_to_typst(q.question)}\n\n  #text(fill: rgb("{WARM}"))[*Answer.*] '
            f"{markdown_to_typst(q.answer)}"
            for q in workshop.QUESTIONS.get(c.stem, ())
        )
        sections.append(
            f'== {_escape(c.title)} #h(1fr) #text(8.5pt, weight: "regular")'
            f"[{len(c.exercises)} exercises, about {minutes} min in all]\n"
            f"*Common misconceptions*\n{mis}\n\n*Answer keys*\n{keys}\n"
        )
    return (
        _preamble(
            "Facilitator's guide",
            paper,
            "polysemantic · facilitator's guide (not for participants)",
        )
        + "#set text(9.5pt)\n= Facilitator's guide\n"
        + "Keep this apart from the participants' handouts: it holds the answers.\n\n"
        + "\n".join(plans)
        + "\n".join(sections)
    )


# --- building -----------------------------------------------------------------------


def _compile(source: str, folder: Path, target: Path) -> None:
    import typst

    main = folder / f"{target.stem}.typ"
    main.write_text(source, encoding="utf-8")
    pdf = typst.compile(str(main), root=str(folder), ignore_system_fonts=True)
    target.write_bytes(pdf)


def check_output(out: Path, names: list[str], force: bool) -> None:
    """Refuse, before writing anything, an unwritable folder or files that exist."""
    existing = next((out / n for n in names if (out / n).exists()), None)
    if existing is not None and not force:
        raise HandoutError(f"{existing} exists: add --force to replace the handouts")
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise HandoutError(f"cannot write to {out}: {probe} is not a folder")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError:
        raise HandoutError(f"cannot write to {out}: {probe} is not writable") from None


def build(
    root: Path,
    out: Path,
    *,
    paper: str = "a4",
    stems: list[str] | None = None,
    force: bool = False,
    facilitator: bool = True,
) -> list[Path]:
    """Write the handouts into `out` and return their paths."""
    from polysemantic.authoring import static_figures

    if paper not in PAPERS:
        raise HandoutError(f"unknown paper size {paper!r}: choose one of {', '.join(PAPERS)}")
    known = chapter_stems(root)
    if stems:

        def named(stem: str, name: str) -> bool:  # "03" or "03_capacity"
            return name in (stem, stem.split("_")[0])

        unknown = [s for s in stems if not any(named(k, s) for k in known)]
        if unknown:
            raise HandoutError(f"unknown chapter {unknown[0]!r}: choose from {', '.join(known)}")
        stems = [k for k in known if any(named(k, s) for s in stems)]
    else:
        stems = known
    names = [f"{s}.pdf" for s in stems]
    if not stems or stems == known:
        names.append(CHEAT_SHEET)
        if facilitator:
            names.append(f"{FACILITATOR}/guide.pdf")
    check_output(out, names, force)

    chapters = [read_chapter(root, s) for s in stems]
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        captions = static_figures.draw_all([c.stem for c in chapters], folder)
        for chapter in chapters:
            caption = captions[chapter.stem]
            address = page_address(root, chapter.stem)
            source = chapter_source(chapter, f"{chapter.stem}.svg", caption, paper, address)
            out.mkdir(parents=True, exist_ok=True)
            _compile(source, folder, out / f"{chapter.stem}.pdf")
            written.append(out / f"{chapter.stem}.pdf")
        if CHEAT_SHEET in names:
            _compile(cheat_sheet_source(chapters, glossary(root), paper), folder, out / CHEAT_SHEET)
            written.append(out / CHEAT_SHEET)
        if f"{FACILITATOR}/guide.pdf" in names:
            (out / FACILITATOR).mkdir(exist_ok=True)
            _compile(facilitator_source(chapters, paper), folder, out / FACILITATOR / "guide.pdf")
            written.append(out / FACILITATOR / "guide.pdf")
    return written
