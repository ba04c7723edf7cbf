"""`polysemantic grade NOTEBOOK --json`: the grading contract, end to end."""

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from polysemantic.course import COURSE
from polysemantic.grading import grade

ROOT = Path(__file__).resolve().parents[1]


def grade_notebook(path: Path, **settings) -> dict:
    """The grading contract's JSON for one notebook, as `grade --json` prints it."""
    return grade.grade_notebook(path, COURSE, **settings).to_json()


def grade_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "polysemantic.cli", "grade", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def notebook_with(tmp_path: Path, *sources: str, name: str = "01_student.ipynb") -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["polysemantic"] = {"chapter": "01"}
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def test_solutions_get_full_marks_as_json():
    run = grade_cli(str(ROOT / "solutions" / "01_monosemanticity.ipynb"), "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert set(result) >= {"notebook", "questions", "total", "max_total"}
    assert result["total"] == result["max_total"] == sum(q.points for q in COURSE.for_chapter("01"))
    for q in result["questions"].values():
        assert set(q) >= {"points", "max_points", "status", "message"}
        assert q["status"] == "passed"


def test_the_blank_exercise_gets_zero():
    result = json.loads(
        grade_cli(str(ROOT / "exercises" / "01_monosemanticity.ipynb"), "--json").stdout
    )
    assert result["total"] == 0
    assert {q["status"] for q in result["questions"].values()} == {"not attempted"}


def test_wrong_answers_get_their_hints(tmp_path):
    path = notebook_with(
        tmp_path,
        "import torch",
        (
            "def response_matrix(W, b):\n    return W + b[:, None]\n\n"
            "def reconstruction_loss(x, x_hat):\n    return ((x - x_hat) ** 2).mean()\n"
        ),
    )
    result = grade_notebook(path)
    questions = result["questions"]
    rm, rl = questions["01.response_matrix"], questions["01.reconstruction_loss"]
    assert rm["points"] == 0 and "torch.relu" in rm["message"]
    assert rl["points"] == 0 and "sum the squared errors" in rl["message"]
    assert result["questions"]["01.neuron_to_feature"]["status"] == "missing"


def test_hidden_cases_count(tmp_path):
    """An answer that only works on the public (square) cases loses the hidden points."""
    path = notebook_with(
        tmp_path,
        "import torch",
        (
            "def response_matrix(W, b):\n"
            "    if W.shape[0] > 6:\n        return torch.zeros_like(W)\n"
            "    return torch.relu(W + b[:, None])\n"
        ),
    )
    q = grade_notebook(path)["questions"]["01.response_matrix"]
    assert 0 < q["points"] < 2 and "hidden case" in q["message"]


def test_calling_the_reference_earns_nothing(tmp_path):
    path = notebook_with(
        tmp_path,
        (
            "from polysemantic.monosemanticity import response_matrix as ref\n"
            "import polysemantic.monosemanticity as m\n"
            "def response_matrix(W, b):\n    return ref(W, b)\n"
            "def reconstruction_loss(x, x_hat):\n    return m.reconstruction_loss(x, x_hat)\n"
        ),
    )
    result = grade_notebook(path)
    for qid in ("01.response_matrix", "01.reconstruction_loss"):
        assert result["questions"][qid]["points"] == 0
        assert "reference" in result["questions"][qid]["message"]


def test_the_notebook_imports_and_library_helpers_work_while_grading(tmp_path):
    """What a notebook imports from the library is there while grading (inert check,
    score and needs_answer; helpers such as data.seeded), and answers may use it."""
    path = notebook_with(
        tmp_path,
        "import torch\nfrom polysemantic import check, figures, needs_answer, score",
        "from polysemantic.data import seeded\n"
        "from polysemantic.monosemanticity import MonosemanticConfig, response_matrix",
        "def reconstruction_loss(x, x_hat):\n"
        "    noise = torch.rand(1, generator=seeded(MonosemanticConfig().seed)) * 0\n"
        "    with needs_answer('01.reconstruction_loss'):\n"
        "        check('01.reconstruction_loss', reconstruction_loss)\n"
        "    return ((x - x_hat) ** 2).sum(-1).mean() + noise.sum()",
    )
    result = grade_notebook(path)
    assert result["questions"]["01.reconstruction_loss"]["points"] == 1
    assert result["notes"] == []  # every import worked


def test_only_definitions_run(tmp_path):
    """Top-level code (training, plots, a stray sys.exit) is not run by the grader."""
    path = notebook_with(
        tmp_path,
        "import sys, torch",
        "sys.exit(3)",
        "while True:\n    pass",
        "def reconstruction_loss(x, x_hat):\n    return ((x - x_hat) ** 2).sum(-1).mean()",
    )
    result = grade_notebook(path, timeout=60)
    assert result["questions"]["01.reconstruction_loss"]["points"] == 1


def test_an_answer_that_never_returns_times_out(tmp_path):
    path = notebook_with(
        tmp_path, "def reconstruction_loss(x, x_hat):\n    while True:\n        pass"
    )
    result = grade_notebook(path, timeout=10)
    assert result["total"] == 0 and result["status"].startswith("timeout")


def test_an_answer_that_kills_its_process_is_a_crash(tmp_path):
    path = notebook_with(tmp_path, "import os\ndef reconstruction_loss(x, x_hat):\n    os._exit(9)")
    result = grade_notebook(path)
    assert result["total"] == 0 and result["status"].startswith("crash")


def test_syntax_errors_and_magics(tmp_path):
    path = notebook_with(
        tmp_path,
        "%pip install nothing",
        "def broken(:\n  pass",
        "def reconstruction_loss(x, x_hat):\n    return ((x - x_hat) ** 2).sum(-1).mean()",
    )
    result = grade_notebook(path)
    assert result["questions"]["01.reconstruction_loss"]["points"] == 1
    assert any("syntax error" in note for note in result["notes"])


@pytest.mark.parametrize(
    "content, expected",
    [
        (None, "no such file"),
        ("", "the file is empty"),
        ("{not json", "invalid JSON"),
        ('{"a": 1}', "not a notebook"),
        ("\xff\xfe", "not a notebook"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, content, expected):
    path = tmp_path / "01_bad.ipynb"
    if content is not None:
        path.write_bytes(content.encode("latin-1"))
    run = grade_cli(str(path), "--json")
    assert run.returncode == 2
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in run.stderr


def test_older_nbformat_is_read(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "def reconstruction_loss(x, x_hat):\n    return ((x - x_hat) ** 2).sum(-1).mean()"
            )
        ]
    )
    nb.metadata["polysemantic"] = {"chapter": "01"}
    old = nbformat.convert(nb, 3)
    path = tmp_path / "01_old.ipynb"
    path.write_text(nbformat.writes(old, version=3))
    assert grade_notebook(path)["questions"]["01.reconstruction_loss"]["points"] == 1


def test_chapter_from_the_file_name_when_metadata_is_gone(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    path = tmp_path / "01_renamed.ipynb"
    nbformat.write(nb, path)
    assert grade_notebook(path)["chapter"] == "01"


@pytest.mark.parametrize("stem", sorted(p.stem for p in (ROOT / "solutions").glob("*.ipynb")))
def test_every_chapter_solution_gets_full_marks_and_its_blank_zero(stem):
    solved = grade_notebook(ROOT / "solutions" / f"{stem}.ipynb")
    assert solved["total"] == solved["max_total"] > 0, solved["questions"]
    assert len(solved["questions"]) >= 3
    blank = grade_notebook(ROOT / "exercises" / f"{stem}.ipynb")
    assert blank["total"] == 0
    assert {q["status"] for q in blank["questions"].values()} == {"not attempted"}


@pytest.mark.parametrize("stem", sorted(p.stem for p in (ROOT / "solutions").glob("*.ipynb")))
def test_a_notebook_that_states_its_total_states_the_chapters(stem):
    text = "\n".join(
        cell.source
        for cell in nbformat.read(ROOT / "solutions" / f"{stem}.ipynb", as_version=4).cells
        if cell.cell_type == "markdown"
    )
    total = sum(q.points for q in COURSE.for_chapter(stem[:2]))
    for stated in re.findall(r"Total: (\d+) points", text):
        assert int(stated) == total, f"{stem} says {stated} points, its questions give {total}"
