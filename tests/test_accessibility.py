"""Every page of the built book, opened offline in Chromium, reads well for any reader.

- axe-core (the standard accessibility engine, shipped inside the axe-playwright-python
  package, run in the system's Chromium through Playwright) finds no serious or critical
  violation on any page, in light mode and in dark mode (colour contrast included);
- on a phone (390 px wide) no page is wider than the screen, and every figure keeps its
  legend under the plot, its title inside the figure and its slider's labels apart;
- every slider is reached with Tab and moved with the arrow keys, Home and End;
- every figure is named by its title and described by its caption;
- the text of every figure keeps a WCAG AA contrast against the page, in both modes.

One browser serves the whole module. The checker is shown to fail on a page built to
break the rules (`test_the_checker_reports_a_broken_page`).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("*.md"))
SERIOUS = ("serious", "critical")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _browser() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _require_browser() -> str:
    browser = _browser()
    if browser is None:
        if os.environ.get("POLYSEMANTIC_REQUIRE_BROWSER"):
            pytest.fail("chromium is required here (POLYSEMANTIC_REQUIRE_BROWSER is set)")
        pytest.skip("chromium is not installed: the accessibility check is skipped")
    return browser


# --- what is measured on a page, in the page ------------------------------------------

# Waits for the figures to draw and MathJax to typeset (the check must see the page a
# reader sees), then reports JavaScript errors and the page's width.
_SETTLE = """async () => {
  const figures = () => [...document.querySelectorAll("div.ps-plotly")];
  for (let k = 0; k < 400; k++) {
    if (figures().every((f) => f.querySelector(".main-svg") && f.dataset.settled === "true")) {
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await new Promise((r) => setTimeout(r, 100));
  const root = document.documentElement;
  // Figures clipped by a container would not widen the page: they are measured too.
  const wide = [...document.querySelectorAll("figure.ps-figure, .ps-plotly .main-svg")]
    .filter((e) => e.getBoundingClientRect().right > root.clientWidth + 1)
    .slice(0, 5).map((e) => e.tagName.toLowerCase() + "." + [...e.classList].join("."));
  return {
    theme: root.dataset.theme,
    scrollWidth: root.scrollWidth,
    clientWidth: root.clientWidth,
    wide: wide,
    figures: figures().length,
  };
}"""

# Per figure: is the legend under the plot, does the title fit, do slider labels keep
# apart, and what contrast does each piece of the figure's text have with the page?
_FIGURES = """() => {
  function rgb(color) {
    const m = color.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(",").map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  }
  function luminance(c) {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  }
  function over(top, bottom) {
    return { r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
             b: top.b * top.a + bottom.b * (1 - top.a), a: 1 };
  }
  function background(el) {  // the first opaque background from el up to the root
    const layers = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) layers.push(c);
      if (c && c.a === 1) break;
    }
    let color = { r: 255, g: 255, b: 255, a: 1 };
    for (const layer of layers.reverse()) color = over(layer, color);
    return color;
  }
  function contrast(a, b) {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  }
  const out = [];
  document.querySelectorAll("div.ps-plotly").forEach((container, index) => {
    const plot = container.querySelector(".js-plotly-plot");
    if (!plot || !plot._fullLayout) { out.push({ index, drawn: false }); return; }
    const box = plot.getBoundingClientRect();
    const size = plot._fullLayout._size;
    const plotBottom = box.top + size.t + size.h;
    const paper = plot.querySelector(".main-svg");
    const page = background(paper);
    const paperColor = rgb(getComputedStyle(paper).backgroundColor) || { a: 0 };
    const behind = paperColor.a > 0 ? over(paperColor, page) : page;
    const legend = plot.querySelector(".legend");
    const slider = plot.querySelector("g.slider-container");
    const xtitle = plot.querySelector(".g-xtitle text");
    const sliderClear = slider && xtitle
      ? slider.getBoundingClientRect().top >= xtitle.getBoundingClientRect().bottom - 1 : null;
    const title = plot.querySelector(".g-gtitle text");
    const labels = [...plot.querySelectorAll(".slider-label-group .slider-label")]
      .map((t) => t.getBoundingClientRect()).filter((r) => r.width > 0)
      .sort((a, b) => a.left - b.left);
    let overlap = false;
    for (let k = 1; k < labels.length; k++) {
      if (labels[k].left < labels[k - 1].right) overlap = true;
    }
    const texts = [];
    plot.querySelectorAll(
      ".g-gtitle text, .g-xtitle text, .g-ytitle text, .xtick text, .ytick text, " +
      ".legendtext, .slider-label, .slider-current-value, .cbtitle text, .cbaxis text"
    ).forEach((t) => {
      const fill = rgb(getComputedStyle(t).fill);
      if (!fill || !t.textContent.trim()) return;
      const size = parseFloat(getComputedStyle(t).fontSize);
      const bold = Number(getComputedStyle(t).fontWeight) >= 700;
      const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
      const ratio = contrast(over(fill, behind), behind);
      if (ratio < needed) {
        texts.push({ text: t.textContent.slice(0, 40), ratio: +ratio.toFixed(2), needed });
      }
    });
    const sliders = [...plot.querySelectorAll("g.slider-container")].map((g) => ({
      tabindex: g.getAttribute("tabindex"), role: g.getAttribute("role"),
      label: g.getAttribute("aria-label"), valuetext: g.getAttribute("aria-valuetext"),
    }));
    out.push({
      index, drawn: true,
      title: plot._fullLayout.title && plot._fullLayout.title.text,
      width: box.width, containerWidth: container.getBoundingClientRect().width,
      legendBelow: legend ? legend.getBoundingClientRect().top >= plotBottom - 1 : null,
      titleRight: title ? title.getBoundingClientRect().right - box.left : 0,
      titleSize: title ? parseFloat(getComputedStyle(title).fontSize) : 0,
      sliderLabels: labels.length,
      sliderSteps: [...plot.querySelectorAll("g.slider-container")]  // the drawn ones
        .map((g, i) => plot._fullLayout.sliders[i].steps.length),
      labelsOverlap: overlap,
      sliderClear,
      labelSize: labels.length
        ? parseFloat(getComputedStyle(plot.querySelector(".slider-label-group text")).fontSize)
        : 0,
      lowContrast: texts,
      sliders,
    });
  });
  return out;
}"""


_DARK = """async (dark) => {
  // What the theme's own switch does; the figures redraw in the new colours.
  const root = document.documentElement;
  root.dataset.mode = dark ? "dark" : "light";
  root.dataset.theme = dark ? "dark" : "light";
  await new Promise((r) => setTimeout(r, 100));  // the figures start redrawing
  return root.dataset.theme;
}"""


class Browser:
    """One headless Chromium for the whole module, with every host but this one
    unresolvable: pages come from a server on 127.0.0.1, as `make serve` serves them."""

    def __init__(self, executable: str):
        from axe_playwright_python.sync_playwright import Axe
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ],
        )
        self.axe = Axe()
        self._pages = {}

    def page(self, viewport: dict):
        """A tab with this window size (light mode, as the book opens by default)."""
        key = (viewport["width"], viewport["height"])
        if key not in self._pages:
            context = self._browser.new_context(viewport=viewport, color_scheme="light")
            page = context.new_page()
            page.errors = []
            page.on("pageerror", lambda error, page=page: page.errors.append(str(error)))
            page.on(
                "console",
                lambda message, page=page: (
                    page.errors.append(f"{message.text} ({message.location.get('url')})")
                    if message.type == "error"
                    else None
                ),
            )
            page.on(
                "response",
                lambda response, page=page: (
                    page.errors.append(f"{response.status} {response.url}")
                    if response.status >= 400
                    else None
                ),
            )
            self._pages[key] = page
        return self._pages[key]

    def open(self, url: str, *, viewport: dict = DESKTOP):
        page = self.page(viewport)
        page.errors.clear()
        page.goto(url, wait_until="load")
        state = page.evaluate(_SETTLE)
        state["errors"] = list(page.errors)
        return page, state

    @staticmethod
    def set_dark(page, dark: bool) -> dict:
        """Switch the open page's theme, then measure it again."""
        theme = page.evaluate(_DARK, dark)
        state = page.evaluate(_SETTLE)
        state["theme"] = theme
        state["errors"] = list(page.errors)
        return state

    def audit(self, page, rules: list[str] | None = None) -> list[dict]:
        """axe-core's violations on the open page (every rule, or only `rules`)."""
        options = {"resultTypes": ["violations"]}
        if rules:
            options["runOnly"] = {"type": "rule", "values": rules}
        before = len(page.errors)
        violations = self.axe.run(page, options=options).response["violations"]
        # axe-core fetches stylesheets itself (and resolves some @import URLs wrongly):
        # what fails while it runs is axe's, not the page's.
        page.wait_for_timeout(100)
        del page.errors[before:]
        return violations

    def close(self):
        self._browser.close()
        self._playwright.stop()


