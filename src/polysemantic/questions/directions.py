"""Chapter 05's graded questions (directions): cases, hidden cases and the
named mistakes, each a wrong answer with the hint that names it.

The reference implementations are in `polysemantic.directions`.
"""

from __future__ import annotations

import torch

from polysemantic.data import seeded, sparse_features
from polysemantic.directions import (
    concepts_per_neuron,
    find_directions,
    plane_directions,
    random_rotation,
    read_concepts,
)
from polysemantic.grading.question import Case, Mistake, Question, Verdict
from polysemantic.grading.quiz import Option, Quiz, QuizItem, quiz_question


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


# ---------------------------------------------------------------------------
# Find the concepts' directions from the activations alone: judged by whether every
# concept has a found direction along it (cos >= 0.99), one each, in any order.
# ---------------------------------------------------------------------------

MATCH = 0.99  # cos between a concept's true direction and the found one


def _hidden_concepts(name: str, seed: int, n: int, k: int, hidden: bool = False) -> Case:
    """Sparse concepts (p = 0.1, values uniform in [0, 1]) stored along k directions in
    n neurons: a random rotation when k == n, evenly spread in the plane when n == 2,
    random unit directions otherwise. The directions stay with the judge."""
    g = seeded(seed)
    if k == n:
        D = random_rotation(n, g)  # (n, n)
    elif n == 2:
        D = plane_directions(k, turn=0.3)  # (2, k)
    else:
        D = torch.randn(n, k, generator=g)
        D = D / D.norm(dim=0, keepdim=True)  # (n, k)
    x = sparse_features(2000, k, 0.1, generator=g)  # (batch, k)
    return Case(
        name, {"activations": x @ D.T, "n_concepts": k}, hidden=hidden, truth={"directions": D}
    )


def _found(inputs: dict, output) -> torch.Tensor | None:
    """The answer as (n_neurons, n_concepts) float columns, or None if it is not that."""
    F = torch.as_tensor(output, dtype=torch.float32)
    expected = (inputs["activations"].shape[1], inputs["n_concepts"])
    return F if tuple(F.shape) == expected else None


def _cosines(truth: dict, F: torch.Tensor) -> torch.Tensor:
    """cos between every true direction (rows) and every found one (columns)."""
    D = truth["directions"]
    return (D / D.norm(dim=0)).T @ (F / F.norm(dim=0).clamp_min(1e-12))  # (k, k)


def _finds_every_concept(inputs: dict, truth: dict, output) -> Verdict:
    """Every concept has its own found direction with cos >= 0.99."""
    F = _found(inputs, output)
    if F is None:
        expected = (inputs["activations"].shape[1], inputs["n_concepts"])
        got = tuple(torch.as_tensor(output).shape)
        return Verdict(False, f"expected directions of shape {expected}, got {got}")
    if not torch.isfinite(F).all() or bool((F.norm(dim=0) < 1e-6).any()):
        return Verdict(False, "some directions are zero, inf or nan")
    best, which = _cosines(truth, F).max(1)  # (k,): each concept's closest found direction
    missed = [i for i in range(len(best)) if best[i] < MATCH]
    if missed:
        return Verdict(
            False,
            f"{len(missed)} of {len(best)} concepts have no direction along them (cos >= "
            f"{MATCH}); the closest to concept {missed[0]} has cos {best[missed[0]]:.3f}",
        )
    if len(set(which.tolist())) < len(best):
        return Verdict(False, "one of your directions stands for two concepts")
    return Verdict(True, f"every concept found: smallest cos {best.min():.4f}")


def _neuron_axes(activations, n_concepts):
    return torch.eye(activations.shape[1], n_concepts)


def _principal_components(activations, n_concepts):
    _, _, Vh = torch.linalg.svd(activations, full_matrices=False)  # Vh: (n, n)
    return Vh[:n_concepts].T


def _most_common_without_setting_aside(activations, n_concepts):
    a = activations[activations.norm(dim=1) > 1e-6]
    u = a / a.norm(dim=1, keepdim=True)
    votes = ((u @ u.T) > 0.999).sum(1)
    return u[votes.argsort(descending=True)[:n_concepts]].T


