"""Tests of the ARKit rig and its shipped ICT-FaceKit head (assets/ict_head.npz)."""

import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import torch

from facemotion.face_models.arkit import ARKitRig
from facemotion.face_models.base import BlendshapeMesh
from facemotion.face_models.landmarks import LIP_LANDMARKS
from facemotion.face_models.names import ARKIT_52, ARKIT_INDEX

REPO = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def rig() -> ARKitRig:
    return ARKitRig.default()


def weights(**channels: float) -> np.ndarray:
    """(52,) float32 ARKit weights, zero except the named channels."""
    out = np.zeros(52, dtype=np.float32)
    for name, value in channels.items():
        out[ARKIT_INDEX[name]] = value
    return out


def test_asset_names_are_arkit_52():
    with np.load(resources.files("facemotion.assets") / "ict_head.npz") as data:
        assert tuple(data["names"]) == ARKIT_52


def test_neutral_is_a_head_in_metres(rig):
    neutral = rig.mesh.neutral
    height = np.ptp(neutral[:, 1])
    assert 0.2 < height < 0.35
    nose_tip = neutral[:, 2].argmax()
    assert abs(neutral[nose_tip, 0]) < 1e-3  # on the midline, looking down +Z


def test_faces_wind_outwards_at_the_nose_tip(rig):
    mesh = rig.mesh
    nose_tip = mesh.neutral[:, 2].argmax()
    triangles = mesh.neutral[mesh.faces[(mesh.faces == nose_tip).any(axis=1)]]
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    assert (normals[:, 2] > 0).all()


@pytest.mark.parametrize("batch", [(), (4,), (2, 3)])
def test_forward_shape_contract(rig, batch):
    vertices = rig(torch.zeros(*batch, 52))
    assert vertices.shape == (*batch, rig.mesh.n_vertices, 3)
    assert vertices.dtype == torch.float32


def test_forward_matches_naive_sum(rig):
    mesh = rig.mesh
    w = np.random.default_rng(0).random((2, 52))
    expected = np.stack(
        [mesh.neutral + sum(w[t, k] * mesh.deltas[k].astype(np.float64) for k in range(52)) for t in range(2)]
    )
    np.testing.assert_allclose(rig(w), expected, atol=1e-6)


def test_numpy_in_numpy_out_and_zero_weights_give_neutral(rig):
    vertices = rig(np.zeros((3, 52), dtype=np.float32))
    assert isinstance(vertices, np.ndarray) and vertices.dtype == np.float32
    np.testing.assert_array_equal(vertices[1], rig.mesh.neutral)


def test_gradients_flow_to_weights(rig):
    w = torch.full((2, 52), 0.1, requires_grad=True)
    rig.inner_lip_gap(rig(w)).sum().backward()
    assert torch.isfinite(w.grad).all() and w.grad[:, ARKIT_INDEX["jawOpen"]].abs().min() > 0


def test_weights_are_validated(rig):
    with pytest.raises(ValueError, match=r"weights must be \(\.\.\., 52\)"):
        rig(torch.zeros(3, 51))
    with pytest.raises(ValueError, match="weights must be finite"):
        rig(torch.full((52,), float("nan")))
    with pytest.raises(ValueError, match="weights must be a float tensor or array, got int64 values"):
        rig(np.zeros(52, dtype=np.int64))
    with pytest.raises(ValueError, match="got int64 values"):
        rig(torch.zeros(52, dtype=torch.int64))
    with pytest.raises(TypeError, match="weights must be a float tensor or numpy array, got list"):
        rig([0.0] * 52)
    with pytest.raises(TypeError, match="shape must be .* got int"):
        rig(np.zeros(52, np.float32), shape=3)


def test_constructor_is_validated(rig):
    mesh = rig.mesh
    renamed = BlendshapeMesh(mesh.neutral, mesh.faces, mesh.deltas, tuple(reversed(ARKIT_52)))
    with pytest.raises(ValueError, match="ARKIT_52"):
        ARKitRig(renamed, np.arange(68), {"lips": [0]})
    with pytest.raises(ValueError, match="68 ids"):
        ARKitRig(mesh, np.arange(67), {"lips": [0]})
    with pytest.raises(ValueError, match=r"lips region must lie in \[0, "):
        ARKitRig(mesh, np.arange(68), {"lips": [mesh.n_vertices]})
    with pytest.raises(ValueError, match="regions must name 'lips'"):
        ARKitRig(mesh, np.arange(68), {"nose": [0]})
    with pytest.raises(ValueError, match="identity_deltas must be"):
        ARKitRig(mesh, np.arange(68), {"lips": [0]}, np.zeros((2, 5, 3), np.float32))


def test_missing_rig_file_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match="no rig file"):
        ARKitRig.from_npz(tmp_path / "absent.npz")


