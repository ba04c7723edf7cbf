"""The course's language model: a one-layer transformer trained on the generated corpus.

    model = load_lm()                                   # the committed weights
    read = read_text(model, corpus.text, keep=[NEURONS])
    read.bits                                           # (n_bytes,) loss of each byte, in bits
    read.cache[NEURONS]                                 # (n_bytes, d_mlp) the neurons before it

Row t of everything `read_text` returns belongs to the prediction of byte t: the model
has read the bytes before t (at least n_ctx/2 of them, once there are that many) and
not byte t itself. Chapters 02 and 08 read the neurons there.

`polysemantic train-lm` trains it on generate(TRAIN_SEED), held-out text comes from
generate(EVAL_SEED), and the committed weights (artifacts/tiny_lm.npz) carry the loss
curve, so a test can retrain a short run and check that the code still gets there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from polysemantic.language_model.corpus import DOMAINS, Corpus, generate
from polysemantic.language_model.planted import WORDS_PER_DOMAIN
from polysemantic.language_model.transformer import Hook, OneLayerTransformer, TransformerConfig
from polysemantic.progress import progress

ARTIFACT = Path(__file__).parents[1] / "artifacts" / "tiny_lm.npz"
# the control: the same model trained on the scrambled corpus (`train-lm --scramble`)
SCRAMBLED_ARTIFACT = ARTIFACT.with_name("tiny_lm_scrambled.npz")
TRAIN_SEED, EVAL_SEED = 0, 1  # corpus seeds: the model never trains on the evaluation text
EVAL_DOCS = 250  # documents per domain of the held-out text (about 600 KB)
NEURONS = "blocks.0.mlp.hook_post"  # the layer the chapters study


@dataclass(frozen=True)
class TinyLMConfig:
    model: TransformerConfig = field(default_factory=TransformerConfig)
    docs_per_domain: int = 3000  # training text: about 7 MB
    scramble: bool = False  # train on the control corpus, whose planted words predict nothing
    words_per_domain: int = WORDS_PER_DOMAIN  # made-up words that are features (the sweep's)
    n_steps: int = 7000
    batch_size: int = 128  # windows of n_ctx + 1 bytes
    lr: float = 5e-3
    weight_decay: float = 0.01
    activation_penalty: float = 0.0  # λ on the neurons' mean L1 norm (chapter 01's ingredient)
    record_every: int = 250
    seed: int = 0


def sample_windows(text: np.ndarray, n: int, length: int, rng: np.random.Generator) -> torch.Tensor:
    """n random windows of `length` consecutive bytes: (n, length) int64."""
    starts = rng.integers(0, len(text) - length, n)
    return torch.from_numpy(text[starts[:, None] + np.arange(length)]).long()


@dataclass
class TextReading:
    bits: torch.Tensor  # (n_bytes,) cross-entropy of each byte in bits; row 0 is NaN
    cache: dict[str, torch.Tensor]  # hook name -> (n_bytes, ...) the activation before each byte


def read_text(
    model: OneLayerTransformer,
    text: np.ndarray,
    keep: Iterable[str] = (),
    fwd_hooks: Iterable[tuple[str, Hook]] = (),
    batch: int = 256,
) -> TextReading:
    """Run the model over every byte of `text` in overlapping windows.

    Windows of n_ctx bytes start every n_ctx/2 bytes; each keeps the predictions of its
    second half, so every byte past the first n_ctx/2 is predicted from at least n_ctx/2
    bytes before it. `fwd_hooks` change the run (an ablation, a clamp, a splice); `keep`
    names the activations to return, aligned with the bytes they predict.
    """
    n, n_ctx = len(text), min(model.cfg.n_ctx, len(text) - 1)
    half = n_ctx // 2
    last = n - 1 - n_ctx  # the last window's start: its final output predicts the last byte
    starts = np.unique(np.append(np.arange(0, last, half), last))  # (n_windows,)
    keep, fwd_hooks = list(keep), list(fwd_hooks)
    tokens_all = torch.from_numpy(text.astype(np.int64))
    bits = torch.full((n,), float("nan"))
    cache: dict[str, torch.Tensor] = {}
    offsets = torch.arange(n_ctx)
    for lo in range(0, len(starts), batch):
        s = torch.from_numpy(starts[lo : lo + batch])
        tokens = tokens_all[s[:, None] + offsets]  # (b, n_ctx)
        predicted = s[:, None] + offsets + 1  # (b, n_ctx): the byte each output predicts
        kept = (offsets >= half) | (s == 0)[:, None]  # (b, n_ctx): enough bytes read before
        got: dict[str, torch.Tensor] = {}

        def grab(x: torch.Tensor, hook, got=got) -> None:
            got[hook.name] = x

        with torch.no_grad(), model.hooks(fwd_hooks + [(name, grab) for name in keep]):
            logits = model(tokens)  # (b, n_ctx, 256)
        targets = predicted[kept]  # (n_kept,)
        ce = nn.functional.cross_entropy(logits[kept], tokens_all[targets], reduction="none")
        bits[targets] = ce / np.log(2)
        for name, x in got.items():
            x = x.expand(tokens.shape[0], *x.shape[-2:]) if x.dim() == 2 else x  # hook_pos_embed
            if name not in cache:
                cache[name] = torch.zeros((n, *x.shape[2:]), dtype=x.dtype)
            cache[name][targets] = x[kept]
    return TextReading(bits, cache)


def loss_per_domain(bits: torch.Tensor, corpus: Corpus) -> dict[str, float]:
    """Mean loss in bits per byte in each domain: bits (n_bytes,) from read_text."""
    return {
        name: float(bits[torch.from_numpy(corpus.domain == d)].nanmean())
        for d, name in enumerate(DOMAINS)
    }


def evaluation_text() -> Corpus:
    """The held-out text (never trained on), the same on every machine."""
    return generate(EVAL_SEED, EVAL_DOCS)


@dataclass
class LMTraining:
    model: OneLayerTransformer
    steps: list[int]
    eval_loss: list[float]  # bits per byte on held-out windows at each recorded step


def held_out_loss(model: OneLayerTransformer, windows: torch.Tensor) -> float:
    """Mean next-byte loss in bits over windows (n, n_ctx + 1), every position counted."""
    with torch.no_grad():
        logits = model(windows[:, :-1])
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), windows[:, 1:].flatten())
    return float(loss / np.log(2))


def train_lm(cfg: TinyLMConfig = TinyLMConfig(), n_steps: int | None = None) -> LMTraining:
    """AdamW on random windows of generate(TRAIN_SEED); held-out loss every record_every steps.

    n_steps stops early (the test's short run follows the same path as the full one).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same weights on every machine; 2 threads would be ~1.9x faster
    # here (benchmarks/train_lm_budget.py), at the price of weights that depend on the core count
    try:
        return _train(cfg, n_steps)
    finally:
        torch.set_num_threads(threads)


def _train(cfg: TinyLMConfig, n_steps: int | None) -> LMTraining:
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    length = cfg.model.n_ctx + 1
    train = generate(TRAIN_SEED, cfg.docs_per_domain, cfg.scramble, cfg.words_per_domain).text
    held_out = sample_windows(evaluation_text().text, 256, length, np.random.default_rng(1))
    model = OneLayerTransformer(cfg.model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, cfg.lr, total_steps=cfg.n_steps, pct_start=0.05
    )
    steps, eval_loss = [], []
    last = cfg.n_steps if n_steps is None else n_steps
    for step in progress(range(last + 1), desc="training the language model"):
        if step % cfg.record_every == 0 or step == last:
            steps.append(step)
            eval_loss.append(held_out_loss(model, held_out))
        if step == last:
            break
        windows = sample_windows(train, cfg.batch_size, length, rng)  # (batch, n_ctx + 1)
        neurons: list[torch.Tensor] = []
        with model.hooks([(NEURONS, lambda post, _hook, kept=neurons: kept.append(post))]):
            logits = model(windows[:, :-1])  # (batch, n_ctx, 256)
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), windows[:, 1:].flatten())
        if cfg.activation_penalty:  # Σ_j |h_j| per position, averaged: (batch, n_ctx, d_mlp)
            loss = loss + cfg.activation_penalty * neurons[0].abs().sum(-1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    return LMTraining(model, steps, eval_loss)


def save_lm(run: LMTraining, cfg: TinyLMConfig, path: Path = ARTIFACT) -> Path:
    """Weights as float32 arrays, plus the config and the loss curve as JSON."""
    arrays = {
        name: p.detach().numpy().astype(np.float32) for name, p in run.model.state_dict().items()
    }
    meta = {"config": asdict(cfg), "steps": run.steps, "eval_loss": run.eval_loss}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, meta=np.array(json.dumps(meta)), **arrays)
    return path


def config_from_dict(values: dict) -> TinyLMConfig:
    return TinyLMConfig(**{**values, "model": TransformerConfig(**values["model"])})


def load_lm_and_meta(path: Path = ARTIFACT) -> tuple[OneLayerTransformer, dict]:
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: regenerate it with `polysemantic train-lm`")
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        model = OneLayerTransformer(config_from_dict(meta["config"]).model)
        model.load_state_dict({k: torch.from_numpy(data[k]) for k in data.files if k != "meta"})
    return model.eval(), meta


@lru_cache(maxsize=2)
def load_lm(path: Path = ARTIFACT) -> OneLayerTransformer:
    """The committed model (trained by `polysemantic train-lm`), ready to read; with
    SCRAMBLED_ARTIFACT, the control trained on text whose planted words predict nothing."""
    model, _ = load_lm_and_meta(path)
    model.requires_grad_(False)
    return model
