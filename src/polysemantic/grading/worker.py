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
A step the grader asked for that fails ends the child before any submitted code
runs (never weaker than reported), and says which step on its result pipe.

The child hands back everything over a pipe the zygote made before the fork (no
file the grader could be made to follow), one JSON line at a time:
1. {"confined": true} once every protection took, before the submission's code
   runs: the zygote's and the grader's proof that what follows came from a
   confined child, so that no exit code of the child's can pass for the sandbox's
   own failure (that is {"sandbox_failed": step}, and nothing else);
2. after the definitions and every public case: the notes and public outcomes;
3. after every hidden case: the hidden outcomes.
A pipe only grows, so what line 2 says was said before any hidden input was seen.
Nothing in it is text for a person: errors are an exception's type name and
numbers, and the grader writes every message itself. The zygote reads at most
RESULT_LIMIT bytes and ends a child that writes more.
The verdict is reached by the grader, which is the only process that ever holds a
question or a reference.

Protocol, one JSON object per line: the grader sends a config, the zygote answers
{"ready": ..., "available": {...}}; then {"id", "scratch", "timeout", ...} per
submission, answered with {"id", "exit", "timed_out", "result", "too_large"} when
its child has ended ("result": the child's pipe as text).
"""

from __future__ import annotations
import __future__

import ast
import builtins
import contextlib
import fcntl
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

EXIT_SANDBOX = 80  # + the index in STEPS of the step that failed (said on the pipe too)
STEPS = ("network namespace", "user", "user namespace", "no_new_privs", "landlock", "seccomp")
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
FILE_SIZE = 64 * 1024**2
RESULT_LIMIT = 32 * 1024**2  # bytes a child may hand back
PIPE_SIZE = 1024**2  # the result pipe's buffer (Linux's default is 64 KiB)
CONFINED = {"confined": True}
_NAME = __import__("re").compile(r"[A-Za-z_][A-Za-z0-9_.]{0,79}")


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


def confine(
    request: dict[str, Any], rules: list[tuple[str, int]], strict: bool, report: int | None = None
) -> list[str]:
    """Apply the protections `request["protections"]` names, in order; returns the
    steps that took. With `strict`, a step that fails ends the process, after saying
    which on the file descriptor `report` when there is one."""
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
                if report is not None:
                    with contextlib.suppress(OSError):
                        _write_line(report, {"sandbox_failed": step})
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


def type_name(value: Any) -> str:
    """A type's name as plain data (the grader checks it is a name before using it)."""
    name = getattr(type(value), "__name__", "")
    name = name if isinstance(name, str) and _NAME.fullmatch(name) else "object"
    return name


def _outcome_json(value: Any) -> dict[str, Any]:
    """An answer's return value as shape and numbers, or the type it was instead."""
    from polysemantic.grading.compare import NotAnArray, to_array

    try:
        array = to_array(value)
    except NotAnArray:
        return {"not_numbers": "None" if value is None else type_name(value)}
    except Exception as error:  # noqa: BLE001 - an object that fails to convert
        return {"raised": type_name(error)}
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
        return {"over_time": seconds}
    except Exception as error:  # the learner's bug, reported by its type
        return {"raised": type_name(error)}
    finally:
        if seconds:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return _outcome_json(value)


def run_definitions(code: str, namespace: dict[str, Any]) -> list[dict[str, Any]]:
    """Run the submission's definitions one top-level statement at a time, so that one
    that fails (an import the worker lacks, say) costs only itself. Returns, per
    statement that raised, its line and the exception's type."""
    notes: list[dict[str, Any]] = []
    try:
        tree = ast.parse(code, "<submission>")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        return [{"line": 0, "raised": type_name(error)}]
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
            notes.append({"line": int(getattr(statement, "lineno", 0)), "raised": type_name(error)})
    return notes


def _write_line(fd: int, message: dict[str, Any]) -> None:
    """One JSON line, written whole to the result pipe."""
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(fd, data) :]


def run_job(scratch: str, out: int) -> None:
    """Run one submission (already confined): job.json and inputs.npz in; the notes
    and public outcomes, then the hidden outcomes, out on the pipe `out`."""
    from polysemantic.grading import payload

    with open(os.path.join(scratch, "job.json"), encoding="utf-8") as f:
        job = json.load(f)
    arrays = payload.load_arrays(os.path.join(scratch, "inputs.npz"))
    _block_process_creation()
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    sink = _Sink()
    questions = job["questions"]
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        notes = run_definitions(job["code"], namespace)
        answers = {q["answer_name"]: namespace.get(q["answer_name"]) for q in questions}
        missing = [q["id"] for q in questions if not callable(answers[q["answer_name"]])]
        for hidden in (False, True):  # every public case first, and sent before a hidden one
            outcomes: list[list[Any]] = []
            for question in questions:
                answer = answers[question["answer_name"]]
                row: list[Any] = []
                for case in question["cases"]:
                    if bool(case.get("hidden")) != hidden or not callable(answer):
                        row.append(None)
                        continue
                    try:
                        inputs = payload.decode(case["inputs"], arrays)
                        row.append(_call(answer, inputs, question.get("time_limit")))
                    except BaseException as error:  # noqa: BLE001
                        row.append({"raised": type_name(error)})
                outcomes.append(row)
            part = {"outcomes": outcomes}
            if not hidden:
                part.update(notes=notes[:20], missing=missing)
            _write_line(out, part)


