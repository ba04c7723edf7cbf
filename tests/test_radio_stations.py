"""Chapter 04's claims: many stations share few channels; a linear decoder hears the
others' interference, and a threshold removes most of it while few stations are on."""

import pytest
import torch

from polysemantic.course import COURSE, checker
from polysemantic.data import seeded
from polysemantic.radio_stations import (
    best_threshold,
    encode,
    linear_decode,
    on_air,
    relative_error,
    station_directions,
    threshold_decode,
)


def _scene(n_on: int, n_stations: int = 40, n_channels: int = 10, seed: int = 0):
    g = seeded(seed)
    D = station_directions(n_stations, n_channels, g)  # (channels, stations)
    signals = on_air(4000, n_stations, n_on, g)  # (batch, stations)
    return D, signals, encode(signals, D)


def test_exactly_n_on_stations_broadcast_at_a_level_between_half_and_one():
    signals = on_air(50, 12, 3, seeded(0))
    assert ((signals > 0).sum(1) == 3).all()
    on = signals[signals > 0]
    assert bool(((on >= 0.5) & (on <= 1.0)).all())


def test_with_as_many_orthogonal_channels_as_stations_linear_decoding_is_exact():
    D = torch.eye(6)
    signals = on_air(20, 6, 4, seeded(1))
    assert torch.allclose(linear_decode(encode(signals, D), D), signals)


def test_a_lone_station_is_heard_exactly_on_its_own_direction():
    D, _, _ = _scene(1)
    signal = torch.zeros(1, 40)
    signal[0, 7] = 0.8
    assert torch.allclose(linear_decode(encode(signal, D), D)[0, 7], torch.tensor(0.8))


def test_with_few_stations_on_the_threshold_beats_the_linear_decoder():
    D, signals, heard = _scene(n_on=2)
    linear = relative_error(signals, linear_decode(heard, D))
    thresholded = relative_error(signals, threshold_decode(heard, D, 0.3))
    assert thresholded < 0.5 * linear


def test_the_more_stations_on_air_the_worse_any_decoder_does():
    errors = []
    for n_on in (1, 4, 16):
        D, signals, heard = _scene(n_on)
        errors.append(float(relative_error(signals, threshold_decode(heard, D, 0.3))))
    assert errors[0] < errors[1] < errors[2]


def test_the_best_threshold_rises_with_the_stations_on_air():
    """The notebook's answer key: 100 stations in 10 channels, best t about 0.40, 0.55
    and 0.70 for 1, 2 and 3 on air; every one beats silence, and 0.4 is only right
    for one station on air."""
    D = station_directions(100, 10, seeded(0))
    best = [best_threshold(D, n_on) for n_on in (1, 2, 3)]
    assert best[0] == pytest.approx(0.40, abs=0.03)
    assert best[1] == pytest.approx(0.55, abs=0.03)
    assert best[2] == pytest.approx(0.70, abs=0.03)
    for n_on, t in zip((1, 2, 3), best, strict=True):
        signals = on_air(4000, 100, n_on, seeded(50 + n_on))
        assert relative_error(signals, threshold_decode(encode(signals, D), D, t)) < 1


BEST = COURSE.get("04.best_threshold")


def test_the_error_is_relative_to_silence():
    signals = torch.tensor([[1.0, 0.0], [0.0, 2.0]])  # silence errs by (1 + 4) / 2 = 2.5
    assert float(relative_error(signals, torch.zeros_like(signals))) == 1.0
    assert float(relative_error(signals, signals)) == 0.0
    decoded = torch.tensor([[0.0, 0.0], [0.0, 1.0]])  # errs by (1 + 1) / 2 = 1
    assert float(relative_error(signals, decoded)) == pytest.approx(1 / 2.5)


@pytest.mark.parametrize("mistake", BEST.mistakes, ids=[m.name for m in BEST.mistakes])
def test_each_wrong_threshold_loses_points_with_its_hint(mistake):
    result = checker.run_check(BEST.id, mistake.answer)
    assert result.points == 0
    assert mistake.hint in {case.hint for case in result.cases}


def test_any_threshold_near_the_best_passes_and_one_far_off_fails():
    assert checker.run_check(BEST.id, lambda directions, n_on: 0.6 + 0.05 * (n_on - 2)).points == 4
    result = checker.run_check(BEST.id, lambda directions, n_on: 1.2)
    assert result.points == 0
    assert all(case.mistake is None for case in result.cases)  # no hint names a wrong cause


