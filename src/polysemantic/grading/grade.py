"""Grade one notebook: run its answers in the sandbox, judge them here.

This process builds every case (public and hidden) and hands the sandboxed worker
only their inputs as plain data (make_job); the worker hands back numbers, and
they are judged here against the reference. Returns a `SubmissionResult`
(results.py), whose JSON is the grading contract every tool of the course reads.
"""

from __future__ import annotations

import builtins
import functools
import hashlib
import hmac
import json
import re
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

Seed = int | str  # the instructor's seed: a number or any text (the longer, the safer)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,79}")


def case_seed(seed: Seed, question_id: str) -> int:
    """The seed a question's hidden cases are drawn from: HMAC-SHA256 of the question's
    id keyed by the instructor's seed, cut to 31 bits. A hidden input (or this number)
    leads back to the instructor's seed only by trying seeds one by one, so a long
    seed keeps every class's hidden cases private, and each question draws its own."""
    digest = hmac.new(str(seed).encode(), question_id.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


@functools.lru_cache(maxsize=256)
def cases_for(question: Question, seed: Seed | None) -> tuple[Case, ...]:
    """A question's public cases, then its hidden ones for `seed`: built once, here."""
    hidden = question.hidden_cases(case_seed(seed, question.id)) if seed is not None else []
    return tuple(question.public_cases()) + tuple(hidden)


@functools.lru_cache(maxsize=64)
def _chapter_payload(questions: tuple[Question, ...], seed: Seed | None) -> tuple[str, bytes]:
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
    code: str, questions: list[Question], seed: Seed | None
) -> tuple[dict[str, Any], bytes]:
    """What the worker gets for one submission: its definitions, the answer names, and
    every case's inputs as plain data. No question, seed or reference."""
    entries, inputs = _chapter_payload(tuple(questions), seed)
    return {"code": code, "questions": json.loads(entries)}, inputs


# Type names the grader may repeat: Python's own, and those of numpy, torch and the
# library. A name a submission made up (a class `INSTRUCTOR_OVERRIDE`) is never repeated.
KNOWN_TYPES = frozenset(
    [name for name in dir(builtins) if isinstance(getattr(builtins, name), type)]
    + ["NoneType", "function", "generator", "module", "method", "builtin_function_or_method"]
    + ["ndarray", "matrix", "float64", "float32", "int64", "int32", "bool_", "Tensor"]
    + ["Parameter", "Module", "Generator", "Size", "dtype", "device", "LinAlgError"]
    + ["ReferenceRemoved", "PicklingError", "UnpicklingError", "JSONDecodeError"]
)


def type_word(raw: Any, fallback: str = "an exception") -> str:
    """A type name the child sent, if it is a known one; else `fallback` (never other
    text of the child's)."""
    if isinstance(raw, str) and _NAME.fullmatch(raw) and raw in KNOWN_TYPES:
        return raw
    return fallback


MAX_VALUES = 10_000_000  # numbers one outcome may hold
_EXPLAINED = {  # what the grader knows about an exception, said in its own words
    "ReferenceRemoved": ": the course's reference is not available while grading; "
    "write your own implementation",
    "PermissionError": " (a submission may not start processes or touch files outside "
    "its scratch folder while it is graded)",
}


def _outcome(raw: Any) -> Outcome:
    """One case's outcome from the child's plain data; every message is written here."""
    if not isinstance(raw, dict):
        return Outcome(error="no answer")
    if raw.get("not_attempted") is True:
        return Outcome(not_attempted=True)
    if "over_time" in raw:
        limit = raw["over_time"]
        limit = f"{float(limit):g} s" if isinstance(limit, (int, float)) else "its time"
        return Outcome(error=f"took longer than the case's limit of {limit}")
    if "raised" in raw:
        kind = type_word(raw["raised"], "an exception of the notebook's own")
        return Outcome(error=f"raised {kind}" + _EXPLAINED.get(kind, ""))
    if "not_numbers" in raw:
        if raw["not_numbers"] == "None":
            return Outcome(error="got None: did the function forget to `return` its result?")
        kind = type_word(raw["not_numbers"], "")
        what = f"a {kind}" if kind else "an object of the notebook's own class"
        return Outcome(error=f"got {what}; expected a tensor or an array of numbers")
    shape, data = raw.get("shape"), raw.get("data")
    if not (
        isinstance(shape, list)
        and len(shape) <= 32
        and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
        and isinstance(data, list)
        and len(data) <= MAX_VALUES
    ):
        return Outcome(error="no answer")
    try:
        value = np.asarray(data, dtype=np.float64).reshape(shape)
    except (TypeError, ValueError, OverflowError):
        return Outcome(error="no answer")
    return Outcome(value=value)


def _notes(raw: Any) -> list[str]:
    """The child's notes (a line and an exception's type each), as sentences."""
    notes = []
    for note in raw[:20] if isinstance(raw, list) else []:
        if not isinstance(note, dict):
            continue
        line = note.get("line")
        where = f" (line {line})" if isinstance(line, int) and line > 0 else ""
        notes.append(f"a definition{where} raised {type_word(note.get('raised'))}")
    return notes


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


def _judge_question(
    question: Question, index: int, answer: dict[str, Any], seed: Seed | None
) -> QuestionResult:
    """A question's cases judged from the child's public and hidden parts."""
    public, hidden = answer["public"], answer["hidden"]
    missing = public.get("missing")
    if isinstance(missing, list) and question.id in missing:
        return QuestionResult(
            question.id,
            0.0,
            question.points,
            Status.MISSING,
            f"no function named `{question.answer_name}` in the notebook",
        )
    cases = cases_for(question, seed)
    rows = []
    for part in (public, hidden):
        outcomes = part.get("outcomes")
        row = outcomes[index] if isinstance(outcomes, list) and index < len(outcomes) else None
        rows.append(row if isinstance(row, list) else [])
    results = []
    for i, case in enumerate(cases):
        row = rows[1] if case.hidden else rows[0]
        results.append(judge(question, case, _outcome(row[i] if i < len(row) else None)))
    return QuestionResult(
        question.id,
        award(question, results, list(cases)),
        question.points,
        summarize(results),
        _message(results),
        results,
    )


def grade_notebook(
    path: Path | str,
    bank: QuestionBank,
    *,
    hidden_seed: Seed | None = 0,
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
    hidden_seed: Seed | None = 0,
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
    for index, q in enumerate(questions):
        if isinstance(answer, WorkerFailure):
            graded[q.id] = QuestionResult(
                q.id, 0.0, q.points, Status.ERROR, f"{answer.status}: {answer.detail}"
            )
            continue
        try:
            graded[q.id] = _judge_question(q, index, answer, hidden_seed)
        except Exception as error:  # noqa: BLE001 - one question's fault stays its own
            graded[q.id] = QuestionResult(
                q.id,
                0.0,
                q.points,
                Status.ERROR,
                f"grader error while judging this question ({type(error).__name__})",
            )
    notes = list(submission.notes)
    if not isinstance(answer, WorkerFailure):
        notes += _notes(answer["public"].get("notes"))
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
