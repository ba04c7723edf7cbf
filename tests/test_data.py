import torch

from polysemantic.data import sparse_features


def test_shapes_and_range():
    g = torch.Generator().manual_seed(0)
    x = sparse_features(4096, 5, 0.3, generator=g)
    assert x.shape == (4096, 5)
    assert x.min() >= 0 and x.max() <= 1


def test_feature_probability_is_respected():
    g = torch.Generator().manual_seed(0)
    x = sparse_features(20000, 4, 0.25, generator=g)
    assert abs((x > 0).float().mean().item() - 0.25) < 0.01


def test_probability_per_instance():
    g = torch.Generator().manual_seed(0)
    p = torch.tensor([1.0, 0.5, 0.05])
    x = sparse_features(20000, 3, p, n_instances=3, generator=g)
    assert x.shape == (20000, 3, 3)
    active = (x > 0).float().mean(dim=(0, 2))
    assert torch.allclose(active, p, atol=0.01)


def test_seeded_batches_repeat():
    a = sparse_features(8, 3, 0.5, generator=torch.Generator().manual_seed(1))
    b = sparse_features(8, 3, 0.5, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
