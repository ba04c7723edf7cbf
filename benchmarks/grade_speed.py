"""Grading speed: 100 generated submissions of one chapter, in parallel and one at a time.

    python benchmarks/grade_speed.py [--n 100] [--chapter 01_monosemanticity]

The submissions are copies of the chapter's solution and exercise notebooks,
and solutions with one answer replaced by a named mistake. The parallel run
grades all of them (one worker per core, the default); the sequential run grades
a tenth of them and is projected to all. Target (issue 7): 100 submissions in
under 5 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from polysemantic.course import COURSE
from polysemantic.grading.gradebook import grade_many

ROOT = Path(__file__).resolve().parents[1]


def generate(chapter: str, n: int, folder: Path) -> list[Path]:
    solution = ROOT / "solutions" / f"{chapter}.ipynb"
    exercise = ROOT / "exercises" / f"{chapter}.ipynb"
    paths = []
    for k in range(n):
        path = folder / f"student{k:03d}_{chapter}.ipynb"
        if k % 4 == 3:
            shutil.copy(exercise, path)
        elif k % 4 == 2:  # a wrong answer: the first function returns its first input
            notebook = nbformat.read(solution, as_version=4)
            for cell in notebook.cells:
                if cell.cell_type == "code" and "# BEGIN SOLUTION" in cell.source:
                    head, _, rest = cell.source.partition("# BEGIN SOLUTION")
                    first_arg = head.split("(", 2)[1].split(":")[0].split(",")[0].strip()
                    cell.source = (
                        head
                        + f"return {first_arg}  # BEGIN SOLUTION"
                        + rest.partition("# END SOLUTION")[2]
                    )
                    break
            nbformat.write(notebook, path)
        else:
            shutil.copy(solution, path)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--chapter", default="01_monosemanticity")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(args.chapter, args.n, Path(tmp))
        start = time.perf_counter()
        results = grade_many(paths, COURSE)
        parallel = time.perf_counter() - start
        subset = paths[: max(1, args.n // 10)]
        start = time.perf_counter()
        grade_many(subset, COURSE, jobs=1)
        sequential = (time.perf_counter() - start) * len(paths) / len(subset)
    totals = sorted({r.total for r in results})
    print(f"{args.n} submissions of {args.chapter}, {os.cpu_count()} cores; totals seen: {totals}")
    print(f"{'mode':<28} {'seconds':>8} {'per notebook':>13}")
    print(f"{'one at a time (projected)':<28} {sequential:>8.1f} {sequential / args.n:>12.2f}s")
    print(f"{'parallel, one per core':<28} {parallel:>8.1f} {parallel / args.n:>12.2f}s")
    print(
        f"speed-up {sequential / parallel:.2f}x; target: under 300 s -> "
        f"{'met' if parallel < 300 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
