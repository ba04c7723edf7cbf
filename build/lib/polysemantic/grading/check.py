"""The learner's side of grading: `check`, `score` and `needs_answer`.

    check("01.response_matrix", response_matrix)

runs the question's public cases on the learner's function at once and prints,
per case, pass or fail, what was expected against what came back, and a hint
when the answer matches a common mistake. `score()` prints the running total.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from polysemantic.grading.judge import (
    NOT_ATTEMPTED,
    PASSED,
    CaseResult,
    award,
    judge,
    run_answer,
    summarize,
)
from polysemantic.grading.question import get_question, questions_for_chapter

_MARK = {PASSED: "✓", NOT_ATTEMPTED: "·"}


@dataclass(frozen=True)
class CheckResult:
    question_id: str
    points: float
    max_points: float
    status: str
    cases: list[CaseResult]


_results: dict[str, CheckResult] = {}
_skipped: set[str] = set()  # questions whose dependent cells were skipped so far


def _report(title: str, result: CheckResult) -> str:
    lines = [f"{result.question_id} · {title}"]
    for case in result.cases:
        mark = _MARK.get(case.status, "✗")
        detail = "" if case.status == PASSED else f": {case.message}"
        lines.append(f"  {mark} {case.name}{detail}")
        if case.hint:
            lines.append(f"      Hint: {case.hint}")
    if result.status == NOT_ATTEMPTED:
        verdict = "not attempted: replace `raise NotImplementedError` with your code, then rerun"
    else:
        verdict = "all cases pass" if result.status == PASSED else result.status
    lines.append(f"  {result.points:g} / {result.max_points:g} points ({verdict})")
    return "\n".join(lines)


def check(question_id: str, answer: Callable[..., Any]) -> None:
    """Check `answer` against question `question_id`'s public cases and print the report."""
    try:
        result = run_check(question_id, answer)
    except (KeyError, TypeError) as error:  # a wrong id or a non-function: say so, no traceback
        print(f"✗ {error.args[0]}")
        return
    print(_report(get_question(question_id).title, result))


def run_check(question_id: str, answer: Callable[..., Any]) -> CheckResult:
    """What `check` does, without printing: the cases' results and the points."""
    question = get_question(question_id)
    if not callable(answer):
        raise TypeError(
            f"check({question_id!r}, ...) needs the function you wrote, "
            f"`{question.answer_name}`, not a {type(answer).__name__}"
        )
    cases = question.public_cases()
    results = [judge(question, case, run_answer(answer, case)) for case in cases]
    result = CheckResult(
        question_id=question.id,
        points=award(question, results),
        max_points=question.points,
        status=summarize(results),
        cases=results,
    )
    _results[question.id] = result
    return result


def score(chapter: str | None = None) -> None:
    """Print the points earned so far in a chapter's notebook, question by question.

    With no argument the chapter is the one of the questions checked so far.
    """
    print(score_report(chapter)[1])


def score_report(chapter: str | None = None) -> tuple[float, str]:
    """The points earned so far in a chapter, and the text `score` prints."""
    if chapter is None:
        checked = sorted({qid.split(".")[0] for qid in _results})
        if not checked:
            return 0.0, "No question checked yet: run the cells with `check(...)` first."
        chapter = checked[-1]
    questions = questions_for_chapter(chapter)
    earned = sum(_results[q.id].points for q in questions if q.id in _results)
    total = sum(q.points for q in questions)
    lines = [f"Chapter {chapter}: {earned:g} / {total:g} points"]
    for q in questions:
        result = _results.get(q.id)
        status = result.status if result else "not checked"
        got = f"{result.points:g}" if result else "0"
        lines.append(f"  {q.id:<32} {got:>5} / {q.points:g}  {status}")
    return earned, "\n".join(lines)


@contextlib.contextmanager
def needs_answer(*question_ids: str) -> Iterator[None]:
    """Run a block that uses the learner's answers; skip it politely while unsolved.

        with needs_answer("01.response_matrix"):
            R = response_matrix(W, b)
            show(heatmap(R))
    """
    names = ", ".join(question_ids)
    try:
        yield
    except NotImplementedError:
        _skipped.update(question_ids)
        which = ("answer to {}, which is not written yet" if len(question_ids) == 1
                 else "answers to {}, not all written yet").format(names)
        print(f"⏭ This cell uses your {which}. It will run once you solve the exercise.")
    except NameError as error:
        if not _skipped:  # a genuine bug in the cell: let it show
            raise
        print(
            f"⏭ This cell needs {error.name!r}, made by an earlier cell that was skipped "
            f"(it waits for {', '.join(sorted(_skipped))}). Solve that exercise, then rerun "
            "the cells from there."
        )
    else:
        _skipped.difference_update(question_ids)
