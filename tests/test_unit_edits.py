"""Chapter 08's edits and label-free reading of units: each measure against known answers."""

import numpy as np
import torch

from polysemantic.language_model.transformer import OneLayerTransformer, TransformerConfig
from polysemantic.steering import clamp_neuron
from polysemantic.unit_edits import (
    WINDOW,
    ablation_damage,
    bits_on,
    following_agreement,
    following_bytes,
)


def _model() -> OneLayerTransformer:
    torch.manual_seed(0)
    return OneLayerTransformer(TransformerConfig(n_ctx=WINDOW, d_model=16, n_heads=2, d_mlp=32))


def test_bits_on_a_byte_is_the_models_loss_on_it_after_the_window_before():
    model, text = _model(), np.random.default_rng(0).integers(0, 256, 200).astype(np.uint8)
    at = np.array([40, 77, 199])
    with torch.no_grad():
        logits = model(torch.from_numpy(text[at[1] - WINDOW : at[1]].astype(np.int64))[None])
    wanted = -torch.log_softmax(logits[0, -1], -1)[text[at[1]]] / np.log(2)
    assert torch.allclose(bits_on(model, text, at)[1], wanted, atol=1e-5)


def test_an_edit_that_changes_nothing_costs_nothing_and_a_real_one_costs_its_bytes():
    model, text = _model(), np.random.default_rng(1).integers(0, 256, 400).astype(np.uint8)
    target, elsewhere = np.arange(40, 80), np.arange(200, 260)
    same = ablation_damage(model, text, target, elsewhere, lambda post, _hook: post)
    assert same.target == 0.0 and same.elsewhere == 0.0
    loud = ablation_damage(model, text, target, elsewhere, clamp_neuron(3, 80.0))
    assert loud.target > 0.1 and loud.elsewhere > 0.1  # a huge neuron garbles every byte


def test_following_bytes_codes_the_next_bytes_and_repeats_the_last_at_the_end():
    text = np.frombuffer(b"abcdef", dtype=np.uint8)
    codes = following_bytes(text, np.array([0, 4, 5]), 2)
    assert codes.tolist() == [ord("a") * 256 + ord("b"), ord("e") * 256 + ord("f"),
                              ord("f") * 256 + ord("f")]  # fmt: skip


def test_agreement_is_one_for_a_unit_with_one_job_and_low_for_a_mixed_or_weak_one():
    rng = np.random.default_rng(2)
    text = rng.integers(0, 256, 5000).astype(np.uint8)
    text[1000:1003] = text[2000:2003] = text[3000:3003] = np.frombuffer(b"xyz", np.uint8)
    positions = np.arange(4990)
    units = torch.zeros(len(positions), 4)
    units[[1000, 2000, 3000], 0] = 1.0  # always before "xyz"
    units[rng.choice(4990, 40, replace=False), 1] = 1.0  # anywhere
    units[[1000, 2000, 3000], 2] = 1.0
    units[rng.choice(4990, 40, replace=False), 2] = 0.1  # weak firings elsewhere don't count
    agreement = following_agreement(units, following_bytes(text, positions, 3))
    assert agreement.share[0] == 1.0 and agreement.continuation(0, 3) == b"xyz"
    assert agreement.share[1] < 0.2 and agreement.firings[1] == 40
    assert agreement.share[2] == 1.0 and agreement.firings[2] == 3
    assert agreement.firings[3] == 0 and agreement.share[3] == 0.0  # never fires
