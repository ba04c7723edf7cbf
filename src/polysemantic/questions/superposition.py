"""Chapter 06's graded questions (superposition): cases, hidden cases and the
named mistakes, each a wrong answer with the hint that names it.

The reference implementations are in `polysemantic.superposition`.
"""

from __future__ import annotations

import functools
import random

import torch

from polysemantic.data import seeded, sparse_features
from polysemantic.grading.question import Case, Mistake, Question, Verdict, trained_and_early
from polysemantic.grading.quiz import Option, Quiz, QuizItem, quiz_question
from polysemantic.superposition import (
    NOT_REPRESENTED,
    SUPERPOSITION,
    ToyModelConfig,
    angles_around_circle,
    classify_extra_feature,
    feature_dimensionality,
    feature_norms,
    importance_weighted_loss,
    sparse_batch,
    toy_forward,
    train_toy_model_simple,
)
from polysemantic.toy_training.trainer import train_toy_model


def _batch_case(seed: int, batch: int, i: int, n: int) -> dict[str, torch.Tensor]:
    g = seeded(seed)
    return {
        "values": torch.rand(batch, i, n, generator=g),
        "coins": torch.rand(batch, i, n, generator=g),
        "feature_probability": torch.rand(i, generator=g),
    }


def _batch_at_the_boundary(seed: int) -> dict[str, torch.Tensor]:
    """Some coins exactly equal to their instance's p: such a feature is off (coin < p)."""
    case = _batch_case(seed, 8, 3, 5)
    at_p = torch.rand(case["coins"].shape, generator=seeded(seed + 1)) < 0.3
    p = case["feature_probability"][:, None].expand_as(case["coins"])
    case["coins"] = torch.where(at_p, p, case["coins"])
    return case


def _forward_case(seed: int, i: int, m: int, n: int, batch: int = 16) -> dict[str, torch.Tensor]:
    g = seeded(seed)
    return {
        "W": torch.randn(i, m, n, generator=g) * 0.6,
        "b": torch.randn(i, n, generator=g) * 0.2,
        "x": torch.rand(batch, i, n, generator=g),
    }


def _loss_case(seed: int, i: int, n: int, per_instance: bool, batch: int = 32) -> dict:
    g = seeded(seed)
    importance = torch.rand(i, n, generator=g) if per_instance else 0.9 ** torch.arange(float(n))
    x, x_hat = torch.rand(batch, i, n, generator=g), torch.rand(batch, i, n, generator=g)
    return {"x": x, "x_hat": x_hat, "importance": importance}


def _polygon(k: int, turn: float = 0.0, scale: float = 1.0) -> torch.Tensor:
    angles = torch.arange(k) * (2 * torch.pi / k) + turn
    return torch.stack([angles.cos(), angles.sin()]) * scale


def _random_W(seed: int, *shape: int) -> dict[str, torch.Tensor]:
    return {"W": torch.randn(*shape, generator=seeded(seed))}


def _with_a_zero_direction(seed: int) -> dict[str, torch.Tensor]:
    """Random W (3 x 6) whose features 1 and 4 have the zero direction (D = 0)."""
    W = torch.randn(3, 6, generator=seeded(seed))
    W[:, [1, 4]] = 0.0
    return {"W": W}


def _dimensionality_unguarded(W: torch.Tensor) -> torch.Tensor:
    W_hat = W / W.norm(dim=-2, keepdim=True)  # 0 / 0 for a zero direction
    return (W**2).sum(-2) / ((W_hat.transpose(-1, -2) @ W) ** 2).sum(-1)


def _directions(seed: int, k: int) -> dict[str, torch.Tensor]:
    g = seeded(seed)
    angles = torch.rand(k, generator=g) * 2 * torch.pi
    lengths = 0.2 + torch.rand(k, generator=g)
    return {"W": torch.stack([angles.cos(), angles.sin()]) * lengths}


def _gaps_in_index_order(polar: torch.Tensor) -> torch.Tensor:
    return (torch.roll(polar, -1) - polar) % 360.0


def _gaps_from_minus_180(W: torch.Tensor) -> torch.Tensor:
    """Sorted by atan2's own range, (−180°, 180°]: the right gaps, from another start."""
    ordered = torch.sort(torch.rad2deg(torch.atan2(W[1], W[0]))).values
    return torch.diff(ordered, append=ordered[:1] + 360.0)


def _phase_models(seed: int, n: int, k: int) -> dict[str, torch.Tensor]:
    """k models of n features in n - 1 dimensions: some drop, some dedicate, some share."""
    g = seeded(seed)
    models = []
    for j in range(k):
        W = torch.zeros(n - 1, n)
        W[:, :-1] = torch.eye(n - 1)
        kind = j % 3
        if kind == 1:  # the extra feature takes the last dimension, its owner is dropped
            W[:, -2] = 0.0
            W[-1, -1] = 1.0
        elif kind == 2:  # the extra feature shares the last dimension, antipodally
            W[-1, -1] = -1.0
        models.append(W + 0.02 * torch.randn(n - 1, n, generator=g))
    return {"W": torch.stack(models)}


