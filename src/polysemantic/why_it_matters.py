"""Chapter 07: what superposition breaks: reading, tracing, editing and verifying.

The experiments use chapter 01's ReLU autoencoder in its crowded setting (more
sparse features than hidden neurons), whose neurons are polysemantic, so the
neuron basis is privileged but does not line up with the features
(Elhage et al. 2022, §1 and "Superposition and interpretability").
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from polysemantic.data import seeded
from polysemantic.grading.question import Case, Mistake, Question, register
from polysemantic.monosemanticity import autoencoder_output

Edit = Callable[[torch.Tensor], torch.Tensor]


def per_feature_error(W: torch.Tensor, b_hidden: torch.Tensor, b_out: torch.Tensor,
                      x: torch.Tensor, edit: Edit | None = None) -> torch.Tensor:
    """Mean squared reconstruction error of each feature, (n_features,), with an optional
    `edit` applied to the hidden activations h = ReLU(W x + b_hidden)."""
    hidden = torch.relu if edit is None else (lambda pre: edit(torch.relu(pre)))
    return ((x - autoencoder_output(W, b_hidden, b_out, x, hidden)) ** 2).mean(0)


def ablation_damage(W: torch.Tensor, b_hidden: torch.Tensor, b_out: torch.Tensor,
                    x: torch.Tensor, neuron: int) -> torch.Tensor:
    """How much each feature's error grows when one neuron's activation is set to 0.

    Returns (n_features,): error with the neuron ablated minus error without.
    """
    def ablate(h: torch.Tensor) -> torch.Tensor:
        h = h.clone()
        h[:, neuron] = 0.0
        return h

    return (per_feature_error(W, b_hidden, b_out, x, ablate)
            - per_feature_error(W, b_hidden, b_out, x))


def edit_out_feature(W: torch.Tensor, b_hidden: torch.Tensor, b_out: torch.Tensor,
                     x: torch.Tensor, feature: int) -> torch.Tensor:
    """How much each feature's error grows when feature `feature` is removed along its
    own direction: its contribution x_A W_A is taken out of the pre-activations.

    This needs the feature's value x_A, which the toy model gives us and a real
    model does not (chapter 08's dictionary is how to get it). Returns (n_features,).
    """
    def without_feature(pre: torch.Tensor) -> torch.Tensor:      # (batch, n_neurons)
        return torch.relu(pre - x[:, feature:feature + 1] * W[:, feature])

    x_hat = autoencoder_output(W, b_hidden, b_out, x, hidden=without_feature)
    return ((x - x_hat) ** 2).mean(0) - per_feature_error(W, b_hidden, b_out, x)


def planted_activations(W: torch.Tensor, b_hidden: torch.Tensor, x: torch.Tensor,
                        planted: torch.Tensor, strength: float) -> torch.Tensor:
    """Hidden activations with one extra feature written along a spread-out direction.

    planted: (batch,) the extra feature's values; its direction puts `strength` on
    every neuron, so no single neuron stands out. Returns (batch, n_neurons).
    """
    spread = torch.full((W.shape[0],), strength)
    return torch.relu(x @ W.T + b_hidden + planted[:, None] * spread)


def remove_direction(h: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    """Project activations off one direction: h - (h · û) û.

    h: (batch, n_neurons); direction: (n_neurons,), any length -> (batch, n_neurons).
    """
    unit = direction / direction.norm()
    return h - (h @ unit)[:, None] * unit


def probe_accuracy(activations: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Fit a least-squares linear probe with a bias, y ≈ A w + c, and return the
    share of examples where (A w + c > 0.5) equals the 0/1 label: a scalar.

    activations: (batch, n_neurons); labels: (batch,) of 0.0 and 1.0.
    """
    return _least_squares_probe(activations, labels, bias=True, threshold=0.5)


def _least_squares_probe(activations: torch.Tensor, labels: torch.Tensor, *, bias: bool,
                         threshold: float) -> torch.Tensor:
    A = activations.double()
    if bias:
        A = torch.cat([A, torch.ones(len(A), 1, dtype=A.dtype)], dim=1)
    solution = torch.linalg.lstsq(A, labels.double()[:, None]).solution
    return (((A @ solution)[:, 0] > threshold) == labels.bool()).double().mean()


# ---------------------------------------------------------------------------
# Graded questions of chapter 07.
# ---------------------------------------------------------------------------


def _model(seed: int, m: int, n: int, batch: int = 256) -> dict:
    g = seeded(seed)
    W = torch.randn(m, n, generator=g) * 0.6
    x = torch.rand(batch, n, generator=g) * (torch.rand(batch, n, generator=g) < 0.2)
    return {"W": W, "b_hidden": 0.3 * torch.randn(m, generator=g).abs(),
            "b_out": -0.05 * torch.rand(n, generator=g), "x": x, "neuron": int(seed % m)}


def _activations(seed: int, batch: int, m: int) -> dict:
    g = seeded(seed)
    return {"h": torch.rand(batch, m, generator=g),
            "direction": torch.randn(m, generator=g) * 3.0}


def _probe(seed: int, batch: int, m: int) -> dict:
    g = seeded(seed)
    labels = (torch.rand(batch, generator=g) < 0.3).float()
    direction = torch.randn(m, generator=g)
    noise = torch.randn(batch, m, generator=g)
    return {"activations": noise + 2.0 * labels[:, None] * direction + 1.0, "labels": labels}


register(Question(
    id="07.ablation_damage",
    title="the collateral damage of ablating a neuron",
    points=2,
    answer_name="ablation_damage",
    reference=ablation_damage,
    atol=1e-5,
    public_cases=lambda: [
        Case("4 neurons, 8 features", _model(1, 4, 8)),
        Case("3 neurons, 5 features", _model(2, 3, 5)),
    ],
    hidden_cases=lambda seed: [
        Case("6 neurons, 12 features", _model(100 + seed, 6, 12), hidden=True),
    ],
    mistakes=(
        Mistake("error after, not the increase", "report how much the error grows: the "
                "error with the neuron ablated minus the error without.",
                lambda W, b_hidden, b_out, x, neuron: ablation_damage(W, b_hidden, b_out, x,
                                                                      neuron)
                + per_feature_error(W, b_hidden, b_out, x)),
        Mistake("a feature, not a neuron", "this switched off input feature `neuron`; an "
                "ablation sets the activation of hidden neuron `neuron` to 0.",
                lambda W, b_hidden, b_out, x, neuron:
                per_feature_error(W, b_hidden, b_out, _zero_column(x, neuron))
                - per_feature_error(W, b_hidden, b_out, x)),
    ),
))

register(Question(
    id="07.remove_direction",
    title="editing one feature out along its direction",
    points=2,
    answer_name="remove_direction",
    reference=remove_direction,
    public_cases=lambda: [
        Case("batch 16, 4 neurons", _activations(3, 16, 4)),
        Case("batch 5, 10 neurons", _activations(4, 5, 10)),
    ],
    hidden_cases=lambda seed: [
        Case("batch 40, 3 neurons", _activations(200 + seed, 40, 3), hidden=True),
    ],
    mistakes=(
        Mistake("not normalised", "normalise the direction first: h - (h·u)u only removes the "
                "component when u has length 1.",
                lambda h, direction: h - (h @ direction)[:, None] * direction),
        Mistake("kept instead of removed", "this is the component along the direction; the "
                "edit removes it: h minus that.",
                lambda h, direction: h - remove_direction(h, direction)),
    ),
))

register(Question(
    id="07.probe_accuracy",
    title="a linear probe for a planted feature",
    points=2,
    answer_name="probe_accuracy",
    reference=probe_accuracy,
    atol=1e-6,
    public_cases=lambda: [
        Case("batch 200, 4 neurons", _probe(5, 200, 4)),
        Case("batch 100, 8 neurons", _probe(6, 100, 8)),
    ],
    hidden_cases=lambda seed: [
        Case("batch 300, 6 neurons", _probe(300 + seed, 300, 6), hidden=True),
    ],
    mistakes=(
        Mistake("no bias", "add a column of ones to the activations so the probe has a bias.",
                lambda activations, labels:
                _least_squares_probe(activations, labels, bias=False, threshold=0.5)),
        Mistake("threshold at 0", "the labels are 0 and 1: predict 1 when the probe's output "
                "is above 0.5, not above 0.", lambda activations, labels:
                _least_squares_probe(activations, labels, bias=True, threshold=0.0)),
    ),
))


def _zero_column(x: torch.Tensor, feature: int) -> torch.Tensor:
    x = x.clone()
    x[:, feature] = 0.0
    return x
