"""USD export in the blend-shape layout of UsdSkel.

Layout (OpenUSD UsdSkel documentation, "Schemas" and the BlendShape example)::

    /Head                        SkelRoot, the default prim
        Face                     Mesh, SkelBindingAPI: skel:blendShapes, skel:blendShapeTargets, skel:skeleton
            <shape> ...          one BlendShape per mesh blendshape, sparse offsets (pointIndices)
        Skeleton                 Skeleton without joints, SkelBindingAPI: skel:animationSource
            Animation            SkelAnimation: blendShapes, time-sampled blendShapeWeights

        Speech                   SpatialAudio (UsdMedia) playing the animation's speech file from time code 0

A point cache (``point_cache=True``, for tools without UsdSkel blendshapes) writes instead a plain Mesh
``/Head/Face`` whose ``points`` are time-sampled, one evaluated pose per frame.

Head and eye rotations (:attr:`FaceAnimation.head_rotation`, :attr:`~FaceAnimation.eye_rotation`; conventions in
:mod:`facemotion.exporters.head_pose`), only for a take that has them (a take without is written as before):

- UsdSkel: the Skeleton gets the joints ``Neck`` (at the neck pivot; the head rotation) and ``Neck/LeftEye``,
  ``Neck/RightEye`` (at the eyeball centres; only with eye rotations on a head with eyeballs), ``bindTransforms``
  and ``restTransforms`` (translations only, the rest frame's axes); the Face mesh is bound rigidly
  (``primvars:skel:jointIndices``, one joint per vertex, weight 1: each eyeball to its eye, the rest to the head);
  the SkelAnimation lists the joints with constant ``translations`` (the rest ones) and ``scales`` (1) and
  time-sampled ``rotations`` (quatf, each joint's rotation relative to its parent, one sample per frame).
- point cache: the Face mesh gets the ops ``xformOp:translate:pivot`` (the neck pivot),
  ``xformOp:rotateZXY`` (time-sampled (pitch, yaw, roll) degrees: USD's rotateZXY turns about Z first, then X,
  then Y, which is ``Ry(yaw) @ Rx(pitch) @ Rz(roll)``) and ``!invert!xformOp:translate:pivot``; the eyeballs'
  rotations are in the time-sampled points (the eyeballs are part of the one mesh).

Stage metadata: ``upAxis = "Y"``, ``metersPerUnit = 1 / scale`` (1 for metres, 0.01 for centimetres),
``timeCodesPerSecond = framesPerSecond = fps``, ``startTimeCode = 0``, ``endTimeCode = T - 1``; frame ``t``
is the sample at time code ``t``.
"""

import errno
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from pxr import Gf, Sdf, Tf, Usd, UsdGeom, UsdMedia, UsdSkel, UsdUtils, Vt

from facemotion.animation import FaceAnimation
from facemotion.exporters.atomic import atomic_output
from facemotion.exporters.channels import mesh_weights
from facemotion.exporters.head_pose import HeadJoints, JointTracks, joint_tracks, writes_eyes
from facemotion.face_models.base import BlendshapeMesh

USD_SUFFIXES: tuple[str, ...] = (".usda", ".usdc", ".usdz")
"""File suffixes :func:`export_usd` writes: text, binary (crate) and zip package."""

USDZ_AUDIO_SUFFIXES: tuple[str, ...] = (".m4a", ".mp3", ".wav")
"""Audio files a ``.usdz`` package may hold (usdz specification, "Usdz Specification: Layout")."""


