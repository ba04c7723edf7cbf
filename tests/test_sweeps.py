"""Chapter 06's sweeps, small, and the committed full-size artifact."""

from pathlib import Path

import numpy as np
import pytest

from polysemantic.superposition import DEDICATED, NOT_REPRESENTED
from polysemantic.superposition_sweeps import (
    ARTIFACT,
    dimensionality_sweep,
    load_artifact,
    phase_diagram,
)


def test_phase_diagram_dense_corners():
    """Dense features: an unimportant extra feature is dropped, an important one
    takes the dimension (the right-hand edge of the paper's phase diagram)."""
    diagram = phase_diagram(
        2, np.array([0.1, 10.0]), np.array([1.0]), n_seeds=2, n_steps=1500, lr=1e-2
    )
    assert diagram.phases.shape == (2, 2, 1)
    assert (diagram.phases[:, 0, 0] == NOT_REPRESENTED).all()
    assert (diagram.phases[:, 1, 0] == DEDICATED).all()


def test_dimensionality_sweep_shapes_and_trend():
    sweep = dimensionality_sweep(20, 5, np.array([1.0, 0.05]), n_steps=1500, lr=1e-2)
    assert sweep.dimensionality.shape == (2, 20) and sweep.per_feature.shape == (2,)
    assert sweep.per_feature[0] > sweep.per_feature[1]  # sparser: fewer dims per feature


def test_committed_artifact_is_small_and_complete():
    assert ARTIFACT.stat().st_size < 500_000
    data = load_artifact()
    assert data["phases_n2"].shape == (3, 20, 20) and data["phases_n3"].shape == (3, 20, 20)
    assert data["sweep_dimensionality"].shape == (20, 200)
    assert set(np.unique(data["phases_n2"])) <= {0, 1, 2}


def test_missing_artifact_says_how_to_regenerate(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="polysemantic artifacts"):
        load_artifact(tmp_path / "nothing.npz")


def _share_near(D: np.ndarray, fraction: float) -> np.ndarray:
    """Per density level, the share of represented features (D > 0.05) within 0.02 of it."""
    return np.array([(np.abs(level[level > 0.05] - fraction) < 0.02).mean() for level in D])


def test_the_committed_sweep_shows_what_chapter_06_says():
    """The chapter's text reads the artifact: D* falls from 1 with sparsity, every
    represented feature sits at 1/2 at some density, features gather at 2/3 and at
    2/5 on either side, and around 3/8 too. A regenerated artifact must still show it."""
    data = load_artifact()
    D, D_star = data["sweep_dimensionality"], data["sweep_per_feature"]
    assert abs(D_star[0] - 1) < 0.05 and D_star[-1] < 0.1
    assert (np.diff(D_star[:12]) < 0.01).all()  # falling while features get sparser
    assert _share_near(D, 1 / 2).max() == 1.0
    assert _share_near(D, 2 / 3).max() >= 0.15 and _share_near(D, 2 / 5).max() >= 0.15
    assert _share_near(D, 3 / 8).max() >= 0.1
    assert _share_near(D, 3 / 4).max() == 0.0  # "we see none at 3/4"


def test_the_sweep_s_D_i_add_up_to_m_so_D_star_is_not_their_average():
    """Chapter 06: the D_i of the 200 features add up to m = 20 at every density, so
    their average stays at m/n = 0.1 while D* = m / ||W||_F² runs from 1 to below 0.1;
    and from the sixth density on, the represented features share the dimensions
    about evenly (95% of them within 0.035 of their median)."""
    data = load_artifact()
    D, D_star = data["sweep_dimensionality"], data["sweep_per_feature"]  # (levels, 200), (levels,)
    assert np.allclose(D.sum(-1), 20, atol=0.1)
    assert D_star.max() > 0.9 and D_star.min() < 0.08
    for level in range(5, len(D)):
        represented = D[level][D[level] > 0.05]
        spread = np.abs(represented - np.median(represented))  # (represented,)
        assert np.quantile(spread, 0.95) < 0.035, level
