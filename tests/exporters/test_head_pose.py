"""The rotation maths every exporter and the renderer share: conventions, pivots, posing, joint tracks."""

import numpy as np
import pytest
import torch

from facemotion.animation import FaceAnimation
from facemotion.exporters.head_pose import (
    EYE_JOINTS,
    HEAD_JOINT,
    HeadJoints,
    eye_rotations,
    head_rotations,
    joint_tracks,
    neck_pivot,
    rotation_angles,
)
from facemotion.testing import grid_mesh, random_animation


@pytest.fixture(scope="module")
def default():
    from facemotion.face_models.arkit import ARKitRig

    rig = ARKitRig.default()
    return rig, HeadJoints.from_rig(rig)


@pytest.mark.parametrize("angles, axis, expected", [
    ([10, 0, 0], [0, 0, 1], [0, -np.sin(np.radians(10)), np.cos(np.radians(10))]),  # pitch: the nose goes down
    ([0, 10, 0], [0, 0, 1], [np.sin(np.radians(10)), 0, np.cos(np.radians(10))]),  # yaw: to the left (+X)
    ([0, 0, 10], [0, 1, 0], [-np.sin(np.radians(10)), np.cos(np.radians(10)), 0]),  # roll: crown to the right
])
def test_signs_follow_the_convention(angles, axis, expected):
    np.testing.assert_allclose(head_rotations(angles).apply(axis), [expected], atol=1e-12)


def test_the_matrix_is_yaw_after_pitch_after_roll():
    pitch, yaw, roll = np.radians([20.0, -35.0, 12.0])
    rx = np.array([[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)], [0, np.sin(pitch), np.cos(pitch)]])
    ry = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    rz = np.array([[np.cos(roll), -np.sin(roll), 0], [np.sin(roll), np.cos(roll), 0], [0, 0, 1]])
    np.testing.assert_allclose(head_rotations([20.0, -35.0, 12.0]).as_matrix()[0], ry @ rx @ rz, atol=1e-12)
    np.testing.assert_allclose(eye_rotations([20.0, -35.0]).as_matrix()[0], ry @ rx, atol=1e-12)


def test_angles_read_back_from_rotations():
    angles = np.random.default_rng(0).uniform(-60, 60, (50, 3))
    np.testing.assert_allclose(rotation_angles(head_rotations(angles)), angles, atol=1e-9)


def test_the_default_head_turns_about_its_neck_and_eyeball_centres(default):
    rig, joints = default
    neutral = rig.neutral.numpy()
    chin = neutral[rig.landmark_vertex_ids[8]]
    np.testing.assert_allclose(joints.neck, [0.0, -0.1086, -0.0104], atol=1e-4)
    assert 0.02 < chin[1] - joints.neck[1] < 0.05  # a few centimetres below the chin, inside the neck
    left, right = joints.eye_centres
    np.testing.assert_allclose(left, [0.0314, 0.0361, 0.0802], atol=1e-4)
    np.testing.assert_allclose(right, left * [-1, 1, 1], atol=1e-7)  # the head is symmetric
    for centre, ids in zip(joints.eye_centres, joints.eye_vertex_ids):
        radii = np.linalg.norm(neutral[ids] - centre, axis=1)
        assert 0.012 < np.median(radii) < 0.016  # an eyeball's radius around its centre
    assert (neutral[joints.eye_vertex_ids[0], 0] > 0).all()  # +X is the character's left


def test_neck_pivot_of_any_mesh_lies_in_its_lower_quarter():
    pivot = neck_pivot(grid_mesh().neutral)
    np.testing.assert_allclose(pivot[:2], [0.01, 0.005], atol=1e-9)


def test_pose_equals_a_vertex_by_vertex_loop(default):
    rig, joints = default
    rng = np.random.default_rng(1)
    vertices = rig.neutral.numpy()[None].repeat(2, 0) + rng.normal(0, 1e-3, (2, rig.neutral.shape[0], 3))
    vertices = vertices.astype(np.float32)
    head = rng.uniform(-20, 20, (2, 3)).astype(np.float32)
    eyes = rng.uniform(-30, 30, (2, 2, 2)).astype(np.float32)
    posed = joints.pose(vertices, head, eyes)
    side = joints.vertex_joints(len(rig.neutral))
    for t in range(2):
        head_matrix = head_rotations(head[t]).as_matrix()[0]
        for v in rng.choice(len(rig.neutral), 200, replace=False).tolist() + joints.eye_vertex_ids[0][:20].tolist():
            point = vertices[t, v].astype(np.float64)
            if side[v]:
                centre = joints.eye_centres[side[v] - 1]
                point = centre + eye_rotations(eyes[t, side[v] - 1]).as_matrix()[0] @ (point - centre)
            expected = joints.neck + head_matrix @ (point - joints.neck)
            np.testing.assert_allclose(posed[t, v], expected, atol=2e-7)