@contextlib.contextmanager
def serve(directory: Path):
    """A quiet HTTP server for DIRECTORY on 127.0.0.1; yields its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path == "/favicon.ico":  # asked for by the browser, not by the book
                self.send_response(204)
                self.end_headers()
                return
            super().do_GET()

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def serious(violations: list[dict]) -> dict[str, int]:
    """Serious and critical violations: rule -> number of elements."""
    counts: dict[str, int] = {}
    for violation in violations:
        if violation["impact"] in SERIOUS:
            counts[violation["id"]] = counts.get(violation["id"], 0) + len(violation["nodes"])
    return counts


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        if v["impact"] in SERIOUS:
            lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
            lines += [f"    {node['html'][:160]}" for node in v["nodes"][:3]]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def browser():
    executable = _require_browser()
    session = Browser(executable)
    yield session
    session.close()


def _pages(html: Path) -> list[Path]:
    pages = [p for p in sorted(html.rglob("*.html")) if "_static" not in p.parts]
    pages = [p for p in pages if not p.name.startswith("_probe_")]  # other tests' copies
    return [p for p in pages if "<body" in p.read_text(encoding="utf-8")]  # not redirects


# --- the checker fails on a broken page ------------------------------------------------

_BROKEN = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>A broken page</title></head>
<body><main>
<h1>A page that breaks the rules</h1>
<details><summary><span role="presentation"><i class="icon"></i></span></summary>
<p>The theme's toggle, with no name.</p></details>
<div role="img" aria-label="a figure"><button type="button">Zoom</button></div>
<p style="color:#999;background:#fff">Grey on white: too faint to read.</p>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<div style="width:900px">A row wider than a phone.</div>
</main></body></html>
"""


