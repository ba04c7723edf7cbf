"""The generated corpus, the tiny language model, chapter 02's measures and the viewer."""

import numpy as np
import pytest
import torch

from polysemantic import corpus, tiny_lm, viewer
from polysemantic.polysemanticity import (
    domain_purity,
    mlp_activations,
    most_polysemantic_neuron,
    top_domain_counts,
)


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
    assert recomputed < 0.6  # bits per byte; a unigram model needs about 4.5


def test_a_short_retraining_reaches_the_committed_runs_loss_at_the_same_step():
    """The training code still gets where the committed model's own run got."""
    _, meta = tiny_lm.load_lm_and_meta()
    step = 1000
    recorded = meta["eval_loss"][meta["steps"].index(step)]
    run = tiny_lm.train_lm(tiny_lm.TinyLMConfig(**meta["config"]), n_steps=step)
    assert run.steps[-1] == step
    assert run.eval_loss[-1] == pytest.approx(recorded, rel=0.03)
    assert run.eval_loss[-1] < 0.5 * run.eval_loss[0]


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


def _tiny_corpus(text: str) -> corpus.Corpus:
    data = np.frombuffer(text.encode(), dtype=np.uint8).copy()
    return corpus.Corpus(
        data, np.zeros(len(data), dtype=np.int64), np.array([0]), np.array([len(data)])
    )


def test_the_viewer_escapes_html_and_keeps_multibyte_characters_whole():
    text = _tiny_corpus("<b>학교</b>\nok")
    positions = np.arange(1, len(text.text))
    html = viewer.unit_view(
        text,
        positions,
        positions.astype(float),
        lambda p: p.astype(float),
        title="unit 0",
        per_domain=1,
        before=40,
    )
    assert "<b>" not in html
    assert "&lt;" in html and "&gt;" in html and "학" in html and "교" in html and "⏎" in html
    assert html.count("<tr>") == 2  # the header and one context (one domain has text)


def test_the_viewer_skips_a_character_cut_by_the_window():
    text = _tiny_corpus("가나다")  # 9 bytes, 3 characters
    html = viewer._snippet(text, 7, lambda p: np.ones(len(p)), 1.0, before=3, after=5)
    # the window starts at byte 4, inside 나 (bytes 3-5): only 다 is shown
    assert html.count("<span") == 1 and "다" in html and "나" not in html


def test_train_lm_never_overwrites_without_force(capsys, tmp_path):
    from polysemantic.cli import main

    before = tiny_lm.ARTIFACT.read_bytes()
    assert main(["train-lm"]) == 2
    assert "--force" in capsys.readouterr().err
    assert tiny_lm.ARTIFACT.read_bytes() == before
    assert main(["train-lm", "--out", str(tmp_path / "missing" / "lm.npz")]) == 2
    assert "no such folder" in capsys.readouterr().err
