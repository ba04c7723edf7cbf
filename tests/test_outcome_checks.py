"""Outcome checks that only the asked-for work passes, judged as the grader judges.

For every question graded on what the learner trains or searches (04.best_threshold,
06.train_toy, 08.train_sae), the hidden configurations are drawn by the grader, the
answer never gets the seed behind a truth, and the points come from the hidden cases
only. Here the course's own answers keep full marks, and a constant, a lookup table,
a hand-built answer and a shortcut that skips the work each earn 0 on the question.
"""

import hashlib
import hmac
import stat

import numpy as np
import pytest
import torch

from polysemantic.course import COURSE
from polysemantic.data import seeded
from polysemantic.grading.grade import case_seed, cases_for
from polysemantic.grading.judge import Outcome, award, judge
from polysemantic.grading.question import Case, Mistake, Question, Verdict
from polysemantic.grading.results import Status
from polysemantic.questions.sparse_autoencoders import _train_sae_reference
from polysemantic.questions.superposition import _polygon, _train_reference
from polysemantic.radio_stations import best_threshold
from polysemantic.sparse_autoencoders import normalize_decoder

SEED = "a seed of the instructor's"


def points(question_id: str, answer, seed=SEED) -> tuple[float, list[Status]]:
    """The question's points for `answer` on its public and hidden cases, as graded."""
    question = COURSE.get(question_id)
    cases = cases_for(question, seed)
    results = []
    for case in cases:
        inputs = {
            k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in case.inputs.items()
        }
        value = np.asarray(torch.as_tensor(answer(**inputs)), dtype=np.float64)
        results.append(judge(question, case, Outcome(value=value)))
    return award(question, results, list(cases)), [r.status for r in results]


@pytest.mark.parametrize("question_id", ["04.best_threshold", "06.train_toy", "08.train_sae"])
def test_a_trained_or_searched_answer_earns_on_hidden_configurations_only(question_id):
    question = COURSE.get(question_id)
    assert question.hidden_share == 1.0
    hidden = [c for c in cases_for(question, SEED) if c.hidden]
    other = [c for c in cases_for(question, "another seed") if c.hidden]
    assert hidden and all(c.group for c in hidden)  # they earn their points together
    assert [c.name for c in hidden] != [c.name for c in other]  # sizes drawn by the grader
    for case in hidden:
        assert case.truth and not set(case.truth) & set(case.inputs)


# --- 04.best_threshold -------------------------------------------------------


def test_the_measured_threshold_keeps_full_marks():
    assert points("04.best_threshold", best_threshold)[0] == 4


@pytest.mark.parametrize("constant", [0.3, 0.4, 0.5, 0.6, 0.7, 0.9])
def test_a_constant_threshold_earns_nothing(constant):
    assert points("04.best_threshold", lambda directions, n_on: constant)[0] == 0


def test_a_lookup_table_of_thresholds_earns_nothing():
    public = [c for c in COURSE.get("04.best_threshold").public_cases()]
    table = {
        (c.inputs["directions"].shape, c.inputs["n_on"]): float(c.truth["best"]) for c in public
    }
    got, statuses = points(
        "04.best_threshold",
        lambda directions, n_on: table.get((directions.shape, n_on), 0.5),
    )
    assert got == 0 and statuses[: len(public)] == [Status.PASSED] * len(public)


# --- 06.train_toy ---------------------------------------------------------------


def _hand_built(importance, feature_probability, n_hidden, n_steps, seed):
    """The paper's answer drawn by hand: dense models keep their most important
    features on axes, sparse ones put every feature on a polygon."""
    i, n = importance.shape
    W = torch.zeros(i, n_hidden, n)
    for k in range(i):
        if float(feature_probability[k]) == 1.0:
            for axis, f in enumerate(importance[k].argsort(descending=True)[:n_hidden]):
                W[k, axis, f] = 1.0
        else:
            W[k, :2] = _polygon(n)
    return W


def test_the_course_training_loop_keeps_full_marks():
    assert points("06.train_toy", _train_reference)[0] == 4


def test_a_hand_built_pentagon_earns_nothing():
    got, statuses = points("06.train_toy", _hand_built)
    assert statuses[0] == Status.PASSED  # the public case's geometry is the paper's...
    assert got == 0  # ...but not a trained model on the grader's configurations


def test_a_constant_or_a_stored_model_earns_nothing():
    def constant(importance, feature_probability, n_hidden, n_steps, seed):
        return torch.full((len(feature_probability), n_hidden, importance.shape[-1]), 0.5)

    public = COURSE.get("06.train_toy").public_cases()[0]
    stored = _hand_built(**public.inputs)  # a lookup: the public case's answer, always

    def lookup(importance, feature_probability, n_hidden, n_steps, seed):
        return stored

    assert points("06.train_toy", constant)[0] == 0
    got, statuses = points("06.train_toy", lookup)
    assert got == 0 and statuses[0] == Status.PASSED


# --- 08.train_sae ---------------------------------------------------------------


def test_the_course_sae_loop_keeps_full_marks():
    assert points("08.train_sae", _train_sae_reference)[0] == 4


