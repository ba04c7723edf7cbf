"""Chapter 02: polysemantic neurons in a real (tiny) language model.

Measurements of the units of a layer (the language model's MLP neurons here, SAE
latents in chapter 08), held against what the text holds:

- domain purity: the share of a unit's mean activation that goes to its top domain,
  chapter 01's monosemanticity score on a (unit × domain) response matrix. It says
  where a unit fires, not how many things it means;
- detection of the planted features: every unit read as a detector of every planted
  feature, "present when the unit is at least τ", with precision, recall and F1 at the
  best τ. A shuffled-label control says which F1 chance alone reaches, and a unit
  *answers to* a feature when it beats that. A unit that answers to two or more
  unrelated features is polysemantic (Bricken et al. 2023, "Towards Monosemanticity",
  found such neurons on academic citations, English dialogue, HTTP requests and Korean).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from polysemantic.language_model import tiny_lm
from polysemantic.language_model.corpus import Corpus, generate
from polysemantic.language_model.planted import PLANTED
from polysemantic.language_model.transformer import OneLayerTransformer
from polysemantic.monosemanticity import monosemanticity_score


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


def rows_since(rows: np.ndarray, occurrences: np.ndarray) -> np.ndarray:
    """How far each of ROWS (M,) lies after the nearest occurrence of a feature at or
    before it (OCCURRENCES, sorted rows); -1 where none comes before. -> (M,)."""
    last = np.searchsorted(occurrences, rows, side="right") - 1  # (M,) index of that occurrence
    return np.where(last >= 0, rows - occurrences[np.maximum(last, 0)], -1)


def occurrence_starts(rows: np.ndarray) -> np.ndarray:
    """The first row of every run of consecutive ROWS (sorted): where each occurrence of a
    feature that lasts several positions (present_at) begins. (M,) -> (K,)."""
    rows = np.asarray(rows)
    return rows[np.diff(rows, prepend=-2) != 1]


def commonest_distance(rows: np.ndarray, occurrences: np.ndarray) -> tuple[int, int]:
    """The distance (rows_since) that most of ROWS lie after a feature's occurrences, and
    how many of them lie exactly that far. -> (distance, count); (-1, 0) if none follow."""
    since = rows_since(rows, occurrences)  # (M,)
    if not (since >= 0).any():
        return -1, 0
    distance = int(np.bincount(since[since >= 0]).argmax())
    return distance, int((since == distance).sum())


def every_position(corpus: Corpus) -> np.ndarray:
    """Every byte position inside a document, the first byte of the text aside: (N,)."""
    inside = np.flatnonzero(corpus.domain >= 0)
    return inside[inside > 0]


def present_at(corpus: Corpus) -> list[np.ndarray]:
    """For every planted feature, the sorted positions t at which it is present: those that
    predict a byte it makes predictable. A point feature (a word, a marker) is present from
    the byte after its trigger to the last byte of its consequence ("Tavrin " -> "Kessel":
    the six positions that predict K, e, s, s, e, l), for the model needs it at each; a span
    at the position after each of its bytes. -> n_features arrays of positions."""
    first = corpus.label_byte + 1  # (n_labels,)
    length = np.maximum(corpus.label_until - first, 1)  # (n_labels,) positions each covers
    t = (
        np.repeat(first, length)
        + np.arange(length.sum())
        - np.repeat(np.cumsum(length) - length, length)
    )
    feature = np.repeat(corpus.label_feature, length)
    inside = t < len(corpus.text)
    order = np.lexsort((t[inside], feature[inside]))
    feature, t = feature[inside][order], t[inside][order]
    bounds = np.searchsorted(feature, np.arange(len(PLANTED) + 1))
    return [np.unique(t[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


@dataclass(frozen=True)
class Detection:
    """How well units, each cut at its best threshold, detect known features:
    every field is (n_units, n_features)."""

    f1: torch.Tensor  # 2·precision·recall / (precision + recall), the best over thresholds
    precision: torch.Tensor  # at that threshold: share of the unit's firings on the feature
    recall: torch.Tensor  # at that threshold: share of the feature's positions it fires on
    threshold: torch.Tensor  # τ: the unit "fires" when its activation is at least this
    fired: torch.Tensor  # positions where the unit is at least τ (of all N)
    hits: torch.Tensor  # of those, positions where the feature is present


def best_threshold_detection(
    activations: torch.Tensor, *positive_sets: list[np.ndarray], chunk: int = 64
) -> Detection | tuple[Detection, ...]:
    """Read every unit as a detector of every feature: "present when the unit is at least τ",
    with τ chosen per (unit, feature) to maximise F1; `best_threshold_f1` for every pair.

    activations: (N, n_units); each positive set: per feature, the rows where it is present
    (several sets, such as the labels and a control, share the sorting). Returns one
    Detection per set. Unlike a ranking measure (the AUROC), precision punishes a unit that
    also fires for something else: a unit shared by four rare features detects each with
    precision about 1/4. The best τ is one of the unit's values on the feature's rows, so
    only those are tried, all features at once; units go `chunk` at a time to bound memory.
    """
    n, n_units = activations.shape
    results = []
    by_unit = activations.T.contiguous().numpy()  # (n_units, N)
    everywhere = [
        torch.from_numpy(np.sort(by_unit[lo : lo + chunk], axis=1))
        for lo in range(0, n_units, chunk)
    ]  # each (c, N), sorted: how many positions are at least τ is a search
    for positives in positive_sets:
        sizes = torch.tensor([len(rows) for rows in positives])  # (F,)
        segment = torch.repeat_interleave(torch.arange(len(positives)), sizes)  # (ΣP,)
        rows = np.concatenate([np.asarray(r, dtype=np.int64) for r in positives])  # (ΣP,)
        fields = [torch.zeros(n_units, len(positives)) for _ in range(6)]
        for k, lo in enumerate(range(0, n_units, chunk)):
            values = torch.from_numpy(np.ascontiguousarray(by_unit[lo : lo + chunk][:, rows]))
            # sort within each feature's segment: ascending by (feature, value)
            key = segment.double() * (1 + 2 * float(values.abs().max())) + values.double()
            key, order = key.sort(dim=1)
            values = values.gather(1, order)  # (c, ΣP)
            fired = n - torch.searchsorted(everywhere[k], values.contiguous(), side="left")
            ends = torch.cumsum(sizes, 0)[segment]  # (ΣP,) where each segment stops
            hits = ends - torch.searchsorted(key, key, side="left")  # its positives ≥ τ
            f1 = 2 * hits / (fired + sizes[segment]).clamp_min(1)  # = 2PR / (P + R)
            best = torch.zeros(values.shape[0], len(positives)).scatter_reduce(
                1, segment.expand_as(f1), f1.float(), "amax", include_self=True
            )  # (c, F)
            index = torch.arange(len(rows)).expand_as(f1)
            first = torch.full_like(best, len(rows), dtype=torch.int64).scatter_reduce(
                1,
                segment.expand_as(f1),
                torch.where(f1 >= best.gather(1, segment.expand_as(f1)), index, len(rows)),
                "amin",
            )  # (c, F): where each feature's best τ sits
            at = first.clamp_max(len(rows) - 1)
            got_fired, got_hits = fired.gather(1, at).float(), hits.gather(1, at).float()
            empty = sizes[None, :] == 0
            for out, value in zip(fields, (
                best, got_hits / got_fired.clamp_min(1), got_hits / sizes.clamp_min(1),
                values.gather(1, at), got_fired, got_hits,
            ), strict=True):  # fmt: skip
                out[lo : lo + chunk] = torch.where(empty, 0.0, value)
        results.append(Detection(*fields))
    return results[0] if len(results) == 1 else tuple(results)


def shifted_positives(
    positives: list[np.ndarray], groups: torch.Tensor, seed: int = 0
) -> list[np.ndarray]:
    """The control: every feature's rows moved along the text by one random offset, within
    each group (domain) of rows, so that each feature keeps its count, its spacing (a span
    stays a span) and its domains, but no longer lines up with what the text says there.
    Any F1 a unit reaches against these labels is chance, or the unit's taste for a domain.

    positives: per feature, rows into (N,); groups: (N,) the domain of every row.
    """
    rng = np.random.default_rng(seed)
    groups = groups.numpy()
    members = [np.flatnonzero(groups == g) for g in range(int(groups.max()) + 1)]  # rows by group
    rank = np.zeros(len(groups), dtype=np.int64)  # each row's index within its group
    for rows in members:
        rank[rows] = np.arange(len(rows))
    shifted = []
    for rows in positives:
        fraction = rng.uniform(0.1, 0.9)  # one offset per feature, as a share of each group
        moved = [
            members[g][(rank[rows[groups[rows] == g]] + int(fraction * len(members[g])))
                       % len(members[g])]
            for g in np.unique(groups[rows])
        ]  # fmt: skip
        shifted.append(np.sort(np.concatenate(moved)) if moved else rows)
    return shifted


COUNT_BINS = (5, 30, 45, 60, 100)  # features present about as often share a bin


def chance_f1(control: Detection, counts: torch.Tensor) -> torch.Tensor:
    """Per feature, the best F1 that any unit reaches on the shifted labels of any feature
    seen about as often (occurrence counts in the same bin of COUNT_BINS): (n_features,).

    A rare feature is easy to "detect" by luck (a unit whose single strongest position
    happens to hold one of 5 occurrences scores F1 1/3), so the bar depends on the count.
    Taking the best over every unit and every feature of a bin, not one cell, keeps the
    whole table clear of chance: on a second, independent shift almost no unit passes.
    """
    bins = torch.bucketize(counts.float(), torch.tensor(COUNT_BINS, dtype=torch.float))
    bar = torch.zeros(len(counts))
    for b in bins.unique():
        same = bins == b
        bar[same] = control.f1[:, same].max()
    return bar


def answers_to(
    detection: Detection, chance: torch.Tensor, counts: torch.Tensor, at_least: int = COUNT_BINS[0]
) -> torch.Tensor:
    """(n_units, n_features) bool: the unit detects the feature better than chance does,
    for features seen at least `at_least` times (fewer are too few to judge)."""
    return (detection.f1 > chance[None, :]) & (counts >= at_least)[None, :]


def related_features() -> torch.Tensor:
    """(n_features, n_features) bool, True for two features that are one kind of thing: a
    family and its members, a context word in its two domains, and the made-up words of one
    domain (all grant codes, say, fill one slot); every feature is related to itself. A
    unit that answers to two grant codes is not, on that evidence, polysemantic."""
    family = {f.name: i for i, f in enumerate(PLANTED) if f.kind == "family"}
    first_word = {}
    context = {}
    group = np.arange(len(PLANTED))  # features in one group are related
    for i, f in enumerate(PLANTED):
        if f.family:
            group[i] = family[f.family]
        elif f.kind == "context":
            group[i] = context.setdefault(f.trigger, i)
        elif f.kind == "word":
            group[i] = first_word.setdefault(f.domains, i)
    group = torch.from_numpy(group)
    return group[:, None] == group[None, :]


def unrelated_answers(answered: torch.Tensor, related: torch.Tensor) -> torch.Tensor:
    """How many pairwise unrelated features each unit answers to.

    answered: (n_units, n_features) bool; related: (n_features, n_features) bool, symmetric,
    True on the diagonal -> (n_units,) int64. Greedy, in feature order: a feature counts
    unless it is related to one already counted, so a family and its members count once.
    """
    counts = torch.zeros(answered.shape[0], dtype=torch.int64)
    for unit, row in enumerate(answered):
        chosen: list[int] = []
        for j in torch.nonzero(row)[:, 0].tolist():
            if not any(bool(related[j, c]) for c in chosen):
                chosen.append(j)
        counts[unit] = len(chosen)
    return counts


def best_threshold_f1(activation: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """One unit as a detector of one feature, at its best threshold: the F1, precision,
    recall and threshold τ that maximise F1 over the rule "present when activation ≥ τ".

    activation: (N,), present: (N,) bool -> (4,) [f1, precision, recall, τ]; zeros when
    the feature never occurs. `best_threshold_detection` does every pair at once.
    """
    if not present.any():
        return torch.zeros(4)
    candidates = activation[present].unique()  # the best τ is a value on the feature
    fired = (activation[None, :] >= candidates[:, None]).sum(1).float()  # (C,)
    hits = (activation[present][None, :] >= candidates[:, None]).sum(1).float()  # (C,)
    precision, recall = hits / fired, hits / present.sum()
    f1 = 2 * precision * recall / (precision + recall).clamp_min(1e-12)
    best = int(f1.argmax())
    return torch.stack([f1[best], precision[best], recall[best], candidates[best]])


def consequence_bytes(corpus: Corpus, kinds: tuple[str, ...] = ("word", "context")) -> np.ndarray:
    """The positions of the bytes that a planted word makes predictable: every position at
    which a feature of these kinds is present (present_at). -> (M,) sorted."""
    chosen = [t for f, t in zip(PLANTED, present_at(corpus), strict=True) if f.kind in kinds]
    return np.unique(np.concatenate(chosen)).astype(np.int64)


@dataclass
class HeldOutReading:
    """The model's neurons on every position of the held-out text, with what is there."""

    text: Corpus
    positions: np.ndarray  # (N,) every byte inside a document (the first n_ctx/2 aside)
    neurons: torch.Tensor  # (N, d_mlp) the MLP neurons when predicting that byte
    bits: torch.Tensor  # (N,) the loss on that byte
    domains: torch.Tensor  # (N,) its domain
    positives: list[np.ndarray]  # per planted feature, the rows (into positions) where present

    @property
    def counts(self) -> torch.Tensor:
        """(n_features,) how often each planted feature occurs here."""
        return torch.tensor([len(rows) for rows in self.positives])

    @property
    def judged(self) -> torch.Tensor:
        """(n_features,) bool: the features a unit is judged against, those present at 5
        positions or more here, spans aside (see without_spans)."""
        spans = torch.tensor([f.kind == "span" for f in PLANTED])
        return (self.counts >= 5) & ~spans

    def without_spans(self) -> list[np.ndarray]:
        """The positives with every span feature's emptied: spans cover a tenth of the
        text, and reading each unit as their detector costs more than all the rest."""
        return [np.array([], dtype=np.int64) if f.kind == "span" else rows
                for f, rows in zip(PLANTED, self.positives, strict=True)]  # fmt: skip

    def activation_at(self, values: torch.Tensor):
        """For the viewer: byte positions (M,) -> values (N,) of one unit there, 0 where
        it was not recorded (the separators between documents)."""
        row = np.full(len(self.text.text), -1)
        row[self.positions] = np.arange(len(self.positions))
        padded = np.append(values.numpy(), 0.0)  # row -1 reads the 0 at the end

        def at(positions: np.ndarray) -> np.ndarray:
            return padded[row[np.asarray(positions)]]

        return at


def read_held_out(model: OneLayerTransformer, text: Corpus | None = None) -> HeldOutReading:
    """Run the model over the held-out text once and record what chapters 02 and 08 read."""
    text = tiny_lm.evaluation_text() if text is None else text
    reading = tiny_lm.read_text(model, text.text, keep=[tiny_lm.NEURONS])
    positions = every_position(text)
    positions = positions[positions >= model.cfg.n_ctx // 2]
    row = np.full(len(text.text), -1)
    row[positions] = np.arange(len(positions))
    positives = [row[t][row[t] >= 0] for t in present_at(text)]
    return HeldOutReading(
        text,
        positions,
        reading.cache[tiny_lm.NEURONS][positions],
        reading.bits[positions],
        torch.from_numpy(text.domain[positions]),
        positives,
    )


def training_activations(model: OneLayerTransformer, n_positions: int = 200_000) -> torch.Tensor:
    """The neurons on the first n_positions bytes of text like the model's training text:
    (n_positions, d_mlp). What chapter 08's sparse autoencoder learns from."""
    text = generate(tiny_lm.TRAIN_SEED, 150).text[:n_positions]
    return tiny_lm.read_text(model, text, keep=[tiny_lm.NEURONS]).cache[tiny_lm.NEURONS]
