"""The book's Sphinx extension: interactive plotly figures and math, fully offline.

- Plotly: myst-nb drops `application/vnd.plotly.v1+json` outputs ("skipping
  unknown output mime type"). `PlotlyMimeRenderer` (a myst-nb mime renderer
  plugin, registered in pyproject.toml) turns each into a placeholder holding
  only that figure's JSON; `polysemantic-plotly.js` draws them with the
  plotly.js that the book serves from its own _static folder, added once, and
  only to pages that have a figure. It also recolours figures in dark mode.
- Math: MathJax 3 from the `django-static-mathjax` package is copied into
  _static/mathjax and `mathjax_path` points there instead of a CDN.
- One search box: the sidebar's (the theme also puts one in the page header).
- Accessibility (checked with axe-core by tests/test_accessibility.py):
  - every figure is a `<figure>` named by its title and described by its caption,
    the visible "Figure." paragraph that `figures.show` prints under it
    (`_describe_figures`); a plain `role="img"` would hide the slider and the
    toolbar inside it from assistive technology (axe's `nested-interactive`);
  - the theme's sidebar toggles (`<summary>` holding only a chevron icon) are
    named after the chapter whose pages they show (`_name_sidebar_toggles`);
  - the bibliography's entries are list items of their `role="list"`
    (docutils marks them `doc-biblioentry`, which a list may not hold);
  - polysemantic-plotly.js lays figures out for narrow screens and makes their
    sliders, legend entries and 3-D scenes work from the keyboard (the toolbar's
    buttons are plotly's own); polysemantic-book.css keeps figures within their
    column and keyboard focus visible in both modes.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes

PLOTLY_MIME = "application/vnd.plotly.v1+json"
STATIC = Path(__file__).parent / "book_static"
MATHJAX_ENTRY = "mathjax/tex-chtml.js"
STYLESHEET = "polysemantic-book.css"
_MARKER = "ps-plotly"
_CAPTION_ID = "ps-figure-caption"  # a placeholder, numbered per page by _describe_figures
_FIGURE_END = "</figure>"


def _title_text(spec: dict[str, Any]) -> str:
    title = spec.get("layout", {}).get("title", {})
    text = title.get("text", "") if isinstance(title, dict) else str(title or "")
    return re.sub(r"<[^>]+>", " ", text).strip()


def figure_html(spec: dict[str, Any]) -> str:
    """One figure: a `<figure>` named by the figure's title and described by its caption.

    It holds the figure's JSON (drawn by polysemantic-plotly.js) and, as a fallback,
    the caption in a `<figcaption>`; `_describe_figures` swaps that for the visible
    "Figure." paragraph printed under the figure when there is one.
    """
    meta = spec.get("layout", {}).get("meta", {})
    caption = meta.get("caption", "") if isinstance(meta, dict) else ""
    name = _title_text(spec) or caption
    payload = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
    return (
        f'<figure class="ps-figure" aria-label="{html.escape(name)}" '
        f'aria-describedby="{_CAPTION_ID}">'
        f'<div class="{_MARKER}"><script type="application/json">{payload}</script></div>'
        f'<figcaption id="{_CAPTION_ID}"><strong>Figure.</strong> {html.escape(caption)}'
        f"</figcaption>{_FIGURE_END}"
    )


class PlotlyMimeRenderer:
    """myst-nb mime renderer plugin for plotly's JSON output (HTML builders)."""

    mime_priority_overrides = [
        (builder, PLOTLY_MIME, 1) for builder in ("html", "dirhtml", "singlehtml")
    ]

    @staticmethod
    def handle_mime(renderer: Any, data: Any, inline: bool) -> list[nodes.Element] | None:
        if inline or data.mime_type != PLOTLY_MIME:
            return None
        spec = data.content
        if isinstance(spec, str):
            spec = json.loads(spec)
        return [nodes.raw("", figure_html(spec), format="html")]


def _is_caption_of_figure(node: Any) -> bool:
    """The paragraph `figures.show` prints under a figure: "**Figure.** <caption>"."""
    if not isinstance(node, nodes.paragraph):
        return False
    # myst-nb's markdown output may start with an empty text node
    children = [c for c in node.children if not (isinstance(c, nodes.Text) and not c.strip())]
    return (
        len(children) > 0
        and isinstance(children[0], nodes.strong)
        and children[0].astext().strip() == "Figure."
    )


def _next_in_document(node: Any) -> Any:
    """The first leafward node after NODE's subtree, stepping out of and into containers."""
    while node.parent is not None:
        parent = node.parent
        index = parent.index(node)
        if index + 1 < len(parent.children):
            following = parent.children[index + 1]
            while isinstance(following, nodes.container) and following.children:
                following = following.children[0]
            return following
        if not isinstance(parent, nodes.container):
            return None
        node = parent
    return None


