"""Every figure of the course, with one look.

- Colours: the Okabe–Ito palette (safe for the common colour-vision
  deficiencies) for lines and points; cividis for heatmaps.
- One layout: labelled axes with units, a plain white card in notebooks; the
  built book recolours figures for its dark mode (book_static/polysemantic-plotly.js).
- A caption for every figure: one sentence saying what the reader should see.
  `show` prints it under the figure, and the book uses it as the alt text.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

# Okabe & Ito (2008), "Color Universal Design".
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
SEQUENTIAL = "Cividis"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"


def layout(
    fig: go.Figure, *, title: str, x_title: str, y_title: str, caption: str, height: int = 420
) -> go.Figure:
    """Apply the course's look and attach the caption (`layout.meta.caption`)."""
    if not caption.strip():
        raise ValueError("every figure needs a caption saying what the reader should see")
    fig.update_layout(
        template="plotly_white",
        title={"text": title, "x": 0.0, "xanchor": "left"},
        colorway=list(PALETTE),
        font={"family": FONT, "size": 14},
        height=height,
        margin={"l": 70, "r": 30, "t": 60, "b": 60},
        meta={"caption": caption},
        legend={"bgcolor": "rgba(0,0,0,0)"},
    )
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title)
    return fig


def caption_of(fig: go.Figure) -> str:
    meta = fig.layout.meta
    return meta.get("caption", "") if isinstance(meta, dict) else ""


def heatmap(
    z: np.ndarray,
    *,
    x_labels: Sequence[str],
    y_labels: Sequence[str],
    title: str,
    x_title: str,
    y_title: str,
    colorbar_title: str,
    caption: str,
    zmin: float | None = None,
    zmax: float | None = None,
) -> go.Figure:
    """A labelled heatmap; z has shape (len(y_labels), len(x_labels))."""
    z = np.asarray(z, dtype=float)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(x_labels),
            y=list(y_labels),
            colorscale=SEQUENTIAL,
            zmin=zmin,
            zmax=zmax,
            colorbar={"title": {"text": colorbar_title}},
            hovertemplate=f"{y_title}: %{{y}}<br>{x_title}: %{{x}}<br>"
            f"{colorbar_title}: %{{z:.3f}}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return layout(fig, title=title, x_title=x_title, y_title=y_title, caption=caption)


def lines(
    x: np.ndarray,
    ys: Mapping[str, np.ndarray],
    *,
    title: str,
    x_title: str,
    y_title: str,
    caption: str,
    log_y: bool = False,
    colors: Mapping[str, str] | None = None,
) -> go.Figure:
    """One line per entry of `ys`, all against the same x; `colors` may fix some colours."""
    fig = go.Figure()
    for name, y in ys.items():
        line = {"color": colors[name]} if colors and name in colors else {}
        fig.add_trace(
            go.Scatter(
                x=np.asarray(x), y=np.asarray(y, dtype=float), name=name, mode="lines", line=line
            )
        )
    if log_y:
        fig.update_yaxes(type="log")
    return layout(fig, title=title, x_title=x_title, y_title=y_title, caption=caption)


def stepped(
    frames: Sequence[Sequence[go.BaseTraceType]], *, slider_labels: Sequence[str], slider_title: str
) -> go.Figure:
    """A figure showing one group of traces at a time, chosen with a slider.

    frames[k] is the list of traces shown at slider position k.
    """
    fig = go.Figure()
    owner = []  # which slider position each trace belongs to
    for k, traces in enumerate(frames):
        for trace in traces:
            trace.visible = k == 0
            fig.add_trace(trace)
            owner.append(k)
    steps = [
        {"method": "update", "label": label, "args": [{"visible": [o == k for o in owner]}]}
        for k, label in enumerate(slider_labels)
    ]
    fig.update_layout(
        sliders=[
            {
                "active": 0,
                "steps": steps,
                "pad": {"t": 50},
                "currentvalue": {"prefix": f"{slider_title}: "},
            }
        ]
    )
    return fig


def heatmap_slider(
    zs: Sequence[np.ndarray],
    *,
    slider_labels: Sequence[str],
    slider_title: str,
    x_labels: Sequence[str],
    y_labels: Sequence[str],
    title: str,
    x_title: str,
    y_title: str,
    colorbar_title: str,
    caption: str,
    zmin: float | None = None,
    zmax: float | None = None,
) -> go.Figure:
    """Several heatmaps of one shape, one shown at a time, chosen with a slider."""
    frames = [
        [
            heatmap(
                z,
                x_labels=x_labels,
                y_labels=y_labels,
                title=title,
                x_title=x_title,
                y_title=y_title,
                colorbar_title=colorbar_title,
                caption=caption,
                zmin=zmin,
                zmax=zmax,
            ).data[0]
        ]
        for z in zs
    ]
    fig = stepped(frames, slider_labels=slider_labels, slider_title=slider_title)
    fig.update_yaxes(autorange="reversed")
    return layout(fig, title=title, x_title=x_title, y_title=y_title, caption=caption, height=520)


