"""Grade one notebook: run its answers in a separate process, judge them here.

Returns a `SubmissionResult` (results.py), whose JSON is the grading contract
every tool of the course reads.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from polysemantic.grading.judge import Outcome, award, judge, summarize
from polysemantic.grading.notebook import NotebookError, Submission, read_submission
from polysemantic.grading.question import Question, QuestionBank
from polysemantic.grading.results import (
    CaseResult,
    QuestionResult,
    Status,
    SubmissionResult,
    SubmissionStatus,
)

DEFAULT_TIMEOUT = 120.0  # seconds for one notebook's answers, all cases included
DEFAULT_MEMORY = 4 * 1024**3  # bytes of address space beyond the interpreter's start


NOBODY = 65534  # the unprivileged user a root grader runs submissions as
EXTRA_PROCESSES = 64  # processes (threads count too) a submission may add


def _processes_of(uid: int) -> int:
    """How many processes and threads the user already has (RLIMIT_NPROC counts them)."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return count


def _others_can_run_python() -> bool:
    """Whether an unprivileged user could run this interpreter and import the library
    (not so when Python lives under a private home folder such as /root)."""
    import polysemantic

    for target in (Path(sys.executable).resolve(), Path(polysemantic.__file__).resolve()):
        for folder in target.parents:
            if not folder.stat().st_mode & 0o001:  # no search permission for others
                return False
        if not target.stat().st_mode & 0o004:
            return False
    return True


def _limit_resources(cpu_seconds: int, memory_bytes: int, nproc: int, drop_to: int | None) -> None:
    """Runs in the child before it starts: its own session, hard limits, and, when the
    grader is root and Python is readable by others, the unprivileged user `nobody`
    (it then cannot touch the grader's files, and the process limit applies: root
    ignores RLIMIT_NPROC). The worker also refuses to start processes itself."""
    import resource

    os.setsid()
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024**2, 64 * 1024**2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    if drop_to is not None:
        os.setgroups([])
        os.setgid(drop_to)
        os.setuid(drop_to)


def _clean_env(scratch: str) -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(
        HOME=scratch,
        TMPDIR=scratch,
        PYTHONNOUSERSITE="1",
        PYTHONDONTWRITEBYTECODE="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        POLYSEMANTIC_PROGRESS="0",
    )
    return env


@dataclass(frozen=True)
class WorkerFailure:
    """The worker gave no answer: it ran out of time, or the submission ended it."""

    status: SubmissionStatus
    detail: str


def run_worker(
    job: dict[str, Any], timeout: float, memory_bytes: int
) -> dict[str, Any] | WorkerFailure:
    """Run the worker on `job` in a scratch folder: its JSON answer, or why there is none."""
    with tempfile.TemporaryDirectory(prefix="polysemantic-grade-") as scratch:
        job_path, result_path = Path(scratch, "job.json"), Path(scratch, "result.json")
        job_path.write_text(json.dumps(job), encoding="utf-8")
        drop_to = NOBODY if os.geteuid() == 0 and _others_can_run_python() else None
        if drop_to is not None:  # the scratch folder is the only place it may write
            os.chmod(scratch, 0o777)
            os.chmod(job_path, 0o644)
        nproc = _processes_of(drop_to if drop_to is not None else os.geteuid()) + EXTRA_PROCESSES
        process = subprocess.Popen(
            [sys.executable, "-m", "polysemantic.grading.worker", str(job_path), str(result_path)],
            cwd=scratch,
            env=_clean_env(scratch),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=lambda: _limit_resources(int(timeout) + 5, memory_bytes, nproc, drop_to),
        )
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return WorkerFailure(
                SubmissionStatus.TIMEOUT, f"the answers took longer than {timeout:g} s"
            )
        finally:
            try:  # whatever the submission left running in its session goes too
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if code != 0 or not result_path.exists():
            why = f"signal {-code}" if code < 0 else f"exit code {code}"
            if code == -signal.SIGKILL or code == -signal.SIGXCPU:
                why += ": a time or memory limit was hit"
            return WorkerFailure(
                SubmissionStatus.CRASH, f"the notebook's code ended the grading process ({why})"
            )
        try:
            answer = json.loads(result_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            answer = None
        if not isinstance(answer, dict):
            return WorkerFailure(
                SubmissionStatus.CRASH, "the grading process wrote an unreadable result"
            )
        return answer


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
    cases = question.public_cases() + (question.hidden_cases(seed) if seed is not None else [])
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
) -> SubmissionResult:
    """Grade one notebook. Raises NotebookError when the file cannot be graded at all."""
    return grade_submission(
        read_submission(Path(path), bank.chapters()),
        bank,
        hidden_seed=hidden_seed,
        timeout=timeout,
        memory_bytes=memory_bytes,
    )


def grade_submission(
    submission: Submission,
    bank: QuestionBank,
    *,
    hidden_seed: int | None = 0,
    timeout: float = DEFAULT_TIMEOUT,
    memory_bytes: int = DEFAULT_MEMORY,
) -> SubmissionResult:
    """Grade a notebook already read into memory (see notebook.read_submission)."""
    path = submission.path
    questions = bank.for_chapter(submission.chapter)
    if not questions:
        raise NotebookError(f"{path}: chapter {submission.chapter} has no graded questions")
    job = {
        "bank": bank.import_path,
        "code": submission.code,
        "questions": [q.id for q in questions],
        "hidden_seed": hidden_seed,
    }
    answer = run_worker(job, timeout, memory_bytes)
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
    )
