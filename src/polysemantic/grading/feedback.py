"""Feedback for students: one Markdown file per submission.

Each file gives the student's points per question, every public case with its
verdict, what was expected against what came back and the hint when one fired. Hidden
cases are counted ("hidden cases: 1 of 2 pass") but never shown: their inputs and
messages stay with the instructor. Integrity flags are not in it: the instructor
decides what to do with them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from polysemantic.grading import escape
from polysemantic.grading.results import Status, SubmissionResult, SubmissionStatus

_MARK = {Status.PASSED: "✓", Status.NOT_ATTEMPTED: "·"}


def file_names(notebooks: Iterable[str]) -> dict[str, str]:
    """A Markdown file name per notebook: its stem, made unique with -2, -3, ..."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for notebook in notebooks:
        stem, number = Path(notebook).stem, 1
        name = f"{stem}.md"
        while name in taken:
            number += 1
            name = f"{stem}-{number}.md"
        taken.add(name)
        names[notebook] = name
    return names


def _escape(text: str) -> str:
    """One line of Markdown that shows `text` as text (see escape.markdown)."""
    return escape.markdown(text)


def markdown(result: SubmissionResult, student: str) -> str:
    """One student's feedback."""
    lines = [
        f"# Feedback for {_escape(student)}",
        "",
        f"Notebook: {_escape(Path(result.notebook).name)}",
    ]
    if result.chapter:
        lines.append(
            f"Chapter {result.chapter}: **{result.total:g} / {result.max_total:g}** points"
        )
    if result.status != SubmissionStatus.GRADED:
        lines += ["", f"**Not fully graded: {_escape(result.status_line)}**"]
    if result.notes:
        lines += ["", "Notes:"] + [f"- {_escape(note)}" for note in result.notes]
    for qid, q in result.questions.items():
        lines += ["", f"## {qid}: {q.points:g} / {q.max_points:g} ({q.status})", ""]
        public = [c for c in q.cases if not c.hidden]
        hidden = [c for c in q.cases if c.hidden]
        for case in public:
            mark = _MARK.get(case.status, "✗")
            detail = "" if case.status == Status.PASSED else f": {_escape(case.message)}"
            lines.append(f"- {mark} {_escape(case.name)}{detail}")
            if case.hint:
                lines.append(f"  - Hint: {_escape(case.hint)}")
        if hidden:
            passed = sum(c.status == Status.PASSED for c in hidden)
            lines.append(f"- hidden cases: {passed} of {len(hidden)} pass")
        if not q.cases:
            lines.append(f"- {_escape(q.message)}")
    return "\n".join(lines) + "\n"


def existing(folder: Path, names: Iterable[str]) -> list[Path]:
    """The feedback files that are already there (they are not replaced without --force)."""
    return [folder / name for name in names if (folder / name).exists()]


def write(
    results: Iterable[SubmissionResult], folder: Path, student_of, names: dict[str, str]
) -> int:
    """Write one file per result into `folder`; returns how many were written."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for result in results:
        (folder / names[result.notebook]).write_text(
            markdown(result, student_of(Path(result.notebook))), encoding="utf-8"
        )
        count += 1
    return count
