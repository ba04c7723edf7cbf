"""The introduction's claims: what to know first, and how long each chapter and path takes."""

import re
from pathlib import Path

import nbformat
import pytest

from polysemantic.authoring.timing import course_times, exercise_minutes, reading_minutes

ROOT = Path(__file__).resolve().parents[1]
INTRO = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
TIMES = {t.chapter[:2]: t for t in course_times(ROOT)}
_ROW = re.compile(r"^\| (\d\d) · [^|]+\| (\d+) min \| (\d+) min \|$", re.M)

# The short path, as the introduction words it: (what it says, chapters read,
# {chapter: exercises done}).
TWO_HOUR_PATH = [
    ("Read 02 ({} min)", ["02"], {}),
    ("Read 06 ({} min)", ["06"], {}),
    ("do its exercises 1–4 ({} min)", [], {"06": [1, 2, 3, 4]}),
    ("Read 08 ({} min)", ["08"], {}),
]
SESSIONS = [["01"], ["02"], ["03"], ["04", "05"], ["06"], ["07"], ["08"]]


def _minutes(read: list[str], exercises: dict[str, list[int]]) -> int:
    return sum(TIMES[c].reading for c in read) + sum(
        TIMES[c].exercises[n] for c, numbers in exercises.items() for n in numbers
    )


def test_the_table_gives_every_chapter_its_reading_and_exercise_minutes():
    rows = {nn: (int(r), int(e)) for nn, r, e in _ROW.findall(INTRO)}
    assert rows == {nn: (t.reading, t.exercise_total) for nn, t in TIMES.items()}
    reading = sum(t.reading for t in TIMES.values())
    exercises = sum(t.exercise_total for t in TIMES.values())
    assert f"| **all eight** | **{reading} min** | **{exercises} min** |" in INTRO


def test_the_full_course_takes_what_the_intro_says():
    total = sum(t.reading + t.exercise_total for t in TIMES.values())
    assert 9 * 60 + 40 <= total <= 10 * 60 + 20  # "about ten hours"
    assert "about ten hours" in INTRO
    for session in SESSIONS:  # "an hour to two and a quarter hours each"
        assert 60 <= _minutes(session, {c: list(TIMES[c].exercises) for c in session}) <= 135
    assert "(01, 02, 03, 04–05, 06, 07, 08)" in INTRO
    assert "seven sessions of an hour to two and a quarter hours each" in INTRO


def test_the_short_path_fits_in_two_hours_and_a_quarter():
    total = 0
    for wording, read, exercises in TWO_HOUR_PATH:
        minutes = _minutes(read, exercises)
        assert wording.format(minutes) in INTRO
        total += minutes
    assert total <= 135
    assert f"**A short path** ({total} minutes)" in INTRO


@pytest.mark.parametrize(
    "needed", ["Python", "dot products", "matrices", "layer", "ReLU", "What you need first"]
)
def test_the_intro_says_what_to_know_first(needed):
    assert needed in INTRO


def test_reading_time_counts_prose_and_figures_not_code():
    prose = " ".join(["word"] * 600)  # 5 minutes at 120 words a minute
    assert reading_minutes(prose) == 5
    assert reading_minutes(prose + " more") == 10  # rounded up to 5 minutes
    code = "\n```{code-cell} ipython3\n" + "x = 1 " * 5000 + "\n```\n"
    assert reading_minutes(prose + code) == 5
    assert reading_minutes(prose + code.replace("x = 1", "figures.show(fig)", 1)) == 10


def test_exercise_minutes_come_from_the_headings():
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("## Exercise 1 · a (2 points, ~5 min, ★☆☆)"),
            nbformat.v4.new_code_cell("# Exercise 9 · not a heading (~99 min)"),
            nbformat.v4.new_markdown_cell("## Exercise 2 · b (1 point, ~12 min, ★★☆)"),
        ]
    )
    assert exercise_minutes(notebook) == {1: 5, 2: 12}
