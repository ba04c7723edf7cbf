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
    best_threshold_f1,
    domain_means,
    domain_purity,
    most_polysemantic_neuron,
    top_domain_entropy,
    top_k_contexts,
    unrelated_answers,
)


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


def _detector(seed: int, n: int, rate: float, ties: bool = False) -> dict[str, torch.Tensor]:
    """One unit that fires on a rare feature and, more weakly, elsewhere."""
    g = seeded(seed)
    present = torch.rand(n, generator=g) < rate  # (n,)
    activation = torch.relu(torch.randn(n, generator=g) - 1.0) + present * (
        1.0 + torch.rand(n, generator=g)
    )
    if ties:
        activation = activation.round(decimals=1)
    return {"activation": activation, "present": present}


def _f1_wrongly(activation, present, strict=False, pick_precision=False, recall_over_all=False):
    """best_threshold_f1 with one of its named mistakes: firing strictly above τ, picking the
    threshold of the best precision, or dividing the hits by every position."""
    candidates = activation[present].unique()
    above = (
        (lambda a: a[None, :] > candidates[:, None])
        if strict
        else (lambda a: a[None, :] >= candidates[:, None])
    )
    fired, hits = above(activation).sum(1).float(), above(activation[present]).sum(1).float()
    precision = hits / fired.clamp_min(1)
    recall = hits / (len(activation) if recall_over_all else present.sum())
    f1 = 2 * precision * recall / (precision + recall).clamp_min(1e-12)
    best = int((precision if pick_precision else f1).argmax())
    return torch.stack([f1[best], precision[best], recall[best], candidates[best]])


def _answers(seed: int, units: int, features: int, groups: int) -> dict[str, torch.Tensor]:
    """Which units answer to which features, and a symmetric relation made of groups."""
    g = seeded(seed)
    answered = torch.rand(units, features, generator=g) < 0.3
    group = torch.randint(0, groups, (features,), generator=g)
    return {"answered": answered, "related": group[:, None] == group[None, :]}


def _counting_every_feature(answered, related):
    return answered.sum(1)


def _related_to_the_first_only(answered, related):
    """Skips only the features related to the first one counted."""
    out = []
    for row in answered:
        on = torch.nonzero(row)[:, 0].tolist()
        out.append(0 if not on else 1 + sum(not bool(related[j, on[0]]) for j in on[1:]))
    return torch.tensor(out)


QUESTIONS = (
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
        id="02.best_threshold_f1",
        title="a unit as a detector, at its best threshold",
        points=3,
        answer_name="best_threshold_f1",
        reference=best_threshold_f1,
        public_cases=lambda: [
            Case(
                "6 positions, a clean threshold",
                {
                    "activation": torch.tensor([0.0, 2.0, 0.5, 3.0, 0.0, 1.0]),
                    "present": torch.tensor([False, True, False, True, False, False]),
                },
            ),
            Case("2000 positions, a rare feature", _detector(10, 2000, 0.02)),
            Case("1000 positions, tied activations", _detector(11, 1000, 0.05, ties=True)),
        ],
        hidden_cases=lambda seed: [
            Case(
                "20000 positions, a very rare feature, ties",
                _detector(600 + seed, 20_000, 0.003, ties=True),
                hidden=True,
            ),
        ],
        mistakes=(
            Mistake(
                "strictly above τ",
                "the unit fires when its activation is at least τ: with '>' the best "
                "threshold loses the positions exactly at τ, and a tie drops out.",
                lambda activation, present: _f1_wrongly(activation, present, strict=True),
            ),
            Mistake(
                "the best precision",
                "this picks the threshold with the best precision, which a threshold "
                "above all but the strongest position always wins: pick the best F1.",
                lambda activation, present: _f1_wrongly(activation, present, pick_precision=True),
            ),
            Mistake(
                "recall over all positions",
                "recall is the share of the feature's positions the unit fires on: "
                "divide the hits by how many positions carry the feature.",
                lambda activation, present: _f1_wrongly(activation, present, recall_over_all=True),
            ),
        ),
    ),
    Question(
        id="02.unrelated_answers",
        title="how many unrelated features each unit answers to",
        points=3,
        answer_name="unrelated_answers",
        reference=unrelated_answers,
        atol=0.0,
        rtol=0.0,
        public_cases=lambda: [
            Case(
                "2 units, a family of 2 and a loner",
                {
                    "answered": torch.tensor([[True, True, False], [True, False, True]]),
                    "related": torch.tensor(
                        [[True, True, False], [True, True, False], [False, False, True]]
                    ),
                },
            ),
            Case("20 units, 30 features in 10 groups", _answers(12, 20, 30, 10)),
        ],
        hidden_cases=lambda seed: [
            Case(
                "60 units, 200 features in 50 groups",
                _answers(700 + seed, 60, 200, 50),
                hidden=True,
            ),
        ],
        mistakes=(
            Mistake(
                "every feature counted",
                "this counts every feature the unit answers to: a family and its "
                "members, or one word in two domains, are one thing, not several.",
                _counting_every_feature,
            ),
            Mistake(
                "compared with the first only",
                "each new feature must be unrelated to every feature counted so far, "
                "not only to the first.",
                _related_to_the_first_only,
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
                    "One context says little. The page's best neuron for 'doi:', at its "
                    "best threshold, fires on 1,382 positions, and only 67 of them are "
                    "where 'doi:' is present (precision 0.05): called the DOI neuron, it "
                    "would be wrong nineteen times in twenty that it fires.",
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
            evidence=(
                "fires on 1,382 positions, 67 of them where 'doi:' is present",
                "precision 0.05",
            ),
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
                    "activation is rarely ambiguous: sharing should cost little (chapter 04 "
                    "measures the interference when it does not).",
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
                    "occur together should cost little: the argument chapters 03 to 06 test.",
                    right=True,
                ),
                Option(
                    "The ReLU mixes the features together",
                    "The ReLU acts on each neuron separately; it gives a neuron's axis a "
                    "meaning of its own, one of the two ingredients (with an L1 penalty) that "
                    "line chapter 01's neurons up with its features. The course's argument "
                    "puts the mixing down to more useful features than neurons.",
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
