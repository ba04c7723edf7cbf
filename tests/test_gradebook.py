"""The classroom grader: a gradebook for a folder, and the hostile corpus (tests/hostile.py).

Every hostile notebook also holds a correct `reconstruction_loss` (1 point) next to
its attack, so each row shows both that the attack was contained and that the rest
of the submission was still graded. Two honest solutions are graded in the same
run: their rows must come out at full marks, whatever the others did. Beyond the
rows: nothing outside the scratch folders changed, and no connection or signal
reached the grader's process (it listens for them while grading).
"""

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from hostile import (
    BROKEN_FILES,
    CORPUS,
    DEFINITION_TIME,
    FILE_ATTACKS,
    GOOD_LOSS,
    GRADER_ATTACKS,
    NETWORK_ATTACKS,
    PROCESS_ATTACKS,
    REFERENCE_ROUTES,
    STEERING,
    STEERING_TEXT,
    Listeners,
    ensure_bytecode,
    notebook,
    open_folder,
    placeholders,
    write,
    write_broken,
)
from polysemantic.course import COURSE
from polysemantic.grading import feedback
from polysemantic.grading.gradebook import grade_class, student_id, write_gradebook

ROOT = Path(__file__).resolve().parents[1]
FULL_MARKS = sum(q.points for q in COURSE.for_chapter("01"))  # a solved chapter 01


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("out") / "grades.csv"
    outside = open_folder(tmp_path_factory.mktemp("outside"))
    listeners = Listeners()
    values = placeholders(folder, outside, out, listeners)
    ensure_bytecode()
    for name in CORPUS:
        write(folder, name, values)
    for name in ("honest_a", "honest_b"):
        (folder / f"{name}_01.ipynb").write_bytes(
            (ROOT / "solutions" / "01_monosemanticity.ipynb").read_bytes()
        )
    (folder / "invalid_json_01.ipynb").write_text("{ not json")
    nbformat.write(nbformat.v4.new_notebook(), folder / "empty_01.ipynb")
    old = nbformat.convert(notebook(GOOD_LOSS), 3)
    (folder / "old_format_01.ipynb").write_text(nbformat.writes(old, version=3))
    nbformat.write(notebook(GOOD_LOSS), folder / "élève_学生_01.ipynb")
    for name in BROKEN_FILES:
        write_broken(folder, name)
    paths = sorted(folder.glob("*.ipynb"))
    try:
        # 01 trains models in its answers (about 40 s on an idle machine): slack for them
        graded = grade_class(paths, COURSE, jobs=2, timeout=150)
    finally:
        time.sleep(0.5)  # let the listeners see anything still in flight
        listeners.close()
    write_gradebook(graded.results, out, COURSE, sandbox=graded.sandbox)
    feedback_folder = out.parent / "feedback"
    names = feedback.file_names(r.notebook for r in graded.results)
    feedback.write(graded.results, feedback_folder, student_id, names)
    with open(out, encoding="utf-8") as f:
        rows = {Path(r["file"]).stem.removesuffix("_01"): r for r in csv.DictReader(f)}
    return {
        "rows": rows,
        "out": out,
        "outside": outside,
        "folder": folder,
        "paths": paths,
        "listeners": listeners,
        "values": values,
        "sandbox": graded.sandbox,
        "feedback": feedback_folder,
    }


def test_the_corpus_is_large_and_covers_every_class():
    assert len(CORPUS) >= 30
    for group in (
        REFERENCE_ROUTES,
        FILE_ATTACKS,
        PROCESS_ATTACKS,
        NETWORK_ATTACKS,
        DEFINITION_TIME,
        GRADER_ATTACKS,
        STEERING,
    ):
        assert len(group) >= 3
    assert len(BROKEN_FILES) >= 10


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_submission_gets_its_expected_row(graded, name):
    rows = graded["rows"]
    _, total, status = CORPUS[name]
    assert float(rows[name]["total"]) == total, rows[name]
    assert rows[name]["status"] == status, rows[name]


def test_honest_rows_are_untouched(graded):
    rows = graded["rows"]
    for name in ("honest_a", "honest_b"):
        assert float(rows[name]["total"]) == FULL_MARKS and rows[name]["status"] == "graded"
        assert rows[name]["reason"] == ""


def test_nothing_was_written_or_changed_outside_scratch(graded):
    outside = graded["outside"]
    assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"], list(outside.iterdir())
    victim = outside / "victim.txt"
    assert victim.read_text() == "intact" and victim.stat().st_mode & 0o777 == 0o666
    assert victim.stat().st_uid == os.geteuid() and victim.stat().st_mtime > 0
    assert os.listxattr(victim) == []
    for path in graded["paths"]:
        assert path.exists()  # deletes_files removed nothing
    mark = graded["values"]["MARK"]
    assert not Path("/tmp", mark).exists() and not Path("/root", mark).exists()


def test_no_connection_or_signal_reached_the_grader(graded):
    assert graded["listeners"].reached == []
    assert graded["listeners"].signals == 0


