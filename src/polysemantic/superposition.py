"""Chapter 06: toy models of superposition (Elhage et al. 2022, §2-§7).

The ReLU output model, with an instance dimension so that many independent
models (one per sparsity level, or per phase-diagram cell) train in one run:

    h  = W x                 W: (n_instances, n_hidden, n_features)
    x' = ReLU(Wᵀ h + b)      b: (n_instances, n_features)

trained on sparse features with the importance-weighted loss
Σ_i I_i (x_i − x'_i)², averaged over the batch and summed over instances.

Read top to bottom: the config and model, the data and the loss, the
straightforward trainer (what a learner writes), then the geometry of a
trained W (norms, interference, feature dimensionality) and the phase of the
extra feature. The same training, several times faster, is
`polysemantic.toy_training.train_toy_model`; the chapter's questions are in
`polysemantic.questions.superposition`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from polysemantic.data import seeded, sparse_features
from polysemantic.progress import progress


@dataclass(frozen=True)
class ToyModelConfig:
    n_features: int = 5
    n_hidden: int = 2
    n_instances: int = 10
    n_steps: int = 10_000  # the paper's default
    batch_size: int = 1024
    lr: float = 1e-3
    seed: int = 0
    # False: the paper's main model, h = W x, whose hidden space has no privileged
    # basis (no neurons). True: h = ReLU(W x), its §"Superposition in a privileged
    # basis" model, where each hidden dimension is a neuron.
    relu_hidden: bool = False


class ToyModel(nn.Module):
    """n_instances independent ReLU output models: x' = ReLU(Wᵀ h + b), h = W x
    (or ReLU(W x) with cfg.relu_hidden)."""

    def __init__(self, cfg: ToyModelConfig, generator: torch.Generator | None = None):
        super().__init__()
        i, m, n = cfg.n_instances, cfg.n_hidden, cfg.n_features
        W = torch.empty(i, m, n)
        for k in range(i):  # Xavier-normal per instance, as in the paper's notebook
            nn.init.xavier_normal_(W[k], generator=generator)
        self.W = nn.Parameter(W)  # (i, m, n): column f is feature f
        self.b = nn.Parameter(torch.zeros(i, n))  # (i, n)
        self.relu_hidden = cfg.relu_hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, i, n) -> (batch, i, n)."""
        return toy_forward(self.W, self.b, x, relu_hidden=self.relu_hidden)


def toy_forward(
    W: torch.Tensor, b: torch.Tensor, x: torch.Tensor, relu_hidden: bool = False
) -> torch.Tensor:
    """x' = ReLU(Wᵀ W x + b) for every instance; ReLU(Wᵀ ReLU(W x) + b) with relu_hidden.

    W: (n_instances, n_hidden, n_features), b: (n_instances, n_features),
    x: (batch, n_instances, n_features) -> (batch, n_instances, n_features).
    """
    h = torch.einsum("imn,bin->bim", W, x)  # (batch, i, m)
    if relu_hidden:  # an element-wise nonlinearity: the hidden axes become neurons
        h = torch.relu(h)
    return torch.relu(torch.einsum("imn,bim->bin", W, h) + b)


def sparse_batch(
    values: torch.Tensor, coins: torch.Tensor, feature_probability: torch.Tensor
) -> torch.Tensor:
    """Sparse features from two uniform tensors: a feature is on when its coin < p.

    values, coins: (batch, n_instances, n_features), uniform on [0, 1];
    feature_probability: (n_instances,), the density 1 - S of each instance.
    Returns (batch, n_instances, n_features): values where on, else 0.
    """
    return torch.where(coins < feature_probability[:, None], values, torch.zeros_like(values))


def importance_weighted_loss(
    x: torch.Tensor, x_hat: torch.Tensor, importance: torch.Tensor
) -> torch.Tensor:
    """Σ_i I_i (x_i − x̂_i)², averaged over the batch, summed over instances.

    x, x_hat: (batch, n_instances, n_features); importance: (n_instances, n_features)
    or (n_features,). Returns a scalar.
    """
    return (importance * (x - x_hat) ** 2).sum(-1).mean(0).sum()


def train_toy_model_simple(
    cfg: ToyModelConfig, importance: torch.Tensor, feature_probability: torch.Tensor
) -> ToyModel:
    """The straightforward trainer, as a learner writes it: einsum and autograd.

    importance: (n_instances, n_features) or (n_features,);
    feature_probability: (n_instances,) or (n_instances, n_features).
    """
    generator = seeded(cfg.seed)
    model = ToyModel(cfg, generator)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    for _ in progress(range(cfg.n_steps), desc="training"):
        x = sparse_features(
            cfg.batch_size,
            cfg.n_features,
            feature_probability,
            n_instances=cfg.n_instances,
            generator=generator,
        )
        loss = importance_weighted_loss(x, model(x), importance)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


