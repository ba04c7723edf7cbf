"""The offline feature browser (a page of the book): its data, and its HTML."""

import json
import re

import numpy as np
import torch

from polysemantic.feature_browser import _strongest_rows, browser_units, feature_browser
from polysemantic.language_model.corpus import generate
from polysemantic.language_model.transformer import OneLayerTransformer, TransformerConfig
from polysemantic.polysemanticity import HeldOutReading, every_position, present_at
from polysemantic.sae_language_model import detect_planted, latent_activations
from polysemantic.sparse_autoencoders import SparseAutoencoder


def _small():
    """A random model and SAE over a little generated text, read as chapter 02 reads it."""
    torch.manual_seed(0)
    lm = OneLayerTransformer(TransformerConfig(n_ctx=16, d_model=16, n_heads=2, d_mlp=24))
    text = generate(3, 4)
    positions = every_position(text)
    positions = positions[positions >= 8]
    g = torch.Generator().manual_seed(1)
    neurons = torch.relu(torch.randn(len(positions), 24, generator=g))  # (N, 24)
    row = np.full(len(text.text), -1)
    row[positions] = np.arange(len(positions))
    positives = [row[t][row[t] >= 0] for t in present_at(text)]
    domains = torch.from_numpy(text.domain[positions])
    held = HeldOutReading(text, positions, neurons, torch.zeros(len(positions)), domains, positives)
    sae = SparseAutoencoder(24, 10, g)
    latents = latent_activations(sae, neurons)
    return lm, sae, held, latents


def test_every_latent_then_every_neuron_with_its_strongest_contexts_and_best_match():
    lm, sae, held, latents = _small()
    by_latent, by_neuron = detect_planted(latents, held), detect_planted(held.neurons, held)
    units = browser_units(lm, sae, held, latents, by_latent, by_neuron)
    assert [u.key for u in units] == [f"L{i}" for i in range(10)] + [f"N{j}" for j in range(24)]
    neuron = units[10 + 3]
    values = held.neurons[:, 3].numpy()
    assert neuron.top == round(float(values.max()), 2)
    assert neuron.contexts[0].value == round(float(values.max()), 2)  # the strongest first
    for c in neuron.contexts:
        assert len(c.text) == len(c.levels) and 0 <= c.peak < len(c.text) and "\r" not in c.text
        assert c.levels[c.peak] >= "7"  # the peak is near the unit's strongest at the top
    best = int(by_neuron.detection.f1[3].argmax())
    assert neuron.f1 == round(float(by_neuron.detection.f1[3, best]), 2)
    assert neuron.bar == round(float(by_neuron.chance[best]), 2)
    answered = torch.nonzero(by_neuron.answered[3])[:, 0].tolist()
    assert len(neuron.answered) == min(8, len(answered))
    assert [f for _, f in neuron.answered] == sorted((f for _, f in neuron.answered), reverse=True)
    assert sum(neuron.histogram) == int((values > 0).sum())
    effect = (lm.blocks[0].mlp.W_out @ lm.unembed.W_U).detach()[3]  # (256,)
    assert neuron.logits[0][1] == round(float(effect.max()), 2)


def test_strongest_rows_keep_apart():
    values = np.array([0.0, 5.0, 4.9, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0])
    assert _strongest_rows(values, 3, apart=4) == [1, 10]  # 2 and 3 are too close to 1
    assert _strongest_rows(values, 2, apart=4) == [1, 10]
    assert _strongest_rows(np.zeros(5), 2) == []  # a dead unit has no contexts


def test_the_html_is_self_contained_and_its_data_cannot_close_the_script():
    lm, sae, held, latents = _small()
    units = browser_units(
        lm, sae, held, latents, detect_planted(latents, held), detect_planted(held.neurons, held)
    )
    units[0].contexts[0].text = "</script><img src=x onerror=alert(1)>"
    units[0].contexts[0].levels = "0" * len(units[0].contexts[0].text)
    markup = feature_browser(units)
    data = re.search(r'<script type="application/json">(.*?)</script>', markup, re.S).group(1)
    assert "</script" not in data and "<img" not in data
    assert json.loads(data)[0]["contexts"][0][1].startswith("</script>")  # kept, as data
    assert not re.search(r"(src|href)=\"?(https?:)?//", markup)  # nothing fetched
    assert markup.count('role="option"') == len(units)
    assert 'aria-label="units: use the arrow keys"' in markup and "<label for=" in markup


def test_the_browser_says_when_a_unit_has_no_planted_match():
    lm, sae, held, latents = _small()
    units = browser_units(
        lm, sae, held, latents, detect_planted(latents, held), detect_planted(held.neurons, held)
    )
    for u in units:
        u.answers = False
    assert feature_browser(units).count("no match above the bar") == len(units)
    units[0].answered = [("grant TOSITU", 0.5), ("email", 0.1)]
    assert "<span hidden> grant TOSITU email</span>" in feature_browser(units)  # searchable
