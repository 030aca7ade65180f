"""ARKit-52 weights to FLAME expression and jaw pose: one FLAME pose fitted per ARKit blendshape, applied linearly.

For each of the 52 blendshapes of an ARKit rig (the shipped ICT-FaceKit head by default), the FLAME expression
``psi_k`` and jaw rotation ``theta_k`` that best reproduce its landmark motion are found by minimising

    sum_l w_l || 1000 (F_l(psi, theta) - F_l(0, 0)) - 1000 s (A_l(e_k) - A_l(0)) ||^2 / sum_l w_l
        + lambda_e ||psi||^2 + lambda_j ||theta||^2

over the facial landmarks ``l`` (Multi-PIE 68, or the inner 51 when the FLAME embedding has only those; the
rig's landmark vertices give the matching points), in millimetres. Displacements from each model's neutral are
compared, so the identities' differences cancel; ``s`` is the ratio of the inter-ocular distances (outer eye
corners, landmarks 36 and 45) of the FLAME and ARKit neutrals; the lip landmarks 48-67 weigh ``lip_weight``
times the others (the mouth region matters most for speech). FLAME landmarks are affine in ``psi`` for a fixed
jaw rotation, so ``psi`` is solved in closed form (ridge regression) inside an L-BFGS search over the 3 jaw
angles (variable projection), started from the best of a coarse grid of jaw openings.

Applying the result to weights ``w`` (T, 52) is linear: ``expression = w @ psi``, ``jaw_pose = w @ theta``.
Summing axis-angle jaw rotations is exact for rotations about one axis and an approximation for small angles
otherwise (the jaw's are: a few tenths of a radian, mostly about +X); a weight of 0.5 gives half the fitted
angle, where the ARKit shape moves its vertices half way along straight lines.

The fitted coefficients are derived from the user's FLAME model: keep them beside the FLAME files, never commit
them.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from facemotion.face_models.arkit import ARKitRig
from facemotion.face_models.flame import FLAME
from facemotion.face_models.landmarks import EYE_CORNERS, LIP_LANDMARKS
from facemotion.face_models.lbs import (
    batch_rodrigues,
    linear_blend_skinning,
    pose_feature,
    rigid_transforms,
    vertices_to_landmarks,
)
from facemotion.face_models.names import ARKIT_52

JAW_GRID = (-0.1, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
"""Jaw openings (radians about +X) tried as starting points before the L-BFGS refinement."""


@dataclass(frozen=True, eq=False)
class ARKitToFLAME:
    """A linear map from ARKit-52 weights to FLAME expression and jaw pose, one row per ARKit blendshape.

    Attributes:
        expression: (52, E) float32 FLAME expression coefficients of each ARKit blendshape at weight 1.
        jaw_pose: (52, 3) float32 FLAME jaw rotation (axis-angle, radians) of each blendshape at weight 1.
        residual_mm: (52,) float32 root-mean-square landmark error of each fit, millimetres on the FLAME head
            (unweighted mean over the landmarks used).
        target_mm: (52,) float32 root-mean-square landmark motion each fit had to reproduce, millimetres on the
            FLAME head (after scale normalisation): ``residual_mm / target_mm`` is the relative error.
        flame_version: the FLAME release the map was fitted to ("FLAME 2020" / "FLAME 2023").
        n_landmarks: how many landmarks the fit used (68 or 51).
        settings: the fit's settings (lip_weight, regularisations, scale).

    Raises:
        ValueError: for arrays of the wrong shapes or holding NaN/Inf.
    """

    expression: np.ndarray
    jaw_pose: np.ndarray
    residual_mm: np.ndarray
    target_mm: np.ndarray
    flame_version: str = ""
    n_landmarks: int = 68
    settings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(ARKIT_52)
        if self.expression.ndim != 2 or self.expression.shape[0] != n:
            raise ValueError(f"expression must be ({n}, E), got {self.expression.shape}")
        for name, shape in (("jaw_pose", (n, 3)), ("residual_mm", (n,)), ("target_mm", (n,))):
            if getattr(self, name).shape != shape:
                raise ValueError(f"{name} must be {shape}, got {getattr(self, name).shape}")
        for name in ("expression", "jaw_pose", "residual_mm", "target_mm"):
            array = getattr(self, name)
            if array.dtype != np.float32 or not np.isfinite(array).all():
                raise ValueError(f"{name} must be finite float32")

    @property
    def n_expression(self) -> int:
        """Number of FLAME expression components E."""
        return self.expression.shape[1]

    def apply(self, weights: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray] | tuple[torch.Tensor, ...]:
        """FLAME parameters of ARKit weights, ``expression = weights @ self.expression``, same for the jaw.

        Linear in the weights (see the module doc for what that means for the jaw rotation).

        Args:
            weights: (..., 52) ARKit weights in Apple's order (usually (T, 52) in [0, 1]; not clipped), a float
                numpy array or a float tensor (differentiable; answered on its device and in its dtype).

        Returns:
            ``expression`` (..., E) and ``jaw_pose`` (..., 3) radians, numpy float32 for a numpy input, tensors for
            a tensor input.

        Raises:
            ValueError: when the last dim is not 52, the dtype is not floating, or a weight is NaN/Inf.
        """
        is_tensor = isinstance(weights, torch.Tensor)
        if not (is_tensor and weights.is_floating_point()) and not (
            isinstance(weights, np.ndarray) and np.issubdtype(weights.dtype, np.floating)
        ):
            raise ValueError(f"weights must be a float array or tensor, got {type(weights).__name__}")
        if weights.ndim == 0 or weights.shape[-1] != len(ARKIT_52):
            raise ValueError(f"weights must be (..., 52), got {tuple(weights.shape)}")
        if not (torch.isfinite(weights).all() if is_tensor else np.isfinite(weights).all()):
            raise ValueError("weights must be finite")
        if is_tensor:
            expression = torch.as_tensor(self.expression, dtype=weights.dtype, device=weights.device)
            jaw_pose = torch.as_tensor(self.jaw_pose, dtype=weights.dtype, device=weights.device)
            return weights @ expression, weights @ jaw_pose
        weights = weights.astype(np.float32, copy=False)
        return weights @ self.expression, weights @ self.jaw_pose

    def save(self, file: str | Path | BinaryIO) -> None:
        """Write the map to an ``.npz`` (fitted coefficients only; derived from FLAME: keep it local)."""
        np.savez(
            file,
            expression=self.expression,
            jaw_pose=self.jaw_pose,
            residual_mm=self.residual_mm,
            target_mm=self.target_mm,
            names=np.array(ARKIT_52),
            flame_version=np.array(self.flame_version),
            n_landmarks=np.array(self.n_landmarks),
            setting_names=np.array(sorted(self.settings), dtype=str),
            setting_values=np.array([self.settings[k] for k in sorted(self.settings)], dtype=np.float64),
        )

    @classmethod
    def load(cls, file: str | Path | BinaryIO) -> "ARKitToFLAME":
        """Read a map written by :meth:`save`.

        Raises:
            FileNotFoundError: when the path does not exist.
            ValueError: when an entry is missing or malformed, or the channel names are not ARKit-52.
        """
        if isinstance(file, (str, Path)) and not Path(file).is_file():
            raise FileNotFoundError(f"no ARKit-to-FLAME map at {file}")
        with np.load(file, allow_pickle=False) as data:
            missing = {"expression", "jaw_pose", "residual_mm", "target_mm", "names"} - set(data.files)
            if missing:
                raise ValueError(f"ARKit-to-FLAME file lacks {sorted(missing)}")
            if tuple(str(name) for name in data["names"]) != ARKIT_52:
                raise ValueError("ARKit-to-FLAME file rows are not ARKIT_52 in Apple's order")
            settings = {}
            if "setting_names" in data.files:
                settings = {str(k): float(v) for k, v in zip(data["setting_names"], data["setting_values"])}
            return cls(
                expression=data["expression"].astype(np.float32),
                jaw_pose=data["jaw_pose"].astype(np.float32),
                residual_mm=data["residual_mm"].astype(np.float32),
                target_mm=data["target_mm"].astype(np.float32),
                flame_version=str(data["flame_version"]) if "flame_version" in data.files else "",
                n_landmarks=int(data["n_landmarks"]) if "n_landmarks" in data.files else 68,
                settings=settings,
            )


class _LandmarkModel:
    """FLAME restricted to the vertices of its landmark triangles, with jaw pose only, in float64.

    For a fixed jaw rotation the landmarks are affine in the expression: ``affine(theta)`` returns the constant
    part and the (K, E, L, 3) matrix, both in metres. Joints still come from the whole mesh (their regression on
    the expression basis is precomputed).
    """

    def __init__(self, flame: FLAME, shape: torch.Tensor | None, n_expression: int) -> None:
        options = {"dtype": torch.float64, "device": "cpu"}
        face_vertices = flame.faces[flame.landmark_faces].cpu()  # (L, 3)
        ids, local = torch.unique(face_vertices, return_inverse=True)
        self.local_faces = local.reshape(-1, 3)  # landmark l lies in local triangle l
        self.landmark_faces = torch.arange(len(self.local_faces))
        self.barycentric = flame.landmark_barycentric.to(**options)
        template = flame.v_template.to(**options)
        if shape is not None and shape.shape[-1]:
            identity = flame.shapedirs[..., : shape.shape[-1]].to(**options)
            template = template + torch.einsum("s,vcs->vc", shape.to(**options), identity)
        exprdirs = flame.exprdirs[..., :n_expression].to(**options)
        regressor = flame.j_regressor.to(**options)
        self.template = template[ids]  # (U, 3)
        self.rest_joints = regressor @ template  # (5, 3)
        self.exprdirs = exprdirs[ids].permute(2, 0, 1)  # (E, U, 3)
        self.joint_exprdirs = torch.einsum("jv,vce->ejc", regressor, exprdirs)  # (E, 5, 3)
        self.posedirs = flame.posedirs[ids].to(**options)
        self.weights = flame.lbs_weights[ids].to(**options)
        self.parents = flame.parents

    def _landmarks(self, vertices: torch.Tensor) -> torch.Tensor:
        return vertices_to_landmarks(vertices, self.local_faces, self.landmark_faces, self.barycentric)

    def _pose(self, jaw_pose: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Joint rotations (K, 5, 3, 3) and pose-corrective offsets (K, U, 3) for jaw poses (K, 3)."""
        zeros = torch.zeros_like(jaw_pose)
        rotations = batch_rodrigues(torch.stack([zeros, zeros, jaw_pose, zeros, zeros], dim=-2))
        return rotations, torch.einsum("kp,vcp->kvc", pose_feature(rotations), self.posedirs)

    def landmarks(self, expression: torch.Tensor, jaw_pose: torch.Tensor) -> torch.Tensor:
        """Landmarks (K, L, 3) in metres for expressions (K, E) and jaw poses (K, 3); differentiable."""
        rotations, pose_offsets = self._pose(jaw_pose)
        vertices = self.template + torch.einsum("ke,evc->kvc", expression, self.exprdirs) + pose_offsets
        joints = self.rest_joints + torch.einsum("ke,ejc->kjc", expression, self.joint_exprdirs)
        _, transforms = rigid_transforms(rotations, joints, self.parents)
        return self._landmarks(linear_blend_skinning(vertices, transforms, self.weights))

    def affine(self, jaw_pose: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Landmarks ``base + einsum('ke,kelc->klc', psi, matrix)`` for jaw poses (K, 3): (K, L, 3), (K, E, L, 3)."""
        rotations, pose_offsets = self._pose(jaw_pose)
        _, transforms = rigid_transforms(rotations, self.rest_joints, self.parents)
        blended = torch.einsum("vj,kjab->kvab", self.weights, transforms)  # (K, U, 3, 4)
        posed = self.template + pose_offsets
        base = (blended[..., :3] @ posed[..., None])[..., 0] + blended[..., 3]
        # the skinning translation is linear in the rest joints (no constant term): push the joint motion of
        # each expression component through the same rotations
        _, joint_transforms = rigid_transforms(rotations[:, None], self.joint_exprdirs, self.parents)  # K, E, 5, 3, 4
        translation = torch.einsum("vj,kejc->kevc", self.weights, joint_transforms[..., 3])
        matrix = torch.einsum("kvab,evb->keva", blended[..., :3], self.exprdirs) + translation
        return self._landmarks(base), self._landmarks(matrix)


def fit_arkit_to_flame(
    flame: FLAME,
    rig: ARKitRig | None = None,
    *,
    shape: torch.Tensor | None = None,
    n_expression: int | None = None,
    lip_weight: float = 4.0,
    expression_regularization: float = 2e-3,
    jaw_regularization: float = 1e-3,
    max_iterations: int = 30,
) -> ARKitToFLAME:
    """Fit the FLAME expression and jaw pose of each ARKit blendshape on the facial landmarks (module doc).

    Args:
        flame: a FLAME with a landmark embedding (68 or 51 points).
        rig: the ARKit rig whose blendshapes are matched; :meth:`ARKitRig.default` (ICT-FaceKit) when None.
        shape: (n_shape,) FLAME identity to fit on; FLAME's mean head when None.
        n_expression: how many leading FLAME expression components to use (all of the model's when None).
        lip_weight: weight of the lip landmarks 48-67 relative to the others (>= 0).
        expression_regularization: ``lambda_e`` in mm^2 per unit^2 of expression coefficient (> 0). The
            default shrinks the coefficient of a component moving the landmarks by 1.3 mm RMS per unit by 0.4%.
        jaw_regularization: ``lambda_j`` in mm^2 per rad^2 (>= 0).
        max_iterations: L-BFGS iterations over the jaw angles.

    Returns:
        The :class:`ARKitToFLAME` map, with each fit's residual. Time: well under a second on a CPU for a
        5023-vertex FLAME (only the landmark triangles are posed).

    Raises:
        ValueError: when the FLAME has no landmark embedding, or an argument is out of range.
    """
    if flame.n_landmarks == 0:
        raise ValueError(
            "this FLAME has no landmark embedding: put landmark_embedding.npy or flame_static_embedding.pkl beside "
            "the model, or pass landmark_embedding= to FLAME.from_files (FLAME 2023 Open ships none)"
        )
    n_expression = flame.n_expression if n_expression is None else int(n_expression)
    if not 1 <= n_expression <= flame.n_expression:
        raise ValueError(f"n_expression must be in [1, {flame.n_expression}], got {n_expression}")
    if min(lip_weight, jaw_regularization) < 0 or max_iterations < 0:
        raise ValueError("lip_weight, jaw_regularization and max_iterations must be >= 0")
    if not expression_regularization > 0:
        raise ValueError("expression_regularization must be > 0: components that move no landmark are undetermined")
    if shape is not None and (shape.ndim != 1 or shape.shape[0] > flame.n_shape):
        raise ValueError(f"shape must be (n_shape,) with n_shape <= {flame.n_shape}, got {tuple(shape.shape)}")
    rig = ARKitRig.default() if rig is None else rig
    model = _LandmarkModel(flame, shape, n_expression)
    indices = flame.landmark_indices.cpu()
    rig_ids = rig.landmark_vertex_ids.cpu()[indices]
    arkit_neutral = rig.neutral.detach().cpu().double()[rig_ids]  # (L, 3)
    arkit_deltas = rig.deltas.detach().cpu().double()[:, rig_ids]  # (52, L, 3)

    with torch.no_grad():
        flame_neutral, _ = model.affine(torch.zeros(1, 3, dtype=torch.float64))
    flame_neutral = flame_neutral[0]
    left, right = (int((indices == i).nonzero()[0, 0]) for i in EYE_CORNERS)
    flame_eyes = (flame_neutral[right] - flame_neutral[left]).norm()
    scale = float(flame_eyes / (arkit_neutral[right] - arkit_neutral[left]).norm())
    target = 1000.0 * scale * arkit_deltas  # mm on the FLAME head
    weights = torch.where(torch.isin(indices, torch.tensor(LIP_LANDMARKS)), lip_weight, 1.0).double()
    weights = weights / weights.sum()
    ridge = expression_regularization * torch.eye(n_expression, dtype=torch.float64)

    def best_expression(jaw_pose: torch.Tensor) -> torch.Tensor:
        """The expression (K, E) minimising the objective for fixed jaw poses (K, 3): a ridge regression."""
        with torch.no_grad():
            base, matrix = model.affine(jaw_pose)
            base, matrix = 1000.0 * (base - flame_neutral), 1000.0 * matrix
            weighted = matrix * weights[:, None]
            normal = torch.einsum("kelc,kflc->kef", weighted, matrix) + ridge
            return torch.linalg.solve(normal, torch.einsum("kelc,klc->ke", weighted, target - base))

    def objective(expression: torch.Tensor, jaw_pose: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The objective (K,) and the landmark errors (K, L, 3) in mm."""
        error = 1000.0 * (model.landmarks(expression, jaw_pose) - flame_neutral) - target
        loss = (weights[:, None] * error.square()).sum((-2, -1))
        penalty = expression_regularization * expression.square().sum(-1)
        return loss + penalty + jaw_regularization * jaw_pose.square().sum(-1), error

    n = len(ARKIT_52)
    starts = torch.zeros(len(JAW_GRID), n, 3, dtype=torch.float64)
    starts[..., 0] = torch.tensor(JAW_GRID, dtype=torch.float64)[:, None]
    with torch.no_grad():  # coarse start: the best jaw opening of a grid, per blendshape
        losses = torch.stack([objective(best_expression(start), start)[0] for start in starts])
    jaw_pose = starts[losses.argmin(0), torch.arange(n)].clone().requires_grad_(True)
    if max_iterations:
        optimizer = torch.optim.LBFGS(
            [jaw_pose], lr=1.0, max_iter=max_iterations, tolerance_grad=1e-9, tolerance_change=1e-10,
            line_search_fn="strong_wolfe",
        )

        def closure() -> torch.Tensor:
            # the gradient of min_psi f(psi, theta) is that of f at the minimiser psi* (envelope theorem)
            optimizer.zero_grad()
            loss = objective(best_expression(jaw_pose.detach()), jaw_pose)[0].sum()
            loss.backward()
            return loss

        optimizer.step(closure)
    jaw_pose = jaw_pose.detach()
    expression = best_expression(jaw_pose)
    with torch.no_grad():
        _, error = objective(expression, jaw_pose)
    return ARKitToFLAME(
        expression=expression.float().numpy(),
        jaw_pose=jaw_pose.float().numpy(),
        residual_mm=error.square().sum(-1).mean(-1).sqrt().float().numpy(),
        target_mm=target.square().sum(-1).mean(-1).sqrt().float().numpy(),
        flame_version=flame.version,
        n_landmarks=len(indices),
        settings={
            "lip_weight": float(lip_weight), "expression_regularization": float(expression_regularization),
            "jaw_regularization": float(jaw_regularization), "scale": scale,
        },
    )
