"""Tiny synthetic heads and takes for tests of exporters and importers (yours and ours), like ``numpy.testing``."""

import numpy as np

from facemotion.animation import FaceAnimation
from facemotion.face_models.base import BlendshapeMesh
from facemotion.face_models.names import ARKIT_52


def grid_mesh(names: tuple[str, ...] = ARKIT_52, seed: int = 0, relief: bool = True) -> BlendshapeMesh:
    """A 3 x 3 vertex grid, 2 cm wide, facing +Z, with random relief in z (flat without ``relief``), 8 triangles.

    Every blendshape but the last moves 2 random vertices by a few millimetres; the last moves none
    (as ``tongueOut`` on the default head), so exporters meet an empty shape.

    Returns:
        A :class:`BlendshapeMesh` with 9 vertices in metres and ``len(names)`` blendshapes.
    """
    rng = np.random.default_rng(seed)
    x, y = np.meshgrid(np.arange(3), np.arange(3))
    neutral = np.stack([x.ravel(), y.ravel(), np.zeros(9)], 1).astype(np.float32) * 0.01
    neutral[:, 2] = rng.uniform(-0.005, 0.005, 9) if relief else 0.0
    corners = [r * 3 + c for r in range(2) for c in range(2)]
    faces = np.array([[i, i + 1, i + 4] for i in corners] + [[i, i + 4, i + 3] for i in corners], np.int64)
    deltas = np.zeros((len(names), 9, 3), np.float32)
    for k in range(len(names) - 1):
        deltas[k, rng.choice(9, 2, replace=False)] = rng.normal(0, 0.005, (2, 3))
    return BlendshapeMesh(neutral=neutral, faces=faces, deltas=deltas, names=tuple(names))


def random_animation(
    names: tuple[str, ...] = ARKIT_52, frames: int = 5, fps: float = 30.0, seed: int = 1
) -> FaceAnimation:
    """``frames`` frames of uniform random weights in [0, 1] on the channels ``names``."""
    weights = np.random.default_rng(seed).uniform(0, 1, (frames, len(names))).astype(np.float32)
    return FaceAnimation(fps=fps, weights=weights, channel_names=tuple(names))
