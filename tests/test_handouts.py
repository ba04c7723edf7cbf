"""The printable handouts: offline, within page and size budgets, one source, deterministic."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

pypdf = pytest.importorskip("pypdf")
pytest.importorskip("typst")

from polysemantic.authoring import handouts, workshop  # noqa: E402
from polysemantic.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STEMS = sorted(p.stem for p in (ROOT / "chapters").glob("[0-9][0-9]_*.md"))
AXIS_LABELS = {  # one axis label of each chapter's figure
    "01": "feature switched on (value 1)",
    "02": "domain purity (1 = one domain)",
    "03": "|cos| between two random unit vectors",
    "04": "signal level",
    "05": "neuron 1 (activation)",
    "06": "feature density",
    "07": "hidden neuron",
    "08": "training step",
}
HEADER = re.compile(r"^## Exercise \d+ · (.+?) \(", re.M)


def _offline(monkeypatch) -> list:
    """Cut the network: every attempt to open a connection is recorded and refused."""
    attempts: list = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network is cut off in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every handout, built with the network cut off (the pool's workers inherit it)."""
    out = tmp_path_factory.mktemp("handouts")
    with pytest.MonkeyPatch.context() as monkeypatch:
        attempts = _offline(monkeypatch)
        assert main(["handouts", "--root", str(ROOT), "--out", str(out)]) == 0
    assert attempts == [], "the build tried to use the network"
    return out


def _straight_quotes(text: str) -> str:
    for curly, straight in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"')):
        text = text.replace(curly, straight)
    return text


def _text(pdf: Path) -> str:
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    return " ".join(_straight_quotes(text).replace("-\n", "").split())


def _exercise_names(stem: str) -> list[str]:
    cells = json.loads((ROOT / "solutions" / f"{stem}.ipynb").read_text())["cells"]
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return HEADER.findall(markdown)


def test_every_handout_is_written(built):
    names = sorted(str(p.relative_to(built)) for p in built.rglob("*.pdf"))
    assert names == sorted(
        [f"{s}.pdf" for s in STEMS] + ["cheat-sheet.pdf", "facilitator/guide.pdf"]
    )


@pytest.mark.parametrize("stem", STEMS)
def test_chapter_handout(built, stem):
    pdf = built / f"{stem}.pdf"
    assert pdf.stat().st_size < 1_000_000
    assert 1 <= len(pypdf.PdfReader(pdf).pages) <= 2
    text = _text(pdf)
    chapter = handouts.read_chapter(ROOT, stem)
    assert chapter.title in text
    names = _exercise_names(stem)
    assert names and len(chapter.exercises) == len(names)  # the parser missed none
    for name in names:
        assert name in text, f"exercise {name!r} is missing from {pdf.name}"
    for question in workshop.QUESTIONS[stem]:
        assert question.answer not in text  # answers only in the facilitator's guide
    assert f"exercises/{stem}.ipynb" in text
    assert handouts.page_address(ROOT, stem) in "".join(text.split())  # the published page


def test_exercise_headers_give_points_time_difficulty_and_importance(tmp_path):
    notebook = tmp_path / "n.ipynb"
    headers = [
        "## Exercise 1 · a loop (4 points, ~25 min, difficulty ★★★, importance ●●○)",
        "## Exercise 2 · older style (1 point, ~5 min, ★☆☆)",
    ]
    cells = [{"cell_type": "markdown", "source": h, "metadata": {}} for h in headers]
    notebook.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    first, second = handouts.exercises_of(notebook)
    assert (first.title, first.points, first.minutes) == ("a loop", 4.0, 25)
    assert (first.difficulty, first.importance) == ("★★★", "●●○")
    assert (second.difficulty, second.importance) == ("★☆☆", "")


def test_the_summary_comes_from_the_chapter_page(built):
    page = (ROOT / "chapters" / "01_monosemanticity.md").read_text()
    summary, formulas = handouts.summary_block(page, "01")
    first_sentence = summary.split(".")[0].replace("**", "")
    assert first_sentence in _text(built / "01_monosemanticity.pdf")
    assert formulas


def test_cheat_sheet_is_one_page_with_the_four_core_terms(built):
    pdf = built / "cheat-sheet.pdf"
    assert len(pypdf.PdfReader(pdf).pages) == 1
    text = _text(pdf)
    for term in ("Monosemantic", "Polysemantic", "Superposition", "Feature"):
        assert f"{term}." in text


