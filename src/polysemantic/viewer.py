"""A unit viewer: a neuron's (or a feature's) top contexts, each byte marked by activation.

Plain HTML (no script, no CDN), so it renders the same in Jupyter, in Colab and
in the built book, and in light or dark mode (the shade is translucent orange
over the page's own colours). Hover a character to read its activation.

Each byte q is marked by the unit's activation just after the model has read
it, the activation that predicts byte q + 1. The activation is drawn twice: as
the height of a bar behind the character (which survives greyscale printing and
every kind of colour blindness) and as its shade; every row also prints its
peak as a number. Like every figure of the course, a view needs a caption
saying what the reader should see.
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


def characters_around(
    corpus: Corpus, last_read: int, activation_at: ActivationAt, before: int, after: int
) -> list[tuple[str, float, bool]]:
    """The whole characters of `last_read`'s document from `before` bytes before it to
    `after` bytes after, each with the unit's activation after reading it (the largest over
    its bytes) and whether it holds `last_read`. -> [(character, activation, is_peak)]."""
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
        out.append((char, value, q <= last_read < q + length))
        q += length
    return out


def _snippet(
    corpus: Corpus,
    last_read: int,
    activation_at: ActivationAt,
    scale: float,
    before: int,
    after: int,
) -> str:
    """HTML of the bytes around `last_read` (the byte just read at the top activation)."""
    return "".join(
        _marked(char, value, scale, peak)
        for char, value, peak in characters_around(corpus, last_read, activation_at, before, after)
    )


def _marked(char: str, value: float, scale: float, peak: bool) -> str:
    """One character over a bar: height and shade both grow with value / scale."""
    share = min(max(value / scale, 0.0), 1.0) if scale > 0 else 0.0
    height, alpha = round(100 * share), 0.25 + 0.55 * share
    bar = (
        f"background:linear-gradient(to top,rgba(230,159,0,{alpha:.2f}) {height}%,"
        f"transparent {height}%);"
        if height > 0
        else ""
    )
    mark = "border-bottom:3px solid currentColor;" if peak else ""
    shown = html.escape(_VISIBLE.get(char, char))
    return f'<span title="{value:.2f}" style="{bar}{mark}">{shown}</span>'


def unit_view(
    corpus: Corpus,
    positions: np.ndarray,
    activations: np.ndarray,
    activation_at: ActivationAt,
    *,
    title: str,
    caption: str,
    per_group: int = 3,
    before: int = 40,
    after: int = 6,
    groups: dict[str, np.ndarray] | None = None,
) -> str:
    """HTML: per domain (or group), the unit's `per_group` strongest contexts among `positions`.

    positions: (N,) predicted-byte positions in `corpus`; activations: (N,) the unit's
    activation there; activation_at(positions) computes it anywhere (for shading).
    groups: rows by something other than domain, {row label: (N,) bool mask}.
    Each row shows its group, the context with its bytes marked, and its peak
    activation, as a number and as a share of the unit's strongest one. `caption`
    says in one sentence what the reader should see.
    """
    if not caption.strip():
        raise ValueError("every view needs a caption saying what the reader should see")
    positions, activations = np.asarray(positions), np.asarray(activations, dtype=np.float64)
    scale = float(activations.max()) if len(activations) else 0.0
    by = "domain" if groups is None else "group"
    strongest = "strongest context" if per_group == 1 else f"{per_group} strongest contexts"
    if groups is None:
        groups = {name: corpus.domain[positions] == d for d, name in enumerate(DOMAINS)}
    rows = []
    for name, mask in groups.items():
        mine = np.flatnonzero(mask)
        best = mine[np.argsort(-activations[mine], kind="stable")[:per_group]]
        for i in best:
            share = activations[i] / scale if scale > 0 else 0.0
            snippet = _snippet(corpus, int(positions[i]) - 1, activation_at, scale, before, after)
            rows.append(
                f"<tr><td>{html.escape(name)}</td>"
                f'<td style="font-family:monospace;white-space:pre;'
                f'line-height:1.9;padding:2px 8px">{snippet}</td>'
                f'<td style="text-align:right">{activations[i]:.2f} ({share:.0%})</td></tr>'
            )
    return (
        f'<figure class="polysemantic-viewer" style="overflow-x:auto;margin:1em 0">'
        f"<p><strong>{html.escape(title)}</strong>: its {strongest} in each {by}, one per row. "
        f"Behind each character, a bar whose height and shade grow with the activation "
        f"after reading it (full height: {scale:.2f}, the strongest of all; hover for the "
        f"value); the thick underline marks the row's peak, printed on the right.</p>"
        f"<table><thead><tr><th>where</th><th>context</th><th>peak (share)</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        f"<figcaption><strong>Figure.</strong> {html.escape(caption)}</figcaption></figure>"
    )


def show_html(markup: str) -> None:
    """Display HTML in a notebook or the built book."""
    from IPython.display import HTML, display

    display(HTML(markup))
