"""The generated corpus, its planted features, and the one-layer transformer of chapters 02
and 08."""

import re

import numpy as np
import pytest
import torch

from polysemantic.language_model import corpus, planted, tiny_lm
from polysemantic.language_model.transformer import OneLayerTransformer, TransformerConfig
from polysemantic.polysemanticity import present_at


def test_the_corpus_is_the_same_for_the_same_seed_and_differs_for_another():
    a, b, c = corpus.generate(3, 20), corpus.generate(3, 20), corpus.generate(4, 20)
    assert np.array_equal(a.text, b.text) and np.array_equal(a.domain, b.domain)
    assert np.array_equal(a.label_byte, b.label_byte)
    assert not np.array_equal(a.text[:1000], c.text[:1000])


def test_every_document_decodes_and_has_its_domain():
    text = corpus.generate(0, 30)
    assert np.bincount(text.doc_domains, minlength=5).tolist() == [30] * 5
    for i in range(len(text.starts)):
        doc = text.document(i)
        assert 250 <= len(doc.encode()) <= 1400
        name = corpus.DOMAINS[text.doc_domains[i]]
        hangul = sum("\uac00" <= ch <= "\ud7a3" for ch in doc) / len(doc)
        assert (hangul > 0.3) == (name == "korean"), name
        assert "\x01" not in doc and "\x02" not in doc and "\x03" not in doc
        if name == "http":
            assert "HTTP/1.1\r\nHost: " in doc
        if name == "python":
            compile(doc, "<generated>", "exec")  # the generated code is valid Python


def test_there_are_more_than_four_planted_features_per_neuron_of_every_kind():
    kinds = {f.kind for f in planted.PLANTED}
    assert kinds == {"word", "context", "marker", "family", "member", "span"}
    assert len(planted.PLANTED) >= 4 * TransformerConfig().d_mlp
    assert len({f.name for f in planted.PLANTED}) == len(planted.PLANTED)
    for family in ("identifier", "currency", "authorization"):
        assert len(planted.members_of(family)) >= 4
    for name in ("doi", "todo", "euro", "laughter"):  # the memorable ones stay
        assert name in planted.INDEX


def test_point_features_are_labelled_on_the_last_byte_of_every_occurrence_of_their_trigger():
    """The answer key: for a made-up word, a marker or a family member, every occurrence of
    its trigger in its domains is labelled on its last byte, and nothing else is."""
    text = corpus.generate(2, 40)
    data = bytes(text.text)
    checked = 0
    for i, feature in enumerate(planted.PLANTED):
        if feature.kind not in ("word", "marker", "member") or feature.name == "email":
            continue
        labelled = np.sort(text.label_byte[text.label_feature == i])
        found = [
            m.end() - 1
            for m in re.finditer(re.escape(feature.trigger.encode()), data)
            if corpus.DOMAINS[text.domain[m.start()]] in feature.domains
        ]
        assert labelled.tolist() == found, feature.name
        checked += len(found)
    assert checked > 1500


def test_a_made_up_word_is_followed_by_its_consequence_unless_scrambled():
    for scramble, expected in ((False, 1.0), (True, 0.05)):
        text = corpus.generate(5, 30, scramble=scramble)
        kept = []
        for i in planted.words_of("python")[:200]:
            cons = planted.PLANTED[i].consequence.encode()
            for end in text.label_byte[text.label_feature == i]:
                kept.append(bytes(text.text[end + 1 : end + 1 + len(cons)]) == cons)
        share = float(np.mean(kept))
        assert (share == 1.0) if not scramble else (share < 0.1), (scramble, share)
        assert len(kept) > 100 and share == pytest.approx(expected, abs=0.05)


def test_a_sweep_corpus_keeps_its_text_and_scrambles_all_but_the_first_words():
    text = corpus.generate(5, 60, words_per_domain=3)
    real, scrambled = [], []
    for rank, i in enumerate(planted.words_of("http")[:30]):
        cons = planted.PLANTED[i].consequence.encode()
        ends = text.label_byte[text.label_feature == i]
        kept = [bytes(text.text[e + 1 : e + 1 + len(cons)]) == cons for e in ends]
        (real if rank < 3 else scrambled).extend(kept)
    assert len(real) >= 3 and all(real)
    assert len(scrambled) > 50 and np.mean(scrambled) < 0.05


