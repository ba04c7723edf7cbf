"""Chapter 08's last test: chapter 07's problems on the language model, neurons against latents.

Edit: switch one unit off (a neuron set to 0, or a latent set to 0 with the SAE's error
left as it was) and measure the extra loss on the bytes a planted feature predicts and on
the other bytes. Find without labels: how alike are the bytes that follow a unit's
strongest firings, a reading that needs no answer key.

    damage = ablation_damage(model, text, target, elsewhere, clamp_latent(sae, i, 0.0))
    damage.target, damage.elsewhere          # extra bits per byte
    agreement = following_agreement(f, following_bytes(text, positions, 3))  # (n_latents,)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from polysemantic.language_model.tiny_lm import NEURONS
from polysemantic.language_model.transformer import Hook, OneLayerTransformer
from polysemantic.steering import at_last_position, next_byte_logprobs

WINDOW = 32  # bytes read before each predicted byte, as the steering section reads them


def bits_on(
    model: OneLayerTransformer, text: np.ndarray, at: np.ndarray, hook: Hook | None = None
) -> torch.Tensor:
    """The loss (bits) on byte t, read from the WINDOW bytes before it, for each t in `at`,
    with `hook` editing the neurons at the predicting position. at: (n,) -> (n,)."""
    at = np.asarray(at)
    windows = torch.from_numpy(np.stack([text[t - WINDOW : t] for t in at]).astype(np.int64))
    truth = torch.from_numpy(text[at].astype(np.int64))  # (n,)
    hooks = [] if hook is None else [(NEURONS, at_last_position(hook))]
    logp = next_byte_logprobs(model, windows, hooks)  # (n, 256)
    return -logp.gather(1, truth[:, None])[:, 0] / np.log(2)


@dataclass(frozen=True)
class Damage:
    """Extra loss (bits per byte) that an edit costs, on the target bytes and elsewhere."""

    target: float
    elsewhere: float


def ablation_damage(
    model: OneLayerTransformer,
    text: np.ndarray,
    target: np.ndarray,
    elsewhere: np.ndarray,
    hook: Hook,
) -> Damage:
    """Mean extra bits with `hook` on the bytes at `target` and at `elsewhere` (byte positions,
    each at least WINDOW into the text). A one-layer model's neurons at one position reach
    only that position's prediction, so each byte's loss moves by its own edit alone."""
    extra = [float((bits_on(model, text, at, hook) - bits_on(model, text, at)).mean())
             for at in (target, elsewhere)]  # fmt: skip
    return Damage(*extra)


def following_bytes(text: np.ndarray, positions: np.ndarray, n: int) -> np.ndarray:
    """The n bytes from each position on (the byte predicted there and the next n - 1), as
    one integer per position: (N,) int64. Past the end of the text the last byte repeats."""
    at = np.minimum(np.asarray(positions)[:, None] + np.arange(n), len(text) - 1)  # (N, n)
    return (text[at].astype(np.int64) << (8 * np.arange(n - 1, -1, -1))).sum(1)


@dataclass(frozen=True)
class Agreement:
    """What follows each unit's strong firings: (n_units,) each."""

    share: torch.Tensor  # the share of its strong firings that the commonest continuation follows
    firings: torch.Tensor  # how many strong firings it has (0: it never fires)
    commonest: np.ndarray  # that continuation, as following_bytes codes it

    def continuation(self, unit: int, n: int) -> bytes:
        """The commonest continuation of `unit`, n bytes."""
        return int(self.commonest[unit]).to_bytes(n, "big")


def following_agreement(
    units: torch.Tensor, following: np.ndarray, strong: float = 0.5
) -> Agreement:
    """For each unit, how alike the continuations of its strong firings (at least `strong`
    times its largest value) are. No labels are read: a unit whose strong firings all
    predict the same bytes does one job there, whatever it is. units: (N, n_units);
    following: (N,) from following_bytes."""
    n_units = units.shape[1]
    share, firings = torch.zeros(n_units), torch.zeros(n_units, dtype=torch.long)
    commonest = np.zeros(n_units, dtype=np.int64)
    for u in range(n_units):
        column = units[:, u]
        largest = float(column.max())
        if largest <= 0:
            continue  # a unit that never fires has no continuation
        rows = torch.nonzero(column >= strong * largest).flatten().numpy()
        codes, counts = np.unique(following[rows], return_counts=True)
        share[u], firings[u] = counts.max() / len(rows), len(rows)
        commonest[u] = codes[counts.argmax()]
    return Agreement(share, firings, commonest)
