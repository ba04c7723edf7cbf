"""Each chapter's key figure as static vector graphics (SVG), for the printed handouts.

Drawn with matplotlib from the same library functions and settings as the book's
interactive figure of that chapter, in the course's look for paper: the
Okabe–Ito palette, cividis for heatmaps, and marker shapes or dash patterns on
every line so that the figures read in greyscale too. Text stays text, in a font
typst embeds, and the files carry no date, so the same data give byte-identical SVGs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from cycler import cycler

from polysemantic.figures import PALETTE

WIDTH, HEIGHT = 6.4, 2.7  # inches
_STYLE = {
    "svg.fonttype": "none",  # text stays text: typst sets it in its own embedded font
    "svg.hashsalt": "polysemantic",
    "font.family": "DejaVu Sans Mono",  # one of typst's built-in fonts
    "font.size": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=list(PALETTE)),
}


def _heatmap(ax, z: np.ndarray, x_label: str, y_label: str, bar: str, fig) -> None:
    image = ax.pcolormesh(z, cmap="cividis", edgecolors="face", linewidth=0.3)  # vector
    ax.invert_yaxis()
    ax.set_xticks(np.arange(z.shape[1]) + 0.5, range(z.shape[1]))
    ax.set_yticks(np.arange(z.shape[0]) + 0.5, range(z.shape[0]))
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    colorbar = fig.colorbar(image, ax=ax, label=bar, fraction=0.04, pad=0.02)
    colorbar.solids.set_rasterized(False)  # matplotlib rasterises long colour bars
    colorbar.solids.set_edgecolor("face")  # no hairline gaps between the bar's steps


def monosemanticity(fig) -> str:
    from polysemantic.monosemanticity import (
        MonosemanticConfig,
        response_matrix,
        train_autoencoder,
    )

    run = train_autoencoder(MonosemanticConfig(n_instances=1, seed=0))
    with torch.no_grad():
        R = response_matrix(run.model.W, run.model.b_hidden)[0].numpy()
    _heatmap(fig.subplots(), R, "feature switched on (value 1)", "hidden neuron", "activation", fig)
    return (
        "What each neuron responds to: each row has a single bright cell, so every neuron "
        "answers to exactly one feature, in a shuffled order."
    )


def polysemanticity(fig) -> str:
    from polysemantic.language_model.corpus import DOMAINS
    from polysemantic.language_model.tiny_lm import load_lm
    from polysemantic.polysemanticity import domain_purity, read_held_out

    held = read_held_out(load_lm())
    purity = domain_purity(held.neurons, held.domains, len(DOMAINS)).numpy()
    ax = fig.subplots()
    ax.hist(purity, bins=np.linspace(0.2, 1.0, 17), color=PALETTE[0], edgecolor="black", lw=0.6)
    ax.axvline(0.2, color="black", ls="--", lw=1, label="0.2: all five domains alike")
    ax.legend(frameon=False, loc="upper right")
    ax.set_xlabel("domain purity (1 = one domain)")
    ax.set_ylabel("neurons")
    return (
        f"Domain purity of the language model's {len(purity)} neurons. Purity says where a "
        "neuron fires, not how many features it answers to."
    )


def capacity(fig) -> str:
    from polysemantic.capacity import pairwise_abs_cosines, random_unit_vectors

    ax = fig.subplots()
    bins = np.linspace(0, 1, 41)
    for k, (d, dash, marker) in enumerate([(3, ":", "s"), (30, "--", "^"), (300, "-", "o")]):
        V = random_unit_vectors(300, d, torch.Generator().manual_seed(0))
        share, _ = np.histogram(pairwise_abs_cosines(V).numpy(), bins=bins)
        centres = (bins[1:] + bins[:-1]) / 2
        ax.plot(
            centres,
            share / share.sum(),
            ls=dash,
            marker=marker,
            markevery=3,
            ms=4,
            color=PALETTE[k],
            label=f"d = {d}",
        )
    ax.set_xlabel("|cos| between two random unit vectors")
    ax.set_ylabel("share of pairs")
    ax.legend(frameon=False)
    return (
        "|cos| between pairs of random directions: spread over [0, 1] in 3 dimensions, "
        "packed near 0 in 300: high-dimensional random directions are nearly orthogonal."
    )


def radio_stations(fig) -> str:
    from polysemantic.radio_stations import (
        encode,
        linear_decode,
        on_air,
        station_directions,
        threshold_decode,
    )

    directions = station_directions(100, 10, torch.Generator().manual_seed(0))
    signals = on_air(1, 100, 2, torch.Generator().manual_seed(2))  # the book's 2-on-air frame
    channels = encode(signals, directions)
    thresholded = threshold_decode(channels, directions, 0.4)[0]  # (100,)
    leaks = int(((thresholded > 0) & (signals[0] == 0)).sum())
    ax = fig.subplots()
    x = np.arange(100)
    ax.plot(
        x,
        linear_decode(channels, directions)[0].numpy(),
        ls="-",
        lw=0.9,
        color=PALETTE[1],
        label="linear decoding",
    )
    ax.plot(
        x,
        thresholded.numpy(),
        ls="--",
        lw=1.2,
        color=PALETTE[2],
        label="thresholded, t = 0.4",
    )
    on = signals[0].numpy() > 0
    ax.plot(
        x[on], signals[0].numpy()[on], "o", ms=6, mfc="none", mec="black", label="what is on air"
    )
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("station")
    ax.set_ylabel("signal level")
    ax.legend(frameon=False, ncols=3, loc="upper center", bbox_to_anchor=(0.5, 1.15))
    return (
        "100 stations on 10 channels, 2 on air: the linear decoder hears every station; "
        f"the thresholded one keeps the two and silences most others, but {leaks} of the 98 "
        "silent stations still leak through."
    )


def directions(fig) -> str:
    from polysemantic.directions import plane_directions

    D = plane_directions(5, turn=np.deg2rad(30)).numpy()
    ax = fig.subplots()
    markers = "os^Dv"
    for i in range(5):
        ax.annotate(
            "",
            xy=D[:, i],
            xytext=(0, 0),
            arrowprops={"arrowstyle": "-|>", "color": PALETTE[i], "lw": 1.4},
        )
        ax.plot(*D[:, i], markers[i], color=PALETTE[i], ms=5)
        ax.text(
            *(1.22 * D[:, i] + [0, 0.06]), f"concept {i}", ha="center", va="center", fontsize=7.5
        )
    ax.axhline(0, color="grey", lw=0.6)
    ax.axvline(0, color="grey", lw=0.6)
    ax.set_xlim(-1.5, 1.5)
    ax.set_ylim(-0.25, 1.38)
    ax.set_aspect("equal")
    ax.set_xlabel("neuron 1 (activation)")
    ax.set_ylabel("neuron 2 (activation)")
    return (
        "Five concept directions in the plane of two neurons: most show up on both neuron "
        "axes, so each neuron alone mixes several concepts."
    )


def superposition(fig) -> str:
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    from polysemantic.superposition import PHASE_NAMES
    from polysemantic.superposition_sweeps import load_artifact, majority_phase

    full = load_artifact()
    phases = majority_phase(full["phases_n2"])
    importances, densities = full["phase_importances"], full["phase_densities"]
    shades = ["#00204D", "#7C7B78", "#FFEA46"]  # cividis ends and middle: apart in grey
    ax = fig.subplots()
    ax.pcolormesh(
        densities,
        importances,
        phases,
        cmap=ListedColormap(shades),
        norm=BoundaryNorm([-0.5, 0.5, 1.5, 2.5], 3),
        shading="nearest",
        edgecolors="face",
        linewidth=0.3,
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("feature density 1 − S (log)")
    ax.set_ylabel("extra feature's importance (log)")
    handles = [
        Patch(facecolor=c, edgecolor="black", label=n)
        for c, n in zip(shades, PHASE_NAMES, strict=True)
    ]
    ax.legend(
        handles=handles, frameon=True, fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5)
    )
    return (
        "The extra feature's phase, 2 features in 1 dimension: dense data (right) never "
        "superposes; sparse data (left) shares the dimension."
    )


def why_it_matters(fig) -> str:
    from polysemantic.monosemanticity import response_matrix
    from polysemantic.why_it_matters import train_crowded

    W, b_hidden, _ = train_crowded()
    R = response_matrix(W, b_hidden).numpy()
    _heatmap(fig.subplots(), R, "feature switched on (value 1)", "hidden neuron", "activation", fig)
    return (
        "Where each of 8 features flows in 4 neurons: every neuron answers to several "
        "features, and one feature lights up none."
    )


def sparse_autoencoders(fig) -> str:
    from polysemantic.sparse_autoencoders import SAEConfig, toy_model_activations, train_sae

    W_true, h = toy_model_activations(n_features=20, n_hidden=5, feature_probability=0.05)
    toy = train_sae(h, SAEConfig(n_latents=40, l1_coefficient=1.0, lr=1e-2), true_directions=W_true)
    ax = fig.subplots()
    ax.plot(toy.steps, toy.recovery, "-o", ms=3.5, color=PALETTE[0], label="recovery score")
    ax.axhline(1.0, color="black", ls=":", lw=1, label="perfect recovery")
    ax.set_xlabel("training step")
    ax.set_ylabel("mean max cosine with\nthe true features")
    ax.legend(frameon=False, loc="lower right")
    return (
        "The SAE finds the toy model's 20 features in 5 dimensions: recovery climbs from "
        "the random start to nearly 1."
    )


FIGURES: dict[str, Callable] = {
    "01_monosemanticity": monosemanticity,
    "02_polysemanticity": polysemanticity,
    "03_capacity": capacity,
    "04_radio_stations": radio_stations,
    "05_directions": directions,
    "06_superposition": superposition,
    "07_why_it_matters": why_it_matters,
    "08_sparse_autoencoders": sparse_autoencoders,
}

_TRAINED = ("08_sparse_autoencoders", "07_why_it_matters", "01_monosemanticity")


def draw_all(stems: list[str], folder: Path, jobs: int = 2) -> dict[str, str]:
    """Draw the figures of `stems` into folder/<stem>.svg, `jobs` at a time; captions."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    order = sorted(stems, key=lambda s: s not in _TRAINED)  # the slow ones first
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method)) as pool:
        futures = {s: pool.submit(draw, s, folder / f"{s}.svg") for s in order}
        return {s: futures[s].result() for s in stems}


def draw(stem: str, path: Path) -> str:
    """Draw chapter `stem`'s key figure into `path` (SVG); return its caption."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.environ["POLYSEMANTIC_PROGRESS"] = "0"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small models: threads only contend, and results stay put
    with matplotlib.rc_context(_STYLE):
        fig = plt.figure(figsize=(WIDTH, HEIGHT), layout="constrained")
        try:
            caption = FIGURES[stem](fig)
            fig.savefig(path, format="svg", metadata={"Date": None})
        finally:
            plt.close(fig)
            torch.set_num_threads(threads)
    return caption
