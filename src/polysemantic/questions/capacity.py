"""Chapter 03's graded questions (capacity): cases, hidden cases and the
named mistakes, each a wrong answer with the hint that names it.

The reference implementations are in `polysemantic.capacity`.
"""

from __future__ import annotations

import torch

from polysemantic.capacity import (
    abs_cosine_stats,
    fraction_under_budget,
    greedy_packing,
    pack_directions,
    pairwise_abs_cosines,
    pairwise_cosines,
)
from polysemantic.data import seeded
from polysemantic.grading.question import Case, Mistake, Question, Verdict
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


# ---------------------------------------------------------------------------
# More concepts than neurons in one layer: the learner builds the directions, and is
# judged by what they are (unit length, every pair within the budget), not by
# equality with any particular arrangement.
# ---------------------------------------------------------------------------

TOLERANCE = 1e-4  # on the budget and on the unit length


def _layer(name: str, n_concepts: int, width: int, eps: float, hidden: bool = False) -> Case:
    return Case(name, {"n_concepts": n_concepts, "width": width, "eps": eps}, hidden=hidden)


def _hidden_layer(seed: int) -> Case:
    """18 to 25 neurons holding 3 times as many concepts, up to 3 more, |cos| <= 0.3."""
    width = 18 + seed % 8
    n_concepts = 3 * width + seed % 4
    return _layer(
        f"{n_concepts} concepts in {width} neurons, |cos| <= 0.3", n_concepts, width, 0.3, True
    )


def _rows(inputs: dict, output) -> torch.Tensor | None:
    V = torch.as_tensor(output, dtype=torch.float32)
    ok = V.ndim == 2 and V.shape[1] == inputs["width"] and bool(torch.isfinite(V).all())
    return V if ok else None


def _cosines(V: torch.Tensor) -> torch.Tensor:
    """cos of every pair of distinct rows, (n, n) with the diagonal at 0."""
    U = V / V.norm(dim=1, keepdim=True).clamp_min(1e-12)
    return U @ U.T * (1 - torch.eye(len(V)))


def _within_budget(inputs: dict, truth: dict, output) -> Verdict:
    """n_concepts unit rows of length width, every pair with |cos| <= eps."""
    n, width, eps = inputs["n_concepts"], inputs["width"], inputs["eps"]
    V = _rows(inputs, output)
    if V is None or len(V) != n:
        got = tuple(torch.as_tensor(output).shape)
        return Verdict(False, f"expected {n} finite directions, shape {(n, width)}; got {got}")
    norms = V.norm(dim=1)
    if float((norms - 1).abs().max()) > TOLERANCE:
        return Verdict(
            False,
            f"the directions should have length 1; "
            f"lengths run from {norms.min():.3f} to {norms.max():.3f}",
        )
    cos = _cosines(V)
    worst = int(cos.abs().argmax())
    i, j = divmod(worst, n)
    if float(cos[i, j].abs()) > eps + TOLERANCE:
        over = int((cos.abs() > eps + TOLERANCE).sum()) // 2
        return Verdict(
            False,
            f"{over} pairs are over the budget; the worst, directions {i} and {j}, "
            f"has cos {cos[i, j]:.3f} (|cos| <= {eps} expected)",
        )
    return Verdict(True, f"{n} directions in {width} neurons, largest |cos| {cos.abs().max():.3f}")


def _random_directions(n_concepts, width, eps):
    V = torch.randn(n_concepts, width, generator=seeded(1))
    return V / V.norm(dim=1, keepdim=True)


def _pushed_apart(n_concepts, width, eps, signed: bool, normalise: bool = True):
    """Gradient descent on the overlaps over the budget, signed or not."""
    V = torch.randn(n_concepts, width, generator=seeded(2)).requires_grad_()
    optimizer = torch.optim.Adam([V], lr=0.01)
    others = ~torch.eye(n_concepts, dtype=torch.bool)
    for _ in range(3000):
        cos = (V / V.norm(dim=1, keepdim=True)) @ (V / V.norm(dim=1, keepdim=True)).T
        cos = cos[others] if signed else cos[others].abs()
        loss = (torch.relu(cos - (eps - 0.02)) ** 2).sum()
        if loss.item() == 0.0:
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    V = V.detach()
    return V / V.norm(dim=1, keepdim=True) if normalise else V


