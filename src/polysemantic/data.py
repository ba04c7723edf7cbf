"""Synthetic sparse features, the raw material of the toy models.

Each feature is independently zero with probability 1 - p (p is the feature
probability, 1 - S in Elhage et al. 2022, "Toy Models of Superposition") and
otherwise uniform on [0, 1].
"""

from __future__ import annotations

import torch


def seeded(seed: int) -> torch.Generator:
    """A fresh CPU generator with a fixed seed (graded cases are built from these)."""
    return torch.Generator().manual_seed(seed)


def per_instance(
    value: torch.Tensor | float,
    n_instances: int,
    width: int,
    name: str,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """A setting broadcast to one row per model instance: (n_instances, width).

    `value` may be a number, (n_instances,) (one per instance), (width,) (the same
    row for every instance; this reading wins when n_instances == width) or
    (n_instances, width). Any other shape is a ValueError that names the shapes.
    """
    t = torch.as_tensor(value, dtype=dtype)
    try:
        if t.ndim == 1 and t.shape[0] == n_instances and width != n_instances:
            t = t[:, None]
        return t.expand(n_instances, width).contiguous()
    except RuntimeError:
        raise ValueError(
            f"{name} must be a number, shape ({width},), ({n_instances},) or "
            f"({n_instances}, {width}); got shape {tuple(t.shape)}"
        ) from None


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
    if n_instances is not None:  # (n_instances, 1): one per instance, or per feature too
        p = per_instance(p, n_instances, 1 if p.ndim < 2 else n_features, "feature_probability")
    values = torch.rand(shape, generator=generator)
    active = torch.rand(shape, generator=generator) < p
    return values * active
