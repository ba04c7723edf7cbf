"""Chapter 06's library: exact geometry on hand-built configurations, and the model."""

import inspect
import math
import re
from pathlib import Path

import pytest
import torch

from polysemantic.superposition import (
    DEDICATED,
    NOT_REPRESENTED,
    SUPERPOSITION,
    ToyModel,
    ToyModelConfig,
    classify_extra_feature,
    dimensions_per_feature,
    feature_dimensionality,
    feature_norms,
    importance_weighted_loss,
    interference,
    toy_forward,
    train_toy_model_simple,
)
from polysemantic.superposition_sweeps import privileged_basis_sweep
from polysemantic.toy_training import train_toy_model


def polygon(k: int) -> torch.Tensor:
    """k unit vectors evenly around a circle: (2, k)."""
    angles = torch.arange(k, dtype=torch.float64) * 2 * math.pi / k
    return torch.stack([angles.cos(), angles.sin()])


def tetrahedron() -> torch.Tensor:
    v = torch.tensor([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=torch.float64)
    return (v / v.norm(dim=1, keepdim=True)).T  # (3, 4)


def square_antiprism() -> torch.Tensor:
    """Two squares, one turned by 45°, at heights ±1/√3 (a tight frame): (3, 8)."""
    h = 1 / math.sqrt(3)
    r = math.sqrt(1 - h * h)
    points = []
    for k in range(4):
        a = k * math.pi / 2
        points.append([r * math.cos(a), r * math.sin(a), h])
        points.append([r * math.cos(a + math.pi / 4), r * math.sin(a + math.pi / 4), -h])
    return torch.tensor(points, dtype=torch.float64).T


@pytest.mark.parametrize(
    "W, expected",
    [
        (torch.tensor([[1.0, -1.0]], dtype=torch.float64), 1 / 2),  # antipodal pair (digon)
        (polygon(3), 2 / 3),  # triangle
        (tetrahedron(), 3 / 4),  # tetrahedron
        (polygon(5), 2 / 5),  # pentagon
        (square_antiprism(), 3 / 8),  # square antiprism
        (torch.eye(3, dtype=torch.float64), 1.0),  # dedicated dimensions
    ],
    ids=["digon", "triangle", "tetrahedron", "pentagon", "square antiprism", "orthogonal"],
)
def test_feature_dimensionality_of_exact_geometries(W, expected):
    D = feature_dimensionality(W)
    assert torch.allclose(D, torch.full_like(D, expected), atol=1e-12)


def test_dimensionality_is_scale_free_and_zero_for_dropped_features():
    W = torch.zeros(2, 3, dtype=torch.float64)
    W[0, 0], W[1, 1] = 3.0, -0.5  # two dedicated dimensions, any length; feature 2 dropped
    assert torch.allclose(
        feature_dimensionality(W), torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64)
    )


def test_instance_dimension():
    W = torch.stack([polygon(5), polygon(5) * 0.5])  # (2, 2, 5)
    assert feature_dimensionality(W).shape == (2, 5)
    assert torch.allclose(
        dimensions_per_feature(W), torch.tensor([2 / 5, 8 / 5], dtype=torch.float64)
    )
    assert torch.allclose(feature_norms(W)[1], torch.full((5,), 0.5, dtype=torch.float64))


def test_interference_is_zero_for_orthogonal_features():
    assert torch.allclose(interference(torch.eye(2)), torch.zeros(2))
    assert torch.allclose(interference(torch.tensor([[1.0, -1.0]])), torch.ones(2))


def test_loss_weights_importance_averages_batch_sums_instances():
    x, x_hat = torch.ones(4, 2, 3), torch.zeros(4, 2, 3)
    importance = torch.tensor([1.0, 0.5, 0.0])
    assert importance_weighted_loss(x, x_hat, importance).item() == pytest.approx(2 * 1.5)


def test_model_shapes():
    model = ToyModel(ToyModelConfig(n_features=5, n_hidden=2, n_instances=3))
    assert model(torch.rand(7, 3, 5)).shape == (7, 3, 5)


def test_five_features_in_two_dimensions():
    """Dense: the two most important features get orthogonal directions, the rest
    are dropped. Sparse: all five share the plane as a pentagon (paper, §2)."""
    cfg = ToyModelConfig(n_features=5, n_hidden=2, n_instances=2, n_steps=6000, lr=1e-2)
    importance = 0.9 ** torch.arange(5.0)
    model, _ = train_toy_model(cfg, importance, torch.tensor([1.0, 0.03]))
    W = model.W.detach()
    dense_norms, sparse_norms = feature_norms(W)
    assert (dense_norms[:2] > 0.9).all() and (dense_norms[2:] < 0.2).all()
    assert (sparse_norms > 0.9).all()
    assert torch.allclose(feature_dimensionality(W[1]), torch.full((5,), 0.4), atol=0.05)


