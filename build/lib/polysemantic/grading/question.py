"""What a graded question is: an id, points, cases, a reference, and named mistakes.

A question is declared in the library module that holds its reference
implementation (for example `polysemantic.monosemanticity`), so the check sits
beside the code it compares against. The learner writes a function with the
same signature; a case calls both on the same inputs and compares the outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Inputs = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One set of keyword arguments for the answer, with a short name."""

    name: str
    inputs: Inputs
    hidden: bool = False


@dataclass(frozen=True)
class Mistake:
    """A wrong answer learners commonly give, and the hint that names it.

    `answer` is a deliberately wrong implementation with the reference's
    signature: when a learner's output matches it, the hint is shown. The
    tests feed every mistake to `check` to prove the question rejects it.
    """

    name: str
    hint: str
    answer: Callable[..., Any]


@dataclass(frozen=True)
class Question:
    """A graded question `NN.name` worth `points`.

    public_cases() are what the learner's `check` runs; hidden_cases(seed) are
    other shapes, seeds and edge cases that only the grader runs, drawn from a
    seed the learner does not know. `hidden_share` of the points rides on them.
    """

    id: str
    title: str
    points: float
    answer_name: str
    reference: Callable[..., Any]
    public_cases: Callable[[], list[Case]]
    hidden_cases: Callable[[int], list[Case]] = field(default=lambda seed: [])
    mistakes: tuple[Mistake, ...] = ()
    atol: float = 1e-4
    rtol: float = 1e-4
    hidden_share: float = 0.5

    @property
    def chapter(self) -> str:
        return self.id.split(".", 1)[0]


_REGISTRY: dict[str, Question] = {}


def register(question: Question) -> Question:
    """Add a question to the course's registry (ids are unique)."""
    if question.id in _REGISTRY and _REGISTRY[question.id] is not question:
        raise ValueError(f"question {question.id!r} is registered twice")
    chapter, _, name = question.id.partition(".")
    if not (len(chapter) == 2 and chapter.isdigit() and name):
        raise ValueError(f"question id {question.id!r} is not of the form 'NN.name'")
    _REGISTRY[question.id] = question
    return question


def _load_chapters() -> None:
    """Import every chapter module so that its questions are registered."""
    from polysemantic import chapters  # noqa: F401


def get_question(question_id: str) -> Question:
    _load_chapters()
    try:
        return _REGISTRY[question_id]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise KeyError(f"no question {question_id!r}; known questions: {known}") from None


def questions_for_chapter(chapter: str) -> list[Question]:
    """The chapter's questions in the order they were declared."""
    _load_chapters()
    return [q for q in _REGISTRY.values() if q.chapter == chapter]


def all_questions() -> list[Question]:
    _load_chapters()
    return list(_REGISTRY.values())
