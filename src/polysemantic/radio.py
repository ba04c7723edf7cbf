"""Chapter 04: many radio stations, few frequencies.

Each of n_stations stations broadcasts along its own direction in an
n_channels-dimensional channel space (the columns of `directions`, unit
length). A receiver hears only the sum. Decoding a station linearly (projecting
onto its direction) picks up every other station's interference; when only a few
stations are on air at once (sparsity), a threshold, ReLU(projection - t),
removes most of it. That decoder is the toy model's output ReLU(Wᵀh + b) with a
negative bias (Elhage et al. 2022, §2; chapter 06).
"""

from __future__ import annotations

import torch

from polysemantic.data import seeded
from polysemantic.grading.question import Case, Mistake, Question, register


def station_directions(n_stations: int, n_channels: int,
                       generator: torch.Generator) -> torch.Tensor:
    """Random unit directions, one column per station: (n_channels, n_stations)."""
    D = torch.randn(n_channels, n_stations, generator=generator)
    return D / D.norm(dim=0, keepdim=True)


def on_air(n_batch: int, n_stations: int, n_on: int, generator: torch.Generator) -> torch.Tensor:
    """Signals with exactly n_on random stations on air, each at a level in [0.5, 1].

    Returns (n_batch, n_stations), zero for the stations that are off.
    """
    chosen = torch.rand(n_batch, n_stations, generator=generator).argsort(1)[:, :n_on]
    levels = 0.5 + 0.5 * torch.rand(n_batch, n_on, generator=generator)
    return torch.zeros(n_batch, n_stations).scatter_(1, chosen, levels)


def encode(signals: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
    """What the receiver hears: (batch, n_stations) -> (batch, n_channels)."""
    return signals @ directions.T


def linear_decode(channels: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
    """Each station's projection: (batch, n_channels) -> (batch, n_stations)."""
    return channels @ directions


def threshold_decode(channels: torch.Tensor, directions: torch.Tensor,
                     threshold: float) -> torch.Tensor:
    """ReLU(projection - threshold): (batch, n_channels) -> (batch, n_stations)."""
    return torch.relu(channels @ directions - threshold)


def decoding_error(signals: torch.Tensor, decoded: torch.Tensor) -> torch.Tensor:
    """Squared error summed over stations, averaged over the batch: a scalar."""
    return ((signals - decoded) ** 2).sum(-1).mean()


# ---------------------------------------------------------------------------
# Graded questions of chapter 04.
# ---------------------------------------------------------------------------


def _scene(seed: int, batch: int, n_stations: int, n_channels: int, n_on: int) -> dict:
    g = seeded(seed)
    directions = station_directions(n_stations, n_channels, g)
    signals = on_air(batch, n_stations, n_on, g)
    return {"signals": signals, "directions": directions}


def _heard(seed: int, batch: int, n_stations: int, n_channels: int, n_on: int) -> dict:
    scene = _scene(seed, batch, n_stations, n_channels, n_on)
    return {"channels": encode(scene["signals"], scene["directions"]),
            "directions": scene["directions"]}


def _decoded(seed: int, batch: int, n_stations: int) -> dict:
    g = seeded(seed)
    return {"signals": on_air(batch, n_stations, 2, g),
            "decoded": torch.rand(batch, n_stations, generator=g)}


register(Question(
    id="04.encode",
    title="what the receiver hears",
    points=1,
    answer_name="encode",
    reference=encode,
    public_cases=lambda: [
        Case("100 stations, 10 channels", _scene(1, 8, 100, 10, 3)),
        Case("6 stations, 6 channels", _scene(2, 5, 6, 6, 2)),
    ],
    hidden_cases=lambda seed: [
        Case("40 stations, 5 channels", _scene(100 + seed, 16, 40, 5, 4), hidden=True),
    ],
    mistakes=(
        Mistake("transposed", "each station's direction is a column of `directions` "
                "(n_channels, n_stations): use signals @ directions.T.",
                lambda signals, directions: signals @ directions),
        Mistake("averaged", "the receiver hears the sum of the stations, not their average.",
                lambda signals, directions: signals @ directions.T / signals.shape[1]),
    ),
))

register(Question(
    id="04.linear_decode",
    title="linear decoding by projection",
    points=1,
    answer_name="linear_decode",
    reference=linear_decode,
    public_cases=lambda: [
        Case("100 stations, 10 channels", _heard(3, 8, 100, 10, 3)),
        Case("6 stations, 6 channels", _heard(4, 5, 6, 6, 2)),
    ],
    hidden_cases=lambda seed: [
        Case("40 stations, 5 channels", _heard(200 + seed, 16, 40, 5, 4), hidden=True),
    ],
    mistakes=(
        Mistake("transposed", "project onto each station's direction, a column of "
                "`directions`: channels @ directions.",
                lambda channels, directions: channels @ directions.T),
        Mistake("normalised by channels", "a projection onto a unit direction needs no "
                "division: drop the / n_channels.",
                lambda channels, directions: channels @ directions / channels.shape[1]),
    ),
))

register(Question(
    id="04.threshold_decode",
    title="thresholded decoding",
    points=2,
    answer_name="threshold_decode",
    reference=threshold_decode,
    public_cases=lambda: [
        Case("100 stations, 10 channels, threshold 0.4",
             {**_heard(5, 8, 100, 10, 2), "threshold": 0.4}),
        Case("20 stations, 8 channels, threshold 0.2",
             {**_heard(6, 5, 20, 8, 3), "threshold": 0.2}),
    ],
    hidden_cases=lambda seed: [
        Case("50 stations, 5 channels, threshold 0.5",
             {**_heard(300 + seed, 16, 50, 5, 1), "threshold": 0.5}, hidden=True),
    ],
    mistakes=(
        Mistake("no ReLU", "stations cannot play a negative level: apply the ReLU after "
                "subtracting the threshold.",
                lambda channels, directions, threshold: channels @ directions - threshold),
        Mistake("ReLU before the threshold", "subtract the threshold first, then apply the "
                "ReLU: ReLU(projection - t), like the toy model's ReLU(Wᵀh + b) with b < 0.",
                lambda channels, directions, threshold:
                torch.relu(channels @ directions) - threshold),
        Mistake("threshold added", "the threshold is subtracted (a negative bias), not added.",
                lambda channels, directions, threshold:
                torch.relu(channels @ directions + threshold)),
    ),
))

register(Question(
    id="04.decoding_error",
    title="the decoding error",
    points=1,
    answer_name="decoding_error",
    reference=decoding_error,
    public_cases=lambda: [
        Case("batch 8, 100 stations", _decoded(7, 8, 100)),
        Case("batch 3, 10 stations", _decoded(8, 3, 10)),
    ],
    hidden_cases=lambda seed: [
        Case("batch 50, 30 stations", _decoded(400 + seed, 50, 30), hidden=True),
    ],
    mistakes=(
        Mistake("mean over stations", "this averages over stations too: sum the squared "
                "errors over stations, then average over the batch.",
                lambda signals, decoded: ((signals - decoded) ** 2).mean()),
        Mistake("not squared", "square the errors: an absolute error was used.",
                lambda signals, decoded: (signals - decoded).abs().sum(-1).mean()),
    ),
))