def _close_all_but(keep: set[int]) -> None:
    """Close every file descriptor from 3 up, except those in `keep`."""
    top = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    low = 3
    for fd in sorted(keep | {top}):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1


def _child(request: dict[str, Any], rules: list[tuple[str, int]], devnull: int, out: int) -> None:
    """Everything a forked child does; it never returns. `out` is its result pipe."""
    code = 1
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in (0, 1, 2):  # the zygote's pipes to the grader are not the child's
            os.dup2(devnull, fd)
        _close_all_but({devnull, out})  # nor any file the zygote opened (Landlock spares those)
        _limit(request)
        confine(request, rules, strict=True, report=out)
        os.chdir(request["scratch"])
        os.environ.update(HOME=request["scratch"], TMPDIR=request["scratch"])
        _write_line(out, CONFINED)  # before a line of the submission runs
        run_job(request["scratch"], out)
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
    _write_line(1, message)  # whole: a signal may cut a large write short


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
    running: dict[int, _Running] = {}  # pid -> its request, deadline and result pipe
    pending = configs[1:]
    while True:
        for request in pending:
            try:
                result_r, result_w = os.pipe()
            except OSError as error:
                _send({"id": request["id"], "exit": None, "failed": f"pipe: {error.strerror}"})
                continue
            try:
                pid = os.fork()
            except OSError as error:
                os.close(result_r)
                os.close(result_w)
                _send({"id": request["id"], "exit": None, "failed": f"fork: {error.strerror}"})
                continue
            if pid == 0:
                os.close(wake_r)
                os.close(wake_w)
                os.close(result_r)
                _child({**config, **request}, rules, devnull, result_w)
            os.close(result_w)
            os.set_blocking(result_r, False)
            with contextlib.suppress(OSError, AttributeError):  # fewer trips on a busy machine
                fcntl.fcntl(result_r, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
            deadline = time.monotonic() + float(request["timeout"])
            running[pid] = _Running(request["id"], deadline, result_r)
        pending = []
        while running:  # reap every child that has ended
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            if pid in running:
                child = running.pop(pid)
                child.drain(pid)
                _send(
                    {
                        "id": child.ident,
                        "exit": os.waitstatus_to_exitcode(status),
                        "timed_out": child.timed_out,
                        "too_large": child.too_large,
                        "result": ""
                        if child.too_large
                        else b"".join(child.chunks).decode("utf-8", "replace"),
                    }
                )
        now = time.monotonic()
        for pid, child in running.items():
            if now >= child.deadline and not child.timed_out:
                child.timed_out = True
                _kill(pid)
        if lines.closed:
            if not running:
                return
            for pid in running:  # the grader is gone: so are the submissions
                _kill(pid)
        deadlines = [c.deadline for c in running.values() if not c.timed_out]
        wait = max(0.0, min(deadlines) - now) if deadlines else None
        if any(c.timed_out for c in running.values()):
            wait = 0.05 if wait is None else min(wait, 0.05)  # reap the killed soon
        pipes = {c.fd: pid for pid, c in running.items() if c.fd is not None}
        watched = [wake_r, *pipes] + ([] if lines.closed else [0])
        ready, _, _ = select.select(watched, [], [], wait)
        if wake_r in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(wake_r, 4096)
        for fd in ready:
            if fd in pipes:
                running[pipes[fd]].drain(pipes[fd], until_end=False)
        if 0 in ready:
            pending = lines.read()


def _kill(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)


class _Running:
    """A child at work: its request's id, its deadline, and what its pipe has said."""

    def __init__(self, ident: Any, deadline: float, fd: int):
        self.ident, self.deadline, self.fd = ident, deadline, fd
        self.chunks: list[bytes] = []
        self.size = 0
        self.timed_out = self.too_large = False

    def drain(self, pid: int, until_end: bool = True) -> None:
        """Read what the pipe holds (all of it, once the child has ended), at most
        RESULT_LIMIT bytes: a child that writes more is ended and its pipe closed."""
        while self.fd is not None:
            try:
                chunk = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                if not until_end:
                    return
                chunk = b""  # the child has ended and nothing is left: as good as the end
            except OSError:
                chunk = b""
            if chunk and self.size + len(chunk) <= RESULT_LIMIT:
                self.chunks.append(chunk)
                self.size += len(chunk)
                continue
            if chunk:  # over the limit
                self.too_large = True
                _kill(pid)
            os.close(self.fd)
            self.fd = None
