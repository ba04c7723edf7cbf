"""Toy-model training speed: the straightforward trainer against the library's.

    python benchmarks/train_speed.py            # a few hundred steps each, projected
    python benchmarks/train_speed.py --full     # the full runs (about 20 minutes)

Both trainers run side by side in one process on chapter 06's two heavy workloads:
(a) the phase-diagram grid, 20 x 20 cells x 3 seeds of n=3, m=2, 5,000 steps;
(b) the geometry sweep, n=200, m=20, 20 sparsity levels, 10,000 steps;
both with batch 1024. It prints steps/s, achieved GFLOP/s (the matmul work of
the straightforward trainer: W x and Wᵀ h forward, three matmuls backward, so
10·batch·m·n per instance and step), the machine's measured fp32 matmul peak,
the ratio, and the projected full-run times.
Compare ratios, not absolute times: these machines are noisy.
"""

from __future__ import annotations

import argparse
import os
import time

import torch

os.environ.setdefault("POLYSEMANTIC_PROGRESS", "0")

from polysemantic.superposition import (  # noqa: E402
    ToyModelConfig,
    train_toy_model_simple,
)
from polysemantic.toy_training import (
    native_sampler,  # noqa: E402
    train_toy_model,
)

WORKLOADS = {
    "(a) phase grid n=3 m=2, 1200 models": dict(
        n_features=3, n_hidden=2, n_instances=1200, full_steps=5000
    ),
    "(b) geometry n=200 m=20, 20 models": dict(
        n_features=200, n_hidden=20, n_instances=20, full_steps=10_000
    ),
}
TARGETS = {"(a)": 60.0, "(b)": 120.0}  # seconds for the full run, library trainer


def matmul_peak() -> float:
    """Measured fp32 GFLOP/s of a large square matmul on all threads."""
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    for _ in range(3):
        a @ b
    start, repeats = time.perf_counter(), 10
    for _ in range(repeats):
        a @ b
    return 2 * 2048**3 * repeats / (time.perf_counter() - start) / 1e9


def settings(n_features: int, n_instances: int) -> tuple[torch.Tensor, torch.Tensor]:
    importance = 0.9 ** torch.arange(float(n_features))
    probability = torch.logspace(0, -2, n_instances)  # dense to 1% density, as in the sweeps
    return importance, probability


def steps_per_second(trainer, cfg: ToyModelConfig, importance, probability) -> float:
    start = time.perf_counter()
    trainer(cfg, importance, probability)
    return cfg.n_steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="run the full step counts")
    parser.add_argument("--steps", type=int, default=200, help="steps per measurement")
    args = parser.parse_args()

    peak = matmul_peak()
    sampler = "C (native_sampler)" if native_sampler.load() else "numpy's (no C compiler)"
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"measured fp32 matmul peak {peak:.0f} GFLOP/s; library sampler: {sampler}\n"
    )
    header = (
        f"{'workload':<38} {'trainer':<16} {'steps/s':>8} {'GFLOP/s':>8} "
        f"{'% peak':>7} {'full run':>9} {'speed-up':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, spec in WORKLOADS.items():
        n, m, i = spec["n_features"], spec["n_hidden"], spec["n_instances"]
        steps = spec["full_steps"] if args.full else args.steps
        cfg = ToyModelConfig(n_features=n, n_hidden=m, n_instances=i, n_steps=steps)
        importance, probability = settings(n, i)
        flops = 10 * cfg.batch_size * m * n * i
        rates = {}
        for label, trainer in (
            ("straightforward", train_toy_model_simple),
            ("library", train_toy_model),
        ):
            rates[label] = steps_per_second(trainer, cfg, importance, probability)
        for label, rate in rates.items():
            gflops = rate * flops / 1e9
            full = spec["full_steps"] / rate
            speedup = f"{rate / rates['straightforward']:.2f}x" if label == "library" else ""
            print(
                f"{name:<38} {label:<16} {rate:>8.1f} {gflops:>8.1f} {gflops / peak:>7.1%} "
                f"{full:>8.0f}s {speedup:>8}"
            )
        target = TARGETS[name[:3]]
        full = spec["full_steps"] / rates["library"]
        ratio = rates["library"] / rates["straightforward"]
        verdict = "met" if full <= target and ratio >= 5 else "NOT met"
        print(f"{'':<38} targets (>= 5x, full run <= {target:.0f} s): {verdict}")
        if verdict != "met":  # how far off, and the floor the matmul work alone sets
            at_peak = spec["full_steps"] * flops / (peak * 1e9)
            print(
                f"{'':<38} needs {max(full / target, 5 / ratio):.2f}x more; the matmul work "
                f"alone takes {at_peak:.0f} s at the measured peak"
            )
        print()


if __name__ == "__main__":
    main()
