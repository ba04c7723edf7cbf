"""The learner's side of grading: `check`, `score` and `needs_answer`.

    check("01.response_matrix", response_matrix)

runs the question's public cases on the learner's function at once and prints,
per case, pass or fail, what was expected against what came back, and a hint
when the answer matches a common mistake. `score()` prints the running total.

A `Checker` holds one notebook session's results for one question bank; the
course makes one (`polysemantic.course`) and hands out its methods.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from polysemantic.grading.judge import award, judge, run_answer, summarize
from polysemantic.grading.question import QuestionBank
from polysemantic.grading.results import QuestionResult, Status

_MARK = {Status.PASSED: "✓", Status.NOT_ATTEMPTED: "·"}


def _report(title: str, result: QuestionResult) -> str:
    lines = [f"{result.question_id} · {title}"]
    for case in result.cases:
        mark = _MARK.get(case.status, "✗")
        detail = "" if case.status == Status.PASSED else f": {case.message}"
        lines.append(f"  {mark} {case.name}{detail}")
        if case.hint:
            lines.append(f"      Hint: {case.hint}")
    if result.status == Status.NOT_ATTEMPTED:
        verdict = "not attempted: replace `raise NotImplementedError` with your code, then rerun"
    else:
        verdict = "all cases pass" if result.status == Status.PASSED else str(result.status)
    lines.append(f"  {result.points:g} / {result.max_points:g} points ({verdict})")
    return "\n".join(lines)


class Checker:
    """`check`, `score` and `needs_answer` for one notebook session over `bank`."""

    def __init__(self, bank: QuestionBank):
        self.bank = bank
        self.results: dict[str, QuestionResult] = {}
        self.skipped: set[str] = set()  # questions whose dependent cells were skipped so far

    def check(self, question_id: str, answer: Callable[..., Any]) -> None:
        """Check `answer` against question `question_id`'s public cases and print the report."""
        try:
            result = self.run_check(question_id, answer)
        except (KeyError, TypeError) as error:  # a wrong id or a non-function: no traceback
            print(f"✗ {error.args[0]}")
            return
        print(_report(self.bank.get(question_id).title, result))

    def run_check(self, question_id: str, answer: Callable[..., Any]) -> QuestionResult:
        """What `check` does, without printing: the cases' results and the points."""
        question = self.bank.get(question_id)
        if not callable(answer):
            raise TypeError(
                f"check({question_id!r}, ...) needs the function you wrote, "
                f"`{question.answer_name}`, not a {type(answer).__name__}"
            )
        cases = question.public_cases()
        results = [
            judge(question, case, run_answer(answer, case, question.time_limit)) for case in cases
        ]
        result = QuestionResult(
            question_id=question.id,
            points=award(question, results, cases),
            max_points=question.points,
            status=summarize(results),
            cases=results,
        )
        self.results[question.id] = result
        return result

    def score(self, chapter: str | None = None) -> None:
        """Print the points earned so far in a chapter's notebook, question by question.

        With no argument the chapter is the one of the questions checked so far.
        """
        print(self.score_report(chapter)[1])

    def score_report(self, chapter: str | None = None) -> tuple[float, str]:
        """The points earned so far in a chapter, and the text `score` prints."""
        if chapter is None:
            checked = sorted({qid.split(".")[0] for qid in self.results})
            if not checked:
                return 0.0, "No question checked yet: run the cells with `check(...)` first."
            chapter = checked[-1]
        questions = self.bank.for_chapter(chapter)
        earned = sum(self.results[q.id].points for q in questions if q.id in self.results)
        total = sum(q.points for q in questions)
        lines = [f"Chapter {chapter}: {earned:g} / {total:g} points"]
        for q in questions:
            result = self.results.get(q.id)
            status = str(result.status) if result else "not checked"
            got = f"{result.points:g}" if result else "0"
            lines.append(f"  {q.id:<32} {got:>5} / {q.points:g}  {status}")
        return earned, "\n".join(lines)

    @contextlib.contextmanager
    def needs_answer(self, *question_ids: str) -> Iterator[None]:
        """Run a block that uses the learner's answers; skip it politely while unsolved.

        with needs_answer("01.response_matrix"):
            R = response_matrix(W, b)
            show(heatmap(R))
        """
        names = ", ".join(question_ids)
        try:
            yield
        except NotImplementedError:
            self.skipped.update(question_ids)
            which = (
                "answer to {}, which is not written yet"
                if len(question_ids) == 1
                else "answers to {}, not all written yet"
            ).format(names)
            print(f"⏭ This cell uses your {which}. It will run once you solve the exercise.")
        except NameError as error:
            if not self.skipped:  # a genuine bug in the cell: let it show
                raise
            print(
                f"⏭ This cell needs {error.name!r}, made by an earlier cell that was skipped "
                f"(it waits for {', '.join(sorted(self.skipped))}). Solve that exercise, then "
                "rerun the cells from there."
            )
        else:
            self.skipped.difference_update(question_ids)
