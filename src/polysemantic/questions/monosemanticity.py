"""Chapter 01's graded questions (monosemanticity): cases, hidden cases and the
named mistakes, each a wrong answer with the hint that names it.

The reference implementations are in `polysemantic.monosemanticity`.
"""

from __future__ import annotations

import functools

import torch

from polysemantic.data import seeded, sparse_features
from polysemantic.grading.question import Case, Mistake, Question, Verdict
from polysemantic.grading.quiz import Option, Quiz, QuizItem, quiz_question
from polysemantic.monosemanticity import (
    MonosemanticConfig,
    change_from_rest,
    is_clean,
    is_one_feature_per_neuron,
    monosemanticity_score,
    neuron_to_feature,
    reconstruction_loss,
    response_matrix,
    signed_response_matrix,
    train_autoencoder,
)


def _weights(seed: int, m: int, n: int, scale: float = 1.0) -> dict[str, torch.Tensor]:
    g = seeded(seed)
    return {"W": torch.randn(m, n, generator=g) * scale, "b": torch.randn(m, generator=g) * 0.5}


def _responses(seed: int, m: int, n: int, dead: int = 0) -> dict[str, torch.Tensor]:
    weights = _weights(seed, m, n)
    R = response_matrix(weights["W"], weights["b"])
    R[:dead] = 0.0  # the first `dead` neurons never fire
    return {"R": R}


# ---------------------------------------------------------------------------
# The ingredient ablation, judged by its outcome. The learner's own loop trains
# n_instances models with the ingredients a case names and returns their signed
# response matrices. The judge trains the course's models on the same ingredients
# (in its own process, from its own seed) and asks three things of the answer:
#   - with every ingredient (ReLU, an L1 penalty, as many neurons as features),
#     at least 3 of 8 models are clean; with one taken away, at most 1 of 8;
#   - the responses are as large as trained ones (a median within 25%), so an
#     untrained or made-up answer fails;
#   - with the penalty on, the clean neurons respond as strongly as the judge's do
#     (a median within 0.04): the L1 cost shrinks them by an amount that depends on
#     its coefficient, which a hidden case draws, so only training gets it right.
# A constant, a lookup table or 8 copies of one model fail (the tests try them).
# ---------------------------------------------------------------------------

ABLATION_INSTANCES, ABLATION_STEPS, ABLATION_BATCH = 8, 1000, 256
CLEAN_AT_LEAST, CLEAN_AT_MOST = 3, 1  # of 8 models: with every ingredient, without one
BRIGHT_TOLERANCE, SIZE_RATIO = 0.04, 1.25


def _ingredients(
    n_features: int, hidden_relu: bool, activation_penalty: float, n_neurons: int | None = None
) -> dict:
    return {
        "n_features": n_features,
        "n_neurons": n_features if n_neurons is None else n_neurons,
        "hidden_relu": hidden_relu,
        "activation_penalty": activation_penalty,
        "n_instances": ABLATION_INSTANCES,
        "n_steps": ABLATION_STEPS,
    }


def _train_reference(
    n_features, n_neurons, hidden_relu, activation_penalty, n_instances, n_steps, seed=0
):
    """The course's trainer on the case's ingredients: changes from rest (i, m, n)."""
    cfg = MonosemanticConfig(
        n_features=n_features,
        n_neurons=n_neurons,
        n_instances=n_instances,
        activation_penalty=activation_penalty,
        hidden_relu=hidden_relu,
        n_steps=n_steps,
        batch_size=ABLATION_BATCH,
        seed=seed,
    )
    return change_from_rest(train_autoencoder(cfg).model)


def _bright(delta: torch.Tensor, clean: torch.Tensor) -> float:
    """Median of the clean models' strongest |change| per neuron (nan if none is clean)."""
    return float(delta[clean].abs().amax(-1).median()) if bool(clean.any()) else float("nan")


def _size(delta: torch.Tensor) -> float:
    """Median over neurons of the total |change| a neuron shows over all features."""
    return float(delta.abs().sum(-1).median())


