"""Chapter 01's graded questions (monosemanticity): cases, hidden cases and the
named mistakes, each a wrong answer with the hint that names it.

The reference implementations are in `polysemantic.monosemanticity`.
"""

from __future__ import annotations

import torch

from polysemantic.data import seeded
from polysemantic.grading.question import Case, Mistake, Question
from polysemantic.grading.quiz import Option, Quiz, QuizItem, quiz_question
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


# ---------------------------------------------------------------------------
# Check your understanding: the page's last section and the notebook's last
# question (see polysemantic.grading.quiz).
# ---------------------------------------------------------------------------

QUIZ = Quiz(
    chapter="01",
    items=(
        QuizItem(
            prompt="A neuron responds 0.6 to feature 2, 0.2 to feature 4, 0.2 to feature 5 "
            "and 0 to the other three features. What is its monosemanticity score?",
            options=(
                Option(
                    "1/6, about 0.17",
                    "1/n is the score of a neuron that answers to all n = 6 features equally; "
                    "this one answers to three, and unequally.",
                ),
                Option(
                    "1/3, because it answers to three features",
                    "The score does not count features: it is the share of the neuron's total "
                    "response that goes to its strongest feature, here 0.6 of 1.0.",
                    misconception="the score counts the features a neuron answers to",
                ),
                Option(
                    "0.6",
                    "max / sum = 0.6 / (0.6 + 0.2 + 0.2) = 0.6: most of the response goes to "
                    "feature 2, but 40% goes elsewhere, so the neuron is not monosemantic.",
                    right=True,
                ),
                Option(
                    "1, because feature 2 clearly dominates",
                    "A score of 1 needs all of the response on one feature; 0.4 of this "
                    "neuron's response goes to features 4 and 5.",
                ),
            ),
            evidence=("the share of its total response that goes to its strongest feature",),
        ),
        QuizItem(
            prompt="Predict: the same network with 8 sparse features (each on 10% of the "
            "time) and only 4 neurons, as in the page's last run. What is the median neuron "
            "score?",
            options=(
                Option(
                    "0: the neurons stop firing",
                    "0 is the score of a dead neuron, one that never fires. These neurons "
                    "fire, for several features each.",
                ),
                Option(
                    "About 0.28: each neuron answers to several features",
                    "The page prints a median of 0.277, and 0 of 16 models with one feature "
                    "per neuron: with more features than neurons, the neurons are shared.",
                    right=True,
                ),
                Option(
                    "About 0.5: two features per neuron",
                    "Two features sharing a neuron equally would score 0.5. The printed "
                    "median, 0.277, is lower: a typical neuron spreads its response over "
                    "more than two features.",
                ),
                Option(
                    "About 1.00, as with 6 features in 6 neurons: each neuron keeps one "
                    "feature and the other four are dropped",
                    "Dropping half the features costs a lot of loss, and sparse features "
                    "rarely collide, so the network shares its neurons instead: none of the "
                    "16 models ends with one feature per neuron.",
                    misconception="a network gives each feature a neuron of its own, whatever "
                    "the number of features",
                ),
            ),
            evidence=(
                "median neuron score with 8 features in 4 neurons: 0.277",
                "models with one feature per neuron: 0 of 16",
            ),
        ),
        QuizItem(
            prompt="What makes the neurons of the 6-feature, 6-neuron network line up with "
            "the features?",
            options=(
                Option(
                    "The ReLU, which acts on each neuron separately, and having enough neurons",
                    "A neuron can only report positive amounts, so mixing two features in "
                    "one neuron loses information unless the neuron's axis is the feature's "
                    "own: the neuron axes become a privileged basis.",
                    right=True,
                ),
                Option(
                    "The loss, which rewards readable neurons",
                    "The loss only asks for a good reconstruction. Training optimises the "
                    "loss, not readability: a stuck model, with a neuron that answers to "
                    "several features, has a loss only a little higher.",
                    misconception="training optimises for readable neurons",
                ),
                Option(
                    "Training long enough: every seed ends with one feature per neuron",
                    "Not every seed does: after 1,500 steps 13 of 16 models have one distinct "
                    "feature per neuron, and two more are still climbing, but seed 15 has a "
                    "neuron that levelled off on five features; gradient descent does not "
                    "pull it out.",
                ),
                Option(
                    "A good start: the weights begin close to the feature axes",
                    "Every model starts with neurons that mix several features (scores of "
                    "0.3 to 0.6); the alignment is learned.",
                ),
            ),
            evidence=(
                "models with one distinct feature per neuron: 13 of 16",
                "scores of 0.3 to 0.6",
                "Training optimises the loss, not readability",
            ),
        ),
        QuizItem(
            prompt="In one of the clean 6-in-6 models, which neuron holds feature 0?",
            options=(
                Option(
                    "All six neurons, a little each",
                    "That would make every neuron answer to feature 0; in a clean model each "
                    "row of the response matrix has a single bright cell.",
                ),
                Option(
                    "Whichever neuron training gave it: the response matrix tells",
                    "The network learned a permutation of the features, up to scale; the "
                    "bright cell in feature 0's column of the response matrix says which "
                    "neuron took it.",
                    right=True,
                ),
                Option(
                    "Neuron 0: the neurons take the features in order",
                    "Nothing in training ties neuron i to feature i: the network learns a "
                    "permutation of the features, and neuron 0 may take feature 3.",
                    misconception="neuron i stands for feature i",
                ),
            ),
            evidence=(
                "the network learned a permutation of the features, up to scale",
                "neuron 0 may take feature 3",
            ),
        ),
        QuizItem(
            prompt="The 'Jennifer Aniston cell' fired for pictures of her and not for the other "
            "people shown. What does it show, according to the researchers who found it?",
            options=(
                Option(
                    "A sparse code: few cells answer to a person, and a cell may also answer "
                    "to people never shown",
                    "That is how its discoverers describe it, sparse, not grandmother-like; "
                    "the cell also fired for Lisa Kudrow, her co-star in Friends.",
                    right=True,
                ),
                Option(
                    "That the brain has grandmother cells, one cell for each person",
                    "Its discoverers warned against that reading: a session can show only a "
                    "limited set of pictures, and tested again the next day the same cell "
                    "also fired for Lisa Kudrow.",
                    misconception="a cell that answers to one of the people shown answers to "
                    "that person only",
                ),
                Option(
                    "That single cells are noise and mean nothing",
                    "Such cells respond to one person across photographs, drawings and even "
                    "the written name: far from noise, only not exclusive.",
                ),
            ),
            evidence=(
                "sparse, not grandmother-like",
                "also fired for Lisa Kudrow",
                "across photographs, drawings and even the written name",
            ),
        ),
    ),
)


def _quiz_answers() -> list[int]:
    """The right option of every item of the chapter's check of understanding."""
    return QUIZ.answers()


QUIZ_QUESTION = quiz_question(QUIZ, _quiz_answers)
