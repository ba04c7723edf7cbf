"""Chapter 03's claims: high-dimensional space holds far more nearly-orthogonal
directions than it has dimensions."""

import math

import pytest
import torch

from polysemantic.capacity import (
    abs_cosine_stats,
    fraction_under_budget,
    greedy_packing,
    jl_lower_bound,
    pack_directions,
    pairwise_abs_cosines,
    pairwise_cosines,
    random_unit_vectors,
)
from polysemantic.course import COURSE, checker
from polysemantic.data import seeded


def test_random_directions_are_unit_length_and_every_pair_is_counted_once():
    V = random_unit_vectors(7, 5, seeded(0))
    assert torch.allclose(V.norm(dim=1), torch.ones(7))
    assert pairwise_cosines(V).shape == (7 * 6 // 2,)


def test_cosines_ignore_length_and_abs_cosines_ignore_sign():
    V = torch.tensor([[1.0, 0.0], [-3.0, 0.0], [0.0, 2.0]])
    assert pairwise_cosines(V).tolist() == [-1.0, 0.0, 0.0]
    assert pairwise_abs_cosines(V).tolist() == [1.0, 0.0, 0.0]
    assert abs_cosine_stats(V).tolist() == pytest.approx([1 / 3, 1.0])


@pytest.mark.parametrize("dim", [16, 64, 256])
def test_random_directions_overlap_about_one_over_root_d(dim):
    """E|cos| of two random unit vectors is sqrt(2 / (pi d)) for large d."""
    mean, _ = abs_cosine_stats(random_unit_vectors(400, dim, seeded(dim))).tolist()
    assert mean == pytest.approx(math.sqrt(2 / (math.pi * dim)), rel=0.1)


def test_more_dimensions_leave_more_pairs_under_the_same_budget():
    shares = [
        float(fraction_under_budget(random_unit_vectors(300, d, seeded(d)), 0.2))
        for d in (16, 64, 256)
    ]
    assert shares[0] < shares[1] < shares[2]
    assert shares[2] > 0.99


def test_greedy_packing_keeps_only_nearly_orthogonal_directions():
    V = random_unit_vectors(2000, 32, seeded(1))
    kept = V[greedy_packing(V, 0.3)]
    assert float(pairwise_abs_cosines(kept).max()) <= 0.3
    assert len(kept) > 32  # more nearly-orthogonal directions than dimensions


def test_greedy_packing_refuses_a_direction_opposite_to_a_kept_one():
    V = torch.tensor([[1.0, 0.0], [-1.0, 0.01], [0.0, 1.0]])
    assert greedy_packing(V, 0.1).tolist() == [True, False, True]


def test_the_jl_bound_grows_exponentially_with_dimension():
    assert jl_lower_bound(100, 0.5) == pytest.approx(math.exp(6.25))
    assert jl_lower_bound(200, 0.5) == pytest.approx(jl_lower_bound(100, 0.5) ** 2)


def test_one_layer_holds_three_times_more_concepts_than_neurons_within_budget():
    """The exercise's claim: 60 unit directions in 20 neurons, every |cos| <= 0.3, where
    random directions overlap up to 0.7 and a greedy pick from 5,000 random candidates
    keeps fewer than 30."""
    V = pack_directions(60, 20, 0.3)
    assert V.shape == (60, 20)
    assert torch.allclose(V.norm(dim=1), torch.ones(60), atol=1e-5)
    assert float(pairwise_abs_cosines(V).max()) <= 0.3
    assert float(pairwise_abs_cosines(random_unit_vectors(60, 20, seeded(1))).max()) > 0.6
    assert int(greedy_packing(random_unit_vectors(5000, 20, seeded(2)), 0.3).sum()) < 30


def test_the_budget_cannot_beat_the_welch_bound():
    """No packing gets below max |cos| >= sqrt((n - d) / (d (n - 1))): 60 in 20 -> 0.184."""
    welch = math.sqrt((60 - 20) / (20 * 59))
    assert float(pairwise_abs_cosines(pack_directions(60, 20, 0.3)).max()) >= welch
    squeezed = pack_directions(60, 20, 0.15, n_steps=500)
    assert float(pairwise_abs_cosines(squeezed).max()) > 0.15  # asked for the impossible


PACK = COURSE.get("03.pack_directions")


@pytest.mark.parametrize("mistake", PACK.mistakes, ids=[m.name for m in PACK.mistakes])
def test_each_wrong_packing_loses_points_with_its_hint(mistake):
    result = checker.run_check(PACK.id, mistake.answer)
    assert result.points == 0
    assert mistake.hint in {case.hint for case in result.cases}


def test_the_greedy_count_s_factor_per_dimension_falls_as_the_page_says():
    """Chapter 03: the factor each added dimension multiplies the greedy count by falls
    from 1.135 (8 to 16 dimensions) to 1.038 (96 to 128), about 1.04 from 64 to 128."""
    dims = [8, 16, 32, 48, 64, 96, 128]
    counts = [
        int(greedy_packing(random_unit_vectors(20_000, d, seeded(d)), 0.3).sum()) for d in dims
    ]
    factors = [
        (b / a) ** (1 / (d1 - d0))
        for d0, d1, a, b in zip(dims, dims[1:], counts, counts[1:], strict=False)
    ]
    assert round(factors[0], 3) == 1.135 and round(factors[-1], 3) == 1.038
    assert all(f0 > f1 for f0, f1 in zip(factors, factors[1:], strict=False))  # falling throughout
    assert round((counts[-1] / counts[-3]) ** (1 / 64), 3) == 1.041
