"""Chapter 05's graded questions (directions): cases, hidden cases and the
named mistakes, each a wrong answer with the hint that names it.

The reference implementations are in `polysemantic.directions`.
"""

from __future__ import annotations

import torch

from polysemantic.data import seeded
from polysemantic.directions import (
    concepts_per_neuron,
    neurons_per_concept,
    random_rotation,
    read_concepts,
)
from polysemantic.grading.question import Case, Mistake, Question


def _reading(seed: int, batch: int, n: int, k: int) -> dict[str, torch.Tensor]:
    g = seeded(seed)
    return {
        "activations": torch.randn(batch, n, generator=g),
        "directions": torch.randn(n, k, generator=g) * 2.0,
    }


def _weights(seed: int, n: int, k: int, rotated: bool) -> dict:
    g = seeded(seed)
    M = torch.eye(n, k)
    if rotated:
        M = random_rotation(n, g) @ M
    return {"M": M, "threshold": 0.1}


def _random_weights(seed: int, n: int, k: int) -> dict:
    g = seeded(seed)
    return {"M": torch.randn(n, k, generator=g) * 0.3, "threshold": 0.2}


QUESTIONS = (
    Question(
        id="05.read_concepts",
        title="read concepts by projection",
        points=2,
        answer_name="read_concepts",
        reference=read_concepts,
        public_cases=lambda: [
            Case("8 neurons, 5 concepts", _reading(1, 4, 8, 5)),
            Case("4 neurons, 4 concepts", _reading(2, 3, 4, 4)),
        ],
        hidden_cases=lambda seed: [
            Case("2 neurons, 7 concepts", _reading(100 + seed, 6, 2, 7), hidden=True),
        ],
        mistakes=(
            Mistake(
                "not normalised",
                "the directions are not unit length: divide each column "
                "by its norm before projecting.",
                lambda activations, directions: activations @ directions,
            ),
            Mistake(
                "rows for columns",
                "concept i's direction is column i of `directions` "
                "(n_neurons, n_concepts); this normalised and used the rows.",
                lambda activations, directions: (
                    activations @ (directions / directions.norm(dim=1, keepdim=True))
                ),
            ),
        ),
    ),
    Question(
        id="05.concepts_per_neuron",
        title="how many concepts each neuron takes part in",
        points=1,
        answer_name="concepts_per_neuron",
        reference=concepts_per_neuron,
        atol=0.0,
        rtol=0.0,
        public_cases=lambda: [
            Case("a clean basis, 5 neurons", _weights(3, 5, 5, rotated=False)),
            Case("a rotated basis, 5 neurons", _weights(4, 5, 5, rotated=True)),
            Case("random weights, 6 x 6", _random_weights(5, 6, 6)),
        ],
        hidden_cases=lambda seed: [
            Case("random weights, 10 x 4", _random_weights(200 + seed, 10, 4), hidden=True),
        ],
        mistakes=(
            Mistake(
                "per concept",
                "this counts neurons per concept: for each neuron (row), count "
                "its concepts (columns).",
                lambda M, threshold: (M.abs() > threshold).sum(0),
            ),
            Mistake(
                "sign ignored",
                "a large negative weight counts too: compare |M| with the threshold.",
                lambda M, threshold: (M > threshold).sum(1),
            ),
        ),
    ),
    Question(
        id="05.neurons_per_concept",
        title="how many neurons each concept is spread over",
        points=1,
        answer_name="neurons_per_concept",
        reference=neurons_per_concept,
        atol=0.0,
        rtol=0.0,
        public_cases=lambda: [
            Case("a clean basis, 5 neurons", _weights(6, 5, 5, rotated=False)),
            Case("a rotated basis, 5 neurons", _weights(7, 5, 5, rotated=True)),
            Case("random weights, 6 x 6", _random_weights(8, 6, 6)),
        ],
        hidden_cases=lambda seed: [
            Case("random weights, 4 x 9", _random_weights(300 + seed, 4, 9), hidden=True),
        ],
        mistakes=(
            Mistake(
                "per neuron",
                "this counts concepts per neuron: for each concept (column), "
                "count its neurons (rows).",
                lambda M, threshold: (M.abs() > threshold).sum(1),
            ),
            Mistake(
                "sign ignored",
                "a large negative weight counts too: compare |M| with the threshold.",
                lambda M, threshold: (M > threshold).sum(0),
            ),
        ),
    ),
)
