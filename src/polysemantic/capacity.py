"""Chapter 03: why networks hold more concepts than neurons.

High-dimensional space has room for far more nearly-orthogonal directions than
dimensions. Random unit vectors in d dimensions have |cos| ~ 1/sqrt(d), and
the number of directions that fit with pairwise |cos| <= eps grows exponentially
with d: at least exp(d eps^2 / 4) by the Johnson-Lindenstrauss-style union
bound (Johnson & Lindenstrauss 1984; the superposition hypothesis in
Elhage et al. 2022, §1).
"""

from __future__ import annotations

import math

import torch


def random_unit_vectors(n_vectors: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    """(n_vectors, dim) directions drawn uniformly on the unit sphere."""
    v = torch.randn(n_vectors, dim, generator=generator)
    return v / v.norm(dim=1, keepdim=True)


def pairwise_cosines(V: torch.Tensor) -> torch.Tensor:
    """cos of every pair i < j of the rows of V: (n, d) -> (n (n - 1) / 2,)."""
    U = V / V.norm(dim=1, keepdim=True)
    i, j = torch.triu_indices(len(V), len(V), offset=1)
    return (U[i] * U[j]).sum(-1)


def pairwise_abs_cosines(V: torch.Tensor) -> torch.Tensor:
    """|cos| of every pair i < j of the rows of V: (n, d) -> (n (n - 1) / 2,)."""
    return pairwise_cosines(V).abs()


def abs_cosine_stats(V: torch.Tensor) -> torch.Tensor:
    """Mean and max |cos| over all pairs of distinct rows: (n, d) -> (2,)."""
    cos = pairwise_abs_cosines(V)
    return torch.stack([cos.mean(), cos.max()])


def fraction_under_budget(V: torch.Tensor, eps: float) -> torch.Tensor:
    """Share of the pairs of distinct rows whose |cos| is at most eps: a scalar."""
    return (pairwise_abs_cosines(V) <= eps).float().mean()


def greedy_packing(V: torch.Tensor, eps: float) -> torch.Tensor:
    """Keep rows in order when their |cos| with every row kept so far is <= eps.

    V: (n, d) -> (n,) booleans, True for the rows kept. Candidates are screened
    in blocks against the kept set with one matrix product, then decided one by
    one within the block.
    """
    U = V / V.norm(dim=1, keepdim=True)
    kept: list[int] = []
    kept_vectors = U[:0]
    block = 256
    for start in range(0, len(U), block):
        candidates = U[start : start + block]
        if len(kept):
            survive = (candidates @ kept_vectors.T).abs().max(1).values <= eps
        else:
            survive = torch.ones(len(candidates), dtype=torch.bool)
        chosen: list[int] = []
        for c in torch.nonzero(survive).flatten().tolist():
            if all(abs(float(candidates[c] @ candidates[o])) <= eps for o in chosen):
                chosen.append(c)
        if chosen:
            kept_vectors = torch.cat([kept_vectors, candidates[chosen]])
            kept += [start + c for c in chosen]
    mask = torch.zeros(len(U), dtype=torch.bool)
    mask[kept] = True
    return mask


def jl_lower_bound(dim: int, eps: float) -> float:
    """Directions with pairwise |cos| <= eps that provably fit in `dim` dimensions.

    For N random unit vectors, P(|cos| > eps) <= 2 exp(-dim eps^2 / 2) per pair; a
    union bound over N^2 / 2 pairs stays below 1 while N < exp(dim eps^2 / 4).
    """
    return math.exp(dim * eps**2 / 4)


def pack_directions(n_concepts: int, width: int, eps: float, n_steps: int = 3000) -> torch.Tensor:
    """n_concepts unit directions in one layer of `width` neurons, every pair within
    the interference budget: |cos| <= eps. (n_concepts, width).

    Random candidates run out of room quickly (a greedy pick keeps few more than
    `width` of them at eps = 0.3 and width 20), so move the directions instead: start
    from random ones and push apart, by gradient descent, every pair whose |cos| is
    over the budget (less a small margin), until none is. How far this can go is set
    by the Welch bound, max |cos| >= sqrt((n - d) / (d (n - 1))) (Welch 1974); a
    trained network arranges its features the same way (Elhage et al. 2022,
    "The Geometry of Superposition").
    """
    generator = torch.Generator().manual_seed(0)
    V = torch.randn(n_concepts, width, generator=generator).requires_grad_()  # (n, width)
    optimizer = torch.optim.Adam([V], lr=0.01)
    others = ~torch.eye(n_concepts, dtype=torch.bool)  # (n, n): pairs of distinct rows
    for _ in range(n_steps):
        U = V / V.norm(dim=1, keepdim=True)  # (n, width), unit rows
        over = torch.relu((U @ U.T)[others].abs() - (eps - 0.02))  # (n (n - 1),)
        loss = (over**2).sum()
        if loss.item() == 0.0:
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return (V / V.norm(dim=1, keepdim=True)).detach()
