"""Chapter 07's claims: in a crowded autoencoder, ablating one neuron hits several
features, removing a feature along its own direction is surgical, and a spread-out
direction that no neuron reveals is still found by a linear probe."""

import pytest
import torch

from polysemantic.data import seeded, sparse_features
from polysemantic.monosemanticity import response_matrix, signed_response_matrix
from polysemantic.why_it_matters import (
    CROWDED,
    ablation_damage,
    cosines_with_features,
    edit_out_feature,
    per_feature_error,
    plant_dangerous_feature,
    planted_activations,
    probe_accuracy,
    remove_direction,
    train_crowded,
)


@pytest.fixture(scope="module")
def crowded():
    """Chapter 07's model, as the page trains it: 8 sparse features in 4 ReLU neurons."""
    W, b_hidden, b_out = train_crowded()
    x = sparse_features(20_000, 8, 0.1, generator=seeded(1))
    return W, b_hidden, b_out, x


def test_a_feature_stored_as_a_drop_is_invisible_to_the_response_matrix(crowded):
    """The page: one feature lights up no neuron, yet moves all four (down)."""
    W, b_hidden, _, _ = crowded
    R, delta = response_matrix(W, b_hidden), signed_response_matrix(W, b_hidden)
    unseen = [i for i in range(8) if int((R[:, i] > 0.1).sum()) == 0]
    assert len(unseen) == 1
    assert bool((delta[:, unseen[0]] < -0.1).all())
    assert (delta.abs() > 0.1).sum(0).tolist() == [4] * 8


def test_the_signed_response_is_the_change_from_rest():
    W = torch.tensor([[1.0, -2.0], [-0.5, 0.2]])
    b = torch.tensor([0.5, -0.1])
    assert torch.allclose(signed_response_matrix(W, b), torch.tensor([[1.0, -0.5], [0.0, 0.1]]))


def test_ablating_the_neuron_most_tied_to_feature_0_misses_it(crowded):
    """The page: the ablation hurts other features about three times more than feature 0,
    and those features are the ones the neuron lowers."""
    W, b_hidden, b_out, x = crowded
    neuron = int(response_matrix(W, b_hidden)[:, 0].argmax())
    damage = ablation_damage(W, b_hidden, b_out, x, neuron)
    lowered = [i for i in range(8) if W[neuron, i] < 0]
    assert float(damage[lowered].min()) > 2.5 * float(damage[0])
    assert float(damage[0]) > 0


def test_the_planted_feature_sits_below_every_neurons_strongest_response(crowded):
    W, b_hidden, _, _ = crowded
    planted = torch.relu(0.4 + b_hidden)
    assert bool((planted < response_matrix(W, b_hidden).max(1).values).all())


def test_an_edit_that_changes_nothing_costs_nothing(crowded):
    W, b_hidden, b_out, x = crowded
    assert torch.allclose(
        per_feature_error(W, b_hidden, b_out, x, edit=lambda h: h),
        per_feature_error(W, b_hidden, b_out, x),
    )


def test_ablating_one_neuron_damages_more_than_one_feature(crowded):
    W, b_hidden, b_out, x = crowded
    damage = ablation_damage(W, b_hidden, b_out, x, neuron=int(W.norm(dim=1).argmax()))
    assert int((damage > 1e-3).sum()) >= 2


def test_removing_a_feature_along_its_direction_hits_it_hardest(crowded):
    W, b_hidden, b_out, x = crowded
    feature = int(W.norm(dim=0).argmax())  # a feature the model represents
    damage = edit_out_feature(W, b_hidden, b_out, x, feature)
    assert int(damage.argmax()) == feature


def test_removing_a_direction_leaves_nothing_along_it():
    h = torch.randn(50, 4, generator=seeded(2))
    direction = torch.tensor([1.0, 2.0, -1.0, 0.5])
    assert torch.allclose(remove_direction(h, direction) @ direction, torch.zeros(50), atol=1e-5)


def test_a_probe_finds_a_planted_feature_that_no_single_neuron_shows(crowded):
    W, b_hidden, _, x = crowded
    labels = (torch.rand(len(x), generator=seeded(3)) < 0.5).float()
    h = planted_activations(W, b_hidden, x, labels, torch.full((4,), 0.5))
    assert float(probe_accuracy(h, labels)) > 0.9
    noise = (torch.rand(len(x), generator=seeded(4)) < 0.5).float()
    assert float(probe_accuracy(h, noise)) < 0.6  # a label the activations do not carry


def test_most_of_the_ablation_s_damage_is_the_lost_resting_activation(crowded):
    """Page 07: set to its resting activation instead of 0, the ablated neuron costs the
    features it lowers less than a quarter as much; the target's error still grows."""
    W, b_hidden, b_out, x = crowded
    neuron = int(response_matrix(W, b_hidden)[:, 0].argmax())
    to_zero = ablation_damage(W, b_hidden, b_out, x, neuron)
    to_rest = ablation_damage(W, b_hidden, b_out, x, neuron, to_rest=True)
    lowered = [i for i in range(1, 8) if W[neuron, i] < 0]
    assert len(lowered) == 4
    assert to_rest[lowered].sum() < 0.25 * to_zero[lowered].sum()
    assert to_rest[0] > 0.002


