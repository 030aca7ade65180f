import os
from pathlib import Path

import numpy as np
import pytest
from pxr import Usd, UsdGeom, UsdMedia, UsdSkel
from scipy.spatial.transform import Rotation

from facemotion.animation import FaceAnimation
from facemotion.exporters import usd
from facemotion.exporters.head_pose import HeadJoints, rotation_angles
from facemotion.exporters.usd import export_usd
from facemotion.face_models.names import ARKIT_52
from facemotion.testing import grid_mesh, random_animation

FPS = 30.0


def anim_query(stage):
    cache = UsdSkel.Cache()
    root = UsdSkel.Root(stage.GetDefaultPrim())
    cache.Populate(root, Usd.PrimDefaultPredicate)
    (binding,) = cache.ComputeSkelBindings(root, Usd.PrimDefaultPredicate)
    (skinning,) = binding.GetSkinningTargets()
    return cache.GetSkelQuery(binding.GetSkeleton()).GetAnimQuery(), skinning


@pytest.mark.parametrize("suffix", [".usda", ".usdc", ".usdz"])
def test_weights_read_back_through_usdskel(tmp_path, suffix):
    mesh, animation = grid_mesh(), random_animation(ARKIT_52[::-1])  # mesh order differs from channel order
    path = export_usd(animation, tmp_path / f"head{suffix}", mesh)
    assert os.listdir(tmp_path) == [path.name]
    stage = Usd.Stage.Open(str(path))  # the queries need the stage alive
    query, skinning = anim_query(stage)
    assert list(query.GetBlendShapeOrder()) == list(ARKIT_52)
    assert list(skinning.GetBlendShapeOrder()) == list(mesh.names)
    for t in range(animation.n_frames):
        expected = animation.weights[t, ::-1]
        np.testing.assert_allclose(query.ComputeBlendShapeWeights(Usd.TimeCode(t)), expected, atol=1e-5)


def test_stage_metadata(tmp_path):
    animation = random_animation(frames=4)
    stage = Usd.Stage.Open(str(export_usd(animation, tmp_path / "head.usda", grid_mesh())))
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert stage.GetTimeCodesPerSecond() == stage.GetFramesPerSecond() == FPS
    assert (stage.GetStartTimeCode(), stage.GetEndTimeCode()) == (0, 3)
    assert stage.GetDefaultPrim().GetPath() == "/Head"
    assert stage.GetDefaultPrim().IsA(UsdSkel.Root)


@pytest.mark.parametrize("suffix", [".usda", ".usdz"])
def test_baked_points_equal_the_blendshape_sum(tmp_path, suffix):
    mesh, animation = grid_mesh(), random_animation()
    path = export_usd(animation, tmp_path / f"head{suffix}", mesh)
    stage = Usd.Stage.Open(Usd.Stage.Open(str(path)).Flatten())  # an in-memory copy to bake into
    assert UsdSkel.BakeSkinning(stage.Traverse())
    points = UsdGeom.Mesh(stage.GetPrimAtPath("/Head/Face")).GetPointsAttr()
    for t in (0, 2, 4):
        expected = mesh.neutral + np.einsum("k,kvc->vc", animation.weights[t], mesh.deltas)
        np.testing.assert_allclose(np.array(points.Get(Usd.TimeCode(t))), expected, atol=1e-5)


def test_offsets_are_sparse_and_every_shape_exists(tmp_path):
    mesh = grid_mesh()
    stage = Usd.Stage.Open(str(export_usd(random_animation(), tmp_path / "head.usdc", mesh)))
    for name, delta in zip(mesh.names, mesh.deltas):
        shape = UsdSkel.BlendShape(stage.GetPrimAtPath(f"/Head/Face/{name}"))
        indices = np.array(shape.GetPointIndicesAttr().Get())
        offsets = np.array(shape.GetOffsetsAttr().Get())
        if name == "tongueOut":  # moves nothing: one zero offset
            assert indices.tolist() == [0] and not offsets.any()
        else:
            assert len(indices) == 2
            np.testing.assert_array_equal(offsets, delta[indices])


