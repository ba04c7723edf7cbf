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
from polysemantic.grading.quiz import Option, Quiz, QuizItem, quiz_question


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


# ---------------------------------------------------------------------------
# Check your understanding: the page's last section and the notebook's last
# question (see polysemantic.grading.quiz).
# ---------------------------------------------------------------------------

QUIZ = Quiz(
    chapter="03",
    items=(
        QuizItem(
            prompt="GPT-3 has 49,152 MLP neurons in each of its 96 layers, about 4.7 million "
            "in all. Are there enough to give each of a million concepts a neuron of its own?",
            options=(
                Option(
                    "Yes: 4.7 million neurons are more than a million concepts",
                    "A concept a layer needs has to be present in the vector that reaches "
                    "that layer; neurons in other layers cannot hold it for this one. "
                    "Summing neurons over layers answers the wrong question.",
                    misconception="a model's neurons can be added up over its layers",
                ),
                Option(
                    "No: per layer, that is about 20 concepts for every MLP neuron",
                    "The count that matters is per layer: 1,000,000 / 49,152 ≈ 20 concepts "
                    "per MLP neuron, and about 200 at ten million concepts.",
                    right=True,
                ),
                Option(
                    "Yes, if each layer takes a different share of the concepts",
                    'A layer cannot leave a concept it needs to another layer: "this text '
                    'is Korean" has to be present at every layer that uses it.',
                ),
            ),
            evidence=("answers the wrong question", "GPT-3 175B 12,288 49,152 20 203"),
        ),
        QuizItem(
            prompt="Predict: draw 300 random unit vectors in 1,000 dimensions and measure |cos| "
            "between every pair. What is the mean |cos|?",
            options=(
                Option(
                    "About 0.5, as for random directions in a plane or in 3-D",
                    "That is intuition from two or three dimensions: the page measures 0.638 "
                    "in 2 dimensions and 0.500 in 3, but 0.025 in 1,000.",
                    misconception="random directions overlap a lot, as they do in 2 or 3 "
                    "dimensions",
                ),
                Option(
                    "Exactly 0: in high dimensions random directions are orthogonal",
                    "Nearly, not exactly: even in 1,000 dimensions the largest |cos| among "
                    "300 vectors is 0.148. The small overlaps that remain are chapter 04's "
                    "interference.",
                ),
                Option(
                    "About 0.001, that is 1/d",
                    "The typical overlap shrinks like 1/√d, not 1/d: √(2/(π · 1000)) is 0.025.",
                ),
                Option(
                    "About 0.025, close to √(2/(πd))",
                    "In 1,000 dimensions almost every pair is nearly orthogonal: the page "
                    "measures 0.025, as √(2/(π · 1000)) predicts.",
                    right=True,
                ),
            ),
            evidence=("2 0.638 0.564 1.000", "1000 0.025 0.025 0.148"),
        ),
        QuizItem(
            prompt="Keep every random direction whose |cos| with each direction kept so far is "
            "at most 0.3. From 64 to 128 dimensions, how does the number kept grow?",
            options=(
                Option(
                    "In proportion to d: twice the dimensions, twice the directions",
                    "It grows far faster: 354 directions at d = 64 and 4,522 at d = 128, "
                    "about 13 times as many for twice the dimensions.",
                ),
                Option(
                    "Like d²: twice the dimensions, four times the directions",
                    "Four times is too few: from 64 to 128 dimensions the count grew from "
                    "354 to 4,522, about 13 times.",
                ),
                Option(
                    "Exponentially: each added dimension multiplies it by about 1.04",
                    "The page measures ×1.041 per added dimension, and the "
                    "Johnson–Lindenstrauss bound exp(dε²/4) grows exponentially too.",
                    right=True,
                ),
                Option(
                    "It does not: d dimensions hold at most d directions",
                    "Only exactly orthogonal directions are limited to d. Within a budget "
                    "of |cos| ≤ 0.3, 128 dimensions hold 4,522 directions, 35.3 per "
                    "dimension.",
                    misconception="d dimensions hold only d directions",
                ),
            ),
            evidence=(
                "d = 64: greedy keeps 354 directions",
                "d = 128: greedy keeps 4522 directions ( 35.3 per dimension)",
                "growth of the greedy count: x1.041 per added dimension",
            ),
        ),
        QuizItem(
            prompt="At d = 128 the greedy packing keeps 4,522 directions, while the "
            "Johnson–Lindenstrauss bound exp(dε²/4) is only 17.8. Which number is wrong?",
            options=(
                Option(
                    "The greedy count: the bound caps how many directions fit",
                    "The bound is a lower bound: it guarantees that at least that many fit. "
                    "It says nothing against fitting more.",
                    misconception="the Johnson–Lindenstrauss bound is the most that fits",
                ),
                Option(
                    "The bound: 4,522 is the exact maximum",
                    "The greedy packing keeps whichever candidates happen to fit first; a "
                    "smarter packing does better, so 4,522 is not the maximum.",
                ),
                Option(
                    "Neither: both are lower estimates, and both grow exponentially",
                    "The bound is guaranteed but loose; the greedy count is a lower estimate "
                    "too, since a smarter packing does better. Both grow exponentially in d.",
                    right=True,
                ),
            ),
            evidence=("bound exp(d eps^2/4) = 17.8", "a smarter packing does better"),
        ),
        QuizItem(
            prompt="Why can many more concepts than neurons share a layer at all?",
            options=(
                Option(
                    "Concepts are sparse: only a handful are active at once, so their "
                    "directions rarely collide",
                    "Directions overlap a little, never zero; sparsity keeps that small "
                    "interference from mattering, because the concepts that overlap are "
                    "rarely on together.",
                    right=True,
                ),
                Option(
                    "Directions in high dimensions do not interfere at all",
                    "They interfere a little (mean |cos| 0.025 in 1,000 dimensions, and some "
                    "pairs far more); what keeps that from mattering is sparsity.",
                    misconception="in high dimensions, directions do not interfere",
                ),
                Option(
                    "A neuron can hold any number of concepts at full strength at once",
                    "If many of a neuron's concepts were on at once, their contributions "
                    "would pile up and could not be told apart; sharing works because few "
                    "are on together.",
                ),
            ),
            evidence=(
                "let sparsity keep the small interference from mattering",
                "only a handful of the millions are active",
            ),
        ),
    ),
)


def _quiz_answers() -> list[int]:
    """The right option of every item of the chapter's check of understanding."""
    return QUIZ.answers()


QUIZ_QUESTION = quiz_question(QUIZ, _quiz_answers)
