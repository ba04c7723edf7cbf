"""AdamW written out for one flat tensor, for the toy-model trainer.

torch.optim.AdamW spends more time on per-call bookkeeping than on the update
when the model is a few thousand numbers; this does the same arithmetic in the
same order (tests/test_superposition.py compares the two).
"""

from __future__ import annotations

import torch


class FlatAdamW:
    """torch.optim.AdamW's update (Loshchilov & Hutter 2019) with its defaults, written
    out for one flat tensor: the same arithmetic in the same order (a test compares the
    two), without the per-call bookkeeping that costs more than the update on small models.
    """

    def __init__(
        self,
        params: torch.Tensor,
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ):
        self.params, self.lr, self.betas = params, lr, betas
        self.eps, self.weight_decay = eps, weight_decay
        self.exp_avg = torch.zeros_like(params)  # first moment
        self.exp_avg_sq = torch.zeros_like(params)  # second moment
        self.t = 0

    def step(self, grad: torch.Tensor) -> None:
        beta1, beta2 = self.betas
        self.t += 1
        self.params.mul_(1 - self.lr * self.weight_decay)  # decoupled decay
        self.exp_avg.lerp_(grad, 1 - beta1)
        self.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step_size = self.lr / (1 - beta1**self.t)
        denom = (self.exp_avg_sq.sqrt() / (1 - beta2**self.t) ** 0.5).add_(self.eps)
        self.params.addcdiv_(self.exp_avg, denom, value=-step_size)
