"""The sandboxed half of grading: run a submission's answers, hand back numbers.

The grader (sandbox.py) starts this module once per grading run, from the worker's
copy of the library (worker_library.py), never the real package:

    python -I -S -B -c BOOT LIBRARY SITE_DIR...

It imports numpy, torch and the copied library once, then serves as a zygote: for
every submission it forks a child, and the child, before it reads a line of the
submission,
1. starts its own session, and takes limits on CPU time, memory, file size, cores;
2. leaves the network (a new network namespace), and root's powers: it becomes
   `nobody` when the grader is root and others can read Python, or else root
   without privileges in a user namespace;
3. sets no_new_privs, confines itself with Landlock (reads: Python and the copied
   library; writes: its scratch folder; no TCP; no signal or abstract socket
   outside) and a seccomp filter (no new process, no chmod or chown, no UNIX socket).
A step the grader asked for that fails ends the child with exit code 80 + its
number, before any submitted code runs: never weaker than reported.

The child then reads job.json (the definitions, the answer names, each case's
inputs as plain data from inputs.npz), runs the definitions statement by statement,
calls each answer on every public case, then on every hidden one (so that no
message a student sees was written after a hidden input was seen), and writes
result.json: arrays as shape and numbers.
The verdict is reached by the grader, which is the only process that ever holds a
question or a reference.

Protocol, one JSON object per line: the grader sends a config, the zygote answers
{"ready": ..., "available": {...}}; then {"id", "scratch", "timeout", ...} per
submission, answered with {"id", "exit", "timed_out"} when its child has ended.
"""

from __future__ import annotations
import __future__

import ast
import builtins
import contextlib
import io
import json
import os
import resource
import select
import signal
import sys
import time
from pathlib import Path
from typing import Any

EXIT_SANDBOX = 80  # + the index in STEPS of the step that failed
STEPS = ("network namespace", "user", "user namespace", "no_new_privs", "landlock", "seccomp")
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
FILE_SIZE = 64 * 1024**2


# ---------------------------------------------------------------------------- the child


class _Sink(io.TextIOBase):
    """Swallows what the submission prints, so output floods cost nothing."""

    def write(self, text: str) -> int:
        return len(text)


def _unshare(flags: int) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        raise OSError(ctypes.get_errno(), "unshare failed")


def _limit(request: dict[str, Any]) -> None:
    """Hard limits: CPU seconds, address space beyond what the zygote already maps,
    file size, processes, no core dumps."""
    cpu = int(request["timeout"]) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    try:
        with open("/proc/self/statm") as f:
            mapped = int(f.read().split()[0]) * resource.getpagesize()
    except OSError:  # not Linux (macOS does not enforce RLIMIT_AS anyway)
        mapped = None
    if mapped is not None:
        memory = mapped + int(request["memory"])
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE, FILE_SIZE))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if "nproc" in request:  # root ignores it (the seccomp filter refuses forks anyway)
        nproc = int(request["nproc"])
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


def confine(request: dict[str, Any], rules: list[tuple[str, int]], strict: bool) -> list[str]:
    """Apply the protections `request["protections"]` names, in order; returns the
    steps that took. With `strict`, a step that fails ends the process."""
    from polysemantic.grading import landlock, seccomp

    wanted = set(request["protections"])
    root = os.geteuid() == 0
    drop_to = request.get("drop_to")
    scratch = request["scratch"]

    def netns() -> None:
        # root may leave the network on its own; another user needs a user namespace
        _unshare(CLONE_NEWNET if root else CLONE_NEWUSER | CLONE_NEWNET)

    def user() -> None:
        os.setgroups([])
        os.setgid(drop_to)
        os.setuid(drop_to)

    def userns() -> None:
        _unshare(CLONE_NEWUSER)  # root keeps no power outside the namespace

    def no_new_privs() -> None:
        landlock.set_no_new_privs()

    def landlock_() -> None:
        ruleset = landlock.Ruleset(int(request["landlock_abi"]))
        for path, rights in rules:
            ruleset.allow(path, rights)
        ruleset.allow(scratch, landlock.READ | landlock.WRITE)
        ruleset.allow("/dev/null", landlock.READ_FILE | landlock.WRITE_FILE)
        ruleset.restrict_self()

    def seccomp_() -> None:
        seccomp.install()

    actions = (netns, user, userns, no_new_privs, landlock_, seccomp_)
    done = []
    for number, (step, action) in enumerate(zip(STEPS, actions, strict=True)):
        if step not in wanted:
            continue
        try:
            action()
        except Exception:  # noqa: BLE001 - any failure of a step counts
            if strict:
                os._exit(EXIT_SANDBOX + number)
            continue
        done.append(step)
    return done


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise PermissionError("grading: a submission may not start processes")


