"""A user's USD character (``.usd``/``.usda``/``.usdc``): read its UsdSkel blend shapes, animate them in a new stage.

Reading (OpenUSD UsdSkel documentation, "Schemas: BlendShape" and "Binding"): every ``Mesh`` prim with a
non-empty ``skel:blendShapes`` is a blendshape mesh; those tokens are its target names (the names a
``SkelAnimation``'s ``blendShapes`` are matched against, whatever its ``BlendShape`` prims are called).

Writing: the character file is never modified. The output is a new layer that sublayers it (asset path
relative to the output's folder) and adds, for every Skeleton that a mesh with mapped targets is bound to::

    <Skeleton>                      over: skel:animationSource -> <Skeleton>/<take>
        <take>                      SkelAnimation: blendShapes = the mapped targets of its meshes,
                                    time-sampled blendShapeWeights, one sample per frame at time code t

This is the UsdSkel way to animate blend shapes: weights live on a SkelAnimation bound to the Skeleton
(``skel:animationSource``), and each mesh picks its own shapes from it by name. When the Skeleton already
had an animation source, the new SkelAnimation internally references it, so its joint animation (joints,
translations, rotations, scales) is kept while its blend shape weights are replaced; blend shapes it drove
that the mapping does not drive get weight 0 (UsdSkel's value for a shape missing from the animation). A
blendshape mesh bound to no Skeleton gets a joint-less Skeleton ``FacemotionSkeleton`` under its SkelRoot,
bound with ``skel:skeleton`` (UsdSkel evaluates blend shapes only beneath a SkelRoot with a bound Skeleton).

Stage metadata of the new layer: ``timeCodesPerSecond = framesPerSecond = fps``, ``startTimeCode = 0``,
``endTimeCode = T - 1``; ``upAxis``, ``metersPerUnit`` and ``defaultPrim`` copied from the character's root
layer when it authors them (stage metadata is read from the root layer only). USD scales the sublayer's
time codes by the ratio of the two ``timeCodesPerSecond``, so animation already in the character keeps its
timing in seconds.
"""

import os
from pathlib import Path

import numpy as np
from pxr import Sdf, Tf, Usd, UsdGeom, UsdSkel, Vt

from facemotion.exporters.atomic import atomic_output
from facemotion.retarget.characters import USD_CHARACTER_SUFFIXES, Character, CharacterMesh

SKELETON_NAME = "FacemotionSkeleton"
"""Name of the Skeleton added under the SkelRoot of a blendshape mesh that is bound to none."""


def read_usd_character(path: str | os.PathLike) -> Character:
    """The blendshape meshes of a USD character.

    Args:
        path: a ``.usd``, ``.usda`` or ``.usdc`` file.

    Returns:
        A :class:`Character` with one :class:`CharacterMesh` per ``Mesh`` prim with ``skel:blendShapes``
        (``name`` and ``key``: the prim path).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: USD cannot open the file, or it has no ``Mesh`` ("no mesh") or no mesh with blend
            shapes ("no blendshapes").
    """
    path = Path(path)
    stage = _open(path)
    meshes = [prim for prim in stage.Traverse() if prim.IsA(UsdGeom.Mesh)]
    if not meshes:
        raise ValueError(f"{path}: the character has no mesh")
    found = []
    for prim in meshes:
        names = UsdSkel.BindingAPI(prim).GetBlendShapesAttr().Get()
        if names:
            found.append(CharacterMesh(name=str(prim.GetPath()), targets=tuple(names), key=str(prim.GetPath())))
    if not found:
        raise ValueError(
            f"{path}: the character's meshes have no blendshapes (skel:blendShapes); animating a mesh without "
            "blendshapes needs deformation transfer, a later step"
        )
    return Character(path=path, format="usd", meshes=tuple(found))


def write_usd_character(
    character_path: str | os.PathLike,
    output_path: str | os.PathLike,
    targets: dict[str, np.ndarray],
    fps: float,
    take: str,
) -> Path:
    """Write a stage that sublayers the character and binds a SkelAnimation with the target weights.

    Args:
        character_path: the USD character.
        output_path: ``.usd``/``.usda``/``.usdc`` to write, not the character itself; its folder must exist.
        targets: target name -> (T,) float32 weights in [0, 1]; every mesh with a blend shape of that name
            follows the curve. All curves have the same T >= 1.
        fps: frames per second, > 0; frame ``t`` is the sample at time code ``t``.
        take: name of the new SkelAnimation prims (made a valid identifier, suffixed when taken).

    Returns:
        ``output_path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: for another output suffix, no mesh with one of ``targets``, a blendshape mesh outside
            any SkelRoot, or a Skeleton inside an instance (not editable).
        FileNotFoundError, PermissionError: the output folder is missing or not writable.
        pxr.Tf.ErrorException: USD could not write the layer.
    """
    character_path, output_path = Path(character_path), Path(output_path)
    if output_path.suffix.lower() not in USD_CHARACTER_SUFFIXES:
        raise ValueError(f"a USD character is written as one of {USD_CHARACTER_SUFFIXES}, got {output_path.name!r}")
    source = _open(character_path)
    groups = _skeleton_groups(source, character_path, targets)
    n_frames = len(next(iter(targets.values())))

    with atomic_output(output_path) as tmp:
        stage = Usd.Stage.CreateNew(str(tmp))
        layer = stage.GetRootLayer()
        layer.subLayerPaths.append(_relative_asset_path(character_path, output_path.parent))
        _copy_stage_metadata(source, stage)
        stage.SetTimeCodesPerSecond(fps)
        stage.SetFramesPerSecond(fps)
        stage.SetStartTimeCode(0)
        stage.SetEndTimeCode(n_frames - 1)
        for skeleton_path, (meshes, names) in groups.items():
            skeleton = UsdSkel.Skeleton(stage.GetPrimAtPath(skeleton_path))
            if not skeleton:
                skeleton = UsdSkel.Skeleton.Define(stage, skeleton_path)
                skeleton.CreateJointsAttr(Vt.TokenArray())
                for mesh in meshes:
                    UsdSkel.BindingAPI.Apply(stage.GetPrimAtPath(mesh)).CreateSkeletonRel().SetTargets([skeleton_path])
            _bind_animation(stage, skeleton, names, targets, take)
        stage.Save()
    return output_path


