"""Chapter 02's measures: domain purity, units as detectors of planted features, the
shifted-label control, and the chapter's claims read off the committed model."""

import numpy as np
import pytest
import torch

from polysemantic.language_model.planted import INDEX, PLANTED
from polysemantic.polysemanticity import (
    answers_to,
    best_threshold_detection,
    best_threshold_f1,
    chance_f1,
    commonest_distance,
    domain_purity,
    most_polysemantic_neuron,
    occurrence_starts,
    related_features,
    rows_since,
    shifted_positives,
    top_domain_counts,
    unrelated_answers,
)


def test_rows_since_counts_from_the_nearest_earlier_occurrence():
    """Not from the first occurrence, not from a later one; -1 before any."""
    since = rows_since(np.array([0, 3, 5, 9, 12]), np.array([2, 5, 10]))
    assert since.tolist() == [-1, 1, 0, 4, 2]
    assert commonest_distance(np.array([3, 7, 8, 12]), np.array([2, 6, 10])) == (1, 2)
    assert commonest_distance(np.array([0, 1]), np.array([5])) == (-1, 0)  # none follow


def test_occurrence_starts_are_the_first_rows_of_runs():
    assert occurrence_starts(np.array([3, 4, 5, 9, 10, 20])).tolist() == [3, 9, 20]
    assert occurrence_starts(np.array([0, 2])).tolist() == [0, 2]
    assert occurrence_starts(np.array([], dtype=np.int64)).tolist() == []


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
    assert int(most_polysemantic_neuron(acts, domains, 3, 3)) == 1


def test_best_threshold_f1_by_hand():
    activation = torch.tensor([0.0, 2.0, 0.5, 3.0, 0.0, 1.0])
    present = torch.tensor([False, True, False, True, False, False])
    # τ = 2 fires on {2.0, 3.0}: both present -> F1 1
    assert best_threshold_f1(activation, present).tolist() == [1.0, 1.0, 1.0, 2.0]
    present[5] = True  # now τ = 1 fires on 3 positions, all present
    assert best_threshold_f1(activation, present).tolist() == [1.0, 1.0, 1.0, 1.0]
    present[2] = True  # a present 0.5 below an absent? none absent above 0.5 but 0.0s
    f1, p, r, tau = best_threshold_f1(activation, present).tolist()
    assert (p, r, tau) == (1.0, 1.0, 0.5) and f1 == 1.0
    assert best_threshold_f1(activation, torch.zeros(6, dtype=torch.bool)).tolist() == [0.0] * 4


def test_the_batched_detection_agrees_with_the_one_pair_version_ties_and_empty_features_too():
    g = torch.Generator().manual_seed(0)
    acts = torch.relu(torch.randn(2000, 9, generator=g)).round(decimals=1)  # many ties, zeros
    rng = np.random.default_rng(0)
    positives = [np.sort(rng.choice(2000, k, replace=False)) for k in (1, 5, 40, 300, 0)]
    detection = best_threshold_detection(acts, positives, chunk=4)
    for u in range(9):
        for f, rows in enumerate(positives):
            present = torch.zeros(2000, dtype=torch.bool)
            present[rows] = True
            want = best_threshold_f1(acts[:, u], present)
            got = torch.stack(
                [
                    detection.f1[u, f],
                    detection.precision[u, f],
                    detection.recall[u, f],
                    detection.threshold[u, f],
                ]
            )
            assert torch.allclose(got, want, atol=1e-6), (u, f)
            if len(rows):
                assert detection.hits[u, f] == detection.recall[u, f] * len(rows)


def test_the_shifted_control_keeps_counts_spacing_and_domains_and_moves_every_label():
    groups = torch.tensor([0] * 100 + [1] * 50)
    positives = [np.array([3, 4, 5]), np.array([10, 120]), np.array([], dtype=np.int64)]
    shifted = shifted_positives(positives, groups, seed=3)
    assert [len(s) for s in shifted] == [3, 2, 0]
    assert np.diff(shifted[0]).tolist() == [1, 1]  # a run stays a run
    assert (groups[shifted[1]].sort().values == torch.tensor([0, 1])).all()  # domains kept
    assert not set(shifted[0]) & {3, 4, 5}


