"""Chapter 07's graded questions (why it matters): cases, hidden cases and the
named mistakes, each a wrong answer with the hint that names it.

The reference implementations are in `polysemantic.why_it_matters`.
"""

from __future__ import annotations

import functools

import torch

from polysemantic.data import seeded, sparse_features
from polysemantic.grading.question import Case, Mistake, Question, Verdict
from polysemantic.grading.quiz import Option, Quiz, QuizItem, quiz_question
from polysemantic.monosemanticity import response_matrix
from polysemantic.why_it_matters import (
    _least_squares_probe,
    ablation_damage,
    per_feature_error,
    probe_accuracy,
    remove_direction,
    remove_feature_from_activations,
    train_crowded,
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


# ---------------------------------------------------------------------------
# An edit designed by the learner: remove one feature from the crowded model's
# activations, knowing only its weights, and do less damage than the ablation.
# ---------------------------------------------------------------------------


@functools.cache
def _crowded_model() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return train_crowded()  # the chapter's model: W (4, 8), b_hidden (4,), b_out (8,)


def _edit_case(
    name: str, feature: int, data_seed: int, hidden: bool = False, shuffle: int | None = None
) -> Case:
    """The chapter's crowded model on fresh inputs; with `shuffle`, its neurons and its
    features reordered by that seed (the same model, so the same edit works, but no
    answer that knows the chapter's weights or feature numbers by heart does)."""
    W, b_hidden, b_out = _crowded_model()
    x = sparse_features(5000, 8, 0.1, generator=seeded(data_seed))  # (batch, 8)
    if shuffle is not None:
        neurons = torch.randperm(4, generator=seeded(shuffle))
        features = torch.randperm(8, generator=seeded(shuffle + 1))
        W, b_hidden, b_out = W[neurons][:, features], b_hidden[neurons], b_out[features]
        x = x[:, features]
    h = torch.relu(x @ W.T + b_hidden)  # (batch, 4)
    inputs = {"h": h, "W": W, "b_hidden": b_hidden, "feature": feature}
    return Case(name, inputs, hidden=hidden, truth={"x": x, "b_out": b_out})


def _damage(inputs: dict, truth: dict, h_edited) -> torch.Tensor:
    """How much each feature's reconstruction error grows with the edited activations."""
    W, x, b_out = inputs["W"], truth["x"], truth["b_out"]
    edited = torch.relu(torch.as_tensor(h_edited, dtype=torch.float32) @ W + b_out)
    unedited = torch.relu(inputs["h"] @ W + b_out)
    return ((x - edited) ** 2).mean(0) - ((x - unedited) ** 2).mean(0)  # (n_features,)


def _removed_share(inputs: dict, truth: dict, damage: torch.Tensor) -> float:
    f = inputs["feature"]
    return float(damage[f] / (truth["x"][:, f] ** 2).mean())


def _removes_only_its_feature(inputs: dict, truth: dict, h_edited) -> Verdict:
    """The feature is gone (its error grows by 80% or more of what losing it entirely
    costs), and the other features lose almost nothing (0.005 in all, at most)."""
    expected = tuple(inputs["h"].shape)
    if tuple(torch.as_tensor(h_edited).shape) != expected:
        return Verdict(
            False,
            f"expected activations of shape {expected}, "
            f"got {tuple(torch.as_tensor(h_edited).shape)}",
        )
    f = inputs["feature"]
    damage = _damage(inputs, truth, h_edited)
    removed = _removed_share(inputs, truth, damage)
    if removed < 0.8:
        return Verdict(
            False,
            f"feature {f} is still there: its error grew by {damage[f]:.4f}, "
            f"{removed:.0%} of what removing it entirely costs (80% expected)",
        )
    others = torch.cat([damage[:f], damage[f + 1 :]])
    if float(others.sum()) > 0.005:
        worst = int(torch.where(torch.arange(len(damage)) == f, -1.0, damage).argmax())
        return Verdict(
            False,
            f"the edit hurt other features: their errors grew by "
            f"{others.sum():.4f} in all, most of all feature {worst}'s "
            f"({damage[worst]:.4f}); 0.005 in all is allowed",
        )
    return Verdict(True, f"feature {f} removed ({removed:.0%}), others hurt by {others.sum():.4f}")


def _worst_other(inputs: dict, damage: torch.Tensor) -> int:
    f = inputs["feature"]
    return int(torch.where(torch.arange(len(damage)) == f, -1.0, damage).argmax())


def _sign_ablation(inputs: dict, truth: dict, h_edited) -> bool:
    damage = _damage(inputs, truth, h_edited)
    f = inputs["feature"]
    return _removed_share(inputs, truth, damage) < 0.5 and float(damage.sum() - damage[f]) > float(
        damage[f]
    )


def _sign_no_rest(inputs: dict, truth: dict, h_edited) -> bool:
    damage = _damage(inputs, truth, h_edited)
    j = _worst_other(inputs, damage)
    return float(damage[j]) > 3 * float((truth["x"][:, j] ** 2).mean())


def _sign_both_ways(inputs: dict, truth: dict, h_edited) -> bool:
    damage = _damage(inputs, truth, h_edited)
    j, f, W = _worst_other(inputs, damage), inputs["feature"], inputs["W"]
    cos = float(W[:, j] @ W[:, f] / (W[:, j].norm() * W[:, f].norm()))
    return (
        _removed_share(inputs, truth, damage) >= 0.8
        and cos < -0.9
        and not _sign_no_rest(inputs, truth, h_edited)
    )


def _ablate_top_neuron(h, W, b_hidden, feature):
    h = h.clone()
    h[:, int(response_matrix(W, b_hidden)[:, feature].argmax())] = 0.0
    return h


def _project_both_ways(h, W, b_hidden, feature):
    unit = W[:, feature] / W[:, feature].norm()
    return h - ((h - torch.relu(b_hidden)) @ unit)[:, None] * unit


def _project_without_rest(h, W, b_hidden, feature):
    unit = W[:, feature] / W[:, feature].norm()
    return h - torch.relu(h @ unit)[:, None] * unit


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
    Question(
        id="07.remove_feature",
        title="an edit that removes one feature and spares the rest",
        points=4,
        answer_name="remove_feature",
        reference=remove_feature_from_activations,
        public_cases=lambda: [_edit_case("the chapter's model, feature 0", 0, 1)],
        hidden_cases=lambda seed: [
            _edit_case("the chapter's model, another feature", 1 + seed % 7, 3000 + seed, True),
            _edit_case("the model reordered", seed % 8, 4000 + seed, True, shuffle=5000 + seed),
        ],
        hidden_share=0.75,  # a hand-built edit of feature 0 passes the public case alone
        outcome=_removes_only_its_feature,
        mistakes=(
            Mistake(
                "ablate the top neuron",
                "zeroing one neuron leaves the feature in the "
                "others and hurts every feature stored in that neuron: edit along the "
                "feature's direction W[:, feature] instead.",
                _ablate_top_neuron,
                sign=_sign_ablation,
            ),
            Mistake(
                "change measured from zero",
                "the edit moves every input, even those "
                "without the feature: measure the change from the resting activation "
                "ReLU(b_hidden), not from zero.",
                _project_without_rest,
                sign=_sign_no_rest,
            ),
            Mistake(
                "both ways along the direction",
                "you also removed the feature stored "
                "as the opposite pattern (a drop on the same neurons): remove only the "
                "upward change along the direction.",
                _project_both_ways,
                sign=_sign_both_ways,
            ),
        ),
    ),
)