def arrows_slider(
    frames: Sequence[np.ndarray],
    *,
    slider_labels: Sequence[str],
    slider_title: str,
    arrow_names: Sequence[str],
    title: str,
    x_title: str,
    y_title: str,
    caption: str,
) -> go.Figure:
    """2-D arrows from the origin, one set per slider position.

    frames: each of shape (2, n_arrows), column k is arrow k's tip.
    """
    limit = max(float(np.abs(f).max()) for f in frames) * 1.15 or 1.0
    traces = [
        [
            go.Scatter(
                x=[0, float(tips[0, a])],
                y=[0, float(tips[1, a])],
                mode="lines+markers",
                name=name,
                legendgroup=name,
                showlegend=k == 0,
                line={"color": PALETTE[a % len(PALETTE)], "width": 3},
                marker={"size": [0, 10]},
                hovertemplate=f"{name}: (%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
            )
            for a, name in enumerate(arrow_names)
        ]
        for k, tips in enumerate(frames)
    ]
    fig = stepped(traces, slider_labels=slider_labels, slider_title=slider_title)
    fig.update_xaxes(range=[-limit, limit], zeroline=True)
    fig.update_yaxes(range=[-limit, limit], zeroline=True, scaleanchor="x", scaleratio=1)
    return layout(fig, title=title, x_title=x_title, y_title=y_title, caption=caption, height=560)


DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def city_from_above(
    streets: np.ndarray, *, street_names: Sequence[str], title: str, caption: str
) -> go.Figure:
    """Chapter 05's city seen from above: each street is a concept's direction, and an
    observer who can only look along the two neuron axes sees each street's shadow.

    streets: (2, n_streets), column k is street k's unit direction. Each street gets
    its own colour and dash pattern, and its shadows on both axes are labelled.
    """
    fig = go.Figure()
    for axis, (dx, dy) in (("neuron 1's axis", (1.0, 0.0)), ("neuron 2's axis", (0.0, 1.0))):
        fig.add_trace(
            go.Scatter(
                x=[-1.2 * dx, 1.2 * dx],
                y=[-1.2 * dy, 1.2 * dy],
                mode="lines",
                name=axis,
                line={"color": "#777777", "width": 8},
                opacity=0.35,
                hoverinfo="skip",
            )
        )
    for k, name in enumerate(street_names):
        ux, uy = (float(v) for v in streets[:, k])
        color, dash = PALETTE[k % len(PALETTE)], DASHES[k % len(DASHES)]
        fig.add_trace(
            go.Scatter(
                x=[-1.1 * ux, 1.1 * ux],
                y=[-1.1 * uy, 1.1 * uy],
                mode="lines+text",
                name=name,
                legendgroup=name,
                line={"color": color, "width": 3, "dash": dash},
                text=["", name],
                textposition="top center",
                hoverinfo="name",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[ux, 0.0],
                y=[0.0, uy],
                mode="markers",
                name=f"{name}, as the neurons see it",
                legendgroup=name,
                showlegend=False,
                marker={"color": color, "size": 11, "symbol": k % 20},
                hovertemplate=f"{name}: %{{x:.2f}} on neuron 1, %{{y:.2f}} on neuron 2"
                "<extra></extra>",
            )
        )
    fig.update_xaxes(range=[-1.3, 1.3], zeroline=False)
    fig.update_yaxes(range=[-1.3, 1.3], zeroline=False, scaleanchor="x", scaleratio=1)
    return layout(
        fig,
        title=title,
        x_title="neuron 1 (east-west)",
        y_title="neuron 2 (north-south)",
        caption=caption,
        height=560,
    )


def signals_slider(
    x: Sequence[float],
    frames: Sequence[Mapping[str, np.ndarray]],
    *,
    slider_labels: Sequence[str],
    slider_title: str,
    title: str,
    x_title: str,
    y_title: str,
    caption: str,
) -> go.Figure:
    """Per slider position, several series over the same x: the first as bars (the
    truth), the others as markers (estimates of it)."""
    traces = []
    for k, series in enumerate(frames):
        group = []
        for j, (name, y) in enumerate(series.items()):
            style = dict(
                name=name,
                legendgroup=name,
                showlegend=k == 0,
                marker={"color": PALETTE[j % len(PALETTE)]},
            )
            if j == 0:
                group.append(go.Bar(x=list(x), y=np.asarray(y, dtype=float), **style))
            else:
                group.append(
                    go.Scatter(x=list(x), y=np.asarray(y, dtype=float), mode="markers", **style)
                )
        traces.append(group)
    fig = stepped(traces, slider_labels=slider_labels, slider_title=slider_title)
    return layout(fig, title=title, x_title=x_title, y_title=y_title, caption=caption, height=500)