def _describe_figures(app: Any, doctree: Any, docname: str) -> None:
    """Give each figure of a page its own caption id; move a printed caption inside it.

    When the next thing after a figure is its printed "Figure." paragraph (the cell's
    next output), that paragraph moves into the `<figure>` and becomes its description
    (the fallback `<figcaption>` goes), so the caption is shown once, with its
    formatting, where it belongs.
    """
    number = 0
    for raw in list(doctree.findall(nodes.raw)):
        text = raw.astext()
        if f'class="{_MARKER}"' not in text or _CAPTION_ID not in text:
            continue
        number += 1
        caption_id = f"{_CAPTION_ID}-{number}"
        parent = raw.parent
        index = parent.index(raw)
        caption = _next_in_document(raw)
        if _is_caption_of_figure(caption):
            text = re.sub(r"<figcaption\b.*?</figcaption></figure>$", "", text, flags=re.S)
            holder = caption.parent
            holder.remove(caption)
            if isinstance(holder, nodes.container) and not holder.children:
                holder.parent.remove(holder)
            caption["ids"].append(caption_id)
            caption["classes"].append("ps-figure-caption")
            parent.insert(index + 1, caption)
            parent.insert(index + 2, nodes.raw("", _FIGURE_END, format="html"))
        text = text.replace(_CAPTION_ID, caption_id)
        parent.replace(raw, nodes.raw("", text, format="html"))


def _name_sidebar_toggles(soup: Any) -> None:
    """Name each sidebar `<summary>` that holds only an icon after its chapter."""
    for summary in soup.find_all("summary"):
        if summary.get_text(strip=True) or summary.get("aria-label"):
            continue
        item = summary.find_parent("li")
        link = item.find("a", recursive=False) if item is not None else None
        title = link.get_text(" ", strip=True) if link is not None else "this section"
        summary["aria-label"] = f"Pages under {title}"


def _named_toggles(generate: Any) -> Any:
    """The theme's `generate_toctree_html`, with its sidebar toggles named."""

    def generate_toctree_html(*args: Any, **kwargs: Any) -> Any:
        from bs4 import BeautifulSoup

        result = generate(*args, **kwargs)
        soup = result if isinstance(result, BeautifulSoup) else BeautifulSoup(result, "html.parser")
        _name_sidebar_toggles(soup)
        return soup if isinstance(result, BeautifulSoup) else str(soup)

    return generate_toctree_html


def _mathjax_source() -> Path:
    import mathjax  # the django-static-mathjax package

    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def _copy_assets(app: Any, exception: Exception | None) -> None:
    """After an HTML build: plotly.js, our figure script and MathJax into _static."""
    if exception is not None or app.builder.format != "html":
        return
    import plotly

    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    shutil.copy2(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", static)
    shutil.copy2(STATIC / "polysemantic-plotly.js", static)
    shutil.copy2(STATIC / STYLESHEET, static)
    target = static / "mathjax"
    if not (target / "tex-chtml.js").exists():
        source = _mathjax_source()
        # Only what tex-chtml needs: the bundle, its fonts, TeX extensions and the menu.
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / "tex-chtml.js", target)
        for part in ("output/chtml", "input/tex/extensions", "ui", "a11y", "adaptors"):
            if (source / part).exists():
                shutil.copytree(
                    source / part,
                    target / part,
                    dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("sre*", "*speech*"),
                )


def _page_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any):
    """Per page: plotly.js where there are figures; no thebe; Colab only for notebooks.

    Jupyter Book always loads sphinx-thebe, which points at a CDN copy of thebe;
    the book does not use live kernels, so its scripts are dropped. Colab can open
    .ipynb files only, so markdown pages lose the launch button.
    """
    # The theme's template reads `default_mode`, which nothing sets: on a reader's
    # first visit it then logs "Got invalid theme mode" as a console error.
    context.setdefault("default_mode", "auto")
    context["script_files"] = [
        script
        for script in context.get("script_files", [])
        if "thebe" not in str(script)
        and "thebe" not in str(getattr(script, "attributes", {}).get("body", ""))
    ]
    if context.get("page_source_suffix") != ".ipynb":
        context["header_buttons"] = [
            button
            for button in context.get("header_buttons", [])
            if button.get("label") != "launch-buttons"
        ]
    if "generate_toctree_html" in context:
        context["generate_toctree_html"] = _named_toggles(context["generate_toctree_html"])
    if "body" in context:
        # docutils marks bibliography entries `doc-biblioentry` (a deprecated role)
        # inside a `role="list"`, which may hold only list items.
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')
    if _MARKER in context.get("body", ""):
        # Plain strings are rendered by Sphinx's js_tag as <script src=...>.
        context["script_files"] += ["_static/plotly.min.js", "_static/polysemantic-plotly.js"]


def _configure(app: Any, config: Any) -> None:
    config.mathjax_path = MATHJAX_ENTRY
    # One search box, the sidebar's. The book theme empties the header bar, but the
    # PyData theme under it puts a search field there unless `navbar_persistent` is
    # set explicitly; with nothing in it, the header bar is not drawn at all.
    config.html_theme_options.setdefault("navbar_persistent", [])
    # Chapters executed by the build show no progress bars in their outputs.
    os.environ["POLYSEMANTIC_PROGRESS"] = "0"
    # Their kernels run torch on one thread, as the tests and `polysemantic execute`
    # do: two spinning OpenMP threads on a busy 2-core machine slow a chapter several
    # fold (chapter 01's training: 25 s instead of 190 s, past the cell time limit).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")


def setup(app: Any) -> dict[str, Any]:
    app.setup_extension("polysemantic.authoring.quiz")  # the {quiz} directive
    app.connect("config-inited", _configure)
    app.connect("doctree-resolved", _describe_figures)
    app.add_css_file(STYLESHEET)
    # After the theme's own handlers (priority 500), which add the launch buttons.
    app.connect("html-page-context", _page_scripts, priority=900)
    app.connect("build-finished", _copy_assets)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
