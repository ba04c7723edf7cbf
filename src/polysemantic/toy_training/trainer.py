"""The fast toy-model trainer: the training of `superposition.train_toy_model_simple`,
several times faster on a CPU (benchmarks/train_speed.py measures it).

Everything here serves speed: a written-out backward pass, chunks that stay in
the CPU's cache, the Gram-matrix path for few features, instances trained in
independent groups on worker threads, and the samplers of numpy_sampler.py and
native_sampler.py. The model and what it computes are superposition.py's.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import torch

from polysemantic.data import per_instance, seeded
from polysemantic.progress import progress
from polysemantic.superposition import ToyModel, ToyModelConfig
from polysemantic.toy_training.adamw import FlatAdamW
from polysemantic.toy_training.native_sampler import feature_sampler


def _chunk_size(n_instances: int, n_features: int, batch_size: int, target: int = 1_000_000) -> int:
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


class _InstanceGroup:
    """Some of the instances, trained on their own: their own sparse-feature sampler,
    buffers and AdamW. Instances never interact, so training them in groups, in any
    order or at the same time, is exactly training them together.

    Every tensor here is (g, ...), g the number of instances in the group, sorted by
    non-increasing feature probability as the sampler needs.
    """

    def __init__(
        self,
        W: torch.Tensor,
        b: torch.Tensor,
        importance: torch.Tensor,
        p: torch.Tensor,
        cfg: ToyModelConfig,
        generator: torch.Generator,
    ):
        g, m, n = W.shape
        # W, b and their gradients are views into one flat buffer each: one AdamW update
        # for the whole group.
        self.params, self.grad = torch.empty(g * m * n + g * n), torch.zeros(g * m * n + g * n)
        self.W, self.b = self.params[: g * m * n].view(g, m, n), self.params[g * m * n :].view(g, n)
        self.W.copy_(W)
        self.b.copy_(b)
        self.grad_W = self.grad[: g * m * n].view(g, m, n)
        self.grad_b = self.grad[g * m * n :].view(g, n)
        self.optimizer = FlatAdamW(self.params, lr=cfg.lr)
        # dL/dpre = s ⊙ on ⊙ (pre − x) with s = 2 I / batch. s is constant over the batch,
        # so it is applied to the small (g, m, n) and (g, n) results, not to every value.
        self.s = importance * (2.0 / cfg.batch_size)  # (g, n)
        # The C sampler where a compiler is at hand, else numpy's (native_sampler.py).
        self.sampler = feature_sampler(g, cfg.batch_size, n, p, generator)
        # Features-major layout, (g, n, batch): each model's matmuls become
        # (m x n) @ (n x batch), which BLAS runs far faster than (batch x n) @ (n x m)
        # when n and m are tiny. The sampler's values are i.i.d., so reading its
        # (g, batch, n) buffer in this order changes nothing.
        self.batch = torch.empty(g, cfg.batch_size * n)
        self.chunk = _chunk_size(g, n, cfg.batch_size)
        self.gram = _through_gram(n, m)
        self.pre = torch.empty(g, n, self.chunk)  # Wᵀ W x + b
        self.diff = torch.empty(g, n, self.chunk)  # on ⊙ (pre − x)
        self.h = torch.empty(g, m, self.chunk)  # W x
        self.grad_h = torch.empty(g, m, self.chunk)  # (W ⊙ s) diff
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
        Wt = W.transpose(1, 2)  # (g, n, m)
        if self.gram:
            M = torch.bmm(Wt, W)  # (g, n, n)
        else:
            Ws = W * s.unsqueeze(1)  # (g, m, n): W diag(s)
        loss = torch.zeros(g) if logging else None
        # The batch in chunks that stay in the CPU's cache; gradients accumulate.
        for start in range(0, batch_size, self.chunk):
            x = batch[:, :, start : start + self.chunk]  # (g, n, chunk)
            pre, diff = self.pre, self.diff  # chunks divide the batch
            if self.gram:
                torch.baddbmm(b.unsqueeze(2), M, x, out=pre)  # pre = M x + b
            else:
                torch.bmm(W, x, out=self.h)  # h = W x
                torch.baddbmm(b.unsqueeze(2), Wt, self.h, out=pre)  # pre = Wᵀ h + b
            torch.sub(pre, x, out=diff)
            torch.ops.aten.threshold_backward.grad_input(diff, pre, 0, grad_input=diff)
            #                                                              diff = on ⊙ (pre − x)
            if logging:  # relu(pre) − x is diff where on, −x where off
                err = torch.where(pre > 0, diff, -x)
                loss += (err**2).sum(2).mul_(s).sum(1) / 2
            self.grad_b.add_(diff.sum(2))  # scaled by s below
            if self.gram:
                self.outer_sum.baddbmm_(diff, x.transpose(1, 2))  # Σ diff xᵀ
            else:
                self.outer_sum.baddbmm_(self.h, diff.transpose(1, 2))  # Σ h diffᵀ
                torch.bmm(Ws, diff, out=self.grad_h)  # dL/dh = W dL/dpre
                self.grad_W.baddbmm_(self.grad_h, x.transpose(1, 2))  # via h = W x
        self.grad_b.mul_(s)  # dL/db
        if self.gram:  # dL/dM = s ⊙ Σ diff xᵀ (rows); M = Wᵀ W, so dL/dW = W (dL/dM + dL/dMᵀ)
            grad_M = self.outer_sum.mul_(s.unsqueeze(2))
            self.grad_W.baddbmm_(W, grad_M + grad_M.transpose(1, 2))
        else:  # via pre = Wᵀ h: (Σ h diffᵀ) diag(s)
            self.grad_W.addcmul_(self.outer_sum, s.unsqueeze(1))
        self.optimizer.step(self.grad)
        return loss


@torch.no_grad()
def train_toy_model(
    cfg: ToyModelConfig,
    importance: torch.Tensor | float,
    feature_probability: torch.Tensor | float,
    log_every: int = 0,
) -> tuple[ToyModel, torch.Tensor]:
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
    if cfg.relu_hidden:
        raise ValueError(
            "train_toy_model trains the model without a hidden ReLU; train the relu_hidden "
            "model with superposition.train_toy_model_simple"
        )
    importance = per_instance(importance, cfg.n_instances, cfg.n_features, "importance")  # (i, n)
    p = per_instance(feature_probability, cfg.n_instances, 1, "feature_probability")[:, 0]  # (i,)
    generator = seeded(cfg.seed)
    model = ToyModel(cfg, generator)
    # Groups of instances with similar work: sorted by feature probability, dealt out
    # in turn like cards; each group stays sorted, as its sampler needs.
    order = torch.argsort(p, descending=True, stable=True)
    n_groups = _n_groups(cfg)
    members = [order[k::n_groups] for k in range(n_groups)]
    groups = [
        _InstanceGroup(
            model.W.data[idx].contiguous(),
            model.b.data[idx].contiguous(),
            importance[idx],
            p[idx],
            cfg,
            generator,
        )
        for idx in members
    ]
    threads = torch.get_num_threads()
    n_workers = min(threads, n_groups)
    logs: list[list[torch.Tensor]] = [[] for _ in groups]
    stop = threading.Event()  # set on an error or Ctrl-C: the other workers end their run

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
                        future.result()  # re-raises a worker's error
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
