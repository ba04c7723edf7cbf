"""Chapter 05's claims: concepts are directions and neurons are axes; a rotation mixes
every concept into every neuron, yet projection still reads each concept exactly."""

import torch

from polysemantic.data import seeded
from polysemantic.directions import (
    concepts_per_neuron,
    neurons_per_concept,
    plane_directions,
    random_rotation,
    read_concepts,
)


def test_a_random_rotation_is_orthogonal_and_not_a_permutation():
    Q = random_rotation(8, seeded(0))
    assert torch.allclose(Q @ Q.T, torch.eye(8), atol=1e-5)
    assert (Q.abs() > 0.01).float().mean() > 0.9


def test_projection_reads_rotated_concepts_exactly():
    Q = random_rotation(6, seeded(1))
    concepts = torch.rand(100, 6, generator=seeded(2))
    activations = concepts @ Q.T  # concept i along column i of Q
    assert torch.allclose(read_concepts(activations, Q), concepts, atol=1e-5)


def test_reading_divides_by_each_directions_length():
    D = torch.tensor([[2.0, 0.0], [0.0, 0.5]])
    h = torch.tensor([[4.0, 1.0]])
    assert torch.allclose(read_concepts(h, D), torch.tensor([[4.0, 1.0]]))


def test_an_aligned_basis_has_one_concept_per_neuron_and_a_rotation_mixes_them():
    aligned = torch.eye(5)
    assert concepts_per_neuron(aligned, 0.1).tolist() == [1] * 5
    assert neurons_per_concept(aligned, 0.1).tolist() == [1] * 5
    rotated = random_rotation(5, seeded(3))
    assert float(concepts_per_neuron(rotated, 0.1).float().mean()) > 3
    assert float(neurons_per_concept(rotated, 0.1).float().mean()) > 3


def test_counts_look_at_size_not_sign():
    M = torch.tensor([[0.5, -0.5, 0.05], [0.0, 0.2, -0.3]])
    assert concepts_per_neuron(M, 0.1).tolist() == [2, 2]
    assert neurons_per_concept(M, 0.1).tolist() == [1, 2, 1]


def test_plane_directions_are_unit_and_never_opposite():
    D = plane_directions(6, 0.2)
    assert torch.allclose(D.norm(dim=0), torch.ones(6))
    cosines = D.T @ D
    assert float(cosines.min()) > -1 + 1e-3
