"""What a graded question is: an id, points, cases, a reference, and named mistakes.

A chapter's questions are declared as data in `polysemantic.questions.<stem>`,
beside (not inside) the reference implementation they compare against, and the
course lists them all in `polysemantic.course`. The learner writes a function with the
same signature; a case calls both on the same inputs and compares the outputs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Inputs = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One set of keyword arguments for the answer, with a short name.

    `truth` holds what an outcome check compares against (true feature directions,
    say); it stays with the judge and is never passed to the answer. Cases of one
    `group` earn their points together or not at all (the same configuration
    trained for a few steps and for all of them: a loss that falls).
    """

    name: str
    inputs: Inputs
    hidden: bool = False
    truth: Inputs = field(default_factory=dict)
    group: str | None = None


def trained_and_early(
    name: str, inputs: Inputs, truth: Inputs, n_steps: int, early_steps: int, seeds: tuple[int, int]
) -> tuple[Case, Case]:
    """One hidden configuration for a training loop, twice: trained for `n_steps`, and
    for `early_steps` (its truth marked "early": not trained yet, so the loss falls).
    The two earn their points together; `seeds` are the answer's, made of no truth."""
    return (
        Case(
            name,
            {**inputs, "n_steps": n_steps, "seed": seeds[0]},
            hidden=True,
            truth=truth,
            group="configuration",
        ),
        Case(
            f"{name}, {early_steps} steps",
            {**inputs, "n_steps": early_steps, "seed": seeds[1]},
            hidden=True,
            truth={**truth, "early": True},
            group="configuration",
        ),
    )


@dataclass(frozen=True)
class Verdict:
    """What an outcome check concluded about one output, and why."""

    ok: bool
    message: str


# An outcome check: (case inputs, case truth, the answer's output) -> a verdict.
OutcomeCheck = Callable[[Inputs, Inputs, np.ndarray], Verdict]


@dataclass(frozen=True)
class Mistake:
    """A wrong answer learners commonly give, and the hint that names it.

    `answer` is a deliberately wrong implementation with the reference's
    signature. For a question judged by equality, the hint is shown when a
    learner's output matches the mistake's output. For a question judged by its
    outcome (a training loop, whose output depends on every random draw), the
    mistake names a `sign` instead: a property of the output that the mistake
    leaves, checked on failing outputs. The tests feed every mistake to `check`
    to prove the question rejects it with its hint.
    """

    name: str
    hint: str
    answer: Callable[..., Any]
    sign: Callable[[Inputs, Inputs, np.ndarray], bool] | None = None


@dataclass(frozen=True)
class Question:
    """A graded question `NN.name` worth `points`.

    public_cases() are what the learner's `check` runs; hidden_cases(seed) are
    other shapes, seeds and edge cases that only the grader runs, drawn from a
    seed the learner does not know. `hidden_share` of the points rides on them.
    A case passes when the output equals the reference's, or, for a question with
    an `outcome` check, when the output has the properties the check asks for.
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
    # Judge by a property of the output instead of equality with the reference; the
    # reference is then an answer that passes (the tests check it does).
    outcome: OutcomeCheck | None = None
    time_limit: float | None = None  # seconds one case may take, for training loops
    # Library functions that compute the answer, alone or composed with others (a
    # trainer, a splice whose result holds the score): the worker's copy of the library
    # replaces them as it replaces the reference.
    removed: tuple[Callable[..., Any], ...] = ()

    @property
    def chapter(self) -> str:
        return self.id.split(".", 1)[0]


class QuestionBank:
    """A course's questions, in the order they were listed.

    The engine knows no chapter: the course lists its questions in one place
    (`polysemantic.course`) and hands the bank to `check`, the grader and the
    worker. `import_path` ("module:NAME") is how the grader's worker process
    finds the same bank.
    """

    def __init__(self, questions: Iterable[Question], import_path: str):
        self.import_path = import_path
        self._by_id: dict[str, Question] = {}
        for question in questions:
            chapter, _, name = question.id.partition(".")
            if not (len(chapter) == 2 and chapter.isdigit() and name):
                raise ValueError(f"question id {question.id!r} is not of the form 'NN.name'")
            if question.id in self._by_id:
                raise ValueError(f"question {question.id!r} is listed twice")
            self._by_id[question.id] = question

    def get(self, question_id: str) -> Question:
        try:
            return self._by_id[question_id]
        except KeyError:
            known = ", ".join(sorted(self._by_id)) or "none"
            raise KeyError(f"no question {question_id!r}; known questions: {known}") from None

    def for_chapter(self, chapter: str) -> list[Question]:
        """The chapter's questions in the order they were listed."""
        return [q for q in self._by_id.values() if q.chapter == chapter]

    def all(self) -> list[Question]:
        return list(self._by_id.values())

    def chapters(self) -> set[str]:
        return {q.chapter for q in self._by_id.values()}


def load_bank(import_path: str) -> QuestionBank:
    """The bank named by "module:NAME" (what the worker process is told)."""
    module_name, _, name = import_path.partition(":")
    bank = getattr(importlib.import_module(module_name), name)
    if not isinstance(bank, QuestionBank):
        raise TypeError(f"{import_path} is not a QuestionBank")
    return bank