@functools.cache
def _judges_models(**inputs) -> dict[str, float]:
    """What the course's own models show on these ingredients (computed once)."""
    delta = _train_reference(**inputs, seed=10_000)
    return {"bright": _bright(delta, is_one_feature_per_neuron(delta.abs())), "size": _size(delta)}


def _all_ingredients(inputs: dict) -> bool:
    return (
        bool(inputs["hidden_relu"])
        and float(inputs["activation_penalty"]) > 0
        and inputs["n_neurons"] >= inputs["n_features"]
    )


def _what_is_missing(inputs: dict) -> str:
    if not inputs["hidden_relu"]:
        return "without the ReLU"
    if float(inputs["activation_penalty"]) == 0:
        return "without the L1 penalty"
    return "with fewer neurons than features"


def _trained_with_these_ingredients(inputs: dict, truth: dict, output) -> Verdict:
    """The outcome the ingredients give: clean models only with all of them, trained sizes."""
    i, m, n = inputs["n_instances"], inputs["n_neurons"], inputs["n_features"]
    delta = torch.as_tensor(output, dtype=torch.float32)
    if tuple(delta.shape) != (i, m, n):
        return Verdict(False, f"expected shape {(i, m, n)}, got {tuple(delta.shape)}")
    if not bool(torch.isfinite(delta).all()):
        return Verdict(False, "the responses hold NaN or infinite values: training diverged")
    if float(delta.abs().max()) < 1e-3:
        return Verdict(False, "no neuron moves for any feature: every neuron is dead")
    if float((delta - delta[:1]).abs().max()) < 1e-3:
        return Verdict(False, f"all {i} models are the same: train each from its own start")
    clean = is_one_feature_per_neuron(delta.abs())
    n_clean, judges = int(clean.sum()), _judges_models(**inputs)
    if not _all_ingredients(inputs) and n_clean > CLEAN_AT_MOST:
        return Verdict(
            False,
            f"{n_clean} of {i} models are clean {_what_is_missing(inputs)}; trained "
            f"that way, at most {CLEAN_AT_MOST} should be",
        )
    if _all_ingredients(inputs):
        if n_clean < CLEAN_AT_LEAST:
            return Verdict(
                False,
                f"only {n_clean} of {i} models are clean with every ingredient; "
                f"at least {CLEAN_AT_LEAST} should be",
            )
        bright = _bright(delta, clean)
        if abs(bright - judges["bright"]) > BRIGHT_TOLERANCE:
            return Verdict(
                False,
                f"the clean neurons respond {bright:.2f} (median) to their feature; "
                f"trained with this penalty they respond {judges['bright']:.2f}",
            )
    size = _size(delta)
    if not judges["size"] / SIZE_RATIO <= size <= judges["size"] * SIZE_RATIO:
        return Verdict(
            False,
            f"a neuron's total response is {size:.2f} (median); trained models show "
            f"{judges['size']:.2f}: are these models trained?",
        )
    if _all_ingredients(inputs):
        return Verdict(True, f"{n_clean} of {i} models clean, responding {bright:.2f}")
    return Verdict(True, f"{n_clean} of {i} clean {_what_is_missing(inputs)}, as expected")


