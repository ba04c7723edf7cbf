"""Run an answer on a case, and judge what it returned.

The two halves are separate on purpose. `run_answer` calls the learner's code
and keeps only plain numbers; `judge` compares those numbers with the
reference (or checks their properties, for a training loop), names a common
mistake when the numbers show one, and awards points. In a notebook both happen
in the learner's kernel; the classroom grader runs the first half in a sandboxed
process and the second in its own.
"""

from __future__ import annotations

import contextlib
import copy
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from polysemantic.grading.compare import NotAnArray, compare, describe, to_array
from polysemantic.grading.question import Case, Mistake, Question
from polysemantic.grading.results import CaseResult, Status


@dataclass(frozen=True)
class Outcome:
    """What an answer produced on one case: an array, or why there is none."""

    value: np.ndarray | None = None
    error: str | None = None
    not_attempted: bool = False


class TimeLimitExceeded(Exception):
    """A case ran past its question's time limit."""


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise TimeLimitExceeded in the block after `seconds` of wall time (Unix, main
    thread only; elsewhere no limit, and the grader's own timeout still applies)."""
    usable = (
        seconds is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise TimeLimitExceeded(f"took longer than the case's limit of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_answer(answer: Callable[..., Any], case: Case, seconds: float | None = None) -> Outcome:
    """Call `answer(**case.inputs)` on a private copy of the inputs, within `seconds`."""
    inputs = copy.deepcopy(case.inputs)
    try:
        with time_limit(seconds):
            value = answer(**inputs)
    except NotImplementedError:
        return Outcome(not_attempted=True)
    except TimeLimitExceeded as error:
        return Outcome(error=str(error))
    except Exception as error:  # the learner's bug, reported as the case's message
        return Outcome(error=f"raised {type(error).__name__}: {error}")
    try:
        return Outcome(value=to_array(value))
    except NotAnArray as error:
        return Outcome(error=str(error))


def _matching_mistake(question: Question, case: Case, got: np.ndarray) -> Mistake | None:
    """The named mistake an output shows, if any. A mistake's check that raises on an
    output it did not expect (another shape, say) means "not this mistake"."""
    if question.outcome is not None:  # a training loop: recognise a mistake by its sign
        for mistake in question.mistakes:
            try:
                if mistake.sign is not None and mistake.sign(case.inputs, case.truth, got):
                    return mistake
            except Exception:  # noqa: BLE001 - a sign that cannot read the output
                continue
        return None
    for mistake in question.mistakes:
        try:  # a mistake may not apply to every case (a transpose of a non-square W)
            wrong = to_array(mistake.answer(**copy.deepcopy(case.inputs)))
        except Exception:  # noqa: BLE001 - a mistake that does not apply to this case
            continue
        if wrong.shape == got.shape and compare(got, wrong, question.atol, question.rtol).ok:
            return mistake
    return None


def judge(question: Question, case: Case, outcome: Outcome) -> CaseResult:
    """Compare an outcome with the reference's output on the same case, or check the
    properties the question's outcome check asks of it."""
    if outcome.not_attempted:
        return CaseResult(case.name, case.hidden, Status.NOT_ATTEMPTED, "not attempted yet")
    if outcome.error is not None or outcome.value is None:
        return CaseResult(case.name, case.hidden, Status.ERROR, outcome.error or "no answer")
    if question.outcome is not None:
        try:
            comparison = question.outcome(case.inputs, case.truth, outcome.value)
        except Exception:  # noqa: BLE001 - an output the check cannot read fails this case
            return CaseResult(
                case.name,
                case.hidden,
                Status.FAILED,
                f"got {describe(outcome.value)}, which this check cannot read: "
                "see the exercise for the shape it asks for",
            )
    else:
        expected = to_array(question.reference(**copy.deepcopy(case.inputs)))
        comparison = compare(outcome.value, expected, question.atol, question.rtol)
    if comparison.ok:
        return CaseResult(case.name, case.hidden, Status.PASSED, comparison.message)
    mistake = _matching_mistake(question, case, outcome.value)
    return CaseResult(
        case.name,
        case.hidden,
        Status.FAILED,
        comparison.message,
        mistake.hint if mistake else None,
        mistake.name if mistake else None,
    )


def award(question: Question, results: list[CaseResult], cases: list[Case] | None = None) -> float:
    """Points for a question: public and hidden cases each share their part. With the
    `cases`, the cases of one group count as one, passed only when all of them pass."""
    groups = [c.group for c in cases] if cases is not None else [None] * len(results)
    public = [(r, g) for r, g in zip(results, groups, strict=True) if not r.hidden]
    hidden = [(r, g) for r, g in zip(results, groups, strict=True) if r.hidden]
    if not hidden:
        shares = [(public, 1.0)]
    elif not public:
        shares = [(hidden, 1.0)]
    else:
        shares = [(public, 1.0 - question.hidden_share), (hidden, question.hidden_share)]
    points = 0.0
    for part, share in shares:
        units: dict[object, bool] = {}
        for k, (result, group) in enumerate(part):
            key = ("group", group) if group is not None else ("case", k)
            units[key] = units.get(key, True) and result.status == Status.PASSED
        if units:
            points += question.points * share * sum(units.values()) / len(units)
    return round(points, 2)


def summarize(results: list[CaseResult]) -> Status:
    """One status for a question from its cases' statuses."""
    statuses = {r.status for r in results}
    if statuses == {Status.PASSED}:
        return Status.PASSED
    if statuses == {Status.NOT_ATTEMPTED}:
        return Status.NOT_ATTEMPTED
    if Status.PASSED in statuses:
        return Status.PARTIAL
    return Status.ERROR if statuses <= {Status.ERROR, Status.NOT_ATTEMPTED} else Status.FAILED