def _open(path: Path) -> Usd.Stage:
    if not path.is_file():
        raise FileNotFoundError(f"no such character file: {path}")
    try:
        return Usd.Stage.Open(str(path))
    except Tf.ErrorException as error:
        raise ValueError(f"USD cannot open {path}: {str(error).strip().splitlines()[-1]}") from None


def _skeleton_groups(
    stage: Usd.Stage, path: Path, targets: dict[str, np.ndarray]
) -> dict[Sdf.Path, tuple[list[Sdf.Path], list[str]]]:
    """Skeleton path -> (its blendshape meshes with mapped targets, their mapped target names, each once)."""
    groups: dict[Sdf.Path, tuple[list[Sdf.Path], list[str]]] = {}
    added: dict[Sdf.Path, Sdf.Path] = {}  # SkelRoot -> the Skeleton added under it
    for prim in stage.Traverse():
        if not prim.IsA(UsdGeom.Mesh):
            continue
        binding = UsdSkel.BindingAPI(prim)
        mapped = [name for name in binding.GetBlendShapesAttr().Get() or [] if name in targets]
        if not mapped:
            continue
        skeleton = binding.GetInheritedSkeleton()
        if skeleton:
            if skeleton.GetPrim().IsInstanceProxy():
                raise ValueError(f"{path}: the Skeleton {skeleton.GetPath()} of {prim.GetPath()} lies in an instance")
            skeleton_path = skeleton.GetPath()
        else:
            root = UsdSkel.Root.Find(prim)
            if not root:
                raise ValueError(
                    f"{path}: the mesh {prim.GetPath()} has blend shapes but is not under a SkelRoot; UsdSkel "
                    "evaluates blend shapes only beneath one"
                )
            if root.GetPath() not in added:
                added[root.GetPath()] = _free_child(stage, root.GetPath(), SKELETON_NAME, taken=groups)
            skeleton_path = added[root.GetPath()]
        meshes, names = groups.setdefault(skeleton_path, ([], []))
        meshes.append(prim.GetPath())
        names += [name for name in mapped if name not in names]
    if not groups:
        raise ValueError(f"{path}: no mesh has a blend shape among {sorted(targets)}")
    return groups


def _free_child(stage: Usd.Stage, parent: Sdf.Path, name: str, taken=()) -> Sdf.Path:
    """``parent/name``, or ``parent/name_1``, ... when a prim of that name exists (or is in ``taken``)."""
    name = Tf.MakeValidIdentifier(name)
    candidate, n = parent.AppendChild(name), 0
    while stage.GetPrimAtPath(candidate) or candidate in taken:
        n += 1
        candidate = parent.AppendChild(f"{name}_{n}")
    return candidate


def _bind_animation(
    stage: Usd.Stage, skeleton: UsdSkel.Skeleton, names: list[str], targets: dict[str, np.ndarray], take: str
) -> None:
    """Define ``<skeleton>/<take>`` with the weights of ``names`` and make it the skeleton's animation source."""
    binding = UsdSkel.BindingAPI(skeleton.GetPrim())
    previous = binding.GetInheritedAnimationSource()
    anim = UsdSkel.Animation.Define(stage, _free_child(stage, skeleton.GetPath(), take))
    if previous and previous.IsA(UsdSkel.Animation):
        anim.GetPrim().GetReferences().AddInternalReference(previous.GetPath())
    anim.CreateBlendShapesAttr(Vt.TokenArray(names))
    weights = np.stack([targets[name] for name in names], axis=1).astype(np.float32)
    samples = anim.CreateBlendShapeWeightsAttr()
    with Sdf.ChangeBlock():
        for t, row in enumerate(weights):
            samples.Set(Vt.FloatArray.FromNumpy(row), Usd.TimeCode(t))
    UsdSkel.BindingAPI.Apply(skeleton.GetPrim()).CreateAnimationSourceRel().SetTargets([anim.GetPath()])


def _copy_stage_metadata(source: Usd.Stage, stage: Usd.Stage) -> None:
    """upAxis, metersPerUnit and defaultPrim of the character's root layer, where it authors them."""
    if source.HasAuthoredMetadata(UsdGeom.Tokens.upAxis):
        UsdGeom.SetStageUpAxis(stage, UsdGeom.GetStageUpAxis(source))
    if source.HasAuthoredMetadata(UsdGeom.Tokens.metersPerUnit):
        UsdGeom.SetStageMetersPerUnit(stage, UsdGeom.GetStageMetersPerUnit(source))
    if source.GetRootLayer().HasDefaultPrim():
        stage.GetRootLayer().defaultPrim = source.GetRootLayer().defaultPrim


def _relative_asset_path(character: Path, folder: Path) -> str:
    """The character's path as the output layer should name it: ``./x.usda``, ``../a/x.usda``, or absolute."""
    try:
        relative = Path(os.path.relpath(character.resolve(), folder.resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return character.resolve().as_posix()
    return relative if relative.startswith("../") else f"./{relative}"