def _at_the_norm_threshold(n: int) -> dict[str, torch.Tensor]:
    """Models whose extra feature has norm exactly 0.5: represented (not < 0.5); alone
    in its dimension (dedicated) or sharing it (superposition)."""
    dedicated = torch.zeros(n - 1, n)
    dedicated[:-1, :-2] = torch.eye(n - 2)
    dedicated[-1, -1] = 0.5
    shared = dedicated.clone()
    shared[-1, -2] = -1.0
    return {"W": torch.stack([dedicated, shared])}


def _classify_norm_at_most(W: torch.Tensor) -> torch.Tensor:
    phase = classify_extra_feature(W)
    return torch.where(feature_norms(W)[..., -1] <= 0.5, NOT_REPRESENTED, phase)


# ---------------------------------------------------------------------------
# The learner's own training loop, judged by what it produces: the paper's two
# results for 5 features in 2 dimensions (dense: the two most important features
# on orthogonal axes; sparse: a pentagon).
# ---------------------------------------------------------------------------

TRAINING_STEPS, TRAINING_BATCH, TRAINING_LR = 2000, 256, 1e-2


def _training_case(seed: int, permute: bool) -> dict:
    """Three models of 5 features in 2 dimensions: dense, dense with the importances in
    another order, and sparse (p = 0.05). importance: (3, 5); feature_probability: (3,)."""
    decay = 0.9 ** torch.arange(5.0)
    other = decay[torch.randperm(5, generator=seeded(seed))] if permute else decay.flip(0)
    return {
        "importance": torch.stack([decay, other, decay]),
        "feature_probability": torch.tensor([1.0, 1.0, 0.05]),
        "n_hidden": 2,
        "n_steps": TRAINING_STEPS,
        "seed": seed,
    }


def _config(importance, feature_probability, n_hidden, n_steps, seed) -> ToyModelConfig:
    """The exercise's training settings for these inputs."""
    return ToyModelConfig(
        n_features=importance.shape[-1],
        n_hidden=n_hidden,
        n_instances=len(feature_probability),
        n_steps=n_steps,
        batch_size=TRAINING_BATCH,
        lr=TRAINING_LR,
        seed=seed,
    )


def _train_reference(importance, feature_probability, n_hidden, n_steps, seed):
    cfg = _config(importance, feature_probability, n_hidden, n_steps, seed)
    return train_toy_model_simple(cfg, importance, feature_probability).W.detach()


def _train_with_a_mistake(
    importance,
    feature_probability,
    n_hidden,
    n_steps,
    seed,
    *,
    weighted=True,
    relu=True,
    lr=1e-2,
    train_bias=True,
):
    """A learner's loop, written out, with one of the common mistakes switched on."""
    g = seeded(seed)
    i, n = importance.shape
    W = torch.nn.Parameter(torch.randn(i, n_hidden, n, generator=g) * 0.5)
    b = torch.nn.Parameter(torch.zeros(i, n))
    optimizer = torch.optim.AdamW([W, b] if train_bias else [W], lr=lr)
    for _ in range(n_steps):
        shape = (TRAINING_BATCH, i, n)
        x = sparse_batch(
            torch.rand(shape, generator=g), torch.rand(shape, generator=g), feature_probability
        )
        h = torch.einsum("imn,bin->bim", W, x)
        pre = torch.einsum("imn,bim->bin", W, h) + b
        x_hat = torch.relu(pre) if relu else pre
        loss = importance_weighted_loss(x, x_hat, importance if weighted else 1.0)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return W.detach()


def _kept(W: torch.Tensor) -> list[int]:
    return [int(f) for f in torch.nonzero(feature_norms(W) > 0.5).flatten()]


def _is_pentagon(W: torch.Tensor) -> bool:
    D, angles = feature_dimensionality(W), angles_around_circle(W)
    return (
        len(_kept(W)) == 5
        and bool(((D - 0.4).abs() < 0.06).all())
        and bool(((angles - 72).abs() < 8).all())
    )


def _unusable(inputs: dict, W: torch.Tensor) -> Verdict | None:
    """Why W cannot be judged (its shape, or values that are not finite), if so."""
    importance, p = inputs["importance"], inputs["feature_probability"]
    expected = (len(p), inputs["n_hidden"], importance.shape[-1])
    if tuple(W.shape) != expected:
        return Verdict(False, f"expected W of shape {expected}, got {tuple(W.shape)}")
    if not bool(torch.isfinite(W).all()):
        return Verdict(False, "W holds NaN or infinite values: the training diverged")
    return None


