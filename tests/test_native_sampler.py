"""The C sampler behind the toy-model trainer: the paper's distribution, fixed by the
seed, clear errors, and a working fallback where it cannot be compiled."""

import math

import pytest
import torch

from polysemantic.toy_training import native_sampler
from polysemantic.toy_training.numpy_sampler import SparseFeatureSampler

P = torch.tensor([1.0, 0.3, 0.05, 0.001, 0.0])


def _sampler(n_batch=4096, n_features=50, p=P, seed=0, **kw):
    lib = native_sampler.load()
    assert lib is not None, "this machine has a C compiler: the sampler must build"
    return native_sampler.NativeFeatureSampler(
        lib, len(p), n_batch, n_features, p, torch.Generator().manual_seed(seed), **kw
    )


@pytest.mark.parametrize("sparse_at_most", [0.0, 0.02, 1.0])  # every instance dense, mixed,
def test_the_c_sampler_draws_the_papers_distribution(sparse_at_most):  # every one sparse
    sampler = _sampler(sparse_at_most=sparse_at_most)
    x = sampler.sample(torch.empty(5, 4096, 50))  # (instance, batch, feature)
    entries = 4096 * 50
    for k, p in enumerate(P.tolist()):
        on = x[k] > 0
        fraction = on.float().mean().item()
        assert abs(fraction - p) <= 5 * math.sqrt(p * (1 - p) / entries) + 1e-9, (k, fraction)
        if p >= 0.05:  # each feature on as often as the others: no position is favoured
            per_feature = on.float().mean(0)  # (50,)
            assert (per_feature - p).abs().max() <= 6 * math.sqrt(p * (1 - p) / 4096) + 1e-9
        values = x[k][on]
        if values.numel() > 1000:  # uniform on (0, 1]: mean 1/2, variance 1/12
            assert values.min() > 0 and values.max() <= 1
            assert abs(values.mean().item() - 0.5) < 5 * math.sqrt(1 / 12 / values.numel())
            assert abs(values.var().item() - 1 / 12) < 0.01
    assert (x[0] > 0).all() and (x[4] == 0).all()  # p = 1 and p = 0
    for k in (0, 1):  # neighbouring entries (one 64-bit draw makes two) are independent
        flat = x[k].flatten()
        corr = torch.corrcoef(torch.stack([flat[0::2], flat[1::2]]))[0, 1].item()
        assert abs(corr) < 5 / math.sqrt(entries / 2), (k, corr)


def test_the_c_sampler_is_fixed_by_the_seed_and_moves_on():
    first, again = _sampler(seed=3), _sampler(seed=3)
    a = first.sample(torch.empty(5, 4096, 50))
    assert torch.equal(a, again.sample(torch.empty(5, 4096, 50)))  # same seed, same batch
    assert not torch.equal(a, first.sample(torch.empty(5, 4096, 50)))  # the next batch is new
    assert not torch.equal(a, _sampler(seed=4).sample(torch.empty(5, 4096, 50)))


def test_bad_input_to_the_c_sampler_says_what_is_wrong():
    sampler = _sampler()
    with pytest.raises(ValueError, match=r"out must be .*\(5, 4096, 50\)"):
        sampler.sample(torch.empty(5, 50, 4096))
    with pytest.raises(ValueError, match=r"out must be .*float32"):
        sampler.sample(torch.empty(5, 4096, 50, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"feature_probability must be .*\[0, 1\]"):
        _sampler(p=torch.tensor([0.5, 1.5]))


@pytest.fixture
def fresh_build(tmp_path, monkeypatch):
    """An empty cache and no library loaded yet, as on a new machine."""
    monkeypatch.setenv("POLYSEMANTIC_CACHE", str(tmp_path))
    native_sampler._build_and_load.cache_clear()
    yield tmp_path
    native_sampler._build_and_load.cache_clear()


def test_a_new_machine_builds_the_sampler_into_its_cache(fresh_build):
    assert native_sampler.load() is not None
    assert len(list(fresh_build.glob("native_sampler-*.so"))) == 1
    assert not list(fresh_build.glob("*.tmp"))  # no half-written file left


@pytest.mark.parametrize("compiler", ["broken", "missing", "unloadable"])
def test_without_a_compiler_training_warns_and_uses_the_portable_sampler(
    fresh_build, monkeypatch, compiler
):
    from polysemantic.superposition import ToyModelConfig
    from polysemantic.toy_training import train_toy_model

    if compiler == "broken":  # a compiler that fails on everything
        monkeypatch.setenv("CC", "false")
        expected = "could not build _native_sampler.c"
    elif compiler == "missing":
        monkeypatch.setattr(native_sampler, "_compiler", lambda: None)
        expected = "no C compiler found"
    else:  # a cached file that is not a library (a half-copied cache, say)
        junk = fresh_build / f"native_sampler-{native_sampler._cache_key()}.so"
        junk.write_text("junk")
        expected = "could not build"
    with pytest.warns(RuntimeWarning, match=expected):
        sampler = native_sampler.feature_sampler(
            2, 8, 5, torch.tensor([1.0, 0.1]), torch.Generator().manual_seed(0)
        )
    assert isinstance(sampler, SparseFeatureSampler)
    native_sampler._build_and_load.cache_clear()  # as in the next process:
    if compiler == "unloadable":  # the damaged file is gone, built anew
        assert not junk.exists()
        assert native_sampler.load() is not None
    else:  # the failure is remembered, not retried
        monkeypatch.setattr(native_sampler, "_compile", lambda path: pytest.fail("retried"))
        with pytest.warns(RuntimeWarning, match=f"{expected}.*remembered in .*delete it"):
            assert native_sampler.load() is None
    cfg = ToyModelConfig(n_features=5, n_hidden=2, n_instances=2, n_steps=200, lr=1e-2)
    model, log = train_toy_model(cfg, 1.0, torch.tensor([1.0, 0.1]), log_every=100)
    assert (log[-1] < log[0]).all()  # and it still trains


def test_POLYSEMANTIC_NATIVE_0_turns_the_c_sampler_off(monkeypatch):
    monkeypatch.setenv("POLYSEMANTIC_NATIVE", "0")
    assert native_sampler.load() is None
    sampler = native_sampler.feature_sampler(
        2, 8, 5, torch.tensor([1.0, 0.1]), torch.Generator().manual_seed(0)
    )
    assert isinstance(sampler, SparseFeatureSampler)
