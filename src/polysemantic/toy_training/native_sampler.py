"""The sparse-feature sampler in C (_native_sampler.c), built on first use.

`load()` compiles the C file with the machine's C compiler (gcc, clang: whatever
`CC` or Python's build configuration names), caches the library under
~/.cache/polysemantic (or $POLYSEMANTIC_CACHE) and loads it with ctypes. Where
there is no compiler, or POLYSEMANTIC_NATIVE=0, it returns None and the trainer
uses `numpy_sampler.SparseFeatureSampler`: the same distribution, with other random numbers,
about 1.4x slower in training at n=200 (benchmarks/train_speed.py). A failed build
is remembered in the cache (a .failed file beside where the library would be).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import sysconfig
import tempfile
import threading
import warnings
from pathlib import Path

import torch

from polysemantic.data import per_instance
from polysemantic.toy_training.numpy_sampler import SparseFeatureSampler

SOURCE = Path(__file__).with_name("_native_sampler.c")
FLAGS = ["-O3", "-fno-math-errno", "-ffp-contract=off", "-shared", "-fPIC"]
NATIVE_FLAGS = ["-march=native"]  # built on the machine that runs it; dropped if refused


class NativeFeatureSampler:
    """`numpy_sampler.SparseFeatureSampler`'s interface and distribution, drawn in C: each of
    n_instances has its own SplitMix64 stream, seeded from `generator`, so a run is
    fixed by its torch seed. ctypes releases the GIL during the call, so worker
    threads sample in parallel.
    """

    def __init__(
        self,
        lib: ctypes.CDLL,
        n_instances: int,
        n_batch: int,
        n_features: int,
        feature_probability: torch.Tensor,
        generator: torch.Generator,
        sparse_at_most: float = 0.02,
    ):
        p = per_instance(feature_probability, n_instances, 1, "feature_probability")[:, 0]
        if not ((p >= 0) & (p <= 1)).all():
            raise ValueError(f"feature_probability must be in [0, 1]; got {p}")
        self.p = p  # (n_instances,)
        self.shape = (n_instances, n_batch, n_features)
        self.states = torch.randint(2**62, (n_instances,), generator=generator)  # (i,)
        # Drawing only the active entries pays below about 2% density; above, one
        # vectorised uniform per entry is as fast or faster (benchmarks/sampler_speed.py).
        self.sparse_at_most = sparse_at_most
        self._sample = lib.sample_features
        self._sample.argtypes = [
            ctypes.c_int64,
            ctypes.c_int64,
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_float,
            ctypes.c_void_p,
        ]
        self._sample.restype = None

    def sample(self, out: torch.Tensor) -> torch.Tensor:
        """Fill `out` (n_instances, n_batch, n_features) with a fresh batch, in place."""
        if tuple(out.shape) != self.shape or out.dtype != torch.float32 or not out.is_contiguous():
            raise ValueError(
                f"out must be a contiguous float32 tensor of shape {self.shape}; "
                f"got {out.dtype} {tuple(out.shape)}"
            )
        n_instances, n_batch, n_features = self.shape
        self._sample(
            n_instances,
            n_batch * n_features,
            self.p.data_ptr(),
            self.states.data_ptr(),
            self.sparse_at_most,
            out.data_ptr(),
        )
        return out


def feature_sampler(
    n_instances: int,
    n_batch: int,
    n_features: int,
    feature_probability: torch.Tensor,
    generator: torch.Generator,
) -> NativeFeatureSampler | SparseFeatureSampler:
    """The C sampler where it can be built, else the portable one (same interface)."""
    lib = load()
    if lib is None:
        return SparseFeatureSampler(
            n_instances, n_batch, n_features, feature_probability, generator
        )
    return NativeFeatureSampler(
        lib, n_instances, n_batch, n_features, feature_probability, generator
    )


def load() -> ctypes.CDLL | None:
    """The compiled library, or None where it cannot be built (then it warns, once)."""
    if os.environ.get("POLYSEMANTIC_NATIVE", "1") == "0":
        return None
    return _build_and_load()


@functools.cache
def _build_and_load() -> ctypes.CDLL | None:
    path = _cache_dir() / f"native_sampler-{_cache_key()}.so"
    # A failed build is remembered, so that a machine without a working compiler does
    # not try again in every new process (on macOS, each try can open a dialog).
    failed = path.with_suffix(".failed")
    try:
        if failed.exists():
            problem = f"{failed.read_text().strip()}; remembered in {failed}, delete it to retry"
        else:
            problem = None if path.exists() else _compile(path)
            if problem is None:
                return _load_library(path)
            failed.write_text(problem)
    except OSError as error:  # no processes allowed, a full disk, an unloadable file
        problem = str(error)
    warnings.warn(
        f"polysemantic: could not build {SOURCE.name} ({problem}); toy models "
        "train with the portable sampler, about 1.4x slower",
        RuntimeWarning,
        stacklevel=3,
    )
    return None


def _load_library(path: Path) -> ctypes.CDLL:
    try:
        return ctypes.CDLL(str(path))
    except OSError:
        path.unlink(missing_ok=True)  # a damaged file: the next process builds it again
        raise


def _compiler() -> str | None:
    cc = os.environ.get("CC") or (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(cc) or shutil.which("cc")


def _cache_key() -> str:
    """Source, flags, compiler and CPU: a library built with -march=native runs only on
    the kind of CPU it was built on, and a shared home may see several kinds."""
    cpu = platform.machine() + platform.processor()
    try:
        cpu += next(
            line
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith(("flags", "Features"))
        )
    except (OSError, StopIteration):
        pass
    parts = [
        SOURCE.read_bytes(),
        " ".join(FLAGS + NATIVE_FLAGS).encode(),
        str(_compiler()).encode(),
        cpu.encode(),
    ]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]


def _cache_dir() -> Path:
    path = Path(os.environ.get("POLYSEMANTIC_CACHE") or Path.home() / ".cache" / "polysemantic")
    try:
        path.mkdir(parents=True, exist_ok=True)
        return path
    except OSError:  # a read-only home: a private temp dir
        return Path(tempfile.mkdtemp(prefix="polysemantic-"))


def _compile(path: Path) -> str | None:
    """Build the library at `path` (atomically: parallel processes may race).
    Returns None, or what went wrong."""
    cc = _compiler()
    if cc is None:
        return "no C compiler found"
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    error = ""
    for flags in (FLAGS + NATIVE_FLAGS, FLAGS):
        run = subprocess.run(
            [cc, *flags, "-o", str(tmp), str(SOURCE), "-lm"], capture_output=True, text=True
        )
        if run.returncode == 0:
            os.replace(tmp, path)
            return None
        error = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "failed"
    tmp.unlink(missing_ok=True)
    return f"{Path(cc).name}: {error}"