def _trained_as_the_paper_says(inputs: dict, truth: dict, W) -> Verdict:
    """Dense models keep their two most important features on orthogonal axes; the
    sparse model puts all five on a pentagon (D = 0.4, 72° apart)."""
    importance, p = inputs["importance"], inputs["feature_probability"]
    W = torch.as_tensor(W, dtype=torch.float32)
    if (unusable := _unusable(inputs, W)) is not None:
        return unusable
    for k in range(len(p)):
        if float(p[k]) == 1.0:
            top2 = sorted(int(f) for f in importance[k].argsort()[-2:])
            if _kept(W[k]) != top2:
                return Verdict(
                    False,
                    f"dense model {k} represents features {_kept(W[k])} "
                    f"(norm > 0.5); it should keep its two most important, {top2}",
                )
            a, c = (W[k][:, f] / W[k][:, f].norm() for f in top2)
            if abs(float(a @ c)) > 0.15:
                return Verdict(
                    False,
                    f"dense model {k}: features {top2} are not orthogonal "
                    f"(cos = {float(a @ c):.2f})",
                )
        elif not _is_pentagon(W[k]):
            D = [round(d, 2) for d in feature_dimensionality(W[k]).tolist()]
            return Verdict(
                False,
                f"sparse model {k} is not a pentagon: {len(_kept(W[k]))} of "
                f"5 features represented, D = {D} (a pentagon has D = 0.4 each)",
            )
    return Verdict(True, "dense: two orthogonal features; sparse: a pentagon")


# Hidden configurations, judged on held-out data. The grader draws the sizes (5 to 8
# features in 2 or 3 dimensions), the importances (a decay rate from 0.7 to 0.9, in a
# shuffled order) and three sparsities (dense, 1 - S from 0.1 to 0.3, and from 0.02 to
# 0.05); the answer trains on them with a seed that made none of the truth. Its W is
# judged by the importance-weighted loss on 4,000 inputs it never saw, each feature's
# bias b the best for that W (a grid search: b is what the answer does not return),
# against the best of three models the grader trains itself. The same configuration
# trained for 20 steps must still be far from trained: the loss falls, so the answer
# trains. Both cases earn their points together.

HIDDEN_EARLY_STEPS = 20
HIDDEN_TOLERANCE = 1.5, 0.02  # the answer's loss / zero model's: at most 1.5 x best + 0.02
EARLY_FACTOR = 1.3  # after 20 steps the summed loss is at least 1.3 x the trained one
_BIAS_GRID = torch.linspace(-1.0, 0.5, 61)


def held_out_loss(W: torch.Tensor, x: torch.Tensor, importance: torch.Tensor) -> torch.Tensor:
    """Per instance, Σ_f I_f E(x_f - ReLU((WᵀW x)_f + b_f))² with each b_f the best of
    a grid (the loss separates over features, so b is searched feature by feature).

    W: (i, m, n); x: (N, i, n); importance: (i, n) -> (i,)."""
    pre = torch.einsum("imn,imk,bik->bin", W, W, x)  # (N, i, n)
    losses = []
    for b in _BIAS_GRID.split(16):
        decoded = torch.relu(pre[None] + b[:, None, None, None])  # (k, N, i, n)
        losses.append(((x[None] - decoded) ** 2).mean(1))  # (k, i, n)
    return (torch.cat(losses).min(0).values * importance).sum(-1)


@functools.cache
def _hidden_training(seed: int) -> tuple[Case, Case]:
    """A configuration the grader draws, trained fully and for 20 steps (one group)."""
    draw = random.Random(seed)
    n, m = draw.randint(5, 8), draw.choice([2, 3])
    rate = draw.uniform(0.7, 0.9)
    p = torch.tensor([1.0, draw.uniform(0.1, 0.3), draw.uniform(0.02, 0.05)])
    decay = rate ** torch.arange(float(n))
    importance = torch.stack(
        [decay[torch.randperm(n, generator=seeded(draw.randrange(2**31)))] for _ in p]
    )
    x = sparse_features(4000, n, p, n_instances=len(p), generator=seeded(draw.randrange(2**31)))
    zero = (importance * x**2).mean(0).sum(-1)  # (i,): the loss of a model that outputs 0
    references = torch.stack(
        [_train_fast(importance, p, m, TRAINING_STEPS, draw.randrange(2**31)) for _ in range(3)]
    )  # (3, i, m, n)
    best = torch.stack([held_out_loss(W, x, importance) for W in references]).min(0).values
    truth = {"x": x, "zero": zero, "best": best}
    name = f"{n} features in {m} dimensions, 1 - S = " + ", ".join(f"{v:.2f}" for v in p.tolist())
    inputs = {"importance": importance, "feature_probability": p, "n_hidden": m}
    seeds = (draw.randrange(2**31), draw.randrange(2**31))
    return trained_and_early(name, inputs, truth, TRAINING_STEPS, HIDDEN_EARLY_STEPS, seeds)