@pytest.mark.parametrize(
    "W, phase",
    [
        ([[1.0, 0.0]], NOT_REPRESENTED),  # n=2, m=1: extra dropped
        ([[0.0, 1.0]], DEDICATED),  # the extra takes the dimension
        ([[1.0, -1.0]], SUPERPOSITION),  # an antipodal pair
        ([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], NOT_REPRESENTED),  # n=3, m=2
        ([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], DEDICATED),
        ([[1.0, -0.5, -0.5], [0.0, 0.87, -0.87]], SUPERPOSITION),  # a triangle
    ],
)
def test_phase_of_the_extra_feature(W, phase):
    assert classify_extra_feature(torch.tensor(W)).item() == phase


def test_phases_keep_the_instance_dimension():
    W = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]], [[1.0, -1.0]]])  # (3, 1, 2)
    assert classify_extra_feature(W).tolist() == [NOT_REPRESENTED, DEDICATED, SUPERPOSITION]


def _loss_on(model, importance, p, seed=123):
    from polysemantic.data import sparse_features

    i, _, n = model.W.shape
    x = sparse_features(8192, n, p, n_instances=i, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return (importance * (x - model(x)) ** 2).sum(-1).mean(0)  # (2,)


@pytest.mark.parametrize("native", ["1", "0"])  # with the C sampler and with numpy's
def test_fast_trainer_reaches_the_same_results_as_the_simple_one(monkeypatch, native):
    monkeypatch.setenv("POLYSEMANTIC_NATIVE", native)
    cfg = ToyModelConfig(n_features=5, n_hidden=2, n_instances=2, n_steps=4000, lr=1e-2)
    importance, p = 0.9 ** torch.arange(5.0), torch.tensor([1.0, 0.03])
    fast, _ = train_toy_model(cfg, importance, p)
    simple = train_toy_model_simple(cfg, importance, p)
    assert torch.allclose(
        _loss_on(fast, importance, p), _loss_on(simple, importance, p), rtol=0.1, atol=1e-3
    )
    for model in (fast, simple):
        norms = feature_norms(model.W.detach())
        assert (norms[0, :2] > 0.9).all() and (norms[0, 2:] < 0.2).all()  # dense: 2 kept
        assert torch.allclose(
            feature_dimensionality(model.W.detach()[1]), torch.full((5,), 0.4), atol=0.05
        )  # sparse: pentagon


def test_fast_trainer_through_the_gram_matrix_matches_the_simple_one():
    """With n <= 2m (the phase diagrams' sizes) the fast trainer goes through Wᵀ W."""
    cfg = ToyModelConfig(n_features=3, n_hidden=2, n_instances=3, n_steps=2000, lr=1e-2)
    importance, p = torch.tensor([1.0, 0.9, 3.0]), torch.tensor([1.0, 0.2, 0.02])
    fast, _ = train_toy_model(cfg, importance, p)
    simple = train_toy_model_simple(cfg, importance, p)
    assert torch.allclose(
        _loss_on(fast, importance, p), _loss_on(simple, importance, p), rtol=0.1, atol=1e-3
    )
    for model in (fast, simple):  # dense: the important third feature keeps a direction
        assert feature_norms(model.W.detach())[0, 2] > 0.9


def test_the_gram_path_gives_the_same_training_as_the_direct_one(monkeypatch):
    """Same seed, same data: going through Wᵀ W must not change a single step."""
    from polysemantic.toy_training import trainer

    cfg = ToyModelConfig(n_features=3, n_hidden=2, n_instances=4, n_steps=300, lr=1e-2)
    importance, p = torch.tensor([1.0, 0.9, 3.0]), torch.tensor([1.0, 0.5, 0.1, 0.02])
    through_gram, log_gram = train_toy_model(cfg, importance, p, log_every=100)
    monkeypatch.setattr(trainer, "_through_gram", lambda n, m: False)
    direct, log_direct = train_toy_model(cfg, importance, p, log_every=100)
    assert torch.allclose(through_gram.W, direct.W, atol=1e-5)
    assert torch.allclose(through_gram.b, direct.b, atol=1e-5)
    assert torch.allclose(log_gram, log_direct, rtol=1e-5)


def test_fast_trainer_logs_the_loss_and_keeps_the_callers_order():
    cfg = ToyModelConfig(n_features=5, n_hidden=2, n_instances=3, n_steps=300, lr=1e-2)
    p = torch.tensor([0.05, 1.0, 0.3])  # not sorted: the trainer sorts internally
    model, log = train_toy_model(cfg, torch.ones(5), p, log_every=100)
    assert log.shape == (3, 3)
    assert (log[-1] < log[0]).all()
    # the densest instance (index 1) has the largest loss: most features are on
    assert log[-1].argmax() == 1


def test_bad_settings_say_what_shapes_they_may_have():
    cfg = ToyModelConfig(n_features=5, n_hidden=2, n_instances=3, n_steps=1)
    with pytest.raises(ValueError, match=r"importance must be .*\(5,\)"):
        train_toy_model(cfg, torch.ones(4), 1.0)


def test_the_written_out_adamw_is_torchs():
    """The fast trainer's AdamW must take exactly torch.optim.AdamW's steps (defaults,
    weight decay included)."""
    from polysemantic.toy_training.adamw import FlatAdamW

    generator = torch.Generator().manual_seed(0)
    ours = torch.randn(50, generator=generator)
    theirs = ours.clone().requires_grad_()
    adamw, reference = FlatAdamW(ours, lr=1e-2), torch.optim.AdamW([theirs], lr=1e-2)
    for _ in range(20):
        grad = torch.randn(50, generator=generator)
        adamw.step(grad)
        theirs.grad = grad.clone()
        reference.step()
    torch.testing.assert_close(ours, theirs.detach(), rtol=1e-6, atol=1e-7)


def _many_groups_config(n_steps: int = 30) -> ToyModelConfig:
    from polysemantic.toy_training.trainer import _n_groups

    cfg = ToyModelConfig(n_features=130, n_hidden=10, n_instances=16, n_steps=n_steps)
    assert _n_groups(cfg) == 2  # enough work per step to split the instances in two groups
    return cfg


def test_the_results_do_not_depend_on_the_number_of_cores():
    """Groups of instances train on as many cores as there are, but the groups, and so
    the data and the models, are fixed by the config: 1 or 2 threads, same models."""
    cfg = _many_groups_config()
    p = torch.logspace(0, -2.5, 16)[torch.randperm(16, generator=torch.Generator().manual_seed(1))]
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one, log_one = train_toy_model(cfg, 1.0, p, log_every=10)
        torch.set_num_threads(2)
        two, log_two = train_toy_model(cfg, 1.0, p, log_every=10)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(one.W, two.W) and torch.equal(one.b, two.b)
    assert torch.equal(log_one, log_two)
    # and each instance is back in the caller's place: denser data, larger loss
    assert torch.equal(log_two[-1].argsort(), p.argsort())


def test_an_error_in_a_worker_reaches_the_caller(monkeypatch):
    from polysemantic.toy_training import trainer

    def broken(self, logging):
        raise RuntimeError("boom")

    monkeypatch.setattr(trainer._InstanceGroup, "step", broken)
    threads = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="boom"):
        train_toy_model(_many_groups_config(), 1.0, 0.1)
    assert torch.get_num_threads() == threads  # the caller's setting is restored


