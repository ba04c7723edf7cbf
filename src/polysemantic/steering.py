"""Chapter 08's steering: hold one latent (or one neuron) at a high value and let the model write.

Templeton et al. 2024 ("Scaling Monosemanticity") clamped a feature of Claude 3 Sonnet
that responds to the Golden Gate Bridge to ten times its largest value, and the model
brought the bridge into its answers. The same, on the course's language model:

    hook = clamp_latent(sae, latent, value)          # the neurons with one latent held fixed
    logp = next_byte_logprobs(model, windows, [(NEURONS, at_last_position(hook))])  # (n, 256)
    written = sample(model, prompts, 24, [(NEURONS, hook)], seed=0)   # (n, 24) bytes
    share_containing(written, b"@")                  # how often a pattern appears
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

from polysemantic.language_model.transformer import Hook, OneLayerTransformer
from polysemantic.sparse_autoencoders import SparseAutoencoder


def clamped_neurons(
    h: torch.Tensor,
    W_enc: torch.Tensor,
    b_enc: torch.Tensor,
    W_dec: torch.Tensor,
    b_dec: torch.Tensor,
    latent: int,
    value: float,
) -> torch.Tensor:
    """h with one latent of an L1 SAE held at `value`: h + (value − f_latent(h)) W_dec[:, latent],
    f_latent(h) = ReLU(W_enc[latent] · (h − b_dec) + b_enc[latent]). The neurons become what
    the SAE would rebuild with that latent at the value, plus the SAE's error, which is left
    as it was (Templeton et al. 2024). h: (n, d_in) in the SAE's units -> (n, d_in)."""
    f = torch.relu((h - b_dec) @ W_enc[latent] + b_enc[latent])  # (n,)
    return h + (value - f)[:, None] * W_dec[:, latent]


def clamp_latent(sae: SparseAutoencoder, latent: int, value: float) -> Hook:
    """A hook on the neurons (batch, pos, d_mlp) that holds one latent of an L1 SAE at `value`
    (`clamped_neurons`, in the neurons' own units). A TopK SAE's latents depend on each
    other, so holding one of them is not this edit."""
    if sae.k:
        raise ValueError("clamp_latent holds a latent of an L1 SAE, not of a TopK one")

    def hook(post: torch.Tensor, _hook) -> torch.Tensor:
        flat = post.reshape(-1, post.shape[-1]) / sae.scale  # (batch·pos, d_mlp) SAE units
        edited = clamped_neurons(flat, sae.W_enc, sae.b_enc, sae.W_dec, sae.b_dec, latent, value)
        return (edited * sae.scale).reshape(post.shape)

    return hook


def clamp_neuron(neuron: int, value: float) -> Hook:
    """A hook on the neurons (batch, pos, d_mlp) that holds one neuron at `value`."""

    def hook(post: torch.Tensor, _hook) -> torch.Tensor:
        post = post.clone()
        post[..., neuron] = value
        return post

    return hook


def at_last_position(hook: Hook) -> Hook:
    """The same edit, made only at the last position of every window: in a one-layer model
    the neurons at one position reach no other position's prediction, so this steers one
    byte and leaves the others exactly as they were."""

    def last_only(post: torch.Tensor, point) -> torch.Tensor:
        post = post.clone()
        post[:, -1:] = hook(post[:, -1:], point)
        return post

    return last_only


def next_byte_logprobs(
    model: OneLayerTransformer, windows: torch.Tensor, fwd_hooks: Iterable[tuple[str, Hook]] = ()
) -> torch.Tensor:
    """windows: (n, ≤ n_ctx) bytes -> (n, 256) log-probabilities of the byte after each."""
    with torch.no_grad(), model.hooks(list(fwd_hooks)):
        return torch.log_softmax(model(windows.long())[:, -1], dim=-1)


def sample(
    model: OneLayerTransformer,
    prompts: torch.Tensor,
    n_new: int,
    fwd_hooks: Iterable[tuple[str, Hook]] = (),
    temperature: float = 1.0,
    seed: int = 0,
) -> torch.Tensor:
    """Let the model write n_new bytes after each prompt, reading its last n_ctx bytes.

    prompts: (n, L) bytes -> (n, n_new) the bytes written, sampled at `temperature` from
    the model with the hooks attached (the same seed gives the same draws, so a clamped and
    an unclamped run differ only by the clamp).
    """
    generator = torch.Generator().manual_seed(seed)
    tokens = prompts.long()
    fwd_hooks = list(fwd_hooks)
    with torch.no_grad(), model.hooks(fwd_hooks):
        for _ in range(n_new):
            logits = model(tokens[:, -model.cfg.n_ctx :])[:, -1]  # (n, 256) the next byte
            probs = torch.softmax(logits / temperature, dim=-1)
            tokens = torch.cat([tokens, torch.multinomial(probs, 1, generator=generator)], 1)
    return tokens[:, prompts.shape[1] :]


def most_correlated_unit(units: torch.Tensor, rows: np.ndarray) -> int:
    """The unit whose activation correlates best with a feature's presence.
    units: (N, n_units); rows: where the feature is present -> a unit's index."""
    present = torch.zeros(len(units))
    present[torch.from_numpy(np.asarray(rows))] = 1.0  # (N,)
    centred = units - units.mean(0)  # (N, n_units)
    covariance = (centred * (present - present.mean())[:, None]).mean(0)  # (n_units,)
    return int((covariance / (units.std(0) * present.std()).clamp_min(1e-12)).argmax())


def share_containing(written: torch.Tensor, pattern: bytes) -> float:
    """The share of rows of `written` (n, n_new) bytes in which `pattern` occurs."""
    rows = [bytes(row.tolist()) for row in written.to(torch.uint8)]
    return float(np.mean([pattern in row for row in rows]))
