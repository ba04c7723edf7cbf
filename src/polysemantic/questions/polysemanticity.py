"""Chapter 02's graded questions (polysemanticity): cases, hidden cases and the
named mistakes, each a wrong answer with the hint that names it.

The reference implementations are in `polysemantic.polysemanticity`.
"""

from __future__ import annotations

import torch

from polysemantic.data import seeded
from polysemantic.grading.question import Case, Mistake, Question
from polysemantic.grading.quiz import Option, Quiz, QuizItem, quiz_question
from polysemantic.monosemanticity import monosemanticity_score
from polysemantic.polysemanticity import (
    domain_means,
    domain_purity,
    mlp_activations,
    most_polysemantic_neuron,
    top_domain_entropy,
    top_k_contexts,
    top_share,
)


def _lm_case(seed: int, n: int, k: int, d: int, m: int) -> dict[str, torch.Tensor]:
    g = seeded(seed)
    return {
        "contexts": torch.randint(0, 256, (n, k), generator=g, dtype=torch.uint8),
        "E": torch.randn(256, d, generator=g),
        "W_in": torch.randn(m, k * d, generator=g) * 0.3,
        "b_in": torch.randn(m, generator=g) * 0.5,
    }


def _activations(
    seed: int, n: int, units: int, n_domains: int, unbalanced: bool = True
) -> dict[str, torch.Tensor]:
    """Non-negative activations whose units prefer different domains, domains of unequal size."""
    g = seeded(seed)
    weights = torch.tensor([4.0 if unbalanced and d == 0 else 1.0 for d in range(n_domains)])
    domains = torch.multinomial(weights, n, replacement=True, generator=g)
    taste = torch.rand(units, n_domains, generator=g) ** 3  # (units, d)
    acts = torch.relu(torch.randn(n, units, generator=g) + 2 * taste.T[domains] - 0.5)
    return {"activations": acts, "domains": domains, "n_domains": n_domains}


def _planted(seed: int, n: int, units: int, features: int) -> dict[str, torch.Tensor]:
    """Activations of units that answer to some rare features, with many silent units
    (a 95th percentile of 0) and ties, and the features' labels."""
    g = seeded(seed)
    labels = torch.rand(n, features, generator=g) < 0.02  # (n, features)
    taste = (torch.rand(units, features, generator=g) < 0.3).float() * 4  # (units, features)
    dense = torch.relu(torch.randn(n, units, generator=g) - 0.5)  # ordinary activity
    silent = torch.rand(n, units, generator=g) < torch.linspace(0.0, 0.99, units)
    acts = torch.where(silent, 0.0, dense) + labels.float() @ taste.T  # (n, units)
    return {"activations": acts.round(decimals=1), "labels": labels}


def _top_share_above_or_at(activations, labels, top=0.05):
    by_unit = activations.T
    k = int(torch.tensor((1 - top) * by_unit.shape[1]).ceil())
    percentile = by_unit.kthvalue(k, dim=1).values
    in_top = (by_unit >= percentile[:, None]).float()
    return in_top @ labels.float() / labels.sum(0).clamp_min(1)


def _top_share_among_the_feature(activations, labels, top=0.05):
    shares = []
    for feature in labels.T:
        on = activations[feature]  # (P, units)
        k = int(torch.tensor((1 - top) * len(on)).ceil())
        percentile = on.kthvalue(k, dim=0).values
        shares.append((on > percentile).float().mean(0))
    return torch.stack(shares, 1)


def _top_share_of_all_positions(activations, labels, top=0.05):
    return top_share(activations, labels, top) * labels.sum(0) / len(labels)


def _top_share_of_the_top(activations, labels, top=0.05):
    by_unit = activations.T
    k = int(torch.tensor((1 - top) * by_unit.shape[1]).ceil())
    in_top = (by_unit > by_unit.kthvalue(k, dim=1).values[:, None]).float()
    return in_top @ labels.float() / in_top.sum(1, keepdim=True).clamp_min(1)


