"""The classroom grader: a gradebook for a folder, and a corpus of hostile submissions.

Every hostile notebook also holds a correct `reconstruction_loss` (1 point) next to
its attack, so each row shows both that the attack was contained and that the rest
of the submission was still graded. Two honest solutions are graded in the same
run: their rows must come out at full marks, whatever the others did.
"""

import csv
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from polysemantic.course import COURSE
from polysemantic.grading.gradebook import grade_many, student_id, write_gradebook

ROOT = Path(__file__).resolve().parents[1]
GOOD_LOSS = "def reconstruction_loss(x, x_hat):\n    return ((x - x_hat) ** 2).sum(-1).mean()\n"
GOOD_RESPONSE = "import torch\ndef response_matrix(W, b):\n    return torch.relu(W + b[:, None])\n"
FULL_MARKS = sum(q.points for q in COURSE.for_chapter("01"))  # a solved chapter 01


def _notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["polysemantic"] = {"chapter": "01"}
    return nb


def _attack(body: str) -> str:
    """A response_matrix whose body is the attack (indented), plus the good loss."""
    lines = "\n".join("    " + line for line in body.splitlines())
    return "import os, sys, shutil, torch, numpy\ndef response_matrix(W, b):\n" + lines + "\n"


# name -> (cells, expected total, expected status)
CORPUS = {
    "infinite_loop": ([_attack("while True:\n    pass"), GOOD_LOSS], 0.0, "timeout"),
    "memory_bomb": ([_attack("x = bytearray(50 * 1024**3)\nreturn x"), GOOD_LOSS], 1.0, "graded"),
    "fork_bomb": ([_attack("while True:\n    os.fork()"), GOOD_LOSS], 1.0, "graded"),
    "sys_exit": ([_attack("sys.exit(0)"), GOOD_LOSS], 1.0, "graded"),
    "os_exit": ([_attack("os._exit(0)"), GOOD_LOSS], 0.0, "crash"),
    "keyboard_interrupt": ([_attack("raise KeyboardInterrupt"), GOOD_LOSS], 1.0, "graded"),
    "system_exit_top_level": (["raise SystemExit(1)", GOOD_LOSS], 1.0, "graded"),
    "output_flood": (
        [
            _attack(
                "for _ in range(10):\n    sys.stdout.write('x' * 10**8)\n"
                "os.write(1, b'y' * 10**7)\nreturn torch.relu(W + b[:, None])"
            ),
            GOOD_LOSS,
        ],
        3.0,
        "graded",
    ),
    "monkeypatch": (
        [
            _attack(
                "import polysemantic.grading.judge as judge\n"
                "import polysemantic.grading.compare as compare\n"
                "numpy.allclose = numpy.isclose = lambda *a, **k: True\n"
                "torch.allclose = torch.equal = lambda *a, **k: True\n"
                "judge.judge = lambda *a, **k: None\ncompare.compare = lambda *a, **k: None\n"
                "return torch.zeros_like(W)"
            ),
            GOOD_LOSS,
        ],
        1.0,
        "graded",
    ),
    "liar": (
        [
            _attack(
                "class Liar:\n    def __eq__(self, other):\n        return True\n"
                "    def __array__(self, *a, **k):\n        raise TypeError\n"
                "return Liar()"
            ),
            GOOD_LOSS,
        ],
        1.0,
        "graded",
    ),
    "calls_reference": (
        [
            _attack(
                "from polysemantic.monosemanticity import response_matrix as r\nreturn r(W, b)"
            ),
            GOOD_LOSS,
        ],
        1.0,
        "graded",
    ),
    "reloads_reference": (
        [
            _attack(
                "import importlib, polysemantic.monosemanticity as m\n"
                "m = importlib.reload(m)\nreturn m.response_matrix(W, b)"
            ),
            GOOD_LOSS,
        ],
        1.0,
        "graded",
    ),
    "reimports_reference": (
        [
            _attack(
                "for name in [k for k in sys.modules if 'polysemantic' in k]:"
                "\n    del sys.modules[name]\n"
                "from polysemantic.monosemanticity import response_matrix\n"
                "return response_matrix(W, b)"
            ),
            GOOD_LOSS,
        ],
        1.0,
        "graded",
    ),
    "writes_output": (
        [_attack("open(OUT, 'w').write('hacked')\nreturn torch.relu(W + b[:, None])"), GOOD_LOSS],
        3.0,
        "graded",
    ),
    "deletes_files": (
        [
            _attack(
                "shutil.rmtree(SUBMISSIONS, ignore_errors=True)\nreturn torch.relu(W + b[:, None])"
            ),
            GOOD_LOSS,
        ],
        3.0,
        "graded",
    ),
    "reordered_and_duplicated": (
        [GOOD_LOSS, "def response_matrix(W, b):\n    return W", GOOD_RESPONSE],
        3.0,
        "graded",
    ),
    "answers_deleted": (["x = 1"], 0.0, "graded"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("out") / "grades.csv"
    for name, (cells, _, _) in CORPUS.items():
        cells = [
            c.replace("OUT", repr(str(out))).replace("SUBMISSIONS", repr(str(folder)))
            for c in cells
        ]
        nbformat.write(_notebook(*cells), folder / f"{name}_01.ipynb")
    for name in ("honest_a", "honest_b"):
        (folder / f"{name}_01.ipynb").write_bytes(
            (ROOT / "solutions" / "01_monosemanticity.ipynb").read_bytes()
        )
    (folder / "invalid_json_01.ipynb").write_text("{ not json")
    nbformat.write(nbformat.v4.new_notebook(), folder / "empty_01.ipynb")
    old = nbformat.convert(_notebook(GOOD_LOSS), 3)
    (folder / "old_format_01.ipynb").write_text(nbformat.writes(old, version=3))
    nbformat.write(_notebook(GOOD_LOSS), folder / "élève_学生_01.ipynb")
    paths = sorted(folder.glob("*.ipynb"))
    results = grade_many(paths, COURSE, jobs=2, timeout=20)
    write_gradebook(results, out, COURSE, force=True)  # after a submission wrote into `out`
    with open(out, encoding="utf-8") as f:
        rows = {Path(r["file"]).stem.removesuffix("_01"): r for r in csv.DictReader(f)}
    return rows, out


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_submission_gets_its_expected_row(graded, name):
    rows, _ = graded
    _, total, status = CORPUS[name]
    assert float(rows[name]["total"]) == total, rows[name]
    assert rows[name]["status"] == status, rows[name]


def test_honest_rows_are_untouched(graded):
    rows, _ = graded
    for name in ("honest_a", "honest_b"):
        assert float(rows[name]["total"]) == FULL_MARKS and rows[name]["status"] == "graded"


def test_unreadable_empty_old_and_non_ascii(graded):
    rows, _ = graded
    assert rows["invalid_json"]["status"] == "unreadable"
    assert "invalid JSON" in rows["invalid_json"]["reason"]
    assert float(rows["invalid_json"]["total"]) == 0
    assert "no code cells" in rows["empty"]["reason"] and float(rows["empty"]["total"]) == 0
    assert float(rows["old_format"]["total"]) == 1.0
    assert rows["élève_学生"]["student"] == "élève_学生"
    assert float(rows["élève_学生"]["total"]) == 1.0


def test_reasons_name_what_went_wrong(graded):
    rows, _ = graded
    assert rows["infinite_loop"]["reason"].startswith("timeout")
    assert "01.response_matrix: error" in rows["fork_bomb"]["reason"]
    assert "01.response_matrix: error" in rows["liar"]["reason"]  # not numbers: rejected


def test_gradebook_layout_and_json(graded):
    rows, out = graded
    with open(out, encoding="utf-8") as f:
        header, maximum = next(csv.reader(f)), None
        f.seek(0)
        reader = csv.reader(f)
        next(reader)
        maximum = next(reader)
    assert header[:2] == ["file", "student"] and header[-5:] == [
        "total",
        "max",
        "percent",
        "status",
        "reason",
    ]
    assert maximum[0] == "(maximum)" and maximum[header.index("total")] == f"{FULL_MARKS:g}"
    payload = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert len(payload["submissions"]) == len(rows) - 1  # all but the (maximum) row
    honest = next(s for s in payload["submissions"] if "honest_a" in s["notebook"])
    cases = honest["questions"]["01.response_matrix"]["cases"]
    assert any(c["hidden"] for c in cases) and all(c["status"] == "passed" for c in cases)


def test_student_ids_from_file_names():
    assert student_id(Path("alice_01_monosemanticity.ipynb")) == "alice"
    assert student_id(Path("01_monosemanticity-bob.ipynb")) == "bob"
    assert student_id(Path("carol.ipynb")) == "carol"


def test_cli_refuses_to_overwrite_and_names_missing_paths(tmp_path):
    out = tmp_path / "grades.csv"
    out.write_text("precious")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "polysemantic.cli",
            "grade",
            str(ROOT / "exercises"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "already exists" in run.stderr
    assert out.read_text() == "precious"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "polysemantic.cli",
            "grade",
            str(tmp_path / "nothing"),
            "--out",
            str(tmp_path / "g.csv"),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "no such file or folder" in run.stderr
    assert "Traceback" not in run.stderr


def test_four_row_gradebook_from_the_cli(tmp_path):
    """The issue's check: a solution, a blank exercise, an invalid file, an empty notebook."""
    folder = tmp_path / "class"
    folder.mkdir()
    for name, source in (("ann", "solutions"), ("ben", "exercises")):
        notebook = ROOT / source / "01_monosemanticity.ipynb"
        (folder / f"{name}_01.ipynb").write_bytes(notebook.read_bytes())
    (folder / "cat_01.ipynb").write_text("not json at all")
    nbformat.write(nbformat.v4.new_notebook(), folder / "dan_01.ipynb")
    out = tmp_path / "grades.csv"
    run = subprocess.run(
        [sys.executable, "-m", "polysemantic.cli", "grade", str(folder), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    with open(out, encoding="utf-8") as f:
        rows = {r["student"]: r for r in csv.DictReader(f) if r["file"] != "(maximum)"}
    assert {k: float(r["total"]) for k, r in rows.items()} == {
        "ann": FULL_MARKS,
        "ben": 0.0,
        "cat": 0.0,
        "dan": 0.0,
    }
    assert "not attempted" in rows["ben"]["reason"]
    assert "invalid JSON" in rows["cat"]["reason"]
    assert "no code cells" in rows["dan"]["reason"]


def test_gradescope_bundle_and_results(tmp_path):
    """The bundle's run_autograder, run as Gradescope would (paths moved under tmp_path),
    writes a results.json in Gradescope's documented shape."""
    from polysemantic.grading.gradescope import VISIBILITIES

    bundle = tmp_path / "bundle"
    run = subprocess.run(
        [sys.executable, "-m", "polysemantic.cli", "grade", "--gradescope", str(bundle)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    for name in ("setup.sh", "run_autograder"):
        assert (bundle / name).stat().st_mode & 0o111  # executable
    assert (bundle / "course" / "src" / "polysemantic" / "cli.py").exists()
    again = subprocess.run(
        [sys.executable, "-m", "polysemantic.cli", "grade", "--gradescope", str(bundle)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert again.returncode == 2 and "not empty" in again.stderr

    autograder = tmp_path / "autograder"
    (autograder / "submission").mkdir(parents=True)
    (autograder / "submission" / "mine.ipynb").write_bytes(
        (ROOT / "solutions" / "01_monosemanticity.ipynb").read_bytes()
    )
    env = {
        "AUTOGRADER_ROOT": str(autograder),
        "POLYSEMANTIC_PYTHON": sys.executable,
        "PATH": "/usr/bin:/bin",
    }
    run = subprocess.run(
        ["bash", str(bundle / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    results = json.loads((autograder / "results" / "results.json").read_text())
    assert results["score"] == FULL_MARKS and results["visibility"] in VISIBILITIES
    assert {t["name"] for t in results["tests"]} == {
        "01.response_matrix",
        "01.monosemanticity_score",
        "01.neuron_to_feature",
        "01.reconstruction_loss",
        "01.check_your_understanding",
    }
    for test in results["tests"]:
        assert all(isinstance(test[k], (int, float)) for k in ("score", "max_score"))
        assert test["status"] in ("passed", "failed") and test["visibility"] in VISIBILITIES
        has_hidden = test["name"] != "01.check_your_understanding"  # a quiz's are all public
        assert ("hidden cases:" in test["output"]) == has_hidden

    (autograder / "submission" / "mine.ipynb").write_text("{ broken")
    subprocess.run(
        ["bash", str(bundle / "run_autograder")], env=env, capture_output=True, timeout=300
    )
    broken = json.loads((autograder / "results" / "results.json").read_text())
    assert broken["score"] == 0 and "invalid JSON" in broken["output"]
