"""The exercise budgets, timed as a learner meets them: every exercise notebook runs in
under 60 s, and the grader grades a complete chapter 06 or 08 submission in under 30 s
(2-core CPU).

    python benchmarks/exercise_budgets.py [--shipped-only] [--no-chapters] [--no-grading]
                                          [NOTEBOOK ...]

Each exercise notebook, with the solution's code filled in (its solution notebook
without the cells tagged `solution-only`, outputs cleared), runs top to bottom in a
fresh kernel in the environment `make lab` gives: no thread variable
(OMP_NUM_THREADS, MKL_NUM_THREADS, ...) and no POLYSEMANTIC_PROGRESS, so progress
bars are on. Twice, one run after the other:

- as shipped: the setup cell's `from polysemantic import check` puts torch on one
  thread (`polysemantic.small_models_on_one_thread`);
- with torch's default threads: a cell after the setup cell sets them back to what a
  fresh torch picks here.

The table gives both, and then every cell that takes 2 s or more, as shipped: the
time claims of the notebooks ("it takes about 20 s") are these numbers. The chapter
pages' slow cells follow, run as the book build runs them (one thread, no progress
bars). The two runs of a notebook take turns at going first. Then the solutions of
chapters 06 and 08, the two with training loops, are graded as a submission is,
sandbox and hidden cases included. The machine's load
average is printed first: these runs are meant for a busy machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_BUDGET, GRADING_BUDGET, SLOW_CELL = 60.0, 30.0, 2.0
# What a shell may set and `make lab` does not: stripped from the kernels' environment.
LAB_STRIPS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "POLYSEMANTIC_PROGRESS",
)
_REPORT_THREADS = "import torch as _t; print('torch threads:', _t.get_num_threads())"


def lab_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in LAB_STRIPS}


def default_threads() -> int:
    """How many threads a fresh torch picks in `make lab`'s environment."""
    code = "import torch; print(torch.get_num_threads())"
    done = subprocess.run(
        [sys.executable, "-c", code], env=lab_environment(), capture_output=True, text=True
    )
    return int(done.stdout)


def filled_in(solution: Path) -> nbformat.NotebookNode:
    """The exercise notebook with the solution's code in it: the solution notebook
    without its solution-only cells, and without outputs."""
    notebook = nbformat.read(solution, as_version=4)
    notebook.cells = [
        cell for cell in notebook.cells if "solution-only" not in cell.metadata.get("tags", [])
    ]
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return notebook


def _seconds(cell: nbformat.NotebookNode) -> float:
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def run(notebook: nbformat.NotebookNode, cwd: Path, env: dict[str, str], *, threads: int | None):
    """Run NOTEBOOK in a fresh kernel with ENV; THREADS (if given) are set right after
    its setup cell. Returns (seconds in all, {cell index: seconds}, torch's threads at
    the end), cell indices being those of NOTEBOOK."""
    cells = list(notebook.cells)
    setup = next(i for i, cell in enumerate(cells) if cell.cell_type == "code")
    extra = []
    if threads is not None:
        extra = [(setup + 1, f"import torch as _t; _t.set_num_threads({threads})")]
    extra.append((len(cells) + 1, _REPORT_THREADS))
    for position, code in extra:
        cell = nbformat.v4.new_code_cell(code)
        cell.metadata["benchmark"] = True
        cells.insert(position, cell)
    copy = nbformat.from_dict({**notebook, "cells": cells})
    saved = os.environ.copy()
    os.environ.clear()
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        start = time.perf_counter()
        NotebookClient(
            copy,
            timeout=3600,  # a cell may take long on a busy machine: it is timed, not cut
            kernel_name="python3",
            record_timing=True,
            resources={"metadata": {"path": str(cwd)}},
        ).execute()
        seconds = time.perf_counter() - start
    finally:
        os.environ.clear()
        os.environ.update(saved)
    per_cell, k = {}, 0
    for cell in copy.cells:
        if cell.metadata.get("benchmark"):
            continue
        per_cell[k] = _seconds(cell)
        k += 1
    report = copy.cells[-1].outputs[0]["text"]
    return seconds, per_cell, int(report.split(":")[1])