def test_facilitator_guide_has_plans_misconceptions_and_answers(built):
    guide = built / "facilitator" / "guide.pdf"
    assert len(pypdf.PdfReader(guide).pages) <= 2  # one sheet, printed on both sides
    text = _text(guide)
    assert "90-minute session" in text and "Half-day workshop" in text
    for stem in STEMS:
        for question in workshop.QUESTIONS[stem]:
            assert question.answer[:40] in text
        for misconception in workshop.MISCONCEPTIONS[stem]:
            assert _straight_quotes(misconception)[:40] in text


def _fonts(page) -> list:
    fonts = page["/Resources"].get("/Font", {})
    return [f.get_object() for f in fonts.values()]


def _embedded(font) -> bool:
    if "/DescendantFonts" in font:
        font = font["/DescendantFonts"][0].get_object()
    descriptor = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else {}
    return any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_fonts_are_embedded_everywhere(built):
    for pdf in built.rglob("*.pdf"):
        for page in pypdf.PdfReader(pdf).pages:
            fonts = _fonts(page)
            assert fonts and all(_embedded(f) for f in fonts), pdf.name


@pytest.mark.parametrize("stem", STEMS)
def test_the_figure_is_present_and_vector(built, stem):
    """The figure's own labels are text in the PDF, and no raster image stands in for it."""
    reader = pypdf.PdfReader(built / f"{stem}.pdf")
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Figure 1:" in text
    assert AXIS_LABELS[stem[:2]] in text
    for page in reader.pages:
        for xobject in page["/Resources"].get("/XObject", {}).values():
            assert xobject.get_object().get("/Subtype") != "/Image", f"{stem}: a raster image"


def test_two_builds_are_byte_identical(built, tmp_path):
    again = tmp_path / "again"
    assert main(["handouts", "--root", str(ROOT), "--out", str(again)]) == 0
    for pdf in built.rglob("*.pdf"):
        twin = again / pdf.relative_to(built)
        assert twin.read_bytes() == pdf.read_bytes(), f"{pdf.name} differs between builds"


def test_us_letter(tmp_path):
    assert (
        main(
            ["handouts", "03", "--root", str(ROOT), "--out", str(tmp_path), "--paper", "us-letter"]
        )
        == 0
    )
    box = pypdf.PdfReader(tmp_path / "03_capacity.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def test_unknown_chapter(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["handouts", "99", "--root", str(ROOT), "--out", str(out)]) != 0
    assert "unknown chapter '99'" in _one_error_line(capsys)
    assert not out.exists()


def test_existing_output_needs_force(tmp_path, capsys):
    old = tmp_path / "03_capacity.pdf"
    old.write_bytes(b"last year's handout")
    assert main(["handouts", "03", "--root", str(ROOT), "--out", str(tmp_path)]) != 0
    assert "--force" in _one_error_line(capsys)
    assert old.read_bytes() == b"last year's handout"


def test_unwritable_output_folder(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["handouts", "03", "--root", str(ROOT), "--out", str(blocker / "out")]) != 0
    assert "cannot write to" in _one_error_line(capsys)
    assert blocker.read_text() == "not a folder"


def test_latex_subset_translates():
    assert handouts.latex_to_typst(r"\frac{\max_i R_{j i}}{\sum_i R_{j i}}") == (
        "( max _i R_(j i))/( sum _i R_(j i))"
    )
    assert handouts.latex_to_typst(r"\lVert f \rVert_1") == "norm( f )_1"


def _exercises_named(plan: str, every: list[int]) -> list[int]:
    """The exercises a plan row does in the session: the part before any ";"."""
    in_session = plan.split(";")[0]
    if "All exercises" in in_session:
        return every
    numbers: list[int] = []
    for part in re.findall(r"\d+ to \d+|\d+", in_session):
        first, _, last = part.partition(" to ")
        numbers += list(range(int(first), int(last or first) + 1))
    return numbers


@pytest.mark.parametrize("plan", sorted(workshop.PLANS))
def test_each_plan_row_has_time_for_the_exercises_it_names(plan):
    for stem, minutes, what in workshop.PLANS[plan]:
        if not stem or "xercise" not in what.split(";")[0]:
            continue
        stated = {
            e.number: e.minutes for e in handouts.exercises_of(ROOT / "solutions" / f"{stem}.ipynb")
        }
        named = _exercises_named(what, sorted(stated))
        assert set(named) <= set(stated), (stem, what)
        assert sum(stated[n] for n in named) <= minutes, (stem, what, minutes)


def test_the_plan_parser_reads_ranges_and_homework():
    assert _exercises_named("Exercises 1 to 3 and 5; exercise 4 as homework", [1, 2, 3, 4, 5]) == [
        1,
        2,
        3,
        5,
    ]
    assert _exercises_named("All exercises", [1, 2]) == [1, 2]
