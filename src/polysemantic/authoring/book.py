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
"""

from __future__ import annotations

import html
import json
import os
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes

PLOTLY_MIME = "application/vnd.plotly.v1+json"
STATIC = Path(__file__).parent / "book_static"
MATHJAX_ENTRY = "mathjax/tex-chtml.js"
_MARKER = "ps-plotly"


def figure_html(spec: dict[str, Any]) -> str:
    """A placeholder div holding one figure's JSON, drawn by polysemantic-plotly.js."""
    meta = spec.get("layout", {}).get("meta", {})
    caption = meta.get("caption", "") if isinstance(meta, dict) else ""
    payload = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
    return (
        f'<div class="{_MARKER}" role="img" aria-label="{html.escape(caption)}">'
        f'<script type="application/json">{payload}</script></div>'
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
    # After the theme's own handlers (priority 500), which add the launch buttons.
    app.connect("html-page-context", _page_scripts, priority=900)
    app.connect("build-finished", _copy_assets)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
