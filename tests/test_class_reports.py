"""What the grader reports about a class beyond the grades: the integrity report
(copied answers, answers matching the reference), item analysis, feedback files for
students, and a clean terminal."""

import ast
import csv
import inspect
import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import nbformat
import pytest

from polysemantic import monosemanticity
from polysemantic.course import COURSE
from polysemantic.grading import feedback, integrity, item_analysis
from polysemantic.grading.notebook import read_submission
from polysemantic.grading.results import (
    CaseResult,
    QuestionResult,
    Status,
    SubmissionResult,
    SubmissionStatus,
)

ROOT = Path(__file__).resolve().parents[1]
SCORE = COURSE.get("01.monosemanticity_score")

ANN = """
import torch

def monosemanticity_score(R):
    total = R.sum(-1)
    score = torch.zeros_like(total)
    alive = total > 0
    score[alive] = R.max(-1).values[alive] / total[alive]
    return score
"""
BOB = '''
import torch as T


def monosemanticity_score(responses):
    """Mine, all mine."""
    # how much each neuron responds in all
    s = responses.sum(-1)
    out = T.zeros_like(s)   # dead neurons score 0
    ok = (s > 0)
    out[ok] = (responses.max(-1).values[ok]
               / s[ok])
    return out
'''
DAN = "import torch\ndef response_matrix(W, b):\n    return torch.relu(W + b[:, None])\n"
EVE = (
    "import torch as t\n\ndef response_matrix(W, b):\n    # easy\n    return t.relu(W+b[:,None])\n"
)
GUS = "def response_matrix(W, b):\n    return W + b[:, None]\n"
LOSS = "def reconstruction_loss(x, x_hat):\n    return ((x - x_hat) ** 2).sum(-1).mean()\n"


