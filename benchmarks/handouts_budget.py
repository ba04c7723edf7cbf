"""The handouts' budgets: every handout builds in under 60 s in all on 2 cores, and
each PDF is under 1 MB.

    python benchmarks/handouts_budget.py

Runs `polysemantic handouts` as a workshop host would, in a fresh process (imports,
the static figures and typst included), once for each paper size, into a temporary
folder, and prints the wall time and every PDF's size.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD_BUDGET, SIZE_BUDGET = 60.0, 1_000_000


def build(paper: str, out: Path) -> float:
    polysemantic = Path(sys.executable).with_name("polysemantic")  # the installed command
    command = [polysemantic, "handouts", "--paper", paper, "--out", out, "--root", ROOT]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    print(f"{'paper':<10} {'seconds':>8}   budget {BUILD_BUDGET:g} s   largest PDF (budget 1 MB)")
    for paper in ("a4", "us-letter"):
        with tempfile.TemporaryDirectory() as tmp:
            seconds = build(paper, Path(tmp) / "handouts")
            sizes = {p.relative_to(tmp): p.stat().st_size for p in Path(tmp).rglob("*.pdf")}
        largest = max(sizes, key=sizes.get)
        verdict = "within" if seconds < BUILD_BUDGET else "OVER"
        size_verdict = "within" if sizes[largest] < SIZE_BUDGET else "OVER"
        biggest = f"{largest} {sizes[largest]:,} bytes, {size_verdict} ({len(sizes)} PDFs)"
        print(f"{paper:<10} {seconds:>8.1f}   {verdict:<13}   {biggest}")


if __name__ == "__main__":
    main()
