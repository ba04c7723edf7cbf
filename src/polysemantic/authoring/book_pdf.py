"""The whole book as one PDF (`polysemantic pdf`, `make pdf`).

The built HTML pages, in the order of book/_toc.yml, are printed by headless
Chromium (driven through its DevTools protocol by Playwright, with the system's
browser: nothing is downloaded) and joined by pypdf into one file:

- offline: every request for anything but a file of the built book is refused and
  recorded, and a page that asked for one fails the build, named;
- a page is printed once its plotly figures have drawn (polysemantic-plotly.js marks
  each `data-settled`), MathJax has typeset and the fonts have loaded. The window is
  as wide as the paper's printable width and uses print media, so the figures are
  laid out for the printed column; a 3-D scene (WebGL, which does not print) is
  printed as its picture. The theme's print rules drop the sidebars, the
  header bar and the page navigation; polysemantic-book.css's wrap code and keep
  cells whole; closed dropdowns are opened, and what would scroll sideways on a
  screen (the byte viewer, a wide table) is scaled down to the column;
- one bookmark per chapter of the table of contents, with its exercise and solution
  pages under it; links between pages become links inside the PDF, links to other
  files of the book point at the published book;
- under every sheet, the page's title and the sheet's number among that page's own;
- fonts are embedded (Chromium embeds a subset of every font it prints).
"""

from __future__ import annotations

import io
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape as html_escape
from pathlib import Path
from urllib.parse import unquote, urlsplit

PDF_NAME = "polysemantic.pdf"
# The introduction's link to the PDF (book/intro.md), and what it reads as while the
# built book has no PDF beside it (`make book` without `make pdf`): no link leads nowhere.
_PDF_LINK = f'<a class="book-pdf" href="../{PDF_NAME}">'
_NO_PDF_YET = '<a class="book-pdf">'
# Width and height of the paper, and the margin on every side, in millimetres.
PAPERS = {"a4": (210.0, 297.0), "us-letter": (215.9, 279.4)}
MARGIN_MM = 14.0
SIDES = ("top", "right", "bottom", "left")
_CSS_PX_PER_MM = 96 / 25.4
BROWSER_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Belt and braces with the request filter below: no host name resolves.
    "--host-resolver-rules=MAP * ~NOTFOUND",
)
_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SETTLE_TIMEOUT_S = 90.0

# In the page: open closed dropdowns (not the toggles of hidden code: print hides those),
# then wait until every figure has drawn and settled, MathJax has typeset and the fonts
# have loaded. Returns the page's title and what did not finish.
_SETTLE = """async (timeoutMs) => {
  document.querySelectorAll("details:not(.hide)").forEach((d) => { d.open = true; });
  document.querySelectorAll(".toggle-hidden").forEach((e) => e.classList.remove("toggle-hidden"));
  const figures = () => [...document.querySelectorAll("div.ps-plotly")];
  const drawn = (f) => f.querySelector(".main-svg") && f.dataset.settled === "true";
  const start = performance.now();
  while (!figures().every(drawn) && performance.now() - start < timeoutMs) {
    await new Promise((r) => setTimeout(r, 50));
  }
  // A 3-D scene is drawn by WebGL, which does not print: it is swapped for its picture.
  for (const plot of document.querySelectorAll(".ps-plotly .js-plotly-plot")) {
    if (!plot.querySelector(".gl-container canvas")) continue;
    const box = plot.getBoundingClientRect();
    const picture = document.createElement("img");
    picture.src = await Plotly.toImage(plot, {
      format: "png", width: Math.round(box.width), height: Math.round(box.height), scale: 2,
    });
    picture.alt = plot.closest("figure")?.getAttribute("aria-label") || "";
    picture.style.width = `${box.width}px`;
    plot.style.display = "none";
    plot.after(picture);
    await picture.decode();
  }
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
  // What scrolls sideways on a screen (the byte viewer, a wide table or output) is cut
  // off on paper: it is scaled down to the column instead.
  let scaled = 0;
  const wide = [
    "figure.polysemantic-viewer", ".pst-scrollable-table-container", "div.cell_output > div.output",
  ].join(", ");
  document.querySelectorAll(wide).forEach((e) => {
    if (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0) {
      e.style.zoom = Math.max(0.5, e.clientWidth / e.scrollWidth).toFixed(3);
      scaled += 1;
    }
  });
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const h1 = document.querySelector("main h1, article h1, h1");
  return {
    title: h1 ? h1.textContent.replace(/[#¶]\\s*$/, "").trim() : document.title,
    figures: figures().length,
    undrawn: figures().filter((f) => !drawn(f)).length,
    scaled: scaled,
  };
}"""