def test_each_trained_model_comes_back_in_the_callers_place():
    """Instances are shuffled into groups and trained apart; each returned (W, b) must be
    the model trained at the caller's feature probability for that index: its loss on
    fresh data matches the loss the trainer logged for it at the last step."""
    from polysemantic.toy_training.trainer import _n_groups

    cfg = ToyModelConfig(n_features=5, n_hidden=2, n_instances=400, n_steps=301, lr=1e-2)
    assert _n_groups(cfg) == 2
    p = torch.logspace(0, -2, 400)[torch.randperm(400, generator=torch.Generator().manual_seed(2))]
    model, log = train_toy_model(cfg, 1.0, p, log_every=300)
    fresh = _loss_on(model, torch.ones(5), p)  # (400,)
    ratio = fresh / log[-1]
    assert ((ratio > 0.5) & (ratio < 2.0)).float().mean() > 0.95  # a mix-up gives ~0.6


def test_with_a_relu_hidden_layer_superposition_turns_neurons_polysemantic():
    """Chapter 06's privileged-basis claim: dense, one feature per neuron and the rest
    dropped; sparse, more features than neurons, each neuron carrying several."""
    from polysemantic.directions import concepts_per_neuron
    from polysemantic.monosemanticity import monosemanticity_score
    from polysemantic.superposition import neuron_responses
    from polysemantic.superposition_sweeps import privileged_basis_sweep

    W = privileged_basis_sweep(torch.tensor([0.0, 0.9])).W.detach()  # (2, 4 neurons, 8)
    dense, sparse = W
    R_dense, R_sparse = neuron_responses(dense), neuron_responses(sparse)
    assert int((feature_norms(dense) > 0.5).sum()) == 4
    assert concepts_per_neuron(R_dense, 0.1).tolist() == [1, 1, 1, 1]
    assert float(monosemanticity_score(R_dense).min()) > 0.9
    assert int((feature_norms(sparse) > 0.5).sum()) >= 7
    assert float(monosemanticity_score(R_sparse).mean()) < 0.5
    assert int(concepts_per_neuron(R_sparse, 0.1).min()) >= 3


