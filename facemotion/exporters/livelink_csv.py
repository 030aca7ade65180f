"""Live Link Face CSV: the take files of Epic's Live Link Face iOS app, read by Unreal's importer.

Layout: a header ``Timecode,BlendShapeCount,`` + the 52 ARKit names in PascalCase in the app's own order
(:data:`LIVELINK_BLENDSHAPES`, which swaps some left/right pairs of Apple's order) + 9 head and eye
rotations (:data:`LIVELINK_ROTATIONS`); then one row per frame: ``HH:MM:SS:FF.sss``, ``61``, 61 values
with 10 decimals.

Source of the column order: takes recorded by the app and published in public repositories, e.g.
``anim/S07-001.csv`` in ``alexdjulin/LiveLinkFace-CSV-Retarget-For-Motionbuilder`` (header and rows as the
app writes them), and the same header in the importers of ``nmfisher/blender_livelinkface``
(``LIVE_LINK_FACE_HEADER``); ``BlendShapeCount`` is 61 = 52 blendshapes + 9 rotations.
"""

import csv
import itertools
import math
import os
import re
from pathlib import Path

import numpy as np

from facemotion.animation import FaceAnimation
from facemotion.exporters.atomic import atomic_output
from facemotion.face_models.names import ARKIT_52, LIVELINK_BLENDSHAPES

LIVELINK_ROTATIONS: tuple[str, ...] = (
    "HeadYaw", "HeadPitch", "HeadRoll",
    "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
    "RightEyeYaw", "RightEyePitch", "RightEyeRoll",
)
"""The 9 rotation columns after the blendshapes; written as 0 (a FaceAnimation holds no rotations)."""

LIVELINK_HEADER: tuple[str, ...] = ("Timecode", "BlendShapeCount", *LIVELINK_BLENDSHAPES, *LIVELINK_ROTATIONS)
"""The 63 columns of a Live Link Face CSV, in the app's order."""

_TIMECODE = re.compile(r"\d+:\d\d:\d\d:\d+(\.\d+)?")