def _train_with_a_mistake(
    n_features,
    n_neurons,
    hidden_relu,
    activation_penalty,
    n_instances,
    n_steps,
    *,
    relu_always=False,
    penalty_scale=1.0,
    shared_start=False,
    from_zero=False,
):
    """A learner's loop, written out, with one of the common mistakes switched on."""
    g = seeded(1)
    i, m, n = n_instances, n_neurons, n_features
    start = torch.rand(1 if shared_start else i, m, n, generator=g) * (2 / n)
    W = torch.nn.Parameter(start.expand(i, m, n).clone())
    b = torch.nn.Parameter(torch.full((i, m), -0.1))
    b_out = torch.nn.Parameter(torch.zeros(i, n))
    optimizer = torch.optim.AdamW([W, b, b_out], lr=1e-2, weight_decay=0.0)
    for _ in range(n_steps):
        x = sparse_features(ABLATION_BATCH, n, 1.0, n_instances=i, generator=g)
        if shared_start:
            x = x[:, :1].expand(-1, i, -1)  # one batch for every model, as one start
        pre = torch.einsum("imn,bin->bim", W, x) + b
        h = torch.relu(pre) if hidden_relu or relu_always else pre
        x_hat = torch.relu(torch.einsum("imn,bim->bin", W, h) + b_out)
        loss = ((x - x_hat) ** 2).sum(-1).mean(0) + (
            activation_penalty * penalty_scale * h.abs().sum(-1).mean(0)
        )
        optimizer.zero_grad()
        loss.sum().backward()
        optimizer.step()
    with torch.no_grad():
        if from_zero:
            return W + b[..., None]  # the pre-activation W e_i + b, not a change from rest
        if hidden_relu or relu_always:
            return signed_response_matrix(W, b)
        return W.clone()  # a linear neuron moves by its weight


def _clean_share(output) -> int:
    return int(is_one_feature_per_neuron(torch.as_tensor(output, dtype=torch.float32).abs()).sum())


def _sign_relu_always(inputs: dict, truth: dict, output) -> bool:
    return not inputs["hidden_relu"] and _clean_share(output) > CLEAN_AT_MOST


def _sign_not_from_rest(inputs: dict, truth: dict, output) -> bool:
    """Every neuron's row is offset by one value (its bias), and the models come out clean
    once each row's typical value is taken away."""
    delta = torch.as_tensor(output, dtype=torch.float32)
    offset = delta.median(dim=2, keepdim=True).values  # (i, m, 1) each row's typical value
    return (
        delta.ndim == 3
        and float(offset.abs().max()) > 0.05
        and _clean_share(delta) < CLEAN_AT_LEAST <= _clean_share(delta - offset)
    )


def _sign_penalty_ignored(inputs: dict, truth: dict, output) -> bool:
    return (
        _all_ingredients(inputs)
        and _clean_share(output) < CLEAN_AT_LEAST
        and _size(torch.as_tensor(output)) > _judges_models(**inputs)["size"] * SIZE_RATIO
    )


def _sign_penalty_too_strong(inputs: dict, truth: dict, output) -> bool:
    return (
        float(inputs["activation_penalty"]) > 0
        and _size(torch.as_tensor(output)) < _judges_models(**inputs)["size"] / SIZE_RATIO
    )


def _sign_one_model(inputs: dict, truth: dict, output) -> bool:
    delta = torch.as_tensor(output, dtype=torch.float32)
    return (
        delta.ndim == 3
        and float(delta.abs().max()) >= 1e-3
        and float((delta - delta[:1]).abs().max()) < 1e-3
    )


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


def _models(seed: int, n_models: int, n: int) -> dict[str, torch.Tensor]:
    """Changes from rest of n_models models of n neurons and n features, of every kind
    `is_clean` must tell apart: clean (some with inverted neurons), two neurons on one
    feature, a neuron that answers to two features, a dead neuron, and random ones.
    delta: (n_models, n, n)."""
    g = seeded(seed)
    models = []
    for k in range(n_models):
        order = torch.randperm(n, generator=g)
        delta = torch.eye(n)[order] * (0.6 + 0.4 * torch.rand(n, 1, generator=g))  # (n, n)
        signs = torch.where(torch.rand(n, 1, generator=g) < 0.3, -1.0, 1.0)
        delta = delta * signs + 0.02 * torch.rand(n, n, generator=g)  # small leaks
        kind = k % 5
        if kind == 1:  # two neurons on one feature
            delta[1] = delta[0]
        elif kind == 2:  # one neuron answers to two features
            delta[0] = delta[0] + 0.5 * delta[1].abs()
        elif kind == 3:  # a dead neuron
            delta[0] = 0.0
        elif kind == 4:  # mixed everywhere
            delta = torch.randn(n, n, generator=g)
        models.append(delta)
    return {"delta": torch.stack(models)}


