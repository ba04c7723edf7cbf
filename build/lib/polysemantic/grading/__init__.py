"""Grading: questions with cases and named mistakes, `check` in notebooks, and
`grade_notebook` for whole submissions (see DESIGN.md, "Grading")."""

from polysemantic.grading.check import check, needs_answer, run_check, score, score_report
from polysemantic.grading.grade import grade_notebook
from polysemantic.grading.notebook import NotebookError
from polysemantic.grading.question import (
    Case,
    Mistake,
    Question,
    all_questions,
    get_question,
    questions_for_chapter,
)

__all__ = [
    "Case", "Mistake", "NotebookError", "Question", "all_questions", "check", "get_question",
    "grade_notebook", "needs_answer", "questions_for_chapter", "run_check", "score", "score_report",
]