# Under every page: the page's title, and where this sheet is among the page's own.
_FOOTER = (
    '<div style="width:100%;font-size:8px;color:#555;text-align:center;'
    'font-family:sans-serif">{title} · <span class="pageNumber"></span> / '
    '<span class="totalPages"></span></div>'
)


class PdfError(RuntimeError):
    """The PDF cannot be made; the message says why and what to do."""


@dataclass
class Page:
    """One page of the table of contents: its source file, and its place under a chapter."""

    file: str  # as in _toc.yml, e.g. "chapters/01_monosemanticity"
    chapter: int  # index of its chapter (the introduction is 0)
    is_chapter: bool  # the chapter's own page, not one of its sections
    title: str = ""
    first_page: int = 0  # in the joined PDF, from 0
    n_pages: int = 0


@dataclass
class BookPdf:
    path: Path
    pages: list[Page]
    n_pages: int
    seconds: float
    refused: list[str] = field(default_factory=list)  # requests refused (none when offline)


def toc_pages(toc: dict) -> list[Page]:
    """The pages of a Jupyter Book table of contents (parsed _toc.yml), in order."""
    pages = [Page(toc["root"], 0, True)]

    def sections(entries: list[dict], chapter: int) -> Iterator[Page]:
        for entry in entries:
            if "file" in entry:
                yield Page(entry["file"], chapter, False)
            yield from sections(entry.get("sections", []), chapter)

    chapters = [c for part in toc.get("parts", []) for c in part.get("chapters", [])]
    chapters += toc.get("chapters", [])
    for number, entry in enumerate(chapters, start=1):
        pages.append(Page(entry["file"], number, True))
        pages.extend(sections(entry.get("sections", []), number))
    return pages


def built_pages(root: Path, html: Path) -> list[Page]:
    """The pages of ROOT's table of contents that HTML holds, in order. The book for a
    graded class has no solution pages; any other missing page is an error."""
    import yaml

    toc = yaml.safe_load((root / "book" / "_toc.yml").read_text(encoding="utf-8"))
    pages = toc_pages(toc)
    missing = [p for p in pages if not (html / f"{p.file}.html").exists()]
    solutions = [p for p in pages if p.file.startswith("solutions/")]
    if missing and missing != solutions:
        names = ", ".join(f"{p.file}.html" for p in missing if p not in solutions)
        raise PdfError(f"{html} lacks {names}: build the book first (`make book`)")
    return [p for p in pages if p not in missing]


def find_browser() -> str:
    """Chromium (or Chrome): $POLYSEMANTIC_CHROMIUM, else the first on the PATH."""
    chosen = os.environ.get("POLYSEMANTIC_CHROMIUM")
    if chosen:
        if not Path(chosen).exists():
            raise PdfError(f"POLYSEMANTIC_CHROMIUM={chosen}: no such file")
        return chosen
    for name in _BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise PdfError(
        "no Chromium found: install it (e.g. `apt install chromium`), or set "
        "POLYSEMANTIC_CHROMIUM to a Chromium or Chrome executable"
    )


def _inside(url: str, folder: Path) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    if parts.scheme != "file":
        return False
    path = Path(unquote(parts.path)).resolve()
    return path == folder or folder in path.parents


def print_pages(
    html: Path,
    pages: list[Page],
    *,
    paper: str = "a4",
    browser: str | None = None,
    settle_timeout: float = SETTLE_TIMEOUT_S,
) -> tuple[list[bytes], list[str]]:
    """Print each page of HTML to PDF; return the PDFs and every request refused."""
    from playwright.sync_api import sync_playwright

    if paper not in PAPERS:
        raise PdfError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}")
    width_mm, height_mm = PAPERS[paper]
    column = round((width_mm - 2 * MARGIN_MM) * _CSS_PX_PER_MM)  # printable width, CSS px
    html = html.resolve()
    refused: list[str] = []
    printed: list[bytes] = []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=browser or find_browser(), args=list(BROWSER_FLAGS)
        )
        try:
            context = chromium.new_context(
                viewport={"width": column, "height": 1000},
                color_scheme="light",
                service_workers="block",
            )

            def gate(route) -> None:
                if _inside(route.request.url, html):
                    route.continue_()
                else:
                    refused.append(route.request.url)
                    route.abort("blockedbyclient")

            # A busy machine is slow to load a page and to print it.
            context.set_default_timeout(max(settle_timeout, SETTLE_TIMEOUT_S) * 2000)
            context.route("**/*", gate)
            tab = context.new_page()
            tab.emulate_media(media="print", color_scheme="light")
            # Requests the router does not see (file: URLs outside the book) are caught here.
            tab.on(
                "request",
                lambda request: (
                    None
                    if _inside(request.url, html) or request.url in refused
                    else refused.append(request.url)
                ),
            )
            for page in pages:
                tab.goto((html / f"{page.file}.html").as_uri(), wait_until="load")
                state = tab.evaluate(_SETTLE, settle_timeout * 1000)
                if state["undrawn"]:
                    raise PdfError(
                        f"{page.file}.html: {state['undrawn']} of {state['figures']} "
                        f"figures did not draw within {settle_timeout:g} s"
                    )
                page.title = state["title"]
                printed.append(
                    tab.pdf(
                        width=f"{width_mm}mm",
                        height=f"{height_mm}mm",
                        margin={side: f"{MARGIN_MM}mm" for side in SIDES},
                        print_background=True,
                        outline=False,
                        display_header_footer=True,
                        header_template="<span></span>",
                        footer_template=_FOOTER.format(title=html_escape(page.title)),
                    )
                )
        finally:
            chromium.close()
    return printed, refused