def test_at_s_0_99_a_larger_batch_lets_every_model_store_all_eight_features():
    """Chapter 06's batch-size run: 8 models at S = 0.99, 4 of 8 store all 8 features
    with batches of 256, 8 of 8 with batches of 4,096."""
    at_99 = torch.full((8,), 0.99)
    stored = {}
    for batch in (256, 4096):
        W = privileged_basis_sweep(at_99, lr=2e-2, batch_size=batch).W.detach()
        stored[batch] = [int((feature_norms(w) > 0.5).sum()) for w in W]
    assert stored[256].count(8) == 4 and min(stored[256]) == 7
    assert stored[4096].count(8) == 8


def test_only_the_relu_hidden_model_cares_about_a_rotation_of_its_hidden_space():
    from polysemantic.directions import random_rotation

    g = torch.Generator().manual_seed(0)
    W, b = torch.randn(3, 4, 8, generator=g), torch.randn(3, 8, generator=g) * 0.1
    x = torch.rand(64, 3, 8, generator=g)
    Q = random_rotation(4, g)
    assert torch.allclose(toy_forward(Q @ W, b, x), toy_forward(W, b, x), atol=1e-5)
    relu_hidden = toy_forward(W, b, x, relu_hidden=True)
    assert not torch.allclose(toy_forward(Q @ W, b, x, relu_hidden=True), relu_hidden, atol=1e-2)


def test_the_fast_trainer_refuses_the_relu_hidden_model():
    cfg = ToyModelConfig(n_features=3, n_hidden=2, n_instances=1, n_steps=1, relu_hidden=True)
    with pytest.raises(ValueError, match="train_toy_model_simple"):
        train_toy_model(cfg, 1.0, 0.5)


def test_the_D_i_add_up_to_m_for_an_even_hidden_space_but_not_for_every_W():
    """Chapter 06: Σ D_i = m is a property of trained solutions (W Wᵀ = λI gives exactly
    m), not an identity: a random 20 x 200 W sums to about 18, two features on one line
    in two dimensions to 1."""
    Q = torch.linalg.qr(torch.randn(20, 20, generator=torch.Generator().manual_seed(0)))[0]
    tight = Q @ torch.cat([torch.eye(20)] * 10, dim=1) * 0.7  # W Wᵀ = 4.9 I, 200 features
    assert torch.allclose(feature_dimensionality(tight).sum(), torch.tensor(20.0), atol=1e-3)
    random_W = torch.randn(20, 200, generator=torch.Generator().manual_seed(0))
    assert 17.5 < float(feature_dimensionality(random_W).sum()) < 18.8
    one_line = torch.tensor([[1.0, 1.0], [0.0, 0.0]])
    assert feature_dimensionality(one_line).tolist() == [0.5, 0.5]


def test_the_learning_rates_chapter_06_states_are_the_ones_its_cells_pass():
    page = (Path(__file__).parents[1] / "chapters" / "06_superposition.md").read_text()
    cells = re.findall(r"```\{code-cell\}.*?```", page, flags=re.S)
    passed = {float(v) for cell in cells for v in re.findall(r"\blr=([0-9.e-]+)", cell)}
    assert passed == {1e-2, 2e-2}
    stated = page[page.index("The live runs on this page use") :][:400]
    assert "1e-2 for the five features in two" in stated and "2e-2 for the model" in stated
    assert inspect.signature(privileged_basis_sweep).parameters["lr"].default == 2e-2