def test_channels_subset_and_names_made_identifiers(tmp_path):
    names = ("jaw open", "mouth-close", "3d")
    mesh = grid_mesh(names)
    animation = random_animation(names[:2])
    stage = Usd.Stage.Open(str(export_usd(animation, tmp_path / "h.usda", mesh)))
    query, _ = anim_query(stage)
    assert list(query.GetBlendShapeOrder()) == ["jaw_open", "mouth_close", "_d"]
    np.testing.assert_allclose(query.ComputeBlendShapeWeights(Usd.TimeCode(1)), [*animation.weights[1], 0])


def test_channels_missing_from_the_mesh_are_named(tmp_path):
    mesh = grid_mesh(ARKIT_52[:51])
    with pytest.raises(ValueError, match="no blendshapes for the animation channels.*tongueOut"):
        export_usd(random_animation(), tmp_path / "head.usda", mesh)
    assert os.listdir(tmp_path) == []


def test_bad_inputs_are_refused(tmp_path):
    with pytest.raises(ValueError, match="must end in one of"):
        export_usd(random_animation(), tmp_path / "head.usd", grid_mesh())
    empty = FaceAnimation(fps=FPS, weights=np.zeros((0, 52), np.float32))
    with pytest.raises(ValueError, match="no frames"):
        export_usd(empty, tmp_path / "head.usda", grid_mesh())
    with pytest.raises(ValueError, match="clash"):
        export_usd(random_animation(("a-b", "a_b")), tmp_path / "head.usda", grid_mesh(("a-b", "a_b")))
    assert os.listdir(tmp_path) == []


def test_a_missing_output_folder_writes_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match="output folder does not exist"):
        export_usd(random_animation(), tmp_path / "missing" / "head.usda", grid_mesh())
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("suffix", [".usda", ".usdz"])
def test_an_error_mid_write_leaves_no_file(tmp_path, monkeypatch, suffix):
    class FailingSdf:
        @staticmethod
        def ChangeBlock():
            raise RuntimeError("disk full")

    target = tmp_path / f"head{suffix}"
    target.write_bytes(b"old")
    monkeypatch.setattr(usd, "Sdf", FailingSdf)
    with pytest.raises(RuntimeError, match="disk full"):
        export_usd(random_animation(), target, grid_mesh())
    assert os.listdir(tmp_path) == [target.name]
    assert target.read_bytes() == b"old"


@pytest.mark.parametrize("suffix", [".usda", ".usdz"])
def test_usd_validators_report_nothing(tmp_path, suffix):
    validation = pytest.importorskip("pxr.UsdValidation")
    stage = Usd.Stage.Open(str(export_usd(random_animation(), tmp_path / f"head{suffix}", grid_mesh())))
    validators = validation.ValidationRegistry().GetOrLoadAllValidators()
    errors = validation.ValidationContext(validators).Validate(stage)
    assert [error.GetMessage() for error in errors] == []


def test_point_cache_holds_the_evaluated_pose_of_every_frame(tmp_path):
    mesh, animation = grid_mesh(), random_animation()
    stage = Usd.Stage.Open(str(export_usd(animation, tmp_path / "cache.usdc", mesh, point_cache=True)))
    assert not stage.GetDefaultPrim().IsA(UsdSkel.Root)
    points = UsdGeom.Mesh(stage.GetPrimAtPath("/Head/Face")).GetPointsAttr()
    assert len(points.GetTimeSamples()) == animation.n_frames
    for t in range(animation.n_frames):
        expected = mesh.neutral + np.einsum("k,kvc->vc", animation.weights[t], mesh.deltas)
        np.testing.assert_allclose(np.array(points.Get(Usd.TimeCode(t))), expected, atol=1e-5)


