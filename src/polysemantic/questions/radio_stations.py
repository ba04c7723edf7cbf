"""Chapter 04's graded questions (radio stations): cases, hidden cases and the
named mistakes, each a wrong answer with the hint that names it.

The reference implementations are in `polysemantic.radio_stations`.
"""

from __future__ import annotations

import torch

from polysemantic.data import seeded
from polysemantic.grading.question import Case, Mistake, Question
from polysemantic.radio_stations import (
    decoding_error,
    encode,
    linear_decode,
    on_air,
    station_directions,
    threshold_decode,
)


def _scene(seed: int, batch: int, n_stations: int, n_channels: int, n_on: int) -> dict:
    g = seeded(seed)
    directions = station_directions(n_stations, n_channels, g)
    signals = on_air(batch, n_stations, n_on, g)
    return {"signals": signals, "directions": directions}


def _heard(seed: int, batch: int, n_stations: int, n_channels: int, n_on: int) -> dict:
    scene = _scene(seed, batch, n_stations, n_channels, n_on)
    return {
        "channels": encode(scene["signals"], scene["directions"]),
        "directions": scene["directions"],
    }


def _decoded(seed: int, batch: int, n_stations: int) -> dict:
    g = seeded(seed)
    return {
        "signals": on_air(batch, n_stations, 2, g),
        "decoded": torch.rand(batch, n_stations, generator=g),
    }


QUESTIONS = (
    Question(
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
            Mistake(
                "transposed",
                "each station's direction is a column of `directions` "
                "(n_channels, n_stations): use signals @ directions.T.",
                lambda signals, directions: signals @ directions,
            ),
            Mistake(
                "averaged",
                "the receiver hears the sum of the stations, not their average.",
                lambda signals, directions: signals @ directions.T / signals.shape[1],
            ),
        ),
    ),
    Question(
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
            Mistake(
                "transposed",
                "project onto each station's direction, a column of "
                "`directions`: channels @ directions.",
                lambda channels, directions: channels @ directions.T,
            ),
            Mistake(
                "normalised by channels",
                "a projection onto a unit direction needs no division: drop the / n_channels.",
                lambda channels, directions: channels @ directions / channels.shape[1],
            ),
        ),
    ),
    Question(
        id="04.threshold_decode",
        title="thresholded decoding",
        points=2,
        answer_name="threshold_decode",
        reference=threshold_decode,
        public_cases=lambda: [
            Case(
                "100 stations, 10 channels, threshold 0.4",
                {**_heard(5, 8, 100, 10, 2), "threshold": 0.4},
            ),
            Case(
                "20 stations, 8 channels, threshold 0.2",
                {**_heard(6, 5, 20, 8, 3), "threshold": 0.2},
            ),
        ],
        hidden_cases=lambda seed: [
            Case(
                "50 stations, 5 channels, threshold 0.5",
                {**_heard(300 + seed, 16, 50, 5, 1), "threshold": 0.5},
                hidden=True,
            ),
        ],
        mistakes=(
            Mistake(
                "no ReLU",
                "stations cannot play a negative level: apply the ReLU after "
                "subtracting the threshold.",
                lambda channels, directions, threshold: channels @ directions - threshold,
            ),
            Mistake(
                "ReLU before the threshold",
                "subtract the threshold first, then apply the "
                "ReLU: ReLU(projection - t), like the toy model's ReLU(Wᵀh + b) with b < 0.",
                lambda channels, directions, threshold: (
                    torch.relu(channels @ directions) - threshold
                ),
            ),
            Mistake(
                "threshold added",
                "the threshold is subtracted (a negative bias), not added.",
                lambda channels, directions, threshold: torch.relu(
                    channels @ directions + threshold
                ),
            ),
        ),
    ),
    Question(
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
            Mistake(
                "mean over stations",
                "this averages over stations too: sum the squared "
                "errors over stations, then average over the batch.",
                lambda signals, decoded: ((signals - decoded) ** 2).mean(),
            ),
            Mistake(
                "not squared",
                "square the errors: an absolute error was used.",
                lambda signals, decoded: (signals - decoded).abs().sum(-1).mean(),
            ),
        ),
    ),
)
