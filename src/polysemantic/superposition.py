"""Chapter 06: toy models of superposition (Elhage et al. 2022, §2-§7).

The ReLU output model, with an instance dimension so that many independent
models (one per sparsity level, or per phase-diagram cell) train in one run:

    h  = W x                 W: (n_instances, n_hidden, n_features)
    x' = ReLU(Wᵀ h + b)      b: (n_instances, n_features)

trained on sparse features with the importance-weighted loss
Σ_i I_i (x_i − x'_i)², averaged over the batch and summed over instances.

This module holds the model, the straightforward trainer (what a learner
writes), the fast trainer (the same training, several times faster on a CPU),
the geometry measures (feature dimensionality, dimensions per feature, norms,
interference), the phase classifier of the extra feature, and the chapter's
graded questions.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import torch
from torch import nn

from polysemantic.data import SparseFeatureSampler, seeded, sparse_features
from polysemantic.grading.question import Case, Mistake, Question, register
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
        return toy_forward(self.W, self.b, x)


def toy_forward(W: torch.Tensor, b: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """x' = ReLU(Wᵀ W x + b) for every instance.

    W: (n_instances, n_hidden, n_features), b: (n_instances, n_features),
    x: (batch, n_instances, n_features) -> (batch, n_instances, n_features).
    """
    h = torch.einsum("imn,bin->bim", W, x)                        # (batch, i, m)
    return torch.relu(torch.einsum("imn,bim->bin", W, h) + b)


def sparse_batch(values: torch.Tensor, coins: torch.Tensor,
                 feature_probability: torch.Tensor) -> torch.Tensor:
    """Sparse features from two uniform tensors: a feature is on when its coin < p.

    values, coins: (batch, n_instances, n_features), uniform on [0, 1];
    feature_probability: (n_instances,), the density 1 - S of each instance.
    Returns (batch, n_instances, n_features): values where on, else 0.
    """
    return torch.where(coins < feature_probability[:, None], values, torch.zeros_like(values))


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


def _through_gram(n_features: int, n_hidden: int) -> bool:
    """Whether the fast trainer goes through the Gram matrix M = Wᵀ W (n x n): two batched
    matmuls per chunk instead of four, cheaper when n <= 2m (the phase diagrams' sizes)."""
    return n_features <= 2 * n_hidden


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
      the CPU's cache through every element-wise pass;
    - the next batch is sampled in a background thread, on one core left free
      for it, while the current step computes;
    - with few features (n <= 2m) the forward goes through M = Wᵀ W, halving
      the number of batched matmuls.
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
    # Features-major layout, (i, n, batch): each model's matmuls become (m x n) @ (n x batch),
    # which BLAS runs far faster than (batch x n) @ (n x m) when n and m are tiny. The
    # sampler's values are i.i.d., so reading its buffer in this order changes nothing.
    # Two batch buffers: a background thread samples the next batch into one while this
    # step computes on the other, on one core left free for it. Torch releases the GIL
    # inside its kernels, so the (serial) random-number generation overlaps with the
    # matmuls. Only that thread uses the sampler, in order, so the data are exactly
    # those of a serial loop.
    buffers = [torch.empty(i, cfg.batch_size * n) for _ in range(2)]
    prefetch = ThreadPoolExecutor(max_workers=1)
    pending = prefetch.submit(sampler.sample, buffers[0].view(i, cfg.batch_size, n))
    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, threads - 1))
    pre_buffer = torch.empty(i, n, chunk)      # Wᵀ W x + b, then dL/dpre in place
    on_buffer = torch.empty(i, n, chunk)       # 1.0 where the ReLU is on (a float mask:
    #                                            multiplying by it is far faster than masked_fill)
    h = torch.empty(i, m, chunk)               # W x
    grad_h = torch.empty(i, m, chunk)
    gram = _through_gram(n, m)
    grad_M = torch.empty(i, n, n)              # dL/dM, when going through M
    scale = scale.transpose(1, 2).contiguous()                        # (i, n, 1)
    W.grad, b.grad = torch.zeros_like(W), torch.zeros_like(b)
    optimizer = torch.optim.AdamW([W, b], lr=cfg.lr)
    losses = []
    try:
        for step in progress(range(cfg.n_steps), desc="training"):
            W.grad.zero_()
            b.grad.zero_()
            Wt = W.transpose(1, 2)                                        # (i, n, m)
            if gram:
                M = torch.bmm(Wt, W)                                      # (i, n, n)
                grad_M.zero_()
            logging = bool(log_every) and step % log_every == 0
            loss = torch.zeros(i)
            pending.result()                                              # this step's batch
            batch = buffers[step % 2].view(i, n, cfg.batch_size)
            if step + 1 < cfg.n_steps:
                pending = prefetch.submit(sampler.sample,
                                          buffers[(step + 1) % 2].view(i, cfg.batch_size, n))
            # The batch in chunks that stay in the CPU's cache; gradients accumulate.
            for start in range(0, cfg.batch_size, chunk):
                x = batch[:, :, start:start + chunk]                      # (i, n, chunk)
                pre, on = pre_buffer[:, :, : x.shape[2]], on_buffer[:, :, : x.shape[2]]
                if gram:
                    torch.baddbmm(b.unsqueeze(2), M, x, out=pre)          # pre = M x + b
                else:
                    torch.bmm(W, x, out=h)                                # h = W x
                    torch.baddbmm(b.unsqueeze(2), Wt, h, out=pre)         # pre = Wᵀ h + b
                torch.gt(pre, 0, out=on)
                pre.sub_(x)                                               # pre - x
                if logging:
                    err = torch.where(on > 0, pre, -x)                    # relu(pre) - x
                    loss += (err ** 2 * scale).sum((1, 2)) / 2
                pre.mul_(scale).mul_(on)                                  # dL/dpre
                b.grad.add_(pre.sum(2))                                   # dL/db
                if gram:
                    grad_M.baddbmm_(pre, x.transpose(1, 2))               # dL/dM += dL/dpre xᵀ
                else:
                    W.grad.baddbmm_(h, pre.transpose(1, 2))               # via pre = Wᵀ h
                    torch.bmm(W, pre, out=grad_h)                         # dL/dh = W dL/dpre
                    W.grad.baddbmm_(grad_h, x.transpose(1, 2))            # via h = W x
            if gram:  # M = Wᵀ W, so dL/dW = W (dL/dM + dL/dMᵀ)
                W.grad.baddbmm_(W, grad_M + grad_M.transpose(1, 2))
            if logging:
                losses.append(loss)
            optimizer.step()
    finally:
        torch.set_num_threads(threads)
        prefetch.shutdown()
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


