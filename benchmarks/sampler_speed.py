"""Sparse-batch sampling speed: the straightforward sampler against the library's.

    python benchmarks/sampler_speed.py

Side by side in one process, on the batches of chapter 06's two heavy workloads (batch 1024,
feature probabilities from 1 down to 0.01 across the instances):
- the cost of one uniform random number from torch's CPU generator and from
  numpy's PCG64 (what SparseFeatureSampler draws from);
- `sparse_features` (two uniforms per entry, what a learner writes) against
  `SparseFeatureSampler` (numpy) and `NativeFeatureSampler` (C, where a compiler
  is at hand), each with its dense/sparse switch at several probabilities.
Single-threaded, as each of the trainer's workers samples. Compare ratios, not
absolute times: these machines are noisy.
"""

from __future__ import annotations

import time
from functools import partial

import numpy as np
import torch

from polysemantic.data import sparse_features
from polysemantic.toy_training import native_sampler
from polysemantic.toy_training.numpy_sampler import SparseFeatureSampler

WORKLOADS = {"(a) n=3, 1200 instances": (1200, 3), "(b) n=200, 20 instances": (20, 200)}
BATCH = 1024


def per_call(fn, repeats: int = 20) -> float:
    """Seconds per call, after one warm-up call."""
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    torch.set_num_threads(1)
    values = torch.empty(4_000_000)
    g, rng = torch.Generator().manual_seed(0), np.random.default_rng(0)
    torch_ns = per_call(lambda: values.uniform_(generator=g)) / values.numel() * 1e9
    numpy_fill = per_call(lambda: rng.random(out=values.numpy(), dtype=np.float32))
    numpy_ns = numpy_fill / values.numel() * 1e9
    print(
        f"one float32 uniform: torch generator {torch_ns:.2f} ns, numpy PCG64 {numpy_ns:.2f} ns "
        f"({torch_ns / numpy_ns:.2f}x)\n"
    )
    print(f"{'workload':<26}{'sampler':<42}{'ms/batch':>9}{'speed-up':>10}")
    print("-" * 87)
    for name, (instances, features) in WORKLOADS.items():
        p = torch.logspace(0, -2, instances)
        out = torch.empty(instances, BATCH, features)
        base = per_call(
            partial(sparse_features, BATCH, features, p, n_instances=instances, generator=g)
        )
        print(f"{name:<26}{'sparse_features (straightforward)':<42}{base * 1e3:>9.2f}")
        for switch in (0.5, 0.3, 0.15, 0.05):
            sampler = SparseFeatureSampler(
                instances, BATCH, features, p.double(), g, sparse_at_most=switch
            )
            t = per_call(partial(sampler.sample, out))
            print(
                f"{'':<26}{f'SparseFeatureSampler, sparse at most {switch}':<42}"
                f"{t * 1e3:>9.2f}{base / t:>9.2f}x"
            )
        lib = native_sampler.load()
        for switch in (0.15, 0.05, 0.02, 0.0) if lib else ():
            sampler = native_sampler.NativeFeatureSampler(
                lib, instances, BATCH, features, p, g, sparse_at_most=switch
            )
            t = per_call(partial(sampler.sample, out))
            print(
                f"{'':<26}{f'NativeFeatureSampler, sparse at most {switch}':<42}"
                f"{t * 1e3:>9.2f}{base / t:>9.2f}x"
            )
        print()


if __name__ == "__main__":
    main()
