"""Exporters: one module per file format, chosen by the output file's suffix.

Each format module has an ``export_<fmt>(animation, path, ...)`` function; :data:`EXPORTERS` maps a suffix
to it and :func:`export` dispatches on it (the layout of trimesh's ``exchange`` package). The USD and glTF
modules (and so ``pxr`` and ``pygltflib``) load when a file of their format is first written (PEP 562).
"""

import os
from collections.abc import Callable
from importlib import import_module
from pathlib import Path

from facemotion.animation import FaceAnimation
from facemotion.exporters.atomic import check_writable
from facemotion.exporters.fbx import BlenderError, BlenderNotFoundError, export_fbx, find_blender_python
from facemotion.exporters.json_curves import export_json_curves, read_json_curves
from facemotion.exporters.livelink_csv import export_livelink_csv, read_livelink_csv
from facemotion.exporters.npz import export_npz, read_npz
from facemotion.exporters.options import ExportOptions

__all__ = [
    "EXPORTERS", "SUPPORTED_FORMATS", "BlenderError", "BlenderNotFoundError", "ExportOptions", "check_output_path",
    "export", "export_fbx", "export_gltf",
    "export_json_curves", "export_livelink_csv", "export_npz", "export_usd", "read_json_curves",
    "read_livelink_csv", "read_npz",
]


Exporter = Callable[[FaceAnimation, Path, ExportOptions], Path]

_LAZY = {"export_gltf": "facemotion.exporters.gltf", "export_usd": "facemotion.exporters.usd"}
"""Exporters whose modules load on first use: they import USD (``pxr``) and ``pygltflib``."""


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def _usd(animation: FaceAnimation, path: Path, options: ExportOptions) -> Path:
    from facemotion.exporters.usd import export_usd

    return export_usd(animation, path, options.head(), scale=options.scale, point_cache=options.point_cache)


def _gltf(animation: FaceAnimation, path: Path, options: ExportOptions) -> Path:
    if options.units != "m":
        raise ValueError("glTF is in metres by specification (glTF 2.0, 3.4); write it with units='m'")
    from facemotion.exporters.gltf import export_gltf

    return export_gltf(animation, path, options.head())


EXPORTERS: dict[str, Exporter] = {
    ".usda": _usd,
    ".usdc": _usd,
    ".usdz": _usd,
    ".glb": _gltf,
    ".gltf": _gltf,
    ".fbx": lambda animation, path, options: export_fbx(animation, path, options.head(), scale=options.scale),
    ".csv": lambda animation, path, options: export_livelink_csv(animation, path),
    ".npz": lambda animation, path, options: export_npz(animation, path),
    ".json": lambda animation, path, options: export_json_curves(animation, path),
}
"""Exporter of each lower-case suffix: ``(animation, path, options) -> path``."""

SUPPORTED_FORMATS: tuple[str, ...] = tuple(EXPORTERS)
"""Suffixes :func:`export` writes: ``.usda .usdc .usdz`` (UsdSkel), ``.glb .gltf`` (glTF 2.0), ``.fbx``
(through Blender), ``.csv``
(Live Link Face), ``.npz`` (FaceAnimation), ``.json`` (per-channel curves)."""


def export(
    animation: FaceAnimation, path: str | os.PathLike, options: ExportOptions = ExportOptions()
) -> Path:
    """Write an animation in the format its suffix names (case-insensitive).

    - ``.usda`` / ``.usdc`` / ``.usdz``: a UsdSkel stage with the head and its blendshape animation
      (:func:`export_usd`), on ``options.head()``;
    - ``.glb`` / ``.gltf``: glTF 2.0 with the head, its morph targets and a weights animation
      (:func:`export_gltf`), metres only;
    - ``.fbx``: the head with 52 shape keys keyed at every frame, written by Blender (:func:`export_fbx`;
      needs ``make blender-env`` or ``FACEMOTION_BLENDER_PYTHON``);
    - ``.csv``: a Live Link Face take (:func:`export_livelink_csv`), ARKit-52 channels only;
    - ``.npz``: the whole :class:`FaceAnimation` (:func:`export_npz`);
    - ``.json``: per-channel keyframes for DCC scripts (:func:`export_json_curves`).

    Head and eye rotations (:attr:`FaceAnimation.head_rotation`, :attr:`~FaceAnimation.eye_rotation`, degrees)
    go into every format: joint rotations (USD, glTF, FBX; a transform in a USD point cache), normalised
    columns (Live Link Face CSV), angle curves (JSON) or arrays (NPZ), with one convention
    (:mod:`facemotion.exporters.head_pose`). A take without them is written as before.

    The file appears only when complete; a failed export leaves nothing behind.

    Args:
        animation: weights (T, C) float32 in [0, 1] at ``animation.fps``.
        path: the output file; its folder must exist.
        options: the head, units and USD flavour (:class:`ExportOptions`); each format reads what it supports.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        TypeError: for an ``animation`` that is not a :class:`FaceAnimation`, a path that is not a str or
            os.PathLike, or ``options`` that are not :class:`ExportOptions`.
        ValueError: for a suffix outside :data:`SUPPORTED_FORMATS`, an animation without frames, or what
            the format's exporter rejects.
        FileNotFoundError, PermissionError: the output folder is missing or not writable.
        OSError: the disk is full (one line naming ``path``; nothing is left behind).
    """
    if not isinstance(animation, FaceAnimation):
        raise TypeError(f"animation must be a FaceAnimation, got {type(animation).__name__}")
    if not isinstance(options, ExportOptions):
        raise TypeError(f"options must be ExportOptions, got {type(options).__name__}")
    path = _output_path(path)
    exporter = _exporter_for(path)
    if animation.n_frames == 0:
        raise ValueError("the animation has no frames: nothing to export")
    return exporter(animation, path, options)


def check_output_path(path: str | os.PathLike) -> Path:
    """Check, before any work, that :func:`export` can write ``path``; leaves nothing behind.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        TypeError: for a path that is not a str or os.PathLike.
        ValueError: for a suffix outside :data:`SUPPORTED_FORMATS`.
        FileNotFoundError, IsADirectoryError, PermissionError: the output folder is missing, ``path`` is a
            folder, the folder is not writable, or ``path`` is a file that cannot be replaced.
        BlenderNotFoundError: ``path`` is an ``.fbx`` and no Python that can ``import bpy`` is set up.
    """
    path = _output_path(path)
    _exporter_for(path)
    check_writable(path)
    if path.suffix.lower() == ".fbx":
        find_blender_python()
    return path


def _output_path(path: str | os.PathLike) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"the output path must be a str or os.PathLike, got {type(path).__name__}")
    return Path(path)


def _exporter_for(path: Path) -> Exporter:
    exporter = EXPORTERS.get(path.suffix.lower())
    if exporter is None:
        raise ValueError(f"cannot export {path.name!r}: supported formats are {', '.join(SUPPORTED_FORMATS)}")
    return exporter
