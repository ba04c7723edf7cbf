"""How long each chapter takes, as the introduction states it.

- Reading: the chapter page's prose (code cells and front matter left out) at
  READING_WORDS_PER_MINUTE, plus FIGURE_MINUTES for each interactive figure,
  rounded up to 5 minutes. The rate is slower than the 200 words a minute of
  plain prose: the pages hold formulas, and their figures are meant to be studied.
- Exercises: the minutes that the exercise notebook's headers state
  (`## Exercise 2 · ... (2 points, ~5 min, ★★☆)`), added up.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

READING_WORDS_PER_MINUTE = 120
FIGURE_MINUTES = 1
_CODE = re.compile(r"^```.*?^```", re.S | re.M)
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
_EXERCISE = re.compile(r"^#+ Exercise (\d+) · .*~(\d+) min", re.M)


@dataclass(frozen=True)
class ChapterTime:
    chapter: str  # NN_stem
    reading: int  # minutes
    exercises: dict[int, int]  # exercise number -> its stated minutes

    @property
    def exercise_total(self) -> int:
        return sum(self.exercises.values())


def reading_minutes(page: str) -> int:
    """Minutes to read a chapter page (its MyST source) and study its figures."""
    figures = page.count("figures.show(")
    prose = _CODE.sub("", _FRONT_MATTER.sub("", page))
    minutes = len(prose.split()) / READING_WORDS_PER_MINUTE + figures * FIGURE_MINUTES
    return 5 * math.ceil(minutes / 5)


def exercise_minutes(notebook: nbformat.NotebookNode) -> dict[int, int]:
    """Each exercise's stated minutes, by its number."""
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    return {int(number): int(minutes) for number, minutes in _EXERCISE.findall(text)}


def course_times(root: Path) -> list[ChapterTime]:
    times = []
    for page in sorted((root / "chapters").glob("*.md")):
        notebook = nbformat.read(root / "exercises" / f"{page.stem}.ipynb", as_version=4)
        times.append(
            ChapterTime(
                page.stem,
                reading_minutes(page.read_text(encoding="utf-8")),
                exercise_minutes(notebook),
            )
        )
    return times