def test_a_unit_that_fires_on_its_feature_answers_to_it_and_blind_ones_hardly_ever_do():
    """The bar is the best F1 of any unit on shifted labels, so a blind unit clears it about
    once per table, not once per unit: here 10 blind units and 4 features."""
    g = torch.Generator().manual_seed(1)
    n = 20_000
    groups = torch.zeros(n, dtype=torch.int64)
    rng = np.random.default_rng(1)
    positives = [np.sort(rng.choice(n, 30, replace=False)) for _ in range(4)]
    acts = torch.relu(torch.randn(n, 12, generator=g))
    acts[positives[0], 0] += 4.0  # unit 0 detects features 0 and 1: polysemantic
    acts[positives[1], 0] += 4.0
    acts[positives[2], 1] += 4.0  # unit 1 detects feature 2; units 2..11 nothing
    detection, control = best_threshold_detection(
        acts, positives, shifted_positives(positives, groups)
    )
    counts = torch.tensor([30] * 4)
    answered = answers_to(detection, chance_f1(control, counts), counts)
    assert answered[0, :2].all() and answered[1, 2]
    false = int(answered.sum()) - 3
    assert false <= 1
    related = torch.eye(4, dtype=torch.bool)
    n_answers = unrelated_answers(answered, related)
    assert n_answers[0] >= 2 and (n_answers[2:] >= 2).sum() == 0
    related[0, 1] = related[1, 0] = True  # a family: counted once
    assert unrelated_answers(answered[:1], related)[0] == 1 + int(answered[0, 2:].sum())


def test_related_features_joins_families_context_words_and_one_domains_made_up_words():
    related = related_features()
    assert related.diagonal().all() and (related == related.T).all()
    assert related[INDEX["euro"], INDEX["currency"]] and related[INDEX["euro"], INDEX["yen"]]
    assert not related[INDEX["euro"], INDEX["doi"]]
    status = [i for i, f in enumerate(PLANTED) if f.kind == "context" and f.trigger == "status"]
    assert len(status) == 2 and related[status[0], status[1]]
    grants = [i for i, f in enumerate(PLANTED) if f.name.startswith("grant ")]
    names = [i for i, f in enumerate(PLANTED) if f.name.startswith("name ")]
    assert related[grants[0], grants[-1]] and not related[grants[0], names[0]]
    assert not related[grants[0], INDEX["todo"]] and not related[INDEX["todo"], INDEX["song"]]


@pytest.fixture(scope="module")
def chapter_02(lm_on_held_out):
    """What chapter 02 computes, from the committed model."""
    held = lm_on_held_out
    points = held.without_spans()
    first, second = (shifted_positives(points, held.domains, seed) for seed in (0, 1))
    detection, control, check = best_threshold_detection(held.neurons, points, first, second)
    counts = torch.tensor([len(rows) for rows in points])
    chance = chance_f1(control, counts)
    related = related_features()
    return dict(
        held=held,
        detection=detection,
        chance=chance,
        counts=counts,
        answered=answers_to(detection, chance, counts),
        real=unrelated_answers(answers_to(detection, chance, counts), related),
        null=unrelated_answers(answers_to(check, chance, counts), related),
    )


def test_the_committed_model_shows_what_chapter_02_says(chapter_02):
    """The page's claims, read off the committed model: more than four planted features per
    neuron; the domain-spread neuron fires in every domain, its strongest contexts all inside
    one feature, the planted e-mail address, which it answers to; domain purity cannot tell
    one feature spread over domains from many; by the F1 rule most neurons answer to two or
    more unrelated planted features, while on a second shift none do; the bars stay under
    0.2, which a neuron shared evenly by ten features would reach; the most shared neuron
    answers to features from several domains, its best one (a grant code) with every firing
    at its best threshold a hit."""
    c = chapter_02
    held = c["held"]
    assert len(PLANTED) >= 4 * held.neurons.shape[1]
    spread = int(most_polysemantic_neuron(held.neurons, held.domains, 5, k=50))
    top = top_domain_counts(held.neurons, held.domains, 5, k=50)
    assert top[spread].min() >= 5 and (held.neurons[:, spread] > 0).float().mean() > 0.2
    strongest = held.neurons[:, spread].topk(50).indices.numpy()
    email = held.positives[INDEX["email"]]
    assert np.isin(strongest, email).sum() >= 45  # one feature
    assert commonest_distance(strongest, occurrence_starts(email))[1] >= 45
    assert c["answered"][spread, INDEX["email"]]

    purity = domain_purity(held.neurons, held.domains, 5)
    assert (purity <= 0.35).float().mean() >= 0.75 and int((purity > 0.5).sum()) <= 10
    perfect = torch.zeros(len(held.positions), 1)
    perfect[email] = 1.0
    assert abs(float(domain_purity(perfect, held.domains, 5)[0]) - float(purity.median())) < 0.05

    real, null = c["real"], c["null"]
    n_units = held.neurons.shape[1]
    assert (real >= 2).sum() > n_units / 2  # most neurons
    assert (real == 0).sum() < n_units / 10  # hardly any answer to none
    assert (null >= 2).sum() == 0 and (null >= 1).sum() <= 8

    judged = c["counts"] >= 5
    assert float(c["chance"][judged].max()) < 0.2

    neuron = int(real.argmax())
    answered = [PLANTED[i] for i in torch.nonzero(c["answered"][neuron])[:, 0].tolist()]
    assert int(real[neuron]) >= 3
    assert len({d for f in answered for d in f.domains}) >= 3  # from several domains
    best = int(c["detection"].f1[neuron].argmax())
    assert PLANTED[best].name.startswith("grant ") and c["detection"].precision[neuron, best] == 1
    hits = int(c["detection"].hits[neuron, best])  # one firing per occurrence of a 3-byte code
    assert int(c["counts"][best]) == 3 * hits and float(c["detection"].f1[neuron, best]) == 0.5


