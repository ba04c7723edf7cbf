"""Chapter 01: the dictionary dream, where every neuron is one feature.

A ReLU autoencoder with as many hidden neurons as independent input features:

    h  = ReLU(W x + b_hidden)      W: (n_neurons, n_features)
    x̂  = ReLU(Wᵀ h + b_out)

trained to reconstruct dense, independent features with a small L1 cost on its
activations. The hidden ReLU acts neuron by neuron, so the neuron axes are a
privileged basis (Elhage et al. 2022, "Toy Models of Superposition", §2); the L1
cost makes each neuron fire for as little as it can. With both, and no shortage
of neurons, most seeds learn a permutation: one feature per neuron, up to scale.
`ablations` switches each ingredient off in turn, as chapter 01 does on the page.
Many instances (one per seed) train at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from polysemantic.data import seeded, sparse_features
from polysemantic.progress import progress


@dataclass(frozen=True)
class MonosemanticConfig:
    n_features: int = 6
    n_neurons: int = 6
    n_instances: int = 16  # independent models, one per seed, trained in one run
    feature_probability: float = 1.0  # dense: every feature is on, with a value in [0, 1]
    activation_penalty: float = 0.02  # L1 on hidden activations: a cost for firing
    hidden_relu: bool = True  # False: a linear hidden layer, h = W x + b_hidden
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
        self.b_hidden = nn.Parameter(torch.full((i, m), -0.1))  # (i, m)
        self.b_out = nn.Parameter(torch.zeros(i, n))  # (i, n)
        self.hidden_relu = cfg.hidden_relu

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, i, n) -> (batch, i, m) neuron activations."""
        pre = torch.einsum("imn,bin->bim", self.W, x) + self.b_hidden
        return torch.relu(pre) if self.hidden_relu else pre

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, i, n) -> reconstruction (batch, i, n), activations (batch, i, m)."""
        h = self.hidden(x)
        x_hat = torch.relu(torch.einsum("imn,bim->bin", self.W, h) + self.b_out)
        return x_hat, h


@dataclass
class TrainingRun:
    model: ReLUAutoencoder
    steps: torch.Tensor  # (n_records,)
    loss: torch.Tensor  # (n_records, n_instances) reconstruction loss per instance
    scores: torch.Tensor  # (n_records, n_instances, n_neurons) monosemanticity per neuron


def autoencoder_output(
    W: torch.Tensor, b_hidden: torch.Tensor, b_out: torch.Tensor, x: torch.Tensor, hidden=torch.relu
) -> torch.Tensor:
    """One autoencoder as a function of its weights: x̂ = ReLU(Wᵀ hidden(W x + b_hidden) + b_out).

    `hidden` is the hidden nonlinearity (ReLU), and the place where chapters 05 and 07
    change it or edit the activations. W: (n_neurons, n_features);
    x: (batch, n_features) -> (batch, n_features).
    """
    return torch.relu(hidden(x @ W.T + b_hidden) @ W + b_out)


def train_autoencoder(cfg: MonosemanticConfig = MonosemanticConfig()) -> TrainingRun:
    """Train cfg.n_instances autoencoders at once; record loss and neuron scores.

    Runs on one thread: a model this small gains nothing from more, and on a busy
    2-core laptop threads that contend make it several times slower.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(cfg)
    finally:
        torch.set_num_threads(threads)


def _train(cfg: MonosemanticConfig) -> TrainingRun:
    generator = seeded(cfg.seed)
    model = ReLUAutoencoder(cfg, generator)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0)
    steps, losses, scores = [], [], []
    for step in progress(range(cfg.n_steps + 1), desc="training"):
        x = sparse_features(
            cfg.batch_size,
            cfg.n_features,
            cfg.feature_probability,
            n_instances=cfg.n_instances,
            generator=generator,
        )  # (b, i, n)
        x_hat, h = model(x)
        reconstruction = ((x - x_hat) ** 2).sum(-1).mean(0)  # (i,)
        sparsity = h.abs().sum(-1).mean(0)  # (i,)
        if step % cfg.record_every == 0:
            with torch.no_grad():
                R = response_matrix(model.W, model.b_hidden)  # (i, m, n)
                steps.append(step)
                losses.append(reconstruction.detach().clone())
                scores.append(monosemanticity_score(R))
        if step == cfg.n_steps:
            break
        optimizer.zero_grad()
        (reconstruction + cfg.activation_penalty * sparsity).sum().backward()
        optimizer.step()
    return TrainingRun(model, torch.tensor(steps), torch.stack(losses), torch.stack(scores))


def ablations(cfg: MonosemanticConfig, fewer_neurons: int = 4) -> dict[str, MonosemanticConfig]:
    """The ingredient ablation: `cfg` as it is, then with one ingredient taken away.

    No ReLU on the hidden layer; no L1 penalty on h; `fewer_neurons` neurons for
    cfg.n_features features (the features stay as they are). Same seeds throughout.
    """
    return {
        "all ingredients": cfg,
        "no ReLU": replace(cfg, hidden_relu=False),
        "no L1 penalty": replace(cfg, activation_penalty=0.0),
        f"{fewer_neurons} neurons": replace(cfg, n_neurons=fewer_neurons),
    }


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


def signed_response_matrix(W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Δ[j, i]: how much neuron j's activation changes, from its resting value ReLU(b[j]),
    when feature i alone is on at value 1.

    W: (..., n_neurons, n_features), b: (..., n_neurons) -> (..., n_neurons, n_features).
    Negative where feature i silences neuron j: a feature stored as a *drop* in
    activation, which ReLU(W + b) and the monosemanticity score cannot see.
    """
    return torch.relu(W + b[..., :, None]) - torch.relu(b)[..., :, None]


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


def change_from_rest(model: ReLUAutoencoder) -> torch.Tensor:
    """Δ[k, j, i]: how far neuron j of model k moves from its resting activation (its
    activation with every feature off) when feature i alone is on, at value 1.

    Measured by running the hidden layer on the one-hot inputs, so it is
    ReLU(W + b) - ReLU(b), the signed response matrix, for a ReLU layer and W for a
    linear one. -> (n_instances, n_neurons, n_features).
    """
    i, _, n = model.W.shape
    with torch.no_grad():
        on = model.hidden(torch.eye(n)[:, None, :].expand(n, i, n))  # (n, i, m): e_f
        rest = model.hidden(torch.zeros(1, i, n))  # (1, i, m)
    return (on - rest).permute(1, 2, 0)  # (i, m, n)


def is_clean(delta: torch.Tensor, threshold: float = 0.9) -> torch.Tensor:
    """Whether each model gives every neuron one feature of its own, read from the
    change from rest (so a neuron that rests above zero and goes silent for one
    feature counts as a clean, inverted detector of that feature).

    delta: (..., n_neurons, n_features) -> (...,) booleans.
    """
    return is_one_feature_per_neuron(delta.abs(), threshold)


def reconstruction_loss(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    """Squared error summed over features, averaged over the batch.

    x, x_hat: (batch, n_features) -> a scalar tensor.
    """
    return ((x - x_hat) ** 2).sum(-1).mean()
