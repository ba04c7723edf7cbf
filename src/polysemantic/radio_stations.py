"""Chapter 04: many radio stations, few frequencies.

Each of n_stations stations broadcasts along its own direction in an
n_channels-dimensional channel space (the columns of `directions`, unit
length). A receiver hears only the sum. Decoding a station linearly (projecting
onto its direction) picks up every other station's interference; when only a few
stations are on air at once (sparsity), a threshold, ReLU(projection - t),
removes most of it. That decoder is the toy model's output ReLU(Wᵀh + b) with a
negative bias (Elhage et al. 2022, §2; chapter 06). Real sparse recovery,
orthogonal matching pursuit (Pati et al. 1993) and the LASSO (Tibshirani 1996), is
`omp_decode` and `lasso_decode`, for comparison.
"""

from __future__ import annotations

import torch


def station_directions(
    n_stations: int, n_channels: int, generator: torch.Generator
) -> torch.Tensor:
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


def threshold_decode(
    channels: torch.Tensor, directions: torch.Tensor, threshold: float
) -> torch.Tensor:
    """ReLU(projection - threshold): (batch, n_channels) -> (batch, n_stations)."""
    return torch.relu(channels @ directions - threshold)


def omp_decode(channels: torch.Tensor, directions: torch.Tensor, tol: float = 1e-6) -> torch.Tensor:
    """Sparse recovery by orthogonal matching pursuit (Pati et al. 1993), scikit-learn's
    `orthogonal_mp`: pick the station whose direction best matches what is left of the
    signal, refit every station picked so far by least squares, and repeat until the
    squared residual is below `tol` (at most n_channels stations are picked).

    It is told neither the threshold nor how many stations are on air.
    channels: (batch, n_channels), directions: (n_channels, n_stations) -> (batch, n_stations).
    """
    from sklearn.linear_model import orthogonal_mp

    coefficients = orthogonal_mp(
        directions.double().numpy(), channels.T.double().numpy(), tol=tol
    )  # (n_stations, batch), or (n_stations,) for one broadcast
    return torch.as_tensor(coefficients.T, dtype=channels.dtype).reshape(
        channels.shape[0], directions.shape[1]
    )


def lasso_decode(
    channels: torch.Tensor, directions: torch.Tensor, alpha: float = 3e-3
) -> torch.Tensor:
    """Sparse recovery by the LASSO (Tibshirani 1996), scikit-learn's `Lasso`: for each
    broadcast, the non-negative station levels s minimising
    ||c - D s||² / (2 n_channels) + alpha ||s||₁, solved for all stations together.

    channels: (batch, n_channels), directions: (n_channels, n_stations) -> (batch, n_stations).
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import Lasso

    lasso = Lasso(alpha=alpha, positive=True, fit_intercept=False, max_iter=5000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lasso.fit(directions.double().numpy(), channels.T.double().numpy())
    return torch.as_tensor(lasso.coef_, dtype=channels.dtype).reshape(
        channels.shape[0], directions.shape[1]
    )


def relative_error(signals: torch.Tensor, decoded: torch.Tensor) -> torch.Tensor:
    """The decoding error relative to a radio that plays silence (decodes 0): a scalar.

    The error is the squared error summed over stations, averaged over the batch;
    1 means no better than saying nothing. signals, decoded: (batch, n_stations).
    """
    error = ((signals - decoded) ** 2).sum(-1).mean()
    silence = (signals**2).sum(-1).mean()
    return error / silence


def best_threshold(directions: torch.Tensor, n_on: int) -> float:
    """The threshold with the lowest decoding error when n_on stations are on air.

    Measured, not derived: draw signals as the broadcasts are drawn (`on_air`), decode
    them at every threshold of a fine grid, and keep the lowest error. The best
    threshold grows with n_on, because interference from every other station on air
    adds up (Elhage et al. 2022, §2: the bias of ReLU(Wᵀh + b) plays this role).

    directions: (n_channels, n_stations), unit columns -> a threshold (float).
    """
    generator = torch.Generator().manual_seed(0)
    signals = on_air(2000, directions.shape[1], n_on, generator)  # (batch, n_stations)
    channels = encode(signals, directions)  # (batch, n_channels)
    thresholds = torch.linspace(0.0, 1.5, 151)  # (151,)
    errors = torch.stack(
        [
            relative_error(signals, threshold_decode(channels, directions, float(t)))
            for t in thresholds
        ]
    )  # (151,)
    return float(thresholds[errors.argmin()])
