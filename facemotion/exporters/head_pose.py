"""Head and eye rotations: the one place for their matrices, quaternions, pivots and joint hierarchy.

Every exporter and the preview renderer turn :attr:`FaceAnimation.head_rotation` and
:attr:`FaceAnimation.eye_rotation` into rotations here, so that all formats agree on one convention:

- angles in degrees; the head's are (pitch, yaw, roll), an eye's (pitch, yaw);
- axes of the head's rest frame (the default head's frame: metres, +X the character's left, +Y up, +Z out of
  the face towards the viewer; checked on ``assets/ict_head.npz``: the nose tip, Multi-PIE landmark 30, is the
  front-most point (z = 0.131 m) and lies above the chin, landmark 8, and the subject's left eye corner, landmark
  45, lies at +X); right-handed, so positive pitch nods the chin down (looks down), positive yaw
  turns the face (gaze) to the character's left, positive roll tilts the head towards the character's right
  shoulder;
- ``R = Ry(yaw) @ Rx(pitch) @ Rz(roll)`` for column vectors (roll applied first), scipy's
  ``Rotation.from_euler("YXZ", [yaw, pitch, roll], degrees=True)`` (intrinsic Y, X', Z''); an eye has no roll;
- the head turns about :func:`neck_pivot`, each eye about its eyeball's centre, and the eyes turn with the head:
  a rest-frame point ``p`` of eye ``e`` goes to ``neck + R_head (c_e + R_eye (p - c_e) - neck)``.

The joint hierarchy that USD, glTF and FBX write (:class:`JointTracks`): ``Neck`` at the neck pivot, carrying the
head rotation, and its children ``LeftEye`` and ``RightEye`` at the eyeball centres; every vertex follows one joint
with weight 1 (the eyeballs their eye, everything else the neck joint). (Not ``Head``: the head's mesh, its USD
SkelRoot and its glTF scene already bear that name, and three.js renames a node that repeats a scene's name.)

Quaternions are scipy's, scalar last: (x, y, z, w), the order glTF stores (glTF 2.0, 3.11 "Animations").
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from facemotion.animation import FaceAnimation
from facemotion.face_models.base import BlendshapeMesh

if TYPE_CHECKING:
    from scipy.spatial.transform import Rotation

HEAD_JOINT = "Neck"
"""Name of the joint (USD, FBX bone) or node (glTF) that carries the head rotation, at the neck pivot."""

EYE_JOINTS: tuple[str, str] = ("LeftEye", "RightEye")
"""Names of the eye joints, in the order of ``eye_rotation``'s second axis: the character's left eye first."""

NECK_HEIGHT = 0.25
"""Height of :func:`neck_pivot` above the lowest vertex, as a fraction of the mesh's height."""

NECK_SLAB = 0.005
"""Half-thickness, metres, of the horizontal slice of vertices whose box centre is the neck pivot."""


def head_rotations(angles: np.ndarray) -> Rotation:
    """The rotations of head angles.

    Args:
        angles: (..., 3) degrees, (pitch, yaw, roll) as :attr:`FaceAnimation.head_rotation`.

    Returns:
        A flat :class:`~scipy.spatial.transform.Rotation` of ``prod(angles.shape[:-1])`` rotations, in C order.
    """
    from scipy.spatial.transform import Rotation  # here: scipy.spatial costs a second to import, takes need it rarely

    angles = np.asarray(angles, np.float64).reshape(-1, 3)
    return Rotation.from_euler("YXZ", angles[:, [1, 0, 2]], degrees=True)


def eye_rotations(angles: np.ndarray) -> Rotation:
    """The rotations of eye angles (..., 2) degrees, (pitch, yaw): :func:`head_rotations` with no roll."""
    angles = np.asarray(angles, np.float64).reshape(-1, 2)
    return head_rotations(np.concatenate([angles, np.zeros((len(angles), 1))], axis=1))


def rotation_angles(rotations: Rotation) -> np.ndarray:
    """The inverse of :func:`head_rotations`: (N, 3) float64 (pitch, yaw, roll) degrees, pitch in [-90, 90]."""
    return np.atleast_2d(rotations.as_euler("YXZ", degrees=True))[:, [1, 0, 2]]


