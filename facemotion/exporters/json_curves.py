"""JSON curves: one keyframe list per channel, for DCC scripts (Maya, Blender, Houdini, game tools).

Layout (facemotion's own, version 1)::

    {"format": "facemotion.curves", "version": 1, "fps": 30.0, "frame_count": T,
     "audio": "speech.wav" | null,
     "channels": [{"name": "jawOpen", "times": [0.0, 0.033333, ...], "values": [0.0, 0.12, ...]}, ...]}

Every channel has one key per frame: ``times[t] = t / fps`` seconds (rounded to 1 µs), values rounded to
6 decimals. Channels follow the animation's order (ARKit-52, Apple's order, by default).
"""

import json
import os
from pathlib import Path

import numpy as np

from facemotion.animation import FaceAnimation
from facemotion.exporters.atomic import atomic_output

FORMAT, VERSION = "facemotion.curves", 1


def export_json_curves(animation: FaceAnimation, path: str | os.PathLike) -> Path:
    """Write per-channel keyframes as JSON (layout in the module docstring).

    Args:
        animation: weights (T, C) float32 in [0, 1] at ``animation.fps``.
        path: the output ``.json`` file.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        FileNotFoundError, PermissionError: the output folder is missing or not writable.
    """
    path = Path(path)
    times = np.round(animation.times, 6).tolist()
    document = {
        "format": FORMAT,
        "version": VERSION,
        "fps": animation.fps,
        "frame_count": animation.n_frames,
        "audio": str(animation.audio_path) if animation.audio_path else None,
        "channels": [
            {"name": name, "times": times, "values": np.round(animation.weights[:, c], 6).tolist()}
            for c, name in enumerate(animation.channel_names)
        ],
    }
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(document, separators=(",", ":")))
    return path


def read_json_curves(path: str | os.PathLike) -> FaceAnimation:
    """Read curves written by :func:`export_json_curves`.

    Returns:
        The :class:`FaceAnimation` (weights (T, C) float32; no phonemes).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not JSON curves of this format and version, or its channels disagree
            on the frame count.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such JSON file: {path}")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"cannot read {path}: {error}") from None
    if not isinstance(document, dict) or (document.get("format"), document.get("version")) != (FORMAT, VERSION):
        raise ValueError(f"{path} is not {FORMAT} version {VERSION}")
    channels = document["channels"]
    if any(len(c["values"]) != document["frame_count"] for c in channels):
        raise ValueError(f"{path}: every channel must hold frame_count = {document['frame_count']} values")
    weights = np.array([c["values"] for c in channels], np.float32).T.reshape(document["frame_count"], -1)
    return FaceAnimation(
        fps=float(document["fps"]),
        weights=weights,
        channel_names=tuple(c["name"] for c in channels),
        audio_path=Path(document["audio"]) if document["audio"] else None,
    )
