"""A gradebook for a folder of submissions: one row per notebook, always.

    polysemantic grade submissions/ --out grades.csv

Submissions are graded in parallel (each in its own sandboxed process, see
sandbox.py). Every submission gets a row, whatever it contains: a file that
cannot be read gets 0 points and a reason. The CSV follows otter-grader's
final_grades.csv where that makes sense (a `file` column, one column per
question, a total), with a first row holding each question's maximum, and a last
column of integrity flags. Beside it:
- the JSON with every case's message, the flags and the protections in force;
- similarity.csv, the integrity report's pairs (integrity.py);
- item_analysis.csv, per question and case the share of the class that passed
  (item_analysis.py).
"""

from __future__ import annotations

import csv
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polysemantic.grading import escape
from polysemantic.grading.grade import DEFAULT_TIMEOUT, Seed, grade_submission
from polysemantic.grading.notebook import NotebookError, Submission, read_submission
from polysemantic.grading.question import QuestionBank
from polysemantic.grading.results import SubmissionResult, SubmissionStatus, not_graded
from polysemantic.grading.sandbox import Sandbox, shared_sandbox

SIMILARITY_CSV = "similarity.csv"
ITEMS_CSV = "item_analysis.csv"

_CHAPTER_STEM = re.compile(r"(?<![A-Za-z0-9])\d\d(_[a-z]+(?:_[a-z]+)*)?(?![A-Za-z0-9])")


class GradebookError(ValueError):
    """A problem with the command itself (a missing path, an existing output file)."""


def collect(paths: list[Path]) -> list[Path]:
    """The notebooks named, folders searched recursively; missing paths are an error."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise GradebookError(f"no such file or folder: {', '.join(missing)}")
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        else:
            found.append(path)
    return found


def student_id(path: Path) -> str:
    """The student's name from the file name: 'alice_01_monosemanticity.ipynb' -> 'alice'."""
    name = _CHAPTER_STEM.sub("", path.stem).strip(" _-.")
    name = re.sub(r"[ _\-.]{2,}", "_", name)
    return name or path.stem


def _read(path: Path, bank: QuestionBank) -> Submission | SubmissionResult:
    """A submission read into memory, or its `unreadable` row: whatever the file
    holds, reading it never raises (notebook.py bounds its size, cells and time)."""
    try:
        return read_submission(path, bank.chapters())
    except NotebookError as error:
        return not_graded(str(path), SubmissionStatus.UNREADABLE, str(error))
    except Exception as error:  # noqa: BLE001 - a file never costs the class its gradebook
        return not_graded(
            str(path),
            SubmissionStatus.UNREADABLE,
            f"{path}: could not be read ({type(error).__name__})",
        )


def _grade(
    item: Submission | SubmissionResult,
    bank: QuestionBank,
    seed: Seed | None,
    timeout: float,
    sandbox: Sandbox | None = None,
) -> SubmissionResult:
    if isinstance(item, SubmissionResult):  # could not be read: already a row
        return item
    try:
        return grade_submission(item, bank, hidden_seed=seed, timeout=timeout, sandbox=sandbox)
    except NotebookError as error:  # a chapter without graded questions
        return not_graded(str(item.path), SubmissionStatus.UNREADABLE, str(error))
    except Exception as error:  # a grader bug must not cost the other rows
        return not_graded(
            str(item.path), SubmissionStatus.ERROR, f"grader error: {type(error).__name__}"
        )


def grade_one_path(
    path: Path, bank: QuestionBank, *, seed: Seed | None = 0, timeout: float = DEFAULT_TIMEOUT
) -> SubmissionResult:
    """One notebook, always a result: unreadable files become a 0 with the reason."""
    return _grade(_read(path, bank), bank, seed, timeout)


@dataclass
class ClassGrades:
    """A class's grading run: one result per path, in order, and what it ran on."""

    results: list[SubmissionResult]
    code: dict[str, str] = field(default_factory=dict)  # notebook -> its definitions
    sandbox: dict[str, Any] | None = None  # the protections in force (sandbox.Protections)


