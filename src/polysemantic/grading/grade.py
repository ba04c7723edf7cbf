"""Grade one notebook: run its answers in a separate process, judge them here.

Returns the grading contract every tool of the course reads:

    {"notebook": str, "chapter": "NN", "status": "graded" | reason,
     "questions": {id: {"points", "max_points", "status", "message"}},
     "total": float, "max_total": float}
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from polysemantic.grading.judge import CaseResult, Outcome, award, judge, summarize
from polysemantic.grading.notebook import NotebookError, read_submission
from polysemantic.grading.question import Question, questions_for_chapter

DEFAULT_TIMEOUT = 120.0  # seconds for one notebook's answers, all cases included
DEFAULT_MEMORY = 4 * 1024**3  # bytes of address space beyond the interpreter's start


def _limit_resources(cpu_seconds: int, memory_bytes: int) -> None:
    """Runs in the child before it starts: its own session and hard limits."""
    import resource

    os.setsid()
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024**2, 64 * 1024**2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


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


def run_worker(job: dict[str, Any], timeout: float, memory_bytes: int) -> dict[str, Any]:
    """Run the worker on `job` in a scratch folder; its JSON answer, or {'crash': reason}."""
    with tempfile.TemporaryDirectory(prefix="polysemantic-grade-") as scratch:
        job_path, result_path = Path(scratch, "job.json"), Path(scratch, "result.json")
        job_path.write_text(json.dumps(job), encoding="utf-8")
        process = subprocess.Popen(
            [sys.executable, "-m", "polysemantic.grading.worker", str(job_path), str(result_path)],
            cwd=scratch,
            env=_clean_env(scratch),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=lambda: _limit_resources(int(timeout) + 5, memory_bytes),
        )
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return {"crash": f"timeout: the answers took longer than {timeout:g} s"}
        finally:
            try:  # whatever the submission left running in its session goes too
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if code != 0 or not result_path.exists():
            why = f"signal {-code}" if code < 0 else f"exit code {code}"
            if code == -signal.SIGKILL or code == -signal.SIGXCPU:
                why += ": a time or memory limit was hit"
            return {"crash": f"crash: the notebook's code ended the grading process ({why})"}
        try:
            return json.loads(result_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {"crash": "crash: the grading process wrote an unreadable result"}


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
    failing = [r for r in results if r.status != "passed"]
    if all(r.status == "not attempted" for r in results):
        return "the function still raises NotImplementedError"
    if not failing:
        return f"all {len(results)} cases pass"
    first = failing[0]
    where = "hidden case" if first.hidden else "case"
    text = f"{len(failing)} of {len(results)} cases fail; {where} '{first.name}': {first.message}"
    return text + (f". Hint: {first.hint}" if first.hint else "")


def _judge_question(question: Question, answer: dict[str, Any], seed: int | None) -> dict:
    if "missing" in answer:
        return {"points": 0.0, "max_points": question.points, "status": "missing",
                "message": answer["missing"]}
    cases = question.public_cases() + (question.hidden_cases(seed) if seed is not None else [])
    raw = answer.get("outcomes", [])
    results = [
        judge(question, case, _outcome(raw[i] if i < len(raw) else None))
        for i, case in enumerate(cases)
    ]
    return {
        "points": award(question, results),
        "max_points": question.points,
        "status": summarize(results),
        "message": _message(results),
    }


def grade_notebook(
    path: Path | str,
    *,
    hidden_seed: int | None = 0,
    timeout: float = DEFAULT_TIMEOUT,
    memory_bytes: int = DEFAULT_MEMORY,
) -> dict[str, Any]:
    """Grade one notebook. Raises NotebookError when the file cannot be graded at all."""
    path = Path(path)
    submission = read_submission(path)
    questions = questions_for_chapter(submission.chapter)
    if not questions:
        raise NotebookError(f"{path}: chapter {submission.chapter} has no graded questions")
    job = {
        "code": submission.code,
        "questions": [q.id for q in questions],
        "hidden_seed": hidden_seed,
    }
    answer = run_worker(job, timeout, memory_bytes)
    graded: dict[str, dict] = {}
    for q in questions:
        if "crash" in answer:
            graded[q.id] = {"points": 0.0, "max_points": q.points, "status": "error",
                            "message": answer["crash"]}
        else:
            graded[q.id] = _judge_question(q, answer["answers"].get(q.id, {}), hidden_seed)
    notes = list(submission.notes) + list(answer.get("notes", []))
    return {
        "notebook": str(path),
        "chapter": submission.chapter,
        "status": answer.get("crash", "graded"),
        "notes": notes,
        "questions": graded,
        "total": round(sum(g["points"] for g in graded.values()), 2),
        "max_total": sum(q.points for q in questions),
    }