def reference_copy() -> str:
    """The library's reference, pasted with its names changed and a comment added."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(monosemanticity.monosemanticity_score)))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in ("R", "total", "top"):
            node.id = {"R": "resp", "total": "t", "top": "m"}[node.id]
        elif isinstance(node, ast.arg) and node.arg == "R":
            node.arg = "resp"
    return "import torch\n# my answer\n" + ast.unparse(tree) + "\n"


def passed(notebook: str, *question_ids: str) -> SubmissionResult:
    questions = {
        qid: QuestionResult(qid, 1.0, 1.0, Status.PASSED, "all cases pass") for qid in question_ids
    }
    return SubmissionResult(notebook, "01", SubmissionStatus.GRADED, questions=questions)


def report(code: dict[str, str], qid: str) -> integrity.IntegrityReport:
    results = [passed(notebook, qid) for notebook in code]
    return integrity.check(code.items(), results, [COURSE.get(qid)])


def test_a_renamed_reformatted_commented_copy_is_the_same_answer():
    ann = integrity.normalise(ANN, "monosemanticity_score")
    bob = integrity.normalise(BOB, "monosemanticity_score")
    assert ann.comparable and ann.tokens == bob.tokens
    found = report({"ann.ipynb": ANN, "bob.ipynb": BOB}, "01.monosemanticity_score")
    assert [(p.first, p.second, p.identical) for p in found.pairs] == [
        ("ann.ipynb", "bob.ipynb", True)
    ]
    flags = found.flags(lambda notebook: Path(notebook).stem)
    assert flags == {
        "ann.ipynb": ["01.monosemanticity_score: same as bob (bob.ipynb)"],
        "bob.ipynb": ["01.monosemanticity_score: same as ann (ann.ipynb)"],
    }


def test_the_same_one_liner_from_two_students_is_not_flagged():
    dan = integrity.normalise(DAN, "response_matrix")
    eve = integrity.normalise(EVE, "response_matrix")
    assert dan.tokens == eve.tokens  # the same answer, up to renaming and comments...
    assert not dan.comparable  # ...but too short to say anything
    found = report({"dan.ipynb": DAN, "eve.ipynb": EVE}, "01.response_matrix")
    assert found.pairs == [] and found.flags(str) == {}


def test_no_one_line_answer_of_the_solutions_is_compared():
    """The rule the README states: every one-line answer is under MIN_NODES."""
    one_liners = 0
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        submission = read_submission(path, COURSE.chapters())
        tree = ast.parse(submission.code)
        for question in COURSE.for_chapter(submission.chapter):
            function = [
                n
                for n in tree.body
                if isinstance(n, ast.FunctionDef) and n.name == question.answer_name
            ][-1]
            body = [s for s in function.body if not isinstance(s, ast.Expr)]  # no docstring
            if len(body) == 1 and len(ast.unparse(body[0]).splitlines()) == 1:
                one_liners += 1
                answer = integrity.normalise(submission.code, question.answer_name)
                assert not answer.comparable, (question.id, answer.nodes)
    assert one_liners >= 10


def test_a_different_correct_answer_is_not_flagged():
    other = (
        "import torch\n"
        "def monosemanticity_score(R):\n"
        "    total = R.sum(dim=-1, keepdim=True)\n"
        "    shares = torch.nan_to_num(R / total, nan=0.0)\n"
        "    best = shares.max(dim=-1).values\n"
        "    best[total.squeeze(-1) <= 0] = 0.0\n"
        "    return best\n"
    )
    assert integrity.normalise(other, "monosemanticity_score").comparable
    found = report({"ann.ipynb": ANN, "zoe.ipynb": other}, "01.monosemanticity_score")
    assert found.flags(str) == {}


def test_a_copy_with_a_line_added_is_listed_but_not_flagged():
    padded = ANN.replace("    return score", "    score = score * 1.0\n    return score")
    found = report({"ann.ipynb": ANN, "pad.ipynb": padded}, "01.monosemanticity_score")
    assert len(found.pairs) == 1
    assert integrity.LISTED <= found.pairs[0].score < 1.0 and not found.pairs[0].identical
    assert found.flags(str) == {}


def test_an_answer_pasted_from_the_library_matches_the_reference():
    pasted = reference_copy()
    assert integrity.normalise(pasted, "monosemanticity_score").comparable
    found = report({"carl.ipynb": pasted, "ann.ipynb": ANN}, "01.monosemanticity_score")
    assert found.flags(lambda n: Path(n).stem) == {
        "carl.ipynb": ["01.monosemanticity_score: matches the course's reference"]
    }


def test_answers_not_attempted_are_not_compared():
    stub = (
        "def monosemanticity_score(R):\n"
        + "    x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]\n" * 3
        + "    raise NotImplementedError(str(x))\n"
    )
    assert integrity.normalise(stub, "monosemanticity_score").comparable
    code = {"a.ipynb": stub, "b.ipynb": stub}
    results = [
        SubmissionResult(
            n,
            "01",
            SubmissionStatus.GRADED,
            questions={
                "01.monosemanticity_score": QuestionResult(
                    "01.monosemanticity_score", 0, 2, Status.NOT_ATTEMPTED
                )
            },
        )
        for n in code
    ]
    assert integrity.check(code.items(), results, [SCORE]).pairs == []


def _case(name: str, hidden: bool, ok: bool, mistake: str | None = None) -> CaseResult:
    status = Status.PASSED if ok else Status.FAILED
    hint = f"hint for {mistake}" if mistake else None
    return CaseResult(name, hidden, status, "matches" if ok else "expected 1, got 2", hint, mistake)


def test_item_analysis_counts_passes_and_the_commonest_mistake():
    qid = "01.response_matrix"

    def result(name, cases, status=SubmissionStatus.GRADED):
        questions = {}
        if cases is not None:
            state = (
                Status.PASSED if all(c.status == Status.PASSED for c in cases) else Status.FAILED
            )
            questions[qid] = QuestionResult(qid, 0, 2, state, "", cases)
        return SubmissionResult(name, "01", status, questions=questions)

    results = [
        result("a", [_case("one", False, True), _case("secret", True, True)]),
        result(
            "b", [_case("one", False, False, "no ReLU"), _case("secret", True, False, "no ReLU")]
        ),
        result("c", [_case("one", False, False, "no ReLU"), _case("secret", True, True)]),
        result("d", [_case("one", False, False, "transposed"), _case("secret", True, True)]),
        result("e", None, SubmissionStatus.TIMEOUT),  # timed out: passed nothing
    ]
    items = item_analysis.analyse(results, [COURSE.get(qid)])
    whole, one, secret = items
    assert (whole.case, whole.submissions, whole.passed) == (None, 5, 1)
    assert (whole.top_mistake, whole.top_mistake_count) == ("no ReLU", 2)  # once per student
    assert (one.case, one.passed, one.top_mistake, one.top_mistake_count) == (
        "one",
        1,
        "no ReLU",
        2,
    )
    assert (secret.case, secret.hidden, secret.passed) == ("secret", True, 3)
    assert secret.share == pytest.approx(0.6)
    assert "most common mistake: no ReLU (2)" in item_analysis.table(items)


def test_feedback_counts_hidden_cases_without_showing_them():
    qid = "01.response_matrix"
    cases = [
        _case("4 neurons", False, False, "no ReLU"),
        _case("SECRET-INPUTS", True, False, "transposed"),
        _case("SECRET-TWO", True, True),
    ]
    result = SubmissionResult(
        "ann_01.ipynb",
        "01",
        SubmissionStatus.GRADED,
        questions={qid: QuestionResult(qid, 0.5, 2, Status.PARTIAL, "secret message", cases)},
        total=0.5,
        max_total=7,
    )
    text = feedback.markdown(result, "ann")
    assert "hint for no ReLU" in text and "4 neurons" in text and "0.5 / 7" in text
    assert "hidden cases: 1 of 2 pass" in text
    assert "SECRET" not in text and "hint for transposed" not in text
    assert feedback.file_names(["a/x_01.ipynb", "b/x_01.ipynb", "y.ipynb"]) == {
        "a/x_01.ipynb": "x_01.md",
        "b/x_01.ipynb": "x_01-2.md",
        "y.ipynb": "y.md",
    }


def notebook_without_cell_ids(path: Path, source: str) -> Path:
    """nbformat 4.5 with a cell that has no id, as older tools write them."""
    raw = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"polysemantic": {"chapter": "01"}},
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": source,
            }
        ],
    }
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def test_reading_a_notebook_without_cell_ids_warns_nothing(tmp_path):
    path = notebook_without_cell_ids(tmp_path / "fay_01.ipynb", LOSS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        submission = read_submission(path, COURSE.chapters())
    assert caught == [] and "reconstruction_loss" in submission.code


def write_class(folder: Path) -> None:
    folder.mkdir()

    def save(name: str, *sources: str) -> None:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
        nb.metadata["polysemantic"] = {"chapter": "01"}
        nbformat.write(nb, folder / f"{name}_01.ipynb")

    save("ann", ANN, LOSS)
    save("bob", BOB)
    save("carl", reference_copy())
    save("dan", DAN)
    save("eve", EVE)
    save("gus", GUS)
    notebook_without_cell_ids(folder / "fay_01.ipynb", LOSS)
    (folder / "cat_01.ipynb").write_bytes(
        (ROOT / "exercises" / "01_monosemanticity.ipynb").read_bytes()
    )


def grade_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "polysemantic.cli", "grade", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    write_class(root / "submissions")
    out = root / "out" / "grades.csv"
    run = grade_cli(str(root / "submissions"), "--out", str(out), "--feedback", str(root / "fb"))
    return root, out, run


def rows_of(path: Path) -> dict[str, dict]:
    with open(path, encoding="utf-8") as f:
        return {r["student"]: r for r in csv.DictReader(f) if r["file"] != "(maximum)"}


def test_the_cli_prints_only_the_graders_words(graded_class):
    _, _, run = graded_class
    assert run.returncode == 0, run.stderr
    assert run.stderr.strip().splitlines() == ["grading 8 notebook(s), one per core at a time ..."]
    lines = run.stdout.splitlines()
    assert (
        lines[0].startswith("sandbox: ") and sum(line.startswith("sandbox:") for line in lines) == 1
    )
    assert "Warning" not in run.stdout and "Traceback" not in run.stdout
    assert any(line.startswith("integrity: ") for line in lines)
    assert any(line.startswith("item analysis") for line in lines)


def test_the_gradebook_flags_copies_and_the_reference(graded_class):
    root, out, _ = graded_class
    rows = rows_of(out)
    assert rows["ann"]["flags"] == "01.monosemanticity_score: same as bob (bob_01.ipynb)"
    assert rows["bob"]["flags"] == "01.monosemanticity_score: same as ann (ann_01.ipynb)"
    assert rows["carl"]["flags"] == "01.monosemanticity_score: matches the course's reference"
    for student in ("dan", "eve", "gus", "fay", "cat"):
        assert rows[student]["flags"] == "", student
    assert float(rows["ann"]["total"]) == 3.0  # nothing is zeroed
    assert float(rows["fay"]["total"]) == 1.0
    with open(out.parent / "similarity.csv", encoding="utf-8") as f:
        pairs = list(csv.DictReader(f))
    assert {(p["student"], p["other_student"], p["identical"]) for p in pairs} == {
        ("ann", "bob", "yes"),
        ("carl", "(course reference)", "yes"),
    }
    payload = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    carl = next(s for s in payload["submissions"] if s["student"] == "carl")
    assert carl["flags"] == ["01.monosemanticity_score: matches the course's reference"]
    assert payload["sandbox"]["summary"].startswith("sandbox: ")


def test_item_analysis_is_printed_and_saved(graded_class):
    _, out, run = graded_class
    with open(out.parent / "item_analysis.csv", encoding="utf-8") as f:
        items = list(csv.DictReader(f))
    whole = next(
        i for i in items if i["question"] == "01.response_matrix" and i["case"] == "(question)"
    )
    assert (whole["submissions"], whole["passed"]) == ("8", "2")  # dan and eve
    assert (whole["top_mistake"], whole["top_mistake_count"]) == ("no ReLU", "1")  # gus
    hidden = [i for i in items if i["question"] == "01.response_matrix" and i["hidden"] == "yes"]
    assert hidden and all(i["share_passed"] == "0.250" for i in hidden)
    assert "01.response_matrix" in run.stdout and "25% passed (2 of 8)" in run.stdout


def test_feedback_files_one_per_student(graded_class):
    root, _, _ = graded_class
    files = sorted(p.name for p in (root / "fb").iterdir())
    assert files == sorted(
        f"{s}_01.md" for s in ("ann", "bob", "carl", "cat", "dan", "eve", "fay", "gus")
    )
    gus = (root / "fb" / "gus_01.md").read_text(encoding="utf-8")
    assert "torch.relu" in gus  # the hint of the mistake it made
    assert "hidden cases: 0 of 2 pass" in gus
    assert "8 neurons, 8 features" not in gus  # a hidden case's name
    assert "flags" not in gus.lower() and "same as" not in gus


def test_nothing_is_overwritten_without_force(graded_class):
    root, out, _ = graded_class
    before = (root / "fb" / "ann_01.md").read_text(encoding="utf-8")
    (root / "fb" / "ann_01.md").write_text("my notes")
    run = grade_cli(str(root / "submissions"), "--feedback", str(root / "fb"))
    assert run.returncode == 2 and "already exists" in run.stderr and "--force" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and run.stdout == ""
    assert (root / "fb" / "ann_01.md").read_text() == "my notes"
    (out.parent / "similarity.csv").write_text("mine")
    run = grade_cli(str(root / "submissions"), "--out", str(root / "out" / "other.csv"))
    assert run.returncode == 2 and "similarity.csv already exists" in run.stderr
    run = grade_cli(
        str(root / "submissions" / "ann_01.ipynb"), "--feedback", str(root / "fb"), "--force"
    )
    assert run.returncode == 0, run.stderr
    assert (root / "fb" / "ann_01.md").read_text(encoding="utf-8") == before


SPLIT = """
import torch
def _share(R, total, alive):
    return R.max(-1).values[alive] / total[alive]
