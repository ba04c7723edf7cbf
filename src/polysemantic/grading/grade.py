"""Grade one notebook: run its answers in the sandbox, judge them here.

This process builds every case (public and hidden) and hands the sandboxed worker
only their inputs as plain data (make_job); the worker hands back numbers, and
they are judged here against the reference. Returns a `SubmissionResult`
(results.py), whose JSON is the grading contract every tool of the course reads.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np

from polysemantic.grading import payload
from polysemantic.grading.judge import Outcome, award, judge, summarize
from polysemantic.grading.notebook import NotebookError, Submission, read_submission
from polysemantic.grading.question import Case, Question, QuestionBank
from polysemantic.grading.results import (
    CaseResult,
    QuestionResult,
    Status,
    SubmissionResult,
    SubmissionStatus,
)
from polysemantic.grading.sandbox import (
    DEFAULT_MEMORY,
    DEFAULT_TIMEOUT,
    Sandbox,
    WorkerFailure,
    shared_sandbox,
)


@functools.lru_cache(maxsize=256)
def cases_for(question: Question, seed: int | None) -> tuple[Case, ...]:
    """A question's public cases, then its hidden ones for `seed`: built once, here."""
    hidden = question.hidden_cases(seed) if seed is not None else []
    return tuple(question.public_cases()) + tuple(hidden)


@functools.lru_cache(maxsize=64)
def _chapter_payload(questions: tuple[Question, ...], seed: int | None) -> tuple[str, bytes]:
    """The questions' cases as plain data: JSON specs, and the arrays as .npz bytes."""
    arrays: dict[str, np.ndarray] = {}
    entries = [
        {
            "id": q.id,
            "answer_name": q.answer_name,
            "time_limit": q.time_limit,
            "cases": [
                {"hidden": case.hidden, "inputs": payload.encode(case.inputs, arrays)}
                for case in cases_for(q, seed)
            ],
        }
        for q in questions
    ]
    return json.dumps(entries), payload.npz_bytes(arrays)


def make_job(
    code: str, questions: list[Question], seed: int | None
) -> tuple[dict[str, Any], bytes]:
    """What the worker gets for one submission: its definitions, the answer names, and
    every case's inputs as plain data. No question, seed or reference."""
    entries, inputs = _chapter_payload(tuple(questions), seed)
    return {"code": code, "questions": json.loads(entries)}, inputs


def _outcome(raw: Any) -> Outcome:
    if not isinstance(raw, dict):
        return Outcome(error="no answer")
    if raw.get("not_attempted"):
        return Outcome(not_attempted=True)
    if "error" in raw:
        return Outcome(error=str(raw["error"]))
    try:
        value = np.asarray(raw["data"], dtype=np.float64).reshape(raw["shape"])
    except (KeyError, TypeError, ValueError):
        return Outcome(error="no answer")
    return Outcome(value=value)


def _message(results: list[CaseResult]) -> str:
    failing = [r for r in results if r.status != Status.PASSED]
    if all(r.status == Status.NOT_ATTEMPTED for r in results):
        return "the function still raises NotImplementedError"
    if not failing:
        return f"all {len(results)} cases pass"
    first = failing[0]
    where = "hidden case" if first.hidden else "case"
    text = f"{len(failing)} of {len(results)} cases fail; {where} '{first.name}': {first.message}"
    return text + (f". Hint: {first.hint}" if first.hint else "")


def _judge_question(question: Question, answer: Any, seed: int | None) -> QuestionResult:
    if not isinstance(answer, dict):
        answer = {}
    if "missing" in answer:
        return QuestionResult(
            question.id, 0.0, question.points, Status.MISSING, str(answer["missing"])
        )
    cases = cases_for(question, seed)
    raw = answer.get("outcomes", [])
    if not isinstance(raw, list):
        raw = []
    results = [
        judge(question, case, _outcome(raw[i] if i < len(raw) else None))
        for i, case in enumerate(cases)
    ]
    return QuestionResult(
        question.id,
        award(question, results),
        question.points,
        summarize(results),
        _message(results),
        results,
    )


def grade_notebook(
    path: Path | str,
    bank: QuestionBank,
    *,
    hidden_seed: int | None = 0,
    timeout: float = DEFAULT_TIMEOUT,
    memory_bytes: int = DEFAULT_MEMORY,
    sandbox: Sandbox | None = None,
) -> SubmissionResult:
    """Grade one notebook. Raises NotebookError when the file cannot be graded at all."""
    return grade_submission(
        read_submission(Path(path), bank.chapters()),
        bank,
        hidden_seed=hidden_seed,
        timeout=timeout,
        memory_bytes=memory_bytes,
        sandbox=sandbox,
    )


def grade_submission(
    submission: Submission,
    bank: QuestionBank,
    *,
    hidden_seed: int | None = 0,
    timeout: float = DEFAULT_TIMEOUT,
    memory_bytes: int = DEFAULT_MEMORY,
    sandbox: Sandbox | None = None,
) -> SubmissionResult:
    """Grade a notebook already read into memory (see notebook.read_submission).

    sandbox: the Sandbox to run it in (default: the process's shared one for `bank`).
    """
    sandbox = sandbox or shared_sandbox(bank.all())
    path = submission.path
    questions = bank.for_chapter(submission.chapter)
    if not questions:
        raise NotebookError(f"{path}: chapter {submission.chapter} has no graded questions")
    job, inputs = make_job(submission.code, questions, hidden_seed)
    answer = sandbox.run(job, inputs, timeout=timeout, memory_bytes=memory_bytes)
    graded: dict[str, QuestionResult] = {}
    for q in questions:
        if isinstance(answer, WorkerFailure):
            graded[q.id] = QuestionResult(
                q.id, 0.0, q.points, Status.ERROR, f"{answer.status}: {answer.detail}"
            )
        else:
            answers = answer.get("answers")
            answers = answers if isinstance(answers, dict) else {}
            graded[q.id] = _judge_question(q, answers.get(q.id, {}), hidden_seed)
    worker_notes = [] if isinstance(answer, WorkerFailure) else answer.get("notes", [])
    worker_notes = worker_notes if isinstance(worker_notes, list) else []
    notes = list(submission.notes) + [str(n) for n in worker_notes if isinstance(n, str)][:20]
    failure = answer if isinstance(answer, WorkerFailure) else None
    return SubmissionResult(
        notebook=str(path),
        chapter=submission.chapter,
        status=failure.status if failure else SubmissionStatus.GRADED,
        detail=failure.detail if failure else None,
        notes=notes,
        questions=graded,
        total=round(sum(g.points for g in graded.values()), 2),
        max_total=sum(q.points for q in questions),
        sandbox=sandbox.protections.with_limits(timeout, memory_bytes).to_json(),
    )