def first_line(cell: nbformat.NotebookNode) -> str:
    lines = [line for line in cell.source.splitlines() if line.strip()]
    return (lines[0] if lines else "").strip()[:60]


def time_notebooks(paths: list[Path], *, compare: bool) -> list[tuple[str, int, str, float]]:
    n_default = default_threads()
    env = lab_environment()
    print(
        f"{'exercise notebook, solution filled in':<38} {'default':>9} {'shipped':>9}"
        f"   budget {NOTEBOOK_BUDGET:g} s"
    )
    print(f"{'(make lab environment, seconds)':<38} {f'{n_default} thr':>9} {'':>9}")
    slow = []
    for k, path in enumerate(paths):
        notebook = filled_in(path)
        cwd = ROOT / "exercises"  # where a learner's copy sits: my-exercises/, one level down
        # Taking turns at going first: a first run may warm a cache for the second.
        default = float("nan")
        if compare and k % 2 == 0:
            default, _, _ = run(notebook, cwd, env, threads=n_default)
        shipped, per_cell, threads = run(notebook, cwd, env, threads=None)
        if compare and k % 2 == 1:
            default, _, _ = run(notebook, cwd, env, threads=n_default)
        verdict = "within" if shipped < NOTEBOOK_BUDGET else "OVER"
        print(
            f"{path.name:<38} {default:>9.1f} {shipped:>6.1f} ({threads} thr)   {verdict}",
            flush=True,
        )
        slow += [
            (path.name, i, first_line(notebook.cells[i]), s)
            for i, s in per_cell.items()
            if s >= SLOW_CELL
        ]
    return slow


def time_chapters() -> list[tuple[str, int, str, float]]:
    """The chapter pages' slow cells, run as the book build runs them."""
    from myst_nb.core.read import read_myst_markdown_notebook

    env = {**lab_environment(), "OMP_NUM_THREADS": "1", "POLYSEMANTIC_PROGRESS": "0"}
    slow = []
    for page in sorted((ROOT / "chapters").glob("*.md")):
        notebook = read_myst_markdown_notebook(page.read_text(encoding="utf-8"))
        _, per_cell, _ = run(notebook, page.parent, env, threads=None)
        slow.append((page.name, -1, "(every cell)", sum(per_cell.values())))
        slow += [
            (page.name, i, first_line(notebook.cells[i]), s)
            for i, s in per_cell.items()
            if s >= SLOW_CELL
        ]
    return slow


def print_slow(title: str, slow: list[tuple[str, int, str, float]]) -> None:
    print(f"\n{title:<38} {'cell':>4}  {'seconds':>7}  first line")
    for name, index, line, seconds in slow:
        print(f"{name:<38} {'all' if index < 0 else index:>4}  {seconds:>7.1f}  {line}")


def time_grading() -> None:
    from polysemantic.course import COURSE
    from polysemantic.grading.grade import grade_notebook

    print(
        f"\n{'graded submission':<38} {'seconds':>8}   {'points':>9}   budget {GRADING_BUDGET:g} s"
    )
    for stem in ("06_superposition", "08_sparse_autoencoders"):
        start = time.perf_counter()
        result = grade_notebook(ROOT / "solutions" / f"{stem}.ipynb", COURSE, hidden_seed=1)
        seconds = time.perf_counter() - start
        verdict = "within" if seconds < GRADING_BUDGET else "OVER"
        points = f"{result.total:g} / {result.max_total:g}"
        print(f"{stem + '.ipynb':<38} {seconds:>8.1f}   {points:>9}   {verdict}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="solution notebooks (all)")
    parser.add_argument("--no-chapters", action="store_true", help="skip the chapter pages")
    parser.add_argument("--no-grading", action="store_true", help="skip the grading runs")
    parser.add_argument(
        "--shipped-only", action="store_true", help="skip the runs on torch's default threads"
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "solutions").glob("*.ipynb"))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} (1, 5, 15 min)\n")
    slow = time_notebooks(paths, compare=not args.shipped_only)
    print_slow("slow cells, as shipped (2 s or more)", slow)
    if not args.no_chapters:
        print_slow("chapter pages, as the book runs them", time_chapters())
    if not args.no_grading:
        time_grading()


if __name__ == "__main__":
    main(sys.argv[1:])
