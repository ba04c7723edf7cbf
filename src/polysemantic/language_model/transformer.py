"""A one-layer byte-level transformer whose MLP neurons chapters 02 and 08 study.

The model of Bricken et al. 2023 ("Towards Monosemanticity") at laptop size: bytes in,
one attention block and one ReLU MLP block writing into a residual stream, bytes out.

    x0   = W_E[tokens] + W_pos         (batch, pos, d_model)  hook_embed + hook_pos_embed
    x1   = x0 + Attn(x0)               causal, n_heads heads  blocks.0.hook_resid_mid
    post = ReLU(x1 @ W_in + b_in)      (batch, pos, d_mlp)    blocks.0.mlp.hook_post
    x2   = x1 + post @ W_out + b_out   (batch, pos, d_model)  blocks.0.hook_resid_post
    logits = x2 @ W_U + b_U            (batch, pos, 256)

There is no LayerNorm (TransformerLens's `normalization_type=None`), so a neuron's
effect on the logits is exactly linear: W_out[j] @ W_U. The parameters carry
TransformerLens's names and layouts (`blocks.0.mlp.W_in` is (d_model, d_mlp)), and
every activation passes a hook point with TransformerLens's name, so that
`run_with_cache` and `run_with_hooks` work as they do there, and what a learner
writes here carries over to GPT-2. The code follows
nanoGPT's `model.py` (Karpathy 2022) in spirit: one file, read top to bottom.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

Hook = Callable[[torch.Tensor, "HookPoint"], torch.Tensor | None]


@dataclass(frozen=True)
class TransformerConfig:
    n_ctx: int = 32  # bytes the model reads at once
    d_model: int = 64  # the residual stream
    n_heads: int = 4
    d_mlp: int = 256  # the neurons the chapters study
    d_vocab: int = 256  # bytes

    @property
    def d_head(self) -> int:
        return self.d_model // self.n_heads


class HookPoint(nn.Module):
    """The identity, with a name, through which hooks read or replace an activation."""

    def __init__(self) -> None:
        super().__init__()
        self.name = ""
        self.hooks: list[Hook] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for hook in self.hooks:
            out = hook(x, self)
            x = x if out is None else out
        return x


def _param(*shape: int, std: float | None = None) -> nn.Parameter:
    if std is None:
        return nn.Parameter(torch.zeros(*shape))
    return nn.Parameter(torch.randn(*shape) * std)


class Attention(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        h, d, dh = cfg.n_heads, cfg.d_model, cfg.d_head
        self.W_Q, self.W_K, self.W_V = (_param(h, d, dh, std=d**-0.5) for _ in range(3))
        self.W_O = _param(h, dh, d, std=(h * dh) ** -0.5)
        self.b_Q, self.b_K, self.b_V = _param(h, dh), _param(h, dh), _param(h, dh)
        self.b_O = _param(d)
        mask = torch.tril(torch.ones(cfg.n_ctx, cfg.n_ctx, dtype=torch.bool))
        self.register_buffer("mask", mask, persistent=False)
        self.hook_q, self.hook_k, self.hook_v = HookPoint(), HookPoint(), HookPoint()
        self.hook_pattern, self.hook_z = HookPoint(), HookPoint()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, pos, d_model) -> (batch, pos, d_model)."""
        q = self.hook_q(torch.einsum("bpd,hde->bphe", x, self.W_Q) + self.b_Q)  # (b, p, h, dh)
        k = self.hook_k(torch.einsum("bpd,hde->bphe", x, self.W_K) + self.b_K)
        v = self.hook_v(torch.einsum("bpd,hde->bphe", x, self.W_V) + self.b_V)
        scores = torch.einsum("bqhe,bkhe->bhqk", q, k) / math.sqrt(q.shape[-1])  # (b, h, q, k)
        n = x.shape[1]
        scores = scores.masked_fill(~self.mask[:n, :n], float("-inf"))
        pattern = self.hook_pattern(scores.softmax(-1))  # (b, h, q, k)
        z = self.hook_z(torch.einsum("bhqk,bkhe->bqhe", pattern, v))  # (b, q, h, dh)
        return torch.einsum("bqhe,hed->bqd", z, self.W_O) + self.b_O


