"""Chapter 06: toy models of superposition (Elhage et al. 2022, §2-§7).

The ReLU output model, with an instance dimension so that many independent
models (one per sparsity level, or per phase-diagram cell) train in one run:

    h  = W x                 W: (n_instances, n_hidden, n_features)
    x' = ReLU(Wᵀ h + b)      b: (n_instances, n_features)

trained on sparse features with the importance-weighted loss
Σ_i I_i (x_i − x'_i)², averaged over the batch and summed over instances.

This module holds the model, the straightforward trainer and the geometry
measures (feature dimensionality, dimensions per feature, norms, interference).
and the phase classifier of the extra feature. The fast trainer, the chapter
and its graded questions are still to come (issue 3).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from polysemantic.data import SparseFeatureSampler, sparse_features
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


class ToyModel(nn.Module):
    """n_instances independent ReLU output models: x' = ReLU(Wᵀ W x + b)."""

    def __init__(self, cfg: ToyModelConfig, generator: torch.Generator | None = None):
        super().__init__()
        i, m, n = cfg.n_instances, cfg.n_hidden, cfg.n_features
        W = torch.empty(i, m, n)
        for k in range(i):  # Xavier-normal per instance, as in the paper's notebook
            nn.init.xavier_normal_(W[k], generator=generator)
        self.W = nn.Parameter(W)                    # (i, m, n): column f is feature f
        self.b = nn.Parameter(torch.zeros(i, n))   # (i, n)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, i, n) -> (batch, i, n)."""
        h = torch.einsum("imn,bin->bim", self.W, x)              # (batch, i, m)
        return torch.relu(torch.einsum("imn,bim->bin", self.W, h) + self.b)


def importance_weighted_loss(x: torch.Tensor, x_hat: torch.Tensor,
                             importance: torch.Tensor) -> torch.Tensor:
    """Σ_i I_i (x_i − x̂_i)², averaged over the batch, summed over instances.

    x, x_hat: (batch, n_instances, n_features); importance: (n_instances, n_features)
    or (n_features,). Returns a scalar.
    """
    return (importance * (x - x_hat) ** 2).sum(-1).mean(0).sum()


def train_toy_model_simple(cfg: ToyModelConfig, importance: torch.Tensor,
                           feature_probability: torch.Tensor) -> ToyModel:
    """The straightforward trainer, as a learner writes it: einsum and autograd.

    importance: (n_instances, n_features) or (n_features,);
    feature_probability: (n_instances,) or (n_instances, n_features).
    """
    generator = torch.Generator().manual_seed(cfg.seed)
    model = ToyModel(cfg, generator)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    for _ in progress(range(cfg.n_steps), desc="training"):
        x = sparse_features(cfg.batch_size, cfg.n_features, feature_probability,
                            n_instances=cfg.n_instances, generator=generator)
        loss = importance_weighted_loss(x, model(x), importance)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def _per_instance(value: torch.Tensor | float, cfg: ToyModelConfig, name: str,
                  width: int) -> torch.Tensor:
    """Broadcast a setting to (n_instances, width), or say which shapes it may have."""
    t = torch.as_tensor(value, dtype=torch.float32)
    try:
        if t.ndim == 1 and t.shape[0] == cfg.n_instances and width != cfg.n_instances:
            t = t[:, None]
        return t.expand(cfg.n_instances, width).contiguous()
    except RuntimeError:
        raise ValueError(f"{name} must be a number, shape ({width},), ({cfg.n_instances},) or "
                         f"({cfg.n_instances}, {width}); got shape {tuple(t.shape)}") from None


def _chunk_size(cfg: ToyModelConfig, target: int = 1_000_000) -> int:
    """Rows per chunk: about `target` feature values per chunk, dividing the batch."""
    chunk = cfg.batch_size
    while chunk % 2 == 0 and chunk * cfg.n_instances * cfg.n_features > target:
        chunk //= 2
    return chunk


