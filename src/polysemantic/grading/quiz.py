"""A check of understanding: multiple-choice items, and the graded question they make.

A chapter declares its quiz as data (`Quiz`, `QuizItem`, `Option`) beside its other
graded questions. The same data makes the book's section (rendered by
`polysemantic.authoring.quiz`), the notebook's list of questions (`QuizSheet`) and a
graded question (`quiz_question`): the learner's function returns the number of the
option they choose for each item, each item is one case, and a wrong choice fails
its case with that option's explanation. An option that embodies a common
misconception names it; choosing it also shows that name as the hint.

Options are numbered from 1, on the page and in the notebook alike.

The question carries no points (POINTS = 0): its right answers are on every edition
of the book's page, in the installed package and in `check()` itself, so a grade on
them would measure who looked. `check` and the grader still judge every item and
report it (passed or not, with the option's explanation); the gradebook shows the
items, and no total counts them. A graded check of understanding would need items
drawn from a pool that no edition reveals; the course has none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from polysemantic.grading.question import Case, Inputs, Mistake, Question, Verdict

QUESTION_NAME = "check_your_understanding"  # the id is NN.check_your_understanding
POINTS = 0  # a self-check: reported, never scored (see above)


@dataclass(frozen=True)
class Option:
    """One answer to choose: its text, and why it is right or why it is wrong.

    `misconception` names the belief that leads a learner to this (wrong) option.
    """

    text: str
    why: str
    right: bool = False
    misconception: str | None = None


@dataclass(frozen=True)
class QuizItem:
    """One multiple-choice question with exactly one right option.

    `evidence` holds words or printed lines of the chapter's page (exactly as the
    built page shows them) that the answer rests on; the book's tests find each one
    on the page, so a question cannot outlive the numbers it quotes.
    """

    prompt: str
    options: tuple[Option, ...]
    evidence: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if len(self.options) < 2:
            raise ValueError(f"{self.prompt[:40]!r}: a question needs at least two options")
        if sum(option.right for option in self.options) != 1:
            raise ValueError(f"{self.prompt[:40]!r}: exactly one option must be right")
        for option in self.options:
            if not option.why.strip():
                raise ValueError(f"{self.prompt[:40]!r}: option {option.text!r} has no explanation")
            if option.right and option.misconception:
                raise ValueError(f"{self.prompt[:40]!r}: the right option holds no misconception")

    @property
    def answer(self) -> int:
        """The number of the right option (from 1)."""
        return next(n for n, option in enumerate(self.options, start=1) if option.right)


@dataclass(frozen=True)
class Quiz:
    """A chapter's check of understanding: 3 to 5 items."""

    chapter: str
    items: tuple[QuizItem, ...]

    def __post_init__(self) -> None:
        if not 3 <= len(self.items) <= 5:
            raise ValueError(f"chapter {self.chapter}: a quiz has 3 to 5 items")

    @property
    def question_id(self) -> str:
        return f"{self.chapter}.{QUESTION_NAME}"

    def answers(self) -> list[int]:
        """The right option of every item, numbered from 1."""
        return [item.answer for item in self.items]

    def verdict(self, inputs: Inputs, truth: Inputs, chosen: np.ndarray) -> Verdict:
        """Judge the learner's choice for item `truth["item"]` (an outcome check)."""
        n = len(self.items)
        if chosen.ndim != 1 or len(chosen) != n:
            return Verdict(
                False,
                f"return one option number per question, a list of {n} numbers "
                f"(got an array of shape {tuple(chosen.shape)})",
            )
        item = self.items[truth["item"]]
        choice = float(chosen[truth["item"]])
        if choice == 0:
            return Verdict(False, "there is no option 0: options are numbered from 1")
        if not choice.is_integer() or not 1 <= choice <= len(item.options):
            return Verdict(
                False, f"this question has options 1 to {len(item.options)}; got {choice:g}"
            )
        option = item.options[int(choice) - 1]
        verdict = "right" if option.right else f"you chose {int(choice)} ({option.text})"
        return Verdict(option.right, f"{verdict}. {option.why}")

    def chose(self, item: int, option: int) -> Callable[[Inputs, Inputs, np.ndarray], bool]:
        """A mistake's sign: item `item` (from 0) was answered with option `option`."""

        def sign(inputs: Inputs, truth: Inputs, chosen: np.ndarray) -> bool:
            return (
                truth["item"] == item
                and chosen.ndim == 1
                and len(chosen) == len(self.items)
                and float(chosen[item]) == option
            )

        return sign

    def mistakes(self) -> tuple[Mistake, ...]:
        """One named mistake per misconception: the right answers, but for one item the
        option that holds it."""
        found = []
        for k, item in enumerate(self.items):
            for number, option in enumerate(item.options, start=1):
                if option.misconception:
                    choices = self.answers()
                    choices[k] = number
                    found.append(
                        Mistake(
                            name=option.misconception,
                            hint=f"a common misconception: {option.misconception}.",
                            answer=lambda choices=choices: list(choices),
                            sign=self.chose(k, number),
                        )
                    )
        return tuple(found)


def quiz_question(quiz: Quiz, reference: Callable[[], list[int]]) -> Question:
    """The graded question of a quiz: one case per item, judged by `Quiz.verdict`.

    `reference` returns `quiz.answers()`; it is a function of the chapter's question
    module, like every other question's reference. The items are printed on the
    chapter's page, so there are no hidden cases.
    """
    return Question(
        id=quiz.question_id,
        title="check your understanding",
        points=POINTS,
        answer_name=QUESTION_NAME,
        reference=reference,
        public_cases=lambda: [
            Case(f"question {k}", {}, truth={"item": k - 1}) for k in range(1, len(quiz.items) + 1)
        ],
        mistakes=quiz.mistakes(),
        outcome=quiz.verdict,
    )


class QuizSheet:
    """A quiz's questions and numbered options, as a notebook shows them (no answers)."""

    def __init__(self, quiz: Quiz):
        self.quiz = quiz

    def _lines(self, markdown: bool) -> list[str]:
        lines = []
        for k, item in enumerate(self.quiz.items, start=1):
            lines.append(f"**Question {k}.** {item.prompt}" if markdown else f"{k}. {item.prompt}")
            lines.append("")
            for n, option in enumerate(item.options, start=1):
                lines.append(f"{n}. {option.text}" if markdown else f"   {n}) {option.text}")
            lines.append("")
        return lines

    def _repr_markdown_(self) -> str:
        return "\n".join(self._lines(markdown=True)).strip() + "\n"

    def __repr__(self) -> str:
        return "\n".join(self._lines(markdown=False)).strip()
