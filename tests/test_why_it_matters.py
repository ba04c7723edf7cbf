"""Chapter 07's claims: in a crowded autoencoder, ablating one neuron hits several
features, removing a feature along its own direction is surgical, and a spread-out
direction that no neuron reveals is still found by a linear probe."""

import pytest
import torch

from polysemantic.data import seeded, sparse_features
from polysemantic.monosemanticity import MonosemanticConfig, train_autoencoder
from polysemantic.why_it_matters import (
    ablation_damage,
    edit_out_feature,
    per_feature_error,
    planted_activations,
    probe_accuracy,
    remove_direction,
)


@pytest.fixture(scope="module")
def crowded():
    """Chapter 07's model: 8 sparse features in 4 ReLU neurons (shorter training)."""
    cfg = MonosemanticConfig(
        n_features=8, n_neurons=4, n_instances=1, feature_probability=0.1, n_steps=1500
    )
    run = train_autoencoder(cfg)
    W, b_hidden, b_out = (p[0].detach() for p in (run.model.W, run.model.b_hidden, run.model.b_out))
    x = sparse_features(5000, 8, 0.1, generator=seeded(1))
    return W, b_hidden, b_out, x


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
    h = planted_activations(W, b_hidden, x, labels, strength=0.5)
    assert float(probe_accuracy(h, labels)) > 0.9
    noise = (torch.rand(len(x), generator=seeded(4)) < 0.5).float()
    assert float(probe_accuracy(h, noise)) < 0.6  # a label the activations do not carry
