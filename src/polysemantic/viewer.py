"""A unit viewer: a neuron's (or a feature's) top contexts, each byte shaded by activation.

Plain HTML (no script, no CDN), so it renders the same in Jupyter, in Colab and
in the built book, and in light or dark mode (the shade is translucent orange
over the page's own colours). Hover a character to read its activation.

Each byte q is shaded by the unit's activation just after the model has read
it, the activation that predicts byte q + 1.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import numpy as np

from polysemantic.language_model.corpus import DOMAINS, Corpus

ActivationAt = Callable[[np.ndarray], np.ndarray]  # byte positions (N,) -> activations (N,)


def _utf8_length(lead: int) -> int:
    if lead < 0x80:
        return 1
    if lead >> 5 == 0b110:
        return 2
    if lead >> 4 == 0b1110:
        return 3
    if lead >> 3 == 0b11110:
        return 4
    return 0  # a continuation byte: not the start of a character


_VISIBLE = {"\n": "⏎", "\r": "", "\t": "→"}


def _snippet(
    corpus: Corpus,
    last_read: int,
    activation_at: ActivationAt,
    scale: float,
    before: int,
    after: int,
) -> str:
    """HTML of the bytes around `last_read` (the byte just read at the top activation)."""
    doc = int(np.searchsorted(corpus.starts, last_read, side="right") - 1)
    lo = max(int(corpus.starts[doc]), last_read - before)
    hi = min(int(corpus.starts[doc] + corpus.lengths[doc]), last_read + after + 1)
    byte_positions = np.arange(lo, hi)
    acts = np.asarray(activation_at(byte_positions + 1), dtype=np.float64)  # (hi - lo,)
    out, q = [], lo
    while q < hi:
        length = _utf8_length(int(corpus.text[q]))
        if length == 0 or q + length > hi:  # a character cut by the window's edge
            q += 1
            continue
        char = bytes(corpus.text[q : q + length]).decode("utf-8", errors="replace")
        value = float(acts[q - lo : q - lo + length].max())
        alpha = min(max(value / scale, 0.0), 1.0) if scale > 0 else 0.0
        mark = "border-bottom:2px solid currentColor;" if q <= last_read < q + length else ""
        shown = html.escape(_VISIBLE.get(char, char))
        out.append(
            f'<span title="{value:.2f}" style="background:rgba(230,159,0,{alpha:.2f});'
            f'{mark}">{shown}</span>'
        )
        q += length
    return "".join(out)


def unit_view(
    corpus: Corpus,
    positions: np.ndarray,
    activations: np.ndarray,
    activation_at: ActivationAt,
    *,
    title: str,
    per_domain: int = 3,
    before: int = 40,
    after: int = 6,
) -> str:
    """HTML: for every domain, the unit's `per_domain` strongest contexts among `positions`.

    positions: (N,) predicted-byte positions in `corpus`; activations: (N,) the unit's
    activation there; activation_at(positions) computes it anywhere (for shading).
    Each row shows the domain, the context with its bytes shaded, and its peak
    activation as a share of the unit's strongest one.
    """
    positions, activations = np.asarray(positions), np.asarray(activations, dtype=np.float64)
    scale = float(activations.max()) if len(activations) else 0.0
    domains = corpus.domain[positions]
    rows = []
    for d, name in enumerate(DOMAINS):
        mine = np.flatnonzero(domains == d)
        best = mine[np.argsort(-activations[mine], kind="stable")[:per_domain]]
        for i in best:
            share = activations[i] / scale if scale > 0 else 0.0
            snippet = _snippet(corpus, int(positions[i]) - 1, activation_at, scale, before, after)
            rows.append(
                f'<tr><td>{name}</td><td style="font-family:monospace;white-space:pre;'
                f'padding:2px 8px">{snippet}</td><td>{share:.0%}</td></tr>'
            )
    return (
        f'<div class="polysemantic-viewer" style="overflow-x:auto">'
        f"<p><strong>{html.escape(title)}</strong>: top contexts in every domain. Each "
        f"character is shaded by the activation after reading it (hover for the value); the "
        f"underlined one is where the row's peak is. Last column: the peak as a share of the "
        f"strongest activation overall ({scale:.2f}).</p>"
        f"<table><thead><tr><th>domain</th><th>context</th><th>peak</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def show_html(markup: str) -> None:
    """Display HTML in a notebook or the built book."""
    from IPython.display import HTML, display

    display(HTML(markup))