def test_spans_cover_their_text_and_families_cover_their_members():
    text = corpus.generate(6, 20)
    quotation = text.label_byte[text.label_feature == planted.INDEX["quotation"]]
    assert len(quotation) > 1000 and (text.domain[quotation] == 1).all()
    assert text.text[quotation].tobytes().count(b'"') == 0  # inside the quotes only
    members = np.isin(text.label_feature, planted.members_of("currency"))
    family = text.label_feature == planted.INDEX["currency"]
    assert np.array_equal(np.sort(text.label_byte[members]), np.sort(text.label_byte[family]))


def test_a_point_feature_is_present_wherever_its_consequence_is_predicted():
    """present_at: from the position after the trigger to the one that predicts the
    consequence's last byte; doi: at the three positions that predict '10.', a made-up word
    at every byte of its fixed continuation, laughter (no consequence) just after it."""
    text = corpus.generate(7, 10)
    present = present_at(text)
    data = bytes(text.text)
    doi = planted.INDEX["doi"]
    ends = text.label_byte[text.label_feature == doi]
    assert len(ends) > 5
    assert present[doi].tolist() == sorted((ends[:, None] + np.arange(1, 4)).ravel().tolist())
    assert all(data[t - 4 : t] == b"doi:" for t in ends + 1)
    assert b"".join(data[t : t + 1] for t in present[doi]) == b"10." * len(ends)
    checked = 0
    for i in planted.words_of("python")[:100]:
        cons = planted.PLANTED[i].consequence.encode()
        for end in text.label_byte[text.label_feature == i]:
            assert np.isin(np.arange(end + 1, end + 1 + len(cons)), present[i]).all()
            checked += 1
        assert len(present[i]) == len(cons) * (text.label_feature == i).sum()
    assert checked > 20
    laughter = planted.INDEX["laughter"]
    ends = text.label_byte[text.label_feature == laughter]
    assert present[laughter].tolist() == sorted(set((ends + 1).tolist()))


def test_marks_keep_the_text_of_the_committed_model():
    """Recording consequences changed the marks, not the text: the bytes the committed model
    was trained and evaluated on are the same (their SHA-1, taken before the change)."""
    import hashlib

    text = corpus.generate(1, 250).text
    assert hashlib.sha1(text.tobytes()).hexdigest() == "9afee6237931c04700ff241dc58987591979a1f2"


def test_the_transformer_uses_transformer_lens_names_and_shapes():
    cfg = TransformerConfig(n_ctx=8, d_model=16, n_heads=2, d_mlp=32)
    model = OneLayerTransformer(cfg)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes["embed.W_E"] == (256, 16) and shapes["pos_embed.W_pos"] == (8, 16)
    assert shapes["blocks.0.attn.W_Q"] == (2, 16, 8) and shapes["blocks.0.attn.W_O"] == (2, 8, 16)
    assert shapes["blocks.0.mlp.W_in"] == (16, 32) and shapes["blocks.0.mlp.W_out"] == (32, 16)
    assert shapes["unembed.W_U"] == (16, 256)
    tokens = torch.randint(0, 256, (3, 8))
    logits, cache = model.run_with_cache(tokens)
    assert logits.shape == (3, 8, 256)
    assert cache["blocks.0.mlp.hook_post"].shape == (3, 8, 32)
    assert cache["blocks.0.attn.hook_pattern"].shape == (3, 2, 8, 8)
    assert (cache["blocks.0.mlp.hook_post"] >= 0).all()
    pattern = cache["blocks.0.attn.hook_pattern"]
    assert torch.allclose(pattern.sum(-1), torch.ones(3, 2, 8))
    assert (pattern.triu(1) == 0).all()  # causal: no position reads ahead
    post = cache["blocks.0.mlp.hook_post"]
    direct = (cache["blocks.0.hook_resid_mid"] + post @ model.blocks[0].mlp.W_out) + model.blocks[
        0
    ].mlp.b_out
    assert torch.allclose(direct @ model.unembed.W_U + model.unembed.b_U, logits, atol=1e-5)


