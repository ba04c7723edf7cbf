"""Chapter 02's measures: the tiny LM's neurons, domain purity, the planted features, and
the chapter's claims read off the committed model."""

import numpy as np
import pytest
import torch

from polysemantic.language_model import corpus, tiny_lm
from polysemantic.polysemanticity import (
    ANSWERS,
    domain_purity,
    every_position,
    mlp_activations,
    most_answering_unit,
    most_polysemantic_neuron,
    planted_labels,
    top_domain_counts,
    top_share,
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


def test_top_share_is_one_for_a_unit_that_fires_hard_on_the_feature_and_small_for_a_blind_one():
    g = torch.Generator().manual_seed(0)
    labels = torch.zeros(1000, 2, dtype=torch.bool)
    labels[::50, 0] = True  # 20 positions with feature 0, 2%
    labels[7::100, 1] = True  # 10 with feature 1
    noise = torch.rand(1000, generator=g)
    acts = torch.stack([noise + 5 * labels[:, 0], noise, noise + 5 * labels.any(1)], 1)
    share = top_share(acts, labels, top=0.05)  # (3 units, 2 features)
    assert share[0].tolist() == [1.0, 0.0]  # answers to feature 0 only
    assert share[1].max() < 0.3  # blind: only by chance in its top 5%
    assert share[2].tolist() == [1.0, 1.0]
    assert int(most_answering_unit(share)) == 2


def test_most_answering_unit_counts_features_first_then_adds_up_shares():
    share = torch.tensor([[0.9, 0.9, 0.0], [0.5, 0.5, 0.5], [1.0, 0.4, 0.4]])
    assert int(most_answering_unit(share)) == 1  # three features beat two stronger ones


def test_planted_labels_read_the_byte_just_read():
    text = corpus.generate(5, 10)
    positions = every_position(text)
    labels = planted_labels(text, positions)
    at = np.flatnonzero(labels[:, [p.name for p in corpus.PLANTED].index("email")].numpy())
    assert len(at) > 0 and (text.text[positions[at] - 1] == ord("@")).all()


@pytest.fixture(scope="module")
def chapter_02(lm_on_held_out):
    """What chapter 02 computes, from the committed model."""
    c = lm_on_held_out
    return {**c, "share": top_share(c["acts_every"], c["labels"])}


def test_the_committed_model_shows_what_chapter_02_says(chapter_02):
    """The page's claims, read off the committed model: the domain-spread neuron fires in
    every domain and widely; domain purity cannot tell one feature spread over domains
    from many; against the planted features, most neurons answer to none and most of the
    rest to one, 'doi:' and 'TODO' each drive more than a dozen neurons, 'ㅋ' none; the
    chosen neuron answers to 'doi:', 'TODO' and '€' (planted in different domains),
    fires on more than half of all positions, and peaks on none of them."""
    c = chapter_02
    names = [p.name for p in corpus.PLANTED]
    counts = top_domain_counts(c["acts"], c["domains"], 5, k=50)
    spread = int(most_polysemantic_neuron(c["acts"], c["domains"], 5, k=50))
    assert counts[spread].min() >= 5 and (c["acts"][:, spread] > 0).float().mean() > 0.3

    purity = domain_purity(c["acts"], c["domains"], 5)
    assert (purity < 0.35).float().mean() >= 0.8 and int((purity > 0.5).sum()) <= 5
    every_domain = torch.from_numpy(c["text"].domain[c["every"]])
    detector = domain_purity(c["labels"].float(), every_domain, 5)
    assert abs(float(detector[names.index("email")]) - float(purity.median())) < 0.05
    assert detector[names.index("doi")] == 1.0

    answered = c["share"] >= ANSWERS
    per_neuron = answered.sum(1)
    assert (per_neuron == 0).sum() > 64 and (per_neuron == 1).sum() > 4 * (per_neuron >= 2).sum()
    assert (
        answered[:, names.index("doi")].sum() > 12 and answered[:, names.index("todo")].sum() > 12
    )
    assert answered[:, names.index("laughter")].sum() == 0

    neuron = int(most_answering_unit(c["share"]))
    assert [names[i] for i in torch.nonzero(answered[neuron]).flatten()] == ["doi", "todo", "price"]
    assert (c["acts_every"][:, neuron] > 0).float().mean() > 0.5
    strongest = int(c["acts_every"][:, neuron].argmax())
    assert not c["labels"][strongest].any()  # its peak is on no planted feature
