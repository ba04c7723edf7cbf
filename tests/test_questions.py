"""Every graded question, tested against its reference and its known wrong answers."""

import re

import numpy as np
import pytest
import torch

from polysemantic.course import COURSE, checker
from polysemantic.grading import Status
from polysemantic.grading.judge import judge, run_answer
from polysemantic.grading.quiz import QUESTION_NAME

QUESTIONS = COURSE.all()
run_check = checker.run_check
IDS = [q.id for q in QUESTIONS]


def _is_quiz(question) -> bool:
    """A check of understanding: its items are printed on the chapter's page, so all of
    its cases are public (tests/test_quiz.py tests it further)."""
    return question.id.endswith("." + QUESTION_NAME)


def test_there_are_questions():
    assert {
        "01.response_matrix",
        "01.monosemanticity_score",
        "01.neuron_to_feature",
        "01.reconstruction_loss",
    } <= set(IDS)


@pytest.mark.parametrize("question", QUESTIONS, ids=IDS)
def test_reference_passes_every_case(question):
    cases = question.public_cases() + question.hidden_cases(123)
    if _is_quiz(question):
        assert not any(c.hidden for c in cases), "a quiz's items are all on the page"
    else:
        assert any(c.hidden for c in cases), "every question needs hidden cases"
    for case in cases:
        result = judge(question, case, run_answer(question.reference, case))
        assert result.status == Status.PASSED, (case.name, result.message)


@pytest.mark.parametrize("question", QUESTIONS, ids=IDS)
def test_full_marks_for_the_reference(question):
    result = run_check(question.id, question.reference)
    assert result.points == question.points


@pytest.mark.parametrize("question", QUESTIONS, ids=IDS)
def test_every_named_mistake_is_caught_with_its_hint(question):
    assert len(question.mistakes) >= 2, "each question names at least two mistakes"
    for mistake in question.mistakes:
        result = run_check(question.id, mistake.answer)
        # a quiz carries no points, so a mistake is caught when a case fails, not by points
        assert any(case.status != Status.PASSED for case in result.cases), mistake.name
        assert result.points < question.points or question.points == 0, mistake.name
        hints = {case.hint for case in result.cases}
        assert mistake.hint in hints, f"{mistake.name}: hint not shown, got {hints}"


@pytest.mark.parametrize("question", QUESTIONS, ids=IDS)
def test_cases_are_deterministic(question):
    """The grader builds cases in two processes; they must agree exactly."""
    for first, second in zip(
        question.public_cases() + question.hidden_cases(7),
        question.public_cases() + question.hidden_cases(7),
        strict=True,
    ):
        assert first.name == second.name
        for key, value in first.inputs.items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(second.inputs[key]))


@pytest.mark.parametrize("question", [q for q in QUESTIONS if not _is_quiz(q)], ids=lambda q: q.id)
def test_hidden_cases_change_with_the_seed(question):
    a, b = question.hidden_cases(1), question.hidden_cases(2)
    differs = any(
        not torch.equal(torch.as_tensor(x.inputs[k]), torch.as_tensor(y.inputs[k]))
        for x, y in zip(a, b, strict=True)
        for k in x.inputs
    )
    assert differs


def test_not_attempted_scores_zero():
    def response_matrix(W, b):
        raise NotImplementedError("write your code here")

    result = run_check("01.response_matrix", response_matrix)
    assert result.points == 0 and result.status == "not attempted"


def test_wrong_shape_says_both_shapes():
    result = run_check("01.response_matrix", lambda W, b: torch.zeros(2, 2))
    message = result.cases[0].message
    assert "shape (4, 4)" in message and "shape (2, 2)" in message


def test_an_object_claiming_to_equal_everything_earns_nothing():
    class Liar:
        def __eq__(self, other):
            return True

        def __array__(self, *args, **kwargs):
            raise TypeError("no numbers here")

    result = run_check("01.response_matrix", lambda W, b: Liar())
    assert result.points == 0
    assert "Liar" in result.cases[0].message


def test_none_is_reported_as_a_missing_return():
    result = run_check("01.reconstruction_loss", lambda x, x_hat: None)
    assert "return" in result.cases[0].message


def test_an_exception_in_the_answer_is_reported():
    result = run_check("01.reconstruction_loss", lambda x, x_hat: 1 / 0)
    assert result.points == 0 and "ZeroDivisionError" in result.cases[0].message


def test_answers_cannot_corrupt_the_inputs_of_the_reference():
    def mutating(W, b):
        W.zero_()
        return torch.relu(W + b[:, None])

    result = run_check("01.response_matrix", mutating)
    assert result.points == 0  # judged against the untouched inputs


def test_partial_credit_is_proportional():
    calls = {"n": 0}

    def half_right(W, b):
        calls["n"] += 1
        out = torch.relu(W + b[:, None])
        return out if calls["n"] == 1 else out + 1

    result = run_check("01.response_matrix", half_right)
    assert result.points == pytest.approx(2 / 3, abs=0.01)
    assert result.status == "partial"


def test_check_prints_the_report_and_hint(capsys):
    from polysemantic import check

    check("01.response_matrix", lambda W, b: W + b[:, None])
    out = capsys.readouterr().out
    assert "✗" in out and "Hint:" in out and "torch.relu" in out


def test_check_with_a_wrong_id_or_a_non_function_says_so(capsys):
    from polysemantic import check

    check("01.no_such_question", lambda: None)
    assert "no question '01.no_such_question'" in capsys.readouterr().out
    check("01.response_matrix", np.zeros(3))
    assert "needs the function you wrote" in capsys.readouterr().out


def test_score_reports_the_chapter(capsys):
    from polysemantic import score

    for q in ("01.response_matrix", "01.reconstruction_loss"):
        run_check(q, COURSE.get(q).reference)
    score("01")
    out = capsys.readouterr().out
    total = sum(q.points for q in COURSE.for_chapter("01"))
    assert "Chapter 01:" in out and f"/ {total:g} points" in out
    for q in ("01.response_matrix", "01.reconstruction_loss"):
        points = COURSE.get(q).points
        assert re.search(rf"{q}\s+{points:g} / {points:g}\s+passed", out), out


def test_needs_answer_skips_unsolved_work_and_what_depends_on_it(capsys):
    from polysemantic import needs_answer

    def unsolved():
        raise NotImplementedError

    with needs_answer("06.toy_forward"):
        result = unsolved()
    assert "written yet" in capsys.readouterr().out
    with needs_answer("06.feature_dimensionality"):
        print(result)  # noqa: F821 - never assigned: the block above was skipped
    assert "made by an earlier cell that was skipped" in capsys.readouterr().out
    with needs_answer("06.toy_forward"):
        pass  # solved now: nothing is skipped any more
    with pytest.raises(NameError), needs_answer("06.feature_dimensionality"):
        print(undefined_name)  # noqa: F821 - a genuine bug still shows