class MLP(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.W_in = _param(cfg.d_model, cfg.d_mlp, std=cfg.d_model**-0.5)
        self.b_in = _param(cfg.d_mlp)
        self.W_out = _param(cfg.d_mlp, cfg.d_model, std=cfg.d_mlp**-0.5)
        self.b_out = _param(cfg.d_model)
        self.hook_pre, self.hook_post = HookPoint(), HookPoint()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, pos, d_model) -> (batch, pos, d_model), through d_mlp ReLU neurons."""
        pre = self.hook_pre(x @ self.W_in + self.b_in)  # (b, p, d_mlp)
        post = self.hook_post(torch.relu(pre))  # (b, p, d_mlp): the neurons
        return post @ self.W_out + self.b_out


class Block(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.attn, self.mlp = Attention(cfg), MLP(cfg)
        self.hook_resid_pre, self.hook_attn_out = HookPoint(), HookPoint()
        self.hook_resid_mid, self.hook_mlp_out = HookPoint(), HookPoint()
        self.hook_resid_post = HookPoint()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.hook_resid_pre(x)
        x = self.hook_resid_mid(x + self.hook_attn_out(self.attn(x)))
        return self.hook_resid_post(x + self.hook_mlp_out(self.mlp(x)))


class Embed(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.W_E = _param(cfg.d_vocab, cfg.d_model, std=1.0)


class PosEmbed(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.W_pos = _param(cfg.n_ctx, cfg.d_model, std=0.5)


class Unembed(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.W_U = _param(cfg.d_model, cfg.d_vocab, std=cfg.d_model**-0.5)
        self.b_U = _param(cfg.d_vocab)


class OneLayerTransformer(nn.Module):
    def __init__(self, cfg: TransformerConfig = TransformerConfig()):
        super().__init__()
        self.cfg = cfg
        self.embed, self.pos_embed = Embed(cfg), PosEmbed(cfg)
        self.hook_embed, self.hook_pos_embed = HookPoint(), HookPoint()
        self.blocks = nn.ModuleList([Block(cfg)])
        self.unembed = Unembed(cfg)
        for name, module in self.named_modules():
            if isinstance(module, HookPoint):
                module.name = name
        self.hook_dict = {m.name: m for m in self.modules() if isinstance(m, HookPoint)}

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens: (batch, pos) bytes, pos ≤ n_ctx -> logits (batch, pos, 256) of the next byte."""
        n = tokens.shape[-1]
        x = self.hook_embed(self.embed.W_E[tokens.long()])  # (b, p, d_model)
        x = x + self.hook_pos_embed(self.pos_embed.W_pos[:n])
        x = self.blocks[0](x)
        return x @ self.unembed.W_U + self.unembed.b_U  # (b, p, 256)

    @contextmanager
    def hooks(self, fwd_hooks: Iterable[tuple[str, Hook]]):
        """Attach (name, fn) hooks for the duration of a with-block; fn(activation, hook)
        returns a replacement activation or None to leave it as it is."""
        attached = []
        try:
            for name, fn in fwd_hooks:
                if name not in self.hook_dict:
                    raise KeyError(f"no hook point {name!r}; see model.hook_dict")
                self.hook_dict[name].hooks.append(fn)
                attached.append((name, fn))
            yield self
        finally:
            for name, fn in attached:
                self.hook_dict[name].hooks.remove(fn)

    def run_with_hooks(
        self, tokens: torch.Tensor, fwd_hooks: Iterable[tuple[str, Hook]] = ()
    ) -> torch.Tensor:
        """The logits with the hooks attached, as in TransformerLens."""
        with self.hooks(fwd_hooks):
            return self(tokens)

    def run_with_cache(
        self, tokens: torch.Tensor, names: Iterable[str] | None = None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The logits and a dict of activations by hook name (all of them, or `names`)."""
        cache: dict[str, torch.Tensor] = {}

        def keep(x: torch.Tensor, hook: HookPoint) -> None:
            cache[hook.name] = x.detach()

        wanted = self.hook_dict if names is None else list(names)
        with torch.no_grad():
            logits = self.run_with_hooks(tokens, [(name, keep) for name in wanted])
        return logits, cache
