"""Sphinx extension: each chapter page links its printable handout, and the built
book carries the participants' PDFs in `handouts/` (never the facilitator's guide).

The link goes right after the chapter's `handout-summary` admonition (a dropdown,
the block the handout's text comes from), so it shows while the block is closed.
The PDFs are copied from `_build/handouts/` when
`polysemantic handouts` has written them all, and built afresh otherwise.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from docutils import nodes

from polysemantic.authoring.handouts import CHEAT_SHEET, SUMMARY_CLASS

FOLDER = "handouts"


def _link(app: Any, doctree: nodes.document, docname: str) -> None:
    if not docname.startswith("chapters/"):
        return
    stem = docname.split("/", 1)[1]
    for admonition in list(doctree.findall(nodes.admonition)):
        if SUMMARY_CLASS in admonition["classes"]:
            link = nodes.reference(
                "", "Print this chapter's handout (PDF)", refuri=f"../{FOLDER}/{stem}.pdf"
            )
            parent = admonition.parent
            parent.insert(parent.index(admonition) + 1, nodes.paragraph("", "", link))


def _include(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    from polysemantic.authoring.handouts import build, chapter_stems

    root = Path(app.srcdir)
    target = Path(app.outdir) / FOLDER
    built = root / "_build" / FOLDER
    names = [f"{s}.pdf" for s in chapter_stems(root)] + [CHEAT_SHEET]
    if all((built / name).exists() for name in names):
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copy2(built / name, target / name)
    else:
        build(root, target, force=True, facilitator=False)


def setup(app: Any) -> dict[str, Any]:
    app.connect("doctree-resolved", _link)
    app.connect("build-finished", _include)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
