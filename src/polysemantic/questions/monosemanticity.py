"""Chapter 01's graded questions (monosemanticity): cases, hidden cases and the
named mistakes, each a wrong answer with the hint that names it.

The reference implementations are in `polysemantic.monosemanticity`.
"""

from __future__ import annotations

import torch

from polysemantic.data import seeded
from polysemantic.grading.question import Case, Mistake, Question
from polysemantic.monosemanticity import (
    monosemanticity_score,
    neuron_to_feature,
    reconstruction_loss,
    response_matrix,
)


def _weights(seed: int, m: int, n: int, scale: float = 1.0) -> dict[str, torch.Tensor]:
    g = seeded(seed)
    return {"W": torch.randn(m, n, generator=g) * scale, "b": torch.randn(m, generator=g) * 0.5}


def _responses(seed: int, m: int, n: int, dead: int = 0) -> dict[str, torch.Tensor]:
    weights = _weights(seed, m, n)
    R = response_matrix(weights["W"], weights["b"])
    R[:dead] = 0.0  # the first `dead` neurons never fire
    return {"R": R}


QUESTIONS = (
    Question(
        id="01.response_matrix",
        title="the neuron-by-feature response matrix",
        points=2,
        answer_name="response_matrix",
        reference=response_matrix,
        public_cases=lambda: [
            Case("4 neurons, 4 features", _weights(1, 4, 4)),
            Case("6 neurons, 6 features", _weights(2, 6, 6)),
            Case("3 neurons, 5 features (not square)", _weights(3, 3, 5)),
        ],
        hidden_cases=lambda seed: [
            Case("8 neurons, 8 features", _weights(1000 + seed, 8, 8), hidden=True),
            Case("5 neurons, 2 features", _weights(2000 + seed, 5, 2), hidden=True),
        ],
        mistakes=(
            Mistake(
                "no ReLU",
                "the values match W + b before the ReLU: neurons cannot fire "
                "negatively, apply torch.relu.",
                lambda W, b: W + b[:, None],
            ),
            Mistake(
                "transposed",
                "this is the transpose: rows are neurons, columns are features "
                "(shape (n_neurons, n_features)).",
                lambda W, b: torch.relu(W + b[:, None]).T,
            ),
            Mistake(
                "bias forgotten",
                "the bias is missing: each neuron adds b[j] before its ReLU.",
                lambda W, b: torch.relu(W),
            ),
            Mistake(
                "bias on the wrong axis",
                "the bias was added per feature, not per neuron: "
                "use b[:, None] so neuron j gets b[j].",
                lambda W, b: (
                    torch.relu(W + b[None, : W.shape[1]])
                    if W.shape[0] == W.shape[1]
                    else torch.relu(W)
                ),
            ),
        ),
    ),
    Question(
        id="01.monosemanticity_score",
        title="a per-neuron monosemanticity score",
        points=2,
        answer_name="monosemanticity_score",
        reference=monosemanticity_score,
        public_cases=lambda: [
            Case("a clean permutation", {"R": torch.eye(4)[[2, 0, 3, 1]] * 0.7}),
            Case("random responses", _responses(4, 5, 5)),
            Case("with a dead neuron", _responses(5, 4, 6, dead=1)),
        ],
        hidden_cases=lambda seed: [
            Case("many features", _responses(3000 + seed, 6, 12), hidden=True),
            Case("two dead neurons", _responses(4000 + seed, 5, 3, dead=2), hidden=True),
        ],
        mistakes=(
            Mistake(
                "not normalised",
                "these are the raw top responses: divide by each neuron's "
                "total response so the score lies between 1/n_features and 1.",
                lambda R: R.max(-1).values,
            ),
            Mistake(
                "per feature",
                "this is computed per feature (over neurons): the score is per "
                "neuron, so reduce over the last axis (features).",
                lambda R: monosemanticity_score(R.T),
            ),
            Mistake(
                "dead neuron gives NaN",
                "a dead neuron makes 0/0 = NaN: give neurons that never fire a score of 0.",
                lambda R: R.max(-1).values / R.sum(-1),
            ),
        ),
    ),
    Question(
        id="01.neuron_to_feature",
        title="which feature each neuron encodes",
        points=2,
        answer_name="neuron_to_feature",
        reference=neuron_to_feature,
        atol=0.0,
        rtol=0.0,
        public_cases=lambda: [
            Case("a clean permutation", {"R": torch.eye(4)[[2, 0, 3, 1]] * 0.7}),
            Case("random responses", _responses(6, 5, 7)),
            Case("with a dead neuron", _responses(7, 4, 4, dead=1)),
        ],
        hidden_cases=lambda seed: [
            Case("more neurons than features", _responses(5000 + seed, 7, 3, dead=2), hidden=True),
        ],
        mistakes=(
            Mistake(
                "argmax over neurons",
                "this is, for each feature, its strongest neuron: take the "
                "argmax over features (the last axis) instead.",
                lambda R: R.argmax(0),
            ),
            Mistake(
                "dead neurons not marked",
                "a neuron that never fires encodes nothing: return -1 for it instead of feature 0.",
                lambda R: R.argmax(-1),
            ),
        ),
    ),
    Question(
        id="01.reconstruction_loss",
        title="the reconstruction loss",
        points=1,
        answer_name="reconstruction_loss",
        reference=reconstruction_loss,
        public_cases=lambda: [
            Case(
                "batch of 8, 4 features",
                {
                    "x": torch.rand(8, 4, generator=seeded(8)),
                    "x_hat": torch.rand(8, 4, generator=seeded(9)),
                },
            ),
            Case(
                "batch of 3, 6 features",
                {
                    "x": torch.rand(3, 6, generator=seeded(10)),
                    "x_hat": torch.zeros(3, 6),
                },
            ),
        ],
        hidden_cases=lambda seed: [
            Case(
                "batch of 50, 10 features",
                {
                    "x": torch.rand(50, 10, generator=seeded(6000 + seed)),
                    "x_hat": torch.rand(50, 10, generator=seeded(7000 + seed)),
                },
                hidden=True,
            ),
        ],
        mistakes=(
            Mistake(
                "mean instead of sum",
                "this averages over features too: sum the squared errors "
                "over features, then average over the batch.",
                lambda x, x_hat: ((x - x_hat) ** 2).mean(),
            ),
            Mistake(
                "not squared",
                "the errors are not squared (or an absolute error was used).",
                lambda x, x_hat: (x - x_hat).abs().sum(-1).mean(),
            ),
            Mistake(
                "sum over the batch",
                "this sums over the batch too: average over the batch so "
                "the loss does not grow with the batch size.",
                lambda x, x_hat: ((x - x_hat) ** 2).sum(),
            ),
        ),
    ),
)
