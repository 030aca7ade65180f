"""The data of a blendshape head: a neutral mesh, its triangles and one offset field per blendshape."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BlendshapeMesh:
    """A linear blendshape model ``vertices = neutral + sum_k w_k * deltas[k]``.

    Attributes:
        neutral: (V, 3) float32, the rest pose in metres (+Y up, +Z towards the viewer).
        faces: (F, 3) int64 triangle vertex indices, counter-clockwise seen from outside.
        deltas: (K, V, 3) float32 per-blendshape vertex offsets in metres.
        names: K blendshape names, in the order of ``deltas``.

    Raises:
        ValueError: when shapes or dtypes disagree, or the arrays hold NaN/Inf.
    """

    neutral: np.ndarray
    faces: np.ndarray
    deltas: np.ndarray
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        neutral, faces, deltas = self.neutral, self.faces, self.deltas
        if neutral.ndim != 2 or neutral.shape[1] != 3 or neutral.dtype != np.float32:
            raise ValueError(f"neutral must be (V, 3) float32, got {neutral.shape} {neutral.dtype}")
        if faces.ndim != 2 or faces.shape[1] != 3 or faces.dtype != np.int64:
            raise ValueError(f"faces must be (F, 3) int64, got {faces.shape} {faces.dtype}")
        if faces.size and (faces.min() < 0 or faces.max() >= len(neutral)):
            raise ValueError(f"faces index vertices outside [0, {len(neutral)})")
        if deltas.shape != (len(self.names), *neutral.shape) or deltas.dtype != np.float32:
            raise ValueError(
                f"deltas must be ({len(self.names)}, {len(neutral)}, 3) float32, "
                f"got {deltas.shape} {deltas.dtype}"
            )
        if not (np.isfinite(neutral).all() and np.isfinite(deltas).all()):
            raise ValueError("neutral and deltas must be finite")

    @property
    def n_vertices(self) -> int:
        """Number of vertices V."""
        return len(self.neutral)
