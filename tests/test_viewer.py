"""The byte-marked unit viewer of chapters 02 and 08."""

import re

import numpy as np
import pytest

from polysemantic import viewer
from polysemantic.language_model import corpus


def _tiny_corpus(text: str) -> corpus.Corpus:
    data = np.frombuffer(text.encode(), dtype=np.uint8).copy()
    return corpus.Corpus(
        data,
        np.zeros(len(data), dtype=np.int64),
        np.array([0]),
        np.array([len(data)]),
        label_feature=np.zeros(0, dtype=np.int64),  # no planted feature labelled
        label_byte=np.zeros(0, dtype=np.int64),
        label_until=np.zeros(0, dtype=np.int64),
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
        caption="one context",
        per_group=1,
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


def test_the_activation_is_drawn_as_a_bar_height_not_by_colour_alone():
    """Greyscale and colour-blind readers get the bar's height; every row prints its peak."""
    text = _tiny_corpus("abcd")
    html = viewer._snippet(text, 3, lambda p: np.array([0.0, 1.0, 2.0, 4.0]), 4.0, 40, 6)
    heights = [int(h) for h in re.findall(r"\) (\d+)%,transparent", html)]
    assert heights == [25, 50, 100]  # a (activation 0) has no bar at all
    assert html.count("linear-gradient") == 3


def test_a_view_needs_a_caption_and_has_no_script():
    text = _tiny_corpus("hello world")
    positions = np.arange(1, len(text.text))
    args = (text, positions, positions.astype(float), lambda p: p.astype(float))
    with pytest.raises(ValueError, match="caption"):
        viewer.unit_view(*args, title="unit 0", caption=" ")
    html = viewer.unit_view(*args, title="unit 0", caption="It peaks at the end.")
    assert "<figcaption><strong>Figure.</strong> It peaks at the end.</figcaption>" in html
    assert "<script" not in html and "10.00 (100%)" in html