QUESTIONS = (
    Question(
        id="02.mlp_activations",
        title="the tiny LM's neuron activations",
        points=2,
        answer_name="mlp_activations",
        reference=mlp_activations,
        public_cases=lambda: [
            Case("5 contexts of 3 bytes, 4 neurons", _lm_case(1, 5, 3, 2, 4)),
            Case("20 contexts of 12 bytes, 16 neurons", _lm_case(2, 20, 12, 4, 16)),
        ],
        hidden_cases=lambda seed: [
            Case(
                "100 contexts of 8 bytes, 32 neurons",
                _lm_case(100 + seed, 100, 8, 3, 32),
                hidden=True,
            ),
        ],
        mistakes=(
            Mistake(
                "no ReLU",
                "the values go negative: the neurons are the activations after the ReLU.",
                lambda contexts, E, W_in, b_in: E[contexts.long()].flatten(1) @ W_in.T + b_in,
            ),
            Mistake(
                "bias forgotten",
                "b_in is missing: add it before the ReLU.",
                lambda contexts, E, W_in, b_in: torch.relu(E[contexts.long()].flatten(1) @ W_in.T),
            ),
            Mistake(
                "bytes in reverse order",
                "the embeddings are concatenated in the wrong order: "
                "keep the context's order (oldest byte first) so W_in's columns line up.",
                lambda contexts, E, W_in, b_in: torch.relu(
                    E[contexts.long().flip(1)].flatten(1) @ W_in.T + b_in
                ),
            ),
        ),
    ),
    Question(
        id="02.top_k_contexts",
        title="a unit's top-activating contexts",
        points=1,
        answer_name="top_k_contexts",
        reference=top_k_contexts,
        atol=0.0,
        rtol=0.0,
        public_cases=lambda: [
            Case(
                "8 activations, k=3",
                {"activations": torch.tensor([0.1, 2.0, 0.0, 5.0, 0.3, 4.0, 1.0, 0.2]), "k": 3},
            ),
            Case(
                "1000 activations, k=10",
                {"activations": torch.rand(1000, generator=seeded(3)), "k": 10},
            ),
        ],
        hidden_cases=lambda seed: [
            Case(
                "5000 activations, k=25",
                {"activations": torch.rand(5000, generator=seeded(200 + seed)), "k": 25},
                hidden=True,
            ),
        ],
        mistakes=(
            Mistake(
                "smallest first",
                "these are the weakest activations (or the order is reversed): "
                "return the largest first.",
                lambda activations, k: activations.argsort()[:k],
            ),
            Mistake(
                "largest last",
                "the right contexts, but in increasing order: put the largest first.",
                lambda activations, k: activations.topk(k).indices.flip(0),
            ),
            Mistake(
                "values, not indices",
                "these are activation values: return the indices of the contexts.",
                lambda activations, k: activations.topk(k).values,
            ),
        ),
    ),
    Question(
        id="02.domain_purity",
        title="per-unit domain purity",
        points=2,
        answer_name="domain_purity",
        reference=domain_purity,
        public_cases=lambda: [
            Case(
                "a pure and a mixed unit",
                {
                    "activations": torch.tensor([[1.0, 1.0], [2.0, 0.0], [0.0, 1.0], [0.0, 1.0]]),
                    "domains": torch.tensor([0, 0, 1, 1]),
                    "n_domains": 2,
                },
            ),
            Case("300 contexts, 6 units, 5 domains (unequal sizes)", _activations(4, 300, 6, 5)),
            Case(
                "with a dead unit",
                {
                    **_activations(5, 200, 4, 3),
                    "activations": _activations(5, 200, 4, 3)["activations"]
                    * torch.tensor([0.0, 1.0, 1.0, 1.0]),
                },
            ),
        ],
        hidden_cases=lambda seed: [
            Case(
                "2000 contexts, 32 units, 5 domains",
                _activations(300 + seed, 2000, 32, 5),
                hidden=True,
            ),
        ],
        mistakes=(
            Mistake(
                "sums, not means",
                "a domain with more text gets more weight: average each "
                "domain's activations instead of summing them.",
                lambda activations, domains, n_domains: monosemanticity_score(
                    activations.T @ torch.nn.functional.one_hot(domains.long(), n_domains).float()
                ),
            ),
            Mistake(
                "counts firings",
                "this counts how often the unit fires per domain: use the mean "
                "activation, so a strong response weighs more than a faint one.",
                lambda activations, domains, n_domains: domain_purity(
                    (activations > 0).float(), domains, n_domains
                ),
            ),
            Mistake(
                "per domain",
                "this is computed per domain: the purity is one number per unit "
                "(the share of its response on its top domain).",
                lambda activations, domains, n_domains: monosemanticity_score(
                    domain_means(activations, domains, n_domains).T
                ),
            ),
        ),
    ),
    Question(
        id="02.most_polysemantic_neuron",
        title="the neuron whose strongest contexts span the most domains",
        points=2,
        answer_name="most_polysemantic_neuron",
        reference=most_polysemantic_neuron,
        atol=0.0,
        rtol=0.0,
        public_cases=lambda: [
            Case("400 contexts, 8 units, 4 domains, k=20", {**_activations(6, 400, 8, 4), "k": 20}),
            Case(
                "1000 contexts, 16 units, 5 domains, k=50",
                {**_activations(7, 1000, 16, 5), "k": 50},
            ),
        ],
        hidden_cases=lambda seed: [
            Case(
                "3000 contexts, 40 units, 5 domains, k=100",
                {**_activations(400 + seed, 3000, 40, 5), "k": 100},
                hidden=True,
            ),
        ],
        mistakes=(
            Mistake(
                "the most monosemantic",
                "this is the neuron whose top contexts are the most "
                "concentrated: take the highest entropy, not the lowest.",
                lambda activations, domains, n_domains, k: top_domain_entropy(
                    activations, domains, n_domains, k
                ).argmin(),
            ),
            Mistake(
                "mean purity instead of top contexts",
                "this is the neuron with the lowest mean "
                "domain purity: the question is about where its *strongest* k activations "
                "come from.",
                lambda activations, domains, n_domains, k: domain_purity(
                    activations, domains, n_domains
                ).argmin(),
            ),
        ),
    ),
    Question(
        id="02.top_share",
        title="which units answer to a planted feature",
        points=2,
        answer_name="top_share",
        reference=top_share,
        public_cases=lambda: [
            Case(
                "4 positions, 2 units, 1 feature, top 25%",
                {
                    "activations": torch.tensor([[0.0, 3.0], [5.0, 1.0], [1.0, 2.0], [0.0, 0.5]]),
                    "labels": torch.tensor([[False], [True], [False], [False]]),
                    "top": 0.25,
                },
            ),
            Case("2000 positions, 8 units, 3 features", _planted(8, 2000, 8, 3)),
        ],
        hidden_cases=lambda seed: [
            Case(
                "5000 positions, 20 units, 5 features",
                _planted(500 + seed, 5000, 20, 5),
                hidden=True,
            ),
        ],
        mistakes=(
            Mistake(
                "at or above the percentile",
                "a unit silent on more than 95% of positions has a 95th percentile of 0, "
                "and 'at or above' then counts every position: use strictly above.",
                _top_share_above_or_at,
            ),
            Mistake(
                "percentile of the feature's own positions",
                "the top 5% is over all positions, not over the feature's: a unit is in its "
                "top 5% where it is above its 95th percentile over the whole text.",
                _top_share_among_the_feature,
            ),
            Mistake(
                "divided by all positions",
                "this divides by the number of all positions: the share is of the feature's "
                "positions, so divide by how many positions carry the feature.",
                _top_share_of_all_positions,
            ),
            Mistake(
                "share of the unit's top positions",
                "this is the share of the unit's top 5% that carries the feature; the "
                "question asks for the share of the feature's positions where the unit is "
                "in its top 5%.",
                _top_share_of_the_top,
            ),
        ),
    ),
)


