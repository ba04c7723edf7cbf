"""Chapter 04's graded questions (radio stations): cases, hidden cases and the
named mistakes, each a wrong answer with the hint that names it.

The reference implementations are in `polysemantic.radio_stations`.
"""

from __future__ import annotations

import functools
import random

import torch

from polysemantic.data import seeded
from polysemantic.grading.question import Case, Mistake, Question, Verdict
from polysemantic.grading.quiz import Option, Quiz, QuizItem, quiz_question
from polysemantic.radio_stations import (
    best_threshold,
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


# ---------------------------------------------------------------------------
# The best threshold, judged by its outcome: decoded at the learner's threshold, the
# grader's own signals must come within 5% of the lowest error any threshold gets.
# ---------------------------------------------------------------------------

BAND = 1.05  # the error at the learner's threshold, at most this times the lowest
GRID = torch.linspace(0.0, 1.5, 151)  # thresholds the judge tries, 0.01 apart


def _relative_errors(signals, directions, thresholds) -> torch.Tensor:
    """Decoding error at each threshold, relative to a radio that plays silence:
    the projections are computed once, then thresholded 16 thresholds at a time."""
    projections = linear_decode(encode(signals, directions), directions)  # (batch, n_stations)
    silence = (signals**2).sum(-1).mean()
    errors = []
    for chunk in torch.as_tensor(thresholds, dtype=torch.float32).split(16):
        decoded = torch.relu(projections - chunk[:, None, None])  # (chunk, batch, n_stations)
        errors.append(((signals - decoded) ** 2).sum(-1).mean(-1))  # (chunk,)
    return torch.cat(errors) / silence


@functools.cache
def _tuning(
    name: str,
    seed: int,
    n_stations: int,
    n_channels: int,
    n_on: int,
    hidden: bool = False,
    group: str | None = None,
) -> Case:
    """Station directions and n_on for the answer; the judge's own 4,000 broadcasts
    (drawn from another seed), its lowest error and the best threshold with one
    station on air stay with the judge."""
    directions = station_directions(n_stations, n_channels, seeded(seed))
    signals = on_air(4000, n_stations, n_on, seeded(10_000 + seed))
    errors = _relative_errors(signals, directions, GRID)
    one = on_air(4000, n_stations, 1, seeded(20_000 + seed))
    best_one = GRID[_relative_errors(one, directions, GRID).argmin()]
    truth = {
        "signals": signals,
        "lowest": errors.min(),
        "best": GRID[errors.argmin()],
        "best_one_on_air": best_one,
    }
    inputs = {"directions": directions, "n_on": n_on}
    return Case(name, inputs, hidden=hidden, truth=truth, group=group)


def _hidden_tunings(seed: int) -> list[Case]:
    """Three configurations the grader draws, which no answer can anticipate: few
    stations with one on air, a middle one, and many stations with 4 to 6 on air.
    Their best thresholds lie far apart (about 0.3 against 0.9 and more), so one
    number cannot serve all three; they earn their points together."""
    draw = random.Random(seed)
    shapes = (
        (draw.randint(20, 40), draw.randint(10, 16), 1),
        (draw.randint(50, 100), draw.randint(8, 12), draw.randint(2, 3)),
        (draw.randint(120, 200), draw.randint(8, 12), draw.randint(4, 6)),
    )
    return [
        _tuning(
            f"{n} stations, {m} channels, {k} on air",
            draw.randrange(2**31),
            n,
            m,
            k,
            True,
            "configurations",
        )
        for n, m, k in shapes
    ]


def _threshold(output) -> float | None:
    t = torch.as_tensor(output, dtype=torch.float32)
    return float(t) if t.numel() == 1 and bool(torch.isfinite(t).all()) else None


def _error_at(inputs: dict, truth: dict, t: float) -> float:
    return float(_relative_errors(truth["signals"], inputs["directions"], [t])[0])


def _near_the_lowest_error(inputs: dict, truth: dict, output) -> Verdict:
    """Decoding at the answer's threshold errs at most 5% more than at the best one."""
    t = _threshold(output)
    if t is None:
        shape = tuple(getattr(output, "shape", ()))
        what = "a number that is not finite" if shape == () else f"an array of shape {shape}"
        return Verdict(False, f"expected one finite number, got {what}")
    error, lowest = _error_at(inputs, truth, t), float(truth["lowest"])
    if error <= BAND * lowest:
        return Verdict(
            True, f"at t = {t:.3f} the error is {error:.3f} x silence (the lowest is {lowest:.3f})"
        )
    way = "higher" if t < float(truth["best"]) else "lower"
    return Verdict(
        False,
        f"at t = {t:.3f} the error is {error:.3f} x silence; the best threshold gets "
        f"{lowest:.3f} and a {way} one does better (within {BAND - 1:.0%} of it expected)",
    )


def _searched_with_one_on_air(directions, n_on):
    """A careful search (2,000 broadcasts, thresholds 0.005 apart) with the wrong n_on."""
    signals = on_air(2000, directions.shape[1], 1, seeded(1))
    grid = torch.linspace(0.0, 1.0, 201)
    return float(grid[_relative_errors(signals, directions, grid).argmin()])


def _sign_no_threshold(inputs: dict, truth: dict, output) -> bool:
    t = _threshold(output)
    return t is not None and t <= 0.02


def _sign_page_threshold(inputs: dict, truth: dict, output) -> bool:
    t = _threshold(output)
    return t is not None and abs(t - 0.4) < 1e-6


def _sign_one_on_air(inputs: dict, truth: dict, output) -> bool:
    t = _threshold(output)
    one, best = float(truth["best_one_on_air"]), float(truth["best"])
    return t is not None and inputs["n_on"] > 1 and abs(t - one) < abs(t - best)


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
        id="04.best_threshold",
        title="the best threshold",
        points=4,
        answer_name="best_threshold",
        reference=best_threshold,
        public_cases=lambda: [
            _tuning("100 stations, 10 channels, 2 on air", 0, 100, 10, 2),
            _tuning("100 stations, 10 channels, 3 on air", 0, 100, 10, 3),
        ],
        hidden_cases=_hidden_tunings,
        hidden_share=1.0,  # a searched answer earns its points on configurations it never saw
        outcome=_near_the_lowest_error,
        time_limit=20.0,
        mistakes=(
            Mistake(
                "no threshold",
                "at t = 0 every station keeps every other station's interference: "
                "measure the decoding error over a range of thresholds and keep the lowest.",
                lambda directions, n_on: 0.0,
                sign=_sign_no_threshold,
            ),
            Mistake(
                "the page's threshold",
                "0.4 was the page's choice for one station on air; the best "
                "threshold depends on how many stations share the air: measure it for "
                "these directions and this n_on.",
                lambda directions, n_on: 0.4,
                sign=_sign_page_threshold,
            ),
            Mistake(
                "one station on air",
                "this is the best threshold with one station on air; with n_on "
                "on air at once there is more interference to cut, and the best threshold "
                "is higher: draw your signals with n_on stations on air.",
                _searched_with_one_on_air,
                sign=_sign_one_on_air,
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