def angles_around_circle(W: torch.Tensor) -> torch.Tensor:
    """Angles in degrees between neighbouring feature directions in a plane.

    W: (2, n_features) -> (n_features,): sort the directions by their polar angle
    and return the gaps between consecutive ones, the last wrapping around; they
    sum to 360. A regular pentagon gives five times 72.
    """
    polar = torch.rad2deg(torch.atan2(W[1], W[0])) % 360.0
    ordered = torch.sort(polar).values
    return torch.diff(ordered, append=ordered[:1] + 360.0)


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


# ---------------------------------------------------------------------------
# Graded questions of chapter 06.
# ---------------------------------------------------------------------------


def _batch_case(seed: int, batch: int, i: int, n: int) -> dict[str, torch.Tensor]:
    g = seeded(seed)
    return {"values": torch.rand(batch, i, n, generator=g),
            "coins": torch.rand(batch, i, n, generator=g),
            "feature_probability": torch.rand(i, generator=g)}


def _forward_case(seed: int, i: int, m: int, n: int, batch: int = 16) -> dict[str, torch.Tensor]:
    g = seeded(seed)
    return {"W": torch.randn(i, m, n, generator=g) * 0.6, "b": torch.randn(i, n, generator=g) * 0.2,
            "x": torch.rand(batch, i, n, generator=g)}


def _loss_case(seed: int, i: int, n: int, per_instance: bool, batch: int = 32) -> dict:
    g = seeded(seed)
    importance = torch.rand(i, n, generator=g) if per_instance else 0.9 ** torch.arange(float(n))
    x, x_hat = torch.rand(batch, i, n, generator=g), torch.rand(batch, i, n, generator=g)
    return {"x": x, "x_hat": x_hat, "importance": importance}


