"""The book for a graded class: built with warnings as errors, every link resolving,
and no page or download holding a solution."""

import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from polysemantic.authoring.build import BuildError, build_book, toc_without_solutions
from polysemantic.authoring.solution_scan import scan_site, solution_secrets

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("*.md"))


@pytest.fixture(scope="module")
def class_book(tmp_path_factory, run_book):
    """`polysemantic book --without-solutions`, written outside _build/html."""
    build_dir = tmp_path_factory.mktemp("class")
    printed = run_book("--without-solutions", "--build-dir", str(build_dir))
    assert "without solutions (checked: no page holds solution text)" in printed
    return build_dir / "html"


class _Page(HTMLParser):
    """The links a page holds and the anchors it offers."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) and tag in ("a", "link", "script", "img", "iframe", "source"):
                self.links.append(attrs[key])


def _page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def broken_links(site: Path) -> list[str]:
    """Every link of every page that leads to no file, or to no anchor of its page.

    _static/ holds the themes' assets (some are template fragments), not pages.
    """
    pages = {p: _page(p) for p in site.rglob("*.html") if "_static" not in p.parts}
    broken = []
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or (link.startswith("#") and not parts.fragment):
                continue  # outside the site, or the top of the page
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{path.relative_to(site)}: {link}")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _page(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{path.relative_to(site)}: {link} (no such anchor)")
    return broken


def test_no_solution_page_or_source_is_built(class_book):
    assert (class_book / "index.html").exists()
    for chapter in CHAPTERS:
        assert (class_book / "chapters" / f"{chapter}.html").exists()
        assert (class_book / "exercises" / f"{chapter}.html").exists()
    assert not (class_book / "solutions").exists()
    assert not (class_book / "_sources" / "solutions").exists()
    assert not [p for p in class_book.rglob("*") if "solutions/" in p.as_posix()]


def test_no_page_or_download_holds_solution_text(class_book):
    secrets = solution_secrets(ROOT)
    assert all(secrets.values()), "every solution notebook has lines only it holds"
    assert scan_site(class_book, secrets) == []


def test_a_leaked_solution_is_found(class_book):
    """The same scan on the same site, with one solution notebook offered as a download."""
    leak = class_book / "_downloads" / "leak" / "01_monosemanticity.ipynb"
    leak.parent.mkdir(parents=True)
    shutil.copyfile(ROOT / "solutions" / "01_monosemanticity.ipynb", leak)
    try:
        findings = scan_site(class_book, solution_secrets(ROOT))
    finally:
        shutil.rmtree(leak.parent.parent)
    assert findings and {f.file for f in findings} == {"_downloads/leak/01_monosemanticity.ipynb"}
    assert {f.notebook for f in findings} == {"01_monosemanticity.ipynb"}


def test_every_link_resolves(class_book):
    assert broken_links(class_book) == []


def test_a_broken_link_is_found(class_book):
    page = class_book / "book" / "_probe_links.html"
    page.write_text(
        '<a href="../solutions/01_monosemanticity.html">x</a><a href="intro.html#nowhere">y</a>'
    )
    try:
        found = broken_links(class_book)
    finally:
        page.unlink()
    assert found == [
        "book/_probe_links.html: ../solutions/01_monosemanticity.html",
        "book/_probe_links.html: intro.html#nowhere (no such anchor)",
    ]


def test_the_introduction_says_which_edition_it_is(class_book):
    intro = (class_book / "book" / "intro.html").read_text(encoding="utf-8")
    assert "This edition of the book is for a graded class" in intro
    assert "every answer written and run" not in intro


def test_the_table_of_contents_loses_only_the_solutions():
    toc = {
        "root": "book/intro",
        "parts": [
            {
                "caption": "The course",
                "chapters": [
                    {
                        "file": "chapters/01_x",
                        "sections": [{"file": "exercises/01_x"}, {"file": "solutions/01_x"}],
                    }
                ],
            }
        ],
    }
    chapter = toc_without_solutions(toc)["parts"][0]["chapters"][0]
    assert chapter == {"file": "chapters/01_x", "sections": [{"file": "exercises/01_x"}]}
    toc["parts"][0]["chapters"][0]["sections"].pop(0)  # only the solutions left
    chapter = toc_without_solutions(toc)["parts"][0]["chapters"][0]
    assert chapter == {"file": "chapters/01_x"}


def _tiny_book(root: Path, intro: str) -> Path:
    """A one-chapter course whose solution page is `solutions/answer`."""
    (root / "book").mkdir(parents=True)
    (root / "solutions").mkdir()
    (root / "book" / "_config.yml").write_text(
        "title: tiny\nonly_build_toc_files: true\nexecute:\n  execute_notebooks: 'off'\n"
    )
    (root / "book" / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n  - file: exercise\n"
        "    sections:\n      - file: solutions/answer\n"
    )
    (root / "intro.md").write_text(f"# Tiny\n\n{intro}\n")
    (root / "exercise.md").write_text("# Exercise\n\nWrite it.\n")
    (root / "solutions" / "answer.md").write_text("# Answer\n\n`answer = 42 * 2 + 1`\n")
    return root


def test_a_link_to_a_left_out_solution_fails_the_build(tmp_path):
    root = _tiny_book(tmp_path / "course", "See {doc}`solutions/answer`.")
    assert (build_book(root) / "solutions" / "answer.html").exists()  # full book: fine
    with pytest.raises(BuildError, match="the build failed"):
        build_book(root, without_solutions=True)  # the reference no longer resolves


def test_a_folder_holding_something_else_is_not_touched(tmp_path):
    root = _tiny_book(tmp_path / "course", "Hello.")
    (tmp_path / "mine" / "html").mkdir(parents=True)
    (tmp_path / "mine" / "html" / "notes.txt").write_text("keep me")
    for without_solutions in (False, True):
        with pytest.raises(BuildError, match="holds no earlier build"):
            build_book(root, build_dir=tmp_path / "mine", without_solutions=without_solutions)
    assert [p.name for p in (tmp_path / "mine" / "html").iterdir()] == ["notes.txt"]


def test_a_build_without_solutions_replaces_an_earlier_full_build(tmp_path):
    root = _tiny_book(tmp_path / "course", "Hello.")
    out = build_book(root, build_dir=tmp_path / "site")
    assert (out / "solutions" / "answer.html").exists()
    assert build_book(root, build_dir=tmp_path / "site", without_solutions=True) == out
    assert (out / "exercise.html").exists() and not (out / "solutions").exists()
