"""An offline feature browser: every latent of an SAE and every neuron it reads, side by side.

For each unit: its strongest contexts, drawn as the unit viewer draws them (a bar behind
each character, as tall as the activation after reading it); a histogram of its
activations; the bytes its output pushes up most (its logit effects, exact in a model
without LayerNorm); and the planted feature it detects best, with the F1 of chapter 02's
rule. Anthropic's browser for Bricken et al. 2023, SAEDashboard and Neuronpedia show the
same things for real models, online; this is one block of HTML whose data and script are
inline, so it works in the built book, in a notebook and with the network cut off.

    units = browser_units(lm, sae, held, f, by_latent, by_neuron)   # one BrowserUnit each
    show_html(feature_browser(units))
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from polysemantic.language_model.corpus import DOMAINS
from polysemantic.language_model.planted import PLANTED
from polysemantic.language_model.transformer import OneLayerTransformer
from polysemantic.polysemanticity import HeldOutReading
from polysemantic.sae_language_model import PlantedDetection
from polysemantic.sparse_autoencoders import SparseAutoencoder
from polysemantic.viewer import characters_around

N_CONTEXTS, BEFORE, AFTER, N_BINS, N_LOGITS = 6, 24, 4, 12, 5


@dataclass
class Context:
    domain: str
    text: str  # the characters around the peak
    levels: str  # one digit 0-9 per character: its activation in ninths of the unit's top
    peak: int  # the index in text of the character just read at the peak
    value: float  # the activation there


@dataclass
class BrowserUnit:
    key: str  # "L12" (latent 12) or "N5" (neuron 5)
    label: str  # "latent 12", "neuron 5"
    top: float  # the strongest activation on the held-out text
    fires: float  # the share of positions where it is above 0
    contexts: list[Context]  # written to the page as [domain, text, levels, peak, value]
    histogram: list[int]  # counts of the non-zero activations in N_BINS equal bins up to top
    logits: list[tuple[str, float]]  # the bytes it pushes up most, with the logit per unit
    feature: str  # the planted feature it detects best
    f1: float
    bar: float  # the chance bar for that feature (chapter 02's shifted-label control)
    answers: bool  # whether that F1 beats the bar
    answered: list[tuple[str, float]]  # every feature it answers to, best first (at most 8)


def _shown(byte: int) -> str:
    """One byte as the logit list shows it: visible marks for white space, hex past ASCII."""
    if byte >= 0x80:
        return f"0x{byte:02x}"
    text = chr(byte)
    return {"\n": "⏎", "\r": "␍", "\t": "→", " ": "␣"}.get(text, text)


def _level(value: float, top: float) -> str:
    """An activation in ninths of the unit's strongest, as one digit."""
    return str(min(9, max(0, round(9 * value / top)))) if top > 0 else "0"


def _context(
    held: HeldOutReading, values: np.ndarray, row_of: np.ndarray, row: int, top: float
) -> Context:
    """The characters around the byte read at `row`, each with its level (0-9); row_of maps
    a byte position to its row of values (-1 where none was recorded)."""
    last_read = int(held.positions[row]) - 1

    def at(positions: np.ndarray) -> np.ndarray:
        rows = row_of[positions]  # the row of each position, -1 where none was recorded
        return np.where(rows >= 0, values[np.maximum(rows, 0)], 0.0)

    chars, levels, peak = [], [], 0
    for char, value, is_peak in characters_around(held.text, last_read, at, BEFORE, AFTER):
        if is_peak:
            peak = len(chars)
        if char != "\r":  # as in the unit viewer, a line ends in ⏎ alone (a peak moves on to it)
            chars.append({"\n": "⏎", "\t": "→"}.get(char, char))
            levels.append(_level(value, top))
    domain = DOMAINS[int(held.domains[row])]
    return Context(domain, "".join(chars), "".join(levels), peak, round(float(values[row]), 2))


def _strongest_rows(values: np.ndarray, k: int, apart: int = 8) -> list[int]:
    """The k rows with the largest values, no two within `apart` rows of each other."""
    chosen: list[int] = []
    candidates = torch.from_numpy(values).topk(min(50 * k, len(values))).indices.numpy()
    for row in candidates:
        if values[row] <= 0:
            break
        if all(abs(int(row) - c) >= apart for c in chosen):
            chosen.append(int(row))
        if len(chosen) == k:
            break
    return chosen


