import functools
from dataclasses import replace

import pytest
import torch

from polysemantic.course import COURSE
from polysemantic.data import seeded, sparse_features
from polysemantic.grading import Status
from polysemantic.grading.judge import judge, run_answer
from polysemantic.monosemanticity import (
    MonosemanticConfig,
    ReLUAutoencoder,
    ablations,
    change_from_rest,
    is_clean,
    is_one_feature_per_neuron,
    monosemanticity_score,
    neuron_to_feature,
    reconstruction_loss,
    response_matrix,
    signed_response_matrix,
    train_autoencoder,
)
from polysemantic.questions import monosemanticity as questions

PAGE = MonosemanticConfig(n_features=6, n_neurons=6, n_instances=16, n_steps=1500, seed=0)


@functools.cache
def _page_runs() -> dict:
    """The page's four runs of the ingredient ablation (the first is the page's own run)."""
    return {name: train_autoencoder(cfg) for name, cfg in ablations(PAGE).items()}


def test_response_matrix_of_a_hand_built_layer():
    W = torch.tensor([[2.0, -1.0], [0.5, 0.5], [-3.0, -3.0]])
    b = torch.tensor([0.0, -1.0, 1.0])
    expected = torch.tensor([[2.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    assert torch.equal(response_matrix(W, b), expected)


def test_response_matrix_keeps_an_instance_dimension():
    W, b = torch.randn(3, 4, 5), torch.randn(3, 4)
    R = response_matrix(W, b)
    assert R.shape == (3, 4, 5)
    assert torch.equal(R[1], response_matrix(W[1], b[1]))


def test_scores_of_clean_uniform_and_dead_neurons():
    R = torch.tensor([[0.0, 3.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    assert monosemanticity_score(R).tolist() == [1.0, 0.25, 0.0]
    assert neuron_to_feature(R).tolist() == [1, 0, -1]


def test_one_feature_per_neuron_needs_distinct_features():
    permutation = torch.eye(3)[[2, 0, 1]]
    shared = torch.eye(3)[[0, 0, 1]]  # two neurons on feature 0
    assert is_one_feature_per_neuron(torch.stack([permutation, shared])).tolist() == [True, False]


def test_reconstruction_loss_sums_features_and_averages_batch():
    x = torch.ones(4, 3)
    assert reconstruction_loss(x, torch.zeros(4, 3)).item() == pytest.approx(3.0)


def test_training_learns_one_feature_per_neuron_and_the_page_s_failures_are_as_it_says():
    """Chapter 01's run: 13 of 16 seeds learn a permutation; seeds 9 and 12 are still
    climbing at step 1,500, while seed 15 has levelled off with a neuron near 1/5."""
    run = _page_runs()["all ingredients"]
    R = response_matrix(run.model.W, run.model.b_hidden).detach()  # (16, 6, 6)
    clean = is_one_feature_per_neuron(R)
    assert (~clean).nonzero().flatten().tolist() == [9, 12, 15]
    assert run.loss[-1].median() < 0.01
    assert run.scores[0].mean() < 0.6  # they start mixed: the score is learned
    now, before = run.scores[-1].mean(-1), run.scores[-21].mean(-1)  # (16,) steps 1500, 1000
    assert now[9] - before[9] > 0.1 and now[12] - before[12] > 0.05  # slow, still climbing
    assert abs(now[15] - before[15]) < 0.02  # levelled off
    scores = monosemanticity_score(R)  # (16, 6)
    assert scores[15].min() == scores.min() < 0.25  # the lowest: five features equally
    assert run.loss[-1, 15] < 1.1 * run.loss[-1].median()  # "barely above the median"


def test_the_two_slow_seeds_come_out_clean_when_trained_on():
    """The page: trained on to step 2,500, seeds 9 and 12 are clean by the change from
    rest, as are all 16 ("slow, not stuck"); at step 1,500 they were not."""
    longer = train_autoencoder(replace(PAGE, n_steps=2500))
    delta = change_from_rest(longer.model)  # (16, 6, 6)
    assert int(is_clean(delta).sum()) == 16
    for k in (9, 12):
        assert monosemanticity_score(delta[k].abs()).min() > 0.99
    assert not is_clean(change_from_rest(_page_runs()["all ingredients"].model))[[9, 12]].any()


def test_seed_15_change_from_rest_has_one_cell_per_row_far_from_zero():
    """The caption: each row one cell far from zero, every other cell under 0.01."""
    delta = change_from_rest(_page_runs()["all ingredients"].model)[15].abs()  # (6, 6)
    top = delta.max(-1)
    assert (top.values > 0.8).all()
    rest = delta.scatter(-1, top.indices[:, None], 0.0)
    assert rest.max() < 0.01
    assert rest.max() > 0.001  # not exactly zero: the caption must not say so


def test_sparsity_not_the_number_of_features_breaks_the_clean_models():
    """The page's four runs: 6 dense features in 4 neurons, 8 of 16 clean; 6 sparse
    (10%) in 4 or 6 neurons and 8 sparse in 4, none; mixed neurons 19%, 98%, 100%, 72%."""
    dense = change_from_rest(_page_runs()["4 neurons"].model)
    sparse = MonosemanticConfig(6, 4, 16, feature_probability=0.1, n_steps=1500, seed=0)
    runs = {
        (6, 4, 1.0): dense,
        (6, 4, 0.1): change_from_rest(train_autoencoder(sparse).model),
        (8, 4, 0.1): change_from_rest(train_autoencoder(replace(sparse, n_features=8)).model),
        (6, 6, 0.1): change_from_rest(train_autoencoder(replace(sparse, n_neurons=6)).model),
    }
    clean = {key: int(is_clean(d).sum()) for key, d in runs.items()}
    assert clean == {(6, 4, 1.0): 8, (6, 4, 0.1): 0, (8, 4, 0.1): 0, (6, 6, 0.1): 0}
    mixed = {
        key: float((monosemanticity_score(d.abs()) < 0.9).float().mean()) for key, d in runs.items()
    }
    assert mixed[(6, 4, 1.0)] < 0.25 and mixed[(6, 4, 0.1)] > 0.9
    assert mixed[(8, 4, 0.1)] > 0.95 and 0.6 < mixed[(6, 6, 0.1)] < 0.8


def test_crowded_network_is_not_monosemantic():
    """More features than neurons: the ending of chapter 01 and the start of 02."""
    cfg = MonosemanticConfig(
        n_features=8, n_neurons=4, n_instances=8, feature_probability=0.1, n_steps=1000, seed=0
    )
    run = train_autoencoder(cfg)
    R = response_matrix(run.model.W, run.model.b_hidden).detach()
    assert int(is_one_feature_per_neuron(R).sum()) == 0


def test_the_signed_response_is_the_change_from_rest_for_relu_and_linear_layers():
    cfg = MonosemanticConfig(n_features=3, n_neurons=2, n_instances=2)
    model = ReLUAutoencoder(cfg, seeded(0))
    with torch.no_grad():
        model.b_hidden[0] = torch.tensor([0.5, -0.2])
    delta = change_from_rest(model)  # (2, 2, 3)
    assert torch.allclose(delta, signed_response_matrix(model.W, model.b_hidden).detach())
    linear = ReLUAutoencoder(MonosemanticConfig(3, 2, 2, hidden_relu=False), seeded(0))
    assert torch.allclose(change_from_rest(linear), linear.W.detach())


def test_is_clean_counts_an_inverted_detector_and_rejects_shared_or_mixed_neurons():
    inverted = torch.tensor([[0.0, -0.8], [0.9, 0.0]])
    shared = torch.tensor([[0.9, 0.0], [0.8, 0.0]])
    mixed = torch.tensor([[0.5, 0.5], [0.0, 0.9]])
    assert is_clean(torch.stack([inverted, shared, mixed])).tolist() == [True, False, False]


def test_seed_15_is_a_clean_inverted_detector_of_feature_2():
    """The page: the lowest score (seed 15, neuron 3) is a neuron with weight -1.02 on
    feature 2 and 0 elsewhere, resting at its bias, +0.85; read by its change from rest
    the model is clean, and 14 of 16 models are (13 by ReLU(W + b))."""
    model = _page_runs()["all ingredients"].model
    W, b = model.W.detach(), model.b_hidden.detach()
    R, delta = response_matrix(W, b), signed_response_matrix(W, b)
    j = int(monosemanticity_score(R[15]).argmin())
    assert j == 3
    assert W[15, j, 2] == pytest.approx(-1.02, abs=0.005)
    assert W[15, j].abs().sum() - W[15, j, 2].abs() < 0.05  # 0 elsewhere
    assert b[15, j] == pytest.approx(0.85, abs=0.005)
    assert delta[15, j, 2] == pytest.approx(-0.85, abs=0.005)
    assert int(is_one_feature_per_neuron(R).sum()) == 13
    assert bool(is_clean(delta)[15]) and int(is_clean(delta).sum()) == 14
    assert (~is_clean(delta)).nonzero().flatten().tolist() == [9, 12]


def test_the_ingredient_ablation_shares_are_as_the_page_prints():
    """Take away the ReLU or the L1 penalty and 0 of 16 models are clean; with 4 neurons
    for 6 dense features 8 of 16 are, with at most 4 features represented; without the
    penalty the neurons rest above 0 and reconstruct better than the clean models."""
    runs = _page_runs()
    x = sparse_features(4096, 6, 1.0, n_instances=16, generator=seeded(1))
    shares, losses, rests, scores, active = {}, {}, {}, {}, {}
    for name, run in runs.items():
        delta = change_from_rest(run.model)
        shares[name] = int(is_clean(delta).sum())
        scores[name] = float(monosemanticity_score(delta.abs()).median())
        with torch.no_grad():
            x_hat, _ = run.model(x)
            rests[name] = float(run.model.hidden(torch.zeros(1, 16, 6)).median())
            active[name] = float((run.model.hidden(x) > 0).float().mean())
        losses[name] = float(((x - x_hat) ** 2).sum(-1).mean(0).median())
    assert shares == {"all ingredients": 14, "no ReLU": 0, "no L1 penalty": 0, "4 neurons": 8}
    assert scores["no ReLU"] == pytest.approx(0.27, abs=0.005)
    # 0.365 on CI's machines, 0.37 on the one that first printed the page: float32 training
    # is not bit-identical across CPUs, so this pin lets the last printed digit move.
    assert scores["no L1 penalty"] == pytest.approx(0.365, abs=0.01)
    assert rests["all ingredients"] == pytest.approx(0.0, abs=0.005)
    assert rests["no L1 penalty"] == pytest.approx(0.28, abs=0.005)
    assert losses["no L1 penalty"] < losses["all ingredients"] / 10  # "reconstruct better"
    # "active on almost every input": the printed 0.999 against 0.849 with the penalty
    assert active["no L1 penalty"] > 0.99 and active["all ingredients"] < 0.9
    assert losses["no ReLU"] < losses["all ingredients"] / 10
    owned = [
        len(set(d.abs().argmax(-1).tolist())) for d in change_from_rest(runs["4 neurons"].model)
    ]
    assert max(owned) == 4  # two of the six features get no neuron


TRAIN = COURSE.get("01.train_with_ingredients")


def _verdicts(answer, cases) -> list[Status]:
    return [judge(TRAIN, case, run_answer(answer, case)).status for case in cases]


def test_the_ablation_check_passes_the_course_s_trainer_from_another_seed():
    cases = TRAIN.public_cases() + TRAIN.hidden_cases(3)
    answer = functools.partial(questions._train_reference, seed=7)
    assert _verdicts(answer, cases) == [Status.PASSED] * len(cases)


def test_the_ablation_check_fails_a_constant_a_lookup_table_and_a_hand_built_answer():
    """No answer that skips the training passes a hidden case: a constant, or a table of
    the public cases' answers. The textbook outcome built by hand (a permutation at a
    guessed strength) fails the hidden case with every ingredient, whose penalty sets
    how strongly trained neurons respond."""
    hidden = TRAIN.hidden_cases(3)

    def constant(n_features, n_neurons, n_instances, **_):
        return torch.full((n_instances, n_neurons, n_features), 0.5)

    table = {
        tuple(sorted(case.inputs.items())): questions._train_reference(**case.inputs, seed=1)
        for case in TRAIN.public_cases()
    }

    def lookup(**inputs):
        return table.get(tuple(sorted(inputs.items())), torch.zeros(8, 5, 5))

    def hand_built(n_features, n_instances, **_):
        g = seeded(0)
        order = [torch.randperm(n_features, generator=g) for _ in range(n_instances)]
        return torch.stack([torch.eye(n_features)[o] * 0.8 for o in order])

    for answer in (constant, lookup):
        assert Status.PASSED not in _verdicts(answer, hidden), answer.__name__
    assert _verdicts(hand_built, hidden[:1]) == [Status.FAILED]
