"""One source: exercises/ is generated from solutions/, in sync, with nothing leaked."""

import json
from pathlib import Path

import nbformat
import pytest

from polysemantic.authoring.exercises import (
    PLACEHOLDER,
    MarkerError,
    exercise_headings,
    incomplete_headings,
    solution_blocks,
    strip_code,
    strip_markdown,
    sync,
)
from polysemantic.authoring.repository import read_repository
from polysemantic.authoring.solution_scan import unescape

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def test_every_solution_has_an_exercise_in_sync():
    assert SOLUTIONS, "no solution notebooks found"
    repository = read_repository(ROOT)
    assert sync(ROOT / "solutions", ROOT / "exercises", check=True, repository=repository) == []


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_nothing_between_solution_markers_leaks(path):
    solution = nbformat.read(path, as_version=4)
    exercise_text = (ROOT / "exercises" / path.name).read_text(encoding="utf-8")
    exercise = nbformat.reads(exercise_text, as_version=4)
    exercise_sources = "\n".join(cell.source for cell in exercise.cells)
    hidden = [line.strip() for cell in solution.cells for line in solution_blocks(cell.source)]
    hidden = [line for line in hidden if len(line) > 8]  # not `return x` noise
    assert hidden, "a solution notebook without solution blocks"
    leaked = [line for line in hidden if line in exercise_sources]
    assert not leaked, f"solution lines in exercises/{path.name}: {leaked}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_exercises_carry_no_outputs_and_solutions_do(path):
    exercise = nbformat.read(ROOT / "exercises" / path.name, as_version=4)
    solution = nbformat.read(path, as_version=4)
    for cell in exercise.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert any(cell.get("outputs") for cell in solution.cells if cell.cell_type == "code")


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_committed_notebooks_are_small(path):
    for folder in ("solutions", "exercises"):
        assert (ROOT / folder / path.name).stat().st_size < 1_000_000


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_every_exercise_states_points_time_difficulty_and_importance(path):
    solution = nbformat.read(path, as_version=4)
    assert exercise_headings(solution), "a notebook without exercises"
    assert incomplete_headings(solution) == []


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_the_exercises_keep_every_heading_as_the_solutions_state_it(path):
    exercise = nbformat.read(ROOT / "exercises" / path.name, as_version=4)
    assert exercise_headings(exercise) == exercise_headings(nbformat.read(path, as_version=4))


@pytest.mark.parametrize(
    "heading",
    [
        "## Exercise 1 · a (2 points, ~5 min, ★☆☆)",  # the old form: no importance
        "## Exercise 1 · a (2 points, ~5 min, difficulty ★☆☆)",
        "## Exercise 1 · a (~5 min, difficulty ★☆☆, importance ●●○)",  # no points
        "## Exercise 1 · a (2 points, difficulty ★☆☆, importance ●●○)",  # no minutes
        "## Check your understanding (2 points, ~10 min, importance ●●●)",
    ],
)
def test_a_heading_missing_any_of_the_four_is_reported(heading):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(heading)])
    assert incomplete_headings(notebook) == [heading]


def test_a_complete_heading_passes():
    heading = "## Exercise 3 · b (1 point, ~12 min, difficulty ★★☆, importance ●○○)"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(heading)])
    assert exercise_headings(notebook) == [heading] and incomplete_headings(notebook) == []


def test_stub_replaces_the_solution():
    source = "\n".join(
        [
            "def f(x):",
            "    # BEGIN SOLUTION",
            "    return x * 2",
            "    # END SOLUTION",
            "    # BEGIN STUB",
            "    # y = ...  # (n,)",
            "    # END STUB",
            "",
            "g = 1",
        ]
    )
    assert strip_code(source, "test") == "def f(x):\n    y = ...  # (n,)\n\ng = 1"


def test_no_stub_gives_the_placeholder():
    source = "def f(x):\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION"
    assert strip_code(source, "t") == f"def f(x):\n    {PLACEHOLDER}"


def test_markdown_blocks():
    source = (
        "# Title\n<!-- BEGIN SOLUTION -->\nsolutions only\n<!-- END SOLUTION -->\n"
        "<!-- BEGIN STUB\nexercises only\nEND STUB -->\nboth"
    )
    assert strip_markdown(source, "t") == "# Title\nexercises only\nboth"


@pytest.mark.parametrize(
    "source",
    [
        "# BEGIN SOLUTION\nx = 1",
        "x = 1\n# END SOLUTION",
        "# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n# BEGIN STUB\n# y",
    ],
)
def test_unpaired_markers_are_errors_that_say_where(source):
    with pytest.raises(MarkerError, match="cell 3"):
        strip_code(source, "solutions/x.ipynb, cell 3")


def test_check_reports_and_regenerate_fixes(tmp_path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION"
            )
        ]
    )
    nbformat.write(nb, solutions / "01_x.ipynb")
    assert sync(solutions, exercises, check=True) == ["exercises/01_x.ipynb is missing"]
    assert not exercises.exists()  # --check writes nothing
    sync(solutions, exercises)
    assert sync(solutions, exercises, check=True) == []
    (exercises / "01_x.ipynb").write_text("{}")
    assert sync(solutions, exercises, check=True) == ["exercises/01_x.ipynb is out of date"]


def test_the_solution_scan_reads_latex_in_json_as_written():
    r"""A solution line with `\times` or `\ne` is stored in a notebook's JSON as
    `\\times`; the scan must not read `\t` there as a tab (and lose the line)."""
    stored = json.dumps({"source": "about $8 \\times 0.1$ and $i \\ne j$, then\nnext"})
    assert unescape(stored) == '{"source": "about $8 \\times 0.1$ and $i \\ne j$, then next"}'


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_the_points_a_notebook_states_are_the_points_its_questions_carry(path):
    """Every heading's points, and every total the text states, add up to what `score()`
    reports: the chapter's questions' points (a quiz carries none)."""
    import re

    from polysemantic.course import COURSE

    carried = sum(q.points for q in COURSE.all() if q.id.startswith(path.stem[:2] + "."))
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                     if c.cell_type == "markdown")  # fmt: skip
    headings = re.findall(r"^## .*\((\d+(?:\.\d+)?) points?, ~", text, re.M)
    assert headings and sum(float(p) for p in headings) == carried
    for total in re.findall(r"(\d+) points\)?\.", text):
        assert int(total) == carried, (
            f"the text states {total} points; the questions carry {carried}"
        )
