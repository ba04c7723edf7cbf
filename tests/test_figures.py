"""The figure helpers: one look, a caption on every figure, sliders that show one step."""

import numpy as np
import pytest

from polysemantic import figures


def test_every_figure_needs_a_caption():
    with pytest.raises(ValueError, match="caption"):
        figures.lines(
            np.arange(3), {"a": np.arange(3)}, title="t", x_title="x", y_title="y", caption="  "
        )


def test_layout_labels_axes_and_keeps_the_caption():
    fig = figures.heatmap(
        np.eye(2),
        x_labels=["a", "b"],
        y_labels=["c", "d"],
        title="t",
        x_title="feature",
        y_title="neuron",
        colorbar_title="z",
        caption="One bright cell per row.",
    )
    assert fig.layout.xaxis.title.text == "feature" and fig.layout.yaxis.title.text == "neuron"
    assert figures.caption_of(fig) == "One bright cell per row."
    assert list(fig.layout.colorway) == list(figures.PALETTE)


def test_slider_steps_show_exactly_their_own_traces():
    frames = [np.eye(2), np.ones((2, 2)), np.zeros((2, 2))]
    fig = figures.heatmap_slider(
        frames,
        slider_labels=["a", "b", "c"],
        slider_title="s",
        x_labels=["x0", "x1"],
        y_labels=["y0", "y1"],
        title="t",
        x_title="x",
        y_title="y",
        colorbar_title="z",
        caption="c",
    )
    steps = fig.layout.sliders[0].steps
    assert [t.visible for t in fig.data] == [True, False, False]  # the first step shows
    for k, step in enumerate(steps):
        assert step.args[0]["visible"] == [i == k for i in range(3)]


def test_arrows_slider_groups_arrows_per_step():
    tips = [np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 0.0]])] * 2
    fig = figures.arrows_slider(
        tips,
        slider_labels=["a", "b"],
        slider_title="s",
        arrow_names=["f0", "f1", "f2"],
        title="t",
        x_title="x",
        y_title="y",
        caption="c",
    )
    visible = fig.layout.sliders[0].steps[1].args[0]["visible"]
    assert visible == [False] * 3 + [True] * 3


def test_category_map_names_each_present_region():
    categories = np.array([[0, 0, 2], [1, 1, 2]])
    fig = figures.category_map(
        categories,
        x=np.array([0.01, 0.1, 1.0]),
        y=np.array([0.1, 10.0]),
        names=("a", "b", "c"),
        title="t",
        x_title="x",
        y_title="y",
        caption="c",
    )
    assert sorted(a.text for a in fig.layout.annotations) == ["<b>a</b>", "<b>b</b>", "<b>c</b>"]
