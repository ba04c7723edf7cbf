"""Chapter 02's measures: the tiny LM's neurons, domain purity, the most polysemantic neuron."""

import pytest
import torch

from polysemantic.language_model import tiny_lm
from polysemantic.polysemanticity import (
    domain_purity,
    mlp_activations,
    most_polysemantic_neuron,
    top_domain_counts,
)


def test_mlp_activations_match_the_model():
    model = tiny_lm.load_lm()
    contexts = torch.randint(
        0,
        256,
        (50, model.cfg.context),
        dtype=torch.uint8,
        generator=torch.Generator().manual_seed(0),
    )
    got = mlp_activations(contexts, model.embed.weight, model.mlp_in.weight, model.mlp_in.bias)
    assert torch.allclose(got, model.neurons(contexts), atol=1e-5)


def test_purity_is_one_for_a_single_domain_unit_and_one_over_d_for_an_even_one():
    domains = torch.tensor([0, 0, 1, 1, 2, 2])
    acts = torch.tensor(
        [
            [1.0, 1.0, 0.0],
            [3.0, 1.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 1.0, 0.0],
        ]
    )
    assert domain_purity(acts, domains, 3).tolist() == pytest.approx([1.0, 1 / 3, 0.0])


def test_the_most_polysemantic_neuron_has_top_contexts_in_every_domain():
    domains = torch.arange(6) % 3  # 0 1 2 0 1 2
    acts = torch.stack(
        [
            torch.tensor([5.0, 1, 1, 4, 2, 2]),  # its top 2 are in domain 0 ...
            torch.tensor([5.0, 4, 3, 0, 0, 0]),
        ],
        dim=1,
    )  # ... in three domains
    assert top_domain_counts(acts, domains, 3, 2).tolist() == [[2, 0, 0], [1, 1, 0]]
    assert top_domain_counts(acts, domains, 3, 3)[1].tolist() == [1, 1, 1]
    assert int(most_polysemantic_neuron(acts, domains, 3, 3)) == 1
