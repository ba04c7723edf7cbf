"""The exercise budgets: every solution notebook runs in under 60 s, and the grader
grades a complete chapter 06 or 08 submission in under 30 s (2-core CPU).

    python benchmarks/exercise_budgets.py [NOTEBOOK ...]

Each solution notebook is run top to bottom in a fresh kernel, single-threaded as
the tests run them, with the learner's own straightforward code (the solutions are
that code). Then the solutions of chapters 06 and 08, the two with training loops,
are graded as a submission is, sandbox and hidden cases included.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from polysemantic.course import COURSE
from polysemantic.grading.grade import grade_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_BUDGET, GRADING_BUDGET = 60.0, 30.0


def run_notebook(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()  # fmt: skip
    return time.perf_counter() - start


def main(names: list[str]) -> None:
    os.environ.update(POLYSEMANTIC_PROGRESS="0", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    paths = [Path(n) for n in names] or sorted((ROOT / "solutions").glob("*.ipynb"))
    print(f"{'solution notebook':<36} {'seconds':>8}   budget {NOTEBOOK_BUDGET:g} s")
    for path in paths:
        seconds = run_notebook(path)
        verdict = "within" if seconds < NOTEBOOK_BUDGET else "OVER"
        print(f"{path.name:<36} {seconds:>8.1f}   {verdict}")
    print(
        f"\n{'graded submission':<36} {'seconds':>8}   {'points':>9}   budget {GRADING_BUDGET:g} s"
    )
    for stem in ("06_superposition", "08_sparse_autoencoders"):
        start = time.perf_counter()
        result = grade_notebook(ROOT / "solutions" / f"{stem}.ipynb", COURSE, hidden_seed=1)
        seconds = time.perf_counter() - start
        verdict = "within" if seconds < GRADING_BUDGET else "OVER"
        points = f"{result.total:g} / {result.max_total:g}"
        print(f"{stem + '.ipynb':<36} {seconds:>8.1f}   {points:>9}   {verdict}")


if __name__ == "__main__":
    main(sys.argv[1:])