def _sign_axes(inputs: dict, truth: dict, output) -> bool:
    F = _found(inputs, output)
    return F is not None and bool(((F.abs() > 1e-6).sum(0) <= 1).all())


def _sign_orthogonal(inputs: dict, truth: dict, output) -> bool:
    F = _found(inputs, output)
    if F is None or _sign_axes(inputs, truth, output):
        return False
    U = F / F.norm(dim=0)
    return bool(torch.allclose(U.T @ U, torch.eye(U.shape[1]), atol=1e-3))


def _sign_repeated(inputs: dict, truth: dict, output) -> bool:
    F = _found(inputs, output)
    if F is None:
        return False
    U = F / F.norm(dim=0).clamp_min(1e-12)
    cos = U.T @ U - 2 * torch.eye(U.shape[1])
    return bool(cos.max() > MATCH)


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
        id="05.find_directions",
        title="find the concepts' directions from the activations alone",
        points=4,
        answer_name="find_directions",
        reference=find_directions,
        public_cases=lambda: [
            _hidden_concepts("8 concepts rotated into 8 neurons", 11, 8, 8),
            _hidden_concepts("5 concepts in the plane of 2 neurons", 12, 2, 5),
        ],
        hidden_cases=lambda seed: [
            _hidden_concepts("12 concepts rotated into 12 neurons", 400 + seed, 12, 12, True),
            _hidden_concepts("6 concepts in 3 neurons", 500 + seed, 3, 6, True),
        ],
        outcome=_finds_every_concept,
        time_limit=20.0,
        mistakes=(
            Mistake(
                "the neuron axes",
                "these are the neuron axes, and no concept lies along one: "
                "look at the activations themselves. An input with a single concept on "
                "points exactly along that concept's direction.",
                _neuron_axes,
                sign=_sign_axes,
            ),
            Mistake(
                "principal components",
                "principal components are orthogonal directions of largest "
                "variance; concepts of equal variance look the same in every rotation, so "
                "they come out as an arbitrary rotation of the concepts. Use sparsity "
                "instead: most inputs with anything on have a single concept on.",
                _principal_components,
                sign=_sign_orthogonal,
            ),
            Mistake(
                "the same concept twice",
                "two of your directions are the same concept: once you have "
                "found a direction, set aside the inputs along it before you look for "
                "the next.",
                _most_common_without_setting_aside,
                sign=_sign_repeated,
            ),
        ),
    ),
)


# ---------------------------------------------------------------------------
# Check your understanding: the page's last section and the notebook's last
# question (see polysemantic.grading.quiz).
# ---------------------------------------------------------------------------

