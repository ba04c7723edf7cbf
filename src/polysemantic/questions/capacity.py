"""Chapter 03's graded questions (capacity): cases, hidden cases and the
named mistakes, each a wrong answer with the hint that names it.

The reference implementations are in `polysemantic.capacity`.
"""

from __future__ import annotations

import torch

from polysemantic.capacity import (
    abs_cosine_stats,
    concepts_per_neuron_ratio,
    fraction_under_budget,
    greedy_packing,
    pairwise_abs_cosines,
    pairwise_cosines,
)
from polysemantic.data import seeded
from polysemantic.grading.question import Case, Mistake, Question


def _vectors(seed: int, n: int, d: int, scale: bool = True) -> dict[str, torch.Tensor]:
    g = seeded(seed)
    V = torch.randn(n, d, generator=g)
    if scale:  # not unit length: the answer must normalise
        V = V * (0.5 + torch.rand(n, 1, generator=g))
    return {"V": V}


def _abs_cosine_stats_unnormalised(V: torch.Tensor) -> torch.Tensor:
    dots = pairwise_cosines(V).abs() * _pair_norms(V)  # |dot product| = |cos| |v_i| |v_j|
    return torch.stack([dots.mean(), dots.max()])


def _pair_norms(V: torch.Tensor) -> torch.Tensor:
    i, j = torch.triu_indices(len(V), len(V), offset=1)
    norms = V.norm(dim=1)
    return norms[i] * norms[j]


def _signed_cosine_stats(V: torch.Tensor) -> torch.Tensor:
    cos = pairwise_cosines(V)
    return torch.stack([cos.mean(), cos.max()])


def _greedy_against_all_earlier(V: torch.Tensor, eps: float) -> torch.Tensor:
    U = V / V.norm(dim=1, keepdim=True)
    cos = (U @ U.T).abs()
    keep = [k == 0 or bool((cos[k, :k] <= eps).all()) for k in range(len(U))]
    return torch.tensor(keep)


def _greedy_signed(V: torch.Tensor, eps: float) -> torch.Tensor:
    U = V / V.norm(dim=1, keepdim=True)
    kept: list[int] = []
    for k in range(len(U)):
        if all(float(U[k] @ U[o]) <= eps for o in kept):
            kept.append(k)
    return torch.isin(torch.arange(len(U)), torch.tensor(kept, dtype=torch.long))


QUESTIONS = (
    Question(
        id="03.concepts_per_neuron",
        title="concepts per neuron",
        points=1,
        answer_name="concepts_per_neuron_ratio",
        reference=concepts_per_neuron_ratio,
        public_cases=lambda: [
            Case(
                "10 million concepts, 16,384 neurons x 120 layers",
                {"n_concepts": 1e7, "neurons_per_layer": 16384, "n_layers": 120},
            ),
            Case("a small model", {"n_concepts": 50_000, "neurons_per_layer": 512, "n_layers": 6}),
        ],
        hidden_cases=lambda seed: [
            Case(
                "another model",
                {"n_concepts": 1e6 + seed, "neurons_per_layer": 3072, "n_layers": 12},
                hidden=True,
            ),
        ],
        mistakes=(
            Mistake(
                "one layer only",
                "this divides by one layer's neurons: the model has "
                "neurons_per_layer x n_layers of them.",
                lambda n_concepts, neurons_per_layer, n_layers: n_concepts / neurons_per_layer,
            ),
            Mistake(
                "inverted",
                "this is neurons per concept: divide the concepts by the neurons.",
                lambda n_concepts, neurons_per_layer, n_layers: (
                    neurons_per_layer * n_layers / n_concepts
                ),
            ),
        ),
    ),
    Question(
        id="03.interference_stats",
        title="interference statistics of a set of directions",
        points=2,
        answer_name="abs_cosine_stats",
        reference=abs_cosine_stats,
        public_cases=lambda: [
            Case("20 vectors in 3 dimensions", _vectors(1, 20, 3)),
            Case("50 vectors in 100 dimensions", _vectors(2, 50, 100)),
        ],
        hidden_cases=lambda seed: [
            Case("200 vectors in 10 dimensions", _vectors(100 + seed, 200, 10), hidden=True),
            Case("5 vectors in 2 dimensions", _vectors(200 + seed, 5, 2), hidden=True),
        ],
        mistakes=(
            Mistake(
                "diagonal included",
                "the maximum is 1: each vector was compared with itself. "
                "Use only pairs of distinct vectors (i < j).",
                lambda V: torch.stack(
                    [
                        ((V / V.norm(dim=1, keepdim=True)) @ (V / V.norm(dim=1, keepdim=True)).T)
                        .abs()
                        .mean(),
                        torch.tensor(1.0),
                    ]
                ),
            ),
            Mistake(
                "not normalised",
                "these are dot products, not cosines: divide each vector by its length first.",
                lambda V: _abs_cosine_stats_unnormalised(V),
            ),
            Mistake(
                "signed cosines",
                "take |cos|: a direction at cos = -0.9 interferes as much as one at +0.9.",
                lambda V: _signed_cosine_stats(V),
            ),
        ),
    ),
    Question(
        id="03.fraction_under_budget",
        title="the share of pairs under an interference budget",
        points=2,
        answer_name="fraction_under_budget",
        reference=fraction_under_budget,
        public_cases=lambda: [
            Case("30 vectors in 10 dimensions, eps 0.2", {**_vectors(3, 30, 10), "eps": 0.2}),
            Case("40 vectors in 200 dimensions, eps 0.1", {**_vectors(4, 40, 200), "eps": 0.1}),
        ],
        hidden_cases=lambda seed: [
            Case(
                "100 vectors in 50 dimensions, eps 0.15",
                {**_vectors(300 + seed, 100, 50), "eps": 0.15},
                hidden=True,
            ),
        ],
        mistakes=(
            Mistake(
                "count, not share",
                "this is the number of pairs: divide by how many pairs there are, n (n - 1) / 2.",
                lambda V, eps: (pairwise_abs_cosines(V) <= eps).float().sum(),
            ),
            Mistake(
                "signed cosines",
                "compare |cos| with eps: large negative cosines interfere too.",
                lambda V, eps: (pairwise_cosines(V) <= eps).float().mean(),
            ),
        ),
    ),
    Question(
        id="03.greedy_packing",
        title="a greedy packing of nearly-orthogonal directions",
        points=2,
        answer_name="greedy_packing",
        reference=greedy_packing,
        atol=0.0,
        rtol=0.0,
        public_cases=lambda: [
            Case("300 candidates in 8 dimensions, eps 0.3", {**_vectors(5, 300, 8), "eps": 0.3}),
            Case("100 candidates in 3 dimensions, eps 0.5", {**_vectors(6, 100, 3), "eps": 0.5}),
        ],
        hidden_cases=lambda seed: [
            Case(
                "500 candidates in 16 dimensions, eps 0.25",
                {**_vectors(400 + seed, 500, 16), "eps": 0.25},
                hidden=True,
            ),
        ],
        mistakes=(
            Mistake(
                "compared with every candidate",
                "a candidate only has to be nearly orthogonal "
                "to the directions kept so far, not to every earlier candidate.",
                lambda V, eps: _greedy_against_all_earlier(V, eps),
            ),
            Mistake(
                "signed cosines",
                "use |cos|: a direction nearly opposite to a kept one interferes just as much.",
                lambda V, eps: _greedy_signed(V, eps),
            ),
        ),
    ),
)