def export_livelink_csv(animation: FaceAnimation, path: str | os.PathLike) -> Path:
    """Write the animation as a Live Link Face CSV take.

    Columns follow :data:`LIVELINK_HEADER`; rotations are written as 0. Frame ``t`` starts at ``t / fps``
    seconds and gets the timecode ``HH:MM:SS:FF.sss`` with ``FF.sss`` the (sub-)frame within that second
    counted at the animation's fps (so ``00:00:01:00.000`` is frame 60 at 60 fps). Weights are written with
    10 decimals, as the app does. The file appears only when complete (:func:`atomic_output`).

    Args:
        animation: weights (T, 52) float32 in [0, 1] with exactly the ARKit-52 channels, in any order.
        path: the output ``.csv`` file.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: when the channels are not exactly the ARKit 52 (missing and extra names are listed).
        FileNotFoundError, PermissionError: the output folder is missing or not writable.
    """
    path = Path(path)
    missing = sorted(set(ARKIT_52) - set(animation.channel_names))
    extra = sorted(set(animation.channel_names) - set(ARKIT_52))
    if missing or extra:
        raise ValueError(
            f"Live Link Face CSV holds exactly the ARKit-52 channels; missing {missing}, extra {extra}"
        )
    columns = [animation.channel_names.index(_apple_name(name)) for name in LIVELINK_BLENDSHAPES]
    row = "%s,61," + ",".join(["%.10f"] * 52 + ["0.0000000000"] * len(LIVELINK_ROTATIONS))
    lines = [",".join(LIVELINK_HEADER)]
    values = animation.weights[:, columns].tolist()
    lines += [row % (tc, *frame) for tc, frame in zip(_timecodes(animation), values)]
    with atomic_output(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_livelink_csv(path: str | os.PathLike, fps: float | None = None) -> FaceAnimation:
    """Read a Live Link Face CSV take into an ARKit-52 animation (Apple's order).

    Columns are matched by name, case-insensitively, never by position; other columns (rotations,
    ``BlendShapeCount``) are ignored. Each row is one frame, in file order. Without ``fps`` the frame rate
    is inferred from the ``Timecode`` column as the mean number of rows per whole second of timecode
    (the first and last, partial, seconds left out), rounded to an integer: the app records at 30 or 60
    fps. Pass ``fps`` for other rates or takes shorter than about 2 s.

    Args:
        path: a ``.csv`` file as the app (or :func:`export_livelink_csv`) writes it.
        fps: the frame rate of the rows in frames per second, or ``None`` to infer it.

    Returns:
        A :class:`FaceAnimation` with weights (T, 52) float32 and channel names :data:`ARKIT_52`.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: blendshape columns are missing (named), a value is not a number, weights lie outside
            [0, 1], or fps cannot be inferred (malformed timecodes or less than one whole second).
    """
    weights, _, fps = read_livelink_columns(path, fps, ARKIT_52)
    return FaceAnimation(fps=fps, weights=weights, channel_names=ARKIT_52)


def read_livelink_columns(
    path: str | Path, fps: float | None, required: tuple[str, ...]
) -> tuple[np.ndarray, tuple[str, ...], float]:
    """The ARKit columns of a Live Link Face CSV, matched by name ignoring case (see :func:`read_livelink_csv`).

    Args:
        path: the ``.csv`` file.
        fps: the rows' frame rate, or ``None`` to infer it from the timecodes.
        required: ARKit names that must have a column (e.g. all 52, or the 51 without ``tongueOut``).

    Returns:
        ``(weights (T, N) float32, names, fps)``: all 52 ARKit channels when the file has them, else ``required``.

    Raises:
        FileNotFoundError, ValueError: as :func:`read_livelink_csv`.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such Live Link Face CSV: {path}")
    with path.open(newline="", encoding="utf-8-sig") as f:  # -sig: a spreadsheet may add a BOM
        rows = [row for row in csv.reader(f) if row]
    header = {name.strip().lower(): i for i, name in enumerate(rows[0])} if rows else {}
    missing = [name for name in required if name.lower() not in header]
    if missing:
        raise ValueError(f"{path} is not a Live Link Face CSV: no columns for {missing}")
    if fps is None and "timecode" not in header:
        raise ValueError(f"{path} has no Timecode column to infer fps from; pass fps")
    names = ARKIT_52 if all(name.lower() in header for name in ARKIT_52) else tuple(required)
    columns = [header[name.lower()] for name in names]
    try:
        weights = np.array([[float(row[i]) for i in columns] for row in rows[1:]], np.float32)
        if fps is None:
            fps = _infer_fps([row[header["timecode"]].strip() for row in rows[1:]])
    except IndexError:
        raise ValueError(f"{path}: a row has fewer columns than the header") from None
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    return weights.reshape(-1, len(names)), names, fps


def _apple_name(livelink_name: str) -> str:
    """``EyeBlinkLeft`` -> ``eyeBlinkLeft``."""
    return livelink_name[0].lower() + livelink_name[1:]


def _timecodes(animation: FaceAnimation) -> list[str]:
    """``HH:MM:SS:FF.sss`` of each frame's start time, FF counted at the animation's fps."""
    codes = []
    for t in range(animation.n_frames):
        second = math.floor(t / animation.fps)
        frame = t - second * animation.fps
        if frame < 0:  # t / fps rounded up onto a whole second
            second, frame = second - 1, frame + animation.fps
        millis = round(frame * 1000)
        hms = f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
        codes.append(f"{hms}:{millis // 1000:02d}.{millis % 1000:03d}")
    return codes


def _infer_fps(timecodes: list[str]) -> float:
    """Mean rows per whole second of ``HH:MM:SS:FF.sss`` timecodes, rounded to an integer."""
    if not all(_TIMECODE.fullmatch(tc) for tc in timecodes):
        raise ValueError("cannot infer fps from malformed timecodes; pass fps")
    per_second = [len(list(rows)) for _, rows in itertools.groupby(tc.rsplit(":", 1)[0] for tc in timecodes)]
    whole = per_second[1:-1]
    if not whole:
        raise ValueError("cannot infer fps from less than one whole second of timecodes; pass fps")
    return float(round(sum(whole) / len(whole)))
