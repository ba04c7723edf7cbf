"""The sandboxed half of grading: run a submission's answers, hand back numbers.

    python -m polysemantic.grading.worker JOB.json RESULT.json

JOB holds where the question bank is ("module:NAME"), the submission's
definitions, the question ids and the hidden seed.
The worker builds every case's inputs, replaces the library's reference
implementations with traps (calling them earns nothing), runs the submission's
definitions, calls each answer on each case, and writes plain JSON: arrays as
shape and numbers, never pickled objects. The verdict is reached by the parent.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.util
import io
import json
import os
import sys
from typing import Any

from polysemantic.grading.judge import Outcome, run_answer
from polysemantic.grading.question import Case, Question, load_bank


class ReferenceUsed(RuntimeError):
    pass


def _trap(question: Question):
    name = f"{question.reference.__module__}.{question.reference.__name__}"

    def trap(*args: Any, **kwargs: Any) -> Any:
        raise ReferenceUsed(
            f"{question.id} called the course's reference {name}; write your own implementation"
        )

    return trap


class _KeepTrappedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Importing a library module again (after `del sys.modules[...]`, or through
    importlib.reload) gives back the trapped module, not a fresh copy with the
    reference implementations restored."""

    def __init__(self, modules: dict[str, Any]):
        self.modules = modules

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name in self.modules:
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec: Any) -> Any:
        return self.modules[spec.name]

    def exec_module(self, module: Any) -> None:
        sys.modules[module.__name__] = module


def _install_traps(questions: list[Question]) -> None:
    """Replace every reference implementation, wherever the library exposes it."""
    references = {id(q.reference): _trap(q) for q in questions}
    library = {}
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("polysemantic") or module is None:
            continue
        library[module_name] = module
        for attr, value in list(vars(module).items()):
            if id(value) in references:
                setattr(module, attr, references[id(value)])
    sys.meta_path.insert(0, _KeepTrappedModules(library))
    importlib.reload = lambda module: library.get(getattr(module, "__name__", ""), module)


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise PermissionError("grading: a submission may not start processes")


def _block_process_creation() -> None:
    """No fork, exec, spawn or shell for the submission's code (a fork bomb stops here;
    the process limit and the process-group kill in the grader back this up)."""
    import subprocess

    for name in (
        "fork",
        "forkpty",
        "system",
        "popen",
        "posix_spawn",
        "posix_spawnp",
        "execv",
        "execve",
        "execvp",
        "execvpe",
        "execl",
        "execle",
        "execlp",
        "execlpe",
        "spawnv",
        "spawnve",
        "spawnvp",
        "spawnvpe",
        "spawnl",
        "spawnle",
    ):
        if hasattr(os, name):
            setattr(os, name, _refuse)
    subprocess.Popen = _refuse  # type: ignore[misc, assignment]
    for name in ("run", "call", "check_call", "check_output", "getoutput", "getstatusoutput"):
        setattr(subprocess, name, _refuse)


class _Sink(io.TextIOBase):
    """Swallows what the submission prints, so output floods cost nothing."""

    def write(self, text: str) -> int:
        return len(text)


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    if outcome.not_attempted:
        return {"not_attempted": True}
    if outcome.error is not None or outcome.value is None:
        return {"error": str(outcome.error)[:500]}
    return {"shape": list(outcome.value.shape), "data": outcome.value.ravel().tolist()}


def run(job: dict[str, Any]) -> dict[str, Any]:
    bank = load_bank(job["bank"])
    questions = [bank.get(qid) for qid in job["questions"]]
    seed = job.get("hidden_seed")
    cases: dict[str, list[Case]] = {
        q.id: q.public_cases() + (q.hidden_cases(seed) if seed is not None else [])
        for q in questions
    }
    _install_traps(questions)
    _block_process_creation()

    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    notes: list[str] = []
    sink = _Sink()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        try:
            code = compile(job["code"], "<submission>", "exec")
            exec(code, namespace)
        except BaseException as error:  # noqa: BLE001 - sys.exit and friends included
            notes.append(f"the notebook's definitions raised {type(error).__name__}: {error}")

        answers: dict[str, Any] = {}
        for q in questions:
            answer = namespace.get(q.answer_name)
            if not callable(answer):
                answers[q.id] = {"missing": f"no function named `{q.answer_name}` in the notebook"}
                continue
            outcomes = []
            for case in cases[q.id]:
                try:
                    outcomes.append(_outcome_json(run_answer(answer, case, q.time_limit)))
                except BaseException as error:  # noqa: BLE001
                    outcomes.append({"error": f"raised {type(error).__name__}: {error}"[:500]})
            answers[q.id] = {"outcomes": outcomes}
    return {"answers": answers, "notes": notes}


def main(argv: list[str]) -> int:
    job_path, result_path = argv
    with open(job_path, encoding="utf-8") as f:
        job = json.load(f)
    result = run(job)
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