def _is_clean_unsigned(delta):
    return is_one_feature_per_neuron(delta)


def _hidden_ablations(seed: int) -> list[Case]:
    """Two configurations the answer cannot anticipate: every ingredient with a strong
    penalty (4 to 6 features), and one ingredient taken away (no ReLU or no L1)."""
    g = seeded(50_000 + seed)
    n = int(torch.randint(4, 7, (), generator=g))
    strong = round(0.07 + 0.02 * float(torch.rand((), generator=g)), 3)
    other = int(torch.randint(4, 7, (), generator=g))
    penalty = round(0.03 + 0.03 * float(torch.rand((), generator=g)), 3)
    if bool(torch.rand((), generator=g) < 0.5):
        name, inputs = f"no ReLU, L1 penalty {penalty}", _ingredients(other, False, penalty)
    else:
        name, inputs = "ReLU, no L1 penalty", _ingredients(other, True, 0.0)
    return [
        Case(
            f"{n} features in {n} neurons, ReLU, L1 penalty {strong}",
            _ingredients(n, True, strong),
            hidden=True,
        ),
        Case(f"{other} features in {other} neurons, {name}", inputs, hidden=True),
    ]


QUESTIONS += (
    Question(
        id="01.signed_response_matrix",
        title="the signed response matrix: change from rest",
        points=2,
        answer_name="signed_response_matrix",
        reference=signed_response_matrix,
        public_cases=lambda: [
            Case("4 neurons, 4 features", _weights(11, 4, 4)),
            Case("3 neurons, 5 features (not square)", _weights(12, 3, 5)),
        ],
        hidden_cases=lambda seed: [
            Case("7 neurons, 7 features", _weights(8000 + seed, 7, 7), hidden=True),
            Case("6 neurons, 2 features", _weights(9000 + seed, 6, 2), hidden=True),
        ],
        mistakes=(
            Mistake(
                "the unsigned response",
                "this is ReLU(W + b), the activation itself: subtract each neuron's "
                "resting activation ReLU(b[j]), its activation when no feature is on.",
                lambda W, b: torch.relu(W + b[:, None]),
            ),
            Mistake(
                "the bias subtracted, not the resting activation",
                "a neuron with a negative bias rests at 0, not at b[j]: subtract "
                "ReLU(b[j]), what the neuron outputs with every feature off.",
                lambda W, b: torch.relu(W + b[:, None]) - b[:, None],
            ),
            Mistake(
                "the weights, not the change",
                "this is W: a neuron cannot go below 0, so a feature can only silence it "
                "down to 0; compute ReLU(W + b) - ReLU(b).",
                lambda W, b: W,
            ),
        ),
    ),
    Question(
        id="01.is_clean",
        title="which models give every neuron a feature of its own",
        points=2,
        answer_name="is_clean",
        reference=is_clean,
        atol=0.0,
        rtol=0.0,
        public_cases=lambda: [
            Case("10 models, 4 neurons", _models(21, 10, 4)),
            Case("10 models, 6 neurons", _models(22, 10, 6)),
        ],
        hidden_cases=lambda seed: [
            Case("15 models, 5 neurons", _models(23_000 + seed, 15, 5), hidden=True),
            Case("10 models, 8 neurons", _models(24_000 + seed, 10, 8), hidden=True),
        ],
        mistakes=(
            Mistake(
                "signs kept",
                "a neuron that drops for its feature (a negative change) is a clean, "
                "inverted detector: score the size of the change, delta.abs().",
                _is_clean_unsigned,
            ),
            Mistake(
                "two neurons may share a feature",
                "two neurons answering to the same feature leave another feature without "
                "a neuron: also require that no two neurons share their strongest feature.",
                lambda delta: (monosemanticity_score(delta.abs()) >= 0.9).all(-1),
            ),
            Mistake(
                "one clean neuron is enough",
                "a model is clean only when every neuron is: use .all over neurons, not .any.",
                lambda delta: (monosemanticity_score(delta.abs()) >= 0.9).any(-1),
            ),
        ),
    ),
    Question(
        id="01.train_with_ingredients",
        title="the ingredient ablation, with your own training loop",
        points=4,
        answer_name="train_with_ingredients",
        reference=_train_reference,
        public_cases=lambda: [
            Case("5 features in 5 neurons, ReLU, L1 penalty 0.03", _ingredients(5, True, 0.03)),
            Case("5 features in 5 neurons, no ReLU, L1 penalty 0.03", _ingredients(5, False, 0.03)),
        ],
        hidden_cases=lambda seed: _hidden_ablations(seed),
        outcome=_trained_with_these_ingredients,
        time_limit=600.0,  # a few seconds on a laptop; far more on a crowded server
        mistakes=(
            Mistake(
                "one model copied",
                "every model is the same: give each instance its own random start "
                "(and its own batch).",
                lambda **case: _train_with_a_mistake(**case, shared_start=True),
                sign=_sign_one_model,
            ),
            Mistake(
                "the ReLU switch ignored",
                "models trained without the ReLU come out clean: is `hidden_relu` "
                "honoured? Without it, h = W x + b.",
                lambda **case: _train_with_a_mistake(**case, relu_always=True),
                sign=_sign_relu_always,
            ),
            Mistake(
                "measured from zero, not from rest",
                "each neuron's responses are shifted by one value, its bias: return the "
                "change from rest, the hidden activation with feature i on minus the one "
                "with every feature off (ReLU(b), or b without the ReLU), not W e_i + b.",
                lambda **case: _train_with_a_mistake(**case, from_zero=True),
                sign=_sign_not_from_rest,
            ),
            Mistake(
                "the L1 penalty left out",
                "with every ingredient, too few models are clean, and their neurons answer "
                "to several features: is activation_penalty * |h|, summed over neurons and "
                "averaged over the batch, added to the loss?",
                lambda **case: _train_with_a_mistake(**case, penalty_scale=0.0),
                sign=_sign_penalty_ignored,
            ),
            Mistake(
                "the L1 penalty summed over the batch",
                "the neurons barely respond: the penalty is hundreds of times too strong. "
                "Sum |h| over neurons, then average over the batch, not sum over it.",
                lambda **case: _train_with_a_mistake(**case, penalty_scale=ABLATION_BATCH),
                sign=_sign_penalty_too_strong,
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
                    "per neuron: with more sparse features than neurons, the neurons are shared "
                    "(with 6 dense features in 4 neurons, half the models stayed clean).",
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
                    "Trained with the ReLU and 6 neurons but without the L1 penalty, none of "
                    "the 16 models comes out clean; and with 4 neurons, half of them still "
                    "give each neuron one feature of its own.",
                    misconception="the ReLU alone makes neurons monosemantic",
                ),
                Option(
                    "The ReLU and the L1 penalty on the activations, together",
                    "Take either away and none of the 16 models comes out clean (the "
                    "ablation table): the two together line the neurons up, and neither "
                    "does alone. With both, the neurons rest at zero and each moves for one "
                    "feature.",
                    right=True,
                ),
                Option(
                    "The loss, which rewards readable neurons",
                    "The reconstruction does not ask for readable neurons: without the L1 "
                    "penalty the models reconstruct better than the clean ones and none of "
                    "them is clean. The penalty's cost for firing, with the ReLU, pulls "
                    "them apart.",
                    misconception="training optimises for readable neurons",
                ),
                Option(
                    "Training long enough: every seed ends with one feature per neuron",
                    "With the ReLU and the penalty, training on does finish the job (the two "
                    "seeds still climbing at step 1,500 are clean by step 2,500), but it is "
                    "not what lines the neurons up: without the L1 penalty no seed is clean "
                    "however low its loss.",
                ),
            ),
            evidence=(
                "none of the 16 models comes out clean",
                "Half of the models still give each of their 4 neurons one feature of its own",
                "Nothing in the reconstruction asks for readable neurons",
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
