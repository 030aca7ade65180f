"""Fixtures of the exporter tests."""

from dataclasses import replace

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from facemotion.exporters import fbx
from facemotion.exporters.fbx import BlenderNotFoundError
from facemotion.exporters.head_pose import HeadJoints, rotation_angles


@pytest.fixture(scope="session")
def blender_python():
    """A Python that imports bpy; the test skips where there is none (the message says: `make blender-env`)."""
    try:
        return fbx.find_blender_python()
    except BlenderNotFoundError as error:
        pytest.skip(f"no Blender Python: {error}")


@pytest.fixture
def turning():
    """turning(animation, seed=3): the take with random head (+-25 degrees) and eye (+-30 degrees) rotations."""

    def turn(animation, seed=3):
        rng = np.random.default_rng(seed)
        return replace(animation, head_rotation=rng.uniform(-25, 25, (animation.n_frames, 3)).astype(np.float32),
                       eye_rotation=rng.uniform(-30, 30, (animation.n_frames, 2, 2)).astype(np.float32))

    return turn


@pytest.fixture
def grid_joints():
    """grid_joints(mesh): joints of facemotion.testing.grid_mesh: the neck 2 cm below the grid, its right column
    (x = 2 cm) the left eye, its left column (x = 0) the right eye, each turning 1 cm behind its vertices."""

    def joints(mesh):
        left, right = np.array([2, 5]), np.array([0, 3])
        centres = np.stack([mesh.neutral[left].mean(0), mesh.neutral[right].mean(0)]) - [0, 0, 0.01]
        return HeadJoints(np.array([0.01, -0.02, 0.0]), (left, right), centres)

    return joints


@pytest.fixture
def bone_angles():
    """bone_angles(dump): {bone: (T, 3) degrees (pitch, yaw, roll)} of each bone's rotation relative to its parent in
    an imported armature, from the poses Blender evaluates (``read_scene.py``'s ``armatures``): the world-space
    change from the rest frame, in our axes, so the importer's choice of bone orientation does not matter. The
    root bone (``Neck``) is relative to the scene."""

    def angles(dump):
        (armature,) = dump["armatures"]
        to_ours = np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]])  # Blender's (x, y, z) -> our (x, z, -y)
        rest = np.array(armature["rest"])[:, :3, :3]
        pose = np.array(armature["pose"])[:, :, :3, :3]
        world = to_ours @ pose @ np.linalg.inv(rest)[None] @ to_ours.T
        world = world / np.cbrt(np.linalg.det(world))[..., None, None]  # no unit scale left
        turned = {name: Rotation.from_matrix(world[:, j]) for j, name in enumerate(armature["bones"])}
        root = turned.pop(armature["bones"][0])
        return {armature["bones"][0]: rotation_angles(root),
                **{name: rotation_angles(root.inv() * r) for name, r in turned.items()}}

    return angles
