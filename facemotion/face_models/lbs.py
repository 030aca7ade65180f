"""Pure maths of face models: blendshapes and linear blend skinning, stateless functions on tensors.

After the structure of smplx's ``lbs.py`` (written anew here: smplx's licence is non-commercial).
"""

import torch


def blend_shapes(weights: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
    """Weighted sum of blendshape offsets, ``out[..., v, :] = sum_k weights[..., k] * deltas[k, v, :]``.

    Args:
        weights: (..., K) float blendshape weights (any number of leading batch/time dims).
        deltas: (K, V, 3) float per-blendshape vertex offsets, same dtype and device as ``weights``.

    Returns:
        (..., V, 3) vertex offsets, in the unit of ``deltas``; differentiable in both arguments.

    Raises:
        ValueError: when ``deltas`` is not (K, V, 3) or the last dim of ``weights`` is not K.
    """
    if deltas.ndim != 3 or deltas.shape[2] != 3:
        raise ValueError(f"deltas must be (K, V, 3), got {tuple(deltas.shape)}")
    n_shapes, n_vertices, _ = deltas.shape
    if weights.ndim == 0 or weights.shape[-1] != n_shapes:
        raise ValueError(f"weights must be (..., {n_shapes}), got {tuple(weights.shape)}")
    offsets = weights @ deltas.reshape(n_shapes, n_vertices * 3)
    return offsets.reshape(*weights.shape[:-1], n_vertices, 3)


def batch_rodrigues(axis_angle: torch.Tensor) -> torch.Tensor:
    """Rotation matrices from axis-angle vectors (Rodrigues' formula), smooth and exact at zero.

    ``R = I + a K + b K^2`` with ``K`` the cross-product matrix of ``v``, ``a = sin|v| / |v|`` and
    ``b = (1 - cos|v|) / |v|^2`` (their Taylor series below 1e-4 rad, so gradients at zero are finite).

    Args:
        axis_angle: (..., 3) rotation vectors, radians (direction = axis, norm = angle).

    Returns:
        (..., 3, 3) rotation matrices, same dtype and device.
    """
    x, y, z = axis_angle.unbind(-1)
    zero = torch.zeros_like(x)
    cross = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], dim=-1).unflatten(-1, (3, 3))
    angle_sq = (axis_angle * axis_angle).sum(-1)
    small = angle_sq < 1e-8
    safe_sq = torch.where(small, torch.ones_like(angle_sq), angle_sq)
    angle = safe_sq.sqrt()
    a = torch.where(small, 1 - angle_sq / 6, torch.sin(angle) / angle)
    b = torch.where(small, 0.5 - angle_sq / 24, (1 - torch.cos(angle)) / safe_sq)
    eye = torch.eye(3, dtype=axis_angle.dtype, device=axis_angle.device)
    return eye + a[..., None, None] * cross + b[..., None, None] * (cross @ cross)


def rigid_transforms(
    rotations: torch.Tensor, joints: torch.Tensor, parents: tuple[int, ...]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward kinematics: world placement of each joint and its skinning transform.

    Joint ``j`` rotates by ``rotations[j]`` about its rest position, in its parent's frame; the skinning
    transform maps a rest-pose point to its posed position, ``A_j = G_j [I | -J_j]``.

    Args:
        rotations: (..., K, 3, 3) local joint rotations.
        joints: (..., K, 3) rest-pose joint positions (leading dims broadcast with those of ``rotations``).
        parents: K parent indices, -1 for the root, each parent before its children.

    Returns:
        ``posed_joints`` (..., K, 3) and ``transforms`` (..., K, 3, 4) ``[R | t]`` skinning transforms.
    """
    batch = torch.broadcast_shapes(rotations.shape[:-3], joints.shape[:-2])
    rotations = rotations.expand(*batch, *rotations.shape[-3:])
    joints = joints.expand(*batch, *joints.shape[-2:])
    world_rotations, world_positions = [], []
    for j, parent in enumerate(parents):
        if parent < 0:
            world_rotations.append(rotations[..., j, :, :])
            world_positions.append(joints[..., j, :])
        else:
            offset = joints[..., j, :] - joints[..., parent, :]
            world_rotations.append(world_rotations[parent] @ rotations[..., j, :, :])
            world_positions.append(world_positions[parent] + (world_rotations[parent] @ offset[..., None])[..., 0])
    rotation = torch.stack(world_rotations, dim=-3)
    posed_joints = torch.stack(world_positions, dim=-2)
    translation = posed_joints - (rotation @ joints[..., None])[..., 0]
    return posed_joints, torch.cat([rotation, translation[..., None]], dim=-1)


def linear_blend_skinning(
    vertices: torch.Tensor, transforms: torch.Tensor, weights: torch.Tensor
) -> torch.Tensor:
    """Pose vertices by the weighted sum of their joints' transforms, ``v' = sum_j w_vj A_j [v; 1]``.

    Args:
        vertices: (..., V, 3) rest-pose vertices (pose correctives already added).
        transforms: (..., K, 3, 4) skinning transforms from :func:`rigid_transforms`.
        weights: (V, K) skinning weights, rows summing to 1.

    Returns:
        (..., V, 3) posed vertices. Memory: 12 floats per vertex per pose for the blended transforms.
    """
    blended = torch.einsum("vk,...kab->...vab", weights, transforms)
    return (blended[..., :3] @ vertices[..., None])[..., 0] + blended[..., 3]


def pose_feature(rotations: torch.Tensor) -> torch.Tensor:
    """FLAME/SMPL pose-corrective feature: ``R_j - I`` of every joint but the root, flattened row-major.

    Args:
        rotations: (..., K, 3, 3) local joint rotations.

    Returns:
        (..., 9 (K - 1)) features (36 for FLAME), zero at the rest pose.
    """
    eye = torch.eye(3, dtype=rotations.dtype, device=rotations.device)
    return (rotations[..., 1:, :, :] - eye).flatten(-3)


def vertices_to_landmarks(
    vertices: torch.Tensor, faces: torch.Tensor, landmark_faces: torch.Tensor, barycentric: torch.Tensor
) -> torch.Tensor:
    """Points embedded in triangles, ``sum_i b_i v[faces[f, i]]``.

    Args:
        vertices: (..., V, 3).
        faces: (F, 3) int64 triangles.
        landmark_faces: (L,) int64 triangle of each landmark.
        barycentric: (L, 3) barycentric coordinates.

    Returns:
        (..., L, 3) landmark positions, in the unit of ``vertices``.
    """
    corners = faces[landmark_faces]  # (L, 3)
    return sum(barycentric[:, i, None] * vertices[..., corners[:, i], :] for i in range(3))