def test_run_with_hooks_replaces_an_activation_and_the_hooks_come_off():
    model = OneLayerTransformer(TransformerConfig(n_ctx=8, d_model=16, n_heads=2, d_mlp=32))
    tokens = torch.randint(0, 256, (2, 8))
    clean = model(tokens)

    def zero(x, hook):
        return torch.zeros_like(x)

    ablated = model.run_with_hooks(tokens, [("blocks.0.mlp.hook_post", zero)])
    assert not torch.allclose(ablated, clean)
    assert torch.allclose(model(tokens), clean)  # detached after the call
    with pytest.raises(KeyError, match="no hook point"):
        model.run_with_hooks(tokens, [("blocks.0.mlp.hook_nope", zero)])


def test_read_text_predicts_every_byte_after_reading_the_byte_before_and_enough_context():
    """Row t of read_text belongs to the prediction of byte t: the output that has just read
    byte t - 1, in a window that has read at least n_ctx / 2 bytes (all of them near the
    start). A position embedding that writes its index into coordinate 0 shows which."""
    torch.manual_seed(0)
    model = OneLayerTransformer(TransformerConfig(n_ctx=16, d_model=16, n_heads=2, d_mlp=32))
    with torch.no_grad():
        model.pos_embed.W_pos.zero_()
        model.pos_embed.W_pos[:, 0] = torch.arange(16.0)
    text = corpus.generate(0, 2).text[:301]
    names = ["hook_embed", "hook_pos_embed"]
    reading = tiny_lm.read_text(model, text, keep=names, batch=5)
    read_last = reading.cache["hook_embed"][1:]  # (300, d_model): the byte each output read
    assert torch.equal(read_last, model.embed.W_E[torch.from_numpy(text[:-1].astype(np.int64))])
    bytes_read = reading.cache["hook_pos_embed"][1:, 0] + 1  # (300,)
    t = torch.arange(1, 301)
    assert (bytes_read <= t).all()  # it never reads past byte t - 1
    assert (bytes_read >= torch.minimum(t.float(), torch.tensor(8.0))).all()
    tokens = torch.from_numpy(text.astype(np.int64))
    logits = model(tokens[None, :16])[0]  # the first window: bytes 1..16
    bits = torch.nn.functional.cross_entropy(logits[:-1], tokens[1:16], reduction="none")
    assert torch.allclose(bits / np.log(2), reading.bits[1:16], atol=1e-5)
    assert torch.isnan(reading.bits[0]) and not torch.isnan(reading.bits[1:]).any()


def test_the_committed_model_is_small_and_scores_what_its_training_recorded():
    assert tiny_lm.ARTIFACT.stat().st_size < 2_000_000
    model, meta = tiny_lm.load_lm_and_meta()
    assert isinstance(model, OneLayerTransformer) and model.cfg.d_mlp == 256
    windows = tiny_lm.sample_windows(
        tiny_lm.evaluation_text().text, 256, model.cfg.n_ctx + 1, np.random.default_rng(1)
    )
    recomputed = tiny_lm.held_out_loss(model, windows)
    assert recomputed == pytest.approx(meta["eval_loss"][-1], abs=2e-3)
    assert recomputed < 1.2  # bits per byte


def test_a_short_retraining_reaches_the_committed_runs_loss_at_the_same_step():
    """The training code still gets where the committed model's own run got."""
    _, meta = tiny_lm.load_lm_and_meta()
    step = 250
    recorded = meta["eval_loss"][meta["steps"].index(step)]
    cfg = tiny_lm.config_from_dict(meta["config"])
    run = tiny_lm.train_lm(cfg, n_steps=step)
    assert run.steps[-1] == step
    assert run.eval_loss[-1] == pytest.approx(recorded, rel=0.02)
    assert run.eval_loss[-1] < 0.5 * run.eval_loss[0]


def test_train_lm_never_overwrites_without_force(capsys, tmp_path):
    from polysemantic.cli import main

    before = tiny_lm.ARTIFACT.read_bytes()
    assert main(["train-lm"]) == 2
    assert "--force" in capsys.readouterr().err
    assert tiny_lm.ARTIFACT.read_bytes() == before
    assert main(["train-lm", "--out", str(tmp_path / "missing" / "lm.npz")]) == 2
    assert "no such folder" in capsys.readouterr().err
