"""A tiny byte-level language model with one real MLP layer, trained by the project.

The smallest model that has neurons worth studying (chapters 02 and 08):

    e = concat(E[b_{t-k}], ..., E[b_{t-1}])    E: (256, d_embed)   e: (k·d_embed,)
    h = ReLU(W_in e + b_in)                    W_in: (n_neurons, k·d_embed)   h: the neurons
    logits = W_out h + b_out                   W_out: (256, n_neurons)

It reads the last k bytes and predicts the next one, a neural n-gram model in the
style of Bengio et al. 2003, "A Neural Probabilistic Language Model". Everything
it knows passes through the n_neurons of h, the layer the chapters look inside.

The committed weights (artifacts/tiny_lm.npz) come from `polysemantic train-lm`,
which also stores the loss curve so that a test can retrain a short run and check
that the code still gets there.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from polysemantic.language_model.corpus import DOMAINS, Corpus, generate
from polysemantic.progress import progress

ARTIFACT = Path(__file__).parents[1] / "artifacts" / "tiny_lm.npz"
TRAIN_SEED, EVAL_SEED = 0, 1  # corpus seeds: the model never trains on the evaluation text


@dataclass(frozen=True)
class TinyLMConfig:
    context: int = 12  # k: bytes the model reads
    d_embed: int = 16  # per-byte embedding size
    n_neurons: int = 128  # the MLP layer the chapters study
    docs_per_domain: int = 1500
    n_steps: int = 12_000
    batch_size: int = 512
    lr: float = 3e-3
    weight_decay: float = 0.01
    record_every: int = 500
    seed: int = 0


class TinyLM(nn.Module):
    def __init__(self, cfg: TinyLMConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(256, cfg.d_embed)
        self.mlp_in = nn.Linear(cfg.context * cfg.d_embed, cfg.n_neurons)
        self.mlp_out = nn.Linear(cfg.n_neurons, 256)

    def neurons(self, contexts: torch.Tensor) -> torch.Tensor:
        """contexts: (batch, k) bytes -> (batch, n_neurons) MLP activations after the ReLU."""
        e = self.embed(contexts.long()).flatten(1)  # (batch, k·d_embed)
        return torch.relu(self.mlp_in(e))  # (batch, n_neurons)

    def forward(self, contexts: torch.Tensor) -> torch.Tensor:
        """contexts: (batch, k) bytes -> (batch, 256) logits of the next byte."""
        return self.mlp_out(self.neurons(contexts))


def contexts_at(text: np.ndarray, positions: np.ndarray, k: int) -> torch.Tensor:
    """The k bytes before each position: text (n_bytes,), positions (N,) -> (N, k) uint8.

    Positions closer than k to the start of the text see zero bytes before it.
    """
    padded = np.concatenate([np.zeros(k, dtype=np.uint8), text])
    index = positions[:, None] + np.arange(k)[None, :]  # (N, k) into padded
    return torch.from_numpy(padded[index])


def sample_positions(corpus: Corpus, n: int, rng: np.random.Generator) -> np.ndarray:
    """n random byte positions inside documents (the bytes to predict)."""
    inside = np.flatnonzero(corpus.domain >= 0)
    return inside[rng.integers(0, len(inside), n)]


def balanced_positions(corpus: Corpus, n_per_domain: int, seed: int = 0) -> np.ndarray:
    """n_per_domain positions of every domain, in domain order: (n_domains·n_per_domain,)."""
    rng = np.random.default_rng(seed)
    return np.concatenate(
        [
            rng.choice(np.flatnonzero(corpus.domain == d), n_per_domain, replace=False)
            for d in range(len(DOMAINS))
        ]
    )


def evaluation_sample(n_per_domain: int = 2000, seed: int = 0) -> tuple[Corpus, np.ndarray]:
    """Held-out text (never trained on) and n_per_domain positions of every domain."""
    corpus = generate(EVAL_SEED, 100)
    return corpus, balanced_positions(corpus, n_per_domain, seed)


def loss_bits(model: TinyLM, corpus: Corpus, positions: np.ndarray) -> torch.Tensor:
    """Cross-entropy of the next byte in bits, per position: (N,)."""
    with torch.no_grad():
        logits = model(contexts_at(corpus.text, positions, model.cfg.context))
        targets = torch.from_numpy(corpus.text[positions]).long()
        return nn.functional.cross_entropy(logits, targets, reduction="none") / np.log(2)


def loss_per_domain(
    model: TinyLM, corpus: Corpus, n_per_domain: int = 4000, seed: int = 0
) -> dict[str, float]:
    """Mean loss in bits per byte on each domain, from a balanced sample."""
    positions = balanced_positions(corpus, n_per_domain, seed)
    bits = loss_bits(model, corpus, positions).reshape(len(DOMAINS), n_per_domain)
    return {name: float(b.mean()) for name, b in zip(DOMAINS, bits, strict=True)}


@dataclass
class LMTraining:
    model: TinyLM
    steps: list[int]
    eval_loss: list[float]  # bits per byte on held-out text at each recorded step


def train_lm(cfg: TinyLMConfig = TinyLMConfig(), n_steps: int | None = None) -> LMTraining:
    """Train on generate(TRAIN_SEED); record held-out loss every cfg.record_every steps.

    n_steps stops early (the test's short run follows the same path as the full one).
    """
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    train = generate(TRAIN_SEED, cfg.docs_per_domain)
    held_out, eval_positions = evaluation_sample(2000, seed=cfg.seed)
    model = TinyLM(cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, cfg.n_steps)
    steps, eval_loss = [], []
    last = cfg.n_steps if n_steps is None else n_steps
    for step in progress(range(last + 1), desc="training the tiny LM"):
        if step % cfg.record_every == 0 or step == last:
            steps.append(step)
            eval_loss.append(float(loss_bits(model, held_out, eval_positions).mean()))
        if step == last:
            break
        positions = sample_positions(train, cfg.batch_size, rng)
        logits = model(contexts_at(train.text, positions, cfg.context))  # (batch, 256)
        loss = nn.functional.cross_entropy(logits, torch.from_numpy(train.text[positions]).long())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    return LMTraining(model, steps, eval_loss)


def save_lm(run: LMTraining, path: Path = ARTIFACT) -> Path:
    """Weights as float32 arrays, plus the config and the loss curve as JSON."""
    arrays = {
        name: p.detach().numpy().astype(np.float32) for name, p in run.model.state_dict().items()
    }
    meta = {"config": asdict(run.model.cfg), "steps": run.steps, "eval_loss": run.eval_loss}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, meta=np.array(json.dumps(meta)), **arrays)
    return path


def load_lm_and_meta(path: Path = ARTIFACT) -> tuple[TinyLM, dict]:
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: regenerate it with `polysemantic train-lm`")
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        model = TinyLM(TinyLMConfig(**meta["config"]))
        model.load_state_dict({k: torch.from_numpy(data[k]) for k in data.files if k != "meta"})
    return model.eval(), meta


@lru_cache(maxsize=1)
def load_lm() -> TinyLM:
    """The committed model (trained by `polysemantic train-lm`), ready to read."""
    model, _ = load_lm_and_meta()
    model.requires_grad_(False)
    return model
