"""The generated corpus and the tiny language model of chapters 02 and 08."""

import re

import numpy as np
import pytest

from polysemantic.language_model import corpus, tiny_lm


def test_the_corpus_is_the_same_for_the_same_seed_and_differs_for_another():
    a, b, c = corpus.generate(3, 20), corpus.generate(3, 20), corpus.generate(4, 20)
    assert np.array_equal(a.text, b.text) and np.array_equal(a.domain, b.domain)
    assert not np.array_equal(a.text[:1000], c.text[:1000])


def test_every_document_decodes_and_has_its_domain():
    text = corpus.generate(0, 30)
    assert np.bincount(text.doc_domains, minlength=5).tolist() == [30] * 5
    for i in range(len(text.starts)):
        doc = text.document(i)
        assert 300 <= len(doc.encode()) <= 1200
        name = corpus.DOMAINS[text.doc_domains[i]]
        hangul = sum("\uac00" <= ch <= "\ud7a3" for ch in doc) / len(doc)
        assert (hangul > 0.5) == (name == "korean"), name
        if name == "http":
            assert "HTTP/1.1\r\nHost: " in doc
        if name == "python":
            compile(doc, "<generated>", "exec")  # the generated code is valid Python


def test_planted_features_are_labelled_at_the_end_of_their_markers_and_only_there():
    """The ground truth of chapters 02 and 08: every label sits on the last byte of the
    feature's marker, every occurrence of the marker is labelled, and a feature
    appears only in the domains it is planted in."""
    text = corpus.generate(2, 60)
    assert text.planted.shape == (len(corpus.PLANTED), len(text.text))
    data = bytes(text.text)
    for row, feature in zip(text.planted, corpus.PLANTED, strict=True):
        marker = feature.marker.encode()
        ends = [m.end() - 1 for m in re.finditer(re.escape(marker), data)]
        assert np.flatnonzero(row).tolist() == ends and len(ends) >= 20, feature.name
        seen = {corpus.DOMAINS[d] for d in text.domain[row]}
        assert seen == set(feature.domains), (feature.name, seen)


def test_korean_particles_follow_the_final_consonant():
    assert corpus._particle("학교", "은", "는") == "학교는"
    assert corpus._particle("책", "은", "는") == "책은"
    assert corpus._particle("선생님", "이", "가") == "선생님이"


def test_contexts_are_the_bytes_before_each_position_padded_with_zeros():
    text = np.frombuffer(b"abcdef", dtype=np.uint8)
    got = tiny_lm.contexts_at(text, np.array([1, 4]), 3)
    assert got.tolist() == [[0, 0, ord("a")], [ord("b"), ord("c"), ord("d")]]


def test_the_committed_model_is_small_and_scores_what_its_training_recorded():
    assert tiny_lm.ARTIFACT.stat().st_size < 2_000_000
    model, meta = tiny_lm.load_lm_and_meta()
    held_out, positions = tiny_lm.evaluation_sample(2000, seed=model.cfg.seed)
    recomputed = float(tiny_lm.loss_bits(model, held_out, positions).mean())
    assert recomputed == pytest.approx(meta["eval_loss"][-1], abs=2e-3)
    assert recomputed < 0.6  # bits per byte
    frequency = np.bincount(held_out.text, minlength=256) / len(held_out.text)  # (256,)
    frequency = frequency[frequency > 0]
    unigram = float(-(frequency * np.log2(frequency)).sum())
    assert 5.6 < unigram < 5.8  # chapter 02: "knowing only how often each byte occurs: 5.7"


def test_a_short_retraining_reaches_the_committed_runs_loss_at_the_same_step():
    """The training code still gets where the committed model's own run got."""
    _, meta = tiny_lm.load_lm_and_meta()
    step = 1000
    recorded = meta["eval_loss"][meta["steps"].index(step)]
    run = tiny_lm.train_lm(tiny_lm.TinyLMConfig(**meta["config"]), n_steps=step)
    assert run.steps[-1] == step
    assert run.eval_loss[-1] == pytest.approx(recorded, rel=0.03)
    assert run.eval_loss[-1] < 0.5 * run.eval_loss[0]


def test_train_lm_never_overwrites_without_force(capsys, tmp_path):
    from polysemantic.cli import main

    before = tiny_lm.ARTIFACT.read_bytes()
    assert main(["train-lm"]) == 2
    assert "--force" in capsys.readouterr().err
    assert tiny_lm.ARTIFACT.read_bytes() == before
    assert main(["train-lm", "--out", str(tmp_path / "missing" / "lm.npz")]) == 2
    assert "no such folder" in capsys.readouterr().err
