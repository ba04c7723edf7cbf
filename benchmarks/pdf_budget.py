"""The book-as-one-PDF budget: `polysemantic pdf` prints the built book in under 5
minutes on 2 cores.

    python benchmarks/pdf_budget.py          # after `make book`

Runs `polysemantic pdf` as `make pdf` does once the book is built, in a fresh process
(Chromium's start, every page's figures and MathJax, the join included), once for each
paper size, into a temporary folder, and prints the wall time, the pages and the size.
The machine's load average is printed first: a busy machine is slower.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 300.0


def build(paper: str, out: Path) -> tuple[float, str]:
    polysemantic = Path(sys.executable).with_name("polysemantic")  # the installed command
    command = [polysemantic, "pdf", "--paper", paper, "--out", out, "--root", ROOT]
    start = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return time.perf_counter() - start, done.stdout


def main() -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} (1, 5, 15 min)\n")
    print(f"{'paper':<10} {'seconds':>8}   budget {BUDGET:g} s   {'sheets':>6} {'MB':>6}")
    for paper in ("a4", "us-letter"):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "book.pdf"
            seconds, said = build(paper, out)
            size = out.stat().st_size / 1e6
        sheets = re.search(r"\((\d+) pages", said).group(1)
        verdict = "within" if seconds < BUDGET else "OVER"
        print(f"{paper:<10} {seconds:>8.1f}   {verdict:<14} {sheets:>6} {size:>6.1f}")


if __name__ == "__main__":
    main()