def test_sided_channels_move_the_subjects_side(rig):
    """"Left" is the subject's left, +X when the face looks down +Z."""
    mesh = rig.mesh
    unsided = ("jawLeft", "jawRight", "mouthLeft", "mouthRight")
    for name in ARKIT_52:
        if name.endswith(("Left", "Right")) and name not in unsided:
            motion = np.linalg.norm(mesh.deltas[ARKIT_INDEX[name]], axis=1)
            side = np.sign((motion * mesh.neutral[:, 0]).sum() / motion.sum())
            assert side == (1 if name.endswith("Left") else -1), name


def test_bilateral_channels_move_both_sides(rig):
    mesh = rig.mesh
    for name in ("browInnerUp", "cheekPuff"):
        motion = np.linalg.norm(mesh.deltas[ARKIT_INDEX[name]], axis=1)
        assert motion[mesh.neutral[:, 0] > 0.01].max() > 1e-3, name
        assert motion[mesh.neutral[:, 0] < -0.01].max() > 1e-3, name


def test_tongue_out_has_no_shape(rig):
    assert not rig.mesh.deltas[ARKIT_INDEX["tongueOut"]].any()


def test_inner_lip_gap_opens_with_the_jaw(rig):
    vertices = rig(np.stack([weights(), weights(jawOpen=0.3), weights(jawOpen=1.0)]))
    neutral, partly_open, wide_open = rig.inner_lip_gap(vertices)
    assert abs(neutral) < 0.002
    assert 0.01 < wide_open < 0.05
    assert neutral < partly_open < wide_open


def test_mouth_close_closes_an_open_jaw(rig):
    vertices = rig(np.stack([weights(jawOpen=1.0), weights(jawOpen=1.0, mouthClose=1.0)]))
    open_gap, closed_gap = rig.inner_lip_gap(vertices)
    assert open_gap > 0.01 and closed_gap < 0.0


def test_inner_lip_gap_agrees_between_numpy_and_torch(rig):
    vertices = rig(torch.rand(4, 52))
    np.testing.assert_allclose(rig.inner_lip_gap(vertices).numpy(), rig.inner_lip_gap(vertices.numpy()))
    with pytest.raises(ValueError, match="vertices must be"):
        rig.inner_lip_gap(torch.zeros(10, 3))


def test_lip_vertices_surround_the_mouth(rig):
    neutral = rig.mesh.neutral
    lips = rig.lip_vertex_ids.numpy()
    landmarks = rig.landmark_vertex_ids.numpy()
    assert set(landmarks[list(LIP_LANDMARKS)]) <= set(lips)
    mouth_centre = neutral[landmarks[[62, 66]]].mean(axis=0)
    assert np.linalg.norm(neutral[lips] - mouth_centre, axis=1).max() < 0.04


def test_converter_reproduces_the_shipped_asset(shared_ict_facekit, tmp_path):
    output = tmp_path / "ict_head.npz"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    subprocess.run(
        [sys.executable, str(REPO / "datasets" / "convert_ict_facekit.py"), str(shared_ict_facekit), str(output)],
        check=True, env=env, capture_output=True,
    )
    with np.load(output) as made, np.load(resources.files("facemotion.assets") / "ict_head.npz") as shipped:
        assert sorted(made.files) == sorted(shipped.files)
        for key in shipped.files:
            np.testing.assert_array_equal(made[key], shipped[key], err_msg=key)


def test_identity_shapes_change_the_neutral_face_and_keep_expressions(rig):
    assert rig.n_identities == 10
    weights = np.zeros((2, 52), np.float32)
    weights[1, ARKIT_52.index("jawOpen")] = 0.5
    shape = np.zeros(10, np.float32)
    shape[0] = 1.0
    generic, person = rig(weights), rig(weights, shape=shape)
    moved = np.linalg.norm(person[0] - generic[0], axis=-1)
    assert 0.005 < moved.max() < 0.03  # ICT's first identity component moves the face by up to 1.3 cm
    np.testing.assert_allclose(person[1] - person[0], generic[1] - generic[0], atol=1e-6)


def test_offsets_are_added_last_and_shapes_are_checked(rig):
    weights = np.zeros((3, 52), np.float32)
    offsets = np.full((3, rig.neutral.shape[0], 3), 0.001, np.float32)
    np.testing.assert_allclose(rig(weights, offsets=offsets), rig(weights) + 0.001, atol=1e-7)
    with pytest.raises(ValueError, match=r"shape must be \(\.\.\., 10\)"):
        rig(weights, shape=np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="offsets must be finite"):
        rig(weights, offsets=offsets[:, :5])


def test_regions_of_the_default_head(rig):
    lips, upper, eyes = (rig.region(name).numpy() for name in ("lips", "upper_face", "eyes"))
    y = rig.neutral[:, 1].numpy()
    assert y[upper].min() > y[lips].max()  # the upper face lies above the mouth
    assert len(eyes) == 3140 and not set(eyes) & set(lips)
    with pytest.raises(KeyError, match="no region 'nose'"):
        rig.region("nose")
