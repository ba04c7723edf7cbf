"""Chapter 08: a sparse autoencoder (SAE), the dictionary that untangles superposition.

Given activations x of a layer (d_in numbers), learn an overcomplete dictionary of
n_latents directions in which every x is a sparse, non-negative sum:

    f  = ReLU(W_enc (x − b_dec) + b_enc)     W_enc: (n_latents, d_in)   f: the features
    x̂  = W_dec f + b_dec                     W_dec: (d_in, n_latents), unit-norm columns
    loss = ||x − x̂||² + λ ||f||₁              (summed over dimensions, mean over the batch)

as in Bricken et al. 2023, "Towards Monosemanticity" (pre-encoder bias b_dec,
unit-norm decoder columns so the L1 cost cannot be dodged by shrinking f, and
resampling of dead latents). With k > 0 it is instead a TopK SAE (Gao et al. 2024,
"Scaling and evaluating sparse autoencoders"): f keeps only its k largest values and the
loss is the squared error alone, so L0 is k by construction and nothing shrinks f.
Column i of W_dec is feature i's direction, the same convention as chapter 06's W.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from polysemantic.data import seeded, sparse_features
from polysemantic.progress import progress


@dataclass(frozen=True)
class SAEConfig:
    n_latents: int = 512
    l1_coefficient: float = 0.2  # λ, on inputs scaled to mean squared norm 1
    n_steps: int = 2000
    batch_size: int = 512
    lr: float = 3e-3
    resample_every: int = 500  # look for dead latents this often ...
    resample_until: int = 1500  # ... until this step, then let the dictionary settle
    record_every: int = 100  # steps between recovery records
    seed: int = 0
    k: int = 0  # > 0: a TopK SAE (Gao et al. 2024), the k largest latents kept and no L1


def sae_encode(
    x: torch.Tensor, W_enc: torch.Tensor, b_enc: torch.Tensor, b_dec: torch.Tensor
) -> torch.Tensor:
    """Features f = ReLU(W_enc (x − b_dec) + b_enc): x (batch, d_in) -> (batch, n_latents)."""
    return torch.relu((x - b_dec) @ W_enc.T + b_enc)


def top_k(f: torch.Tensor, k: int) -> torch.Tensor:
    """Each row's k largest features kept, the rest set to 0 (Gao et al. 2024's TopK
    activation). f: (batch, n_latents) -> (batch, n_latents)."""
    values, indices = f.topk(k, dim=-1)  # (batch, k)
    return torch.zeros_like(f).scatter(-1, indices, values)


def sae_decode(f: torch.Tensor, W_dec: torch.Tensor, b_dec: torch.Tensor) -> torch.Tensor:
    """Reconstruction x̂ = W_dec f + b_dec: f (batch, n_latents) -> (batch, d_in)."""
    return f @ W_dec.T + b_dec


def sae_forward(
    x: torch.Tensor,
    W_enc: torch.Tensor,
    b_enc: torch.Tensor,
    W_dec: torch.Tensor,
    b_dec: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """x: (batch, d_in) -> reconstruction x̂ (batch, d_in), features f (batch, n_latents)."""
    f = sae_encode(x, W_enc, b_enc, b_dec)
    return sae_decode(f, W_dec, b_dec), f


def sae_loss(
    x: torch.Tensor, x_hat: torch.Tensor, f: torch.Tensor, l1_coefficient: float
) -> torch.Tensor:
    """Squared error summed over dimensions plus λ·L1 of the features, both batch means."""
    return ((x - x_hat) ** 2).sum(-1).mean() + l1_coefficient * f.abs().sum(-1).mean()


def normalize_decoder(W_dec: torch.Tensor) -> torch.Tensor:
    """Every column (a feature's direction) scaled to length 1. W_dec: (d_in, n_latents)."""
    return W_dec / W_dec.norm(dim=0, keepdim=True).clamp_min(1e-12)


def recovery_score(true_directions: torch.Tensor, learned: torch.Tensor) -> torch.Tensor:
    """Mean over true features of the best cosine similarity with any learned direction.

    true_directions: (d, n_true), learned: (d, n_latents), columns are directions
    -> a scalar in [-1, 1]; 1 when every true direction is in the dictionary.
    """
    cos = normalize_decoder(true_directions).T @ normalize_decoder(learned)  # (n_true, n_latents)
    return cos.max(dim=1).values.mean()


def latents_per_true_feature(
    true_directions: torch.Tensor, learned: torch.Tensor, min_cosine: float = 0.9
) -> torch.Tensor:
    """How many learned directions lie along each true feature (cosine > min_cosine).

    true_directions: (d, n_true), learned: (d, n_latents) -> (n_true,) counts. More than
    one means duplicate latents: the L1 penalty is indifferent to splitting a value
    between two identical unit-norm columns (a + b costs the same as a + b in one).
    """
    cos = normalize_decoder(true_directions).T @ normalize_decoder(learned)  # (n_true, n_latents)
    return (cos > min_cosine).sum(1)


def fraction_of_variance_explained(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    """1 − (squared error) / (total variance around the mean). x, x_hat: (batch, d)."""
    return 1 - ((x - x_hat) ** 2).sum() / ((x - x.mean(0)) ** 2).sum()


def reconstruction_bias(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    """γ, the scale that best maps the reconstruction back onto the input (x ≈ x̂ / γ):
    γ = Σ‖x̂‖² / Σ x̂·x. Below 1 the SAE shrinks what it reconstructs, as an L1 penalty does
    (Rajamanoharan et al. 2024, "relative reconstruction bias"). x, x_hat: (batch, d)."""
    return (x_hat**2).sum() / (x_hat * x).sum()


class SparseAutoencoder(nn.Module):
    def __init__(
        self, d_in: int, n_latents: int, generator: torch.Generator | None = None, k: int = 0
    ):
        super().__init__()
        self.k = k  # > 0: a TopK SAE
        W_dec = normalize_decoder(torch.randn(d_in, n_latents, generator=generator))
        self.W_dec = nn.Parameter(W_dec)  # (d_in, n_latents)
        self.W_enc = nn.Parameter(W_dec.T.clone())  # (n_latents, d_in): tied at the start
        self.b_enc = nn.Parameter(torch.zeros(n_latents))
        self.b_dec = nn.Parameter(torch.zeros(d_in))
        self.register_buffer("scale", torch.tensor(1.0))  # inputs are divided by it

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (batch, d_in) in the layer's own units -> x̂ (same units), f (batch, n_latents)."""
        f = self.features(x)
        return sae_decode(f, self.W_dec, self.b_dec) * self.scale, f

    def features(self, x: torch.Tensor, latents: list[int] | None = None) -> torch.Tensor:
        """x: (batch, d_in) -> f (batch, n_latents), or only the columns listed in `latents`
        (batch, len(latents)): a few latents of an L1 SAE over a long text cost a few columns
        of memory (a TopK SAE must compute all of them to know which k are kept)."""
        if self.k:
            f = top_k(sae_encode(x / self.scale, self.W_enc, self.b_enc, self.b_dec), self.k)
            return f if latents is None else f[:, latents]
        if latents is None:
            return sae_encode(x / self.scale, self.W_enc, self.b_enc, self.b_dec)
        return sae_encode(x / self.scale, self.W_enc[latents], self.b_enc[latents], self.b_dec)


@dataclass
class SAETraining:
    sae: SparseAutoencoder
    steps: list[int] = field(default_factory=list)  # when recovery was recorded
    recovery: list[float] = field(default_factory=list)  # when true directions are given
    resampled: int = 0  # dead latents pointed somewhere new during training


def _resample_dead(
    sae: SparseAutoencoder,
    optimizer: torch.optim.Optimizer,
    dead: torch.Tensor,
    x: torch.Tensor,
    generator: torch.Generator,
) -> None:
    """Bricken et al. 2023's resampling: point each dead latent at an input the SAE
    reconstructs badly (drawn with probability ∝ its squared error), and reset its
    optimiser state. x: (batch, d_in), already scaled."""
    with torch.no_grad():
        x_hat = sae_decode(sae.features(x * sae.scale), sae.W_dec, sae.b_dec)  # scaled units
        error = ((x - x_hat) ** 2).sum(-1)  # (batch,)
        picks = torch.multinomial(error + 1e-12, len(dead), replacement=True, generator=generator)
        directions = normalize_decoder((x[picks] - sae.b_dec).T)  # (d_in, n_dead)
        alive = torch.ones(sae.W_enc.shape[0], dtype=torch.bool)
        alive[dead] = False
        enc_norm = sae.W_enc[alive].norm(dim=1).mean() if alive.any() else torch.tensor(1.0)
        sae.W_dec[:, dead] = directions
        sae.W_enc[dead] = directions.T * 0.2 * enc_norm
        sae.b_enc[dead] = 0.0
        for param, index in (
            (sae.W_dec, (slice(None), dead)),
            (sae.W_enc, dead),
            (sae.b_enc, dead),
        ):
            state = optimizer.state.get(param, {})
            for moment in ("exp_avg", "exp_avg_sq"):
                if moment in state:
                    state[moment][index] = 0.0


def train_sae(
    activations: torch.Tensor,
    cfg: SAEConfig = SAEConfig(),
    true_directions: torch.Tensor | None = None,
) -> SAETraining:
    """Train an SAE on activations (n_samples, d_in).

    Inputs are scaled so that their mean squared norm is 1 (cfg.l1_coefficient is
    then comparable across layers). With true_directions (d_in, n_true), the
    recovery score is recorded as training goes.
    """
    generator = seeded(cfg.seed)
    x_all = activations.float()
    sae = SparseAutoencoder(x_all.shape[1], cfg.n_latents, generator, cfg.k)
    sae.scale.fill_(float(x_all.pow(2).sum(1).mean().sqrt()))
    x_all = x_all / sae.scale
    with torch.no_grad():
        sae.b_dec.copy_(x_all.median(0).values)  # start at the data's centre
    optimizer = torch.optim.Adam([sae.W_enc, sae.b_enc, sae.W_dec, sae.b_dec], lr=cfg.lr)
    run = SAETraining(sae)
    fired = torch.zeros(cfg.n_latents, dtype=torch.bool)  # since the last resampling check
    for step in progress(range(cfg.n_steps + 1), desc="training the SAE"):
        x = x_all[torch.randint(0, len(x_all), (cfg.batch_size,), generator=generator)]
        f = sae_encode(x, sae.W_enc, sae.b_enc, sae.b_dec)  # (batch, n_latents)
        f = top_k(f, cfg.k) if cfg.k else f
        x_hat = sae_decode(f, sae.W_dec, sae.b_dec)
        loss = sae_loss(x, x_hat, f, 0.0 if cfg.k else cfg.l1_coefficient)
        fired |= (f > 0).any(0)
        if step % cfg.record_every == 0 and true_directions is not None:
            run.steps.append(step)
            run.recovery.append(float(recovery_score(true_directions, sae.W_dec.detach())))
        if step == cfg.n_steps:
            break
        optimizer.zero_grad()
        loss.backward()
        with torch.no_grad():  # keep columns unit-norm: drop the gradient along each column
            W, G = sae.W_dec, sae.W_dec.grad
            G -= W * (W * G).sum(0, keepdim=True)
        optimizer.step()
        with torch.no_grad():
            sae.W_dec.copy_(normalize_decoder(sae.W_dec))
        if (step + 1) % cfg.resample_every == 0:
            dead = torch.nonzero(~fired).flatten()
            if step + 1 <= cfg.resample_until and len(dead):
                _resample_dead(sae, optimizer, dead, x, generator)
                run.resampled += len(dead)
            fired.zero_()
    sae.requires_grad_(False)
    return run


def toy_model_activations(
    n_features: int = 20,
    n_hidden: int = 5,
    feature_probability: float = 0.05,
    n_samples: int = 50_000,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Train chapter 06's toy model (equal importances) and return what an SAE sees.

    -> true directions W (n_hidden, n_features), the trained model's columns, and
    hidden activations h = W x (n_samples, n_hidden) for fresh sparse inputs x.
    """
    from polysemantic.superposition import ToyModelConfig
    from polysemantic.toy_training import train_toy_model

    cfg = ToyModelConfig(
        n_features=n_features, n_hidden=n_hidden, n_instances=1, n_steps=5000, seed=seed
    )
    model, _ = train_toy_model(cfg, importance=1.0, feature_probability=feature_probability)
    W = model.W.detach()[0]  # (m, n)
    x = sparse_features(
        n_samples,
        n_features,
        feature_probability,
        generator=seeded(seed + 1),
    )  # (N, n)
    return W, x @ W.T  # (N, m)


def feature_contributions(sae: SparseAutoencoder, f: torch.Tensor, neuron: int) -> torch.Tensor:
    """How much each feature adds to one input dimension (a neuron) of the SAE's input:
    x̂[neuron] = Σ_i f_i · W_dec[neuron, i] (·scale) + b_dec[neuron].

    f: (batch, n_latents) -> (batch, n_latents), in the neuron's own units.
    """
    return f * sae.W_dec[neuron] * sae.scale


def contribution_shares(
    sae: SparseAutoencoder, x: torch.Tensor, groups: list[np.ndarray], neuron: int
) -> torch.Tensor:
    """How much of `neuron`'s mean activation over each group of rows each latent adds.

    x: (N, d_in) the layer's activations, groups: per group the rows of x in it (a planted
    feature's positions, say) -> (n_groups, n_latents) shares of the neuron's mean
    activation over the group; what they leave is the decoder's bias and the error.
    """
    shares = []
    for rows in groups:
        with torch.no_grad():
            f = sae.features(x[rows])  # (n_in_group, n_latents)
            shares.append(feature_contributions(sae, f, neuron).mean(0) / x[rows, neuron].mean())
    return torch.stack(shares)


def dead_latents(f: torch.Tensor) -> torch.Tensor:
    """Latents that never fire on a set of inputs. f: (batch, n_latents) -> (n_latents,) bool."""
    return (f <= 0).all(0)


def mean_l0(f: torch.Tensor) -> torch.Tensor:
    """Mean number of active latents per input. f: (batch, n_latents) -> scalar."""
    return (f > 0).float().sum(-1).mean()


def most_active_latents(
    sae: SparseAutoencoder, x: torch.Tensor, positives: list[np.ndarray]
) -> torch.Tensor:
    """For each feature, the latent with the highest mean activation on its positions.

    x: (N, d_in) the layer's activations, positives: per feature, the rows of x where it
    is present -> (n_features,) latent indices (-1 for a feature with no rows). Only the
    features' own rows are encoded, so this is cheap.
    """
    with torch.no_grad():
        return torch.tensor(
            [int(sae.features(x[rows]).mean(0).argmax()) if len(rows) else -1 for rows in positives]
        )


@dataclass(frozen=True)
class LossRecovered:
    """The language model's loss (bits per byte) with its neurons as they are, replaced
    by the SAE's reconstruction, and set to zero."""

    clean: float
    spliced: float
    zero: float

    @property
    def recovered(self) -> float:
        """(L_zero − L_spliced) / (L_zero − L_clean): 1 when splicing in the SAE costs
        nothing, 0 when it is as bad as deleting the layer."""
        return (self.zero - self.spliced) / (self.zero - self.clean)


def spliced_losses(
    h: torch.Tensor,
    reconstruction: torch.Tensor,
    W_out: torch.Tensor,
    b_out: torch.Tensor,
    targets: torch.Tensor,
) -> LossRecovered:
    """The next-byte loss read from the neurons, from the SAE's reconstruction of them,
    and from zeros in their place (only the output bias left).

    h, reconstruction: (N, n_neurons), W_out: (256, n_neurons), b_out: (256,),
    targets: (N,) the next bytes. Losses are mean cross-entropies in bits per byte.
    """

    def bits(neurons: torch.Tensor) -> float:
        logits = neurons @ W_out.T + b_out  # (N, 256)
        return float(nn.functional.cross_entropy(logits, targets.long()) / np.log(2))

    return LossRecovered(bits(h), bits(reconstruction), bits(torch.zeros_like(h)))


def loss_recovered_score(
    h: torch.Tensor,
    reconstruction: torch.Tensor,
    W_out: torch.Tensor,
    b_out: torch.Tensor,
    targets: torch.Tensor,
) -> torch.Tensor:
    """Loss recovered, (L_zero − L_spliced) / (L_zero − L_clean), as a 0-d tensor
    (Bricken et al. 2023). Shapes as in `spliced_losses`."""
    return torch.tensor(spliced_losses(h, reconstruction, W_out, b_out, targets).recovered)
