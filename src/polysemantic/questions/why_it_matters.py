"""Chapter 07's graded questions (why it matters): cases, hidden cases and the
named mistakes, each a wrong answer with the hint that names it.

The reference implementations are in `polysemantic.why_it_matters`.
"""

from __future__ import annotations

import torch

from polysemantic.data import seeded
from polysemantic.grading.question import Case, Mistake, Question
from polysemantic.why_it_matters import (
    _least_squares_probe,
    ablation_damage,
    per_feature_error,
    probe_accuracy,
    remove_direction,
)


def _model(seed: int, m: int, n: int, batch: int = 256) -> dict:
    g = seeded(seed)
    W = torch.randn(m, n, generator=g) * 0.6
    x = torch.rand(batch, n, generator=g) * (torch.rand(batch, n, generator=g) < 0.2)
    return {
        "W": W,
        "b_hidden": 0.3 * torch.randn(m, generator=g).abs(),
        "b_out": -0.05 * torch.rand(n, generator=g),
        "x": x,
        "neuron": int(seed % m),
    }


def _activations(seed: int, batch: int, m: int) -> dict:
    g = seeded(seed)
    return {"h": torch.rand(batch, m, generator=g), "direction": torch.randn(m, generator=g) * 3.0}


def _probe(seed: int, batch: int, m: int) -> dict:
    g = seeded(seed)
    labels = (torch.rand(batch, generator=g) < 0.3).float()
    direction = torch.randn(m, generator=g)
    noise = torch.randn(batch, m, generator=g)
    return {"activations": noise + 2.0 * labels[:, None] * direction + 1.0, "labels": labels}


def _zero_column(x: torch.Tensor, feature: int) -> torch.Tensor:
    x = x.clone()
    x[:, feature] = 0.0
    return x


QUESTIONS = (
    Question(
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
            Mistake(
                "error after, not the increase",
                "report how much the error grows: the "
                "error with the neuron ablated minus the error without.",
                lambda W, b_hidden, b_out, x, neuron: (
                    ablation_damage(W, b_hidden, b_out, x, neuron)
                    + per_feature_error(W, b_hidden, b_out, x)
                ),
            ),
            Mistake(
                "a feature, not a neuron",
                "this switched off input feature `neuron`; an "
                "ablation sets the activation of hidden neuron `neuron` to 0.",
                lambda W, b_hidden, b_out, x, neuron: (
                    per_feature_error(W, b_hidden, b_out, _zero_column(x, neuron))
                    - per_feature_error(W, b_hidden, b_out, x)
                ),
            ),
        ),
    ),
    Question(
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
            Mistake(
                "not normalised",
                "normalise the direction first: h - (h·u)u only removes the "
                "component when u has length 1.",
                lambda h, direction: h - (h @ direction)[:, None] * direction,
            ),
            Mistake(
                "kept instead of removed",
                "this is the component along the direction; the edit removes it: h minus that.",
                lambda h, direction: h - remove_direction(h, direction),
            ),
        ),
    ),
    Question(
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
            Mistake(
                "no bias",
                "add a column of ones to the activations so the probe has a bias.",
                lambda activations, labels: _least_squares_probe(
                    activations, labels, bias=False, threshold=0.5
                ),
            ),
            Mistake(
                "threshold at 0",
                "the labels are 0 and 1: predict 1 when the probe's output "
                "is above 0.5, not above 0.",
                lambda activations, labels: _least_squares_probe(
                    activations, labels, bias=True, threshold=0.0
                ),
            ),
        ),
    ),
)
