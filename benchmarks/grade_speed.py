"""Grading speed: 100 generated submissions of one chapter, with every protection and with none.

    python benchmarks/grade_speed.py [--n 100] [--chapter 01_monosemanticity] [--jobs N]

The submissions are copies of the chapter's solution and exercise notebooks, and
solutions with one answer replaced by a wrong one. Each run starts its own sandbox
(the worker imports torch and the library once; that start is counted) and grades
every submission, one per core. "all protections" is what `polysemantic grade`
uses: Landlock, network and user namespaces, no_new_privs, seccomp and the limits;
"none" keeps only the resource limits. Target (DESIGN.md, Budgets): 100
submissions in under 2 minutes on 2 cores with every protection on.
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
from polysemantic.grading.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
TARGET = 120.0  # seconds for 100 submissions, every protection on


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


def measure(paths: list[Path], protections: list[str] | None, jobs: int | None) -> dict:
    start = time.perf_counter()
    with Sandbox(COURSE.all(), protections=protections) as sandbox:
        started = time.perf_counter()
        results = grade_many(paths, COURSE, jobs=jobs, sandbox=sandbox)
        done = time.perf_counter()
        summary = sandbox.protections.summary()
    return {
        "startup": started - start,
        "grading": done - started,
        "total": done - start,
        "totals": sorted({r.total for r in results}),
        "summary": summary,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--chapter", default="01_monosemanticity")
    parser.add_argument("--jobs", type=int, default=None, help="default: one per core")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(args.chapter, args.n, Path(tmp))
        on = measure(paths, None, args.jobs)
        off = measure(paths, [], args.jobs)
    print(f"{args.n} submissions of {args.chapter}, {os.cpu_count()} cores")
    print(f"totals seen: {on['totals']} (all), {off['totals']} (none)")
    print(on["summary"])
    print(
        f"{'protections':<18} {'start s':>8} {'grading s':>10} {'total s':>8} {'per notebook':>13}"
    )
    for name, run in (("all", on), ("none", off)):
        print(
            f"{name:<18} {run['startup']:>8.1f} {run['grading']:>10.1f} {run['total']:>8.1f} "
            f"{run['total'] / args.n:>12.2f}s"
        )
    print(
        f"ratio all / none: {on['total'] / off['total']:.2f}x in total, "
        f"{on['grading'] / off['grading']:.2f}x grading alone"
    )
    budget = TARGET * args.n / 100
    print(
        f"target: {args.n} submissions under {budget:g} s with every protection -> "
        f"{'met' if on['total'] < budget else 'NOT met'} ({on['total']:.1f} s)"
    )


if __name__ == "__main__":
    main()