def test_the_checker_reports_a_broken_page(browser, tmp_path):
    """The same checker as on the book, on a page built to break the rules, says so."""
    (tmp_path / "broken.html").write_text(_BROKEN, encoding="utf-8")
    with serve(tmp_path) as url:
        page, _ = browser.open(url + "broken.html")
        found = serious(browser.audit(page))
        _, phone = browser.open(url + "broken.html", viewport=PHONE)
    assert {"summary-name", "nested-interactive", "color-contrast", "image-alt"} <= set(found)
    assert phone["scrollWidth"] > phone["clientWidth"]  # and the overflow check sees it


# --- the whole book ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def survey(built_book, browser):
    """Every page of the book, seen once per window size, in light then dark mode.

    On a desktop (1280 px) every axe-core rule runs in light mode and the colour
    contrast rule again in dark mode (the theme's own switch: `data-theme="dark"` on
    <html>); on a phone (390 px) the page's width and the figures are measured in both.
    """
    results: dict[tuple[str, str, str], dict] = {}
    timings: dict[str, float] = {}
    pages = _pages(built_book)
    with serve(built_book) as url:
        for viewport, size in ((DESKTOP, "desktop"), (PHONE, "phone")):
            started = time.perf_counter()
            for path in pages:
                name = path.relative_to(built_book).as_posix()
                page, state = browser.open(url + name, viewport=viewport)
                for mode in ("light", "dark"):
                    if mode == "dark":
                        state = browser.set_dark(page, True)
                    if size == "desktop":
                        rules = None if mode == "light" else ["color-contrast"]
                        state["violations"] = browser.audit(page, rules)
                    if state["figures"]:
                        state["figure_checks"] = page.evaluate(_FIGURES)
                    results[name, size, mode] = state
            timings[size] = round(time.perf_counter() - started, 1)
    print(f"\naccessibility survey of {len(pages)} pages, seconds: {timings}")
    return results