def test_centimetres_scale_points_offsets_and_stage_units(tmp_path):
    mesh, animation = grid_mesh(), random_animation()
    path = export_usd(animation, tmp_path / "cm.usda", mesh, scale=100.0)
    stage = Usd.Stage.Open(Usd.Stage.Open(str(path)).Flatten())
    assert UsdGeom.GetStageMetersPerUnit(stage) == pytest.approx(0.01)
    assert UsdSkel.BakeSkinning(stage.Traverse())
    points = UsdGeom.Mesh(stage.GetPrimAtPath("/Head/Face")).GetPointsAttr()
    expected = 100 * (mesh.neutral + np.einsum("k,kvc->vc", animation.weights[2], mesh.deltas))
    np.testing.assert_allclose(np.array(points.Get(Usd.TimeCode(2))), expected, atol=1e-3)


def speech_file(folder, name):
    import soundfile as sf

    path = folder / name
    sf.write(str(path), np.zeros(1600, np.float32), 16000)
    return path


def test_audio_prim_plays_the_speech_from_the_first_frame(tmp_path):
    speech = speech_file(tmp_path, "speech.wav")
    animation = random_animation()
    animation = FaceAnimation(animation.fps, animation.weights, animation.channel_names, audio_path=speech)
    stage = Usd.Stage.Open(str(export_usd(animation, tmp_path / "take.usda", grid_mesh())))
    audio = UsdMedia.SpatialAudio(stage.GetPrimAtPath("/Head/Speech"))
    assert audio.GetFilePathAttr().Get().path == "speech.wav"
    assert audio.GetStartTimeAttr().Get() == 0 and audio.GetPlaybackModeAttr().Get() == UsdMedia.Tokens.onceFromStart
    assert audio.GetAuralModeAttr().Get() == UsdMedia.Tokens.nonSpatial


def test_usdz_packs_wav_speech_and_skips_flac(tmp_path):
    import zipfile

    animation = random_animation()
    for name, packed in (("speech.wav", True), ("speech.flac", False)):
        with_audio = FaceAnimation(animation.fps, animation.weights, animation.channel_names,
                                   audio_path=speech_file(tmp_path, name))
        path = export_usd(with_audio, tmp_path / f"{name}.usdz", grid_mesh())
        assert any(n.endswith(name) for n in zipfile.ZipFile(path).namelist()) == packed
        assert Usd.Stage.Open(str(path)).GetPrimAtPath("/Head/Speech").IsValid() == packed


def test_no_audio_prim_without_audio(tmp_path):
    stage = Usd.Stage.Open(str(export_usd(random_animation(), tmp_path / "take.usda", grid_mesh())))
    assert not stage.GetPrimAtPath("/Head/Speech").IsValid()


def test_a_usdc_with_speech_is_written_without_a_crate_upgrade_warning(tmp_path, capfd):
    speech = speech_file(tmp_path, "speech.wav")
    animation = random_animation()
    animation = FaceAnimation(animation.fps, animation.weights, animation.channel_names, audio_path=speech)
    path = export_usd(animation, tmp_path / "take.usdc", grid_mesh())
    assert capfd.readouterr().err == ""  # USD printed "Upgrading crate file <.take.….tmp.usdc>" on every write
    assert UsdMedia.SpatialAudio(Usd.Stage.Open(str(path)).GetPrimAtPath("/Head/Speech")).GetFilePathAttr().Get()


def test_a_full_disk_is_one_line_naming_the_output_and_leaves_nothing(tmp_path, monkeypatch):
    import errno

    from pxr import Tf

    def fill_the_disk(file, *args):
        Path(file).write_bytes(b"partial")
        raise Tf.ErrorException("\n" + "\tError in 'Write' at line 78 in file f.cpp : 'Error occurred writing file: "
                                "No space left on device'\n" * 3000)

    monkeypatch.setattr("facemotion.exporters.usd._write_stage", fill_the_disk)
    for suffix in (".usda", ".usdc", ".usdz"):
        with pytest.raises(OSError, match=f"No space left on device: cannot write .*take{suffix}$") as error:
            export_usd(random_animation(), tmp_path / f"take{suffix}", grid_mesh())
        assert error.value.errno == errno.ENOSPC and "\n" not in str(error.value)
    assert os.listdir(tmp_path) == []


