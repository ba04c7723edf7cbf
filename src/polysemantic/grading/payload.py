"""Case inputs as plain data: what the grader hands the sandboxed worker.

The grader's own process builds every case (public and hidden) and writes their
inputs as numbers: tensors and arrays into one .npz file (read back with
allow_pickle=False, so nothing in it can be code), Python numbers and strings into
JSON. The worker rebuilds the same keyword arguments from these, never from the
question that made them.

    spec = {"tensor": key} | {"array": key} | {"value": number | str | bool | None}
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import numpy as np

Spec = dict[str, Any]


class NotPlainData(TypeError):
    """A case input the worker could not be given as plain data."""


def encode(inputs: Mapping[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Spec]:
    """One case's keyword arguments as specs; their arrays are added to `arrays`."""
    specs: dict[str, Spec] = {}
    for name, value in inputs.items():
        if type(value).__module__.startswith("torch"):
            import torch

            if not isinstance(value, torch.Tensor):
                raise NotPlainData(f"input {name!r} is a {type(value).__name__}")
            key = f"a{len(arrays)}"
            arrays[key] = value.detach().cpu().numpy().copy()
            specs[name] = {"tensor": key}
        elif isinstance(value, np.ndarray) and value.dtype != object:
            key = f"a{len(arrays)}"
            arrays[key] = value.copy()
            specs[name] = {"array": key}
        elif value is None or isinstance(value, (bool, int, float, str)):
            specs[name] = {"value": value}
        else:
            raise NotPlainData(f"input {name!r} is a {type(value).__name__}, not plain data")
    return specs


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def load_arrays(path: str) -> dict[str, np.ndarray]:
    """The arrays of an .npz file, refusing pickled objects."""
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def decode(specs: Mapping[str, Spec], arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The keyword arguments back: fresh tensors and arrays, numbers as they were."""
    inputs: dict[str, Any] = {}
    for name, spec in specs.items():
        if "tensor" in spec:
            import torch

            inputs[name] = torch.from_numpy(np.array(arrays[spec["tensor"]]))
        elif "array" in spec:
            inputs[name] = np.array(arrays[spec["array"]])
        else:
            inputs[name] = spec["value"]
    return inputs