def neck_pivot(neutral: np.ndarray) -> np.ndarray:
    """The point the head turns about: inside the neck, below the chin, on the mesh's mid-plane.

    Taken from the geometry alone, so that any head-and-neck mesh gets one: the height ``y`` lies
    :data:`NECK_HEIGHT` of the mesh's height above its lowest vertex; ``x`` and ``z`` are the centre of the box
    around the vertices within :data:`NECK_SLAB` of that height (the neck's cross-section; all vertices when none
    lie there). On the default head (ICT-FaceKit, 0.338 m from the neck's cut to the crown) this is
    (0, -0.109, -0.010) m: 3.3 cm below the chin (landmark 8 at y = -0.076), mid-way through the neck, about
    where the neck of a person would bend; the head and neck turn together about it, as a rigid mesh must.

    Args:
        neutral: (V, 3) rest vertices, metres.

    Returns:
        (3,) float64 metres.
    """
    neutral = np.asarray(neutral, np.float64)
    low, high = neutral[:, 1].min(), neutral[:, 1].max()
    height = low + NECK_HEIGHT * (high - low)
    neck = neutral[np.abs(neutral[:, 1] - height) <= NECK_SLAB]
    if len(neck) == 0:
        neck = neutral
    centre = (neck.min(0) + neck.max(0)) / 2
    return np.array([centre[0], height, centre[2]])


def sphere_centre(points: np.ndarray) -> np.ndarray:
    """(3,) float64 centre of the sphere fitted to (N >= 4, 3) points by linear least squares.

    ``|p|^2 = 2 p . c + (r^2 - |c|^2)`` is linear in ``c`` and the constant; on the default head's eyeballs
    (sclera and cornea bulge) the fitted radius is 15.0 mm and the centre lies 16 mm behind the cornea's apex.
    """
    points = np.asarray(points, np.float64)
    design = np.concatenate([2 * points, np.ones((len(points), 1))], axis=1)
    solution, *_ = np.linalg.lstsq(design, (points ** 2).sum(1), rcond=None)
    return solution[:3]


