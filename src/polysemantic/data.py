"""Synthetic sparse features, the raw material of the toy models.

Each feature is independently zero with probability 1 - p (p is the feature
probability, 1 - S in Elhage et al. 2022, "Toy Models of Superposition") and
otherwise uniform on [0, 1].
"""

from __future__ import annotations

import torch


def sparse_features(
    n_batch: int,
    n_features: int,
    feature_probability: float | torch.Tensor,
    *,
    n_instances: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """A batch of sparse non-negative features.

    Returns shape (n_batch, n_features), or (n_batch, n_instances, n_features)
    when n_instances is given; then feature_probability may be a tensor of
    shape (n_instances,) or (n_instances, n_features), one per model instance.
    """
    shape = (n_batch, n_features) if n_instances is None else (n_batch, n_instances, n_features)
    p = torch.as_tensor(feature_probability, dtype=torch.float32)
    if n_instances is not None and p.ndim == 1:
        p = p[:, None]  # (n_instances, 1): the same probability for every feature
    values = torch.rand(shape, generator=generator)
    active = torch.rand(shape, generator=generator) < p
    return values * active