# ---------------------------------------------------------------------------
# Check your understanding: the page's last section and the notebook's last
# question (see polysemantic.grading.quiz).
# ---------------------------------------------------------------------------

QUIZ = Quiz(
    chapter="02",
    items=(
        QuizItem(
            prompt="A neuron's single strongest context, over the whole held-out text, is "
            "right after 'doi:' in a citation. What can you call the neuron?",
            options=(
                Option(
                    "The DOI neuron",
                    "One context says little. The chapter's neuron that answers to 'doi:' "
                    "also answers to 'TODO' and '€', fires on about half of all "
                    "positions, and peaks on none of them: a label like that would be wrong "
                    "most of the time it fires.",
                    misconception="a neuron's strongest example tells what it means",
                ),
                Option(
                    "A dead neuron",
                    "A dead neuron never fires; this one has a strongest context.",
                ),
                Option(
                    "Nothing yet: first see what else puts it in its top activations",
                    "Reading a neuron means looking at its strongest contexts across the "
                    "text, and, where you know some features, at which of them it answers "
                    "to; only then can you tell whether it answers to one thing or several.",
                    right=True,
                ),
            ),
            evidence=("would be wrong most of the time it fires",),
        ),
        QuizItem(
            prompt="A neuron fires just after every newline, in all five domains, and nowhere "
            "else. Is it polysemantic?",
            options=(
                Option(
                    "Yes: it fires in all five domains",
                    "Domains are not features. This neuron answers to one feature, the end "
                    "of a line, which happens to occur in every domain.",
                    misconception="a neuron that fires in several domains is polysemantic",
                ),
                Option(
                    "There is no telling without its weights",
                    "What it responds to is what tells: one thing, a newline, wherever it occurs.",
                ),
                Option(
                    "No: it answers to one feature, which occurs in every domain",
                    "Polysemantic means answering to several unrelated features. A low "
                    "domain purity would call this neuron mixed although it means one "
                    "thing: purity measures domains, a stand-in for features.",
                    right=True,
                ),
            ),
            evidence=(
                "it answers to several unrelated features",
                "take the share that goes to its favourite",
            ),
        ),
        QuizItem(
            prompt="Which two features can share one neuron with the least confusion?",
            options=(
                Option(
                    "Two that are rarely active in the same context, like a DOI and a TODO comment",
                    "When one is on, the other is almost always off, so the neuron's "
                    "activation is rarely ambiguous: sharing costs little.",
                    right=True,
                ),
                Option(
                    "Two that are usually active together, like dialogue and quotation marks",
                    "When both are on at once, the neuron cannot tell how much of its "
                    "activation belongs to each: they collide.",
                    misconception="features that go together are the ones that share neurons",
                ),
                Option(
                    "Any two: the activation can be split between them afterwards",
                    "One number cannot be split back into two unless one of them is usually "
                    "zero: sharing works because features are rarely on together.",
                ),
            ),
            evidence=("never share a context, so one neuron can serve both",),
        ),
        QuizItem(
            prompt="Why does training produce polysemantic neurons?",
            options=(
                Option(
                    "The model is undertrained: more steps would make the neurons clean",
                    "More training lowers the loss, and the loss is indifferent to how the "
                    "answer is spread over neurons: in chapter 01, without the L1 penalty, "
                    "16 models reconstruct almost perfectly and none has clean neurons.",
                    misconception="polysemantic neurons are a sign of too little training",
                ),
                Option(
                    "The loss rewards predicting the next byte, whatever the neurons mean",
                    "Nothing in training asks for readable neurons, and with more useful "
                    "features than neurons, sharing a neuron between features that rarely "
                    "occur together costs little.",
                    right=True,
                ),
                Option(
                    "The ReLU mixes the features together",
                    "The ReLU acts on each neuron separately; it gives a neuron's axis a "
                    "meaning of its own, one of the two ingredients (with an L1 penalty) that "
                    "line chapter 01's neurons up with its features. The mixing comes from "
                    "having more features than neurons.",
                ),
            ),
            evidence=(
                "Nothing in training asks for readable neurons",
                "indifferent to how the answer is spread over neurons",
            ),
        ),
    ),
)


def _quiz_answers() -> list[int]:
    """The right option of every item of the chapter's check of understanding."""
    return QUIZ.answers()


QUIZ_QUESTION = quiz_question(QUIZ, _quiz_answers)