def _block_process_creation() -> None:
    """No fork, exec, spawn or shell from Python either (the seccomp filter refuses
    them in the kernel; this names the rule in the error)."""
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


def _outcome_json(value: Any) -> dict[str, Any]:
    """An answer's return value as shape and numbers, or why it is not numbers."""
    from polysemantic.grading.compare import NotAnArray, to_array

    try:
        array = to_array(value)
    except NotAnArray as error:
        return {"error": str(error)[:500]}
    return {"shape": list(array.shape), "data": array.ravel().tolist()}


class _TimeLimitExceeded(Exception):
    """A case ran past its question's time limit."""


def _expire(signum: int, frame: Any) -> None:
    raise _TimeLimitExceeded("took longer than the case's time limit")


def _call(answer: Any, inputs: dict[str, Any], seconds: float | None) -> dict[str, Any]:
    """One answer on one case, within `seconds` of wall time if the question sets any."""
    if seconds:
        signal.signal(signal.SIGALRM, _expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        value = answer(**inputs)
    except NotImplementedError:
        return {"not_attempted": True}
    except _TimeLimitExceeded:
        return {"error": f"took longer than the case's limit of {seconds:g} s"}
    except Exception as error:  # the learner's bug, reported as the case's message
        return {"error": f"raised {type(error).__name__}: {error}"[:500]}
    finally:
        if seconds:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return _outcome_json(value)


def run_definitions(code: str, namespace: dict[str, Any]) -> list[str]:
    """Run the submission's definitions one top-level statement at a time, so that one
    that fails (an import the worker lacks, say) costs only itself."""
    notes: list[str] = []
    try:
        tree = ast.parse(code, "<submission>")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        return [f"the notebook's definitions could not be parsed: {type(error).__name__}"]
    flags = 0
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
            for alias in statement.names:
                feature = getattr(__future__, alias.name, None)
                flags |= getattr(feature, "compiler_flag", 0)
        try:
            compiled = compile(
                ast.Module([statement], []), "<submission>", "exec", flags=flags, dont_inherit=True
            )
            exec(compiled, namespace)
        except BaseException as error:  # noqa: BLE001 - sys.exit and friends included
            line = getattr(statement, "lineno", "?")
            notes.append(f"a definition (line {line}) raised {type(error).__name__}: {error}"[:300])
    return notes


def run_job(scratch: str) -> dict[str, Any]:
    """Run one submission (already confined): job.json and inputs.npz in, a result out."""
    from polysemantic.grading import payload

    with open(os.path.join(scratch, "job.json"), encoding="utf-8") as f:
        job = json.load(f)
    arrays = payload.load_arrays(os.path.join(scratch, "inputs.npz"))
    _block_process_creation()
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    sink = _Sink()
    answers: dict[str, Any] = {}
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        notes = run_definitions(job["code"], namespace)
        outcomes: dict[tuple[int, int], dict[str, Any]] = {}
        calls = [  # every public case first: nothing a student sees can echo a hidden input
            (q, c)
            for hidden in (False, True)
            for q, question in enumerate(job["questions"])
            for c, case in enumerate(question["cases"])
            if bool(case.get("hidden")) == hidden
        ]
        for q, c in calls:
            question = job["questions"][q]
            answer = namespace.get(question["answer_name"])
            if not callable(answer):
                continue
            try:
                inputs = payload.decode(question["cases"][c]["inputs"], arrays)
                outcomes[q, c] = _call(answer, inputs, question.get("time_limit"))
            except BaseException as error:  # noqa: BLE001
                outcomes[q, c] = {"error": f"raised {type(error).__name__}: {error}"[:500]}
    for q, question in enumerate(job["questions"]):
        if not callable(namespace.get(question["answer_name"])):
            answers[question["id"]] = {
                "missing": f"no function named `{question['answer_name']}` in the notebook"
            }
        else:
            cases = range(len(question["cases"]))
            answers[question["id"]] = {"outcomes": [outcomes.get((q, c)) for c in cases]}
    return {"answers": answers, "notes": notes[:20]}


def _child(request: dict[str, Any], rules: list[tuple[str, int]], devnull: int) -> None:
    """Everything a forked child does; it never returns."""
    code = 1
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in (0, 1, 2):  # the zygote's pipes to the grader are not the child's
            os.dup2(devnull, fd)
        os.closerange(3, devnull)  # nor any file the zygote opened (Landlock spares
        os.closerange(devnull + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])  # those)
        _limit(request)
        confine(request, rules, strict=True)
        os.chdir(request["scratch"])
        os.environ.update(HOME=request["scratch"], TMPDIR=request["scratch"])
        result = run_job(request["scratch"])
        with open(os.path.join(request["scratch"], "result.json"), "w", encoding="utf-8") as f:
            json.dump(result, f)
        code = 0
    finally:
        os._exit(code)


