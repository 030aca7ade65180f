"""USD export in the blend-shape layout of UsdSkel.

Layout (OpenUSD UsdSkel documentation, "Schemas" and the BlendShape example)::

    /Head                        SkelRoot, the default prim
        Face                     Mesh, SkelBindingAPI: skel:blendShapes, skel:blendShapeTargets, skel:skeleton
            <shape> ...          one BlendShape per mesh blendshape, sparse offsets (pointIndices)
        Skeleton                 Skeleton without joints, SkelBindingAPI: skel:animationSource
            Animation            SkelAnimation: blendShapes, time-sampled blendShapeWeights

Stage metadata: ``upAxis = "Y"``, ``metersPerUnit = 1``, ``timeCodesPerSecond = framesPerSecond = fps``,
``startTimeCode = 0``, ``endTimeCode = T - 1``; frame ``t`` is the sample at time code ``t``.
"""

import os
import tempfile
from pathlib import Path

import numpy as np
from pxr import Sdf, Tf, Usd, UsdGeom, UsdSkel, UsdUtils, Vt

from facemotion.animation import FaceAnimation
from facemotion.exporters.atomic import atomic_output
from facemotion.face_models.base import BlendshapeMesh

USD_SUFFIXES: tuple[str, ...] = (".usda", ".usdc", ".usdz")
"""File suffixes :func:`export_usd` writes: text, binary (crate) and zip package."""


def export_usd(animation: FaceAnimation, path: str | os.PathLike, mesh: BlendshapeMesh) -> Path:
    """Write a head mesh with its blendshapes and the animation's weight curves as a UsdSkel stage.

    The format follows the suffix: ``.usda`` (text), ``.usdc`` (binary) or ``.usdz`` (a package holding
    one ``.usdc``, made by ``UsdUtils.CreateNewUsdzPackage``). The mesh is written in metres, +Y up; each
    blendshape becomes a BlendShape prim whose ``offsets`` hold only the vertices its delta moves (a shape
    that moves nothing, such as a missing ``tongueOut``, keeps one zero offset on vertex 0 so that every
    reader sees a valid sparse shape). Blendshape names that are not USD identifiers are made valid with
    ``Tf.MakeValidIdentifier``. The SkelAnimation lists the mesh's shapes in the mesh's order; a shape the
    animation has no channel for gets weight 0. The file appears only when complete (:func:`atomic_output`).

    Args:
        animation: T >= 1 frames of weights (T, C) float32 in [0, 1] at ``animation.fps``.
        path: output file ending in ``.usda``, ``.usdc`` or ``.usdz``.
        mesh: the head: neutral (V, 3) float32 metres, faces (F, 3) int64, deltas (K, V, 3) float32 metres.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: for another suffix, an animation without frames, channels the mesh has no blendshape
            for (named in the message), or blendshape names that clash once made valid identifiers.
        FileNotFoundError, PermissionError: the output folder is missing or not writable.
        OSError: USD could not package a ``.usdz``.
        pxr.Tf.ErrorException: USD could not write the layer.
    """
    path = Path(path)
    if path.suffix.lower() not in USD_SUFFIXES:
        raise ValueError(f"USD output must end in one of {USD_SUFFIXES}, got {path.name!r}")
    if animation.n_frames == 0:
        raise ValueError("the animation has no frames")
    missing = [name for name in animation.channel_names if name not in mesh.names]
    if missing:
        raise ValueError(f"the mesh has no blendshapes for the animation channels {missing}")
    shape_names = [Tf.MakeValidIdentifier(name) for name in mesh.names]
    if len(set(shape_names)) != len(shape_names):
        raise ValueError(f"blendshape names clash once made USD identifiers: {shape_names}")
    weights = np.zeros((animation.n_frames, len(mesh.names)), np.float32)
    weights[:, [mesh.names.index(name) for name in animation.channel_names]] = animation.weights

    with atomic_output(path) as tmp:
        if path.suffix.lower() == ".usdz":
            with tempfile.TemporaryDirectory() as folder:
                layer = Path(folder) / f"{path.stem}.usdc"
                _write_stage(layer, mesh, shape_names, weights, animation.fps)
                if not UsdUtils.CreateNewUsdzPackage(str(layer), str(tmp)):
                    raise OSError(f"USD could not package {path}")
        else:
            _write_stage(tmp, mesh, shape_names, weights, animation.fps)
    return path


def _write_stage(
    file: Path, mesh: BlendshapeMesh, shape_names: list[str], weights: np.ndarray, fps: float
) -> None:
    """Create the stage of :func:`export_usd` at ``file``; weights (T, K) follow ``shape_names``."""
    stage = Usd.Stage.CreateNew(str(file))
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
    UsdGeom.SetStageMetersPerUnit(stage, UsdGeom.LinearUnits.meters)
    stage.SetTimeCodesPerSecond(fps)
    stage.SetFramesPerSecond(fps)
    stage.SetStartTimeCode(0)
    stage.SetEndTimeCode(len(weights) - 1)

    root = UsdSkel.Root.Define(stage, "/Head")
    stage.SetDefaultPrim(root.GetPrim())
    face = UsdGeom.Mesh.Define(stage, "/Head/Face")
    face.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(mesh.neutral))
    face.CreateExtentAttr(Vt.Vec3fArray.FromNumpy(np.stack([mesh.neutral.min(0), mesh.neutral.max(0)])))
    face.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(mesh.faces), 3, np.int32)))
    face.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(mesh.faces.astype(np.int32).ravel()))
    face.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)

    binding = UsdSkel.BindingAPI.Apply(face.GetPrim())
    binding.CreateBlendShapesAttr(Vt.TokenArray(shape_names))
    targets = []
    for name, delta in zip(shape_names, mesh.deltas):
        moved = np.flatnonzero(np.any(delta != 0, axis=1)).astype(np.int32)
        if len(moved) == 0:
            moved = np.zeros(1, np.int32)
        shape = UsdSkel.BlendShape.Define(stage, face.GetPath().AppendChild(name))
        shape.CreateOffsetsAttr(Vt.Vec3fArray.FromNumpy(np.ascontiguousarray(delta[moved])))
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
    stage.Save()