def test_every_page_was_seen_in_both_modes_without_errors(survey):
    assert len({name for name, _, _ in survey}) > 20
    for (name, size, mode), state in survey.items():
        assert state["theme"] == mode, (name, size, mode)
        assert state["errors"] == [], (name, size, mode, state["errors"])


def test_no_page_has_a_serious_violation(survey):
    """axe-core, every rule, light mode; its colour contrast rule in dark mode."""
    failures = [
        f"{name} ({mode}):\n{_describe(state['violations'])}"
        for (name, size, mode), state in survey.items()
        if size == "desktop" and serious(state["violations"])
    ]
    assert not failures, "\n".join(failures)


def test_no_page_is_wider_than_a_phone(survey):
    """At 390 px, no page scrolls sideways (code cells scroll inside themselves)."""
    wide = {
        (name, mode): (state["scrollWidth"], state["clientWidth"], state["wide"])
        for (name, size, mode), state in survey.items()
        if size == "phone" and (state["scrollWidth"] > state["clientWidth"] or state["wide"])
    }
    assert not wide, wide


def test_figures_fit_the_screen_and_keep_their_text_readable(survey):
    """Figures no wider than their column, titles inside the figure, on a phone legends
    under the plot and slider labels apart (thinned, never fewer than three), every
    slider reachable by keyboard, and every piece of a figure's text at a WCAG AA
    contrast with what lies behind it, in both modes."""
    problems = []
    for (name, size, mode), state in survey.items():
        for figure in state.get("figure_checks", []):
            where = f"{name} at {size}, {mode}: figure {figure['index'] + 1}"
            if not figure["drawn"]:
                problems.append(f"{where}: not drawn")
                continue
            if figure["width"] > figure["containerWidth"] + 1:
                problems.append(f"{where}: {figure['width']} px wide in {figure['containerWidth']}")
            if figure["titleRight"] > figure["width"] + 1:
                problems.append(f"{where}: the title runs out of the figure")
            if figure["labelsOverlap"]:
                problems.append(f"{where}: slider labels overlap")
            if figure["sliderClear"] is False:
                problems.append(f"{where}: the slider overlaps the x axis's title")
            if figure["lowContrast"]:
                problems.append(f"{where}: low contrast {figure['lowContrast']}")
            if size == "phone":
                if figure["legendBelow"] is False:
                    problems.append(f"{where}: the legend is beside the plot")
                if figure["sliderLabels"] and figure["labelSize"] < 11:
                    problems.append(f"{where}: slider labels of {figure['labelSize']} px")
                for steps in figure["sliderSteps"]:
                    if figure["sliderLabels"] < min(steps, 3):
                        problems.append(f"{where}: {figure['sliderLabels']} labels, {steps} steps")
            for slider in figure["sliders"]:
                if slider["tabindex"] != "0" or slider["role"] != "slider" or not slider["label"]:
                    problems.append(f"{where}: a slider without keyboard access {slider}")
    assert not problems, "\n".join(problems)