# ---------------------------------------------------------------------------
# Geometry of a trained W. Shapes: (n_hidden, n_features) or, with instances,
# (n_instances, n_hidden, n_features); column i is feature i's direction W_i.
# ---------------------------------------------------------------------------


def feature_norms(W: torch.Tensor) -> torch.Tensor:
    """||W_i|| for each feature: (..., n_hidden, n_features) -> (..., n_features)."""
    return W.norm(dim=-2)


def interference(W: torch.Tensor) -> torch.Tensor:
    """Σ_{j≠i} (Ŵ_i · W_j)²: how much other features leak into feature i's direction.

    (..., n_hidden, n_features) -> (..., n_features).
    """
    W_hat = W / W.norm(dim=-2, keepdim=True).clamp_min(1e-12)
    overlaps = (W_hat.transpose(-1, -2) @ W) ** 2  # (..., n, n): (Ŵ_i · W_j)²
    return overlaps.sum(-1) - torch.diagonal(overlaps, dim1=-2, dim2=-1)


def feature_dimensionality(W: torch.Tensor) -> torch.Tensor:
    """D_i = ||W_i||² / Σ_j (Ŵ_i · W_j)², the share of a dimension feature i gets.

    (..., n_hidden, n_features) -> (..., n_features). 1 for a dedicated
    dimension, 1/2 for an antipodal pair, 2/5 for a pentagon, 0 for a feature
    that is not represented (Elhage et al. 2022, §7).
    """
    norms_sq = (W**2).sum(-2)  # (..., n)
    W_hat = W / W.norm(dim=-2, keepdim=True).clamp_min(1e-12)
    denominator = ((W_hat.transpose(-1, -2) @ W) ** 2).sum(-1)  # (..., n)
    return torch.where(
        norms_sq > 0, norms_sq / denominator.clamp_min(1e-12), torch.zeros_like(norms_sq)
    )


def angles_around_circle(W: torch.Tensor) -> torch.Tensor:
    """Angles in degrees between neighbouring feature directions in a plane.

    W: (2, n_features) -> (n_features,): sort the directions by their polar angle
    and return the gaps between consecutive ones, the last wrapping around; they
    sum to 360. A regular pentagon gives five times 72.
    """
    polar = torch.rad2deg(torch.atan2(W[1], W[0])) % 360.0
    ordered = torch.sort(polar).values
    return torch.diff(ordered, append=ordered[:1] + 360.0)


def neuron_responses(W: torch.Tensor) -> torch.Tensor:
    """R[j, i]: neuron j's activation, ReLU(W[j, i]), when feature i alone is on at 1.

    For the relu_hidden model (no hidden bias); chapter 01's response matrix, ready for
    its monosemanticity score. (..., n_hidden, n_features) -> the same shape.
    """
    return torch.relu(W)


def dimensions_per_feature(W: torch.Tensor) -> torch.Tensor:
    """D* = n_hidden / ||W||_F²: (..., n_hidden, n_features) -> (...)."""
    return W.shape[-2] / (W**2).sum(dim=(-2, -1))


# ---------------------------------------------------------------------------
# The phase diagram (paper, §4): n features where the last one is the "extra"
# feature whose importance and density are varied, in n - 1 hidden dimensions.
# ---------------------------------------------------------------------------

NOT_REPRESENTED, DEDICATED, SUPERPOSITION = 0, 1, 2
PHASE_NAMES = ("not represented", "dedicated dimension", "superposition")


def classify_extra_feature(
    W: torch.Tensor, norm_threshold: float = 0.5, interference_threshold: float = 0.1
) -> torch.Tensor:
    """The phase of the last feature: NOT_REPRESENTED, DEDICATED or SUPERPOSITION.

    (..., n_hidden, n_features) -> (...,) integer codes (names in PHASE_NAMES).
    Not represented: ||W_extra|| < norm_threshold. Dedicated: represented, and
    no other feature leaks into its direction (interference below the threshold).
    Superposition: represented, sharing its direction with other features.
    """
    extra_norm = feature_norms(W)[..., -1]
    extra_interference = interference(W)[..., -1]
    phase = torch.full(extra_norm.shape, SUPERPOSITION, dtype=torch.long)
    phase[extra_interference < interference_threshold] = DEDICATED
    phase[extra_norm < norm_threshold] = NOT_REPRESENTED
    return phase