def test_a_usdz_cut_short_is_an_error_not_a_file(tmp_path, monkeypatch):
    def truncated_package(layer, package):  # USD reports success for a package a full disk cut short
        Path(package).write_bytes(b"PK\x03\x04 cut short")
        return True

    monkeypatch.setattr("facemotion.exporters.usd.UsdUtils.CreateNewUsdzPackage", truncated_package)
    with pytest.raises(OSError, match="could not package .*take.usdz"):
        export_usd(random_animation(), tmp_path / "take.usdz", grid_mesh())
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------------------- head and eye rotations


def joint_angles(stage, t):
    """(head (3,), eyes (2, 2)) degrees of the joints' local rotations at frame t, as UsdSkel computes them."""
    cache = UsdSkel.Cache()
    cache.Populate(UsdSkel.Root(stage.GetDefaultPrim()), Usd.PrimDefaultPredicate)
    query = cache.GetSkelQuery(UsdSkel.Skeleton(stage.GetPrimAtPath("/Head/Skeleton")))
    assert list(query.GetJointOrder()) == ["Neck", "Neck/LeftEye", "Neck/RightEye"]
    quats = [m.ExtractRotationQuat() for m in query.ComputeJointLocalTransforms(Usd.TimeCode(t))]
    angles = rotation_angles(Rotation.from_quat([[*q.GetImaginary(), q.GetReal()] for q in quats]))
    assert np.abs(angles[1:, 2]).max() < 1e-3  # eyes do not roll
    return angles[0], angles[1:, :2]


def posed(mesh, animation, joints, t):
    """(V, 3) the blendshape pose of frame t, eyes and head turned by ``joints``."""
    rest = mesh.neutral + np.einsum("k,kvc->vc", animation.weights[t], mesh.deltas)
    return joints.pose(rest[None], animation.head_rotation[t:t + 1], animation.eye_rotation[t:t + 1])[0]


@pytest.mark.parametrize("suffix", [".usda", ".usdc", ".usdz"])
def test_joint_rotations_read_back_through_usdskel(tmp_path, suffix, turning, grid_joints):
    mesh, animation = grid_mesh(), turning(random_animation(frames=6))
    stage = Usd.Stage.Open(str(export_usd(animation, tmp_path / f"head{suffix}", mesh, joints=grid_joints(mesh))))
    for t in range(animation.n_frames):
        head, eyes = joint_angles(stage, t)
        np.testing.assert_allclose(head, animation.head_rotation[t], atol=1e-3)  # degrees; asked: 0.1
        np.testing.assert_allclose(eyes, animation.eye_rotation[t], atol=1e-3)


@pytest.mark.parametrize("units", ["m", "cm"])
def test_usdskel_skinning_turns_the_default_head_as_facemotion_does(tmp_path, units, turning):
    """UsdSkel.BakeSkinning (blendshapes, then the rigid joint binding) gives facemotion's posed vertices."""
    from facemotion.face_models.arkit import ARKitRig

    rig = ARKitRig.default()
    mesh, animation, scale = rig.mesh, turning(random_animation(frames=3)), {"m": 1.0, "cm": 100.0}[units]
    path = export_usd(animation, tmp_path / "head.usdc", mesh, scale=scale)  # the default head: eyes found
    stage = Usd.Stage.Open(Usd.Stage.Open(str(path)).Flatten())
    face = UsdSkel.BindingAPI(stage.GetPrimAtPath("/Head/Face"))
    assert np.bincount(np.array(face.GetJointIndicesPrimvar().Get())).tolist() == [mesh.n_vertices - 3140, 1570, 1570]
    assert UsdSkel.BakeSkinning(stage.Traverse())
    points = UsdGeom.Mesh(stage.GetPrimAtPath("/Head/Face")).GetPointsAttr()
    joints = HeadJoints.from_rig(rig)
    for t in range(animation.n_frames):
        np.testing.assert_allclose(np.array(points.Get(Usd.TimeCode(t))) / scale, posed(mesh, animation, joints, t),
                                   atol=1e-6)


