"""The ARKit-52 blendshape rig: ARKit weights to head vertices, on the shipped ICT-FaceKit head by default."""

from importlib import resources
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from facemotion.face_models.base import BlendshapeMesh
from facemotion.face_models.lbs import blend_shapes
from facemotion.face_models.names import ARKIT_52

INNER_LIP_PAIRS = ((61, 67), (62, 66), (63, 65))
"""Multi-PIE 68 landmark pairs (upper, lower) facing each other across the inner lip contour."""


class ARKitRig(torch.nn.Module):
    """A linear blendshape head driven by the 52 ARKit channels, ``neutral + sum_k w_k * deltas[k]``.

    The mesh is held in non-persistent buffers (moved by ``.to(device)``, absent from ``state_dict``):
    ``neutral`` (V, 3) and ``deltas`` (52, V, 3) float32 in metres, ``faces`` (F, 3) int64,
    ``lip_vertex_ids`` (L,) int64 and ``landmark_vertex_ids`` (68,) int64 (Multi-PIE 68 order).

    Args:
        mesh: the head; ``mesh.names`` must be :data:`~facemotion.face_models.names.ARKIT_52`.
        lip_vertex_ids: (L,) ids of the lip region vertices (used by lip losses and metrics).
        landmark_vertex_ids: (68,) ids of the vertices at the Multi-PIE 68 facial landmarks.

    Raises:
        ValueError: when the names are not ARKit-52 in Apple's order, or the ids are not 1-D integers
            inside [0, V) (68 of them for the landmarks).
    """

    neutral: torch.Tensor
    deltas: torch.Tensor
    faces: torch.Tensor
    lip_vertex_ids: torch.Tensor
    landmark_vertex_ids: torch.Tensor

    def __init__(self, mesh: BlendshapeMesh, lip_vertex_ids, landmark_vertex_ids) -> None:
        super().__init__()
        if tuple(mesh.names) != ARKIT_52:
            raise ValueError("mesh.names must be ARKIT_52, in Apple's order")
        lips = _vertex_ids(lip_vertex_ids, mesh.n_vertices, "lip_vertex_ids")
        landmarks = _vertex_ids(landmark_vertex_ids, mesh.n_vertices, "landmark_vertex_ids")
        if len(landmarks) != 68:
            raise ValueError(f"landmark_vertex_ids must hold 68 ids, got {len(landmarks)}")
        self.register_buffer("neutral", torch.from_numpy(mesh.neutral.copy()), persistent=False)
        self.register_buffer("deltas", torch.from_numpy(mesh.deltas.copy()), persistent=False)
        self.register_buffer("faces", torch.from_numpy(mesh.faces.copy()), persistent=False)
        self.register_buffer("lip_vertex_ids", lips, persistent=False)
        self.register_buffer("landmark_vertex_ids", landmarks, persistent=False)

    @classmethod
    def from_npz(cls, file: str | Path | BinaryIO) -> "ARKitRig":
        """Load a rig from an ``.npz`` written by ``datasets/convert_ict_facekit.py``.

        The file holds ``neutral`` (V, 3) metres, ``faces`` (F, 3), ``deltas`` (52, V, 3) metres (float16
        allowed), ``names`` (52,) str, ``lip_vertex_ids`` and ``landmark_vertex_ids``.

        Raises:
            FileNotFoundError: when the path does not exist.
            ValueError: when an entry is missing or malformed.
        """
        if isinstance(file, (str, Path)) and not Path(file).is_file():
            raise FileNotFoundError(f"no rig file at {file}")
        with np.load(file) as data:
            missing = {"neutral", "faces", "deltas", "names", "lip_vertex_ids", "landmark_vertex_ids"}
            missing -= set(data.files)
            if missing:
                raise ValueError(f"rig file lacks {sorted(missing)}")
            mesh = BlendshapeMesh(
                neutral=data["neutral"].astype(np.float32),
                faces=data["faces"].astype(np.int64),
                deltas=data["deltas"].astype(np.float32),
                names=tuple(str(name) for name in data["names"]),
            )
            return cls(mesh, data["lip_vertex_ids"], data["landmark_vertex_ids"])

    @classmethod
    def default(cls) -> "ARKitRig":
        """The shipped head: ICT-FaceKit's generic head (MIT), 24,591 vertices, 48,836 triangles.

        Source: ``assets/ict_head.npz`` (package ``facemotion.assets``), made by
        ``datasets/convert_ict_facekit.py`` from ICT-FaceKit @ da5f95a; see ``assets/README.md``.
        """
        with (resources.files("facemotion.assets") / "ict_head.npz").open("rb") as file:
            return cls.from_npz(file)

    @property
    def mesh(self) -> BlendshapeMesh:
        """The rig's data as numpy (float32 metres, int64 faces, on the CPU), names ARKit-52."""
        return BlendshapeMesh(
            neutral=self.neutral.detach().cpu().numpy().astype(np.float32),
            faces=self.faces.cpu().numpy().astype(np.int64),
            deltas=self.deltas.detach().cpu().numpy().astype(np.float32),
            names=ARKIT_52,
        )

    def forward(self, weights: torch.Tensor | np.ndarray) -> torch.Tensor | np.ndarray:
        """Vertices of the head posed by ARKit weights.

        Args:
            weights: (..., 52) float ARKit weights in Apple's order, usually in [0, 1] (not clipped). A
                tensor must be on the rig's device and is cast to the rig's dtype (gradients flow); a numpy
                array is computed without gradients and answered with a numpy array.

        Returns:
            (..., V, 3) vertices in metres (+Y up, +Z towards the viewer), in the rig's dtype (float32 unless
            the rig was cast): a tensor for a tensor input, a numpy array for a numpy input. Memory: 12 * V
            bytes per pose in float32 (about 0.3 MB for the default head).

        Raises:
            ValueError: when the last dim is not 52, the dtype is not floating, or a weight is NaN/Inf.
        """
        if isinstance(weights, np.ndarray):
            with torch.no_grad():
                return self.forward(torch.tensor(weights, device=self.neutral.device)).cpu().numpy()
        if not isinstance(weights, torch.Tensor) or not weights.is_floating_point():
            raise ValueError(f"weights must be a float tensor or array, got {type(weights).__name__}")
        if weights.ndim == 0 or weights.shape[-1] != len(ARKIT_52):
            raise ValueError(f"weights must be (..., 52), got {tuple(weights.shape)}")
        if not torch.isfinite(weights).all():
            raise ValueError("weights must be finite")
        return self.neutral + blend_shapes(weights.to(self.deltas.dtype), self.deltas)

    def inner_lip_gap(self, vertices: torch.Tensor | np.ndarray) -> torch.Tensor | np.ndarray:
        """Vertical opening of the mouth: the smallest upper-minus-lower inner lip height, in metres.

        For the Multi-PIE inner-lip landmark pairs 61-67, 62-66 and 63-65 it takes ``y_upper - y_lower`` in
        the head's frame and returns the minimum over the three pairs. Negative means the lips overlap
        vertically (pressed or rolled lips). On the default head: neutral 0.76 mm, jawOpen=1 about 28 mm.

        Args:
            vertices: (..., V, 3) vertices in metres, a tensor (differentiable) or a numpy array.

        Returns:
            (...,) gaps in metres, of the input's kind.

        Raises:
            ValueError: when ``vertices`` is not (..., V, 3) for this rig's V.
        """
        if tuple(vertices.shape[-2:]) != (len(self.neutral), 3):
            raise ValueError(f"vertices must be (..., {len(self.neutral)}, 3), got {tuple(vertices.shape)}")
        ids = self.landmark_vertex_ids.cpu().numpy()
        upper = ids[[upper for upper, _ in INNER_LIP_PAIRS]]
        lower = ids[[lower for _, lower in INNER_LIP_PAIRS]]
        gaps = vertices[..., upper, 1] - vertices[..., lower, 1]
        return gaps.min(axis=-1) if isinstance(gaps, np.ndarray) else gaps.min(dim=-1).values


def _vertex_ids(ids, n_vertices: int, name: str) -> torch.Tensor:
    """(N,) int64 tensor of vertex ids from an integer array-like.

    Raises:
        ValueError: when the ids are not 1-D integers in [0, n_vertices).
    """
    array = np.asarray(ids)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-D integer array, got {array.shape} {array.dtype}")
    if array.size and (array.min() < 0 or array.max() >= n_vertices):
        raise ValueError(f"{name} must lie in [0, {n_vertices})")
    return torch.from_numpy(array.astype(np.int64))