def _link_targets(writer, pages: list[Page], html: Path, site: str) -> None:
    """Links to the book's own pages go to their first page in the PDF; links to its
    other files (handouts, downloads) go to the published book."""
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        NameObject,
        NullObject,
        TextStringObject,
    )

    starts = {(html / f"{p.file}.html").resolve(): p.first_page for p in pages}
    for pdf_page in writer.pages:
        for ref in pdf_page.get("/Annots", []) or []:
            annot = ref.get_object()
            action = annot.get("/A")
            if annot.get("/Subtype") != "/Link" or action is None:
                continue
            action = action.get_object()
            url = str(action.get("/URI", ""))
            if not url.startswith("file:"):
                continue
            target = Path(unquote(urlsplit(url).path)).resolve()
            if target in starts:
                goto = writer.pages[starts[target]].indirect_reference
                del annot[NameObject("/A")]
                annot[NameObject("/Dest")] = ArrayObject(
                    [goto, NameObject("/XYZ"), NullObject(), NullObject(), NullObject()]
                )
            elif html in target.parents:
                relative = target.relative_to(html).as_posix()
                fragment = urlsplit(url).fragment
                published = site + relative + (f"#{fragment}" if fragment else "")
                annot[NameObject("/A")] = DictionaryObject(
                    {
                        NameObject("/S"): NameObject("/URI"),
                        NameObject("/URI"): TextStringObject(published),
                    }
                )


def join(printed: list[bytes], pages: list[Page], html: Path, site: str, out: Path) -> int:
    """Join the printed pages into OUT with a bookmark per chapter; return its page count."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page, data in zip(pages, printed, strict=True):
        page.first_page = len(writer.pages)
        reader = PdfReader(io.BytesIO(data))
        page.n_pages = len(reader.pages)
        writer.append(reader, import_outline=False)
    _link_targets(writer, pages, html.resolve(), site)
    parent = None
    for page in pages:
        item = writer.add_outline_item(
            title=page.title or page.file,
            page_number=page.first_page,
            parent=None if page.is_chapter else parent,
        )
        if page.is_chapter:
            parent = item
    writer.page_mode = "/UseOutlines"
    writer.add_metadata({"/Title": "polysemantic", "/Author": "the polysemantic authors"})
    writer.compress_identical_objects()  # fonts and images shared by pages, once
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    with open(partial, "wb") as stream:
        writer.write(stream)
    partial.replace(out)
    return len(writer.pages)


def link_the_pdf(html: Path) -> None:
    """Make the introduction's "one PDF" a link if HTML holds the PDF, plain text if not."""
    intro = html / "book" / "intro.html"
    if not intro.exists():
        return
    page = intro.read_text(encoding="utf-8")
    if (html / PDF_NAME).exists():
        linked = page.replace(_NO_PDF_YET, _PDF_LINK)
    else:
        linked = page.replace(_PDF_LINK, _NO_PDF_YET)
    if linked != page:
        intro.write_text(linked, encoding="utf-8")


def build(
    root: Path,
    html: Path | None = None,
    out: Path | None = None,
    *,
    paper: str = "a4",
    browser: str | None = None,
) -> BookPdf:
    """Print the book built in HTML (default ROOT/_build/html) into OUT (default
    HTML/polysemantic.pdf, where the book's introduction links it)."""
    from polysemantic.authoring.repository import read_repository

    start = time.perf_counter()
    html = (html or root / "_build" / "html").resolve()
    if not (html / "index.html").exists():
        raise PdfError(f"no built book in {html}: build it first (`make book`)")
    out = out or html / PDF_NAME
    pages = built_pages(root, html)
    site = read_repository(root).pages_url
    printed, refused = print_pages(html, pages, paper=paper, browser=browser)
    if refused:
        shown = "\n  ".join(sorted(set(refused))[:20])
        raise PdfError(
            f"the book asked for files outside {html} (refused, no PDF written):\n  {shown}"
        )
    n_pages = join(printed, pages, html, site, out)
    link_the_pdf(html)
    return BookPdf(out, pages, n_pages, time.perf_counter() - start, refused)
