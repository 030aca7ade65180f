"""JSON curves: one keyframe list per channel, for DCC scripts (Maya, Blender, Houdini, game tools).

Layout (facemotion's own, version 1)::

    {"format": "facemotion.curves", "version": 1, "fps": 30.0, "frame_count": T,
     "audio": "speech.wav" | null,
     "channels": [{"name": "jawOpen", "times": [0.0, 0.033333, ...], "values": [0.0, 0.12, ...]}, ...]}

Every channel has one key per frame: ``times[t] = t / fps`` seconds (rounded to 1 µs), values rounded to
6 decimals. Channels follow the animation's order (ARKit-52, Apple's order, by default).

A take with head or eye rotations (:attr:`FaceAnimation.head_rotation`, :attr:`~FaceAnimation.eye_rotation`) also
has, after ``channels``, one curve per rotated joint, angles in degrees rounded to 6 decimals::

     "rotations": [{"name": "Head", "times": [...], "pitch": [...], "yaw": [...], "roll": [...]},
                   {"name": "LeftEye", "times": [...], "pitch": [...], "yaw": [...]},
                   {"name": "RightEye", "times": [...], "pitch": [...], "yaw": [...]}]

with facemotion's conventions (:mod:`facemotion.exporters.head_pose`): right-handed angles about the head's +X
(the character's left), +Y (up) and +Z (out of the face) axes, positive pitch down, yaw to the character's left,
roll towards the right shoulder, ``R = Ry(yaw) @ Rx(pitch) @ Rz(roll)``, the head about its neck pivot and each
eye about its eyeball's centre, in the head's frame. A take without rotations has no ``rotations`` key.
"""

import json
import os
from pathlib import Path

import numpy as np

from facemotion.animation import FaceAnimation
from facemotion.exporters.atomic import atomic_output

FORMAT, VERSION = "facemotion.curves", 1
HEAD, EYES = "Head", ("LeftEye", "RightEye")
"""Names of the rotation curves: the head's, then the character's left and right eyes'."""


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
    rotations = _rotation_curves(animation, times)
    if rotations:
        document["rotations"] = rotations
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(document, separators=(",", ":")))
    return path


def _rotation_curves(animation: FaceAnimation, times: list[float]) -> list[dict]:
    """The ``rotations`` entries of the module docstring (empty for a take without rotations)."""
    def rounded(values: np.ndarray) -> list[float]:
        return np.round(values.astype(np.float64), 6).tolist()

    curves = []
    if animation.head_rotation is not None:
        pitch, yaw, roll = animation.head_rotation.T
        curves.append({"name": HEAD, "times": times, "pitch": rounded(pitch), "yaw": rounded(yaw),
                       "roll": rounded(roll)})
    if animation.eye_rotation is not None:
        for e, name in enumerate(EYES):
            pitch, yaw = animation.eye_rotation[:, e].T
            curves.append({"name": name, "times": times, "pitch": rounded(pitch), "yaw": rounded(yaw)})
    return curves


def read_json_curves(path: str | os.PathLike) -> FaceAnimation:
    """Read curves written by :func:`export_json_curves`.

    Returns:
        The :class:`FaceAnimation` (weights (T, C) float32, head (T, 3) and eye (T, 2, 2) float32 rotations in
        degrees where the file has them; no phonemes).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not JSON curves of this format and version, or its channels (or rotations)
            disagree on the frame count.
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
    curves = {curve["name"]: curve for curve in document.get("rotations", [])}
    if any(len(curve[key]) != document["frame_count"] for curve in curves.values() for key in ("pitch", "yaw")):
        raise ValueError(f"{path}: every rotation must hold frame_count = {document['frame_count']} angles")
    head = curves.get(HEAD)
    return FaceAnimation(
        fps=float(document["fps"]),
        weights=weights,
        channel_names=tuple(c["name"] for c in channels),
        audio_path=Path(document["audio"]) if document["audio"] else None,
        head_rotation=None if head is None else np.array([head[k] for k in ("pitch", "yaw", "roll")], np.float32).T,
        eye_rotation=_eye_angles(curves),
    )


def _eye_angles(curves: dict[str, dict]) -> np.ndarray | None:
    """(T, 2, 2) float32 (pitch, yaw) of both eyes from the ``rotations`` curves, or None without them."""
    if not all(name in curves for name in EYES):
        return None
    return np.stack([np.array([curves[name]["pitch"], curves[name]["yaw"]], np.float32).T for name in EYES], 1)
