"""The book builds offline with warnings as errors, and its pages need nothing from outside."""

import html
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from polysemantic.authoring.repository import read_repository
from polysemantic.authoring.solution_scan import scan_site, solution_secrets
from polysemantic.course import QUIZZES

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("*.md"))
PAGE_BUDGET = 1_500_000  # bytes of a built chapter page, plotly.js excluded


class _Resources(HTMLParser):
    """Every resource a page loads by itself (not the links a reader may click)."""

    def __init__(self):
        super().__init__()
        self.loads: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "audio", "video", "source") and attrs.get("src"):
            self.loads.append(attrs["src"])
            if tag == "script":
                self.scripts.append(attrs["src"])
        if tag == "link" and attrs.get("href") and attrs.get("rel") != "canonical":
            self.loads.append(attrs["href"])


def _resources(page: Path) -> _Resources:
    parser = _Resources()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_no_page_loads_anything_from_outside(built_book):
    pages = list(built_book.rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        external = [u for u in _resources(page).loads if re.match(r"^(https?:)?//", u)]
        assert not external, f"{page.relative_to(built_book)} loads {external}"


def test_math_and_plotly_are_served_by_the_book(built_book):
    assert (built_book / "_static" / "mathjax" / "tex-chtml.js").exists()
    assert (built_book / "_static" / "plotly.min.js").exists()
    page = built_book / "chapters" / f"{CHAPTERS[0]}.html"
    scripts = _resources(page).scripts
    assert any("_static/mathjax/tex-chtml.js" in s for s in scripts)
    assert sum("plotly.min.js" in s for s in scripts) == 1  # once per page
    intro = _resources(built_book / "book" / "intro.html").scripts
    assert not any("plotly.min.js" in s for s in intro)  # only pages with figures


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_pages_carry_their_figures_within_budget(built_book, chapter):
    page = built_book / "chapters" / f"{chapter}.html"
    text = page.read_text(encoding="utf-8")
    figures = re.findall(
        r'<figure class="ps-figure" aria-label="([^"]+)" aria-describedby="[^"]+">'
        r'<div class="ps-plotly"><script type="application/json">(.*?)</script>',
        text,
        re.S,
    )
    assert len(figures) >= 2, "every chapter has at least two interactive figures"
    for name, payload in figures:
        spec = json.loads(payload.replace("<\\/", "</"))
        assert spec["data"] and name.strip() and spec["layout"]["meta"]["caption"].strip()
        assert spec["layout"]["xaxis"]["title"]["text"]
    assert page.stat().st_size < PAGE_BUDGET


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_exercise_and_solution_pages_exist(built_book, chapter):
    exercise = (built_book / "exercises" / f"{chapter}.html").read_text(encoding="utf-8")
    assert "colab.research.google.com" in exercise  # a launch link for the notebook
    assert f"{chapter}.ipynb" in exercise  # and a download of it
    assert "BEGIN SOLUTION" not in exercise
    solution = (built_book / "solutions" / f"{chapter}.html").read_text(encoding="utf-8")
    assert "all cases pass" in solution  # stored outputs are shown


_ERROR_PROBE = """<script>
window.__errors = [];
function __report() {  // the errors so far, in a <pre> the dumped page carries
  var pre = document.getElementById("__errors");
  if (!pre && document.body) {
    pre = document.createElement("pre"); pre.id = "__errors"; document.body.appendChild(pre); }
  if (pre) pre.textContent = JSON.stringify(window.__errors);
}
function __push(message) { window.__errors.push(message); __report(); }
window.addEventListener("error", function (e) { __push("error: " + e.message); });
window.addEventListener("unhandledrejection", function (e) { __push("rejection: " + e.reason); });
var __consoleError = console.error;
console.error = function () { __push("console.error: " + Array.prototype.join.call(arguments, " "));
  __consoleError.apply(console, arguments); };
window.addEventListener("load", __report);
</script>"""


def _browser() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_renders_offline_in_a_browser(built_book, chapter, tmp_path):
    """Headless Chromium, every host unresolvable: figures draw, math renders, no errors."""
    browser = _browser()
    if browser is None:
        if os.environ.get("POLYSEMANTIC_REQUIRE_BROWSER"):
            pytest.fail("chromium is required here (POLYSEMANTIC_REQUIRE_BROWSER is set)")
        pytest.skip("chromium is not installed: the browser check is skipped")
    page = built_book / "chapters" / f"{chapter}.html"
    probe = page.with_name(f"_probe_{chapter}.html")
    text = page.read_text(encoding="utf-8")
    probe.write_text(text.replace("<head>", "<head>" + _ERROR_PROBE, 1), encoding="utf-8")
    try:
        run = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--virtual-time-budget=60000",
                "--dump-dom",
                probe.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        probe.unlink()
    dom = run.stdout
    n_figures = text.count('class="ps-plotly"')
    assert dom.count('class="main-svg"') >= n_figures, "a plotly figure did not draw"
    assert "mjx-container" in dom, "MathJax did not render the formulas"
    errors = re.search(r'<pre id="__errors"[^>]*>(.*?)</pre>', dom, re.S)
    assert errors is not None, "the page did not finish loading"
    assert json.loads(errors.group(1).replace("&quot;", '"')) == []


def test_every_page_has_one_search_box(built_book):
    """The sidebar's; the theme would also put one in a page header (three in all)."""
    pages = [p for p in built_book.rglob("*.html") if "_static" not in p.parts]
    pages = [p for p in pages if "<body" in p.read_text(encoding="utf-8")]  # not redirects
    assert len(pages) > 5
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert text.count('class="btn search-button-field') == 1, page.relative_to(built_book)
        sidebar = text.index('id="pst-primary-sidebar"')
        assert text.index('class="btn search-button-field') > sidebar  # in the sidebar


def test_the_exercise_pages_open_in_colab_from_the_repository(built_book):
    repository = read_repository(ROOT)
    for chapter in CHAPTERS:
        page = (built_book / "exercises" / f"{chapter}.html").read_text(encoding="utf-8")
        colab = (
            f"https://colab.research.google.com/github/{repository.owner}/{repository.name}"
            f"/blob/{repository.branch}/exercises/{chapter}.ipynb"
        )
        assert colab in page


def test_the_solution_scan_finds_every_solution_in_the_full_book(built_book):
    """The scan that guards the book for a graded class, on the book that has them."""
    secrets = solution_secrets(ROOT)
    found = {(f.file, f.line) for f in scan_site(built_book, secrets)}
    for notebook, lines in secrets.items():
        stem = notebook.removesuffix(".ipynb")
        for where in (f"solutions/{stem}.html", f"_sources/solutions/{notebook}"):
            missed = [line for line in lines.values() if (where, line) not in found]
            assert not missed, f"{where}: {missed}"


def test_the_full_introduction_lists_the_solutions(built_book):
    intro = (built_book / "book" / "intro.html").read_text(encoding="utf-8")
    assert "every answer written and run" in intro
    assert "This edition of the book is for a graded class" not in intro


# --- Check your understanding -------------------------------------------------------


def _quiz_of(chapter: str):
    return QUIZZES[chapter[:2]]


def _text(markup: str) -> str:
    """A page's visible words, as the tests compare them with a quiz's evidence."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", markup))
    for curly, straight in (
        ("“", '"'),
        ("”", '"'),
        ("‘", "'"),
        ("’", "'"),
        ("\\(", ""),
        ("\\)", ""),
    ):
        text = text.replace(curly, straight)
    return " ".join(text.split())


def _h2s(page: str) -> list[str]:
    return [_text(h) for h in re.findall(r"<h2>(.*?)<a class=\"headerlink\"", page, re.S)]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_pages_end_with_check_your_understanding_then_your_turn(built_book, chapter):
    page = (built_book / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")
    assert _h2s(page)[-2:] == ["Check your understanding", "Your turn"]
    assert page.count('class="ps-quiz-item"') == len(_quiz_of(chapter).items)
    scripts = _resources(built_book / "chapters" / f"{chapter}.html")
    assert sum("_static/polysemantic-quiz.js" in s for s in scripts.scripts) == 1
    assert sum("_static/polysemantic-quiz.css" in s for s in scripts.loads) == 1


def test_the_quiz_assets_are_served_only_where_there_is_a_quiz(built_book):
    for name in ("polysemantic-quiz.js", "polysemantic-quiz.css"):
        assert (built_book / "_static" / name).exists()
    intro = _resources(built_book / "book" / "intro.html")
    assert not any("quiz" in url for url in intro.loads)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_quiz_question_rests_on_what_its_page_prints(built_book, chapter):
    """Each item's evidence is on the page outside the quiz: the page's words, or a line
    its code printed. A number the page stops printing takes its question with it."""
    page = (built_book / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")
    start = page.index('id="check-your-understanding"')
    end = page.index('id="your-turn"')
    outside = _text(page[:start] + page[end:])
    for item in _quiz_of(chapter).items:
        for evidence in item.evidence:
            assert " ".join(evidence.split()) in outside, (item.prompt, evidence)


_CHOOSE = """<script>
window.addEventListener("load", function () {
  var choices = %s;  // per question, the number of the option to choose
  document.querySelectorAll(".ps-quiz-item").forEach(function (item, k) {
    item.querySelectorAll('input[type="radio"]')[choices[k] - 1].click();
  });
});
</script>"""


def test_choosing_an_option_says_whether_it_is_right_and_why(built_book, tmp_path):
    """Headless Chromium, offline: choose the right option of odd questions and a wrong one
    of even questions; each live region then says which, with that option's explanation,
    and the chosen option is marked in words."""
    browser = _browser()
    if browser is None:
        if os.environ.get("POLYSEMANTIC_REQUIRE_BROWSER"):
            pytest.fail("chromium is required here (POLYSEMANTIC_REQUIRE_BROWSER is set)")
        pytest.skip("chromium is not installed: the browser check is skipped")
    chapter = "06_superposition"
    quiz = _quiz_of(chapter)
    choices = [
        item.answer if k % 2 == 0 else next(n for n in (1, 2, 3, 4) if n != item.answer)
        for k, item in enumerate(quiz.items)
    ]
    page = built_book / "chapters" / f"{chapter}.html"
    probe = page.with_name(f"_choose_{chapter}.html")
    text = page.read_text(encoding="utf-8")
    head = "<head>" + _ERROR_PROBE + _CHOOSE % json.dumps(choices)
    probe.write_text(text.replace("<head>", head, 1), encoding="utf-8")
    try:
        run = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--virtual-time-budget=30000",
                "--dump-dom",
                probe.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        probe.unlink()
    dom = run.stdout
    feedback = re.findall(r'<p class="ps-quiz-feedback"([^>]*)>(.*?)</p>', dom, re.S)
    marks = re.findall(r'<span class="ps-quiz-mark">(.*?)</span>', dom)
    assert len(feedback) == len(quiz.items)
    for (attrs, said), item, choice, mark in zip(feedback, quiz.items, choices, marks, strict=True):
        option = item.options[choice - 1]
        state = "right" if option.right else "wrong"
        assert f'data-state="{state}"' in attrs
        said = html.unescape(re.sub(r"<[^>]+>", "", said))
        assert said.startswith("✓ Right." if option.right else "✗ Not right.")
        assert option.why in said
        assert mark == ("✓ right" if option.right else "✗ not right")
    errors = re.search(r'<pre id="__errors"[^>]*>(.*?)</pre>', dom, re.S)
    assert errors is not None and json.loads(errors.group(1).replace("&quot;", '"')) == []


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_links_its_printed_handout(built_book, chapter):
    page = (built_book / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")
    assert f'href="../handouts/{chapter}.pdf"' in page
    pdf = built_book / "handouts" / f"{chapter}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert not (built_book / "handouts" / "facilitator").exists()  # answers stay out
