"""Tests of the pure blendshape maths in facemotion.face_models.lbs."""

import pytest
import torch

from facemotion.face_models.lbs import blend_shapes


@pytest.mark.parametrize("batch", [(), (4,), (2, 3)])
def test_blend_shapes_shape_contract(batch):
    deltas = torch.randn(5, 7, 3)
    assert blend_shapes(torch.rand(*batch, 5), deltas).shape == (*batch, 7, 3)


def test_blend_shapes_matches_naive_loop():
    generator = torch.Generator().manual_seed(0)
    weights = torch.rand(2, 3, 5, generator=generator, dtype=torch.float64)
    deltas = torch.randn(5, 7, 3, generator=generator, dtype=torch.float64)
    expected = torch.zeros(2, 3, 7, 3, dtype=torch.float64)
    for i in range(2):
        for t in range(3):
            for k in range(5):
                expected[i, t] += weights[i, t, k] * deltas[k]
    torch.testing.assert_close(blend_shapes(weights, deltas), expected)


def test_blend_shapes_gradients_are_finite():
    weights = torch.rand(3, 5, requires_grad=True)
    deltas = torch.randn(5, 7, 3, requires_grad=True)
    blend_shapes(weights, deltas).square().sum().backward()
    assert torch.isfinite(weights.grad).all() and torch.isfinite(deltas.grad).all()


def test_blend_shapes_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"weights must be \(\.\.\., 5\)"):
        blend_shapes(torch.rand(3, 4), torch.randn(5, 7, 3))
    with pytest.raises(ValueError, match=r"deltas must be \(K, V, 3\)"):
        blend_shapes(torch.rand(3, 5), torch.randn(5, 7))