def _setup(R):
    total = R.sum(-1)
    return total
def monosemanticity_score(R):
    total = _setup(R)
    score = torch.zeros_like(total)
    alive = total > 0
    score[alive] = _share(R, total, alive)
    return score
"""
DISGUISES = {
    "locals renamed": ANN.replace("total", "t")
    .replace("alive", "ok")
    .replace("score =", "s =")
    .replace("score[", "s[")
    .replace("return score", "return s"),
    "independent statements reordered": ANN.replace(
        "    score = torch.zeros_like(total)\n    alive = total > 0\n",
        "    alive = total > 0\n    score = torch.zeros_like(total)\n",
    ),
    "dead code": ANN.replace(
        "    alive = total > 0\n",
        "    unused = total * 2\n    if False:\n        print('never')\n    alive = total > 0\n"
        "    'a note'\n",
    ).replace("    return score\n", "    return score\n    print('after')\n"),
    "helpers split out": SPLIT,
    "a decorator returns the copy": ANN.replace("def monosemanticity_score(", "def copied(")
    + "def swap(f):\n    return copied\n@swap\ndef monosemanticity_score(R):\n    return R\n",
    "bound by assignment": ANN.replace("def monosemanticity_score(", "def copied(")
    + "def swap(f):\n    return copied\nmonosemanticity_score = swap(copied)\n",
}


@pytest.mark.parametrize("disguise", sorted(DISGUISES))
def test_a_disguised_copy_is_the_same_answer(disguise):
    """The README's list: each transformation is undone, so the copy is flagged."""
    copy = integrity.normalise(DISGUISES[disguise], "monosemanticity_score")
    original = integrity.normalise(ANN, "monosemanticity_score")
    assert copy.comparable and copy.tokens == original.tokens
    found = report({"ann.ipynb": ANN, "cop.ipynb": DISGUISES[disguise]}, "01.monosemanticity_score")
    assert [p.identical for p in found.pairs] == [True]


def test_a_class_is_compared_by_its_methods():
    method = "class Scorer:\n" + "\n".join("    " + line for line in ANN.splitlines()[3:])
    method = method.replace("(R)", "(self, R)")
    a = integrity.normalise("import torch\n" + method, "Scorer")
    b = integrity.normalise("import torch\n" + method.replace("total", "t"), "Scorer")
    assert a is not None and a.comparable and a.tokens == b.tokens
