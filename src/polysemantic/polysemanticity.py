"""Chapter 02: polysemantic neurons in a real (tiny) language model.

Measurements of the units of a layer (the tiny LM's MLP neurons here, SAE
features in chapter 08) against the domains of the text that drives them:

- domain purity: the share of a unit's mean activation that goes to its top
  domain, chapter 01's monosemanticity score on a (unit × domain) response
  matrix; 1/n_domains for a unit that responds to every domain alike, 1 for one
  that responds to a single domain;
- domain spread of a unit's top-k contexts: a neuron "fires strongly in several
  unrelated domains" (Bricken et al. 2023, "Towards Monosemanticity", on
  academic citations, English dialogue, HTTP requests and Korean text) when its
  strongest activations come from several domains at once.
"""

from __future__ import annotations

import numpy as np
import torch

from polysemantic.language_model.corpus import Corpus, generate
from polysemantic.language_model.tiny_lm import (
    TRAIN_SEED,
    TinyLM,
    contexts_at,
    sample_positions,
)
from polysemantic.monosemanticity import monosemanticity_score
from polysemantic.viewer import ActivationAt


def mlp_activations(
    contexts: torch.Tensor, E: torch.Tensor, W_in: torch.Tensor, b_in: torch.Tensor
) -> torch.Tensor:
    """The tiny LM's neurons: ReLU(W_in · concat(E[b_1], ..., E[b_k]) + b_in).

    contexts: (N, k) byte values, E: (256, d_embed), W_in: (n_neurons, k·d_embed),
    b_in: (n_neurons,) -> (N, n_neurons).
    """
    e = E[contexts.long()].flatten(1)  # (N, k·d_embed): the k embeddings side by side
    return torch.relu(e @ W_in.T + b_in)  # (N, n_neurons)


def top_k_contexts(activations: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of the k largest activations, largest first. activations: (N,) -> (k,)."""
    return activations.topk(k).indices


def domain_means(activations: torch.Tensor, domains: torch.Tensor, n_domains: int) -> torch.Tensor:
    """Mean activation of every unit on every domain: (N, n_units), (N,) -> (n_units, n_domains)."""
    onehot = torch.nn.functional.one_hot(domains.long(), n_domains).to(activations.dtype)  # (N, d)
    return (activations.T @ onehot) / onehot.sum(0).clamp_min(1)


def domain_purity(activations: torch.Tensor, domains: torch.Tensor, n_domains: int) -> torch.Tensor:
    """Share of each unit's mean activation that goes to its top domain; 0 for a dead unit.

    activations: (N, n_units) non-negative, domains: (N,) in [0, n_domains) -> (n_units,).
    Means, not sums, so a domain with more text does not look more important.
    """
    return monosemanticity_score(domain_means(activations, domains, n_domains))


def top_domain_counts(
    activations: torch.Tensor, domains: torch.Tensor, n_domains: int, k: int
) -> torch.Tensor:
    """How many of each unit's k strongest contexts come from each domain.

    (N, n_units), (N,) -> (n_units, n_domains) integer counts summing to k per row.
    """
    top = activations.topk(k, dim=0).indices  # (k, n_units)
    return torch.nn.functional.one_hot(domains.long()[top], n_domains).sum(0)  # (n_units, d)


def top_domain_entropy(
    activations: torch.Tensor, domains: torch.Tensor, n_domains: int, k: int
) -> torch.Tensor:
    """Entropy (in nats) of the domains of each unit's k strongest contexts: (n_units,).

    0 when all k come from one domain, log(n_domains) when they are spread evenly.
    """
    p = top_domain_counts(activations, domains, n_domains, k).double() / k  # (n_units, d)
    return -(p * torch.log(p.clamp_min(1e-300))).sum(-1)


def most_polysemantic_neuron(
    activations: torch.Tensor, domains: torch.Tensor, n_domains: int, k: int
) -> torch.Tensor:
    """The unit whose k strongest contexts are spread most evenly over domains
    (highest top_domain_entropy); the lowest index among ties. -> a 0-d integer."""
    entropy = top_domain_entropy(activations, domains, n_domains, k)
    return torch.nonzero(entropy >= entropy.max() - 1e-9)[0, 0]


def every_position(corpus: Corpus) -> np.ndarray:
    """Every byte position inside a document, the first byte of the text aside: (N,)."""
    inside = np.flatnonzero(corpus.domain >= 0)
    return inside[inside > 0]


def planted_labels(corpus: Corpus, positions: np.ndarray) -> torch.Tensor:
    """Which planted features are present at each position: (N,) -> (N, n_planted) bool.

    Feature i is present at position t when byte t − 1, the byte the model has just
    read, ends its marker (the "@" of an address, the ":" of "doi:"). The viewer uses
    the same convention: it marks byte q with the activation at position q + 1.
    """
    return torch.from_numpy(np.ascontiguousarray(corpus.planted[:, positions - 1].T))


def top_share(activations: torch.Tensor, labels: torch.Tensor, top: float = 0.05) -> torch.Tensor:
    """On what share of each planted feature's positions is each unit in its own top `top`?

    A unit's top 5% are the positions where it is above its 95th percentile over all
    N positions. A unit blind to a feature scores about `top`; one that fires hard
    every time the feature is present scores 1.
    activations: (N, n_units), labels: (N, n_features) bool -> (n_units, n_features).
    """
    by_unit = activations.T.contiguous()  # (n_units, N)
    k = int(np.ceil((1 - top) * by_unit.shape[1]))
    percentile = by_unit.kthvalue(k, dim=1).values  # (n_units,)
    in_top = (by_unit > percentile[:, None]).to(activations.dtype)  # (n_units, N)
    return (in_top @ labels.to(activations.dtype)) / labels.sum(0).clamp_min(1)


ANSWERS = 0.5  # a unit answers to a feature when top_share is at least this


def most_answering_unit(share: torch.Tensor) -> torch.Tensor:
    """The unit that answers to the most planted features (top_share ≥ ANSWERS); among
    ties, the one with the highest top_share summed over them.

    share: (n_units, n_features), from top_share -> a 0-d integer.
    """
    answered = share >= ANSWERS
    count = answered.sum(1)  # (n_units,)
    total = (share * answered).sum(1)
    return torch.where(count == count.max(), total, -1.0).argmax()


def training_activations(model: TinyLM, n_positions: int = 100_000, seed: int = 0) -> torch.Tensor:
    """The neurons at random positions of the model's own training text: (n_positions, n_neurons).

    What chapter 08's sparse autoencoder learns from (the text it is judged on is held out).
    """
    corpus = generate(TRAIN_SEED, 300)
    return neuron_table(
        model, corpus, sample_positions(corpus, n_positions, np.random.default_rng(seed))
    )


def neuron_table(model: TinyLM, corpus: Corpus, positions: np.ndarray) -> torch.Tensor:
    """Activations of every neuron at every position: (N,) -> (N, n_neurons)."""
    with torch.no_grad():
        return model.neurons(contexts_at(corpus.text, positions, model.cfg.context))


def unit_activation_at(model: TinyLM, corpus: Corpus, unit: int, sae=None) -> ActivationAt:
    """For the viewer: byte positions (N,) -> the activation of one unit there, (N,).

    The unit is a neuron of the model or, with `sae` (chapter 08), one of its features.
    """

    def activation_at(positions: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            values = neuron_table(model, corpus, positions)  # (N, n_neurons)
            if sae is not None:
                return sae.features(values, [unit])[:, 0].numpy()  # that latent only
        return values[:, unit].numpy()

    return activation_at
