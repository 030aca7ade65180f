"""Shared meshes of the rendering tests: random screen-space triangles and the default head."""

import pytest
import torch

from facemotion.face_models.arkit import ARKIT_52, ARKitRig


def make_random_triangles(n_faces: int, batch: int = 2, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 3 * n_faces, 3) float64 NDC x, y and depth > 0 of separate random triangles, both windings, mostly
    overlapping the image [-1, 1]^2 and each other, and their (n_faces, 3) faces."""
    generator = torch.Generator().manual_seed(seed)
    centres = torch.rand(batch, n_faces, 1, 3, generator=generator) * 2 - 1
    offsets = (torch.rand(batch, n_faces, 3, 3, generator=generator) - 0.5) * 1.2
    projected = (centres + offsets).reshape(batch, n_faces * 3, 3).to(torch.float64)
    projected[..., 2] = projected[..., 2] + 2  # depth > 0
    return projected, torch.arange(n_faces * 3).view(n_faces, 3)


@pytest.fixture
def random_triangles():
    """make_random_triangles(n_faces, batch=2, seed=0) -> (projected (B, 3F, 3) float64, faces (F, 3))."""
    return make_random_triangles


@pytest.fixture(scope="session")
def rig() -> ARKitRig:
    """The default head (24,591 vertices, 48,836 triangles)."""
    return ARKitRig.default()


@pytest.fixture(scope="session")
def pose(rig):
    """pose(**weights) -> (V, 3) vertices of the default head with the named ARKit weights, others 0."""

    def posed(**weights: float) -> torch.Tensor:
        values = torch.zeros(len(ARKIT_52))
        for name, value in weights.items():
            values[ARKIT_52.index(name)] = value
        with torch.no_grad():
            return rig(values)

    return posed
