"""A hostile class, graded whole: time and memory against the per-file budget.

    /usr/bin/time -v python benchmarks/grade_hostile_class.py [--timeout 40] [--jobs N]

The class holds one file of each broken kind (tests/hostile.py, BROKEN_FILES), one
submission of each steering trick (STEERING) and two honest solutions of chapter 01.
Every file must get its row, within --timeout x files plus the sandbox's start and
the reading; the table prints the wall time beside that bound, the rows by status,
and the peak memory of the grader and of its worker (run it under /usr/bin/time -v
for the whole process tree's peak). Then one chapter 06 and one chapter 08 solution
are graded alone (DESIGN.md, Budgets: under 30 s each).
"""

from __future__ import annotations

import argparse
import collections
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hostile import BROKEN_FILES, STEERING, write, write_broken  # noqa: E402
from polysemantic.course import COURSE  # noqa: E402
from polysemantic.grading.grade import grade_notebook  # noqa: E402
from polysemantic.grading.gradebook import grade_class  # noqa: E402
from polysemantic.grading.sandbox import shared_sandbox  # noqa: E402


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=40.0)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        for name in BROKEN_FILES:
            write_broken(folder, name)
        for name in STEERING:
            write(folder, name, {})
        for name in ("honest_a", "honest_b"):
            shutil.copy(
                ROOT / "solutions" / "01_monosemanticity.ipynb", folder / f"{name}_01.ipynb"
            )
        written = time.perf_counter()
        paths = sorted(folder.glob("*.ipynb"))
        sandbox = shared_sandbox(COURSE.all())
        started = time.perf_counter()
        graded = grade_class(paths, COURSE, jobs=args.jobs, timeout=args.timeout, sandbox=sandbox)
        done = time.perf_counter()
    statuses = collections.Counter(r.status.value for r in graded.results)
    bound = args.timeout * len(paths)
    print(f"{len(paths)} files: {len(BROKEN_FILES)} broken, {len(STEERING)} steering, 2 honest")
    print(f"rows: {len(graded.results)} ({dict(sorted(statuses.items()))})")
    honest = [r.total for r in graded.results if "honest" in r.notebook]
    print(f"honest totals: {honest} of {graded.results[0].max_total or 'n/a'}")
    print(f"{'what':<36} {'seconds':>9}")
    print(f"{'writing the class':<36} {written - start:>9.1f}")
    print(f"{'starting the sandbox':<36} {started - written:>9.1f}")
    print(f"{'reading and grading every file':<36} {done - started:>9.1f}")
    print(f"{'bound: --timeout x files':<36} {bound:>9.1f}")
    print(
        f"peak memory: grader {_peak_mb(resource.RUSAGE_SELF):.0f} MB, "
        f"largest child {_peak_mb(resource.RUSAGE_CHILDREN):.0f} MB"
    )
    for stem in ("06_superposition", "08_sparse_autoencoders"):
        t = time.perf_counter()
        result = grade_notebook(ROOT / "solutions" / f"{stem}.ipynb", COURSE, sandbox=sandbox)
        print(
            f"one {stem} solution: {time.perf_counter() - t:.1f} s, "
            f"{result.total:g} / {result.max_total:g} ({result.status})"
        )


if __name__ == "__main__":
    main()