def _page_broadcast(n_on: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Chapter 04's slider frame: 100 stations, 10 channels, its seeds; (on air, heard)."""
    D = station_directions(100, 10, torch.Generator().manual_seed(0))
    signals = on_air(1, 100, n_on, torch.Generator().manual_seed(n_on))[0]  # (100,)
    heard = threshold_decode(encode(signals[None], D), D, 0.4)[0]  # (100,)
    return signals > 0, heard > 0


@pytest.mark.parametrize("n_on", [1, 2])
def test_with_one_or_two_on_air_the_threshold_keeps_them_and_silences_most_others(n_on):
    real, reported = _page_broadcast(n_on)
    assert bool(reported[real].all())
    assert int((reported & ~real).sum()) < (100 - n_on) / 4


@pytest.mark.parametrize("n_on", [1, 2, 3, 5, 10, 20])
def test_at_every_level_the_threshold_reports_more_false_stations_than_real(n_on):
    real, reported = _page_broadcast(n_on)
    assert int((reported & ~real).sum()) > int((reported & real).sum())


@pytest.mark.parametrize("n_on", [5, 10, 20])
def test_from_five_on_air_the_threshold_misses_real_stations(n_on):
    real, reported = _page_broadcast(n_on)
    assert not bool(reported[real].all())


def test_sparse_recovery_against_the_threshold_as_the_page_prints():
    """Chapter 04's comparison on the same 300 broadcasts: OMP recovers one station
    exactly but is no better than the threshold from two on (worse at three), finding the
    right stations in 57% and 11% of broadcasts; the LASSO errs 7x less than the
    threshold at two, under half at three, beats silence at five and not at ten."""
    from polysemantic.radio_stations import lasso_decode, omp_decode

    D = station_directions(100, 10, seeded(0))
    overlaps = (D.T @ D).abs()[~torch.eye(100, dtype=torch.bool)]
    assert float(overlaps.mean()) == pytest.approx(0.26, abs=0.005)
    assert float(overlaps.median()) == pytest.approx(0.23, abs=0.005)
    rows = {}
    for n_on in (1, 2, 3, 5, 10):
        signals = on_air(300, 100, n_on, seeded(100 + n_on))
        heard = encode(signals, D)
        omp = omp_decode(heard, D)
        errors = [
            float(relative_error(signals, d))
            for d in (threshold_decode(heard, D, 0.4), omp, lasso_decode(heard, D))
        ]
        exact = float(((omp.abs() > 1e-3) == (signals > 0)).all(1).float().mean())
        rows[n_on] = (*errors, exact)
    assert rows[1][1] < 1e-4 and rows[1][2] < 0.01 < rows[1][0]
    assert rows[2][1] > 0.8 * rows[2][0] and rows[3][1] > rows[3][0]  # OMP: no better
    assert rows[2][3] == pytest.approx(0.57, abs=0.005)
    assert rows[3][3] == pytest.approx(0.11, abs=0.005)
    assert rows[2][2] < rows[2][0] / 7 and rows[3][2] < rows[3][0] / 2
    assert rows[5][2] < 1 < rows[10][2]


def test_raising_the_threshold_trades_false_stations_for_quieter_real_ones():
    """Chapter 04's sweep, 2 on air: from t = 0 to 0.8 the false stations per broadcast
    fall (49.3 -> 0.8) while the level kept falls (99% -> 11%) and misses rise; the
    error is lowest in between (0.68 at t = 0.6), not at either end."""
    D = station_directions(100, 10, seeded(0))
    signals = on_air(2000, 100, 2, seeded(7))
    channels, real = encode(signals, D), signals > 0
    rows = []
    for t in (0.0, 0.2, 0.4, 0.6, 0.8):
        heard = threshold_decode(channels, D, t)
        rows.append(
            (
                float(((heard > 0) & ~real).sum(1).float().mean()),
                float(((heard == 0) & real).sum(1).float().mean()),
                float(heard[real].sum() / signals[real].sum()),
                float(relative_error(signals, heard)),
            )
        )
    false, missed, kept, error = zip(*rows, strict=True)
    assert list(false) == sorted(false, reverse=True) and list(kept) == sorted(kept, reverse=True)
    assert list(missed) == sorted(missed)
    assert false[0] == pytest.approx(49.3, abs=0.05) and false[-1] == pytest.approx(0.8, abs=0.05)
    assert kept[0] == pytest.approx(0.99, abs=0.005) and kept[-1] == pytest.approx(0.11, abs=0.005)
    assert min(error) == error[3] == pytest.approx(0.68, abs=0.005)


def test_even_the_best_threshold_needs_few_stations_on_air():
    """The page: the lowest error over thresholds 0 to 1.5 climbs with the stations on
    air, 0.40 with one and 0.96 with ten, and above silence (1.11) with twenty."""
    D = station_directions(100, 10, seeded(0))
    grid = torch.linspace(0.0, 1.5, 31)
    lowest = {}
    for n_on in (1, 2, 3, 5, 10, 20):
        signals = on_air(2000, 100, n_on, seeded(100 + n_on))
        channels = encode(signals, D)
        lowest[n_on] = min(
            float(relative_error(signals, threshold_decode(channels, D, float(t)))) for t in grid
        )
    assert list(lowest.values()) == sorted(lowest.values())
    assert lowest[1] == pytest.approx(0.40, abs=0.005)
    assert lowest[10] == pytest.approx(0.96, abs=0.005)
    assert lowest[20] > 1
