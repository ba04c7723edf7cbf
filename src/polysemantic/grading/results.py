"""What grading produces, as types: a case's, a question's and a submission's result.

Every tool of the course (the notebook's `check`, the gradebook, Gradescope) reads
these. `to_json` writes the grading contract that `grades.json` and
`polysemantic grade --json` hold:

    {"notebook": str, "chapter": "NN" | None, "status": "graded" | "<status>: <detail>",
     "notes": [str], "questions": {id: {"points", "max_points", "status", "message",
     "cases": [{"name", "hidden", "status", "message", "hint", "mistake"}]}},
     "total": float, "max_total": float, "sandbox": {...}}

`mistake` (the named mistake a hint comes from) and `sandbox` (the protections in
force, see sandbox.Protections) were added later; readers of the older contract
can ignore them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class _Word(str, Enum):
    """An enum whose members print as their word ("passed", not "Status.PASSED")."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class Status(_Word):
    """How a case, or a question as a whole, went."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # the answer raised, or returned something that is not numbers
    NOT_ATTEMPTED = "not attempted"  # still raises NotImplementedError
    PARTIAL = "partial"  # a question with some cases passed (never a case's status)
    MISSING = "missing"  # no function of the answer's name in the notebook


class SubmissionStatus(_Word):
    """How grading a whole submission went."""

    GRADED = "graded"
    TIMEOUT = "timeout"  # the answers ran past the time limit
    CRASH = "crash"  # the submission's code ended the grading process
    UNREADABLE = "unreadable"  # not a notebook the grader can read
    ERROR = "error"  # a fault of the grader's own


@dataclass(frozen=True)
class CaseResult:
    name: str
    hidden: bool
    status: Status
    message: str
    hint: str | None = None
    mistake: str | None = None  # the name of the named mistake whose hint this is

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "hidden": self.hidden,
            "status": self.status.value,
            "message": self.message,
            "hint": self.hint,
            "mistake": self.mistake,
        }


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    points: float
    max_points: float
    status: Status
    message: str = ""
    cases: list[CaseResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "points": self.points,
            "max_points": self.max_points,
            "status": self.status.value,
            "message": self.message,
            "cases": [case.to_json() for case in self.cases],
        }


@dataclass(frozen=True)
class SubmissionResult:
    notebook: str
    chapter: str | None
    status: SubmissionStatus
    detail: str | None = None  # why, for a timeout or a crash
    notes: list[str] = field(default_factory=list)
    questions: dict[str, QuestionResult] = field(default_factory=dict)
    total: float = 0.0
    max_total: float = 0.0
    sandbox: dict[str, Any] | None = None  # the protections in force (sandbox.Protections)

    @property
    def status_line(self) -> str:
        """The status, with its detail when there is one: "timeout: the answers took ..."."""
        return self.status.value if self.detail is None else f"{self.status.value}: {self.detail}"

    def to_json(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "chapter": self.chapter,
            "status": self.status_line,
            "notes": list(self.notes),
            "questions": {qid: q.to_json() for qid, q in self.questions.items()},
            "total": self.total,
            "max_total": self.max_total,
            **({"sandbox": self.sandbox} if self.sandbox is not None else {}),
        }


def not_graded(notebook: str, status: SubmissionStatus, reason: str) -> SubmissionResult:
    """A submission that could not be graded at all: 0 points and the reason."""
    return SubmissionResult(notebook=notebook, chapter=None, status=status, notes=[reason])