def export_usd(
    animation: FaceAnimation,
    path: str | os.PathLike,
    mesh: BlendshapeMesh,
    *,
    scale: float = 1.0,
    point_cache: bool = False,
    joints: HeadJoints | None = None,
) -> Path:
    """Write a head mesh with its blendshapes and the animation's weight curves as a UsdSkel stage.

    The format follows the suffix: ``.usda`` (text), ``.usdc`` (binary) or ``.usdz`` (a package holding
    one ``.usdc``, made by ``UsdUtils.CreateNewUsdzPackage``). The mesh is written in metres, +Y up; each
    blendshape becomes a BlendShape prim whose ``offsets`` hold only the vertices its delta moves (a shape
    that moves nothing, such as a missing ``tongueOut``, keeps one zero offset on vertex 0 so that every
    reader sees a valid sparse shape). Blendshape names that are not USD identifiers are made valid with
    ``Tf.MakeValidIdentifier``. The SkelAnimation lists the mesh's shapes in the mesh's order; a shape the
    animation has no channel for gets weight 0. The file appears only when complete (:func:`atomic_output`).

    When the animation has an ``audio_path`` that exists, a ``UsdMedia.SpatialAudio`` prim ``/Head/Speech``
    plays it once, non-spatial, from time code 0 (``playbackMode = onceFromStart`` with the fallback
    ``startTime`` 0; usdview and Omniverse play it with the face). No timecode value is authored, so a ``.usdc``
    is written as crate 0.8.0, the version USD writes by default, from the start (a timecode value would make USD
    upgrade the file to 0.9.0 with a warning on every write). The asset path is relative to the output folder
    when the speech file lies below it, absolute otherwise. A ``.usdz`` packs the speech file only when it is
    ``.wav``, ``.mp3`` or ``.m4a`` (the audio formats the usdz specification allows); other formats get no audio
    prim in a ``.usdz``.

    Args:
        animation: T >= 1 frames of weights (T, C) float32 in [0, 1] at ``animation.fps``.
        path: output file ending in ``.usda``, ``.usdc`` or ``.usdz``.
        mesh: the head: neutral (V, 3) float32 metres, faces (F, 3) int64, deltas (K, V, 3) float32 metres.
        scale: file units per metre (1 for metres, 100 for centimetres), > 0.
        point_cache: write time-sampled points (``T * V * 12`` bytes) instead of blendshapes.
        joints: where the head and eyes turn (neck pivot, eyeballs) for a take with rotations; None takes
            :meth:`HeadJoints.for_mesh` (the default head's eyeballs, or no eyes on another mesh: its eye
            rotations are then dropped with a warning).

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: for another suffix, an animation without frames, channels the mesh has no blendshape
            for (named in the message), or blendshape names that clash once made valid identifiers.
        FileNotFoundError, PermissionError: the output folder is missing or not writable.
        OSError: USD could not write the layer or package the ``.usdz``: one line naming ``path``, with
            ``errno.ENOSPC`` when the disk is full (USD's own error list, thousands of lines then, is dropped).
    """
    path = Path(path)
    if path.suffix.lower() not in USD_SUFFIXES:
        raise ValueError(f"USD output must end in one of {USD_SUFFIXES}, got {path.name!r}")
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    weights = mesh_weights(animation, mesh)
    shape_names = [Tf.MakeValidIdentifier(name) for name in mesh.names]
    if len(set(shape_names)) != len(shape_names):
        raise ValueError(f"blendshape names clash once made USD identifiers: {shape_names}")

    audio = _audio_asset(animation, path)
    with atomic_output(path) as tmp:
        try:
            if path.suffix.lower() == ".usdz":
                with tempfile.TemporaryDirectory() as folder:
                    layer = Path(folder) / f"{path.stem}.usdc"
                    _write_stage(layer, mesh, shape_names, weights, animation, scale, point_cache, audio, joints)
                    _package_usdz(layer, tmp, path)
            else:
                _write_stage(tmp, mesh, shape_names, weights, animation, scale, point_cache, audio, joints)
        except Tf.ErrorException as error:
            raise _write_error(error, path) from None
    return path


def _package_usdz(layer: Path, tmp: Path, path: Path) -> None:
    """Package ``layer`` (and the assets it names) beside it, check the zip, then copy it onto ``tmp``.

    USD reports success for a package cut short by a full disk, so the package is made in the layer's folder,
    read back whole (:meth:`zipfile.ZipFile.testzip`), and copied by Python, whose writes raise ``ENOSPC``.
    """
    package = layer.with_suffix(".usdz")
    if not UsdUtils.CreateNewUsdzPackage(str(layer), str(package)):
        raise OSError(errno.EIO, f"USD could not package {path}")
    try:
        with zipfile.ZipFile(package) as archive:
            broken = archive.testzip()
    except (zipfile.BadZipFile, OSError):
        broken = package.name
    if broken is not None:
        raise OSError(errno.EIO, f"USD could not package {path}: {broken} is incomplete (is the disk full?)")
    shutil.copyfile(package, tmp)


def _write_error(error: Tf.ErrorException, path: Path) -> OSError:
    """One line for a failed USD write: the first message of USD's error list, ``ENOSPC`` for a full disk."""
    messages = re.findall(r" : '(.*)'$", str(error), re.MULTILINE) or [str(error).strip() or "unknown error"]
    if any("No space left on device" in m for m in messages):
        return OSError(errno.ENOSPC, f"No space left on device: USD could not write {path}")
    return OSError(errno.EIO, f"USD could not write {path}: {messages[0]}")