QUIZ = Quiz(
    chapter="05",
    items=(
        QuizItem(
            prompt="Rotate the clean representation (8 concepts, one per neuron) by a random "
            "rotation: each neuron now takes part in 5 to 8 concepts. How well can the "
            "concepts still be read back, by projecting onto their directions?",
            options=(
                Option(
                    "Exactly, up to rounding",
                    "A rotation can be undone: the page reads the concepts back with a "
                    "largest error of 3.6e-07. The concepts did not get messier; only the "
                    "neurons stopped lining up with them.",
                    right=True,
                ),
                Option(
                    "Badly: the polysemantic neurons have mixed the concepts for good",
                    "Reading neuron by neuron is what fails. Reading along each concept's "
                    "direction recovers every concept (largest error 3.6e-07).",
                    misconception="when neurons are polysemantic, the concepts are lost",
                ),
                Option(
                    "Only the concepts that are still spread over few neurons",
                    "Every concept is read back exactly, however many neurons it is spread over.",
                ),
            ),
            evidence=(
                "concepts per neuron [6, 6, 7, 8, 5, 7, 7, 5]",
                "reading the concepts back by projection: largest error 3.6e-07",
            ),
        ),
        QuizItem(
            prompt="Predict: rotate the hidden layer of chapter 01's trained network, once with "
            "its ReLU on the hidden layer and once without it. What happens to the "
            "reconstruction loss?",
            options=(
                Option(
                    "Unchanged both times: a rotation can be undone",
                    "It can be undone, but the ReLU acts on each neuron separately, and a "
                    "rotation changes what each neuron sees: with the ReLU the loss goes "
                    "from 0.0054 to 0.6476.",
                ),
                Option(
                    "Worse both times",
                    "Without the ReLU, WᵀW is unchanged when W becomes RW, so the layer "
                    "computes the same function: the loss stays at 0.0014.",
                    misconception="a rotation changes what a linear hidden layer computes",
                ),
                Option(
                    "Much worse with the ReLU, unchanged without it",
                    "0.0054 becomes 0.6476 with the ReLU; 0.0014 stays 0.0014 without it. "
                    "Here the ReLU, acting on each neuron alone, makes the axes special.",
                    right=True,
                ),
                Option(
                    "Unchanged with the ReLU, worse without it",
                    "The other way round: the ReLU is what makes the axes matter (0.0054 "
                    "becomes 0.6476), and without it the loss stays at 0.0014.",
                ),
            ),
            evidence=(
                "with the ReLU: loss 0.0054 -> 0.6476 after rotating the hidden layer",
                "without it : loss 0.0014 -> 0.0014 after rotating the hidden layer",
            ),
        ),
        QuizItem(
            prompt="What makes a basis privileged?",
            options=(
                Option(
                    "Having as many neurons as concepts",
                    "The rotated 8-in-8 layer has as many neurons as concepts and no "
                    "preferred axes: what singles the axes out is something acting on each "
                    "one alone.",
                    misconception="enough neurons make a basis privileged",
                ),
                Option(
                    "Training with plain SGD",
                    "The linear baseline trained with SGD ends with about half of each "
                    "feature's weight on its top axis, like directions drawn at random: SGD "
                    "treats every rotation alike.",
                    misconception="any training picks out the neuron axes",
                ),
                Option(
                    "The order in which the neurons are numbered",
                    "Numbering is a label. A rotation, not a renumbering, is what a "
                    "privileged basis resists.",
                ),
                Option(
                    "Something that treats each axis on its own: a ReLU, an L1 penalty on "
                    "the activations, or Adam's per-coordinate steps",
                    "Each of the three, changed alone, moves the share on the top axis away "
                    "from that of random directions: the ReLU and the L1 penalty towards 1 "
                    "(one feature per neuron), Adam below it.",
                    right=True,
                ),
            ),
            evidence=(
                "baseline: linear, no L1, SGD",
                "A privileged basis means the axes matter, not that concepts sit on them",
            ),
        ),
        QuizItem(
            prompt="Five concepts lie in the plane of two neurons. Is there a way to turn the "
            "five directions so that each neuron responds to a single concept?",
            options=(
                Option(
                    "Yes: turn them until they line up with the axes",
                    "Two axes can line up with at most two of five directions; at every turn "
                    "the page tries, each neuron responds to 4 or 5 concepts.",
                    misconception="the right rotation makes every neuron monosemantic",
                ),
                Option(
                    "No: two axes can line up with at most two of the five directions",
                    "The other directions show up on both axes: the page prints 4 or 5 "
                    "concepts per neuron (|weight| > 0.1) at every turn.",
                    right=True,
                ),
                Option(
                    "Yes, at 0°, where concept 0 lies along neuron 1",
                    "At 0° concept 0 does lie along an axis, yet the two neurons respond to "
                    "5 and 4 concepts.",
                ),
            ),
            evidence=(
                "turned 0 degrees: concepts each neuron responds to (|weight| > 0.1): [5, 4]",
                "turned 45 degrees: concepts each neuron responds to (|weight| > 0.1): [5, 5]",
            ),
        ),
    ),
)


def _quiz_answers() -> list[int]:
    """The right option of every item of the chapter's check of understanding."""
    return QUIZ.answers()


QUIZ_QUESTION = quiz_question(QUIZ, _quiz_answers)