def _train_fast(importance, feature_probability, n_hidden, n_steps, seed) -> torch.Tensor:
    """The grader's own model for a hidden configuration (the library's fast trainer)."""
    cfg = _config(importance, feature_probability, n_hidden, n_steps, seed)
    return train_toy_model(cfg, importance, feature_probability)[0].W.detach()


def _trained(inputs: dict, truth: dict, W) -> Verdict:
    """The public case: the paper's geometry. A hidden one: the loss on held-out data."""
    if "best" not in truth:
        return _trained_as_the_paper_says(inputs, truth, W)
    importance, p = inputs["importance"], inputs["feature_probability"]
    W = torch.as_tensor(W, dtype=torch.float32)
    if (unusable := _unusable(inputs, W)) is not None:
        return unusable
    loss = held_out_loss(W, truth["x"], importance) / truth["zero"]  # (i,)
    best = truth["best"] / truth["zero"]
    shown = ", ".join(f"{v:.3f}" for v in loss.tolist())
    if truth.get("early"):
        if float(loss.sum()) >= EARLY_FACTOR * float(best.sum()):
            return Verdict(True, f"after {inputs['n_steps']} steps the loss is still {shown}")
        return Verdict(
            False,
            f"after only {inputs['n_steps']} steps the held-out loss is already {shown} "
            f"(trained: {', '.join(f'{v:.3f}' for v in best.tolist())}): W does not come "
            "from training for n_steps",
        )
    slack, extra = HIDDEN_TOLERANCE
    over = [k for k in range(len(p)) if float(loss[k]) > slack * float(best[k]) + extra]
    if over:
        return Verdict(
            False,
            f"held-out loss (x the zero model's) {shown}; the grader's models reach "
            f"{', '.join(f'{v:.3f}' for v in best.tolist())}: model(s) {over} are not trained "
            "as well as they can be",
        )
    return Verdict(True, f"held-out loss {shown} (x the zero model's), as low as trained")


def _sparse(inputs: dict, W) -> torch.Tensor:
    return torch.as_tensor(W, dtype=torch.float32)[-1]


def _dense_unsettled(inputs: dict, W) -> bool:
    """Some dense model has three or more features half-way (norm 0.2 to 0.95)."""
    W = torch.as_tensor(W, dtype=torch.float32)
    dense = [k for k, p in enumerate(inputs["feature_probability"].tolist()) if p == 1.0]
    return any(int(((n > 0.2) & (n < 0.95)).sum()) >= 3 for n in feature_norms(W[dense]))


def _sign_no_importance(inputs: dict, truth: dict, W) -> bool:
    return _is_pentagon(_sparse(inputs, W)) and _dense_unsettled(inputs, W)


def _sign_no_relu(inputs: dict, truth: dict, W) -> bool:
    norms = feature_norms(_sparse(inputs, W))
    return int((norms > 0.9).sum()) == 2 and int((norms > 0.2).sum()) == 2


def _sign_bias_not_trained(inputs: dict, truth: dict, W) -> bool:
    """Trained, but without a bias: the sparse model's features reach full length (four or
    more of norm > 0.85) yet sit in antipodal pairs, not a pentagon, and a dense model
    keeps extra features half-way (it cannot clip them off)."""
    sparse = _sparse(inputs, W)
    return (
        int((feature_norms(sparse) > 0.85).sum()) >= 4
        and not _is_pentagon(sparse)
        and _dense_unsettled(inputs, W)
    )


def _sign_lr_too_small(inputs: dict, truth: dict, W) -> bool:
    return not _is_pentagon(_sparse(inputs, W)) and _dense_unsettled(inputs, W)


def _sign_lr_too_large(inputs: dict, truth: dict, W) -> bool:
    sparse = _sparse(inputs, W)
    return not bool(torch.isfinite(sparse).all()) or float(feature_norms(sparse).max()) < 0.1