@dataclass(frozen=True, eq=False)
class HeadJoints:
    """Where a head turns: the neck pivot and, for a head with eyeballs, each eyeball's vertices and centre.

    Attributes:
        neck: (3,) float64 metres, the pivot of the head rotation (:func:`neck_pivot`).
        eye_vertex_ids: ``(left, right)`` (L,) int64 vertex ids of each eyeball, or None for a head without
            eyeballs (its eye rotations cannot be shown or written on the mesh).
        eye_centres: (2, 3) float64 metres, the left and right eyeball centres (:func:`sphere_centre`), or None.
    """

    neck: np.ndarray
    eye_vertex_ids: tuple[np.ndarray, np.ndarray] | None = None
    eye_centres: np.ndarray | None = None

    @classmethod
    def from_mesh(cls, neutral: np.ndarray, eye_vertex_ids: np.ndarray | None = None) -> HeadJoints:
        """The joints of a head from its rest vertices and, optionally, the ids of both eyeballs' vertices.

        The eyeball vertices are split into the character's left eye (x above the neck pivot's x) and right eye.

        Raises:
            ValueError: when the eyeball vertices do not give at least 4 vertices on each side.
        """
        neutral = np.asarray(neutral, np.float64)
        neck = neck_pivot(neutral)
        if eye_vertex_ids is None:
            return cls(neck)
        ids = np.asarray(eye_vertex_ids, np.int64)
        left, right = ids[neutral[ids, 0] > neck[0]], ids[neutral[ids, 0] <= neck[0]]
        if min(len(left), len(right)) < 4:
            raise ValueError(f"eyeball vertices must hold >= 4 vertices per eye, got {len(left)} and {len(right)}")
        centres = np.stack([sphere_centre(neutral[left]), sphere_centre(neutral[right])])
        return cls(neck, (left, right), centres)

    @classmethod
    def from_rig(cls, rig) -> HeadJoints:
        """The joints of an :class:`~facemotion.face_models.arkit.ARKitRig`: its neutral head and, when it has
        the ``"eyes"`` region (the default head does), its eyeballs."""
        neutral = rig.neutral.detach().cpu().numpy()
        eyes = rig.region("eyes").cpu().numpy() if "eyes" in rig.region_names else None
        return cls.from_mesh(neutral, eyes)

    @classmethod
    def for_mesh(cls, mesh: BlendshapeMesh) -> HeadJoints:
        """The default head's joints (with its eyeballs) when ``mesh`` is the default head, else the geometry's
        joints without eyes (:meth:`from_mesh`)."""
        default = _default_joints()
        if mesh.neutral.shape == default[0].shape and np.array_equal(mesh.neutral, default[0]):
            return default[1]
        return cls.from_mesh(mesh.neutral)

    @property
    def has_eyes(self) -> bool:
        """Whether the head has eyeballs that eye rotations can turn."""
        return self.eye_vertex_ids is not None

    def vertex_joints(self, n_vertices: int) -> np.ndarray:
        """(V,) int32 joint of each vertex, in :class:`JointTracks` order: 0 the neck joint (the head), 1 the left
        eye, 2 the right eye."""
        joints = np.zeros(n_vertices, np.int32)
        if self.has_eyes:
            for e, ids in enumerate(self.eye_vertex_ids):
                joints[ids] = e + 1
        return joints

    def pose(self, vertices, head_rotation: np.ndarray | None = None, eye_rotation: np.ndarray | None = None):
        """Turn rest-frame vertices by head and eye rotations (numpy arrays or torch tensors alike).

        Args:
            vertices: (T, V, 3) float positions in the head's rest frame, metres; a numpy array or a torch tensor.
            head_rotation: (T, 3) degrees (pitch, yaw, roll), or None for none.
            eye_rotation: (T, 2, 2) degrees (pitch, yaw) per eye, or None; ignored for a head without eyeballs.

        Returns:
            (T, V, 3) posed vertices, of the type, dtype (and device) of ``vertices``: the eyeballs turned about
            their centres, then everything about the neck (module docstring).
        """
        posed = vertices
        if eye_rotation is not None and self.has_eyes:
            posed = posed.clone() if hasattr(posed, "clone") else posed.copy()
            matrices = eye_rotations(eye_rotation).as_matrix().reshape(len(eye_rotation), 2, 3, 3)
            for e, ids in enumerate(self.eye_vertex_ids):
                index = _like(ids, posed, integer=True)
                posed[:, index] = _rotate(posed[:, index], matrices[:, e], self.eye_centres[e], posed)
        if head_rotation is not None:
            posed = _rotate(posed, head_rotations(head_rotation).as_matrix(), self.neck, posed)
        return posed


def _rotate(points, matrices: np.ndarray, centre: np.ndarray, like):
    """(T, N, 3) points turned by (T, 3, 3) matrices about ``centre``, in the array type of ``like``."""
    matrices, centre = _like(matrices, like), _like(centre, like)
    return (points - centre) @ matrices.swapaxes(-1, -2) + centre


def _like(array: np.ndarray, like, integer: bool = False):
    """``array`` as the type of ``like``: a numpy array, or a torch tensor on ``like``'s device and dtype."""
    if isinstance(like, np.ndarray):
        return array if integer else array.astype(like.dtype)
    import torch

    return torch.as_tensor(array, device=like.device, dtype=None if integer else like.dtype)


@functools.lru_cache(maxsize=1)
def _default_joints() -> tuple[np.ndarray, HeadJoints]:
    """(neutral (V, 3) float32, joints) of the default head, with its ``eyes`` region (the two eyeballs); read
    without torch (:func:`~facemotion.face_models.rig_file.default_rig_file`)."""
    from facemotion.face_models.rig_file import default_rig_file

    rig = default_rig_file()
    return rig.mesh.neutral, HeadJoints.from_mesh(rig.mesh.neutral, rig.regions["eyes"])


