"""Chapter 01: the dictionary dream, where every neuron is one feature.

A ReLU autoencoder with as many hidden neurons as independent input features:

    h  = ReLU(W x + b_hidden)      W: (n_neurons, n_features)
    x̂  = ReLU(Wᵀ h + b_out)

trained to reconstruct dense, independent features with a small L1 cost on its
activations. Because the hidden ReLU acts neuron by neuron, the neuron axes are
a privileged basis (Elhage et al. 2022, "Toy Models of Superposition", §2), and
with no shortage of neurons most seeds learn a permutation: one feature per
neuron, up to scale. Many instances (one per seed) train at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from polysemantic.data import seeded, sparse_features
from polysemantic.grading.question import Case, Mistake, Question, register
from polysemantic.progress import progress


@dataclass(frozen=True)
class MonosemanticConfig:
    n_features: int = 6
    n_neurons: int = 6
    n_instances: int = 16  # independent models, one per seed, trained in one run
    feature_probability: float = 1.0  # dense: every feature is on, with a value in [0, 1]
    activation_penalty: float = 0.02  # L1 on hidden activations: a cost for firing
    n_steps: int = 1500
    batch_size: int = 1024
    lr: float = 1e-2
    record_every: int = 25
    seed: int = 0


class ReLUAutoencoder(nn.Module):
    """n_instances independent tied-weight ReLU autoencoders, evaluated together."""

    def __init__(self, cfg: MonosemanticConfig, generator: torch.Generator | None = None):
        super().__init__()
        i, m, n = cfg.n_instances, cfg.n_neurons, cfg.n_features
        self.W = nn.Parameter(torch.rand(i, m, n, generator=generator) * (2 / n))  # (i, m, n)
        self.b_hidden = nn.Parameter(torch.full((i, m), -0.1))                    # (i, m)
        self.b_out = nn.Parameter(torch.zeros(i, n))                               # (i, n)

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, i, n) -> (batch, i, m) neuron activations."""
        return torch.relu(torch.einsum("imn,bin->bim", self.W, x) + self.b_hidden)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, i, n) -> reconstruction (batch, i, n), activations (batch, i, m)."""
        h = self.hidden(x)
        x_hat = torch.relu(torch.einsum("imn,bim->bin", self.W, h) + self.b_out)
        return x_hat, h


@dataclass
class TrainingRun:
    model: ReLUAutoencoder
    steps: torch.Tensor   # (n_records,)
    loss: torch.Tensor    # (n_records, n_instances) reconstruction loss per instance
    scores: torch.Tensor  # (n_records, n_instances, n_neurons) monosemanticity per neuron


def autoencoder_output(W: torch.Tensor, b_hidden: torch.Tensor, b_out: torch.Tensor,
                       x: torch.Tensor, hidden=torch.relu) -> torch.Tensor:
    """One autoencoder as a function of its weights: x̂ = ReLU(Wᵀ hidden(W x + b_hidden) + b_out).

    `hidden` is the hidden nonlinearity (ReLU), and the place where chapters 05 and 07
    change it or edit the activations. W: (n_neurons, n_features);
    x: (batch, n_features) -> (batch, n_features).
    """
    return torch.relu(hidden(x @ W.T + b_hidden) @ W + b_out)


def train_autoencoder(cfg: MonosemanticConfig = MonosemanticConfig()) -> TrainingRun:
    """Train cfg.n_instances autoencoders at once; record loss and neuron scores."""
    generator = seeded(cfg.seed)
    model = ReLUAutoencoder(cfg, generator)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0)
    steps, losses, scores = [], [], []
    for step in progress(range(cfg.n_steps + 1), desc="training"):
        x = sparse_features(cfg.batch_size, cfg.n_features, cfg.feature_probability,
                            n_instances=cfg.n_instances, generator=generator)  # (b, i, n)
        x_hat, h = model(x)
        reconstruction = ((x - x_hat) ** 2).sum(-1).mean(0)        # (i,)
        sparsity = h.abs().sum(-1).mean(0)                          # (i,)
        if step % cfg.record_every == 0:
            with torch.no_grad():
                R = response_matrix(model.W, model.b_hidden)        # (i, m, n)
                steps.append(step)
                losses.append(reconstruction.detach().clone())
                scores.append(monosemanticity_score(R))
        if step == cfg.n_steps:
            break
        optimizer.zero_grad()
        (reconstruction + cfg.activation_penalty * sparsity).sum().backward()
        optimizer.step()
    return TrainingRun(model, torch.tensor(steps), torch.stack(losses), torch.stack(scores))


# ---------------------------------------------------------------------------
# Reference implementations of the chapter's exercises. Each works on one model
# (W: (m, n)) and, where it costs nothing, on a stack of them (W: (i, m, n)).
# ---------------------------------------------------------------------------


def response_matrix(W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """R[j, i]: activation of neuron j when feature i alone is on at value 1.

    W: (..., n_neurons, n_features), b: (..., n_neurons) -> (..., n_neurons, n_features).
    The input e_i gives pre-activations W[:, i] + b, so R = ReLU(W + b[:, None]).
    """
    return torch.relu(W + b[..., :, None])


def monosemanticity_score(R: torch.Tensor) -> torch.Tensor:
    """Per neuron, the share of its response that goes to its strongest feature.

    R: (..., n_neurons, n_features), non-negative -> (..., n_neurons).
    1 means the neuron answers to one feature only; 1/n_features means it
    answers to all equally. A dead neuron (no response at all) scores 0.
    """
    total = R.sum(-1)
    top = R.max(-1).values
    return torch.where(total > 0, top / total.clamp_min(1e-12), torch.zeros_like(total))


def neuron_to_feature(R: torch.Tensor) -> torch.Tensor:
    """For each neuron, the feature it responds to most; -1 for a dead neuron.

    R: (n_neurons, n_features) -> (n_neurons,) integer feature indices.
    """
    best = R.argmax(-1)
    return torch.where(R.max(-1).values > 0, best, torch.full_like(best, -1))


def is_one_feature_per_neuron(R: torch.Tensor, threshold: float = 0.9) -> torch.Tensor:
    """Whether a model's neurons encode distinct features, each almost exclusively.

    R: (..., n_neurons, n_features) -> (...,) booleans: every neuron scores at
    least `threshold` and no two neurons share their strongest feature.
    """
    clean = (monosemanticity_score(R) >= threshold).all(-1)
    owners = torch.nn.functional.one_hot(R.argmax(-1), R.shape[-1]).sum(-2)  # (..., n)
    return clean & (owners <= 1).all(-1)


def reconstruction_loss(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    """Squared error summed over features, averaged over the batch.

    x, x_hat: (batch, n_features) -> a scalar tensor.
    """
    return ((x - x_hat) ** 2).sum(-1).mean()


# ---------------------------------------------------------------------------
# Graded questions: cases and the mistakes each one names.
# ---------------------------------------------------------------------------


def _weights(seed: int, m: int, n: int, scale: float = 1.0) -> dict[str, torch.Tensor]:
    g = seeded(seed)
    return {"W": torch.randn(m, n, generator=g) * scale, "b": torch.randn(m, generator=g) * 0.5}


def _responses(seed: int, m: int, n: int, dead: int = 0) -> dict[str, torch.Tensor]:
    weights = _weights(seed, m, n)
    R = response_matrix(weights["W"], weights["b"])
    R[:dead] = 0.0  # the first `dead` neurons never fire
    return {"R": R}


register(Question(
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
        Mistake("no ReLU", "the values match W + b before the ReLU: neurons cannot fire "
                "negatively, apply torch.relu.", lambda W, b: W + b[:, None]),
        Mistake("transposed", "this is the transpose: rows are neurons, columns are features "
                "(shape (n_neurons, n_features)).", lambda W, b: torch.relu(W + b[:, None]).T),
        Mistake("bias forgotten", "the bias is missing: each neuron adds b[j] before its ReLU.",
                lambda W, b: torch.relu(W)),
        Mistake("bias on the wrong axis", "the bias was added per feature, not per neuron: "
                "use b[:, None] so neuron j gets b[j].",
                lambda W, b: torch.relu(W + b[None, : W.shape[1]]) if W.shape[0] == W.shape[1]
                else torch.relu(W)),
    ),
))

register(Question(
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
        Mistake("not normalised", "these are the raw top responses: divide by each neuron's "
                "total response so the score lies between 1/n_features and 1.",
                lambda R: R.max(-1).values),
        Mistake("per feature", "this is computed per feature (over neurons): the score is per "
                "neuron, so reduce over the last axis (features).",
                lambda R: monosemanticity_score(R.T)),
        Mistake("dead neuron gives NaN", "a dead neuron makes 0/0 = NaN: give neurons that never "
                "fire a score of 0.", lambda R: R.max(-1).values / R.sum(-1)),
    ),
))

register(Question(
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
        Mistake("argmax over neurons", "this is, for each feature, its strongest neuron: take the "
                "argmax over features (the last axis) instead.", lambda R: R.argmax(0)),
        Mistake("dead neurons not marked", "a neuron that never fires encodes nothing: return -1 "
                "for it instead of feature 0.", lambda R: R.argmax(-1)),
    ),
))

register(Question(
    id="01.reconstruction_loss",
    title="the reconstruction loss",
    points=1,
    answer_name="reconstruction_loss",
    reference=reconstruction_loss,
    public_cases=lambda: [
        Case("batch of 8, 4 features", {
            "x": torch.rand(8, 4, generator=seeded(8)),
            "x_hat": torch.rand(8, 4, generator=seeded(9)),
        }),
        Case("batch of 3, 6 features", {
            "x": torch.rand(3, 6, generator=seeded(10)),
            "x_hat": torch.zeros(3, 6),
        }),
    ],
    hidden_cases=lambda seed: [
        Case("batch of 50, 10 features", {
            "x": torch.rand(50, 10, generator=seeded(6000 + seed)),
            "x_hat": torch.rand(50, 10, generator=seeded(7000 + seed)),
        }, hidden=True),
    ],
    mistakes=(
        Mistake("mean instead of sum", "this averages over features too: sum the squared errors "
                "over features, then average over the batch.",
                lambda x, x_hat: ((x - x_hat) ** 2).mean()),
        Mistake("not squared", "the errors are not squared (or an absolute error was used).",
                lambda x, x_hat: (x - x_hat).abs().sum(-1).mean()),
        Mistake("sum over the batch", "this sums over the batch too: average over the batch so "
                "the loss does not grow with the batch size.",
                lambda x, x_hat: ((x - x_hat) ** 2).sum()),
    ),
))