def test_pose_takes_numpy_and_torch_alike(default):
    rig, joints = default
    vertices = rig.neutral[None].repeat(2, 1, 1)
    head = np.array([[5.0, 10.0, -5.0], [0.0, 0.0, 0.0]], np.float32)
    eyes = np.full((2, 2, 2), 12.0, np.float32)
    from_torch = joints.pose(vertices, head, eyes)
    from_numpy = joints.pose(vertices.numpy(), head, eyes)
    assert isinstance(from_torch, torch.Tensor) and from_torch.dtype == torch.float32
    np.testing.assert_allclose(from_torch.numpy(), from_numpy, atol=1e-7)
    np.testing.assert_array_equal(vertices.numpy(), rig.neutral[None].repeat(2, 1, 1).numpy())  # input untouched
    np.testing.assert_array_equal(joints.pose(vertices.numpy()), vertices.numpy())  # no rotations: no change


def test_no_rotations_no_joints():
    assert joint_tracks(random_animation(), grid_mesh()) is None


def test_joint_tracks_of_the_default_head(default):
    rig, joints = default
    mesh = rig.mesh
    rng = np.random.default_rng(2)
    animation = FaceAnimation(30.0, random_animation(frames=3).weights,
                              head_rotation=rng.uniform(-10, 10, (3, 3)).astype(np.float32),
                              eye_rotation=rng.uniform(-10, 10, (3, 2, 2)).astype(np.float32))
    tracks = joint_tracks(animation, mesh)  # the default head is recognised: its eyes are written
    assert tracks.names == (HEAD_JOINT, *EYE_JOINTS) and tracks.parents == (-1, 0, 0)
    np.testing.assert_allclose(tracks.positions, np.vstack([joints.neck, joints.eye_centres]), atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(tracks.rotations, axis=-1), 1.0, atol=1e-12)
    from scipy.spatial.transform import Rotation

    angles = rotation_angles(Rotation.from_quat(tracks.rotations.reshape(-1, 4))).reshape(3, 3, 3)
    np.testing.assert_allclose(angles[:, 0], animation.head_rotation, atol=1e-4)
    np.testing.assert_allclose(angles[:, 1:, :2], animation.eye_rotation, atol=1e-4)
    assert np.bincount(tracks.vertex_joints).tolist() == [mesh.n_vertices - 3140, 1570, 1570]


def test_eye_rotations_on_a_head_without_eyeballs_warn_and_keep_the_head():
    animation = FaceAnimation(30.0, random_animation(frames=2).weights,
                              head_rotation=np.ones((2, 3), np.float32), eye_rotation=np.ones((2, 2, 2), np.float32))
    with pytest.warns(UserWarning, match="no eyeball vertices: its eye rotations are not written"):
        tracks = joint_tracks(animation, grid_mesh())
    assert tracks.names == (HEAD_JOINT,) and (tracks.vertex_joints == 0).all()


def test_only_eye_rotations_give_a_still_head(default):
    rig, _ = default
    animation = FaceAnimation(30.0, random_animation(frames=2).weights, eye_rotation=np.ones((2, 2, 2), np.float32))
    tracks = joint_tracks(animation, rig.mesh)
    np.testing.assert_allclose(tracks.rotations[:, 0], [[0, 0, 0, 1]] * 2, atol=1e-12)


def test_too_few_eyeball_vertices_are_refused():
    with pytest.raises(ValueError, match=">= 4 vertices per eye, got 1 and 1"):
        HeadJoints.from_mesh(grid_mesh().neutral, np.array([0, 8]))


def test_neighbouring_quaternions_lie_in_one_hemisphere(default):
    """A head turning through 170 degrees of yaw: every key's quaternion is near the previous one (so a slerp
    between keys takes the short way), and still the same rotation."""
    rig, _ = default
    yaw = np.linspace(0, 340, 9)
    head = np.stack([np.zeros(9), np.where(yaw > 170, yaw - 360, yaw), np.zeros(9)], 1).astype(np.float32)
    animation = FaceAnimation(30.0, random_animation(frames=9).weights, head_rotation=head)
    quats = joint_tracks(animation, rig.mesh).rotations[:, 0]
    assert (np.einsum("ti,ti->t", quats[1:], quats[:-1]) > 0).all()
    from scipy.spatial.transform import Rotation

    np.testing.assert_allclose(rotation_angles(Rotation.from_quat(quats)), head, atol=1e-4)