def _audio_asset(animation: FaceAnimation, path: Path) -> str | None:
    """The asset path of the speech file as the stage at ``path`` should reference it, or None."""
    speech = animation.audio_path
    if speech is None or not Path(speech).is_file():
        return None
    speech = Path(speech).resolve()
    if path.suffix.lower() == ".usdz":
        return str(speech) if speech.suffix.lower() in USDZ_AUDIO_SUFFIXES else None
    try:
        return speech.relative_to(path.parent.resolve()).as_posix()
    except ValueError:
        return str(speech)


def _write_stage(
    file: Path,
    mesh: BlendshapeMesh,
    shape_names: list[str],
    weights: np.ndarray,
    animation: FaceAnimation,
    scale: float,
    point_cache: bool,
    audio: str | None,
    joints: HeadJoints | None,
) -> None:
    """Create the stage of :func:`export_usd` at ``file``; weights (T, K) follow ``shape_names``."""
    stage = Usd.Stage.CreateNew(str(file))
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0 / scale)
    stage.SetTimeCodesPerSecond(animation.fps)
    stage.SetFramesPerSecond(animation.fps)
    stage.SetStartTimeCode(0)
    stage.SetEndTimeCode(len(weights) - 1)

    root = (UsdGeom.Xform if point_cache else UsdSkel.Root).Define(stage, "/Head")
    stage.SetDefaultPrim(root.GetPrim())
    face = UsdGeom.Mesh.Define(stage, "/Head/Face")
    neutral = mesh.neutral * np.float32(scale)
    face.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(neutral))
    face.CreateExtentAttr(Vt.Vec3fArray.FromNumpy(np.stack([neutral.min(0), neutral.max(0)])))
    face.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(mesh.faces), 3, np.int32)))
    face.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(mesh.faces.astype(np.int32).ravel()))
    face.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    if point_cache:
        _write_point_cache(face, mesh, weights, scale, animation, joints)
    else:
        tracks = joint_tracks(animation, mesh, joints)
        _write_blendshapes(stage, face, mesh, shape_names, weights, scale, tracks)
    if audio is not None:
        speech = UsdMedia.SpatialAudio.Define(stage, "/Head/Speech")
        speech.CreateFilePathAttr(Sdf.AssetPath(audio))
        speech.CreateAuralModeAttr(UsdMedia.Tokens.nonSpatial)
        speech.CreatePlaybackModeAttr(UsdMedia.Tokens.onceFromStart)
    stage.Save()


def _write_point_cache(
    face: UsdGeom.Mesh,
    mesh: BlendshapeMesh,
    weights: np.ndarray,
    scale: float,
    animation: FaceAnimation,
    joints: HeadJoints | None,
) -> None:
    """Time-sampled points, one pose per frame (eyeballs turned), evaluated frame by frame to bound memory; the
    head rotation as time-sampled xform ops about the neck pivot."""
    rotated = animation.head_rotation is not None or animation.eye_rotation is not None
    joints = HeadJoints.for_mesh(mesh) if joints is None and rotated else joints
    eyes = animation.eye_rotation if rotated and writes_eyes(animation, joints) else None
    points = face.GetPointsAttr()
    deltas = mesh.deltas.reshape(len(mesh.deltas), -1)
    with Sdf.ChangeBlock():
        for t, row in enumerate(weights):
            pose = mesh.neutral + (row @ deltas).reshape(-1, 3)
            if eyes is not None:
                pose = joints.pose(pose[None], eye_rotation=eyes[t:t + 1])[0]
            pose = pose * np.float32(scale)
            points.Set(Vt.Vec3fArray.FromNumpy(pose.astype(np.float32)), Usd.TimeCode(t))
    if animation.head_rotation is not None:
        _write_head_ops(face, joints.neck * scale, animation.head_rotation)


def _write_head_ops(face: UsdGeom.Mesh, pivot: np.ndarray, head_rotation: np.ndarray) -> None:
    """``translate:pivot``, time-sampled ``rotateZXY`` (pitch, yaw, roll) degrees, ``!invert!translate:pivot``."""
    xformable = UsdGeom.Xformable(face)
    xformable.AddTranslateOp(opSuffix="pivot").Set(Gf.Vec3d(*pivot.tolist()))
    rotate = xformable.AddRotateZXYOp()
    with Sdf.ChangeBlock():
        for t, angles in enumerate(head_rotation.tolist()):
            rotate.Set(Gf.Vec3f(*angles), Usd.TimeCode(t))
    xformable.AddTranslateOp(opSuffix="pivot", isInverseOp=True)


