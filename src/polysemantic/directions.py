"""Chapter 05: concepts are directions, neurons are axes.

A representation stores concept i along a direction d_i of activation space;
neuron j is the j-th coordinate axis. Rotate a clean, one-concept-per-neuron
representation by a random orthogonal matrix and every neuron mixes every
concept, while each concept is still read exactly by projecting onto its
direction. What makes the neuron axes special, a privileged basis, is anything
that treats coordinates one by one: a ReLU, an L1 penalty on the activations, or
an optimiser like Adam (Elhage et al. 2022, "Privileged Basis"; Elhage, Lasenby
and Olah 2023). `train_tied_autoencoders` varies each one.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from polysemantic.data import seeded, sparse_features
from polysemantic.progress import progress


def random_rotation(dim: int, generator: torch.Generator) -> torch.Tensor:
    """A uniformly random orthogonal matrix (dim, dim), via QR with the sign fixed."""
    q, r = torch.linalg.qr(torch.randn(dim, dim, generator=generator))
    return q * torch.sign(torch.diagonal(r))


def plane_directions(n_concepts: int, turn: float = 0.0) -> torch.Tensor:
    """n_concepts unit directions spread evenly over half the plane: (2, n_concepts).

    Half the plane, so no two concepts are opposite (both could be on at once).
    """
    angles = torch.arange(n_concepts) * (torch.pi / n_concepts) + turn
    return torch.stack([angles.cos(), angles.sin()])


def read_concepts(activations: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
    """Each concept's value: the projection onto its unit direction.

    activations: (batch, n_neurons); directions: (n_neurons, n_concepts), any
    length -> (batch, n_concepts).
    """
    return activations @ (directions / directions.norm(dim=0, keepdim=True))


def concepts_per_neuron(M: torch.Tensor, threshold: float) -> torch.Tensor:
    """How many concepts each neuron takes part in: |M[j, i]| > threshold.

    M: (n_neurons, n_concepts), concept i's direction in column i -> (n_neurons,).
    """
    return (M.abs() > threshold).sum(1)


def neurons_per_concept(M: torch.Tensor, threshold: float) -> torch.Tensor:
    """How many neurons each concept is spread over: |M[j, i]| > threshold.

    M: (n_neurons, n_concepts) -> (n_concepts,).
    """
    return (M.abs() > threshold).sum(0)


def find_directions(activations: torch.Tensor, n_concepts: int) -> torch.Tensor:
    """The concepts' directions, found from the activations alone: (n_neurons, n_concepts).

    Concepts are sparse: most inputs with anything on have a single concept on, and
    then the activation vector points exactly along that concept's direction. So the
    most frequent direction among the activations is a concept's; take it, set aside
    the inputs along it, and repeat. (Variance alone cannot do this: equal-variance
    concepts look the same in every rotation, so principal components return an
    arbitrary rotation of them. Sparsity breaks the tie: the idea behind the sparse
    dictionaries of chapter 08, Bricken et al. 2023.)

    activations: (batch, n_neurons), non-negative concept values times unit
    directions -> unit columns, in any order.
    """
    a = activations[activations.norm(dim=1) > 1e-6]  # (k, n_neurons): inputs with a concept on
    u = a / a.norm(dim=1, keepdim=True)  # (k, n_neurons), unit length
    close = (u @ u.T) > 0.999  # (k, k): the same direction
    left = torch.ones(len(u), dtype=torch.bool)  # (k,): inputs not yet assigned
    found = []
    for _ in range(n_concepts):
        votes = (close & left).sum(1) * left  # (k,): inputs along each input's direction
        group = close[votes.argmax()] & left  # (k,): the most frequent direction
        d = u[group].mean(0)  # (n_neurons,)
        found.append(d / d.norm())
        left &= ~group
    return torch.stack(found, 1)  # (n_neurons, n_concepts)


# ---------------------------------------------------------------------------
# What privileges a basis. A tied linear autoencoder, x̂ = Wᵀ W x, computes the
# same function for W and Q W (any rotation Q of the hidden space), and plain SGD
# from an isotropic start treats every rotation alike, so the hidden basis it ends
# in is a random one. Three ingredients each break that symmetry: a ReLU on the
# hidden layer (acts per axis), an L1 penalty on the activations (the L1 norm
# changes under rotation) and Adam (scales each parameter's step by its own
# gradient history; momentum alone, a running sum of gradients, is rotation-equivariant,
# so "momentum" and "rmsprop" separate Adam's two parts). Elhage et al. 2022,
# "Privileged Basis"; Elhage, Lasenby and Olah 2023 for Adam in the residual stream.
# ---------------------------------------------------------------------------


OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")


@dataclass(frozen=True)
class BasisConfig:
    n_features: int = 6
    n_neurons: int = 6  # as many as features: no superposition, only a choice of basis
    n_instances: int = 16  # one model per seed, trained in one run
    feature_probability: float = 0.2
    relu: bool = False  # h = ReLU(W x) instead of h = W x
    l1: float = 0.0  # penalty on Σ_j |h_j|
    # "sgd" and "momentum" (SGD with momentum 0.9) are rotation-equivariant; "rmsprop"
    # (per-coordinate steps, no momentum) and "adam" (both) are not
    optimizer: str = "sgd"
    lr: float | None = None  # None: 0.1 for SGD, 0.01 with momentum (the same step), 1e-2
    init_scale: float = 0.01  # small, so training decides the basis, not the draw
    n_steps: int = 1500
    batch_size: int = 256
    seed: int = 0


def train_tied_autoencoders(cfg: BasisConfig, start: torch.Tensor | None = None) -> torch.Tensor:
    """Train cfg.n_instances tied autoencoders x̂ = Wᵀ h, h = W x (or ReLU(W x)), on
    sparse features with loss ||x − x̂||² + l1·Σ|h|: returns W (n_instances, n_neurons,
    n_features), column i the direction feature i gets. `start` replaces the random
    starting W (same shape), to test how a run changes when its start is rotated."""
    g = seeded(cfg.seed)
    i, m, n = cfg.n_instances, cfg.n_neurons, cfg.n_features
    W = torch.randn(i, m, n, generator=g) * cfg.init_scale  # isotropic: no direction favoured
    W = torch.nn.Parameter(W if start is None else start.clone())
    if cfg.optimizer == "sgd":
        optimizer = torch.optim.SGD([W], lr=cfg.lr or 0.1)
    elif cfg.optimizer == "momentum":  # lr / (1 - momentum): the same long-run step as SGD
        optimizer = torch.optim.SGD([W], lr=cfg.lr or 0.01, momentum=0.9)
    elif cfg.optimizer == "rmsprop":  # Adam's per-coordinate step size without its momentum
        optimizer = torch.optim.RMSprop([W], lr=cfg.lr or 1e-2)
    elif cfg.optimizer == "adam":
        optimizer = torch.optim.Adam([W], lr=cfg.lr or 1e-2)
    else:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, not {cfg.optimizer!r}")
    for _ in progress(range(cfg.n_steps), desc="training"):
        x = sparse_features(
            cfg.batch_size, n, cfg.feature_probability, n_instances=i, generator=g
        )  # (batch, i, n)
        h = torch.einsum("imn,bin->bim", W, x)  # (batch, i, m)
        if cfg.relu:
            h = torch.relu(h)
        x_hat = torch.einsum("imn,bim->bin", W, h)  # (batch, i, n)
        loss = ((x - x_hat) ** 2).sum(-1).mean(0) + cfg.l1 * h.abs().sum(-1).mean(0)  # (i,)
        optimizer.zero_grad()
        loss.sum().backward()
        optimizer.step()
    return W.detach()


def top_axis_share(W: torch.Tensor) -> torch.Tensor:
    """How much of each feature's direction lies on its strongest neuron axis.

    W: (..., n_neurons, n_features) -> (..., n_features): max_j W[j, i]² / Σ_j W[j, i]².
    1 when feature i lies along one axis; 1/n_neurons when it is spread evenly.
    """
    squares = W**2
    return squares.max(-2).values / squares.sum(-2).clamp_min(1e-12)


def random_basis_share(n_neurons: int, n_draws: int, generator: torch.Generator) -> torch.Tensor:
    """top_axis_share of directions drawn uniformly at random: what a rotation-invariant
    training ends with. -> (n_draws,)."""
    return top_axis_share(torch.randn(n_neurons, n_draws, generator=generator))
