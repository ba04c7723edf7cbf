"""The book's "Check your understanding" sections: a chapter's quiz as plain HTML.

In a chapter page (MyST), after the section's heading:

    ```{quiz} 06
    ```

renders chapter 06's quiz (`polysemantic.course.QUIZZES`, declared in
`polysemantic.questions.<stem>`). Each question is a fieldset whose legend is the
prompt, with one radio input and label per option and a live region below them;
`polysemantic-quiz.js`, served by the book, fills that region with whether the chosen
option is right and why, and marks the option in words, not only in colour. Every
explanation is also in the page, in a closed "every answer, explained" list, so the
section still works without scripts. No kernel and no network: the script and its
stylesheet are the book's own files, added only to pages with a quiz.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from polysemantic.grading.quiz import Quiz, QuizItem

STATIC = Path(__file__).parent / "book_static"
SCRIPT, STYLESHEET = "polysemantic-quiz.js", "polysemantic-quiz.css"
MARKER = "ps-quiz"
INTRO = (
    "Choose an answer to each question: the page tells you at once whether it is right, "
    "and why. Nothing is recorded: try the other answers too."
)


def _item_html(chapter: str, number: int, item: QuizItem) -> str:
    """One question: a fieldset of radio options, a live region, and every explanation."""
    name = f"{MARKER}-{chapter}-{number}"
    options = "".join(
        f'<div class="{MARKER}-option">'
        f'<input type="radio" name="{name}" id="{name}-{n}" value="{n}">'
        f'<label for="{name}-{n}"><span class="{MARKER}-n">{n}</span> '
        f"{html.escape(option.text)}</label></div>"
        for n, option in enumerate(item.options, start=1)
    )
    explained = "".join(
        f'<li class="{MARKER}-{"right" if option.right else "wrong"}">'
        f'<span class="{MARKER}-verdict">{"✓ Right" if option.right else "✗ Not right"}:</span> '
        f"<strong>{html.escape(option.text)}</strong>. "
        f'<span class="{MARKER}-explanation">{html.escape(option.why)}</span></li>'
        for option in item.options
    )
    return (
        f'<div class="{MARKER}-item" id="{name}">'
        f"<fieldset><legend>"
        f'<span class="{MARKER}-number">Question {number}.</span> {html.escape(item.prompt)}'
        f"</legend>{options}</fieldset>"
        f'<p class="{MARKER}-feedback" role="status" aria-live="polite"></p>'
        f'<details class="{MARKER}-answers"><summary>Every answer, explained</summary>'
        f'<ol class="{MARKER}-why">{explained}</ol></details>'
        f"</div>"
    )


def quiz_html(quiz: Quiz) -> str:
    """The whole section's body: a short introduction, then every question."""
    items = "".join(
        _item_html(quiz.chapter, number, item) for number, item in enumerate(quiz.items, start=1)
    )
    return (
        f'<div class="{MARKER}" data-chapter="{quiz.chapter}">'
        f'<p class="{MARKER}-intro">{html.escape(INTRO)}</p>{items}</div>'
    )


class QuizDirective(SphinxDirective):
    """```{quiz} NN```: chapter NN's check of understanding."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        from polysemantic import course

        chapter = self.arguments[0]
        quiz = course.QUIZZES.get(chapter)
        if quiz is None:
            known = ", ".join(sorted(course.QUIZZES))
            raise self.error(f"no quiz for chapter {chapter!r}; chapters with one: {known}")
        # Rebuild the page when its questions, or how they are rendered, change.
        for module in course.CHAPTERS:
            if module.QUIZ is quiz:
                self.env.note_dependency(module.__file__)
        self.env.note_dependency(__file__)
        return [nodes.raw("", quiz_html(quiz), format="html")]


def _page_assets(app: Any, pagename: str, templatename: str, context: dict, doctree: Any):
    """The quiz's script and stylesheet, on the pages that have a quiz."""
    if MARKER in context.get("body", ""):
        app.add_css_file(STYLESHEET)
        app.add_js_file(SCRIPT)


def _copy_assets(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    for name in (SCRIPT, STYLESHEET):
        shutil.copy2(STATIC / name, static)


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("quiz", QuizDirective)
    app.connect("html-page-context", _page_assets)
    app.connect("build-finished", _copy_assets)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
