"""Chapter 06's sweeps, small, and the committed full-size artifact."""

from pathlib import Path

import numpy as np
import pytest

from polysemantic.superposition import DEDICATED, NOT_REPRESENTED
from polysemantic.sweeps import ARTIFACT, dimensionality_sweep, load_artifact, phase_diagram


def test_phase_diagram_dense_corners():
    """Dense features: an unimportant extra feature is dropped, an important one
    takes the dimension (the right-hand edge of the paper's phase diagram)."""
    diagram = phase_diagram(2, np.array([0.1, 10.0]), np.array([1.0]), n_seeds=2,
                            n_steps=1500, lr=1e-2)
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