def test_the_seed_no_longer_draws_the_truth_again():
    """The answer is handed a seed, but no truth was drawn from it."""

    def redraw(h, n_latents, l1_coefficient, n_steps, seed):
        directions = normalize_decoder(
            torch.randn(h.shape[1], n_latents // 2, generator=seeded(seed))
        )
        return torch.cat([directions, directions], dim=1)

    got, statuses = points("08.train_sae", redraw)
    assert got == 0


def test_a_dictionary_without_an_sae_earns_nothing():
    """Normalised activations as the dictionary: no SAE, no training."""

    def rows(h, n_latents, l1_coefficient, n_steps, seed):
        picked = h[torch.randperm(len(h), generator=seeded(seed))[:n_latents]]
        return normalize_decoder(picked.T)

    assert points("08.train_sae", rows)[0] == 0


# --- containment, seeds ----------------------------------------------------------


def _question(outcome=None, mistakes=()):
    return Question(
        id="99.x",
        title="x",
        points=2,
        answer_name="x",
        reference=lambda v: v * 2,
        public_cases=lambda: [Case("a", {"v": torch.ones(3)})],
        outcome=outcome,
        mistakes=mistakes,
    )


def test_a_mistake_that_raises_means_not_this_mistake():
    def raises(**inputs):
        raise AssertionError("a check written for another shape")

    def sign(inputs, truth, got):
        return bool(got[7] > 0)  # IndexError on a short output

    question = _question(mistakes=(Mistake("m", "hint", raises),))
    result = judge(question, question.public_cases()[0], Outcome(value=np.zeros(5)))
    assert result.status == Status.FAILED and result.hint is None
    assert "shape (3,)" in result.message and "shape (5,)" in result.message

    def check(inputs, truth, got):
        return Verdict(bool(got[7] > 0), "read index 7")  # raises on a short output too

    trained = _question(outcome=check, mistakes=(Mistake("m", "hint", raises, sign),))
    result = judge(trained, trained.public_cases()[0], Outcome(value=np.zeros(2)))
    assert result.status == Status.FAILED and result.hint is None
    assert "shape (2,)" in result.message


def test_hidden_cases_come_from_a_keyed_hash_of_the_seed():
    expected = hmac.new(b"0", b"01.response_matrix", hashlib.sha256).digest()
    assert case_seed(0, "01.response_matrix") == int.from_bytes(expected[:4], "big") & 0x7FFFFFFF
    assert case_seed("0", "01.response_matrix") == case_seed(0, "01.response_matrix")
    assert case_seed(0, "01.response_matrix") != case_seed(0, "01.monosemanticity_score")
    assert case_seed(0, "01.response_matrix") != case_seed(1, "01.response_matrix")
    question = COURSE.get("01.response_matrix")
    one, two = (
        [c.inputs["W"] for c in cases_for(question, seed) if c.hidden] for seed in ("x", "y")
    )
    assert not all(torch.equal(a, b) for a, b in zip(one, two, strict=True))


def test_a_gradescope_bundle_draws_its_own_private_seed(tmp_path):
    from pathlib import Path

    from polysemantic.grading.gradescope import SEED_FILE, write_bundle

    root = Path(__file__).resolve().parents[1]
    assert not (root / SEED_FILE).exists()
    seeds = []
    for name in ("a", "b"):
        folder = write_bundle(tmp_path / name, root)
        seed = (folder / SEED_FILE).read_text().strip()
        assert len(seed) == 32 and int(seed, 16) >= 0
        assert stat.S_IMODE((folder / SEED_FILE).stat().st_mode) == 0o600
        assert not list((folder / "course").rglob(SEED_FILE))  # not in the installed package
        assert '--seed "$seed"' in (folder / "run_autograder").read_text()
        seeds.append(seed)
    assert seeds[0] != seeds[1]


# --- 07.remove_feature -------------------------------------------------------


def _edit_along(h, W, b_hidden, feature, direction=None, rest=None, scale=1.0):
    """Chapter 07's edit (the reference's), or a hand-built one with a direction and a
    resting point learnt by heart from the chapter's feature 0."""
    unit = W[:, feature] / W[:, feature].norm() if direction is None else direction
    rest = torch.relu(b_hidden) if rest is None else rest
    return h - scale * torch.relu((h - rest) @ unit)[:, None] * unit


def test_the_direction_edit_keeps_full_marks_on_a_reordered_model():
    assert points("07.remove_feature", _edit_along) == (4.0, [Status.PASSED] * 3)


@pytest.mark.parametrize(
    "shortcut",
    [
        lambda h, W, b_hidden, feature: _edit_along(h, W, b_hidden, 0, torch.full((4,), 0.5), 0.32),
        lambda h, W, b_hidden, feature: _edit_along(h, W, b_hidden, 0),  # always feature 0
        lambda h, W, b_hidden, feature: _edit_along(h, W, b_hidden, feature, scale=0.9),
    ],
    ids=["feature 0 by heart", "feature number ignored", "nine tenths of the edit"],
)
def test_an_edit_learnt_by_heart_or_left_short_earns_a_quarter_at_most(shortcut):
    earned, statuses = points("07.remove_feature", shortcut)
    assert earned <= 1.0 and statuses[1:] == [Status.FAILED, Status.FAILED]
