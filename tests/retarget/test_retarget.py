"""retarget(): bad inputs give a clear error and write nothing; the report's lists also come as warnings."""

import warnings

import numpy as np
import pygltflib as gl
import pytest
from pxr import Usd, UsdGeom

from facemotion.animation import FaceAnimation
from facemotion.exporters.gltf import export_gltf
from facemotion.retarget import CHARACTER_SUFFIXES, read_character, retarget
from facemotion.testing import grid_mesh, random_animation

NAMES = ("eyeBlink_L", "eyeBlink_R", "jawOpen", "hat")


@pytest.fixture
def character(tmp_path):
    return export_gltf(random_animation(NAMES), tmp_path / "character.glb", grid_mesh(NAMES))


def gltf_without(tmp_path, what):
    """A GLB whose mesh has no morph targets (``"targets"``) or that has no mesh at all (``"mesh"``)."""
    path = export_gltf(random_animation(NAMES), tmp_path / "source.glb", grid_mesh(NAMES))
    gltf = gl.GLTF2.load(str(path))
    gltf.animations = []
    if what == "mesh":
        gltf.meshes, gltf.nodes[0].mesh = [], None
    else:
        gltf.meshes[0].primitives[0].targets, gltf.meshes[0].weights, gltf.meshes[0].extras = [], None, {}
    gltf.save(str(tmp_path / f"no_{what}.glb"))
    path.unlink()
    return tmp_path / f"no_{what}.glb"


def usd_without(tmp_path, what):
    path = tmp_path / f"no_{what}.usda"
    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.Xform.Define(stage, "/Root")
    if what == "targets":
        UsdGeom.Mesh.Define(stage, "/Root/Head").CreatePointsAttr([(0, 0, 0), (1, 0, 0), (0, 1, 0)])
    stage.Save()
    return path


@pytest.mark.parametrize("make, message", [
    (lambda tmp: gltf_without(tmp, "mesh"), "the character has no mesh"),
    (lambda tmp: usd_without(tmp, "mesh"), "the character has no mesh"),
    (lambda tmp: gltf_without(tmp, "targets"), r"no blendshapes \(morph targets\).*deformation transfer, a later step"),
    (lambda tmp: usd_without(tmp, "targets"), r"no blendshapes \(skel:blendShapes\).*deformation transfer"),
], ids=["gltf-no-mesh", "usd-no-mesh", "gltf-no-blendshapes", "usd-no-blendshapes"])
def test_characters_without_mesh_or_blendshapes_are_refused(tmp_path, make, message):
    path = make(tmp_path)
    out = tmp_path / f"out{path.suffix}"
    with pytest.raises(ValueError, match=message):
        retarget(random_animation(), path, out)
    assert sorted(tmp_path.iterdir()) == [path]


def test_a_mapping_with_a_nonexistent_source_channel_writes_nothing(character, tmp_path):
    mapping = tmp_path / "rig.yaml"
    mapping.write_text("targets:\n  eyeBlink_L: eyeBlinkLeft\n  jawOpen: {jawOpen: 1.0, jawDrop: 0.5}\n")
    with pytest.raises(ValueError, match=r"not ARKit-52 channels: 'jawDrop' \(in jawOpen\)"):
        retarget(random_animation(), character, tmp_path / "out.glb", mapping)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["character.glb", "rig.yaml"]


def test_fbx_characters_are_sent_to_gltf_or_usd(tmp_path):
    path = tmp_path / "rig.fbx"
    path.write_bytes(b"Kaydara FBX Binary  \0")
    with pytest.raises(ValueError, match=r"FBX characters are not read yet: .*Blender.*glTF 2\.0 \(\.glb\) or USD"):
        retarget(random_animation(), path, tmp_path / "out.fbx")
    with pytest.raises(ValueError, match="FBX characters are not read yet"):
        read_character(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rig.fbx"]


@pytest.mark.parametrize("output, error, message", [
    ("out.usda", ValueError, r"a glTF character is written back as glTF \('.glb', '.gltf'\), got 'out.usda'"),
    ("character.glb", ValueError, "must not overwrite the character file"),
    ("missing/out.glb", FileNotFoundError, "output folder does not exist"),
])
def test_bad_outputs_are_refused(character, tmp_path, output, error, message):
    before = character.read_bytes()
    with pytest.raises(error, match=message):
        retarget(random_animation(), character, tmp_path / output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["character.glb"] and character.read_bytes() == before


def test_bad_characters_and_animations_are_refused(character, tmp_path):
    (tmp_path / "head.obj").write_text("v 0 0 0\n")
    (tmp_path / "text.glb").write_text("hello")
    (tmp_path / "gltf1.gltf").write_text('{"asset": {"version": "1.0"}}')
    with pytest.raises(ValueError, match=r"unsupported character file 'head.obj'; expected one of \('.glb'"):
        retarget(random_animation(), tmp_path / "head.obj", tmp_path / "out.obj")
    with pytest.raises(FileNotFoundError, match="no such character file"):
        retarget(random_animation(), tmp_path / "missing.glb", tmp_path / "out.glb")
    with pytest.raises(ValueError, match="is not a glTF file"):
        retarget(random_animation(), tmp_path / "text.glb", tmp_path / "out.glb")
    with pytest.raises(ValueError, match=r"is not glTF 2.0 \(asset.version '1.0'\)"):
        retarget(random_animation(), tmp_path / "gltf1.gltf", tmp_path / "out.gltf")
    empty = FaceAnimation(fps=30.0, weights=np.zeros((0, 52), np.float32))
    with pytest.raises(ValueError, match="the animation has no frames"):
        retarget(empty, character, tmp_path / "out.glb")
    assert not any(p.name.startswith(("out", ".out")) for p in tmp_path.iterdir())


def test_a_failure_while_writing_leaves_no_file(character, tmp_path, monkeypatch):
    def fail(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr("facemotion.retarget.gltf_character._glb_bytes", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        retarget(random_animation(), character, tmp_path / "out.glb", "lr_suffix")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["character.glb"]


def test_unmapped_targets_unused_and_absent_channels_are_warned(character, tmp_path):
    animation = random_animation(("eyeBlinkLeft", "jawOpen", "mouthClose"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = retarget(animation, character, tmp_path / "out.glb", "lr_suffix")
    messages = [str(w.message) for w in caught]
    assert report.mapped == ("eyeBlink_L", "jawOpen")
    assert report.unmapped_targets == ("eyeBlink_R", "hat")  # eyeBlinkRight is not in the animation
    assert report.unused_channels == ("mouthClose",)
    assert "blendshapes of the character not driven (they keep their rest weight): eyeBlink_R, hat" in messages
    assert "animation channels that drive no blendshape of the character: mouthClose" in messages
    assert any(m.startswith("targets of mapping 'lr_suffix' not on the character: eyeLookDown_L") for m in messages)
    assert all(w.filename == __file__ for w in caught)  # attributed to the caller


def test_the_supported_suffixes():
    assert CHARACTER_SUFFIXES == (".glb", ".gltf", ".usd", ".usda", ".usdc")