def _polygon(k: int, turn: float = 0.0, scale: float = 1.0) -> torch.Tensor:
    angles = torch.arange(k) * (2 * torch.pi / k) + turn
    return torch.stack([angles.cos(), angles.sin()]) * scale      # (2, k)


def _random_W(seed: int, *shape: int) -> dict[str, torch.Tensor]:
    return {"W": torch.randn(*shape, generator=seeded(seed))}


def _directions(seed: int, k: int) -> dict[str, torch.Tensor]:
    g = seeded(seed)
    angles = torch.rand(k, generator=g) * 2 * torch.pi
    lengths = 0.2 + torch.rand(k, generator=g)
    return {"W": torch.stack([angles.cos(), angles.sin()]) * lengths}


def _gaps_in_index_order(polar: torch.Tensor) -> torch.Tensor:
    return (torch.roll(polar, -1) - polar) % 360.0


def _phase_models(seed: int, n: int, k: int) -> dict[str, torch.Tensor]:
    """k models of n features in n - 1 dimensions: some drop, some dedicate, some share."""
    g = seeded(seed)
    models = []
    for j in range(k):
        W = torch.zeros(n - 1, n)
        W[:, :-1] = torch.eye(n - 1)
        kind = j % 3
        if kind == 1:    # the extra feature takes the last dimension, its owner is dropped
            W[:, -2] = 0.0
            W[-1, -1] = 1.0
        elif kind == 2:  # the extra feature shares the last dimension, antipodally
            W[-1, -1] = -1.0
        models.append(W + 0.02 * torch.randn(n - 1, n, generator=g))
    return {"W": torch.stack(models)}


register(Question(
    id="06.sparse_batch",
    title="a batch of sparse features",
    points=1,
    answer_name="sparse_batch",
    reference=sparse_batch,
    public_cases=lambda: [
        Case("batch 8, 3 instances, 5 features", _batch_case(1, 8, 3, 5)),
        Case("batch 16, 4 instances, 2 features", _batch_case(2, 16, 4, 2)),
        Case("batch 8, 4 instances, 4 features", _batch_case(3, 8, 4, 4)),
    ],
    hidden_cases=lambda seed: [
        Case("batch 64, 5 instances, 5 features", _batch_case(100 + seed, 64, 5, 5), hidden=True),
        Case("batch 3, 1 instance, 20 features", _batch_case(200 + seed, 3, 1, 20), hidden=True),
    ],
    mistakes=(
        Mistake("sparsity for density", "features are on when coin < p, the feature "
                "probability (1 - S); this switches them on with probability 1 - p.",
                lambda values, coins, feature_probability: torch.where(
                    coins >= feature_probability[:, None], values, torch.zeros_like(values))),
        Mistake("on/off instead of values", "this returns which features are on (1 or 0): "
                "return the feature's value where it is on.",
                lambda values, coins, feature_probability:
                (coins < feature_probability[:, None]).float()),
        Mistake("probability on the wrong axis", "the probability was broadcast over "
                "features, not instances: index it as feature_probability[:, None] so instance "
                "i uses p[i].", lambda values, coins, feature_probability: torch.where(
                    coins < feature_probability, values, torch.zeros_like(values))),
    ),
))

register(Question(
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
        Case("6 instances, 20 features in 4 dimensions", _forward_case(300 + seed, 6, 4, 20),
             hidden=True),
        Case("1 instance, 4 features in 4 dimensions", _forward_case(400 + seed, 1, 4, 4),
             hidden=True),
    ],
    mistakes=(
        Mistake("no ReLU", "the output can be negative: apply the ReLU after adding b.",
                lambda W, b, x: torch.einsum("imn,bim->bin", W, torch.einsum("imn,bin->bim", W, x))
                + b),
        Mistake("W vs Wᵀ", "this computes W Wᵀ x: h = W x maps features to hidden dimensions, "
                "then Wᵀ h maps back; check which index of W your einsum contracts.",
                lambda W, b, x: torch.relu(torch.einsum("inm,bim->bin", W,
                                                        torch.einsum("inm,bin->bim", W, x)) + b)),
        Mistake("bias after the ReLU", "the bias goes inside: ReLU(WᵀWx + b), not ReLU(WᵀWx) + b.",
                lambda W, b, x: torch.relu(torch.einsum("imn,bim->bin", W,
                                                        torch.einsum("imn,bin->bim", W, x))) + b),
    ),
))

