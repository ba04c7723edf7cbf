"""Chapter 08 on the language model: a sparse autoencoder on the MLP neurons, spliced
into the model in their place, and read against the planted features.

    hook = reconstruction(sae)                   # neurons -> the SAE's x̂ of them
    tiny_lm.read_text(model, text, fwd_hooks=[(NEURONS, hook)])
    cost = loss_recovered(model, sae, text)      # Bricken et al. 2023's cost measure
    f = latent_activations(sae, held.neurons)    # (N, n_latents), chunk by chunk
    table = detect_planted(f, held)              # chapter 02's F1 rule and its chance bar

The same hooks serve an ablation (`zero_ablation`) and, with TransformerLens's names,
carry over to GPT-2.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import torch

from polysemantic.language_model import tiny_lm
from polysemantic.language_model.transformer import Hook, OneLayerTransformer
from polysemantic.polysemanticity import (
    Detection,
    HeldOutReading,
    answers_to,
    best_threshold_detection,
    chance_f1,
    shifted_positives,
)
from polysemantic.sparse_autoencoders import LossRecovered, SAEConfig, SparseAutoencoder

CHAPTER_SAE = SAEConfig(
    n_latents=512, l1_coefficient=0.2, n_steps=1000, resample_every=250, resample_until=750
)  # chapter 08's SAE on the language model, which the feature browser shows too


def reconstruction(sae: SparseAutoencoder) -> Hook:
    """A hook that replaces the neurons (batch, pos, d_mlp) by the SAE's reconstruction."""

    def hook(post: torch.Tensor, _hook) -> torch.Tensor:
        return sae(post.reshape(-1, post.shape[-1]))[0].reshape(post.shape)

    return hook


def zero_ablation(post: torch.Tensor, _hook) -> torch.Tensor:
    """A hook that sets the neurons to zero: the MLP adds only its output bias."""
    return torch.zeros_like(post)


def loss_recovered(
    model: OneLayerTransformer, sae: SparseAutoencoder, text: np.ndarray
) -> LossRecovered:
    """Splice the SAE into the model in place of its neurons and measure what it costs.

    The cost measure of Bricken et al. 2023: the mean next-byte loss (bits) over every
    byte `read_text` predicts, with the neurons as they are, replaced by the SAE's
    x̂ = W_dec f(h) + b_dec, and zero-ablated. text: (n_bytes,) uint8.
    """
    neurons = tiny_lm.NEURONS

    def bits(hooks) -> float:
        return float(tiny_lm.read_text(model, text, fwd_hooks=hooks).bits.nanmean())

    return LossRecovered(
        bits([]), bits([(neurons, reconstruction(sae))]), bits([(neurons, zero_ablation)])
    )


def latent_activations(
    sae: SparseAutoencoder,
    neurons: torch.Tensor,
    chunk: int = 32_768,
    latents: list[int] | None = None,
) -> torch.Tensor:
    """The SAE's latents on every row: neurons (N, d_mlp) -> (N, n_latents), or only the
    listed `latents` (N, len(latents)), a chunk of rows at a time so that the encoder's
    intermediate values stay small."""
    with torch.no_grad():
        return torch.cat(
            [
                sae.features(neurons[lo : lo + chunk], latents)
                for lo in range(0, len(neurons), chunk)
            ]
        )


@dataclass(frozen=True)
class PlantedDetection:
    """Units (neurons or latents) read as detectors of the planted features, chapter 02's way."""

    detection: Detection  # every field (n_units, n_features)
    chance: torch.Tensor  # (n_features,) the F1 that chance reaches (the shifted-label control)
    answered: torch.Tensor  # (n_units, n_features) bool: F1 above chance, feature seen ≥ 5 times

    def best(self) -> torch.Tensor:
        """(n_features,) the best F1 any unit reaches on each feature."""
        return self.detection.f1.max(0).values

    def detected(self) -> torch.Tensor:
        """(n_features,) bool: some unit answers to the feature."""
        return self.answered.any(0)


def detect_planted(
    units: torch.Tensor | SparseAutoencoder, held: HeldOutReading, seed: int = 0, chunk: int = 512
) -> PlantedDetection:
    """F1 at the best threshold of every unit for every planted feature, with the shifted-label
    control that sets the chance bar (`polysemanticity.chance_f1`), spans aside as in chapter
    02. units: (N, n_units), rows aligned with held.positions; or an SAE, whose latents on
    held.neurons are read `chunk` latents at a time (a large dictionary's (N, n_latents)
    table would not fit in memory)."""
    points = held.without_spans()  # as in chapter 02: spans cost the most and are read apart
    counts = torch.tensor([len(rows) for rows in points])
    control_labels = shifted_positives(points, held.domains, seed)
    if isinstance(units, torch.Tensor):
        detection, control = best_threshold_detection(units, points, control_labels)
    else:
        n = units.W_dec.shape[1]  # latents
        parts = [
            best_threshold_detection(
                latent_activations(
                    units, held.neurons, latents=list(range(lo, min(lo + chunk, n)))
                ),
                points,
                control_labels,
            )
            for lo in range(0, n, chunk)
        ]
        detection, control = (_stacked([p[k] for p in parts]) for k in (0, 1))
    chance = chance_f1(control, counts)
    return PlantedDetection(detection, chance, answers_to(detection, chance, counts))


def _stacked(tables: list[Detection]) -> Detection:
    """Detection tables of consecutive groups of units, as one (units along dim 0)."""
    return Detection(*(torch.cat([getattr(t, f.name) for t in tables]) for f in fields(Detection)))


@dataclass(frozen=True)
class FamilySplit:
    """How a dictionary carries a planted family (a general feature) and its members (the
    specific ones under it): feature splitting (Bricken et al. 2023) is one latent for the
    family at a small dictionary size, and distinct latents for its members at a larger one."""

    family_latent: int  # the latent that detects the family best
    family_f1: float  # its F1 against the family
    family_latent_on_members: torch.Tensor  # (n_members,) that latent's F1 against each member
    member_latents: torch.Tensor  # (n_members,) the latent that detects each member best
    member_f1: torch.Tensor  # (n_members,) its F1

    @property
    def distinct(self) -> int:
        """How many different latents are the members' best: 1 when one latent carries all."""
        return len(set(self.member_latents.tolist()))


def family_split(detection: Detection, family: int, members: tuple[int, ...]) -> FamilySplit:
    """Read one family off a detection table (fields (n_latents, n_features)): the family's
    feature index and its members' (`planted.members_of`)."""
    f1 = detection.f1
    carrier = int(f1[:, family].argmax())
    members_ = list(members)
    best = f1[:, members_].max(0)
    return FamilySplit(
        carrier, float(f1[carrier, family]), f1[carrier, members_], best.indices, best.values
    )
