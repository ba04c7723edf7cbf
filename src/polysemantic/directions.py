"""Chapter 05: concepts are directions, neurons are axes.

A representation stores concept i along a direction d_i of activation space;
neuron j is the j-th coordinate axis. Rotate a clean, one-concept-per-neuron
representation by a random orthogonal matrix and every neuron mixes every
concept, while each concept is still read exactly by projecting onto its
direction. Only an element-wise nonlinearity (a ReLU) makes the neuron axes
special: a privileged basis (Elhage et al. 2022, §2 and "Privileged Basis").
"""

from __future__ import annotations

import torch


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
