"""Live Link Face CSV: the take files of Epic's Live Link Face iOS app, read by Unreal's importer.

Layout: a header ``Timecode,BlendShapeCount,`` + the 52 ARKit names in PascalCase in the app's own order
(:data:`LIVELINK_BLENDSHAPES`, which swaps some left/right pairs of Apple's order) + 9 head and eye
rotations (:data:`LIVELINK_ROTATIONS`); then one row per frame: ``HH:MM:SS:FF.sss``, ``61``, 61 values
with 10 decimals.

Source of the column order: takes recorded by the app and published in public repositories, e.g.
``anim/S07-001.csv`` in ``alexdjulin/LiveLinkFace-CSV-Retarget-For-Motionbuilder`` (header and rows as the
app writes them), and the same header in the importers of ``nmfisher/blender_livelinkface``
(``LIVE_LINK_FACE_HEADER``); ``BlendShapeCount`` is 61 = 52 blendshapes + 9 rotations.

Rotation columns: normalised angles, ``value = degrees / 180`` (so -1..1 spans -180..180 degrees), with the
signs of facemotion's convention (:mod:`facemotion.exporters.head_pose`): positive pitch looks down (nods the
chin down), positive yaw turns to the character's left, positive roll tilts towards the character's right
shoulder; ``LeftEye*`` is the character's left eye. Sources:

- units: Epic's ARKit face support in Unreal Engine (``AppleARKitFaceSupport``, ``AppleARKitConversion.h``,
  ``ToBlendShapeMap``), the code that turns ARKit's face anchor and eye transforms into these curves, takes each
  transform's ``FRotator`` in degrees and divides by 180 ("Map the -180..180 range to -1..1"); consumers of the
  app's stream treat them as values in [-1, 1] (e.g. ``nmfisher/blender_livelinkface``: "blendshape values -1
  to 1"), not as radians;
- signs: the same code keeps pitch and negates yaw and roll of the ``FRotator`` (Unreal's left-handed X-forward,
  Z-up frame, into which ARKit's right-handed face frame, +X the face's left, +Y up, +Z out of the face, is
  converted) when the face is not mirrored; worked through, that leaves positive pitch = down, yaw = towards the
  face's left and roll = about +Z (the top of the head to the face's right), the signs above. Checked on the eye
  columns of two takes the app recorded (``alexdjulin/LiveLinkFace-CSV-Retarget-For-Motionbuilder``,
  ``csv/facial.csv`` and ``anim/alex_rom_3.csv``): eyes looking up give negative pitch (EyeLookUp 0.30, pitch
  -0.14), looking down positive pitch (EyeLookDown 0.28, pitch +0.17), and both eyes' yaws take the sign of one
  gaze direction, and opposite signs when the eyes converge on the phone. The head columns' signs follow from the
  code only (no recorded take here had a known head movement).

Eye roll is written as 0 (facemotion's eyes do not roll). A take without rotations writes all 9 as 0, as before.
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
"""The 9 rotation columns after the blendshapes: degrees / :data:`LIVELINK_DEGREES_PER_UNIT` (module docstring)."""

LIVELINK_DEGREES_PER_UNIT = 180.0
"""Degrees per unit of the rotation columns: the app writes an angle in degrees divided by 180."""

LIVELINK_HEADER: tuple[str, ...] = ("Timecode", "BlendShapeCount", *LIVELINK_BLENDSHAPES, *LIVELINK_ROTATIONS)
"""The 63 columns of a Live Link Face CSV, in the app's order."""

_TIMECODE = re.compile(r"\d+:\d\d:\d\d:\d+(\.\d+)?")


