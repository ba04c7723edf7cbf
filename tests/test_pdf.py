"""The whole book as one PDF (`polysemantic pdf`): the built pages printed offline by
headless Chromium in the order of book/_toc.yml, one bookmark per chapter, fonts
embedded, links kept inside the PDF. The checks are shown to fail on pages built to
break them (a request for the network, a figure that never draws)."""

from __future__ import annotations

import os
import re
import shutil
import unicodedata

import pytest
import yaml

from polysemantic.authoring.book_pdf import (
    Page,
    PdfError,
    build,
    built_pages,
    link_the_pdf,
    print_pages,
    toc_pages,
)

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def _require_browser() -> None:
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        if os.environ.get("POLYSEMANTIC_REQUIRE_BROWSER"):
            pytest.fail("chromium is required here (POLYSEMANTIC_REQUIRE_BROWSER is set)")
        pytest.skip("chromium is not installed: the PDF is not printed")


def _words(text: str) -> str:
    """TEXT with its ligatures undone (NFKC) and its white space made single spaces."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


@pytest.fixture(scope="module")
def book_pdf(built_book, tmp_path_factory):
    from pypdf import PdfReader

    _require_browser()
    made = build(ROOT, built_book, tmp_path_factory.mktemp("pdf") / "book.pdf")
    return made, PdfReader(made.path)


def _toc() -> dict:
    return yaml.safe_load((ROOT / "book" / "_toc.yml").read_text(encoding="utf-8"))


def _html_title(path) -> str:
    """The page's title as its <title> gives it, before the book's name."""
    title = re.search(r"<title>(.*?)</title>", path.read_text(encoding="utf-8"), re.S).group(1)
    import html

    return _words(html.unescape(title).rsplit(" — ", 1)[0])


def test_the_table_of_contents_gives_every_page_once_in_order():
    pages = toc_pages(_toc())
    files = [p.file for p in pages]
    assert files[0] == "book/intro" and len(set(files)) == len(files)
    listed = re.findall(r"(?:root|file): (\S+)", (ROOT / "book" / "_toc.yml").read_text())
    assert files == listed
    assert [p.file for p in pages if p.is_chapter][1] == "chapters/01_monosemanticity"


def test_pages_are_printed_in_the_order_of_the_table_of_contents(book_pdf, built_book):
    made, reader = book_pdf
    assert [p.file for p in made.pages] == [p.file for p in built_pages(ROOT, built_book)]
    assert [p.file for p in made.pages] == [p.file for p in toc_pages(_toc())]  # full book
    starts = [p.first_page for p in made.pages]
    assert starts == sorted(set(starts)) and starts[0] == 0
    assert sum(p.n_pages for p in made.pages) == len(reader.pages) == made.n_pages
    for page in made.pages:
        title = _words(page.title)
        assert title == _html_title(built_book / f"{page.file}.html"), page.file
        first = _words(reader.pages[page.first_page].extract_text())
        # At the top of its first sheet (the footer under every sheet repeats it).
        assert first.startswith(title), f"{page.file}: its first sheet starts {first[:60]!r}"
        assert first.endswith(f"{title} · 1 / {page.n_pages}")


def test_one_bookmark_per_chapter_with_its_pages_under_it(book_pdf):
    made, reader = book_pdf
    outline = reader.outline
    top = [item for item in outline if not isinstance(item, list)]
    chapters = [p for p in made.pages if p.is_chapter]
    assert len(top) == len(chapters) == 1 + sum(len(part["chapters"]) for part in _toc()["parts"])
    assert [item.title for item in top] == [p.title for p in chapters]
    assert [reader.get_destination_page_number(item) for item in top] == [
        p.first_page for p in chapters
    ]
    # The exercise and solution pages sit under their chapter, in order.
    under = {}
    for k, item in enumerate(outline):
        if isinstance(item, list):
            under[outline[k - 1].title] = [child.title for child in item]
    one = next(p for p in chapters if p.file == "chapters/01_monosemanticity")
    sections = [p.title for p in made.pages if p.chapter == one.chapter and not p.is_chapter]
    assert under[one.title] == sections and len(sections) == 2


def _fonts(resources, seen):
    """Every font dictionary reachable from RESOURCES (form XObjects included)."""
    if resources is None:
        return
    resources = resources.get_object()
    for ref in (resources.get("/Font") or {}).values():
        font = ref.get_object()
        if id(font) not in seen:
            seen.add(id(font))
            yield font
    for ref in (resources.get("/XObject") or {}).values():
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Form":
            yield from _fonts(xobject.get("/Resources"), seen)


def _embedded(font) -> bool:
    if font.get("/Subtype") == "/Type3":  # glyphs drawn by the font's own procedures
        return True
    if font.get("/Subtype") == "/Type0":
        font = font["/DescendantFonts"][0].get_object()
    descriptor = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else {}
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_every_font_is_embedded(book_pdf):
    _, reader = book_pdf
    seen, fonts = set(), []
    for page in reader.pages:
        fonts += list(_fonts(page.get("/Resources"), seen))
    assert len(fonts) > 10
    missing = {str(f.get("/BaseFont")) for f in fonts if not _embedded(f)}
    assert not missing, f"fonts not embedded: {sorted(missing)}"


def test_the_font_check_fails_on_a_font_that_is_not_embedded():
    from pypdf.generic import DictionaryObject, NameObject

    bare = DictionaryObject(
        {
            NameObject("/Subtype"): NameObject("/TrueType"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/FontDescriptor"): DictionaryObject(),
        }
    )
    assert not _embedded(bare)


def test_links_between_pages_stay_inside_the_pdf(book_pdf):
    _, reader = book_pdf
    inside, to_disk = 0, []
    for page in reader.pages:
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            inside += "/Dest" in annot
            uri = str((annot.get("/A") or {}).get("/URI", ""))
            if uri.startswith("file:"):
                to_disk.append(uri)
    assert inside > 20  # the sidebar is not printed; the pages' own cross-references are
    assert not to_disk, f"links to the builder's disk: {to_disk[:3]}"


def test_no_request_leaves_the_book(book_pdf):
    made, _ = book_pdf
    assert made.refused == []


def test_the_printer_refuses_and_names_every_request_outside_the_book(tmp_path):
    _require_browser()
    (tmp_path / "page.html").write_text(
        "<!DOCTYPE html><html><head><title>t</title>"
        '<link rel="stylesheet" href="https://fonts.example.com/a.css"></head>'
        '<body><h1>A page that calls out</h1><img src="http://example.com/x.png">'
        '<img src="file:///etc/hostname"></body></html>',
        encoding="utf-8",
    )
    printed, refused = print_pages(tmp_path, [Page("page", 0, True)])
    assert printed[0].startswith(b"%PDF")
    assert {"https://fonts.example.com/a.css", "http://example.com/x.png"} <= set(refused)
    assert "file:///etc/hostname" in refused


def test_a_figure_that_never_draws_stops_the_pdf(tmp_path):
    _require_browser()
    (tmp_path / "page.html").write_text(
        "<!DOCTYPE html><html><head><title>t</title></head><body><h1>Figure</h1>"
        '<div class="ps-plotly"></div></body></html>',
        encoding="utf-8",
    )
    with pytest.raises(PdfError, match="1 of 1 figures did not draw"):
        print_pages(tmp_path, [Page("page", 0, True)], settle_timeout=1.0)


def test_a_missing_page_is_named(tmp_path):
    (tmp_path / "index.html").write_text("<html></html>", encoding="utf-8")
    with pytest.raises(PdfError, match=r"lacks book/intro\.html.*make book"):
        built_pages(ROOT, tmp_path)


def test_the_introduction_links_the_pdf_only_once_it_is_written(built_book, tmp_path):
    intro = (built_book / "book" / "intro.html").read_text(encoding="utf-8")
    linked = 'class="book-pdf" href="../polysemantic.pdf"' in intro
    assert 'class="book-pdf"' in intro and linked == (built_book / "polysemantic.pdf").exists()

    html = tmp_path / "html"
    (html / "book").mkdir(parents=True)
    page = html / "book" / "intro.html"
    page.write_text(intro, encoding="utf-8")
    link_the_pdf(html)  # no PDF beside the pages: no link that leads nowhere
    assert 'href="../polysemantic.pdf"' not in page.read_text(encoding="utf-8")
    (html / "polysemantic.pdf").write_bytes(b"%PDF-1.7")
    link_the_pdf(html)
    assert 'class="book-pdf" href="../polysemantic.pdf"' in page.read_text(encoding="utf-8")
    link_the_pdf(html)  # once is enough: a second pass changes nothing
    assert page.read_text(encoding="utf-8").count('href="../polysemantic.pdf"') == 1
