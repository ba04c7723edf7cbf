"""Chapter 07: what superposition breaks: reading, tracing, editing and verifying.

The experiments use chapter 01's ReLU autoencoder in its crowded setting (more
sparse features than hidden neurons), whose neurons are polysemantic, so the
neuron basis is privileged but does not line up with the features
(Elhage et al. 2022, §1 and "Superposition and interpretability").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from polysemantic.data import seeded, sparse_features
from polysemantic.monosemanticity import MonosemanticConfig, autoencoder_output, train_autoencoder

Edit = Callable[[torch.Tensor], torch.Tensor]

# The chapter's crowded model: 8 features, each on 10% of the time, in 4 ReLU neurons.
CROWDED = MonosemanticConfig(
    n_features=8, n_neurons=4, n_instances=1, feature_probability=0.1, n_steps=3000, seed=0
)


def train_crowded(
    cfg: MonosemanticConfig = CROWDED,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Train chapter 01's autoencoder crowded: W (4, 8), b_hidden (4,), b_out (8,)."""
    run = train_autoencoder(cfg)
    return tuple(p[0].detach() for p in (run.model.W, run.model.b_hidden, run.model.b_out))


def per_feature_error(
    W: torch.Tensor,
    b_hidden: torch.Tensor,
    b_out: torch.Tensor,
    x: torch.Tensor,
    edit: Edit | None = None,
) -> torch.Tensor:
    """Mean squared reconstruction error of each feature, (n_features,), with an optional
    `edit` applied to the hidden activations h = ReLU(W x + b_hidden)."""
    hidden = torch.relu if edit is None else (lambda pre: edit(torch.relu(pre)))
    return ((x - autoencoder_output(W, b_hidden, b_out, x, hidden)) ** 2).mean(0)


def ablation_damage(
    W: torch.Tensor,
    b_hidden: torch.Tensor,
    b_out: torch.Tensor,
    x: torch.Tensor,
    neuron: int,
    *,
    to_rest: bool = False,
) -> torch.Tensor:
    """How much each feature's error grows when one neuron's activation is set to 0, or,
    with `to_rest`, to its resting activation ReLU(b) (a "mean ablation" of sorts).

    Returns (n_features,): error with the neuron ablated minus error without.
    """
    value = torch.relu(b_hidden[neuron]) if to_rest else 0.0

    def ablate(h: torch.Tensor) -> torch.Tensor:
        h = h.clone()
        h[:, neuron] = value
        return h

    return per_feature_error(W, b_hidden, b_out, x, ablate) - per_feature_error(
        W, b_hidden, b_out, x
    )


def edit_out_feature(
    W: torch.Tensor, b_hidden: torch.Tensor, b_out: torch.Tensor, x: torch.Tensor, feature: int
) -> torch.Tensor:
    """How much each feature's error grows when feature `feature` is removed along its
    own direction: its contribution x_A W_A is taken out of the pre-activations.

    This needs the feature's value x_A, which the toy model gives us and a real
    model does not (chapter 08's dictionary is how to get it). Returns (n_features,).
    """

    def without_feature(pre: torch.Tensor) -> torch.Tensor:  # (batch, n_neurons)
        return torch.relu(pre - x[:, feature : feature + 1] * W[:, feature])

    x_hat = autoencoder_output(W, b_hidden, b_out, x, hidden=without_feature)
    return ((x - x_hat) ** 2).mean(0) - per_feature_error(W, b_hidden, b_out, x)


def remove_feature_from_activations(
    h: torch.Tensor, W: torch.Tensor, b_hidden: torch.Tensor, feature: int
) -> torch.Tensor:
    """Take one feature out of hidden activations, knowing only the weights.

    h: (batch, n_neurons) = ReLU(W x + b_hidden); W: (n_neurons, n_features) ->
    (batch, n_neurons). Measure each input's change from the resting activation
    ReLU(b_hidden) along the feature's direction û = W[:, feature] / |W[:, feature]|,
    and remove it where it points *up*: (h − rest) · û > 0. Upward only, because a
    feature stored as the opposite pattern (a drop on the same neurons) lives on the
    same line, below the resting point.
    """
    unit = W[:, feature] / W[:, feature].norm()  # (n_neurons,)
    along = torch.relu((h - torch.relu(b_hidden)) @ unit)  # (batch,)
    return h - along[:, None] * unit


def planted_activations(
    W: torch.Tensor,
    b_hidden: torch.Tensor,
    x: torch.Tensor,
    planted: torch.Tensor,
    direction: torch.Tensor,
    *,
    before_relu: bool = False,
) -> torch.Tensor:
    """Hidden activations with one extra feature written along `direction`.

    x: (batch, n_features); planted: (batch,) the extra feature's values; direction:
    (n_neurons,), its length the feature's strength. Returns (batch, n_neurons):
    ReLU(W x + b_hidden + planted · direction), or with `before_relu` what goes in.
    """
    pre = x @ W.T + b_hidden + planted[:, None] * direction  # (batch, n_neurons)
    return pre if before_relu else torch.relu(pre)


@dataclass
class Audit:
    """The chapter's verification set-up: inputs, a planted feature and its direction."""

    x: torch.Tensor  # (batch, n_features) the ordinary features
    dangerous: torch.Tensor  # (batch,) 1.0 where the planted feature is on
    direction: torch.Tensor  # (n_neurons,) where it is written; its length is its strength
    h: torch.Tensor  # (batch, n_neurons) the hidden activations with it planted


def plant_dangerous_feature(
    W: torch.Tensor,
    b_hidden: torch.Tensor,
    n_inputs: int = 5000,
    share: float = 0.3,
    strength: float = 0.6,
    seed: int = 2,
) -> Audit:
    """Plant a "dangerous" feature, on in `share` of the inputs (value 1), along a random
    direction of the hidden space (drawn, like the inputs, from `seed`), of length
    `strength`. The direction is not chosen to line up with any feature's."""
    generator = seeded(seed)
    x = sparse_features(n_inputs, W.shape[1], 0.1, generator=generator)
    dangerous = (torch.rand(n_inputs, generator=generator) < share).float()
    direction = torch.randn(W.shape[0], generator=generator)
    direction = strength * direction / direction.norm()
    return Audit(x, dangerous, direction, planted_activations(W, b_hidden, x, dangerous, direction))


def cosines_with_features(W: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    """cos(direction, W[:, i]) for every feature i: W (n_neurons, n_features),
    direction (n_neurons,) -> (n_features,)."""
    return (direction / direction.norm()) @ (W / W.norm(dim=0, keepdim=True))


def remove_direction(h: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    """Project activations off one direction: h - (h · û) û.

    h: (batch, n_neurons); direction: (n_neurons,), any length -> (batch, n_neurons).
    """
    unit = direction / direction.norm()
    return h - (h @ unit)[:, None] * unit


def probe_accuracy(activations: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Fit a least-squares linear probe with a bias, y ≈ A w + c, and return the
    share of examples where (A w + c > 0.5) equals the 0/1 label: a scalar.

    activations: (batch, n_neurons); labels: (batch,) of 0.0 and 1.0.
    """
    return _least_squares_probe(activations, labels, bias=True, threshold=0.5)


def _least_squares_probe(
    activations: torch.Tensor, labels: torch.Tensor, *, bias: bool, threshold: float
) -> torch.Tensor:
    A = activations.double()
    if bias:
        A = torch.cat([A, torch.ones(len(A), 1, dtype=A.dtype)], dim=1)
    solution = torch.linalg.lstsq(A, labels.double()[:, None]).solution
    return (((A @ solution)[:, 0] > threshold) == labels.bool()).double().mean()