def test_point_cache_turns_the_mesh_by_xform_ops_and_the_eyes_in_its_points(tmp_path, turning, grid_joints):
    mesh, animation = grid_mesh(), turning(random_animation(frames=4))
    joints = grid_joints(mesh)
    path = export_usd(animation, tmp_path / "cache.usda", mesh, point_cache=True, scale=100.0, joints=joints)
    stage = Usd.Stage.Open(str(path))
    face = UsdGeom.Mesh(stage.GetPrimAtPath("/Head/Face"))
    ops = [op.GetOpName() for op in face.GetOrderedXformOps()]
    assert ops == ["xformOp:translate:pivot", "xformOp:rotateZXY", "!invert!xformOp:translate:pivot"]
    for t in range(animation.n_frames):
        matrix = np.array(face.ComputeLocalToWorldTransform(Usd.TimeCode(t)))  # row vectors
        np.testing.assert_allclose(rotation_angles(Rotation.from_matrix(matrix[:3, :3].T))[0],
                                   animation.head_rotation[t], atol=1e-3)
        points = np.array(face.GetPointsAttr().Get(Usd.TimeCode(t)))
        world = (points @ matrix[:3, :3] + matrix[3, :3]) / 100.0
        np.testing.assert_allclose(world, posed(mesh, animation, joints, t), atol=1e-7)
        for e, ids in enumerate(joints.eye_vertex_ids):  # the eyes' rotation, read from the points alone
            rest = mesh.neutral + np.einsum("k,kvc->vc", animation.weights[t], mesh.deltas)
            centre = joints.eye_centres[e]
            turned, _ = Rotation.align_vectors(points[ids] / 100.0 - centre, rest[ids] - centre)
            np.testing.assert_allclose(rotation_angles(turned)[0, :2], animation.eye_rotation[t, e], atol=1e-3)


def test_a_take_without_rotations_has_no_joints_and_no_xform_ops(tmp_path):
    mesh, animation = grid_mesh(), random_animation()
    stage = Usd.Stage.Open(str(export_usd(animation, tmp_path / "head.usda", mesh)))
    assert list(UsdSkel.Skeleton(stage.GetPrimAtPath("/Head/Skeleton")).GetJointsAttr().Get()) == []
    assert not stage.GetPrimAtPath("/Head/Face").GetAttribute("primvars:skel:jointIndices").HasAuthoredValue()
    cache = Usd.Stage.Open(str(export_usd(animation, tmp_path / "cache.usda", mesh, point_cache=True)))
    assert UsdGeom.Mesh(cache.GetPrimAtPath("/Head/Face")).GetOrderedXformOps() == []


def test_eye_rotations_on_a_mesh_without_eyeballs_warn_and_the_head_still_turns(tmp_path, turning):
    mesh, animation = grid_mesh(), turning(random_animation(frames=2))
    with pytest.warns(UserWarning, match="eye rotations are not written"):
        stage = Usd.Stage.Open(str(export_usd(animation, tmp_path / "head.usda", mesh)))
    assert list(UsdSkel.Skeleton(stage.GetPrimAtPath("/Head/Skeleton")).GetJointsAttr().Get()) == ["Neck"]


def test_usd_validators_report_nothing_with_joints(tmp_path, turning, grid_joints):
    validation = pytest.importorskip("pxr.UsdValidation")
    mesh = grid_mesh()
    path = export_usd(turning(random_animation()), tmp_path / "head.usda", mesh, joints=grid_joints(mesh))
    validators = validation.ValidationRegistry().GetOrLoadAllValidators()
    errors = validation.ValidationContext(validators).Validate(Usd.Stage.Open(str(path)))
    assert [error.GetMessage() for error in errors] == []
