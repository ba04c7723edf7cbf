"""The byte-shaded unit viewer of chapters 02 and 08."""

import numpy as np

from polysemantic import viewer
from polysemantic.language_model import corpus


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