def _pushed_apart_signed(n_concepts, width, eps):
    return _pushed_apart(n_concepts, width, eps, signed=True)


def _not_normalised(n_concepts, width, eps):
    return _pushed_apart(n_concepts, width, eps, signed=False, normalise=False)


def _greedy_from_candidates(n_concepts, width, eps):
    pool = torch.randn(5000, width, generator=seeded(3))
    return _kept(pool, eps)


def _kept(pool: torch.Tensor, eps: float) -> torch.Tensor:
    U = pool / pool.norm(dim=1, keepdim=True)
    return U[greedy_packing(U, eps)]


def _sign_random(inputs: dict, truth: dict, output) -> bool:
    V = _rows(inputs, output)
    return V is not None and len(V) == inputs["n_concepts"] and float(_cosines(V).max()) > 0.5


def _sign_signed(inputs: dict, truth: dict, output) -> bool:
    V = _rows(inputs, output)
    if V is None or len(V) != inputs["n_concepts"]:
        return False
    cos = _cosines(V)
    return float(cos.max()) <= inputs["eps"] + TOLERANCE < float(-cos.min())


def _sign_too_few(inputs: dict, truth: dict, output) -> bool:
    V = _rows(inputs, output)
    return V is not None and 0 < len(V) < inputs["n_concepts"]


def _sign_not_unit(inputs: dict, truth: dict, output) -> bool:
    V = _rows(inputs, output)
    return V is not None and float((V.norm(dim=1) - 1).abs().max()) > TOLERANCE


QUESTIONS = (
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
    Question(
        id="03.pack_directions",
        title="more concepts than neurons in one layer",
        points=4,
        answer_name="pack_directions",
        reference=pack_directions,
        public_cases=lambda: [
            _layer("60 concepts in 20 neurons, |cos| <= 0.3", 60, 20, 0.3),
            _layer("30 concepts in 10 neurons, |cos| <= 0.4", 30, 10, 0.4),
        ],
        hidden_cases=lambda seed: [
            _hidden_layer(seed),
        ],
        outcome=_within_budget,
        time_limit=30.0,
        mistakes=(
            Mistake(
                "random directions, unchecked",
                "random directions are nearly orthogonal only on average: among "
                "many pairs, some overlap far more than the budget. Check every pair and "
                "move the directions that overlap too much.",
                _random_directions,
                sign=_sign_random,
            ),
            Mistake(
                "cos, not |cos|",
                "an opposite direction interferes as much as a parallel one: "
                "keep |cos|, not cos, within the budget.",
                _pushed_apart_signed,
                sign=_sign_signed,
            ),
            Mistake(
                "picked from random candidates",
                "picking among random candidates (your greedy packing) runs "
                "out of room long before n_concepts directions. Move the directions "
                "instead: start from random ones and push apart, by gradient descent, the "
                "pairs whose |cos| is over the budget.",
                _greedy_from_candidates,
                sign=_sign_too_few,
            ),
            Mistake(
                "not unit length",
                "return unit directions: divide each row by its norm.",
                _not_normalised,
                sign=_sign_not_unit,
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
                    "Far faster than d: at d = 128 each added dimension still multiplies "
                    "it by about 1.04",
                    "The page measures ×1.041 per added dimension from 64 to 128. The "
                    "factor falls as d grows (×1.135 at the smallest d), so this range "
                    "shows no constant exponential rate; the Johnson–Lindenstrauss lower "
                    "bound exp(dε²/4) is exponential by its formula.",
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
                    "The greedy packing keeps whichever candidates happen to fit first: it is "
                    "one packing that fits, so 4,522 need not be the maximum.",
                ),
                Option(
                    "Neither: both are lower estimates",
                    "The bound is guaranteed but loose; the greedy count is a lower estimate "
                    "too, since it counts one packing that fits and the most that fit can "
                    "only be more. The bound grows "
                    "exponentially in d by its formula; the greedy count grows far faster "
                    "than d over the page's range.",
                    right=True,
                ),
            ),
            evidence=(
                "bound exp(d eps^2/4) = 17.8",
                "The greedy count is only a lower estimate too",
            ),
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