def test_the_quiz_quotes_the_numbers_the_chapter_computes(crowded):
    """Chapter 07's quiz quotes the ablation, the direction edit and the planted-feature
    audit; each number is recomputed here from the chapter's own code."""
    from polysemantic.questions.why_it_matters import QUIZ

    W, b_hidden, b_out, x = crowded
    R = response_matrix(W, b_hidden)
    neuron = int(R[:, 0].argmax())
    ablate = ablation_damage(W, b_hidden, b_out, x, neuron)
    remove = edit_out_feature(W, b_hidden, b_out, x, 0)
    audit = plant_dangerous_feature(W, b_hidden)
    text = " ".join(
        f"{item.prompt} {option.text} {option.why} {' '.join(item.evidence)}"
        for item in QUIZ.items
        for option in item.options
    )
    assert f"ablate neuron {neuron}," in text
    for number in (
        f"{ablate[0]:.4f}",  # the target's damage
        f"{ablate[1:].sum():.4f}",  # the other seven's
        f"{ablate[1]:.4f}",  # a feature the neuron lowers
        f"{remove[1:].sum():.4f}".replace("-", "−"),  # the direction edit's, as printed
        f"{probe_accuracy(audit.h, audit.dangerous):.1%}",
        f"{1 - audit.dangerous.mean():.1%}",
    ):
        assert number in text, number


def test_the_planted_feature_is_no_copy_of_a_feature_and_only_the_whole_layer_finds_it(crowded):
    """The page's verification: the planted direction is 40-50 degrees from the nearest
    feature (not collinear with any); it is no neuron's strongest response; the probe on
    all four neurons beats every one-neuron probe, two of which do no better than always
    answering 'absent'."""
    W, b_hidden, _, _ = crowded
    audit = plant_dangerous_feature(W, b_hidden)
    nearest = float(cosines_with_features(W, audit.direction).abs().max())
    assert 40 < float(torch.rad2deg(torch.acos(torch.tensor(nearest)))) < 50
    R = response_matrix(W, b_hidden)
    assert bool((torch.relu(audit.direction + b_hidden) < R.max(1).values).all())
    absent = float(1 - audit.dangerous.mean())
    whole = float(probe_accuracy(audit.h, audit.dangerous))
    single = [float(probe_accuracy(audit.h[:, [j]], audit.dangerous)) for j in range(4)]
    assert whole > absent + 0.15 and whole > max(single) + 0.02
    assert sum(s < absent + 0.005 for s in single) == 2


def test_the_neuron_labels_are_near_ties(crowded):
    """The page: every label wins by a few hundredths at most, one by under 0.005."""
    W, b_hidden, _, _ = crowded
    top2 = response_matrix(W, b_hidden).topk(2, dim=1).values  # (4, 2)
    margins = top2[:, 0] - top2[:, 1]
    assert float(margins.max()) < 0.06
    assert float(margins.min()) < 0.005


def test_the_control_with_a_neuron_for_every_feature(crowded):
    """The page's control: 8 neurons for 8 dense features read clean (8 labels, every
    score 1, the ablation hurts only its target); with the page's sparse features they
    name all 8 but carry two each (median 0.5) and the ablation hurts the others more
    than the target, though far less than with 4 neurons (0.0231 against 0.1736)."""
    from dataclasses import replace

    from polysemantic.monosemanticity import monosemanticity_score, neuron_to_feature

    rows = {}
    for n, p in ((4, 0.1), (8, 0.1), (8, 1.0)):
        cfg = replace(CROWDED, n_neurons=n, feature_probability=p)
        W, b, o = crowded[:3] if cfg == CROWDED else train_crowded(cfg)
        x = sparse_features(20_000, 8, p, generator=seeded(1))
        R = response_matrix(W, b)
        scores = monosemanticity_score(signed_response_matrix(W, b).abs())
        hurt = ablation_damage(W, b, o, x, int(R[:, 0].argmax()))
        named = len(set(neuron_to_feature(R).tolist()) - {-1})
        rows[(n, p)] = (named, scores, float(hurt[0]), float(hurt[1:].sum()))
    assert rows[(4, 0.1)][0] == 1 and rows[(8, 0.1)][0] == 8 and rows[(8, 1.0)][0] == 8
    assert float(rows[(8, 1.0)][1].min()) > 0.99
    assert abs(rows[(8, 1.0)][3]) < 1e-3 < rows[(8, 1.0)][2]
    assert float(rows[(8, 0.1)][1].median()) == pytest.approx(0.5, abs=0.01)
    assert rows[(8, 0.1)][3] > rows[(8, 0.1)][2]
    assert rows[(8, 0.1)][3] == pytest.approx(0.0231, abs=0.0005)
    assert rows[(4, 0.1)][3] > 5 * rows[(8, 0.1)][3]