register(Question(
    id="06.importance_weighted_loss",
    title="the importance-weighted loss",
    points=1,
    answer_name="importance_weighted_loss",
    reference=importance_weighted_loss,
    public_cases=lambda: [
        Case("3 instances, 4 features, one importance per instance",
             _loss_case(5, 3, 4, per_instance=True)),
        Case("2 instances, 5 features, importance 0.9^i", _loss_case(6, 2, 5, per_instance=False)),
    ],
    hidden_cases=lambda seed: [
        Case("7 instances, 3 features", _loss_case(500 + seed, 7, 3, per_instance=True),
             hidden=True),
    ],
    mistakes=(
        Mistake("importance not applied", "every feature counts the same here: multiply each "
                "squared error by its feature's importance.",
                lambda x, x_hat, importance: ((x - x_hat) ** 2).sum(-1).mean(0).sum()),
        Mistake("mean over instances", "this averages over instances: sum over them, so each "
                "model's loss drives its own parameters at full strength.",
                lambda x, x_hat, importance: (importance * (x - x_hat) ** 2).sum(-1).mean()),
        Mistake("mean over features", "this averages over features: sum over them.",
                lambda x, x_hat, importance:
                (importance * (x - x_hat) ** 2).mean(-1).mean(0).sum()),
    ),
))

register(Question(
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
    ],
    hidden_cases=lambda seed: [
        Case("random W (5 x 5)", _random_W(600 + seed, 5, 5), hidden=True),
        Case("10 models of 30 features in 4 dimensions", _random_W(700 + seed, 10, 4, 30),
             hidden=True),
    ],
    mistakes=(
        Mistake("rows for columns", "W's columns are the features (W has shape (n_hidden, "
                "n_features)); this treats its rows as features: W vs Wᵀ.",
                lambda W: feature_dimensionality(W.transpose(-1, -2))),
        Mistake("not normalised", "the denominator uses Ŵ_i, the unit vector of feature i: "
                "Σ_j (Ŵ_i · W_j)², not Σ_j (W_i · W_j)².",
                lambda W: (W ** 2).sum(-2) / ((W.transpose(-1, -2) @ W) ** 2).sum(-1)),
        Mistake("dot products not squared", "square each dot product before summing: "
                "Σ_j (Ŵ_i · W_j)².",
                lambda W: (W ** 2).sum(-2) / ((W / W.norm(dim=-2, keepdim=True)).transpose(-1, -2)
                                              @ W).sum(-1)),
    ),
))

register(Question(
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
        Case("a shuffled triangle, scaled", {"W": _polygon(3, 0.5, 2.0)[:, [2, 0, 1]]},
             hidden=True),
    ],
    mistakes=(
        Mistake("radians", "these are radians: the question asks for degrees "
                "(torch.rad2deg).", lambda W: torch.deg2rad(angles_around_circle(W))),
        Mistake("index order", "these are gaps between features in index order: sort the "
                "directions by their angle first, so you measure around the circle.",
                lambda W: _gaps_in_index_order(torch.rad2deg(torch.atan2(W[1], W[0])) % 360.0)),
    ),
))

register(Question(
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
    ],
    hidden_cases=lambda seed: [
        Case("9 models of 4 features in 3 dimensions", _phase_models(900 + seed, 4, 9),
             hidden=True),
    ],
    mistakes=(
        Mistake("interference ignored", "a represented extra feature is 'dedicated' only when "
                "no other feature leaks into its direction (interference < 0.1); otherwise it "
                "is in superposition.",
                lambda W: torch.where(feature_norms(W)[..., -1] < 0.5, NOT_REPRESENTED,
                                      SUPERPOSITION)),
        Mistake("first feature, not the extra one", "the extra feature is the last column of W, "
                "not the first.", lambda W: classify_extra_feature(W.flip(-1))),
    ),
))