def arrows_3d(
    tips: np.ndarray,
    *,
    arrow_names: Sequence[str],
    title: str,
    caption: str,
    axis_titles: Sequence[str] = ("neuron 1", "neuron 2", "neuron 3"),
) -> go.Figure:
    """3-D arrows from the origin (tips: (3, n_arrows)), with the three axes drawn;
    the reader turns the scene with the mouse."""
    tips = np.asarray(tips, dtype=float)
    fig = go.Figure()
    for a, name in enumerate(arrow_names):
        x, y, z = tips[:, a]
        fig.add_trace(
            go.Scatter3d(
                x=[0, x],
                y=[0, y],
                z=[0, z],
                mode="lines+markers",
                name=name,
                line={"color": PALETTE[a % len(PALETTE)], "width": 6},
                marker={"size": [0, 5], "color": PALETTE[a % len(PALETTE)]},
            )
        )
    limit = float(np.abs(tips).max()) * 1.1
    axis = {"range": [-limit, limit]}
    fig.update_layout(
        scene={
            "xaxis": {**axis, "title": {"text": axis_titles[0]}},
            "yaxis": {**axis, "title": {"text": axis_titles[1]}},
            "zaxis": {**axis, "title": {"text": axis_titles[2]}},
            "aspectmode": "cube",
        }
    )
    return layout(
        fig,
        title=title,
        x_title=axis_titles[0],
        y_title=axis_titles[1],
        caption=caption,
        height=560,
    )