def _tab_to(page, role: str, failure: str) -> None:
    """Press Tab from the top of the page until an element with `role` has the focus."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(300):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.getAttribute('role') === '{role}'"):
            return
    pytest.fail(failure)


def test_sliders_are_reached_with_tab_and_moved_with_arrow_keys(built_book, browser):
    """Chapter 06's first figure: Tab reaches its slider, which says its value; the
    arrow keys, End and Home move it and change what the figure shows."""
    with serve(built_book) as url:
        page, _ = browser.open(url + "chapters/06_superposition.html")
        _tab_to(page, "slider", "Tab never reached a slider")

        def state():
            return page.evaluate(
                """() => {
                  const slider = document.activeElement;
                  const plot = slider.closest(".js-plotly-plot");
                  return { now: Number(slider.getAttribute("aria-valuenow")),
                           max: Number(slider.getAttribute("aria-valuemax")),
                           text: slider.getAttribute("aria-valuetext"),
                           name: slider.getAttribute("aria-label"),
                           role: slider.getAttribute("role"),
                           active: plot.layout.sliders[0].active || 0,
                           shown: plot.data.map((t) => t.visible !== false) };
                }"""
            )

        first = state()
        assert first["now"] == first["active"] == 0 and first["name"]
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(300)
        second = state()
        assert second["role"] == "slider"  # focus stays on the slider
        assert second["now"] == second["active"] == 1
        assert second["text"] != first["text"] and second["shown"] != first["shown"]
        page.keyboard.press("End")
        page.wait_for_timeout(300)
        assert state()["now"] == first["max"]
        page.keyboard.press("Home")
        page.wait_for_timeout(300)
        assert state()["now"] == 0 and state()["shown"] == first["shown"]
        assert page.errors == []


class _Figures(HTMLParser):
    """Each figure's name and description id, and the text of every element with an id."""

    def __init__(self):
        super().__init__()
        self.figures: list[dict] = []
        self.text: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "figure" and "ps-figure" in (attrs.get("class") or ""):
            self.figures.append(attrs)
        if tag in ("p", "figcaption"):
            self._open.append((tag, attrs.get("id")))
            if attrs.get("id"):
                self.text[attrs["id"]] = ""

    def handle_endtag(self, tag):
        if tag in ("p", "figcaption") and self._open:
            self._open.pop()

    def handle_data(self, data):
        for _, ident in self._open:
            if ident:
                self.text[ident] += data


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_figure_is_named_by_its_title_and_described_by_its_caption(built_book, chapter):
    text = (built_book / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")
    parser = _Figures()
    parser.feed(text)
    specs = [
        json.loads(payload.replace("<\\/", "</"))
        for payload in re.findall(
            r'<div class="ps-plotly"><script type="application/json">(.*?)</script>', text, re.S
        )
    ]
    assert len(parser.figures) == len(specs) >= 2
    for figure, spec in zip(parser.figures, specs, strict=True):
        assert figure["aria-label"].strip()
        described = parser.text[figure["aria-describedby"]]
        assert " ".join(described.split()).startswith("Figure.")
        caption = spec["layout"]["meta"]["caption"]
        assert caption.split()[0] in described  # the caption itself, as printed


def test_a_three_d_scene_turns_with_the_arrow_keys(built_book, browser):
    """Chapter 05's scene: Tab reaches it, and the arrow keys turn the camera."""
    with serve(built_book) as url:
        page, _ = browser.open(url + "chapters/05_directions.html")
        _tab_to(page, "group", "Tab never reached the 3-D scene")
        eye = "() => ({ ...document.activeElement._fullLayout.scene.camera.eye })"
        before = page.evaluate(eye)
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(300)
        turned = page.evaluate(eye)
        assert turned != before
        assert abs(turned["z"] - before["z"]) < 1e-6  # around the vertical axis
        page.keyboard.press("ArrowUp")
        page.wait_for_timeout(300)
        assert page.evaluate(eye)["z"] > turned["z"]
        assert page.errors == []


def test_a_legend_entry_shows_and_hides_its_trace_from_the_keyboard(built_book, browser):
    """Chapter 01's training curves: Tab reaches a legend entry (a checkbox); Enter hides
    its trace, as a click does, and Space shows it again; focus stays on the entry."""
    with serve(built_book) as url:
        page, _ = browser.open(url + "chapters/01_monosemanticity.html")
        _tab_to(page, "checkbox", "Tab never reached a legend entry")
        state = """() => {
          const entry = document.activeElement;
          const plot = entry.closest(".js-plotly-plot");
          return { role: entry.getAttribute("role"), checked: entry.getAttribute("aria-checked"),
                   hidden: plot.data.filter((t) => t.visible === "legendonly").length };
        }"""
        assert page.evaluate(state) == {"role": "checkbox", "checked": "true", "hidden": 0}
        page.keyboard.press("Enter")
        page.wait_for_timeout(1000)  # plotly waits to tell a click from a double click
        assert page.evaluate(state) == {"role": "checkbox", "checked": "false", "hidden": 1}
        page.keyboard.press(" ")
        page.wait_for_timeout(1000)
        assert page.evaluate(state) == {"role": "checkbox", "checked": "true", "hidden": 0}
        assert page.errors == []
