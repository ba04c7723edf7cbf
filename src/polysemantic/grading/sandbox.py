"""The grader's side of the sandbox: start the worker, hand it jobs, say what protects them.

    with Sandbox(bank.all()) as sandbox:
        print(sandbox.protections.summary())
        answer = sandbox.run(job, inputs_npz, timeout=120, memory_bytes=4 * 1024**3)

A `Sandbox` writes the worker's copy of the library (worker_library.py), starts the
worker once (worker.py: it imports torch and the library, then forks one confined
child per submission) and asks it which protections this machine grants. Every
job then runs with exactly those, or not at all: a child that cannot take one of
them stops before the submission's code runs, and the job is reported as a grader
error. `Protections` says, in one line and as JSON, what was in force.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import itertools
import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from polysemantic.grading import landlock, seccomp, worker_library
from polysemantic.grading.question import Question
from polysemantic.grading.results import SubmissionStatus
from polysemantic.grading.worker import CONFINED, STEPS

DEFAULT_TIMEOUT = 120.0  # seconds for one notebook's answers, all cases included
DEFAULT_MEMORY = 4 * 1024**3  # bytes of address space beyond the worker's libraries
NOBODY = 65534  # the unprivileged user a root grader runs submissions as
EXTRA_PROCESSES = 64  # processes (threads count too) a submission may add
STARTUP_TIMEOUT = 600.0  # seconds for the worker to import torch and the library

# Shared libraries Python and torch may load, beyond Python's own folders.
SYSTEM_LIBRARIES = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib")
SYSTEM_FILES = ("/etc/ld.so.cache", "/dev/urandom", "/dev/zero")
BOOT = (
    "import sys; sys.path[:0] = sys.argv[1:]; "
    "from polysemantic.grading.worker import serve; serve()"
)


class SandboxError(RuntimeError):
    """The worker could not be started (a one-line reason)."""


@dataclass(frozen=True)
class WorkerFailure:
    """The worker gave no answer: it ran out of time, the submission ended it, or the
    sandbox could not be set up."""

    status: SubmissionStatus
    detail: str


@dataclass(frozen=True)
class Protections:
    """What confines a submission, as measured on this machine."""

    platform: str
    landlock_abi: int  # 0 when Landlock is not in force
    network_namespace: bool
    no_new_privs: bool
    seccomp: bool
    identity: str  # "nobody", "root without privileges (user namespace)", "root", a name
    timeout: float | None = None  # the limits of a run, when known
    memory_bytes: int | None = None

    def with_limits(self, timeout: float, memory_bytes: int | None = None) -> Protections:
        """The same protections, with the limits of a run."""
        return replace(self, timeout=timeout, memory_bytes=memory_bytes or DEFAULT_MEMORY)

    @property
    def missing(self) -> list[str]:
        """The protections a Linux grader can have that this one has not."""
        gaps = []
        if self.landlock_abi < 1:
            gaps.append("Landlock (files and TCP)")
        elif self.landlock_abi < 4:
            gaps.append(f"Landlock TCP rules (ABI {self.landlock_abi} < 4)")
        if not self.network_namespace:
            gaps.append("network namespace")
        if not self.no_new_privs:
            gaps.append("no_new_privs")
        if not self.seccomp:
            gaps.append("seccomp")
        if self.identity == "root":
            gaps.append("dropping root")
        return gaps

    def summary(self) -> str:
        """One line for the CLI: what is in force, and loudly what is not."""
        parts = []
        if self.landlock_abi >= 1:
            tcp = "no TCP" if self.landlock_abi >= 4 else "TCP not covered"
            scopes = ", no signals or sockets outside" if self.landlock_abi >= 6 else ""
            parts.append(
                f"Landlock ABI {self.landlock_abi} (reads Python and the library without "
                f"answers, writes scratch only, {tcp}{scopes})"
            )
        if self.network_namespace:
            parts.append("network namespace")
        if self.seccomp:
            parts.append("seccomp (no processes, chmod, chown, UNIX sockets)")
        if self.no_new_privs:
            parts.append("no_new_privs")
        parts.append(f"runs as {self.identity}")
        if self.timeout is not None and self.memory_bytes is not None:
            parts.append(f"limits {self.timeout:g} s, {self.memory_bytes / 1024**3:g} GiB")
        line = "sandbox: " + ", ".join(parts)
        if self.missing:
            line += "; WEAKER: no " + ", no ".join(self.missing)
        return line

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "platform": self.platform,
            "landlock_abi": self.landlock_abi,
            "network_namespace": self.network_namespace,
            "no_new_privs": self.no_new_privs,
            "seccomp": self.seccomp,
            "identity": self.identity,
            "timeout_seconds": self.timeout,
            "memory_bytes": self.memory_bytes,
            "missing": self.missing,
        }


def _processes_of(uid: int) -> int:
    """How many processes and threads the user already has (RLIMIT_NPROC counts them)."""
    count = 0
    if not os.path.isdir("/proc"):  # not Linux: the limit is on processes of the user
        return 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return count


def site_dirs() -> list[str]:
    """Where the worker's third-party packages live (numpy, torch, plotly, tqdm)."""
    import numpy
    import plotly
    import torch
    import tqdm

    dirs = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    dirs += site.getsitepackages() if hasattr(site, "getsitepackages") else []
    dirs += [str(Path(m.__file__).resolve().parents[1]) for m in (numpy, torch, plotly, tqdm)]
    return list(dict.fromkeys(d for d in dirs if Path(d).is_dir()))