QUESTIONS = (
    Question(
        id="06.sparse_batch",
        title="a batch of sparse features",
        points=1,
        answer_name="sparse_batch",
        reference=sparse_batch,
        public_cases=lambda: [
            Case("batch 8, 3 instances, 5 features", _batch_case(1, 8, 3, 5)),
            Case("batch 16, 4 instances, 2 features", _batch_case(2, 16, 4, 2)),
            Case("batch 8, 4 instances, 4 features", _batch_case(3, 8, 4, 4)),
            Case("some coins exactly at p (then off: coin < p)", _batch_at_the_boundary(4)),
        ],
        hidden_cases=lambda seed: [
            Case(
                "batch 64, 5 instances, 5 features", _batch_case(100 + seed, 64, 5, 5), hidden=True
            ),
            Case(
                "batch 3, 1 instance, 20 features", _batch_case(200 + seed, 3, 1, 20), hidden=True
            ),
        ],
        mistakes=(
            Mistake(
                "sparsity for density",
                "features are on when coin < p, the feature "
                "probability (1 - S); this switches them on with probability 1 - p.",
                lambda values, coins, feature_probability: torch.where(
                    coins >= feature_probability[:, None], values, torch.zeros_like(values)
                ),
            ),
            Mistake(
                "on/off instead of values",
                "this returns which features are on (1 or 0): "
                "return the feature's value where it is on.",
                lambda values, coins, feature_probability: (
                    coins < feature_probability[:, None]
                ).float(),
            ),
            Mistake(
                "probability on the wrong axis",
                "the probability was broadcast over "
                "features, not instances: index it as feature_probability[:, None] so instance "
                "i uses p[i].",
                lambda values, coins, feature_probability: torch.where(
                    coins < feature_probability, values, torch.zeros_like(values)
                ),
            ),
            Mistake(
                "on at coin = p",
                "a feature whose coin equals p is switched on here: it is on only "
                "when its coin is strictly below p (coins < p, not <=).",
                lambda values, coins, feature_probability: torch.where(
                    coins <= feature_probability[:, None], values, torch.zeros_like(values)
                ),
            ),
        ),
    ),
    Question(
        id="06.toy_forward",
        title="the batched forward pass ReLU(WᵀWx + b)",
        points=2,
        answer_name="toy_forward",
        reference=toy_forward,
        public_cases=lambda: [
            Case("3 instances, 5 features in 2 dimensions", _forward_case(3, 3, 2, 5)),
            Case("2 instances, 3 features in 3 dimensions", _forward_case(4, 2, 3, 3)),
        ],
        hidden_cases=lambda seed: [
            Case(
                "6 instances, 20 features in 4 dimensions",
                _forward_case(300 + seed, 6, 4, 20),
                hidden=True,
            ),
            Case(
                "1 instance, 4 features in 4 dimensions",
                _forward_case(400 + seed, 1, 4, 4),
                hidden=True,
            ),
        ],
        mistakes=(
            Mistake(
                "no ReLU",
                "the output can be negative: apply the ReLU after adding b.",
                lambda W, b, x: (
                    torch.einsum("imn,bim->bin", W, torch.einsum("imn,bin->bim", W, x)) + b
                ),
            ),
            Mistake(
                "W vs Wᵀ",
                "this computes W Wᵀ x: h = W x maps features to hidden dimensions, "
                "then Wᵀ h maps back; check which index of W your einsum contracts.",
                lambda W, b, x: torch.relu(
                    torch.einsum("inm,bim->bin", W, torch.einsum("inm,bin->bim", W, x)) + b
                ),
            ),
            Mistake(
                "no bias",
                "the bias b is missing: add it before the ReLU, ReLU(WᵀWx + b).",
                lambda W, b, x: torch.relu(
                    torch.einsum("imn,bim->bin", W, torch.einsum("imn,bin->bim", W, x))
                ),
            ),
            Mistake(
                "bias after the ReLU",
                "the bias goes inside: ReLU(WᵀWx + b), not ReLU(WᵀWx) + b.",
                lambda W, b, x: (
                    torch.relu(torch.einsum("imn,bim->bin", W, torch.einsum("imn,bin->bim", W, x)))
                    + b
                ),
            ),
        ),
    ),
    Question(
        id="06.importance_weighted_loss",
        title="the importance-weighted loss",
        points=1,
        answer_name="importance_weighted_loss",
        reference=importance_weighted_loss,
        public_cases=lambda: [
            Case(
                "3 instances, 4 features, one importance per instance",
                _loss_case(5, 3, 4, per_instance=True),
            ),
            Case(
                "2 instances, 5 features, importance 0.9^i", _loss_case(6, 2, 5, per_instance=False)
            ),
        ],
        hidden_cases=lambda seed: [
            Case(
                "7 instances, 3 features",
                _loss_case(500 + seed, 7, 3, per_instance=True),
                hidden=True,
            ),
        ],
        mistakes=(
            Mistake(
                "importance not applied",
                "every feature counts the same here: multiply each "
                "squared error by its feature's importance.",
                lambda x, x_hat, importance: ((x - x_hat) ** 2).sum(-1).mean(0).sum(),
            ),
            Mistake(
                "mean over instances",
                "this averages over instances: sum over them, so each "
                "model's loss drives its own parameters at full strength.",
                lambda x, x_hat, importance: (importance * (x - x_hat) ** 2).sum(-1).mean(),
            ),
            Mistake(
                "mean over features",
                "this averages over features: sum over them.",
                lambda x, x_hat, importance: (importance * (x - x_hat) ** 2).mean(-1).mean(0).sum(),
            ),
        ),
    ),
    Question(
        id="06.train_toy",
        title="your own training loop, judged by what it trains",
        points=4,
        answer_name="train_toy",
        reference=_train_reference,
        public_cases=lambda: [
            Case("dense, dense (importance reversed), sparse p = 0.05", _training_case(0, False)),
        ],
        hidden_cases=lambda seed: list(_hidden_training(seed)),
        hidden_share=1.0,  # a trained answer earns its points on configurations it never saw
        outcome=_trained,
        removed=(train_toy_model_simple, train_toy_model),  # trainers: the answer in one call
        time_limit=120.0,
        mistakes=(
            Mistake(
                "importance ignored",
                "a dense model kept features that are not its two "
                "most important: multiply each squared error by its feature's importance.",
                lambda **case: _train_with_a_mistake(**case, weighted=False),
                sign=_sign_no_importance,
            ),
            Mistake(
                "no ReLU",
                "the sparse model keeps only two features, as a linear model "
                "would: apply the ReLU after adding the bias, ReLU(WᵀWx + b).",
                lambda **case: _train_with_a_mistake(**case, relu=False),
                sign=_sign_no_relu,
            ),
            Mistake(
                "bias not trained",
                "your models trained, but as a model without a bias does: the sparse one "
                "pairs its features up instead of forming a pentagon, and a dense one keeps "
                "extra features half-way. Is b in the optimiser, AdamW([W, b], ...)? "
                "Without a trained (negative) bias the ReLU cannot filter out interference.",
                lambda **case: _train_with_a_mistake(**case, train_bias=False),
                sign=_sign_bias_not_trained,
            ),
            Mistake(
                "learning rate too small",
                "the weights are still half-way after training: "
                "is the learning rate 1e-2 (a rate 100× smaller barely moves them)?",
                lambda **case: _train_with_a_mistake(**case, lr=1e-4),
                sign=_sign_lr_too_small,
            ),
            Mistake(
                "learning rate too large",
                "the sparse model collapsed (or blew up): is the "
                "learning rate 1e-2 (a rate 100× larger overshoots)?",
                lambda **case: _train_with_a_mistake(**case, lr=1.0),
                sign=_sign_lr_too_large,
            ),
        ),
    ),
    Question(
        id="06.feature_dimensionality",
        title="feature dimensionality D_i",
        points=2,
        answer_name="feature_dimensionality",
        reference=feature_dimensionality,
        atol=1e-3,
        rtol=1e-3,
        public_cases=lambda: [
            Case("a pentagon (2 x 5)", {"W": _polygon(5, 0.3)}),
            Case("random W (3 x 3)", _random_W(7, 3, 3)),
            Case("4 models of 6 features in 2 dimensions", _random_W(8, 4, 2, 6)),
            Case("two features with the zero direction (D = 0)", _with_a_zero_direction(12)),
        ],
        hidden_cases=lambda seed: [
            Case("random W (5 x 5)", _random_W(600 + seed, 5, 5), hidden=True),
            Case(
                "10 models of 30 features in 4 dimensions",
                _random_W(700 + seed, 10, 4, 30),
                hidden=True,
            ),
        ],
        mistakes=(
            Mistake(
                "rows for columns",
                "W's columns are the features (W has shape (n_hidden, "
                "n_features)); this treats its rows as features: W vs Wᵀ.",
                lambda W: feature_dimensionality(W.transpose(-1, -2)),
            ),
            Mistake(
                "not normalised",
                "the denominator uses Ŵ_i, the unit vector of feature i: "
                "Σ_j (Ŵ_i · W_j)², not Σ_j (W_i · W_j)².",
                lambda W: (W**2).sum(-2) / ((W.transpose(-1, -2) @ W) ** 2).sum(-1),
            ),
            Mistake(
                "zero direction not guarded",
                "a feature whose direction is zero gets D = 0, and here it gets NaN "
                "(0 / 0 when you divide by its length): return 0 where ||W_i|| = 0, "
                "for example with torch.where.",
                _dimensionality_unguarded,
            ),
            Mistake(
                "dot products not squared",
                "square each dot product before summing: Σ_j (Ŵ_i · W_j)².",
                lambda W: (
                    (W**2).sum(-2)
                    / ((W / W.norm(dim=-2, keepdim=True)).transpose(-1, -2) @ W).sum(-1)
                ),
            ),
        ),
    ),
    Question(
        id="06.angles_around_circle",
        title="angles between neighbouring feature directions",
        points=2,
        answer_name="angles_around_circle",
        reference=angles_around_circle,
        atol=1e-2,
        rtol=1e-4,
        public_cases=lambda: [
            Case("a regular pentagon, turned by 10°", {"W": _polygon(5, 0.1745)}),
            Case("a shuffled pentagon", {"W": _polygon(5, 1.0)[:, [3, 0, 4, 1, 2]]}),
            Case("five random directions", _directions(9, 5)),
        ],
        hidden_cases=lambda seed: [
            Case("seven random directions", _directions(800 + seed, 7), hidden=True),
            Case(
                "a shuffled triangle, scaled",
                {"W": _polygon(3, 0.5, 2.0)[:, [2, 0, 1]]},
                hidden=True,
            ),
        ],
        mistakes=(
            Mistake(
                "radians",
                "these are radians: the question asks for degrees (torch.rad2deg).",
                lambda W: torch.deg2rad(angles_around_circle(W)),
            ),
            Mistake(
                "index order",
                "these are gaps between features in index order: sort the "
                "directions by their angle first, so you measure around the circle.",
                lambda W: _gaps_in_index_order(torch.rad2deg(torch.atan2(W[1], W[0])) % 360.0),
            ),
            Mistake(
                "sorted from -180°",
                "your gaps are right but start from another direction: atan2 gives "
                "angles in (−180°, 180°]; take them % 360 before sorting, so the first gap "
                "starts at the smallest angle in [0°, 360°).",
                _gaps_from_minus_180,
            ),
        ),
    ),
    Question(
        id="06.classify_extra_feature",
        title="the phase of the extra feature",
        points=2,
        answer_name="classify_extra_feature",
        reference=classify_extra_feature,
        atol=0.0,
        rtol=0.0,
        public_cases=lambda: [
            Case("6 models of 2 features in 1 dimension", _phase_models(10, 2, 6)),
            Case("6 models of 3 features in 2 dimensions", _phase_models(11, 3, 6)),
            Case("extra feature of norm exactly 0.5 (represented)", _at_the_norm_threshold(3)),
        ],
        hidden_cases=lambda seed: [
            Case(
                "9 models of 4 features in 3 dimensions",
                _phase_models(900 + seed, 4, 9),
                hidden=True,
            ),
        ],
        mistakes=(
            Mistake(
                "interference ignored",
                "a represented extra feature is 'dedicated' only when "
                "no other feature leaks into its direction (interference < 0.1); otherwise it "
                "is in superposition.",
                lambda W: torch.where(
                    feature_norms(W)[..., -1] < 0.5, NOT_REPRESENTED, SUPERPOSITION
                ),
            ),
            Mistake(
                "first feature, not the extra one",
                "the extra feature is the last column of W, not the first.",
                lambda W: classify_extra_feature(W.flip(-1)),
            ),
            Mistake(
                "norm 0.5 counted as not represented",
                "an extra feature of norm exactly 0.5 is represented: 'not represented' "
                "is a norm strictly below 0.5 (< 0.5, not <=).",
                _classify_norm_at_most,
            ),
        ),
    ),
)


