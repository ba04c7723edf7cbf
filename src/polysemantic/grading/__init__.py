"""The grading engine: questions and their cases, `check` in notebooks, and the
sandboxed grader for whole submissions (see DESIGN.md, "Exercises and grading").

It knows no chapter. The course lists its questions in one place,
`polysemantic.course`, and hands that bank to the engine. Importing this
package loads only what a notebook's `check` needs; the grader's process and
sandbox code (grade, worker, gradebook, gradescope) load when they are used.
"""

from polysemantic.grading.check import Checker
from polysemantic.grading.question import Case, Mistake, Question, QuestionBank, Verdict
from polysemantic.grading.results import (
    CaseResult,
    QuestionResult,
    Status,
    SubmissionResult,
    SubmissionStatus,
)

__all__ = [
    "Case",
    "CaseResult",
    "Checker",
    "Mistake",
    "Question",
    "QuestionBank",
    "QuestionResult",
    "Status",
    "SubmissionResult",
    "SubmissionStatus",
    "Verdict",
]