@torch.no_grad()
def train_toy_model(cfg: ToyModelConfig, importance: torch.Tensor | float,
                    feature_probability: torch.Tensor | float,
                    log_every: int = 0) -> tuple[ToyModel, torch.Tensor]:
    """The library trainer: same model, data distribution and AdamW as
    `train_toy_model_simple`, several times faster on a CPU.

    importance: (n_features,), (n_instances,) or (n_instances, n_features);
    feature_probability: a number or (n_instances,). Returns the model and the
    loss per instance every `log_every` steps, (n_logs, n_instances).

    Where the speed comes from (benchmarks/train_speed.py measures it):
    - data: `SparseFeatureSampler` draws ~2·p random numbers per entry of a
      sparse instance instead of two, into a buffer allocated once;
    - instances are sorted by feature probability so dense and sparse ones are
      contiguous slices, and put back in the caller's order at the end;
    - forward and backward are written out by hand (four batched matmuls and a
      few in-place element-wise passes, no autograd graph, no new tensors);
    - the batch is processed in chunks of about a million values, which stay in
      the CPU's cache through every element-wise pass.
    """
    importance = _per_instance(importance, cfg, "importance", cfg.n_features)      # (i, n)
    p = _per_instance(feature_probability, cfg, "feature_probability", 1)[:, 0]   # (i,)
    order = torch.argsort(p, descending=True, stable=True)
    generator = torch.Generator().manual_seed(cfg.seed)
    model = ToyModel(cfg, generator)
    W = model.W.data[order].contiguous()                         # (i, m, n), sorted
    b = model.b.data[order].contiguous()                         # (i, n)
    scale = (importance[order] * (2.0 / cfg.batch_size)).unsqueeze(1)  # (i, 1, n)

    i, m, n = cfg.n_instances, cfg.n_hidden, cfg.n_features
    chunk = _chunk_size(cfg)
    sampler = SparseFeatureSampler(i, cfg.batch_size, n, p[order], generator)
    batch = torch.empty(i, cfg.batch_size, n)  # features, sampled once per step
    pre = torch.empty(i, chunk, n)    # Wᵀ W x + b, then dL/dpre in place
    mask = torch.empty(i, chunk, n, dtype=torch.bool)
    h = torch.empty(i, chunk, m)      # W x
    grad_h = torch.empty(i, chunk, m)
    W.grad, b.grad = torch.zeros_like(W), torch.zeros_like(b)
    optimizer = torch.optim.AdamW([W, b], lr=cfg.lr)
    losses = []
    for step in progress(range(cfg.n_steps), desc="training"):
        W.grad.zero_()
        b.grad.zero_()
        Wt = W.transpose(1, 2)                                        # (i, n, m)
        logging = bool(log_every) and step % log_every == 0
        loss = torch.zeros(i)
        sampler.sample(batch)
        # The batch in chunks that stay in the CPU's cache; gradients accumulate.
        for start in range(0, cfg.batch_size, chunk):
            x = batch[:, start:start + chunk]                          # (i, chunk, n)
            torch.bmm(x, Wt, out=h)                                   # h = W x
            torch.baddbmm(b.unsqueeze(1), h, W, out=pre)              # pre = Wᵀ h + b
            torch.gt(pre, 0, out=mask)
            pre.sub_(x)                                               # pre - x
            if logging:
                err = torch.where(mask, pre, -x)                      # relu(pre) - x
                loss += (err ** 2 * scale).sum((1, 2)) / 2
            pre.mul_(scale).mul_(mask)                                # dL/dpre
            b.grad.add_(pre.sum(1))                                   # dL/db
            W.grad.baddbmm_(h.transpose(1, 2), pre)                   # via pre = Wᵀ h
            torch.bmm(pre, Wt, out=grad_h)
            W.grad.baddbmm_(grad_h.transpose(1, 2), x)                # via h = W x
        if logging:
            losses.append(loss)
        optimizer.step()
    inverse = torch.argsort(order)
    model.W.data.copy_(W[inverse])
    model.b.data.copy_(b[inverse])
    log = torch.stack(losses)[:, inverse] if losses else torch.empty(0, i)
    return model, log


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
    overlaps = (W_hat.transpose(-1, -2) @ W) ** 2            # (..., n, n): (Ŵ_i · W_j)²
    return overlaps.sum(-1) - torch.diagonal(overlaps, dim1=-2, dim2=-1)


def feature_dimensionality(W: torch.Tensor) -> torch.Tensor:
    """D_i = ||W_i||² / Σ_j (Ŵ_i · W_j)², the share of a dimension feature i gets.

    (..., n_hidden, n_features) -> (..., n_features). 1 for a dedicated
    dimension, 1/2 for an antipodal pair, 2/5 for a pentagon, 0 for a feature
    that is not represented (Elhage et al. 2022, §7).
    """
    norms_sq = (W ** 2).sum(-2)                               # (..., n)
    W_hat = W / W.norm(dim=-2, keepdim=True).clamp_min(1e-12)
    denominator = ((W_hat.transpose(-1, -2) @ W) ** 2).sum(-1)  # (..., n)
    return torch.where(norms_sq > 0, norms_sq / denominator.clamp_min(1e-12),
                       torch.zeros_like(norms_sq))


def dimensions_per_feature(W: torch.Tensor) -> torch.Tensor:
    """D* = n_hidden / ||W||_F²: (..., n_hidden, n_features) -> (...)."""
    return W.shape[-2] / (W ** 2).sum(dim=(-2, -1))


# ---------------------------------------------------------------------------
# The phase diagram (paper, §4): n features where the last one is the "extra"
# feature whose importance and density are varied, in n - 1 hidden dimensions.
# ---------------------------------------------------------------------------

NOT_REPRESENTED, DEDICATED, SUPERPOSITION = 0, 1, 2
PHASE_NAMES = ("not represented", "dedicated dimension", "superposition")


def classify_extra_feature(W: torch.Tensor, norm_threshold: float = 0.5,
                           interference_threshold: float = 0.1) -> torch.Tensor:
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
