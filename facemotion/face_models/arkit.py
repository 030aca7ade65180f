"""The ARKit-52 blendshape rig: ARKit weights to head vertices, on the shipped ICT-FaceKit head by default."""

from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from facemotion.face_models.base import BlendshapeMesh
from facemotion.face_models.landmarks import INNER_LIP_PAIRS
from facemotion.face_models.lbs import blend_shapes
from facemotion.face_models.names import ARKIT_52
from facemotion.face_models.regions import REGIONS
from facemotion.face_models.rig_file import default_rig_file, read_rig_file


class ARKitRig(torch.nn.Module):
    """A linear blendshape head driven by the 52 ARKit channels, with optional identity shapes.

    ``vertices = neutral + shape @ identity_deltas + weights @ deltas (+ offsets)``: identity shapes change
    the neutral face (ICT-FaceKit's model adds expressions on top unchanged), ARKit weights animate it.
    The mesh is held in non-persistent buffers (moved by ``.to(device)``, absent from ``state_dict``):
    ``neutral`` (V, 3), ``deltas`` (52, V, 3) and ``identity_deltas`` (N, V, 3) float32 in metres,
    ``faces`` (F, 3) int64, ``landmark_vertex_ids`` (68,) int64 (Multi-PIE 68 order) and one id buffer per
    region (:data:`~facemotion.face_models.regions.REGIONS`).

    Args:
        mesh: the head; ``mesh.names`` must be :data:`~facemotion.face_models.names.ARKIT_52`.
        landmark_vertex_ids: (68,) ids of the vertices at the Multi-PIE 68 facial landmarks.
        regions: region name -> (L,) vertex ids; ``lips`` is required, names come from ``REGIONS``.
        identity_deltas: (N, V, 3) float identity shapes in metres, or None for none.

    Raises:
        ValueError: when the names are not ARKit-52 in Apple's order, ids are not 1-D integers inside
            [0, V) (68 of them for the landmarks), a region is unknown or ``lips`` is missing, or the
            identity shapes are not (N, V, 3).
    """

    neutral: torch.Tensor
    deltas: torch.Tensor
    identity_deltas: torch.Tensor
    faces: torch.Tensor
    landmark_vertex_ids: torch.Tensor

    def __init__(
        self,
        mesh: BlendshapeMesh,
        landmark_vertex_ids,
        regions: Mapping[str, np.ndarray],
        identity_deltas: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        if tuple(mesh.names) != ARKIT_52:
            raise ValueError("mesh.names must be ARKIT_52, in Apple's order")
        landmarks = _vertex_ids(landmark_vertex_ids, mesh.n_vertices, "landmark_vertex_ids")
        if len(landmarks) != 68:
            raise ValueError(f"landmark_vertex_ids must hold 68 ids, got {len(landmarks)}")
        if "lips" not in regions or not set(regions) <= set(REGIONS):
            raise ValueError(f"regions must name 'lips' and only regions of {sorted(REGIONS)}, got {sorted(regions)}")
        if identity_deltas is None:
            identity_deltas = np.zeros((0, mesh.n_vertices, 3), np.float32)
        if identity_deltas.ndim != 3 or identity_deltas.shape[1:] != mesh.neutral.shape:
            raise ValueError(f"identity_deltas must be (N, {mesh.n_vertices}, 3), got {identity_deltas.shape}")
        self.register_buffer("neutral", torch.from_numpy(mesh.neutral.copy()), persistent=False)
        self.register_buffer("deltas", torch.from_numpy(mesh.deltas.copy()), persistent=False)
        self.register_buffer("identity_deltas", torch.tensor(identity_deltas, dtype=torch.float32), persistent=False)
        self.register_buffer("faces", torch.from_numpy(mesh.faces.copy()), persistent=False)
        self.register_buffer("landmark_vertex_ids", landmarks, persistent=False)
        self.region_names = tuple(regions)
        for name, ids in regions.items():
            self.register_buffer(f"region_{name}", _vertex_ids(ids, mesh.n_vertices, f"{name} region"), persistent=False)

    def region(self, name: str) -> torch.Tensor:
        """(L,) int64 vertex ids of a region of :data:`~facemotion.face_models.regions.REGIONS`.

        Raises:
            KeyError: when this head has no such region (the message lists the ones it has).
        """
        if name not in self.region_names:
            raise KeyError(f"no region {name!r}; this head has {list(self.region_names)}")
        return getattr(self, f"region_{name}")

    @property
    def lip_vertex_ids(self) -> torch.Tensor:
        """(L,) int64 ids of the rig's ``"lips"`` region: the lip surface (see
        :data:`~facemotion.face_models.regions.REGIONS`), not the LVE lip region of ARKit curves."""
        return self.region("lips")

    @property
    def n_identities(self) -> int:
        """Number N of identity shapes (0 when the head has none)."""
        return len(self.identity_deltas)

    @classmethod
    def from_npz(cls, file: str | Path | BinaryIO) -> "ARKitRig":
        """Load a rig from an ``.npz`` written by ``datasets/convert_ict_facekit.py``
        (:func:`~facemotion.face_models.rig_file.read_rig_file`, whose entries it lists).

        Raises:
            FileNotFoundError: when the path does not exist.
            ValueError: when an entry is missing or malformed.
        """
        return cls(*read_rig_file(file))

    @classmethod
    def default(cls) -> "ARKitRig":
        """The shipped head: ICT-FaceKit's generic head (MIT), 24,591 vertices, 48,836 triangles
        (:func:`~facemotion.face_models.rig_file.default_rig_file`)."""
        return cls(*default_rig_file())

    @property
    def mesh(self) -> BlendshapeMesh:
        """The rig's data as numpy (float32 metres, int64 faces, on the CPU), names ARKit-52."""
        return BlendshapeMesh(
            neutral=self.neutral.detach().cpu().numpy().astype(np.float32),
            faces=self.faces.cpu().numpy().astype(np.int64),
            deltas=self.deltas.detach().cpu().numpy().astype(np.float32),
            names=ARKIT_52,
        )

    def forward(
        self,
        weights: torch.Tensor | np.ndarray,
        shape: torch.Tensor | np.ndarray | None = None,
        offsets: torch.Tensor | np.ndarray | None = None,
    ) -> torch.Tensor | np.ndarray:
        """Vertices of the head posed by ARKit weights, for an identity, plus optional per-frame offsets.

        Args:
            weights: (..., 52) float ARKit weights in Apple's order, usually in [0, 1] (not clipped).
            shape: (..., N) identity coefficients whose leading dims broadcast against those of ``weights``
                by numpy's rules: (N,) for one identity over a sequence, (B, 1, N) for weights (B, T, 52);
                None is the generic head.
            offsets: (..., V, 3) vertex offsets in metres added last (e.g. a learned correction); None adds
                nothing.
            Tensors must be on the rig's device and are cast to its dtype (gradients flow); numpy arrays
            are computed without gradients and answered with a numpy array.

        Returns:
            (..., V, 3) vertices in metres (+Y up, +Z towards the viewer), in the rig's dtype (float32 unless
            the rig was cast): a tensor for a tensor input, a numpy array for a numpy input. Memory: 12 * V
            bytes per pose in float32 (about 0.3 MB for the default head).

        Raises:
            ValueError: when the last dim of ``weights`` is not 52 or of ``shape`` not N, ``offsets`` is not
                (..., V, 3), the dtype is not floating (named), or a value is NaN/Inf.
            TypeError: when an argument is not a tensor or numpy array (named).
        """
        for name, values in (("weights", weights), ("shape", shape), ("offsets", offsets)):
            _check_kind(values, name, optional=name != "weights")
        if isinstance(weights, np.ndarray):
            with torch.no_grad():
                tensors = [None if x is None else torch.tensor(x, device=self.neutral.device)
                           for x in (weights, shape, offsets)]
                return self.forward(*tensors).cpu().numpy()
        _check_floats(weights, "weights", len(ARKIT_52))
        vertices = self.neutral + blend_shapes(weights.to(self.deltas.dtype), self.deltas)
        if shape is not None:
            _check_floats(shape, "shape", self.n_identities)
            vertices = vertices + blend_shapes(shape.to(self.deltas.dtype), self.identity_deltas)
        if offsets is not None:
            if tuple(offsets.shape[-2:]) != tuple(self.neutral.shape) or not torch.isfinite(offsets).all():
                raise ValueError(f"offsets must be finite (..., {len(self.neutral)}, 3), got {tuple(offsets.shape)}")
            vertices = vertices + offsets
        return vertices

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


def _check_kind(values, name: str, optional: bool) -> None:
    """Raise TypeError unless ``values`` is a tensor or numpy array (or None when ``optional``), ValueError
    unless it holds floating-point numbers; the message names what was given (type or dtype)."""
    if values is None and optional:
        return
    if not isinstance(values, (torch.Tensor, np.ndarray)):
        raise TypeError(f"{name} must be a float tensor or numpy array, got {type(values).__name__}")
    is_tensor = isinstance(values, torch.Tensor)
    floating = values.is_floating_point() if is_tensor else np.issubdtype(values.dtype, np.floating)
    if not floating:
        raise ValueError(f"{name} must be a float tensor or array, got {str(values.dtype).removeprefix('torch.')} "
                         f"values")


def _check_floats(values, name: str, size: int) -> None:
    """Raise ValueError unless ``values`` (a float tensor, :func:`_check_kind`) is finite with last dim ``size``."""
    if values.ndim == 0 or values.shape[-1] != size:
        raise ValueError(f"{name} must be (..., {size}), got {tuple(values.shape)}")
    if not torch.isfinite(values).all():
        raise ValueError(f"{name} must be finite")


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