# ---------------------------------------------------------------------------
# Check your understanding: the page's last section and the notebook's last
# question (see polysemantic.grading.quiz).
# ---------------------------------------------------------------------------

QUIZ = Quiz(
    chapter="07",
    items=(
        QuizItem(
            prompt="Predict: ablate neuron 2, the neuron most tied to feature 0 (set its "
            "activation to 0). Which features' reconstruction errors grow the most?",
            options=(
                Option(
                    "Feature 0's, the target's: ablating its neuron removes it",
                    "Feature 0 is spread evenly over all four neurons, and the other three "
                    "still carry it: its error grows by 0.0113, about as much as that of "
                    "features 3, 4 and 5.",
                    misconception="ablating the neuron most tied to a feature removes that feature",
                ),
                Option(
                    "None by much: the other three neurons make up for the lost one",
                    "The other three do still carry feature 0, but the damage to the other "
                    "7 features adds up to 0.1736: an edit to one neuron is an edit to "
                    "every feature stored in it.",
                ),
                Option(
                    "Those of features 3, 4 and 5, which the neuron raises",
                    "Theirs grow about as much as the target's (about 0.011); the largest "
                    "damage, about 0.035 each, goes to the features the neuron lowers.",
                ),
                Option(
                    "Those of features 1, 2, 6 and 7, which the neuron lowers",
                    "Their errors grow by about 0.035 each, three times the target's. "
                    "Ablating the neuron also removes its resting activation, which the "
                    "decoder used to cancel those features when they are off.",
                    right=True,
                ),
            ),
            evidence=(
                "0 0.0113 0.0292 +0.57 <- target",
                "1 0.0357 0.0001 -0.52",
                "damage to the other 7 features: ablation 0.1736",
            ),
        ),
        QuizItem(
            prompt="In the unsigned response matrix ReLU(W + b), feature 6 lights up no neuron "
            "at all. Does the model store feature 6?",
            options=(
                Option(
                    "No: a feature that no neuron responds to is not represented",
                    "It is there, as a drop: the unsigned matrix only shows activations "
                    "going up, and feature 6 pushes all four neurons down (the signed matrix).",
                    misconception="a feature that no neuron fires for is not represented",
                ),
                Option(
                    "Yes, as a drop on all four neurons, read back through a positive output bias",
                    "The signed response matrix shows a change of about −0.32 on every "
                    "neuron, and feature 6's output bias is +0.75: here a silence is a "
                    "whole feature.",
                    right=True,
                ),
                Option(
                    "Yes, as a small rise that the matrix rounds away",
                    "It is not a weak rise but a drop of about 0.32 on every neuron, which "
                    "ReLU(W + b) cannot show.",
                ),
            ),
            evidence=("feature 6: [-0.32, -0.31, -0.32, -0.31], output bias +0.75",),
        ),
        QuizItem(
            prompt="Label each of the 4 neurons with the feature it responds to most. How many "
            "of the 8 features get a label?",
            options=(
                Option(
                    "4, one per neuron",
                    "All four neurons respond most to the same feature, feature 0, which "
                    "lights up all four: the labels are [0, 0, 0, 0].",
                    misconception="labelling neurons names as many features as there are neurons",
                ),
                Option(
                    "8, two per neuron",
                    "A label names one feature per neuron, its strongest; and here all four "
                    "neurons pick feature 0.",
                ),
                Option(
                    "1",
                    "The labels are [0, 0, 0, 0]: 1 of the 8 features is named, and the "
                    "other 7 are invisible to this reading.",
                    right=True,
                ),
            ),
            evidence=("neuron labels: [0, 0, 0, 0] -> 1 of 8 features named",),
        ),
        QuizItem(
            prompt="The planted dangerous feature is no neuron's strongest response (0 of 4 "
            "neurons), but a linear probe on all four neurons detects it with 88.1% "
            "accuracy. Why is the probe still not the safety check we need?",
            options=(
                Option(
                    "88.1% is no better than guessing",
                    "Always answering 'absent' scores 71.0%; the probe does much better. "
                    "Its limit is what it needs, not how accurate it is.",
                ),
                Option(
                    "The neuron audit is the better check, and it found nothing",
                    "The audit passed a model that carries the feature: the feature is "
                    "written along a direction that raises some neurons and silences "
                    "others, never a neuron's strongest response.",
                    misconception="if no neuron looks dangerous, the model is safe",
                ),
                Option(
                    "It needs labels: it can only find a concept that someone named in advance",
                    "A probe is supervised: it was given a label, dangerous or not, for "
                    "every input. It cannot tell us about the dangerous features that nobody "
                    "thought to look for.",
                    right=True,
                ),
            ),
            evidence=(
                "neurons whose strongest response is the dangerous feature: 0 of 4",
                "linear probe on all four neurons: 88.1% (always answering 'absent': 71.0%)",
                "A probe is supervised",
            ),
        ),
        QuizItem(
            prompt="Removing feature 0 along its own direction hurts only the target. Why not "
            "edit every network that way?",
            options=(
                Option(
                    "It damages the other features even more than the ablation",
                    "Its damage to the other 7 features is −0.0011, against 0.1736 for the "
                    "ablation: it is the clean edit.",
                ),
                Option(
                    "Real networks have no feature directions to remove",
                    "In the superposition picture, features are directions in a layer's "
                    "activations; the trouble is that a neuron does not tell us which.",
                    misconception="features that are not neurons are not there to edit",
                ),
                Option(
                    "It needs the feature's value and direction, and a real network does not "
                    "hand them to us",
                    "The edit takes x₀W₀ out of the hidden pre-activations. In a toy model we "
                    "know both; finding feature directions is the job of chapter 08's sparse "
                    "autoencoder.",
                    right=True,
                ),
            ),
            evidence=("direction edit -0.0011", "In a toy model we know both"),
        ),
    ),
)


def _quiz_answers() -> list[int]:
    """The right option of every item of the chapter's check of understanding."""
    return QUIZ.answers()


QUIZ_QUESTION = quiz_question(QUIZ, _quiz_answers)