# --------------------------------------------------------------------------- the zygote


def _preload() -> None:
    """Import what every submission uses, once: numpy, torch and the copied library."""
    import numpy  # noqa: F401
    import torch  # noqa: F401

    import polysemantic

    library = Path(polysemantic.__file__).parent
    for path in sorted(library.rglob("*.py")):
        parts = path.relative_to(library.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        with contextlib.suppress(Exception):
            __import__(name)


def _probe(config: dict[str, Any], rules: list[tuple[str, int]]) -> list[str]:
    """Which protections this machine grants: a child tries each one and exits with
    a bit per step that took."""
    request = {**config, "scratch": config["scratch_root"]}
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.setsid()
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            done = confine(request, rules, strict=False)
            code = sum(1 << STEPS.index(step) for step in done)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    bits = os.waitstatus_to_exitcode(status)
    bits = bits if bits > 0 else 0
    return [step for number, step in enumerate(STEPS) if bits & (1 << number)]


class _Lines:
    """JSON lines from a file descriptor, read without blocking on partial lines."""

    def __init__(self, fd: int):
        self.fd, self.buffer, self.closed = fd, b"", False

    def read(self) -> list[dict[str, Any]]:
        chunk = os.read(self.fd, 65536)
        if not chunk:
            self.closed = True
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]


def _send(message: dict[str, Any]) -> None:
    os.write(1, (json.dumps(message) + "\n").encode())


def serve() -> None:
    """The zygote: preload, probe, then fork a confined child per request."""
    from polysemantic.grading import landlock

    lines = _Lines(0)
    while not (configs := lines.read()) and not lines.closed:
        pass
    if not configs:
        return
    config = configs[0]
    try:
        _preload()
    except Exception as error:  # noqa: BLE001 - reported to the grader, which stops
        _send({"error": f"the worker could not import its libraries: {error}"})
        return
    rules = [(str(p), r) for p, r in landlock.read_rules(config["read_roots"], config["hidden"])]
    config["landlock_abi"] = landlock.abi_version()
    available = _probe(config, rules) if sys.platform == "linux" else []
    _send({"ready": True, "available": available, "landlock_abi": config["landlock_abi"]})

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    devnull = os.open(os.devnull, os.O_RDWR)
    running: dict[int, tuple[Any, float]] = {}  # pid -> (request id, deadline)
    timed_out: set[int] = set()
    pending = configs[1:]
    while True:
        for request in pending:
            try:
                pid = os.fork()
            except OSError as error:
                _send({"id": request["id"], "exit": None, "failed": f"fork: {error.strerror}"})
                continue
            if pid == 0:
                os.close(wake_r)
                os.close(wake_w)
                _child({**config, **request}, rules, devnull)
            running[pid] = (request["id"], time.monotonic() + float(request["timeout"]))
        pending = []
        while running:  # reap every child that has ended
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            if pid in running:
                ident, _ = running.pop(pid)
                exit_code = os.waitstatus_to_exitcode(status)
                _send({"id": ident, "exit": exit_code, "timed_out": pid in timed_out})
                timed_out.discard(pid)
        now = time.monotonic()
        for pid, (_, deadline) in running.items():
            if now >= deadline and pid not in timed_out:
                timed_out.add(pid)
                for kill in (os.killpg, os.kill):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        kill(pid, signal.SIGKILL)
        if lines.closed:
            if not running:
                return
            for pid in running:  # the grader is gone: so are the submissions
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
        deadlines = [d for p, (_, d) in running.items() if p not in timed_out]
        wait = max(0.0, min(deadlines) - now) if deadlines else None
        if timed_out:
            wait = 0.05 if wait is None else min(wait, 0.05)  # reap the killed soon
        watched = [wake_r] + ([] if lines.closed else [0])
        ready, _, _ = select.select(watched, [], [], wait)
        if wake_r in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(wake_r, 4096)
        if 0 in ready:
            pending = lines.read()
