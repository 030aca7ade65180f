import os

import numpy as np
import pytest
from pxr import Usd, UsdSkel

from facemotion.animation import FaceAnimation
from facemotion.exporters import (
    SUPPORTED_FORMATS,
    BlenderNotFoundError,
    ExportOptions,
    check_output_path,
    export,
    read_livelink_csv,
    read_npz,
)
from facemotion.face_models.base import BlendshapeMesh
from facemotion.face_models.names import ARKIT_52
from facemotion.testing import random_animation


def make_mesh(n_vertices=4):
    neutral = np.eye(n_vertices, 3, dtype=np.float32)
    deltas = np.zeros((52, n_vertices, 3), np.float32)
    deltas[:, 0, 2] = np.linspace(0, 0.01, 52)
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    return BlendshapeMesh(neutral=neutral, faces=faces, deltas=deltas, names=ARKIT_52)


WEIGHTS = np.random.default_rng(0).uniform(0, 1, (6, 52)).astype(np.float32)
ANIMATION = FaceAnimation(fps=30.0, weights=WEIGHTS)


def test_supported_formats():
    assert {".usda", ".usdc", ".usdz", ".glb", ".gltf", ".csv", ".npz", ".json"} <= set(SUPPORTED_FORMATS)


@pytest.mark.parametrize("name", ["take.usda", "take.usdc", "take.usdz", "take.USDA"])
def test_usd_suffixes_write_usd(tmp_path, name):
    path = export(ANIMATION, tmp_path / name, ExportOptions(mesh=make_mesh()))
    stage = Usd.Stage.Open(str(path))
    assert stage.GetDefaultPrim().IsA(UsdSkel.Root)
    assert stage.GetEndTimeCode() == 5


def test_csv_and_npz(tmp_path):
    csv = export(ANIMATION, tmp_path / "take.csv")
    np.testing.assert_allclose(read_livelink_csv(csv, fps=30.0).weights, ANIMATION.weights, atol=1e-6)
    npz = export(ANIMATION, str(tmp_path / "take.NPZ"))
    np.testing.assert_array_equal(read_npz(npz).weights, ANIMATION.weights)
    assert sorted(os.listdir(tmp_path)) == ["take.NPZ", "take.csv"]


def test_an_unknown_suffix_lists_the_formats(tmp_path):
    with pytest.raises(ValueError, match="supported formats are") as error:
        export(ANIMATION, tmp_path / "take.obj")
    assert all(suffix in str(error.value) for suffix in SUPPORTED_FORMATS)
    assert os.listdir(tmp_path) == []


def test_usd_without_a_mesh_uses_the_default_head(tmp_path, monkeypatch):
    mesh = make_mesh(n_vertices=5)
    monkeypatch.setattr("facemotion.face_models.rig_file.default_head_mesh", lambda: mesh)
    stage = Usd.Stage.Open(str(export(ANIMATION, tmp_path / "take.usdc")))
    assert len(stage.GetPrimAtPath("/Head/Face").GetAttribute("points").Get()) == 5


def test_check_output_path_fails_early_and_leaves_nothing(tmp_path):
    assert check_output_path(tmp_path / "take.usdc") == tmp_path / "take.usdc"
    with pytest.raises(ValueError, match="supported formats"):
        check_output_path(tmp_path / "take.obj")
    with pytest.raises(FileNotFoundError, match="output folder does not exist"):
        check_output_path(tmp_path / "missing" / "take.usda")
    (tmp_path / "folder.usda").mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder"):
        check_output_path(tmp_path / "folder.usda")
    assert [p.name for p in tmp_path.iterdir()] == ["folder.usda"]


def test_units_must_be_known():
    with pytest.raises(ValueError, match="units must be one of"):
        ExportOptions(units="mm")


@pytest.mark.parametrize("name", ["take.usda", "take.csv", "take.npz", "take.json"])
def test_an_empty_animation_is_refused(tmp_path, name):
    with pytest.raises(ValueError, match="no frames"):
        export(FaceAnimation(fps=30.0, weights=np.zeros((0, 52), np.float32)), tmp_path / name)
    assert os.listdir(tmp_path) == []


def test_gltf_is_metres_only(tmp_path):
    with pytest.raises(ValueError, match="glTF is in metres"):
        export(ANIMATION, tmp_path / "take.glb", ExportOptions(mesh=make_mesh(), units="cm"))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(("args", "message"), [
    ((None, "take.usda"), "animation must be a FaceAnimation, got NoneType"),
    ((random_animation(), 123), "output path must be a str or os.PathLike, got int"),
    ((random_animation(), "take.usda", {"units": "cm"}), "options must be ExportOptions, got dict"),
])
def test_wrong_types_are_named_at_the_boundary(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError, match=message):
        export(*args)
    assert os.listdir(tmp_path) == []


def test_fbx_without_blender_fails_in_the_early_check(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEMOTION_BLENDER_PYTHON", str(tmp_path / "no-blender" / "python"))
    with pytest.raises(BlenderNotFoundError, match="make blender-env"):
        check_output_path(tmp_path / "take.fbx")
    assert os.listdir(tmp_path) == []
