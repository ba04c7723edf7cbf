"""The toy-model trainer's sampler in numpy: the portable one, used where no C
compiler is at hand (native_sampler.py has the same method in C)."""

from __future__ import annotations

import numpy as np
import torch

from polysemantic.data import per_instance


class SparseFeatureSampler:
    """The toy-model trainer's sampler where no C compiler is at hand (otherwise
    `native_sampler.NativeFeatureSampler`, the same method in C, about five times
    faster): the same distribution as `sparse_features`, written in place into a
    preallocated (n_instances, n_batch, n_features) buffer, with far fewer random
    numbers.

    Instances must come in order of non-increasing feature probability (the
    trainer sorts them), so that dense and sparse ones are contiguous slices:
    - dense instances (p > sparse_at_most) use one uniform u per entry: the entry
      is 1 - u/p when u < p (uniform on (0, 1] given u < p), else 0;
    - sparse instances never draw their zeros: the gaps between the active
      entries of a Bernoulli(p) sequence are geometric, so about 2·p·N random
      numbers (gaps and values) replace N. This is exact, not an approximation.
      Each of those costs a few more operations than a dense draw, so the switch
      sits near the measured break-even, p = 0.15 (benchmarks/sampler_speed.py).
    With this sampler, drawing the data costs a phase-diagram step (n=3) more than
    its arithmetic does, and about a third of a step at n=200, m=20.
    """

    def __init__(
        self,
        n_instances: int,
        n_batch: int,
        n_features: int,
        feature_probability: torch.Tensor,
        generator: torch.Generator,
        sparse_at_most: float = 0.15,
    ):
        p = per_instance(feature_probability, n_instances, 1, "feature_probability", torch.float64)[
            :, 0
        ]  # (n_instances,)
        if (p[1:] > p[:-1]).any():
            raise ValueError("instances must be sorted by non-increasing feature probability")
        # Uniforms come from numpy's PCG64, which fills float32 arrays about twice as fast
        # as torch's CPU generator (benchmarks/sampler_speed.py); it is seeded from
        # `generator`, so a run is still fixed by its torch seed.
        self.rng = np.random.default_rng(int(torch.randint(2**62, (1,), generator=generator)))
        self.length = n_batch * n_features  # entries per instance
        self.n_dense = int((p > sparse_at_most).sum())
        self.neg_inv_p = (-1.0 / p[: self.n_dense]).float().view(-1, 1, 1)  # (n_dense, 1, 1)
        # Sparse instances in groups of similar expected counts (padding at most 2x).
        self.groups: list[tuple[int, int, int, torch.Tensor]] = []  # start, end, slots, log(1-p)
        k = self.n_dense
        while k < n_instances and p[k] > 0:
            slots = self._slots(p[k])
            end = k + 1
            while end < n_instances and p[end] > 0 and 2 * self._slots(p[end]) >= slots:
                end += 1
            self.groups.append((k, end, slots, torch.log1p(-p[k:end]).float().view(-1, 1)))
            k = end

    def _slots(self, p: torch.Tensor) -> int:
        mean = float(p) * self.length
        return int(mean + 4 * mean**0.5 + 8)  # short by chance: `sample` draws more

    def sample(self, out: torch.Tensor) -> torch.Tensor:
        """Fill `out` (n_instances, n_batch, n_features) with a fresh batch, in place."""
        if self.n_dense:
            dense = out[: self.n_dense]
            self.rng.random(out=dense.numpy(), dtype=np.float32)
            dense.mul_(self.neg_inv_p).add_(1.0).clamp_(min=0.0)
        out[self.n_dense :] = 0.0
        flat = out.view(out.shape[0], -1)
        for start, end, slots, log_q in self.groups:
            positions = self._positions(end - start, slots, log_q, None)
            while not bool((positions[:, -1] >= self.length).all()):  # astronomically rare
                more = self._positions(end - start, slots, log_q, positions[:, -1:] + 1)
                positions = torch.cat([positions, more], dim=1)
            past_end = positions >= self.length
            values = self._uniform(tuple(positions.shape))
            values = (1.0 - values).masked_fill_(past_end, 0.0)  # (0, 1], and 0 past the end
            # Positions inside are distinct, so adding onto zeros writes each value
            # once; the ones past the end all land on the last entry, adding 0.
            flat[start:end].scatter_add_(1, positions.clamp_(max=self.length - 1), values)
        return out

    def _uniform(self, shape: tuple[int, ...]) -> torch.Tensor:
        """Uniform on [0, 1), float32, like torch.rand."""
        return torch.from_numpy(self.rng.random(shape, dtype=np.float32))

    def _positions(
        self, n: int, slots: int, log_q: torch.Tensor, start: torch.Tensor | None
    ) -> torch.Tensor:
        """Indices of the next `slots` active entries of n instances: (n, slots)."""
        u = 1.0 - self._uniform((n, slots))  # (0, 1]
        gaps = torch.floor(torch.log(u) / log_q).clamp_(max=float(self.length)) + 1.0
        positions = (torch.cumsum(gaps, dim=1) - 1.0).long()
        return positions if start is None else positions + start