def test_the_protections_in_force_are_recorded(graded):
    payload = json.loads(graded["out"].with_suffix(".json").read_text(encoding="utf-8"))
    sandbox = payload["sandbox"]
    assert sandbox == graded["sandbox"] and sandbox["summary"].startswith("sandbox: ")
    if sys.platform == "linux" and os.geteuid() == 0:
        assert sandbox["identity"] != "root"  # as root, a submission never keeps root's powers


def test_unreadable_empty_old_and_non_ascii(graded):
    rows = graded["rows"]
    assert rows["invalid_json"]["status"] == "unreadable"
    assert "invalid JSON" in rows["invalid_json"]["reason"]
    assert float(rows["invalid_json"]["total"]) == 0
    assert "no code cells" in rows["empty"]["reason"] and float(rows["empty"]["total"]) == 0
    assert float(rows["old_format"]["total"]) == 1.0
    assert rows["élève_学生"]["student"] == "élève_学生"
    assert float(rows["élève_学生"]["total"]) == 1.0


def test_reasons_name_what_went_wrong(graded):
    rows = graded["rows"]
    assert rows["infinite_loop"]["reason"].startswith("timeout")
    assert "01.response_matrix: error" in rows["fork_bomb"]["reason"]
    assert "01.response_matrix: error" in rows["liar"]["reason"]  # not numbers: rejected
    assert "01.response_matrix: missing" in rows["default_argument_reads_source"]["reason"]
    assert "syntax error" in rows["parser_bomb"]["reason"]


def test_the_reference_answers_nothing_inside_the_worker(graded):
    payload = json.loads(graded["out"].with_suffix(".json").read_text(encoding="utf-8"))
    by_name = {Path(s["notebook"]).stem.removesuffix("_01"): s for s in payload["submissions"]}
    message = by_name["calls_reference"]["questions"]["01.response_matrix"]["message"]
    assert "course's reference" in message and "not available while grading" in message


def test_no_message_echoes_what_a_submission_said(graded):
    """Messages are the grader's own words: an exception's text, seen inputs included,
    never reaches a message, public or hidden."""
    payload = json.loads(graded["out"].with_suffix(".json").read_text(encoding="utf-8"))
    echo = next(s for s in payload["submissions"] if "echoes_hidden_inputs" in s["notebook"])
    cases = echo["questions"]["01.monosemanticity_score"]["cases"]
    assert cases and all("seen" not in c["message"] for c in cases)
    assert all(c["message"].startswith("raised RuntimeError") for c in cases)


@pytest.mark.parametrize("name", sorted(BROKEN_FILES))
def test_every_broken_file_gets_its_row(graded, name):
    _, status, total, reason = BROKEN_FILES[name]
    row = graded["rows"][name]
    assert row["status"] == status and float(row["total"]) == total, row
    assert reason in row["reason"], row["reason"]
    assert "Traceback" not in row["reason"]


def test_the_class_is_graded_in_full(graded):
    """Every file has its row, whatever the others held."""
    assert len(graded["rows"]) - 1 == len(graded["paths"])


def test_what_a_submission_wrote_never_reaches_the_outputs(graded):
    """No CSV cell starts like a formula, and no text a submission chose (an exception's
    message, a made-up class's name) is in the CSV, the JSON or a feedback file."""
    with open(graded["out"], encoding="utf-8") as f:
        cells = [c for row in csv.reader(f) for c in row]
    assert cells and not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    texts = [graded["out"].read_text(encoding="utf-8")]
    texts.append(graded["out"].with_suffix(".json").read_text(encoding="utf-8"))
    texts += [p.read_text(encoding="utf-8") for p in graded["feedback"].iterdir()]
    for text in texts:
        for word in STEERING_TEXT:
            assert word not in text


def test_a_wrong_shape_fails_its_question_with_the_shapes(graded):
    payload = json.loads(graded["out"].with_suffix(".json").read_text(encoding="utf-8"))
    row = next(s for s in payload["submissions"] if "wrong_shape" in s["notebook"])
    message = row["questions"]["01.response_matrix"]["message"]
    assert "shape" in message and "expected" in message
    assert row["questions"]["01.reconstruction_loss"]["points"] == 1


def test_gradebook_layout_and_json(graded):
    rows, out = graded["rows"], graded["out"]
    with open(out, encoding="utf-8") as f:
        reader = csv.reader(f)
        header, maximum = next(reader), next(reader)
    assert header[:2] == ["file", "student"] and header[-6:] == [
        "total",
        "max",
        "percent",
        "status",
        "reason",
        "flags",
    ]
    assert maximum[0] == "(maximum)" and maximum[header.index("total")] == f"{FULL_MARKS:g}"
    payload = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert len(payload["submissions"]) == len(rows) - 1  # all but the (maximum) row
    honest = next(s for s in payload["submissions"] if "honest_a" in s["notebook"])
    cases = honest["questions"]["01.response_matrix"]["cases"]
    assert any(c["hidden"] for c in cases) and all(c["status"] == "passed" for c in cases)
    assert "sandbox" not in honest and "flags" in honest


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
    assert {t["name"] for t in results["tests"]} == {q.id for q in COURSE.for_chapter("01")}
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