def _shares(values: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """The share of `values` in each bin: (len(bins) - 1,)."""
    counts, _ = np.histogram(np.asarray(values), bins=bins)
    return counts / max(len(values), 1)


def histogram_slider(
    samples: Sequence[np.ndarray],
    *,
    bins: np.ndarray,
    slider_labels: Sequence[str],
    slider_title: str,
    title: str,
    x_title: str,
    y_title: str,
    caption: str,
) -> go.Figure:
    """One histogram per slider position, binned here so the page carries only counts."""
    centers = (bins[:-1] + bins[1:]) / 2
    frames = []
    for values in samples:
        frames.append(
            [
                go.Bar(
                    x=centers,
                    y=_shares(values, bins),
                    width=np.diff(bins),
                    showlegend=False,
                    marker={"color": PALETTE[0]},
                    hovertemplate=f"{x_title}: %{{x:.3f}}<br>{y_title}: %{{y:.3f}}<extra></extra>",
                )
            ]
        )
    fig = stepped(frames, slider_labels=slider_labels, slider_title=slider_title)
    return layout(fig, title=title, x_title=x_title, y_title=y_title, caption=caption, height=480)


def histograms(
    samples: Mapping[str, np.ndarray],
    *,
    bins: np.ndarray,
    title: str,
    x_title: str,
    caption: str,
    y_title: str = "share",
) -> go.Figure:
    """Side-by-side histograms of several samples over the same bins, as shares of each."""
    centers = (bins[:-1] + bins[1:]) / 2
    fig = go.Figure()
    for name, values in samples.items():
        fig.add_trace(
            go.Bar(
                x=centers,
                y=_shares(values, bins),
                name=name,
                hovertemplate=f"{name}<br>{x_title}: %{{x:.2f}}<br>{y_title}: "
                "%{y:.3f}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group", bargap=0.1)
    return layout(fig, title=title, x_title=x_title, y_title=y_title, caption=caption)


def bars(
    categories: Sequence[str],
    groups: Mapping[str, np.ndarray],
    *,
    title: str,
    x_title: str,
    y_title: str,
    caption: str,
) -> go.Figure:
    """Grouped bars: one bar per category for every group, told apart by colour and by
    hatching (so they survive greyscale). Each of `groups`' values has len(categories)."""
    fig = go.Figure()
    for k, (name, values) in enumerate(groups.items()):
        fig.add_trace(
            go.Bar(
                x=list(categories),
                y=np.asarray(values, dtype=float),
                name=name,
                marker={"pattern": {"shape": ("", "/", ".", "x")[k % 4]}},
                hovertemplate=f"{name}<br>%{{x}}<br>{y_title}: %{{y:.2f}}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group", bargap=0.2)
    return layout(fig, title=title, x_title=x_title, y_title=y_title, caption=caption)


def category_map(
    categories: np.ndarray,
    *,
    x: np.ndarray,
    y: np.ndarray,
    names: Sequence[str],
    title: str,
    x_title: str,
    y_title: str,
    caption: str,
    log_x: bool = True,
    log_y: bool = True,
) -> go.Figure:
    """A map of categories (integers 0..len(names)-1) over a grid, regions named on it.

    categories: (len(y), len(x)).
    """
    categories = np.asarray(categories)
    k = len(names)
    colors = [PALETTE[i] for i in (5, 2, 0)][:k] if k <= 3 else list(PALETTE[:k])
    scale = []
    for i, color in enumerate(colors):  # a stepped colour scale: one flat band per category
        scale += [[i / k, color], [(i + 1) / k, color]]
    fig = go.Figure(
        go.Heatmap(
            z=categories,
            x=np.asarray(x),
            y=np.asarray(y),
            zmin=-0.5,
            zmax=k - 0.5,
            colorscale=scale,
            showscale=False,
            customdata=np.asarray(names, dtype=object)[categories],
            hovertemplate=f"{x_title}: %{{x:.3g}}<br>{y_title}: %{{y:.3g}}<br>"
            "%{customdata}<extra></extra>",
        )
    )
    for i, name in enumerate(names):  # label each region at the centre of its cells
        rows, cols = np.nonzero(categories == i)
        if len(rows) == 0:
            continue
        cx = np.exp(np.log(x[cols]).mean()) if log_x else x[cols].mean()
        cy = np.exp(np.log(y[rows]).mean()) if log_y else y[rows].mean()
        fig.add_annotation(
            x=np.log10(cx) if log_x else cx,
            y=np.log10(cy) if log_y else cy,
            text=f"<b>{name}</b>",
            showarrow=False,
            font={"color": "white", "size": 14},
            bgcolor="rgba(0,0,0,0.45)",
        )
    if log_x:
        fig.update_xaxes(type="log", dtick=1)  # ticks at powers of ten only
    if log_y:
        fig.update_yaxes(type="log", dtick=1)
    return layout(fig, title=title, x_title=x_title, y_title=y_title, caption=caption)


def points_with_levels(
    x: np.ndarray,
    points: np.ndarray,
    line: np.ndarray,
    levels: Mapping[str, float],
    *,
    point_name: str,
    line_name: str,
    title: str,
    x_title: str,
    y_title: str,
    caption: str,
    log_x: bool = True,
) -> go.Figure:
    """Many points per x (points: (len(x), k)), a line through x, and named levels."""
    fig = go.Figure()
    xs = np.repeat(np.asarray(x, dtype=float), points.shape[1])
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=np.asarray(points, dtype=float).ravel(),
            mode="markers",
            name=point_name,
            marker={"size": 4, "opacity": 0.35, "color": PALETTE[0]},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=np.asarray(x),
            y=np.asarray(line, dtype=float),
            mode="lines",
            name=line_name,
            line={"color": PALETTE[5], "width": 3},
        )
    )
    ordered = sorted(levels.items(), key=lambda item: item[1])
    values = [value for _, value in ordered]
    for k, (name, value) in enumerate(ordered):
        # Each name goes on the roomier side of its line, so that close levels (3/8 and
        # 2/5, 2/3 and 3/4) keep their names apart.
        above = values[k + 1] - value if k + 1 < len(values) else np.inf
        below = value - values[k - 1] if k > 0 else abs(value)
        fig.add_hline(
            y=value,
            line={"dash": "dot", "width": 1, "color": PALETTE[7]},
            annotation_text=name,
            annotation_position="top right" if above >= below else "bottom right",
        )
    if log_x:
        fig.update_xaxes(type="log")
    fig = layout(fig, title=title, x_title=x_title, y_title=y_title, caption=caption, height=560)
    return fig.update_layout(
        margin={"r": 190},  # room for the levels' names
        legend={"orientation": "h", "y": -0.2, "x": 0},
    )


def _in_colab() -> bool:
    return "google.colab" in sys.modules


def show(fig: go.Figure) -> None:
    """Display a figure and its caption in a notebook.

    The figure goes out as plotly's JSON mime type only (never an inline copy of
    plotly.js, which would add 4 MB to every stored notebook); Colab, which does
    not render that type, gets plotly's own Colab renderer instead.
    """
    from IPython.display import display

    caption = caption_of(fig)
    if _in_colab():
        fig.show(renderer="colab")
    else:
        import plotly.io as pio

        bundle = pio.renderers["plotly_mimetype"].to_mimebundle(fig.to_dict())
        bundle["text/plain"] = f"<figure: {fig.layout.title.text}>"
        display(bundle, raw=True)
    display(
        {"text/markdown": f"**Figure.** {caption}", "text/plain": f"Figure. {caption}"}, raw=True
    )