def _python_roots() -> list[str]:
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    stdlib = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib")}
    return sorted(str(Path(p).resolve()) for p in prefixes | stdlib if Path(p).exists())


def hidden_packages(folders: Iterable[str]) -> list[str]:
    """The real library, wherever it is installed: never readable by a submission."""
    found = {worker_library.PACKAGE}
    found |= {
        Path(d, "polysemantic").resolve() for d in folders if Path(d, "polysemantic").exists()
    }
    return sorted(str(p) for p in found)


def _others_can_read(paths: Iterable[str]) -> bool:
    """Whether an unprivileged user can run this Python and import numpy and torch
    (not so when Python lives under a private home folder such as /root)."""
    for target in paths:
        target = Path(target).resolve()
        for folder in target.parents:
            if not folder.stat().st_mode & 0o001:  # no search permission for others
                return False
        if not target.stat().st_mode & 0o004:
            return False
    return True


def _wanted(root: bool, drop_to: int | None) -> list[str]:
    """Every protection a grader like this one should have (worker.STEPS' names)."""
    if sys.platform != "linux":
        return []
    wanted = ["network namespace", "no_new_privs"]
    wanted += ["user"] if drop_to is not None else []
    wanted += ["user namespace"] if root and drop_to is None else []
    wanted += ["landlock"] if landlock.abi_version() >= 1 else []
    wanted += ["seccomp"] if seccomp.supported() else []
    return wanted


def _clean_env(scratch: str) -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(
        HOME=scratch,
        TMPDIR=scratch,
        PYTHONDONTWRITEBYTECODE="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        POLYSEMANTIC_PROGRESS="0",
        POLYSEMANTIC_CACHE=scratch,
    )
    return env