def test_the_sweep_rises_with_features_per_neuron_as_chapter_02_says():
    """The committed sweep: in the small language models the neurons that answer to two or
    more real words grow from almost none at a quarter of a feature per neuron to a third at
    16, and at 16 most neurons that answer to any answer to several; in the toy model every
    neuron does from one feature per neuron on."""
    from polysemantic.polysemanticity_sweep import load_sweep

    sweep = load_sweep()
    lm, toy = sweep["language model"], sweep["toy model"]
    assert [round(r.per_neuron) for r in lm] == [0, 1, 4, 16]
    assert lm[0].polysemantic <= 2 and lm[0].monosemantic > lm[0].polysemantic
    assert lm[-1].polysemantic >= 4 * max(lm[0].polysemantic, 1)
    assert lm[-1].polysemantic > lm[-1].monosemantic
    assert all(r.polysemantic == r.neurons for r in toy[1:])


def test_an_l1_penalty_costs_loss_and_does_not_make_the_neurons_monosemantic():
    """Chapter 02's penalty sweep: the stronger chapter 01's L1 ingredient, the higher the
    held-out loss and the more neurons answer to two or more words (and the fewer to none);
    its unpenalised model is the features-per-neuron sweep's last one."""
    from polysemantic.polysemanticity_sweep import PENALTIES, load_penalty_sweep, load_sweep

    rows = load_penalty_sweep()
    assert [r.penalty for r in rows] == list(PENALTIES) and PENALTIES[0] == 0.0
    bits = [r.bits for r in rows]
    shared = [r.sharing.polysemantic for r in rows]
    silent = [r.sharing.silent for r in rows]
    assert bits == sorted(bits) and bits[-1] > bits[0] + 0.2
    assert shared == sorted(shared) and shared[-1] > shared[0]
    assert silent == sorted(silent, reverse=True)
    assert rows[0].sharing == load_sweep()["language model"][-1]


def test_the_penalty_is_added_to_the_language_models_loss():
    """A strong penalty on the neurons shrinks them: the same short run, with and without."""
    from polysemantic.language_model import tiny_lm
    from polysemantic.language_model.transformer import TransformerConfig

    small = dict(model=TransformerConfig(d_mlp=16), n_steps=60, docs_per_domain=20)
    runs = [tiny_lm.train_lm(tiny_lm.TinyLMConfig(**small, activation_penalty=p)) for p in (0, 1.0)]
    windows = tiny_lm.sample_windows(
        tiny_lm.evaluation_text().text, 64, 32, np.random.default_rng(0)
    )
    sizes = []
    for run in runs:
        reading = []
        with run.model.hooks(
            [(tiny_lm.NEURONS, lambda post, _hook, kept=reading: kept.append(post))]
        ):
            run.model(windows)
        sizes.append(float(reading[0].abs().sum(-1).mean()))
    assert sizes[1] < sizes[0] / 3


def test_the_planted_words_are_worth_representing(lm_on_held_out):
    """Chapter 02's 'why': the model predicts the bytes after a planted word far better than
    the control trained on the scrambled corpus, and every other byte about as well."""
    from polysemantic.language_model.tiny_lm import SCRAMBLED_ARTIFACT, load_lm, read_text
    from polysemantic.polysemanticity import consequence_bytes

    text = lm_on_held_out.text
    consequences = consequence_bytes(text)
    rest = np.setdiff1d(lm_on_held_out.positions, consequences)
    clean = read_text(load_lm(), text.text).bits
    scrambled = read_text(load_lm(SCRAMBLED_ARTIFACT), text.text).bits
    assert float(scrambled[consequences].mean()) > float(clean[consequences].mean()) + 1.0
    assert abs(float(scrambled[rest].mean()) - float(clean[rest].mean())) < 0.15
