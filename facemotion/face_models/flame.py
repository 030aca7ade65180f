"""The FLAME head model: identity, expression and jaw/neck/eye pose to vertices and landmarks, in metres.

FLAME (Li, Bolkart, Black, Li, Romero, "Learning a model of facial shape and expression from 4D scans",
SIGGRAPH Asia 2017) is a linear blend skinning model in the SMPL family (Loper et al., "SMPL", SIGGRAPH Asia
2015): ``T(beta, psi, theta) = T_bar + S beta + E psi + P(R(theta) - I)`` posed by 5 joints regressed from the
shaped mesh. The maths lives in the pure functions below (after the structure of the ``smplx`` package's
``lbs.py``, written anew: ``smplx`` is under a non-commercial licence, so facemotion does not depend on it; the
tests compare these functions against ``smplx.lbs.lbs`` where ``smplx`` is installed). The model files are the
user's own (licensed, never shipped): see :mod:`facemotion.face_models.flame_io`.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from facemotion.face_models.flame_io import FLAMEModelData, read_flame
from facemotion.face_models.lbs import (
    batch_rodrigues,
    linear_blend_skinning,
    pose_feature,
    rigid_transforms,
    vertices_to_landmarks,
)


@dataclass(frozen=True, eq=False)
class FLAMEOutput:
    """What :class:`FLAME` returns.

    Attributes:
        vertices: (..., V, 3) posed vertices in metres (V = 5023 for a real FLAME).
        joints: (..., 5, 3) posed joints in metres: global, neck, jaw, left eye, right eye.
        landmarks: (..., L, 3) landmarks in metres, L = 68 or 51 (see ``FLAME.landmark_indices``), or None when
            the model has no landmark embedding.
    """

    vertices: torch.Tensor
    joints: torch.Tensor
    landmarks: torch.Tensor | None


class FLAME(torch.nn.Module):
    """The FLAME head: shape, expression and pose parameters to vertices, joints and landmarks in metres.

    Buffers (non-persistent: moved by ``.to()``, never in a ``state_dict``, since FLAME's data is the user's
    licensed file): ``v_template`` (V, 3), ``shapedirs`` (V, 3, 300), ``exprdirs`` (V, 3, E), ``posedirs``
    (V, 3, 36), ``j_regressor`` (5, V), ``lbs_weights`` (V, 5), ``faces`` (F, 3) int64, and when the model has a
    landmark embedding ``landmark_faces`` (L,), ``landmark_barycentric`` (L, 3), ``landmark_indices`` (L,)
    (positions in the Multi-PIE 68 scheme). Coordinates as FLAME's: metres, +Y up, +Z out of the face.

    Args:
        data: the model's arrays, from :func:`~facemotion.face_models.flame_io.read_flame` or built in memory.
    """

    v_template: torch.Tensor
    shapedirs: torch.Tensor
    exprdirs: torch.Tensor
    posedirs: torch.Tensor
    j_regressor: torch.Tensor
    lbs_weights: torch.Tensor
    faces: torch.Tensor

    def __init__(self, data: FLAMEModelData) -> None:
        super().__init__()
        self.version = data.version
        self.source = data.source
        self.parents = tuple(int(p) for p in data.parents)
        for name in ("v_template", "shapedirs", "exprdirs", "posedirs", "j_regressor", "lbs_weights", "faces"):
            self.register_buffer(name, torch.from_numpy(np.array(getattr(data, name))), persistent=False)
        has_landmarks = data.landmark_faces is not None
        for name in ("landmark_faces", "landmark_barycentric", "landmark_indices"):
            value = torch.from_numpy(np.array(getattr(data, name))) if has_landmarks else None
            self.register_buffer(name, value, persistent=False)

    @classmethod
    def from_files(cls, path: str | Path, landmark_embedding: str | Path | None = None) -> "FLAME":
        """Load the user's FLAME 2020 / 2023 / 2023 Open files.

        Args:
            path: the folder holding ``generic_model.pkl``, ``flame2023.pkl``, ``flame2023_Open.pkl`` or
                ``FLAME_NEUTRAL.pkl`` (and optionally ``landmark_embedding.npy`` or
                ``flame_static_embedding.pkl``), or the model ``.pkl`` itself. Names and the order of preference
                are listed in :mod:`facemotion.face_models.flame_io`.
            landmark_embedding: a landmark file to use instead of the one found beside the model.

        Raises:
            FileNotFoundError: when the folder, the model file or a named landmark file is missing (the message
                says where FLAME is downloaded: https://flame.is.tue.mpg.de, after registration).
            ValueError: when a file is not a FLAME model (another body model, missing keys, wrong shapes) or not
                a landmark embedding, or holds pickled code.
        """
        return cls(read_flame(path, landmark_embedding))

    @property
    def n_vertices(self) -> int:
        """Number of vertices V."""
        return self.v_template.shape[0]

    @property
    def n_shape(self) -> int:
        """Number of identity components available (300)."""
        return self.shapedirs.shape[-1]

    @property
    def n_expression(self) -> int:
        """Number of expression components available E (100 in every release)."""
        return self.exprdirs.shape[-1]

    @property
    def n_landmarks(self) -> int:
        """Number of landmarks L (68 or 51), 0 without a landmark embedding."""
        return 0 if self.landmark_faces is None else len(self.landmark_faces)

    def extra_repr(self) -> str:
        return (
            f"{self.version}, vertices={self.n_vertices}, shape={self.n_shape}, expression={self.n_expression}, "
            f"landmarks={self.n_landmarks}"
        )

    def forward(
        self,
        shape: torch.Tensor | None,
        expression: torch.Tensor,
        jaw_pose: torch.Tensor,
        neck_pose: torch.Tensor | None = None,
        eye_pose: torch.Tensor | None = None,
        global_orient: torch.Tensor | None = None,
        transl: torch.Tensor | None = None,
    ) -> FLAMEOutput:
        """Pose the head.

        Leading dims of all arguments broadcast together (e.g. one identity ``(300,)`` with ``(T, 100)``
        expressions and ``(T, 3)`` jaw poses gives T heads). Rotations are axis-angle in radians, in the joint's
        parent frame; a positive jaw rotation about +X opens the mouth.

        Args:
            shape: (..., n_shape) identity coefficients, n_shape <= 300: the first n_shape components are used.
                None (or n_shape = 0) is FLAME's mean identity.
            expression: (..., n_exp) expression coefficients, n_exp <= ``self.n_expression``: the first n_exp
                components are used.
            jaw_pose: (..., 3) jaw rotation.
            neck_pose: (..., 3) neck rotation; zero when None.
            eye_pose: (..., 6) left then right eyeball rotations; zero when None.
            global_orient: (..., 3) root rotation about the root joint; zero when None.
            transl: (..., 3) translation in metres added to everything; zero when None.

        Returns:
            :class:`FLAMEOutput` with vertices (..., V, 3), joints (..., 5, 3) and landmarks (..., L, 3) or None,
            in the model's dtype (float32 unless cast). Memory: about 100 bytes per vertex per pose in float32.

        Raises:
            ValueError: for an argument that is not a floating tensor, has the wrong last dim (or more
                components than the model has), holds NaN/Inf, or whose leading dims do not broadcast.
        """
        dtype = self.v_template.dtype
        shape = self._check("shape", shape, None, self.n_shape)
        expression = self._check("expression", expression, None, self.n_expression)
        poses = [
            self._check(name, value, size, None)
            for name, value, size in (
                ("global_orient", global_orient, 3), ("neck_pose", neck_pose, 3), ("jaw_pose", jaw_pose, 3),
                ("eye_pose", eye_pose, 6), ("transl", transl, 3),
            )
        ]
        present = [t for t in (shape, expression, *poses) if t is not None]
        try:
            batch = torch.broadcast_shapes(*(t.shape[:-1] for t in present))
        except RuntimeError:
            shapes = [tuple(t.shape) for t in present]
            raise ValueError(f"the leading dims of the FLAME parameters do not broadcast: {shapes}") from None
        zeros = expression.new_zeros((*batch, 3)).to(dtype)

        offsets = torch.einsum("...e,vce->...vc", expression.to(dtype), self.exprdirs[..., : expression.shape[-1]])
        if shape is not None and shape.shape[-1]:
            identity = self.shapedirs[..., : shape.shape[-1]]
            offsets = offsets + torch.einsum("...s,vcs->...vc", shape.to(dtype), identity)
        v_shaped = self.v_template + offsets
        rest_joints = torch.einsum("jv,...vc->...jc", self.j_regressor, v_shaped)

        global_orient, neck_pose, jaw_pose, eye_pose, transl = (
            zeros if value is None else value.to(dtype).expand(*batch, value.shape[-1]) for value in poses
        )
        if poses[3] is None:
            eye_pose = torch.cat([zeros, zeros], dim=-1)
        axis_angles = torch.cat([global_orient, neck_pose, jaw_pose, eye_pose], dim=-1).unflatten(-1, (5, 3))
        rotations = batch_rodrigues(axis_angles)
        v_posed = v_shaped + torch.einsum("...p,vcp->...vc", pose_feature(rotations), self.posedirs)
        joints, transforms = rigid_transforms(rotations, rest_joints.expand(*batch, 5, 3), self.parents)
        vertices = linear_blend_skinning(v_posed.expand(*batch, self.n_vertices, 3), transforms, self.lbs_weights)
        vertices = vertices + transl[..., None, :]
        joints = joints + transl[..., None, :]
        landmarks = None
        if self.landmark_faces is not None:
            landmarks = vertices_to_landmarks(vertices, self.faces, self.landmark_faces, self.landmark_barycentric)
        return FLAMEOutput(vertices=vertices, joints=joints, landmarks=landmarks)

    @staticmethod
    def _check(name: str, value: torch.Tensor | None, size: int | None, most: int | None) -> torch.Tensor | None:
        """Validate one parameter tensor: floating, finite, last dim ``size`` (or at most ``most``)."""
        if value is None:
            if name in ("expression", "jaw_pose"):
                raise ValueError(f"{name} is required (a tensor of zeros for none)")
            return None
        if not isinstance(value, torch.Tensor) or not value.is_floating_point():
            raise ValueError(f"{name} must be a floating torch tensor, got {type(value).__name__}")
        if value.ndim == 0:
            raise ValueError(f"{name} must have a last dim, got a scalar")
        if size is not None and value.shape[-1] != size:
            raise ValueError(f"{name} must be (..., {size}), got {tuple(value.shape)}")
        if most is not None and value.shape[-1] > most:
            raise ValueError(f"{name} has {value.shape[-1]} components, this FLAME has {most}")
        if not torch.isfinite(value).all():
            raise ValueError(f"{name} must be finite")
        return value

