"""Turn answers into plain arrays and compare them with clear messages.

Everything a learner returns is converted to a float64 numpy array before it is
compared, so an object that "claims to equal everything" has no say: only its
numbers count, and something that is not numbers is rejected with a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


class NotAnArray(TypeError):
    """The answer could not be read as an array of numbers."""


def to_array(value: Any) -> np.ndarray:
    """A float64 numpy array of `value` (a tensor, an array, a number or nested lists)."""
    if value is None:
        raise NotAnArray("got None: did the function forget to `return` its result?")
    if value is Ellipsis:
        raise NotAnArray("got `...`: the answer still holds the placeholder")
    module = type(value).__module__
    if module.startswith("torch"):
        import torch

        if not isinstance(value, torch.Tensor):
            raise NotAnArray(f"got a {type(value).__name__}, not a tensor")
        value = value.detach().to("cpu")
        if value.is_complex():
            raise NotAnArray("got a complex tensor; expected real numbers")
        value = value.to(torch.float64).numpy()
    if isinstance(value, (bool, int, float, np.number, np.bool_)):
        return np.asarray(value, dtype=np.float64)
    if isinstance(value, (np.ndarray, list, tuple)):
        try:
            array = np.array(value, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise NotAnArray(f"got a {type(value).__name__} that is not numbers: {error}") from None
        return array
    raise NotAnArray(f"got a {type(value).__name__}; expected a tensor or an array of numbers")


def describe(array: np.ndarray) -> str:
    if array.ndim == 0:
        return "a single number"
    return f"an array of shape {tuple(array.shape)}"


def _short(x: float) -> str:
    return f"{x:.4g}"


@dataclass(frozen=True)
class Comparison:
    ok: bool
    message: str


def compare(got: np.ndarray, expected: np.ndarray, atol: float, rtol: float) -> Comparison:
    """Compare two float arrays: shape first, then values within tolerance."""
    if got.shape != expected.shape:
        hint = ""
        if got.ndim == 2 and got.shape[::-1] == expected.shape:
            hint = " (the transpose of what was expected)"
        return Comparison(
            False,
            f"expected {describe(expected)}, got {describe(got)}{hint}",
        )
    got_nan, expected_nan = np.isnan(got), np.isnan(expected)
    if (got_nan & ~expected_nan).any():
        index = tuple(int(i) for i in np.argwhere(got_nan & ~expected_nan)[0])
        where = f" at index {list(index)}" if index else ""
        return Comparison(False, f"got NaN{where}, expected {_short(expected[index])}")
    close = np.isclose(got, expected, atol=atol, rtol=rtol, equal_nan=True)
    if close.all():
        return Comparison(True, "matches")
    error = np.where(close, 0.0, np.abs(got - expected))
    index = np.unravel_index(int(np.nanargmax(error)), error.shape)
    index = tuple(int(i) for i in index)
    where = f" at index {list(index)}" if index else ""
    n_wrong = int((~close).sum())
    of = f" ({n_wrong} of {close.size} values differ)" if close.size > 1 else ""
    return Comparison(
        False,
        f"expected {_short(expected[index])}{where}, got {_short(got[index])}{of}",
    )