class Sandbox:
    """One worker process for a grading run, and the protections it grants.

    questions: every question whose reference must be left out of the worker's
    library (the whole course, so no chapter's reference is there).
    protections: the steps of worker.STEPS to take (default: every one this machine
    grants); fewer, or none, to measure what they cost or to show what each one
    stops. The report always says what was in force.
    """

    def __init__(self, questions: Iterable[Question], *, protections: Iterable[str] | None = None):
        import numpy
        import torch

        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._waiting: dict[int, concurrent.futures.Future] = {}
        self._root = Path(tempfile.mkdtemp(prefix="polysemantic-grade-"))
        self._library = self._root / "library"
        self._process: subprocess.Popen | None = None
        try:
            self._root.chmod(0o711)
            worker_library.build(questions, self._library)
            sites = site_dirs()
            root = os.geteuid() == 0
            python = [sys.executable, os.__file__, numpy.__file__, torch.__file__]
            self.drop_to = NOBODY if root and _others_can_read(python) else None
            wanted = _wanted(root, self.drop_to)
            config = {
                "scratch_root": str(self._root),
                "read_roots": _python_roots()
                + sites
                + [str(self._library)]
                + [p for p in SYSTEM_LIBRARIES + SYSTEM_FILES if Path(p).exists()],
                "hidden": hidden_packages(sites),
                "drop_to": self.drop_to,
                "nproc": _processes_of(NOBODY if self.drop_to else os.geteuid()) + EXTRA_PROCESSES,
                "protections": [
                    s for s in STEPS if s in wanted and (protections is None or s in protections)
                ],
            }
            self._start(config, sites)
        except BaseException:
            self.close()
            raise
        available = set(self._ready["available"]) & set(config["protections"])
        self._in_force = [s for s in STEPS if s in available]
        if "user" in available:
            identity = "nobody"
        elif "user namespace" in available:
            identity = "root without privileges (user namespace)"
        else:
            identity = "root" if root else _user_name()
        self.protections = Protections(
            platform=sys.platform,
            landlock_abi=int(self._ready["landlock_abi"]) if "landlock" in available else 0,
            network_namespace="network namespace" in available,
            no_new_privs="no_new_privs" in available,
            seccomp="seccomp" in available,
            identity=identity,
        )

    def _start(self, config: dict[str, Any], sites: list[str]) -> None:
        log = open(self._root / "worker.log", "wb")  # noqa: SIM115 - kept for the process
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-B", "-c", BOOT, str(self._library), *sites],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=self._root,
            env=_clean_env(str(self._root)),
        )
        log.close()
        self._send(config)
        ready = concurrent.futures.Future()
        self._waiting[-1] = ready
        threading.Thread(target=self._read_replies, daemon=True).start()
        try:
            self._ready = ready.result(timeout=STARTUP_TIMEOUT)
        except (concurrent.futures.TimeoutError, EOFError):
            raise SandboxError(f"the grading worker did not start: {self._log_tail()}") from None
        if "error" in self._ready:
            raise SandboxError(str(self._ready["error"]))

    def _log_tail(self) -> str:
        try:
            lines = (self._root / "worker.log").read_text(errors="replace").strip().splitlines()
        except OSError:
            lines = []
        return lines[-1] if lines else "no message"

    def _send(self, message: dict[str, Any]) -> None:
        assert self._process is not None and self._process.stdin is not None
        with self._lock:
            self._process.stdin.write((json.dumps(message) + "\n").encode())
            self._process.stdin.flush()

    def _read_replies(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue
            ident = message.get("id", -1)
            with self._lock:
                future = self._waiting.pop(ident, None)
            if future is not None:
                future.set_result(message)
        with self._lock:  # the worker is gone: nobody waiting gets an answer
            waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            future.set_exception(EOFError("the grading worker stopped"))

    def run(
        self, job: dict[str, Any], inputs: bytes, *, timeout: float, memory_bytes: int
    ) -> dict[str, Any] | WorkerFailure:
        """Run one job (see worker.run_job) with `inputs` as its .npz, for at most
        `timeout` seconds and `memory_bytes` more memory: the worker's JSON answer, or
        why there is none."""
        ident = next(self._ids)
        scratch = self._root / f"job-{ident}"
        scratch.mkdir(mode=0o700)
        try:
            (scratch / "job.json").write_text(json.dumps(job), encoding="utf-8")
            (scratch / "inputs.npz").write_bytes(inputs)
            for path in (scratch / "job.json", scratch / "inputs.npz"):
                path.chmod(0o644)
            if self.drop_to is not None:  # the scratch folder is the only place it may write
                os.chown(scratch, self.drop_to, self.drop_to)
            future: concurrent.futures.Future = concurrent.futures.Future()
            with self._lock:
                self._waiting[ident] = future
            self._send(
                {
                    "id": ident,
                    "scratch": str(scratch),
                    "timeout": timeout,
                    "memory": memory_bytes,
                    "protections": self._in_force,
                }
            )
            try:
                reply = future.result(timeout=timeout + STARTUP_TIMEOUT)
            except (concurrent.futures.TimeoutError, EOFError) as error:
                return WorkerFailure(SubmissionStatus.ERROR, f"grader error: {error}")
            return _answer(reply, timeout)
        finally:
            _remove(scratch)

    @property
    def closed(self) -> bool:
        return self._process is None or self._process.poll() is not None

    def close(self) -> None:
        """Stop the worker (it ends any submission still running) and remove its files."""
        if self._process is not None:
            if self._process.stdin is not None:
                try:
                    self._process.stdin.close()
                except OSError:
                    pass
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        _remove(self._root)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_shared: dict[tuple, Sandbox] = {}
_shared_lock = threading.Lock()


def shared_sandbox(questions: Iterable[Question]) -> Sandbox:
    """One fully protected sandbox per set of questions for the whole process (started
    on first use, stopped at exit), so that grading notebook after notebook starts the
    worker once."""
    key = tuple(questions)
    with _shared_lock:
        if key not in _shared or _shared[key].closed:
            if not _shared:
                atexit.register(_close_shared)
            _shared[key] = Sandbox(key)
        return _shared[key]


def _close_shared() -> None:
    for sandbox in _shared.values():
        sandbox.close()


def _user_name() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        return f"uid {os.geteuid()}"


def _remove(folder: Path) -> None:
    """Remove a scratch folder, whatever a submission left in it (links are removed,
    never followed; a tree too deep to remove is left to the system's tmp cleaning)."""
    try:
        shutil.rmtree(folder, ignore_errors=True)
    except Exception:  # noqa: BLE001 - RecursionError on a very deep tree
        pass


def _lines(text: str) -> list[Any]:
    """The JSON lines of a child's pipe; a line that is not JSON reads as None."""
    out: list[Any] = []
    for line in text.split("\n")[:3]:  # the handshake, the public part, the hidden part
        try:
            out.append(json.loads(line))
        except (ValueError, RecursionError):
            out.append(None)
    return out


def _answer(reply: dict[str, Any], timeout: float) -> dict[str, Any] | WorkerFailure:
    """What a child's end means: its result, or the failure to report.

    The first line of the child's pipe says it was confined: written before the
    submission's code ran, it is the one thing here the submission could not choose.
    Before it, any end is the sandbox's (a grader error); after it, any end is the
    submission's, whatever its exit code."""
    if reply.get("failed") or reply.get("exit") is None:
        return WorkerFailure(
            SubmissionStatus.ERROR,
            f"grader error: the worker could not start it ({str(reply.get('failed'))[:80]})",
        )
    code = int(reply["exit"])
    lines = _lines(str(reply.get("result", "")))
    first = lines[0] if lines else None
    if reply.get("too_large"):  # only a confined child's pipe can grow past the limit
        return WorkerFailure(
            SubmissionStatus.CRASH, "the notebook's code handed back more than the grader reads"
        )
    if first != CONFINED:
        step = first.get("sandbox_failed") if isinstance(first, dict) else None
        if step in STEPS:
            return WorkerFailure(
                SubmissionStatus.ERROR, f"grader error: the sandbox could not set up its {step}"
            )
        why = f"signal {-code}" if code < 0 else f"exit code {code}"
        return WorkerFailure(
            SubmissionStatus.ERROR,
            f"grader error: the sandboxed process ended before it was confined ({why})",
        )
    if reply.get("timed_out"):
        return WorkerFailure(
            SubmissionStatus.TIMEOUT, f"the answers took longer than {timeout:g} s"
        )
    public, hidden = (lines[1:] + [None, None])[:2]
    if code != 0 or not isinstance(public, dict) or not isinstance(hidden, dict):
        why = f"signal {-code}" if code < 0 else f"exit code {code}"
        if code in (-9, -24):  # SIGKILL, SIGXCPU
            why += ": a time or memory limit was hit"
        if code == 0:
            why = "its answers were incomplete"
        return WorkerFailure(
            SubmissionStatus.CRASH, f"the notebook's code ended the grading process ({why})"
        )
    return {"public": public, "hidden": hidden}