@dataclass(frozen=True, eq=False)
class JointTracks:
    """The joints a mesh exporter writes for an animation's rotations, and their per-frame local rotations.

    Attributes:
        names: J joint names: :data:`HEAD_JOINT`, then :data:`EYE_JOINTS` when the eyes are written.
        parents: J parent indices, -1 for the root (the head); the eyes' parent is the head.
        translations: (J, 3) float64 metres, each joint's rest position relative to its parent (the head's
            relative to the mesh origin: the neck pivot).
        rotations: (T, J, 4) float64 unit quaternions (x, y, z, w), each joint's rotation relative to its
            parent, frame by frame (identity for the head of an animation with only eye rotations); signs chosen
            so that neighbouring frames lie in the same hemisphere, so that a player's slerp between keys takes
            the short way.
        vertex_joints: (V,) int32 index into ``names`` of the one joint each vertex follows (weight 1).
    """

    names: tuple[str, ...]
    parents: tuple[int, ...]
    translations: np.ndarray
    rotations: np.ndarray
    vertex_joints: np.ndarray

    @property
    def positions(self) -> np.ndarray:
        """(J, 3) float64 metres, each joint's rest position in the mesh's frame (its bind position)."""
        positions = self.translations.copy()
        for j, parent in enumerate(self.parents):
            if parent >= 0:
                positions[j] += positions[parent]
        return positions


def writes_eyes(animation: FaceAnimation, joints: HeadJoints) -> bool:
    """Whether the animation's eye rotations can be written on the head: it has some and the head has eyeballs.

    Eye rotations on a head without eyeballs give a :class:`UserWarning` ("not written") and False.
    """
    if animation.eye_rotation is not None and not joints.has_eyes:
        warnings.warn("the head has no eyeball vertices: its eye rotations are not written", stacklevel=3)
    return animation.eye_rotation is not None and joints.has_eyes


def joint_tracks(
    animation: FaceAnimation, mesh: BlendshapeMesh, joints: HeadJoints | None = None
) -> JointTracks | None:
    """The joints and rotations to write for ``animation`` on ``mesh``, or None when it has no rotations.

    Eye joints are written when the animation has eye rotations and the head has eyeballs; eye rotations on a
    head without eyeballs are dropped with a :class:`UserWarning` (the head rotation is still written).

    Args:
        animation: a take with ``head_rotation`` and/or ``eye_rotation`` (degrees).
        mesh: the head written, (V, 3) neutral metres.
        joints: where the head turns; None takes :meth:`HeadJoints.for_mesh`.

    Returns:
        :class:`JointTracks`, or None for a take without rotations (then the file is written as before).
    """
    if animation.head_rotation is None and animation.eye_rotation is None:
        return None
    joints = HeadJoints.for_mesh(mesh) if joints is None else joints
    head = animation.head_rotation
    head = np.zeros((animation.n_frames, 3)) if head is None else head
    rotations = [head_rotations(head).as_quat()]
    names, parents, translations = [HEAD_JOINT], [-1], [joints.neck]
    if writes_eyes(animation, joints):
        eyes = eye_rotations(animation.eye_rotation).as_quat().reshape(animation.n_frames, 2, 4)
        rotations += [eyes[:, 0], eyes[:, 1]]
        names += list(EYE_JOINTS)
        parents += [0, 0]
        translations += list(joints.eye_centres - joints.neck)
    vertex_joints = joints.vertex_joints(mesh.n_vertices) if len(names) > 1 else np.zeros(mesh.n_vertices, np.int32)
    return JointTracks(
        names=tuple(names), parents=tuple(parents), translations=np.stack(translations),
        rotations=np.stack([_continuous(track) for track in rotations], axis=1), vertex_joints=vertex_joints,
    )


def _continuous(quaternions: np.ndarray) -> np.ndarray:
    """(T, 4) quaternions, each negated where needed so that its dot product with the previous one is >= 0."""
    dots = np.einsum("ti,ti->t", quaternions[1:], quaternions[:-1])
    signs = np.cumprod(np.concatenate([[1.0], np.where(dots < 0, -1.0, 1.0)]))
    return quaternions * signs[:, None]
