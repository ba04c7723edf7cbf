"""Landlock, Linux's unprivileged access control, through ctypes (no dependency).

A process builds a ruleset (what it will handle, and which paths keep which rights),
then restricts itself to it; its children inherit the restriction and can never lift
it. The worker uses it to read only where Python and the worker's library live,
write only to its scratch folder, refuse every TCP connect and bind, and (from ABI
6) send no signal and reach no abstract UNIX socket outside its own sandbox.

The kernel's user-space API (include/uapi/linux/landlock.h,
Documentation/userspace-api/landlock.rst):

    ABI 1  filesystem rights, bits 0-12         ABI 4  TCP bind and connect
    ABI 2  REFER (link or rename across dirs)   ABI 5  IOCTL_DEV
    ABI 3  TRUNCATE                             ABI 6  scopes: signals, abstract sockets

    struct landlock_ruleset_attr { u64 handled_access_fs; u64 handled_access_net;
                                   u64 scoped; }             (24 bytes; 8 before ABI 4,
                                                              16 before ABI 6)
    struct landlock_path_beneath_attr { u64 allowed_access; s32 parent_fd; } packed
"""

from __future__ import annotations

import ctypes
import os
import platform
import stat
from collections.abc import Iterable
from pathlib import Path

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # every architecture
CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3
IOCTL_DEV = 1 << 15  # ABI 5

NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1  # ABI 4

SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1  # ABI 6

FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # all a file can hold
READ = READ_FILE | READ_DIR
WRITE = WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_SYM | REFER | TRUNCATE


class LandlockError(OSError):
    """A Landlock call failed (the kernel's errno and what was being done)."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def abi_version() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is missing or disabled."""
    if platform.system() != "Linux":
        return 0
    try:
        version = _libc().syscall(
            SYS_CREATE_RULESET, None, ctypes.c_size_t(0), CREATE_RULESET_VERSION
        )
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


def handled_fs(abi: int) -> int:
    """Every filesystem right the ABI knows: all of them are denied unless a rule allows."""
    rights = (1 << 13) - 1  # ABI 1: bits 0-12
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def set_no_new_privs() -> None:
    """prctl(PR_SET_NO_NEW_PRIVS): no exec can ever grant privileges again (setuid
    binaries, file capabilities); Landlock and seccomp both require it."""
    libc = _libc()
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise LandlockError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")


class Ruleset:
    """A Landlock ruleset under construction: deny everything the ABI handles, then
    allow(path, rights) for what the process may still do."""

    def __init__(self, abi: int):
        if abi < 1:
            raise LandlockError(0, "this kernel has no Landlock")
        self.abi = abi
        self.handled = handled_fs(abi)
        attr = _RulesetAttr(
            handled_access_fs=self.handled,
            handled_access_net=NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
            scoped=SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0,
        )
        size = 24 if abi >= 6 else 16 if abi >= 4 else 8
        self._libc = _libc()
        fd = self._libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
        if fd < 0:
            raise LandlockError(ctypes.get_errno(), "landlock_create_ruleset failed")
        self.fd = int(fd)

    def allow(self, path: str | Path, rights: int) -> None:
        """Allow `rights` on `path` and everything beneath it (a file keeps only the
        rights a file can hold). A path that does not exist is skipped."""
        try:
            target = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return
        try:
            if not stat.S_ISDIR(os.fstat(target).st_mode):
                rights &= FILE_RIGHTS
            rule = _PathBeneathAttr(allowed_access=rights & self.handled, parent_fd=target)
            if rule.allowed_access and (
                self._libc.syscall(SYS_ADD_RULE, self.fd, RULE_PATH_BENEATH, ctypes.byref(rule), 0)
                != 0
            ):
                raise LandlockError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
        finally:
            os.close(target)

    def restrict_self(self) -> None:
        """Enforce the ruleset on this process and its future children, for good."""
        try:
            if self._libc.syscall(SYS_RESTRICT_SELF, self.fd, 0) != 0:
                raise LandlockError(ctypes.get_errno(), "landlock_restrict_self failed")
        finally:
            os.close(self.fd)


def read_rules(roots: Iterable[Path], hidden: Iterable[Path]) -> list[tuple[Path, int]]:
    """Rules that let a process read everything under `roots` except what is under
    `hidden`. Landlock only adds rights, so a root holding a hidden folder is opened
    up piece by piece: every entry on the way down that holds nothing hidden gets
    READ, the folders on the way only READ_DIR (their listing, not their files).
    Symbolic links are followed, as the kernel does: a rule binds what a path resolves to.

    roots: folders or files; hidden: folders whose files must stay unreadable.
    """
    hidden = [Path(h).resolve() for h in hidden]
    rules: list[tuple[Path, int]] = []
    seen: set[Path] = set()

    def visit(path: Path) -> None:
        if path in seen or not path.exists():
            return
        seen.add(path)
        if any(h == path or h in path.parents for h in hidden):
            return
        if not any(path in h.parents for h in hidden):
            rules.append((path, READ))
            return
        rules.append((path, READ_DIR))
        try:
            children = sorted(path.iterdir())
        except OSError:
            return
        for child in children:
            visit(child.resolve())

    for root in roots:
        visit(Path(root).resolve())
    return rules