def _write_blendshapes(
    stage: Usd.Stage,
    face: UsdGeom.Mesh,
    mesh: BlendshapeMesh,
    shape_names: list[str],
    weights: np.ndarray,
    scale: float,
    tracks: JointTracks | None,
) -> None:
    """BlendShape prims, a Skeleton and a SkelAnimation with time-sampled weights, bound to ``face``; with
    ``tracks``, the head and eye joints too (:func:`_write_joints`)."""
    binding = UsdSkel.BindingAPI.Apply(face.GetPrim())
    binding.CreateBlendShapesAttr(Vt.TokenArray(shape_names))
    targets = []
    for name, delta in zip(shape_names, mesh.deltas):
        moved = np.flatnonzero(np.any(delta != 0, axis=1)).astype(np.int32)
        if len(moved) == 0:
            moved = np.zeros(1, np.int32)
        shape = UsdSkel.BlendShape.Define(stage, face.GetPath().AppendChild(name))
        shape.CreateOffsetsAttr(Vt.Vec3fArray.FromNumpy(np.ascontiguousarray(delta[moved] * np.float32(scale))))
        shape.CreatePointIndicesAttr(Vt.IntArray.FromNumpy(moved))
        targets.append(shape.GetPath())
    binding.CreateBlendShapeTargetsRel().SetTargets(targets)

    skeleton = UsdSkel.Skeleton.Define(stage, "/Head/Skeleton")
    skeleton.CreateJointsAttr(Vt.TokenArray())
    binding.CreateSkeletonRel().SetTargets([skeleton.GetPath()])
    anim = UsdSkel.Animation.Define(stage, "/Head/Skeleton/Animation")
    anim.CreateBlendShapesAttr(Vt.TokenArray(shape_names))
    samples = anim.CreateBlendShapeWeightsAttr()
    with Sdf.ChangeBlock():
        for t, row in enumerate(weights):
            samples.Set(Vt.FloatArray.FromNumpy(row), Usd.TimeCode(t))
    UsdSkel.BindingAPI.Apply(skeleton.GetPrim()).CreateAnimationSourceRel().SetTargets([anim.GetPath()])
    if tracks is not None:
        _write_joints(skeleton, anim, binding, tracks, scale)


def _write_joints(
    skeleton: UsdSkel.Skeleton, anim: UsdSkel.Animation, binding: UsdSkel.BindingAPI, tracks: JointTracks, scale: float
) -> None:
    """Joints, rest and bind transforms, the mesh's rigid joint binding and time-sampled joint rotations.

    ``Vt.QuatfArray.FromNumpy`` reads (x, y, z, w) rows: GfQuatf keeps its imaginary part first in memory, the
    order of scipy's quaternions.
    """
    paths: list[str] = []
    for name, parent in zip(tracks.names, tracks.parents):  # a joint's path names its ancestors (UsdSkel)
        paths.append(name if parent < 0 else f"{paths[parent]}/{name}")
    skeleton.CreateJointsAttr(Vt.TokenArray(paths))
    skeleton.CreateBindTransformsAttr(_translations(tracks.positions * scale))
    skeleton.CreateRestTransformsAttr(_translations(tracks.translations * scale))
    weights = np.ones(len(tracks.vertex_joints), np.float32)
    binding.CreateJointIndicesPrimvar(False, 1).Set(Vt.IntArray.FromNumpy(tracks.vertex_joints))
    binding.CreateJointWeightsPrimvar(False, 1).Set(Vt.FloatArray.FromNumpy(weights))
    binding.CreateGeomBindTransformAttr(Gf.Matrix4d(1.0))
    anim.CreateJointsAttr(Vt.TokenArray(paths))
    anim.CreateTranslationsAttr(Vt.Vec3fArray.FromNumpy((tracks.translations * scale).astype(np.float32)))
    anim.CreateScalesAttr(Vt.Vec3hArray.FromNumpy(np.ones((len(paths), 3), np.float16)))
    rotations = anim.CreateRotationsAttr()
    with Sdf.ChangeBlock():
        for t, frame in enumerate(tracks.rotations.astype(np.float32)):
            rotations.Set(Vt.QuatfArray.FromNumpy(frame), Usd.TimeCode(t))


def _translations(points: np.ndarray) -> Vt.Matrix4dArray:
    """One translation matrix per (3,) row of ``points``."""
    return Vt.Matrix4dArray([Gf.Matrix4d().SetTranslate(Gf.Vec3d(*point)) for point in points.tolist()])
