"""Exporters: one module per file format, chosen by the output file's suffix.

Each format module has an ``export_<fmt>(animation, path, ...)`` function; :data:`EXPORTERS` maps a suffix
to it and :func:`export` dispatches on it (the layout of trimesh's ``exchange`` package).
"""

import os
from collections.abc import Callable
from pathlib import Path

from facemotion.animation import FaceAnimation
from facemotion.exporters.atomic import check_writable
from facemotion.exporters.livelink_csv import export_livelink_csv, read_livelink_csv
from facemotion.exporters.npz import export_npz, read_npz
from facemotion.exporters.usd import export_usd
from facemotion.face_models.base import BlendshapeMesh

__all__ = [
    "EXPORTERS", "SUPPORTED_FORMATS", "check_output_path", "export", "export_livelink_csv", "export_npz",
    "export_usd", "read_livelink_csv", "read_npz",
]


def _export_usd(animation: FaceAnimation, path: Path, mesh: BlendshapeMesh | None) -> Path:
    """:func:`export_usd` on ``mesh``, or on the default head when ``mesh`` is None."""
    if mesh is None:
        from facemotion.face_models.arkit import ARKitRig

        mesh = ARKitRig.default().mesh
    return export_usd(animation, path, mesh)


EXPORTERS: dict[str, Callable[[FaceAnimation, Path, BlendshapeMesh | None], Path]] = {
    ".usda": _export_usd,
    ".usdc": _export_usd,
    ".usdz": _export_usd,
    ".csv": lambda animation, path, mesh: export_livelink_csv(animation, path),
    ".npz": lambda animation, path, mesh: export_npz(animation, path),
}
"""Exporter of each lower-case suffix: ``(animation, path, mesh) -> path``; only USD uses the mesh."""

SUPPORTED_FORMATS: tuple[str, ...] = tuple(EXPORTERS)
"""Suffixes :func:`export` writes: ``.usda .usdc .usdz`` (UsdSkel), ``.csv`` (Live Link Face), ``.npz``."""


def export(animation: FaceAnimation, path: str | os.PathLike, *, mesh: BlendshapeMesh | None = None) -> Path:
    """Write an animation in the format its suffix names (case-insensitive).

    - ``.usda`` / ``.usdc`` / ``.usdz``: a UsdSkel stage with the head and its blendshape animation
      (:func:`export_usd`), on ``mesh`` or, when None, the default head ``ARKitRig.default().mesh``;
    - ``.csv``: a Live Link Face take (:func:`export_livelink_csv`), ARKit-52 channels only;
    - ``.npz``: the whole :class:`FaceAnimation` (:func:`export_npz`).

    The file appears only when complete; a failed export leaves nothing behind.

    Args:
        animation: weights (T, C) float32 in [0, 1] at ``animation.fps``.
        path: the output file; its folder must exist.
        mesh: the head for USD (neutral (V, 3) float32 metres, deltas (K, V, 3)); other formats ignore it.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: for a suffix outside :data:`SUPPORTED_FORMATS`, or what the format's exporter rejects.
        FileNotFoundError, PermissionError: the output folder is missing or not writable.
    """
    path = Path(path)
    return _exporter_for(path)(animation, path, mesh)


def check_output_path(path: str | os.PathLike) -> Path:
    """Check, before any work, that :func:`export` can write ``path``; leaves nothing behind.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: for a suffix outside :data:`SUPPORTED_FORMATS`.
        FileNotFoundError, IsADirectoryError, PermissionError: the output folder is missing, ``path`` is a
            folder, or the folder is not writable.
    """
    path = Path(path)
    _exporter_for(path)
    check_writable(path)
    return path


def _exporter_for(path: Path) -> Callable[[FaceAnimation, Path, BlendshapeMesh | None], Path]:
    exporter = EXPORTERS.get(path.suffix.lower())
    if exporter is None:
        raise ValueError(f"cannot export {path.name!r}: supported formats are {', '.join(SUPPORTED_FORMATS)}")
    return exporter
