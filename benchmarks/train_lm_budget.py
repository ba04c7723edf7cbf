"""The language model's training budget: `polysemantic train-lm` in under 10 minutes on
2 cores, and the one thread it trains on, against torch's default threads.

    python benchmarks/train_lm_budget.py          # a short run of each, extrapolated
    python benchmarks/train_lm_budget.py --full   # also the whole `train-lm`, as a user runs it

train_lm sets torch to one thread (the same weights on every machine). The short runs
train the committed config for 50 and for 350 steps in a fresh process, once on one
thread and once with torch's default; the difference gives the time per step, and with
the fixed cost (the training text) the full run's time each predicts. --full times
`polysemantic train-lm --out <tmp>`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET = 600.0
STEPS = 300
SHORT = """
import functools, sys, time, torch
from polysemantic.language_model import tiny_lm
tiny_lm.generate = functools.cache(tiny_lm.generate)   # both runs read the same text
tiny_lm.evaluation_text = functools.cache(tiny_lm.evaluation_text)
cfg = tiny_lm.TinyLMConfig()
start = time.perf_counter()
tiny_lm.generate(tiny_lm.TRAIN_SEED, cfg.docs_per_domain), tiny_lm.evaluation_text()
text_seconds = time.perf_counter() - start
threads = 1
if sys.argv[1] == "default":
    threads = torch.get_num_threads()
    tiny_lm.torch.set_num_threads = lambda n: None   # leave torch's default threads alone
seconds = []
for steps in (50, 50 + int(sys.argv[2])):
    start = time.perf_counter()
    tiny_lm.train_lm(cfg, n_steps=steps)
    seconds.append(time.perf_counter() - start)
per_step = (seconds[1] - seconds[0]) / int(sys.argv[2])
print(per_step, text_seconds + seconds[0] - 50 * per_step, threads)
"""


def short_run(threads: str) -> tuple[float, float, str]:
    """Seconds per step, the fixed cost (the training text, the model), and the threads."""
    env_python = sys.executable
    out = subprocess.run(
        [env_python, "-c", SHORT, threads, str(STEPS)], check=True, capture_output=True,
        text=True, env={"POLYSEMANTIC_PROGRESS": "0", "PATH": ""},
    ).stdout.split()  # fmt: skip
    return float(out[0]), float(out[1]), out[2]


def main() -> None:
    from polysemantic.language_model.tiny_lm import TinyLMConfig

    total = TinyLMConfig().n_steps
    print(f"{'threads':<24} {'ms per step':>11} {'fixed cost':>10} {'predicted full run':>19}")
    for threads in ("one (as train-lm)", "default"):
        per_step, fixed, n = short_run("one" if threads.startswith("one") else "default")
        predicted = fixed + per_step * total
        label = f"{threads}: {n}"
        print(f"{label:<24} {per_step * 1000:>11.1f} {fixed:>8.1f} s {predicted:>17.0f} s")
    print(f"(fixed cost: generating the text, held-out loss checks; {total:,} steps in all)")
    if "--full" in sys.argv:
        polysemantic = Path(sys.executable).with_name("polysemantic")
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            subprocess.run([polysemantic, "train-lm", "--out", f"{tmp}/lm.npz"], check=True,
                           capture_output=True)  # fmt: skip
            seconds = time.perf_counter() - start
        verdict = "within" if seconds < BUDGET else "OVER"
        print(f"polysemantic train-lm: {seconds:.0f} s, {verdict} the {BUDGET:.0f} s budget")


if __name__ == "__main__":
    main()
