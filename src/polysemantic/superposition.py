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

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import torch
from torch import nn

from polysemantic import native_sampler
from polysemantic.data import seeded, sparse_features
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
    generator = seeded(cfg.seed)
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


def _chunk_size(n_instances: int, n_features: int, batch_size: int,
                target: int = 1_000_000) -> int:
    """Rows per chunk: about `target` feature values per chunk, dividing the batch."""
    chunk = batch_size
    while chunk % 2 == 0 and chunk * n_instances * n_features > target:
        chunk //= 2
    return chunk


def _through_gram(n_features: int, n_hidden: int) -> bool:
    """Whether the fast trainer goes through the Gram matrix M = Wᵀ W (n x n): two batched
    matmuls per chunk instead of five, cheaper when n <= 2m (the phase diagrams' sizes)."""
    return n_features <= 2 * n_hidden


def _n_groups(cfg: ToyModelConfig, values_per_group: int = 1_000_000, most: int = 8) -> int:
    """How many independent groups the instances train in: a power of two (so that 2, 4
    or 8 cores share them evenly), with about a million feature values per group and
    step or more, which hides Python's per-step cost. Fixed by the config alone, never
    by the machine, so every machine trains the same models."""
    values = cfg.n_instances * cfg.batch_size * cfg.n_features
    n = 1
    while 2 * n <= min(most, cfg.n_instances, values // values_per_group):
        n *= 2
    return n


class _FlatAdamW:
    """torch.optim.AdamW's update (Loshchilov & Hutter 2019) with its defaults, written
    out for one flat tensor: the same arithmetic in the same order (a test compares the
    two), without the per-call bookkeeping that costs more than the update on small models.
    """

    def __init__(self, params: torch.Tensor, lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2):
        self.params, self.lr, self.betas = params, lr, betas
        self.eps, self.weight_decay = eps, weight_decay
        self.exp_avg = torch.zeros_like(params)       # first moment
        self.exp_avg_sq = torch.zeros_like(params)    # second moment
        self.t = 0

    def step(self, grad: torch.Tensor) -> None:
        beta1, beta2 = self.betas
        self.t += 1
        self.params.mul_(1 - self.lr * self.weight_decay)                  # decoupled decay
        self.exp_avg.lerp_(grad, 1 - beta1)
        self.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step_size = self.lr / (1 - beta1 ** self.t)
        denom = (self.exp_avg_sq.sqrt() / (1 - beta2 ** self.t) ** 0.5).add_(self.eps)
        self.params.addcdiv_(self.exp_avg, denom, value=-step_size)


class _InstanceGroup:
    """Some of the instances, trained on their own: their own sparse-feature sampler,
    buffers and AdamW. Instances never interact, so training them in groups, in any
    order or at the same time, is exactly training them together.

    Every tensor here is (g, ...), g the number of instances in the group, sorted by
    non-increasing feature probability as the sampler needs.
    """

    def __init__(self, W: torch.Tensor, b: torch.Tensor, importance: torch.Tensor,
                 p: torch.Tensor, cfg: ToyModelConfig, generator: torch.Generator):
        g, m, n = W.shape
        # W, b and their gradients are views into one flat buffer each: one AdamW update
        # for the whole group.
        self.params, self.grad = torch.empty(g * m * n + g * n), torch.zeros(g * m * n + g * n)
        self.W, self.b = self.params[: g * m * n].view(g, m, n), self.params[g * m * n:].view(g, n)
        self.W.copy_(W)
        self.b.copy_(b)
        self.grad_W = self.grad[: g * m * n].view(g, m, n)
        self.grad_b = self.grad[g * m * n:].view(g, n)
        self.optimizer = _FlatAdamW(self.params, lr=cfg.lr)
        # dL/dpre = s ⊙ on ⊙ (pre − x) with s = 2 I / batch. s is constant over the batch,
        # so it is applied to the small (g, m, n) and (g, n) results, not to every value.
        self.s = importance * (2.0 / cfg.batch_size)            # (g, n)
        # The C sampler where a compiler is at hand, else numpy's (native_sampler.py).
        self.sampler = native_sampler.feature_sampler(g, cfg.batch_size, n, p, generator)
        # Features-major layout, (g, n, batch): each model's matmuls become
        # (m x n) @ (n x batch), which BLAS runs far faster than (batch x n) @ (n x m)
        # when n and m are tiny. The sampler's values are i.i.d., so reading its
        # (g, batch, n) buffer in this order changes nothing.
        self.batch = torch.empty(g, cfg.batch_size * n)
        self.chunk = _chunk_size(g, n, cfg.batch_size)
        self.gram = _through_gram(n, m)
        self.pre = torch.empty(g, n, self.chunk)                # Wᵀ W x + b
        self.diff = torch.empty(g, n, self.chunk)               # on ⊙ (pre − x)
        self.h = torch.empty(g, m, self.chunk)                  # W x
        self.grad_h = torch.empty(g, m, self.chunk)             # (W ⊙ s) diff
        # Σ over the batch of diff xᵀ (Gram path) or of h diffᵀ, before the scale s
        self.outer_sum = torch.empty(g, n, n) if self.gram else torch.empty(g, m, n)

    def step(self, logging: bool) -> torch.Tensor | None:
        """One AdamW step on a fresh batch; the loss per instance when `logging`."""
        W, b, s = self.W, self.b, self.s
        g, m, n = W.shape
        batch_size = self.batch.shape[1] // n
        batch = self.sampler.sample(self.batch.view(g, batch_size, n)).view(g, n, batch_size)
        self.grad.zero_()
        self.outer_sum.zero_()
        Wt = W.transpose(1, 2)                                          # (g, n, m)
        if self.gram:
            M = torch.bmm(Wt, W)                                        # (g, n, n)
        else:
            Ws = W * s.unsqueeze(1)                                     # (g, m, n): W diag(s)
        loss = torch.zeros(g) if logging else None
        # The batch in chunks that stay in the CPU's cache; gradients accumulate.
        for start in range(0, batch_size, self.chunk):
            x = batch[:, :, start:start + self.chunk]                   # (g, n, chunk)
            pre, diff = self.pre, self.diff                             # chunks divide the batch
            if self.gram:
                torch.baddbmm(b.unsqueeze(2), M, x, out=pre)            # pre = M x + b
            else:
                torch.bmm(W, x, out=self.h)                             # h = W x
                torch.baddbmm(b.unsqueeze(2), Wt, self.h, out=pre)      # pre = Wᵀ h + b
            torch.sub(pre, x, out=diff)
            torch.ops.aten.threshold_backward.grad_input(diff, pre, 0, grad_input=diff)
            #                                                              diff = on ⊙ (pre − x)
            if logging:  # relu(pre) − x is diff where on, −x where off
                err = torch.where(pre > 0, diff, -x)
                loss += (err ** 2).sum(2).mul_(s).sum(1) / 2
            self.grad_b.add_(diff.sum(2))                               # scaled by s below
            if self.gram:
                self.outer_sum.baddbmm_(diff, x.transpose(1, 2))        # Σ diff xᵀ
            else:
                self.outer_sum.baddbmm_(self.h, diff.transpose(1, 2))   # Σ h diffᵀ
                torch.bmm(Ws, diff, out=self.grad_h)                    # dL/dh = W dL/dpre
                self.grad_W.baddbmm_(self.grad_h, x.transpose(1, 2))    # via h = W x
        self.grad_b.mul_(s)                                             # dL/db
        if self.gram:  # dL/dM = s ⊙ Σ diff xᵀ (rows); M = Wᵀ W, so dL/dW = W (dL/dM + dL/dMᵀ)
            grad_M = self.outer_sum.mul_(s.unsqueeze(2))
            self.grad_W.baddbmm_(W, grad_M + grad_M.transpose(1, 2))
        else:          # via pre = Wᵀ h: (Σ h diffᵀ) diag(s)
            self.grad_W.addcmul_(self.outer_sum, s.unsqueeze(1))
        self.optimizer.step(self.grad)
        return loss


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
    - data: a sampler in C (`native_sampler`; numpy's where no C compiler is at
      hand) draws one random number per entry, or ~2·p per entry of a sparse
      instance, into a buffer allocated once;
    - forward and backward are written out by hand (a few batched matmuls and
      three element-wise passes, no autograd graph, no new tensors);
    - the batch is processed in chunks of about a million values, which stay in
      the CPU's cache through every element-wise pass;
    - with few features (n <= 2m) the forward goes through M = Wᵀ W: two batched
      matmuls per chunk instead of five;
    - the instances train in a few independent groups, one thread per core, each
      running single-threaded kernels (small matmuls gain nothing from splitting).
      The groups are fixed by the config, so the results do not depend on the
      number of cores.
    """
    importance = _per_instance(importance, cfg, "importance", cfg.n_features)      # (i, n)
    p = _per_instance(feature_probability, cfg, "feature_probability", 1)[:, 0]   # (i,)
    generator = seeded(cfg.seed)
    model = ToyModel(cfg, generator)
    # Groups of instances with similar work: sorted by feature probability, dealt out
    # in turn like cards; each group stays sorted, as its sampler needs.
    order = torch.argsort(p, descending=True, stable=True)
    n_groups = _n_groups(cfg)
    members = [order[k::n_groups] for k in range(n_groups)]
    groups = [_InstanceGroup(model.W.data[idx].contiguous(), model.b.data[idx].contiguous(),
                             importance[idx], p[idx], cfg, generator) for idx in members]
    threads = torch.get_num_threads()
    n_workers = min(threads, n_groups)
    logs: list[list[torch.Tensor]] = [[] for _ in groups]
    stop = threading.Event()   # set on an error or Ctrl-C: the other workers end their run

    def work(worker: int) -> None:
        steps = range(cfg.n_steps)
        try:
            for step in progress(steps, desc="training") if worker == 0 else steps:
                if stop.is_set():
                    return
                logging = bool(log_every) and step % log_every == 0
                for k in range(worker, n_groups, n_workers):
                    loss = groups[k].step(logging)
                    if logging:
                        logs[k].append(loss)
        except BaseException:
            stop.set()
            raise

    torch.set_num_threads(1)
    try:
        if n_workers == 1:
            work(0)
        else:
            with ThreadPoolExecutor(max_workers=n_workers) as pool:
                futures = [pool.submit(work, worker) for worker in range(n_workers)]
                try:
                    for future in futures:
                        future.result()                  # re-raises a worker's error
                except BaseException:
                    stop.set()
                    raise
    finally:
        torch.set_num_threads(threads)
    for idx, group in zip(members, groups, strict=True):
        model.W.data[idx] = group.W
        model.b.data[idx] = group.b
    log = torch.empty(len(logs[0]), cfg.n_instances)
    for idx, group_log in zip(members, logs, strict=True):
        if group_log:
            log[:, idx] = torch.stack(group_log)
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
