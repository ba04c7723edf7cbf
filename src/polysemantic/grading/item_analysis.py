"""Item analysis: how the class did on each question and each case.

For every question, and every case of it, the share of the class that passed, and
the named mistake whose hint fired most often (counted once per submission). The
class is every submission of the question's chapter, graded or not: a notebook that
timed out passed nothing.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from polysemantic.grading.question import Question
from polysemantic.grading.results import Status, SubmissionResult


@dataclass(frozen=True)
class Item:
    """One row: a question as a whole (case None) or one of its cases."""

    question_id: str
    case: str | None
    hidden: bool
    submissions: int
    passed: int
    top_mistake: str | None = None
    top_mistake_count: int = 0

    @property
    def share(self) -> float:
        return self.passed / self.submissions if self.submissions else 0.0


def _top(counter: Counter) -> tuple[str | None, int]:
    if not counter:
        return None, 0
    (name, count), *_ = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    return name, count


def analyse(results: Iterable[SubmissionResult], questions: Iterable[Question]) -> list[Item]:
    """Rows for every question the results' chapters hold, each followed by its cases."""
    results = list(results)
    items: list[Item] = []
    for question in questions:
        cohort = [r for r in results if r.chapter == question.chapter]
        if not cohort:
            continue
        graded = [r.questions[question.id] for r in cohort if question.id in r.questions]
        case_names: list[tuple[str, bool]] = []
        for result in graded:
            for case in result.cases:
                if (case.name, case.hidden) not in case_names:
                    case_names.append((case.name, case.hidden))
        mistakes = Counter(
            name for q in graded for name in {c.mistake for c in q.cases if c.mistake}
        )
        items.append(
            Item(
                question.id,
                None,
                False,
                len(cohort),
                sum(q.status == Status.PASSED for q in graded),
                *_top(mistakes),
            )
        )
        for name, hidden in case_names:
            cases = [c for q in graded for c in q.cases if (c.name, c.hidden) == (name, hidden)]
            items.append(
                Item(
                    question.id,
                    name,
                    hidden,
                    len(cohort),
                    sum(c.status == Status.PASSED for c in cases),
                    *_top(Counter(c.mistake for c in cases if c.mistake)),
                )
            )
    return items


def table(items: list[Item]) -> str:
    """The analysis as text, for the terminal."""
    lines = []
    for item in items:
        mistake = (
            f"  most common mistake: {item.top_mistake} ({item.top_mistake_count})"
            if item.top_mistake
            else ""
        )
        if item.case is None:
            lines.append(
                f"  {item.question_id:<34} {item.share:>4.0%} passed "
                f"({item.passed} of {item.submissions}){mistake}"
            )
        else:
            label = ("hidden: " if item.hidden else "") + item.case
            lines.append(f"      {label[:40]:<40} {item.share:>4.0%}{mistake}")
    return "\n".join(lines)


def write_csv(items: list[Item], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "question",
                "case",
                "hidden",
                "submissions",
                "passed",
                "share_passed",
                "top_mistake",
                "top_mistake_count",
            ]
        )
        for item in items:
            writer.writerow(
                [
                    item.question_id,
                    item.case or "(question)",
                    "yes" if item.hidden else "no",
                    item.submissions,
                    item.passed,
                    f"{item.share:.3f}",
                    item.top_mistake or "",
                    item.top_mistake_count or "",
                ]
            )
