"""Grading on Gradescope: an autograder bundle, and results in its results.json format.

Gradescope runs `setup.sh` once to build the grading image and `run_autograder`
for every submission, with the submission in /autograder/submission and the
result expected in /autograder/results/results.json: a top-level "score" and
"tests", a list of {"name", "score", "max_score", "status", "output",
"visibility"} (Gradescope's "Autograder specifications"). One test per
question here; hidden cases count in the score, and their details stay out of
what students see.

The bundle's hidden cases come from a private seed, drawn when the bundle is
written (`secrets.token_hex`) and kept only in the bundle (its file `hidden_seed`):
not in the repository, not in the package a student installs. Anyone with the
bundle can draw the hidden cases, so keep it where the autograder's files are kept.
"""

from __future__ import annotations

import secrets
import shutil
import stat
from pathlib import Path
from typing import Any

from polysemantic.grading.results import Status, SubmissionResult, SubmissionStatus

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
SEED_FILE = "hidden_seed"  # in the bundle, next to setup.sh: /autograder/source/hidden_seed

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image.
set -euo pipefail
apt-get update -qq && apt-get install -y -qq python3 python3-pip python3-venv
python3 -m venv /opt/polysemantic
/opt/polysemantic/bin/pip install --quiet torch --index-url https://download.pytorch.org/whl/cpu
/opt/polysemantic/bin/pip install --quiet /autograder/source/course
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${POLYSEMANTIC_PYTHON:-/opt/polysemantic/bin/python}"
mkdir -p "$ROOT/results"
submission="$(find "$ROOT/submission" -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' \\
              | sort | head -n 1)"
# The bundle's private seed for the hidden cases (drawn when the bundle was written).
seed="$(cat "$ROOT/source/hidden_seed")"
"$PYTHON" -m polysemantic.cli grade "${submission:-$ROOT/submission/missing.ipynb}" \\
    --seed "$seed" --gradescope-results "$ROOT/results/results.json"
"""


def results_json(result: SubmissionResult) -> dict[str, Any]:
    """Gradescope's results.json for one graded (or unreadable) notebook."""
    tests = []
    for number, (qid, q) in enumerate(result.questions.items(), start=1):
        public = [c for c in q.cases if not c.hidden]
        hidden = [c for c in q.cases if c.hidden]
        lines = [
            f"{'✓' if c.status == Status.PASSED else '✗'} {c.name}: {c.message}"
            + (f" Hint: {c.hint}" if c.hint else "")
            for c in public
        ]
        if hidden:
            passed = sum(c.status == Status.PASSED for c in hidden)
            lines.append(f"hidden cases: {passed} of {len(hidden)} pass")
        if not lines:
            lines.append(q.message)
        tests.append(
            {
                "name": qid,
                "number": str(number),
                "score": q.points,
                "max_score": q.max_points,
                "status": "passed" if q.points >= q.max_points else "failed",
                "output": "\n".join(lines),
                "visibility": "visible",
            }
        )
    notes = list(result.notes)
    if result.status != SubmissionStatus.GRADED:
        notes.insert(0, result.status_line)
    return {
        "score": result.total,
        "output": "\n".join(notes) or "graded",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def write_bundle(folder: Path, course_root: Path, seed: str | None = None) -> Path:
    """Write setup.sh, run_autograder, a private seed and a copy of the course's package
    into `folder` (zip its contents and upload them as the Gradescope autograder).

    seed: the hidden cases' seed (default: a new one, 128 random bits)."""
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} is not empty: choose a new folder for the bundle")
    course = folder / "course"
    course.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(course_root / name, course / name)
    shutil.copytree(
        course_root / "src",
        course / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    seed_path = folder / SEED_FILE
    seed_path.write_text((seed or secrets.token_hex(16)) + "\n", encoding="utf-8")
    seed_path.chmod(0o600)
    for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
        path = folder / name
        path.write_text(text, encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return folder