def grade_class(
    paths: list[Path],
    bank: QuestionBank,
    *,
    jobs: int | None = None,
    seed: Seed | None = 0,
    timeout: float = DEFAULT_TIMEOUT,
    sandbox: Sandbox | None = None,
) -> ClassGrades:
    """Grade every notebook, `jobs` at a time (default: the number of cores), in one
    sandbox (default: the process's shared one for `bank`).

    Every notebook is read into memory first, so a submission that deletes or
    rewrites files while it runs cannot change what the others submitted.
    """
    items = [_read(path, bank) for path in paths]
    code = {str(i.path): i.code for i in items if isinstance(i, Submission)}
    if sandbox is None and code:
        sandbox = shared_sandbox(bank.all())
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        results = list(pool.map(lambda item: _grade(item, bank, seed, timeout, sandbox), items))
    protections = None
    if sandbox is not None:
        protections = sandbox.protections.with_limits(timeout).to_json()
    return ClassGrades(results, code, protections)


def grade_many(
    paths: list[Path],
    bank: QuestionBank,
    *,
    jobs: int | None = None,
    seed: Seed | None = 0,
    timeout: float = DEFAULT_TIMEOUT,
    sandbox: Sandbox | None = None,
) -> list[SubmissionResult]:
    """grade_class's results alone: one SubmissionResult per path, in order."""
    return grade_class(paths, bank, jobs=jobs, seed=seed, timeout=timeout, sandbox=sandbox).results


def _reason(result: SubmissionResult) -> str:
    if result.status == SubmissionStatus.GRADED:
        lost = [
            f"{qid}: {q.status}" for qid, q in result.questions.items() if q.points < q.max_points
        ]
        return "; ".join(result.notes + lost)
    if result.status in (SubmissionStatus.TIMEOUT, SubmissionStatus.CRASH):
        return "; ".join([result.status_line] + result.notes[:1])
    return "; ".join(result.notes)


def outputs(csv_path: Path) -> list[Path]:
    """Every file a gradebook writes: the CSV, its JSON, similarity and item analysis."""
    folder = csv_path.parent
    return [csv_path, csv_path.with_suffix(".json"), folder / SIMILARITY_CSV, folder / ITEMS_CSV]


def check_outputs_free(csv_path: Path) -> None:
    """Refuse to replace an existing gradebook (the CSV or the files beside it)."""
    for existing in outputs(csv_path):
        if existing.exists():
            raise GradebookError(
                f"{existing} already exists: choose another --out, or pass --force to replace it"
            )


def write_gradebook(
    results: list[SubmissionResult],
    csv_path: Path,
    bank: QuestionBank,
    *,
    force: bool = False,
    flags: dict[str, list[str]] | None = None,
    sandbox: dict[str, Any] | None = None,
) -> Path:
    """Write the CSV and, beside it, the JSON with every case. Returns the JSON's path.

    flags: the integrity report's flags per notebook (the `flags` column);
    sandbox: the protections in force, kept in the JSON.
    """
    flags = flags or {}
    if not force:
        check_outputs_free(csv_path)
    json_path = csv_path.with_suffix(".json")
    chapters = {r.chapter for r in results if r.chapter}
    questions = [q for q in bank.all() if q.chapter in chapters]
    questions.sort(key=lambda q: q.chapter)  # stable: declaration order within a chapter
    ids = [q.id for q in questions]
    header = ["file", "student", *ids, "total", "max", "percent", "status", "reason", "flags"]
    possible = sum(q.points for q in questions) if len(chapters) == 1 else ""
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerow(
            escape.row(
                ["(maximum)", "", *[q.points for q in questions], possible, possible, 100]
                + ["", "", ""]
            )
        )
        for r in results:
            blank = 0.0 if r.chapter is None and len(chapters) == 1 else ""
            points = [r.questions[i].points if i in r.questions else blank for i in ids]
            maximum = r.max_total or (possible if isinstance(possible, (int, float)) else 0)
            percent = round(100 * r.total / maximum, 1) if maximum else 0.0
            writer.writerow(
                escape.row(
                    [
                        r.notebook,
                        student_id(Path(r.notebook)),
                        *points,
                        r.total,
                        maximum,
                        percent,
                        r.status.value,
                        _reason(r),
                        "; ".join(flags.get(r.notebook, [])),
                    ]
                )
            )
    submissions = []
    for r in results:
        entry = {**r.to_json(), "student": student_id(Path(r.notebook))}
        entry.pop("sandbox", None)  # once, at the top
        submissions.append({**entry, "flags": flags.get(r.notebook, [])})
    payload = {
        "questions": {q.id: q.points for q in questions},
        **({"sandbox": sandbox} if sandbox is not None else {}),
        "submissions": submissions,
    }
    json_path.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    return json_path
