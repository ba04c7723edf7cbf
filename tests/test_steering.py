"""Steering (chapter 08): clamping a latent or a neuron, one position or all, and sampling."""

import numpy as np
import torch

from polysemantic.language_model.transformer import OneLayerTransformer, TransformerConfig
from polysemantic.sparse_autoencoders import SparseAutoencoder
from polysemantic.steering import (
    at_last_position,
    clamp_latent,
    clamp_neuron,
    most_correlated_unit,
    next_byte_logprobs,
    sample,
    share_containing,
)

NEURONS = "blocks.0.mlp.hook_post"


def _model() -> OneLayerTransformer:
    torch.manual_seed(0)
    return OneLayerTransformer(TransformerConfig(n_ctx=8, d_model=16, n_heads=2, d_mlp=32))


def test_clamping_a_latent_is_the_reconstruction_with_that_latent_set_plus_the_error():
    """h' = x̂(f with f_latent := value) + (h − x̂(f)): the neurons as the SAE would rebuild
    them with the latent held at the value, and the SAE's error kept as it was."""
    sae = SparseAutoencoder(32, 64, torch.Generator().manual_seed(1))
    sae.scale.fill_(1.7)
    h = torch.relu(torch.randn(15, 32, generator=torch.Generator().manual_seed(2)))
    with torch.no_grad():
        x_hat, f = sae(h)
        held = f.clone()
        held[:, 7] = 2.5
        wanted = (held @ sae.W_dec.T + sae.b_dec) * sae.scale + (h - x_hat)
        edited = clamp_latent(sae, 7, 2.5)(h.reshape(3, 5, 32), None)
    assert edited.shape == (3, 5, 32)
    assert torch.allclose(edited.reshape(15, 32), wanted, atol=1e-5)
    assert not torch.allclose(edited.reshape(15, 32), h, atol=1e-3)


def test_clamping_a_neuron_sets_only_that_neuron():
    h = torch.rand(2, 4, 32)
    edited = clamp_neuron(5, 9.0)(h, None)
    assert (edited[..., 5] == 9.0).all()
    assert torch.equal(edited[..., :5], h[..., :5]) and torch.equal(edited[..., 6:], h[..., 6:])
    assert (h[..., 5] != 9.0).all()  # the input is not changed in place


def test_an_edit_at_the_last_position_changes_only_the_last_prediction():
    model = _model()
    tokens = torch.randint(0, 256, (4, 8))
    hooks = [(NEURONS, at_last_position(clamp_neuron(3, 50.0)))]
    with torch.no_grad():
        clean = model(tokens)
        with model.hooks(hooks):
            steered = model(tokens)
    assert torch.allclose(clean[:, :-1], steered[:, :-1])
    assert not torch.allclose(clean[:, -1], steered[:, -1])
    logp = next_byte_logprobs(model, tokens, hooks)
    assert torch.allclose(logp, torch.log_softmax(steered[:, -1], -1))


def test_sampling_is_reproducible_and_reads_only_the_last_n_ctx_bytes():
    model = _model()
    prompts = torch.randint(0, 256, (3, 12))
    a, b = sample(model, prompts, 6, seed=3), sample(model, prompts, 6, seed=3)
    assert a.shape == (3, 6) and torch.equal(a, b)
    assert not torch.equal(a, sample(model, prompts, 6, seed=4))
    same_tail = torch.cat([torch.zeros(3, 4, dtype=torch.long), prompts[:, 4:]], 1)
    assert torch.equal(sample(model, same_tail, 1, seed=3), a[:, :1])  # bytes 0-3 unread


def test_most_correlated_unit_and_share_containing():
    g = torch.Generator().manual_seed(0)
    units = torch.rand(1000, 6, generator=g)
    rows = np.arange(0, 1000, 7)
    units[rows, 4] += 1.0
    assert most_correlated_unit(units, rows) == 4
    written = torch.tensor([list(b"xx@ab"), list(b"abcde"), list(b"@@@@@")])
    assert share_containing(written, b"@") == 2 / 3
    assert share_containing(written, b"zz") == 0.0