# ---------------------------------------------------------------------------
# Check your understanding: the page's last section and the notebook's last
# question (see polysemantic.grading.quiz).
# ---------------------------------------------------------------------------

QUIZ = Quiz(
    chapter="06",
    items=(
        QuizItem(
            prompt="Predict: five features of importance 0.9ⁱ, two hidden dimensions, dense "
            "data (S = 0). How many features does the trained model represent?",
            options=(
                Option(
                    "All five, on a pentagon",
                    "With dense data, features that share a direction are usually on "
                    "together and interfere, so superposition does not pay. The pentagon "
                    "appears only with sparse data (from S = 0.9 on this page).",
                    misconception="a model always packs in as many features as it can",
                ),
                Option(
                    "Three: two on the axes and one sharing",
                    "Three appear only at S = 0.5 and 0.7, as the model passes through "
                    "antipodal pairs; dense data gives two.",
                ),
                Option(
                    "Two, the two most important, on orthogonal axes",
                    "The page prints 2 features represented at S = 0, D = 1 for each of "
                    "them and 0 for the other three.",
                    right=True,
                ),
            ),
            evidence=(
                "S = 0.00: 2 features represented, D = [1.0, 1.0, 0.0, 0.0, 0.0]",
                "S = 0.50: 3 features represented",
                "S = 0.90: 5 features represented",
            ),
        ),
        QuizItem(
            prompt="In the sparse model, five features share two dimensions as a regular "
            "pentagon. What is each feature's dimensionality D?",
            options=(
                Option(
                    "1/5 = 0.2",
                    "The five features share two dimensions, not one: k features sharing d "
                    "dimensions symmetrically get d/k each, here 2/5.",
                    misconception="a feature's dimensionality is one over the number of features",
                ),
                Option(
                    "2/5 = 0.4",
                    "k features sharing d dimensions symmetrically get d/k each: 2/5. The "
                    "page prints D ≈ 0.4 for all five, and angles of 72° between neighbours.",
                    right=True,
                ),
                Option(
                    "1/2",
                    "D = 1/2 is an antipodal pair, which the model passes through on its way "
                    "(S = 0.8); the pentagon gives 2/5.",
                ),
                Option(
                    "1: each feature has a direction of its own",
                    "D = 1 is a dedicated dimension, which no other feature overlaps; in a "
                    "pentagon each direction overlaps its neighbours.",
                ),
            ),
            evidence=(
                "S = 0.99: 5 features represented, D = [0.41, 0.4, 0.41, 0.4, 0.38]",
                "S = 0.80: 4 features represented, D = [0.5, 0.5, 0.49, 0.0, 0.51]",
            ),
        ),
        QuizItem(
            prompt="The main toy model's hidden layer, h = Wx, is linear: it has no neurons. "
            "Can it store more features than it has dimensions?",
            options=(
                Option(
                    "No: without neurons nothing can be polysemantic, so there is no superposition",
                    "Superposition is more features than dimensions, and this model stores "
                    "five in two. Polysemantic neurons need a privileged basis; "
                    "superposition does not.",
                    misconception="superposition needs neurons",
                ),
                Option(
                    "Yes, and its two hidden dimensions are polysemantic neurons",
                    "Its dimensions are not neurons: every rotation of them computes the "
                    "same thing. Polysemantic neurons appear once a ReLU on the hidden "
                    "layer privileges the basis.",
                ),
                Option(
                    "Yes: it stores five features in two dimensions without a single neuron",
                    "Rotating its hidden space leaves its loss exactly where it was "
                    "(0.63287 before and after): it has no neurons, and it still stores "
                    "all five sparse features.",
                    right=True,
                ),
            ),
            evidence=(
                "no hidden ReLU (5 features, 2 dimensions): loss 0.63287 -> 0.63287",
                "Superposition, more features than dimensions, happened without a single neuron",
            ),
        ),
        QuizItem(
            prompt="Predict: the model with a ReLU on its hidden layer, 8 features (importance "
            "0.9ⁱ) and 4 neurons, trained on dense data (S = 0). What are its neurons like?",
            options=(
                Option(
                    "Monosemantic: one feature each, and four features dropped",
                    "At S = 0 the page prints 4 of 8 features represented, a mean score of "
                    "0.92 and one feature per neuron.",
                    right=True,
                ),
                Option(
                    "Polysemantic: 8 features in 4 neurons forces two per neuron",
                    "Dense data makes sharing costly, so the model drops the four least "
                    "important features instead, and each neuron takes one of the rest "
                    "(mean score 0.92).",
                    misconception="more features than neurons always makes neurons polysemantic",
                ),
                Option(
                    "Dead: dense data switches them off",
                    "All four neurons carry a feature: one each, 4 of 8 features represented.",
                ),
            ),
            evidence=("0.00 4 of 8 0.92 [1, 1, 1, 1]",),
        ),
        QuizItem(
            prompt="With sparse data (S = 0.9) the same ReLU model stores all 8 features in "
            "its 4 neurons. What are its neurons like now?",
            options=(
                Option(
                    "Still monosemantic: the ReLU privileges the basis, so features line up "
                    "with neurons",
                    "A privileged basis makes each neuron's axis matter, not each neuron "
                    "clean. With 8 features in 4 neurons, each neuron answers to 4 or 5 "
                    "features (mean score 0.32).",
                    misconception="a privileged basis means monosemantic neurons",
                ),
                Option(
                    "Each answers to several features: superposition shows up as "
                    "polysemantic neurons",
                    "At S = 0.9 the page prints 8 of 8 features represented, a mean score of "
                    "0.32 and 4 or 5 features per neuron: polysemantic neurons are what "
                    "superposition looks like in a privileged basis.",
                    right=True,
                ),
                Option(
                    "The model drops features until each neuron has one",
                    "That is what dense data does. Sparse features rarely collide, so "
                    "sharing is cheap and the model keeps all 8.",
                ),
            ),
            evidence=("0.90 8 of 8 0.32 [4, 5, 5, 4]",),
        ),
    ),
)


def _quiz_answers() -> list[int]:
    """The right option of every item of the chapter's check of understanding."""
    return QUIZ.answers()


QUIZ_QUESTION = quiz_question(QUIZ, _quiz_answers)
