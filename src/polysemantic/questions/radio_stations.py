"""Chapter 04's graded questions (radio stations): cases, hidden cases and the
named mistakes, each a wrong answer with the hint that names it.

The reference implementations are in `polysemantic.radio_stations`.
"""

from __future__ import annotations

import torch

from polysemantic.data import seeded
from polysemantic.grading.question import Case, Mistake, Question
from polysemantic.grading.quiz import Option, Quiz, QuizItem, quiz_question
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


# ---------------------------------------------------------------------------
# Check your understanding: the page's last section and the notebook's last
# question (see polysemantic.grading.quiz).
# ---------------------------------------------------------------------------

QUIZ = Quiz(
    chapter="04",
    items=(
        QuizItem(
            prompt="Predict: exactly one station is on air, and you decode linearly, tuning in "
            "to each of the 100 stations by projection, with no threshold. How does the "
            "error compare with a radio that plays silence?",
            options=(
                Option(
                    "Close to 0: with one station on air there is nothing to interfere",
                    "The one station leaks into the projection of every other station: 99 "
                    "small false signals that add up to 9.9 times the error of silence.",
                    misconception="interference needs several stations on air",
                ),
                Option(
                    "About ten times worse than silence",
                    "The page prints 9.9x: the station is heard, but so are the 99 stations "
                    "that are off, each through its overlap with the one on air (median "
                    "0.23).",
                    right=True,
                ),
                Option(
                    "About 0.4 times the error of silence",
                    "That is the thresholded decoder (0.40x): its threshold silences the "
                    "small leaks that the linear decoder reports.",
                ),
            ),
            evidence=(
                "1 station on air: linear error 9.9x silence, thresholded 0.40x silence",
                "median 0.23",
            ),
        ),
        QuizItem(
            prompt="With the threshold t = 0.4, up to how many stations can broadcast at once "
            "while the thresholded decoder still beats silence?",
            options=(
                Option(
                    "Only 1: any second station ruins it",
                    "Two stations on air still decode better than silence; the decoder "
                    "stops beating silence at 3.",
                ),
                Option(
                    "2",
                    "The page prints that the thresholded decoder stops beating silence at "
                    "3 stations on air: the threshold works only while broadcasts are sparse.",
                    right=True,
                ),
                Option(
                    "10, one per frequency",
                    "The channels are not slots for one station each: every station "
                    "broadcasts on all 10. The limit is how much leaks in, and the decoder "
                    "stops beating silence at 3 stations on air.",
                    misconception="a radio can carry as many stations at once as it has channels",
                ),
                Option(
                    "All 100: the threshold removes any interference",
                    "The threshold removes only leaks smaller than t. With many stations on "
                    "air the leaks add up and clear it.",
                ),
            ),
            evidence=("the thresholded decoder stops beating silence at 3 stations on air",),
        ),
        QuizItem(
            prompt="Are the radio's 10 channels neurons?",
            options=(
                Option(
                    "Yes: each channel is one hidden dimension",
                    "A dimension is a neuron only when something acts on it alone. Nothing "
                    "in the broadcast Wx acts on one channel at a time, so any rotation of "
                    "the channels would serve as well.",
                    misconception="every hidden dimension is a neuron",
                ),
                Option(
                    "Yes, because the decoder applies a threshold",
                    "The threshold acts on each station's projection, that is on the "
                    "features, not on the channels.",
                ),
                Option(
                    "No: nothing acts on one channel at a time, so any rotation of them "
                    "serves as well",
                    "The channels have no privileged basis. Chapter 06 shows what changes "
                    "when a ReLU on the hidden layer makes them neurons.",
                    right=True,
                ),
            ),
            evidence=(
                "The channels are not neurons",
                "any rotation of the channels would serve as well",
            ),
        ),
        QuizItem(
            prompt="In the toy model x′ = ReLU(WᵀWx + b) of chapter 06, what plays the part of "
            "the radio's threshold?",
            options=(
                Option(
                    "A negative bias b inside the ReLU",
                    "The thresholded decoder ReLU(Dᵀc − t) is a projection followed by a "
                    "ReLU with a negative bias: a negative b is −t.",
                    right=True,
                ),
                Option(
                    "W",
                    "Wx is the broadcast: it puts the features on the hidden channels.",
                ),
                Option(
                    "Wᵀ",
                    "Wᵀ tunes in to each feature by projection, like dᵢ · c; it has no "
                    "threshold of its own.",
                ),
                Option(
                    "The sparsity of the features",
                    "Sparsity is the time-sharing, few stations on air at once. It is what "
                    "lets a threshold work, not the threshold itself.",
                    misconception="sparsity itself removes the interference",
                ),
            ),
            evidence=("time-sharing is sparsity", "a projection followed by a ReLU"),
        ),
    ),
)


def _quiz_answers() -> list[int]:
    """The right option of every item of the chapter's check of understanding."""
    return QUIZ.answers()


QUIZ_QUESTION = quiz_question(QUIZ, _quiz_answers)
