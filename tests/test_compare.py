import numpy as np
import pytest
import torch

from polysemantic.grading.compare import NotAnArray, compare, to_array


@pytest.mark.parametrize("value", [torch.ones(2, 3), np.ones((2, 3)), [[1, 1, 1], [1, 1, 1]]])
def test_arrays_tensors_and_lists_convert(value):
    assert to_array(value).shape == (2, 3)


def test_tensors_with_grad_convert():
    assert to_array(torch.ones(2, requires_grad=True) * 2).tolist() == [2.0, 2.0]


@pytest.mark.parametrize("value", ["abc", {"a": 1}, None, ..., object(), [["a"]]])
def test_non_numbers_are_rejected(value):
    with pytest.raises(NotAnArray):
        to_array(value)


def test_transpose_is_named():
    message = compare(np.ones((2, 3)), np.ones((3, 2)), 1e-6, 1e-6).message
    assert "transpose" in message


def test_values_report_where_they_differ():
    got, expected = np.zeros((2, 2)), np.zeros((2, 2))
    got[1, 0] = 5
    result = compare(got, expected, 1e-6, 1e-6)
    assert not result.ok and "[1, 0]" in result.message and "1 of 4" in result.message


def test_unexpected_nan_is_named():
    result = compare(np.array([np.nan, 1.0]), np.array([0.0, 1.0]), 1e-6, 1e-6)
    assert not result.ok and "NaN" in result.message
