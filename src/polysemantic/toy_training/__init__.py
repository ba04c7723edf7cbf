"""The toy-model training engine, behind one function: `train_toy_model`.

It trains `superposition.ToyModel` exactly as `superposition.train_toy_model_simple`
does (the same model, data distribution and AdamW), several times faster on a
CPU. Inside: trainer.py (the written-out forward and backward, groups of
instances on worker threads), adamw.py, and the sparse-feature samplers,
numpy_sampler.py and native_sampler.py (C, compiled on first use).
"""

from polysemantic.toy_training.trainer import train_toy_model

__all__ = ["train_toy_model"]
