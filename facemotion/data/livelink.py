"""Paired ARKit captures: a Live Link Face CSV take and the speech recorded with it.

The CSV layout is the one Epic's Live Link Face app writes and :mod:`facemotion.exporters.livelink_csv` exports:
``Timecode,BlendShapeCount,`` + 52 blendshape names in PascalCase + 9 rotations, one row per frame. Tools built on
51 ARKit names (BEAT, mediapipe) leave out ``tongueOut``; such takes are accepted with ``tongueOut`` = 0 and
masked out.
"""

import math
from pathlib import Path

import numpy as np

from facemotion.data.clip import MotionClip
from facemotion.data.files import read_speech, require_file
from facemotion.exporters.livelink_csv import read_livelink_columns
from facemotion.face_models.names import ARKIT_51, ARKIT_52, ARKIT_INDEX

_TONGUE = ARKIT_INDEX["tongueOut"]


def load_livelink_take(csv_path: str | Path, wav_path: str | Path, fps: float | None = None) -> MotionClip:
    """Load a Live Link Face CSV take and its speech as an ARKit-52 clip.

    Blendshape columns are matched by name, case-insensitively, never by position (``JawOpen`` and ``jawOpen``
    both match); rotations and other columns are ignored; each row is one frame, in file order. Without ``fps``
    the frame rate comes from the ``Timecode`` column (``HH:MM:SS:FF.sss``) as the mean number of rows per whole
    second, rounded to an integer (the app records at 30 or 60 fps), as
    :func:`facemotion.exporters.livelink_csv.read_livelink_csv` does.

    Args:
        csv_path: the take, with the 52 ARKit columns or the 51 without ``tongueOut``.
        wav_path: the speech recorded with it (any rate; read to 16 kHz mono).
        fps: the frame rate of the rows, or ``None`` to infer it from the timecodes (needs > 2 s of take).

    Returns:
        A clip named after the CSV file: ``"arkit"`` motion (T, 52) float32 in Apple's order, audio (S,) float32
        at 16 kHz; ``channel_mask`` is ``None`` for 52 columns, and False on ``tongueOut`` only for 51.

    Raises:
        FileNotFoundError: the CSV or the speech file is missing.
        ValueError: blendshape columns are missing (named), a value is not a number or lies outside [0, 1], fps
            is not > 0 or cannot be inferred, or audio and motion lengths differ by more than 1 s.
    """
    csv_path = require_file(Path(csv_path))
    values, names, fps = read_livelink_columns(csv_path, fps, ARKIT_51)
    if not (math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a finite number > 0, got {fps}")
    weights = np.zeros((len(values), len(ARKIT_52)), np.float32)
    weights[:, : len(names)] = values
    mask = None if names == ARKIT_52 else np.arange(len(ARKIT_52)) != _TONGUE
    audio = read_speech(Path(wav_path), len(weights), fps, csv_path)
    return MotionClip(
        name=csv_path.stem, audio=audio, fps=float(fps), motion=weights, representation="arkit", channel_mask=mask
    )
