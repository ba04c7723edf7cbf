"""polysemantic: the library behind the course on polysemanticity and superposition.

    from polysemantic import check, score, needs_answer   # in every exercise notebook
    from polysemantic import figures                      # every figure, one look
    from polysemantic import feature_dimensionality, ...  # the toy models of chapter 06

Chapter modules: polysemantic.monosemanticity (01), polysemantic.superposition (06).
"""

from polysemantic.data import sparse_features
from polysemantic.grading import check, needs_answer, score
from polysemantic.superposition import (
    PHASE_NAMES,
    ToyModel,
    ToyModelConfig,
    angles_around_circle,
    classify_extra_feature,
    dimensions_per_feature,
    feature_dimensionality,
    feature_norms,
    importance_weighted_loss,
    interference,
    sparse_batch,
    toy_forward,
    train_toy_model,
    train_toy_model_simple,
)

__version__ = "0.1.0"
__all__ = [
    "PHASE_NAMES", "ToyModel", "ToyModelConfig", "angles_around_circle", "check",
    "classify_extra_feature", "dimensions_per_feature", "feature_dimensionality",
    "feature_norms", "importance_weighted_loss", "interference", "needs_answer", "score",
    "sparse_batch", "sparse_features", "toy_forward", "train_toy_model",
    "train_toy_model_simple",
]