def _unit(
    key: str,
    label: str,
    values: np.ndarray,
    logit_effect: torch.Tensor,
    table: PlantedDetection,
    index: int,
    held: HeldOutReading,
    row_of: np.ndarray,
) -> BrowserUnit:
    top = float(values.max())
    on = values[values > 0]
    counts = np.histogram(on, bins=N_BINS, range=(0.0, top))[0] if top > 0 else np.zeros(N_BINS)
    pushed = logit_effect.topk(N_LOGITS)
    best = int(table.detection.f1[index].argmax())
    mine = torch.nonzero(table.answered[index])[:, 0]
    mine = mine[table.detection.f1[index, mine].argsort(descending=True)][:8].tolist()
    return BrowserUnit(
        key=key,
        label=label,
        top=round(top, 2),
        fires=round(len(on) / len(values), 4),
        contexts=[
            _context(held, values, row_of, r, top) for r in _strongest_rows(values, N_CONTEXTS)
        ],
        histogram=[int(c) for c in counts],
        logits=[
            (_shown(int(b)), round(float(v), 2))
            for v, b in zip(pushed.values, pushed.indices, strict=True)
        ],
        feature=PLANTED[best].name,
        f1=round(float(table.detection.f1[index, best]), 2),
        bar=round(float(table.chance[best]), 2),
        answers=bool(table.answered[index, best]),
        answered=[(PLANTED[i].name, round(float(table.detection.f1[index, i]), 2)) for i in mine],
    )


def browser_units(
    lm: OneLayerTransformer,
    sae: SparseAutoencoder,
    held: HeldOutReading,
    latents: torch.Tensor,
    by_latent: PlantedDetection,
    by_neuron: PlantedDetection,
) -> list[BrowserUnit]:
    """Every latent, then every neuron. latents: (N, n_latents) the SAE's latents on
    held.neurons; by_latent, by_neuron: their detection tables (`detect_planted`)."""
    W_out, W_U = lm.blocks[0].mlp.W_out.detach(), lm.unembed.W_U.detach()
    neuron_logits = W_out @ W_U  # (d_mlp, 256): what one unit of each neuron adds to the logits
    latent_logits = (sae.W_dec.detach() * sae.scale).T @ neuron_logits  # (n_latents, 256)
    row_of = np.full(len(held.text.text) + 1, -1)
    row_of[held.positions] = np.arange(len(held.positions))
    units = []
    for prefix, name, acts, logits, table in (
        ("L", "latent", latents, latent_logits, by_latent),
        ("N", "neuron", held.neurons, neuron_logits, by_neuron),
    ):
        for lo in range(0, acts.shape[1], 64):  # 64 units at a time, each one contiguous
            block = acts[:, lo : lo + 64].T.contiguous().numpy()  # (≤ 64, N)
            for k, values in enumerate(block):
                i = lo + k
                units.append(
                    _unit(f"{prefix}{i}", f"{name} {i}", values, logits[i], table, i, held, row_of)
                )
    return units


_ASSETS = Path(__file__).parent  # feature_browser.css and .js, read when a browser is drawn


def feature_browser(units: list[BrowserUnit], name: str = "pb") -> str:
    """The browser as one HTML block: a searchable list of every unit (arrow keys, Home and
    End move through it) and a panel for the chosen one. No request leaves it."""
    options = "".join(
        f'<li role="option" id="{name}-{u.key}" aria-selected="false">'
        f"{html.escape(u.label)} · "
        f"{html.escape(u.feature) + f' {u.f1:.2f}' if u.answers else 'no match above the bar'}"
        f"<span hidden> {html.escape(' '.join(name for name, _ in u.answered))}</span></li>"
        for u in units
    )
    rows = [
        {**asdict(u), "contexts": [list(asdict(c).values()) for c in u.contexts]} for u in units
    ]
    data = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    style = (_ASSETS / "feature_browser.css").read_text(encoding="utf-8")
    script = (_ASSETS / "feature_browser.js").read_text(encoding="utf-8")
    return (
        f'<div class="pb" id="{name}"><style>{style}</style>'
        f'<div><label for="{name}-search">Find a unit, or a planted feature</label>'
        f'<input id="{name}-search" type="search" autocomplete="off">'
        f'<p class="pb-count" aria-live="polite">{len(units)} units</p>'
        f'<ul role="listbox" tabindex="0" aria-label="units: use the arrow keys">'
        f"{options}</ul></div>"
        f'<section class="pb-detail" aria-live="polite"></section>'
        f'<script type="application/json">{data}</script>'
        f"<script>{script}</script></div>"
    )
