"""Grading speed: 100 generated submissions of one chapter, with every protection and with none.

    python benchmarks/grade_speed.py [--n 100] [--chapter 01_monosemanticity] [--jobs N]
                                     [--baseline OLD/src]

The submissions are copies of the chapter's solution and exercise notebooks, and
solutions with one answer replaced by a wrong one. Each run starts its own sandbox
(the worker imports torch and the library once; that start is counted) and grades
every submission, one per core. "all protections" is what `polysemantic grade`
uses: Landlock, network and user namespaces, no_new_privs, seccomp and the limits;
"none" keeps only the resource limits. Target (DESIGN.md, Budgets): 100
submissions in under 2 minutes on 2 cores with every protection on.

With --baseline (the `src` folder of another version of the course, e.g.
`git archive <commit> src | tar -x -C /tmp/old`), the same submissions are also
graded, every protection on, by that version in a process of its own: the ratio is
what this version's checks cost (the bounded reader, the result pipe, escaping).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
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


BASELINE = """
import json, sys, time
from pathlib import Path
from polysemantic.course import COURSE
from polysemantic.grading.gradebook import grade_many
from polysemantic.grading.sandbox import Sandbox
import polysemantic
assert polysemantic.__file__.startswith(sys.argv[1]), polysemantic.__file__
paths = [Path(p) for p in json.loads(sys.argv[2])]
start = time.perf_counter()
with Sandbox(COURSE.all()) as sandbox:
    started = time.perf_counter()
    results = grade_many(paths, COURSE, jobs=json.loads(sys.argv[3]), sandbox=sandbox)
    done = time.perf_counter()
print(json.dumps({"startup": started - start, "grading": done - started, "total": done - start,
                  "totals": sorted({r.total for r in results})}))
"""


def measure_baseline(src: Path, paths: list[Path], jobs: int | None) -> dict:
    """The same run, every protection on, by the version of the course in `src`."""
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            BASELINE,
            str(src),
            json.dumps([str(p) for p in paths]),
            json.dumps(jobs),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(src)},
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--chapter", default="01_monosemanticity")
    parser.add_argument("--jobs", type=int, default=None, help="default: one per core")
    parser.add_argument("--baseline", type=Path, help="another version's src folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(args.chapter, args.n, Path(tmp))
        measure(paths[: max(4, args.n // 10)], None, args.jobs)  # warm the caches, not counted
        old = measure_baseline(args.baseline.resolve(), paths, args.jobs) if args.baseline else None
        on = measure(paths, None, args.jobs)
        off = measure(paths, [], args.jobs)
    print(f"{args.n} submissions of {args.chapter}, {os.cpu_count()} cores")
    print(f"totals seen: {on['totals']} (all), {off['totals']} (none)")
    print(on["summary"])
    print(
        f"{'protections':<18} {'start s':>8} {'grading s':>10} {'total s':>8} {'per notebook':>13}"
    )
    runs = [("all", on), ("none", off)] + ([("all, baseline", old)] if old else [])
    for name, run in runs:
        print(
            f"{name:<18} {run['startup']:>8.1f} {run['grading']:>10.1f} {run['total']:>8.1f} "
            f"{run['total'] / args.n:>12.2f}s"
        )
    print(
        f"ratio all / none: {on['total'] / off['total']:.2f}x in total, "
        f"{on['grading'] / off['grading']:.2f}x grading alone"
    )
    if old:
        print(f"totals seen by the baseline: {old['totals']}")
        print(
            f"ratio this version / baseline, all protections: {on['total'] / old['total']:.2f}x "
            f"in total, {on['grading'] / old['grading']:.2f}x grading alone"
        )
    budget = TARGET * args.n / 100
    print(
        f"target: {args.n} submissions under {budget:g} s with every protection -> "
        f"{'met' if on['total'] < budget else 'NOT met'} ({on['total']:.1f} s)"
    )


if __name__ == "__main__":
    main()