def export_livelink_csv(animation: FaceAnimation, path: str | os.PathLike) -> Path:
    """Write the animation as a Live Link Face CSV take.

    Columns follow :data:`LIVELINK_HEADER`. Head and eye rotations (:attr:`FaceAnimation.head_rotation`,
    :attr:`~FaceAnimation.eye_rotation`) fill the rotation columns as degrees / 180 with facemotion's signs (module
    docstring); missing ones (and the eyes' roll) are written as 0. Frame ``t`` starts at ``t / fps``
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
    rotations = _rotation_columns(animation)
    written = ["0.0000000000"] * len(LIVELINK_ROTATIONS) if rotations is None else ["%.10f"] * len(LIVELINK_ROTATIONS)
    row = "%s,61," + ",".join(["%.10f"] * 52 + written)
    lines = [",".join(LIVELINK_HEADER)]
    values = animation.weights[:, columns]
    values = (values if rotations is None else np.concatenate([values, rotations], axis=1)).tolist()
    lines += [row % (tc, *frame) for tc, frame in zip(_timecodes(animation), values)]
    with atomic_output(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_livelink_csv(path: str | os.PathLike, fps: float | None = None) -> FaceAnimation:
    """Read a Live Link Face CSV take into an ARKit-52 animation (Apple's order).

    Columns are matched by name, case-insensitively, never by position; other columns (``BlendShapeCount``) are
    ignored. The 9 rotation columns, when present, give ``head_rotation`` and ``eye_rotation`` in degrees
    (value x 180, module docstring; eye roll is dropped); each is None when its columns are absent or all 0 (what
    the app writes when it does not track them, and facemotion for a take without them). Each row is one frame, in file order. Without ``fps`` the frame rate
    is inferred from the ``Timecode`` column as the mean number of rows per whole second of timecode
    (the first and last, partial, seconds left out), rounded to an integer: the app records at 30 or 60
    fps. Pass ``fps`` for other rates or takes shorter than about 2 s.

    Args:
        path: a ``.csv`` file as the app (or :func:`export_livelink_csv`) writes it.
        fps: the frame rate of the rows in frames per second, or ``None`` to infer it.

    Returns:
        A :class:`FaceAnimation` with weights (T, 52) float32, channel names :data:`ARKIT_52` and, where the file
        has them, head (T, 3) and eye (T, 2, 2) rotations in degrees.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: blendshape columns are missing (named), a value is not a number, weights lie outside
            [0, 1], or fps cannot be inferred (malformed timecodes or less than one whole second).
    """
    weights, _, fps = read_livelink_columns(path, fps, ARKIT_52)
    head, eyes = _read_rotations(path)
    return FaceAnimation(fps=fps, weights=weights, channel_names=ARKIT_52, head_rotation=head, eye_rotation=eyes)


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
    header, rows = _read_table(path)
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


def _read_table(path: Path) -> tuple[dict[str, int], list[list[str]]]:
    """({lower-case column name: index}, rows with the header first) of a CSV file; blank lines dropped.

    Raises:
        FileNotFoundError: ``path`` does not exist.
    """
    if not path.is_file():
        raise FileNotFoundError(f"no such Live Link Face CSV: {path}")
    with path.open(newline="", encoding="utf-8-sig") as f:  # -sig: a spreadsheet may add a BOM
        rows = [row for row in csv.reader(f) if row]
    header = {name.strip().lower(): i for i, name in enumerate(rows[0])} if rows else {}
    return header, rows


def _rotation_columns(animation: FaceAnimation) -> np.ndarray | None:
    """(T, 9) float64 values of :data:`LIVELINK_ROTATIONS` (degrees / 180), or None for a take without rotations."""
    head, eyes = animation.head_rotation, animation.eye_rotation
    if head is None and eyes is None:
        return None
    head = np.zeros((animation.n_frames, 3)) if head is None else head.astype(np.float64)
    eyes = np.zeros((animation.n_frames, 2, 2)) if eyes is None else eyes.astype(np.float64)
    angles = {
        "HeadPitch": head[:, 0], "HeadYaw": head[:, 1], "HeadRoll": head[:, 2],
        "LeftEyePitch": eyes[:, 0, 0], "LeftEyeYaw": eyes[:, 0, 1],
        "RightEyePitch": eyes[:, 1, 0], "RightEyeYaw": eyes[:, 1, 1],
    }  # the eyes' roll columns stay 0
    zero = np.zeros(animation.n_frames)
    return np.stack([angles.get(name, zero) for name in LIVELINK_ROTATIONS], axis=1) / LIVELINK_DEGREES_PER_UNIT


def _read_rotations(path: str | os.PathLike) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(head (T, 3), eyes (T, 2, 2)) float32 degrees from the rotation columns; None where absent or all 0.

    Raises:
        ValueError: a rotation value is not a number.
    """
    header, rows = _read_table(Path(path))
    if not all(name.lower() in header for name in LIVELINK_ROTATIONS):
        return None, None
    try:
        values = np.array([[float(row[header[name.lower()]]) for name in LIVELINK_ROTATIONS] for row in rows[1:]])
    except (IndexError, ValueError) as e:
        raise ValueError(f"{path}: rotation columns: {e}") from None
    degrees = values.reshape(-1, len(LIVELINK_ROTATIONS)) * LIVELINK_DEGREES_PER_UNIT
    column = {name: degrees[:, i] for i, name in enumerate(LIVELINK_ROTATIONS)}
    head = np.stack([column["HeadPitch"], column["HeadYaw"], column["HeadRoll"]], axis=1).astype(np.float32)
    eyes = np.stack([np.stack([column[f"{side}EyePitch"], column[f"{side}EyeYaw"]], axis=1)
                     for side in ("Left", "Right")], axis=1).astype(np.float32)
    return (head if head.any() else None), (eyes if eyes.any() else None)


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
