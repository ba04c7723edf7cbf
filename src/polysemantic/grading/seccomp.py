"""A seccomp filter: the system calls a graded answer never needs, refused by the kernel.

Landlock decides which files and ports a submission may use; it does not cover
everything a process can do. This filter refuses, with EPERM:
- new processes and programs: fork, vfork, clone without CLONE_THREAD (threads
  stay allowed), execve; clone3 gets ENOSYS, so the C library falls back to clone,
  whose flags a filter can read;
- changing files' owners, modes, times and extended attributes (Landlock does not
  cover chmod, chown, utime or setxattr);
- UNIX sockets of any kind (Landlock of this ABI does not cover connecting to a
  named one, such as a container daemon's), and every socket family but IPv4/IPv6;
- reaching into other processes (ptrace, process_vm_*), and the administrative
  calls: namespaces, mounts, modules, keys, BPF, perf, io_uring, file handles.

x86-64 only (the numbers below are its system call table); elsewhere `supported()`
says no and the grader reports it. The filter is classic BPF over seccomp_data
{int nr; u32 arch; u64 ip; u64 args[6]}, installed with prctl(PR_SET_SECCOMP).
"""

from __future__ import annotations

import ctypes
import errno
import platform

PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
CLONE_THREAD = 0x00010000
AF_INET, AF_INET6 = 2, 10

RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000
RET_KILL_PROCESS = 0x80000000

LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
JSET_K = 0x45  # BPF_JMP | BPF_JSET | BPF_K
RET_K = 0x06  # BPF_RET | BPF_K

NR, ARCH, ARG0 = 0, 4, 16  # offsets in seccomp_data (ARG0: its low 32 bits)

# x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl)
CLONE, CLONE3, SOCKET, SOCKETPAIR = 56, 435, 41, 53
REFUSED = {
    "fork": 57,
    "vfork": 58,
    "execve": 59,
    "execveat": 322,
    "chmod": 90,
    "fchmod": 91,
    "fchmodat": 268,
    "fchmodat2": 452,
    "chown": 92,
    "fchown": 93,
    "lchown": 94,
    "fchownat": 260,
    "utime": 132,
    "utimes": 235,
    "futimesat": 261,
    "utimensat": 280,
    "setxattr": 188,
    "lsetxattr": 189,
    "fsetxattr": 190,
    "removexattr": 197,
    "lremovexattr": 198,
    "fremovexattr": 199,
    "setxattrat": 463,
    "removexattrat": 466,
    "socketpair": SOCKETPAIR,
    "ptrace": 101,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "unshare": 272,
    "setns": 308,
    "mount": 165,
    "umount2": 166,
    "pivot_root": 155,
    "chroot": 161,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "mount_setattr": 442,
    "mknod": 133,
    "mknodat": 259,
    "init_module": 175,
    "finit_module": 313,
    "delete_module": 176,
    "kexec_load": 246,
    "kexec_file_load": 320,
    "reboot": 169,
    "swapon": 167,
    "swapoff": 168,
    "settimeofday": 164,
    "clock_settime": 227,
    "sethostname": 170,
    "setdomainname": 171,
    "iopl": 172,
    "ioperm": 173,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "bpf": 321,
    "perf_event_open": 298,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "name_to_handle_at": 303,
    "open_by_handle_at": 304,
}


class _Filter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_Filter))]


def supported() -> bool:
    """Whether this filter exists for this machine (Linux on x86-64)."""
    return platform.system() == "Linux" and platform.machine() in ("x86_64", "AMD64")


def program() -> list[tuple[int, int, int, int]]:
    """The filter as (code, jump if true, jump if false, k) instructions.

    Written with labels ("allow", "deny") that are resolved into relative jumps.
    """
    refused = sorted(set(REFUSED.values()))
    code: list[tuple[int, int | str, int | str, int]] = [
        (LD_W_ABS, 0, 0, ARCH),
        (JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
        (RET_K, 0, 0, RET_KILL_PROCESS),  # another ABI's numbers: never
        (LD_W_ABS, 0, 0, NR),
        (JGE_K, "deny", 0, X32_SYSCALL_BIT),  # the x32 ABI's calls
        *[(JEQ_K, "deny", 0, number) for number in refused],
        (JEQ_K, 0, 2, CLONE),
        (LD_W_ABS, 0, 0, ARG0),
        (JSET_K, "allow", "deny", CLONE_THREAD),  # a new thread, not a new process
        (JEQ_K, 0, 1, CLONE3),
        (RET_K, 0, 0, RET_ERRNO | errno.ENOSYS),  # the C library then uses clone
        (JEQ_K, 0, "allow", SOCKET),
        (LD_W_ABS, 0, 0, ARG0),
        (JEQ_K, "allow", 0, AF_INET),
        (JEQ_K, "allow", "deny", AF_INET6),
        (RET_K, 0, 0, RET_ALLOW),  # allow
        (RET_K, 0, 0, RET_ERRNO | errno.EPERM),  # deny
    ]
    labels = {"allow": len(code) - 2, "deny": len(code) - 1}

    def jump(at: int, target: int | str) -> int:
        return target if isinstance(target, int) else labels[target] - at - 1

    return [(op, jump(i, jt), jump(i, jf), k) for i, (op, jt, jf, k) in enumerate(code)]


def install() -> None:
    """Install the filter on this thread and its future children (needs no_new_privs)."""
    if not supported():
        raise OSError(errno.ENOSYS, "no seccomp filter for this machine")
    instructions = program()
    array = (_Filter * len(instructions))(*[_Filter(*i) for i in instructions])
    prog = _Program(len(instructions), array)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
