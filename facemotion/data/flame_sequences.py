"""FLAME-parameter sequences: per-frame FLAME expression and jaw pose with their speech, and MEAD pseudo-ground-truth.

A sequence is an ``.npz`` file with ``expression`` (T, n_exp) coefficients, ``jaw_pose`` (T, 3) axis-angle in
radians and ``fps`` (a scalar); an identity ``shape`` ((n_shape,) or (T, n_shape)) and other arrays (global pose,
camera) may be present and are not part of the motion.

Emotional speech: EMOTE (Danecek et al., SIGGRAPH Asia 2023) trains on MEAD (Wang et al., ECCV 2020) videos
reconstructed per frame into FLAME, 25 fps, labelled with the emotion, its intensity level (1-3) and the subject.
MEAD's licence and EMOTE's reconstructions stay with the users who have them; they export them into **our
layout**, which mirrors MEAD's own folders (``<subject>/video/front/<emotion>/level_<k>/<NNN>.mp4``)::

    <root>/<subject>/<emotion>/level_<k>/<NNN>.npz   expression (T, 50..100), jaw_pose (T, 3), optional shape, fps
    <root>/<subject>/<emotion>/level_<k>/<NNN>.wav   the sequence's speech

with ``<subject>`` a MEAD id (``M003``, ``W009``, ...), ``<emotion>`` a MEAD folder name (:data:`EMOTIONS`:
neutral, happy, sad, surprised, fear, disgusted, angry, contempt), ``k`` in 1, 2, 3 (MEAD records neutral at
level 1 only) and ``fps`` optional (25 when absent, :data:`MEAD_FPS`).
"""

import math
import zipfile
from pathlib import Path

import numpy as np

from facemotion.data.clip import MotionClip
from facemotion.data.files import read_speech, require_file
from facemotion.expression.emotion import EMOTIONS

MEAD_FPS = 25.0
"""Frame rate of MEAD's videos, and so of the pseudo-ground-truth reconstructed from them."""

MEAD_LEVELS = (1, 2, 3)
"""MEAD's emotion intensity levels; level ``k`` has intensity ``k / 3`` (neutral: 0)."""


def _read_flame_npz(path: Path, default_fps: float | None) -> tuple[np.ndarray, float]:
    """Motion (T, n_exp + 3) float32 = expression then jaw pose, and fps (the file's, else ``default_fps``)."""
    require_file(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in ("expression", "jaw_pose", "fps") if key in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} is not a readable .npz file: {error}") from None
    if "expression" not in arrays or "jaw_pose" not in arrays:
        raise ValueError(f"{path} needs the arrays expression (T, n_exp) and jaw_pose (T, 3)")
    expression, jaw_pose = arrays["expression"], arrays["jaw_pose"]
    numeric = all(np.issubdtype(a.dtype, np.number) for a in (expression, jaw_pose))
    if not numeric or expression.ndim != 2 or not expression.shape[1] or jaw_pose.shape != (len(expression), 3):
        raise ValueError(
            f"{path}: expression must be (T, n_exp) and jaw_pose (T, 3) numbers, got "
            f"{expression.shape} {expression.dtype} and {jaw_pose.shape} {jaw_pose.dtype}"
        )
    if "fps" not in arrays and default_fps is None:
        raise ValueError(f"{path} has no fps")
    fps_array = arrays.get("fps", np.array(default_fps))
    is_scalar = fps_array.size == 1 and np.issubdtype(fps_array.dtype, np.number)
    fps = float(fps_array.item()) if is_scalar else math.nan
    if not (math.isfinite(fps) and fps > 0):
        raise ValueError(f"{path}: fps must be a scalar > 0, got {fps_array}")
    return np.concatenate([expression, jaw_pose], axis=1).astype(np.float32), fps


def load_flame_sequence(npz_path: str | Path, wav_path: str | Path) -> MotionClip:
    """Load one FLAME-parameter sequence and its speech.

    Args:
        npz_path: ``.npz`` with ``expression`` (T, n_exp), ``jaw_pose`` (T, 3) radians, ``fps`` scalar.
        wav_path: the speech (any rate; read to 16 kHz mono).

    Returns:
        A clip named after the npz file: ``"flame"`` motion (T, n_exp + 3) float32, expression coefficients then
        jaw pose; audio (S,) float32 at 16 kHz; emotion neutral.

    Raises:
        FileNotFoundError: a file is missing.
        ValueError: the npz lacks an array, shapes disagree, fps is not a scalar > 0, values are not finite, or
            audio and motion lengths differ by more than 1 s.
    """
    npz_path = Path(npz_path)
    motion, fps = _read_flame_npz(npz_path, default_fps=None)
    audio = read_speech(Path(wav_path), len(motion), fps, npz_path)
    return MotionClip(name=npz_path.stem, audio=audio, fps=fps, motion=motion, representation="flame")


def load_mead_pseudo_gt(root: str | Path) -> list[MotionClip]:
    """Load EMOTE-style MEAD pseudo-ground-truth exported into the layout of this module's docstring.

    Args:
        root: the folder of ``<subject>/<emotion>/level_<k>/<NNN>.npz`` and ``.wav`` pairs.

    Returns:
        Clips sorted by path, named ``<subject>_<emotion>_level_<k>_<NNN>`` (e.g. ``"M003_angry_level_3_001"``):
        ``"flame"`` motion (T, n_exp + 3) float32 at the file's fps (25 when absent), ``subject`` the MEAD id,
        ``emotion`` the folder name, ``intensity`` = k / 3 (0 for neutral).

    Raises:
        FileNotFoundError: ``root`` is missing, holds no sequence, or a sequence has no ``.wav`` (named).
        ValueError: an emotion folder is not one of :data:`EMOTIONS`, a level is not 1-3, sequences disagree on
            n_exp, or a file is malformed (see :func:`load_flame_sequence`).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no MEAD pseudo-ground-truth folder at {root}")
    files = sorted(root.glob("*/*/level_*/*.npz"))
    if not files:
        raise FileNotFoundError(f"no <subject>/<emotion>/level_<k>/<NNN>.npz sequences under {root}")
    clips = [_load_mead_sequence(path) for path in files]
    widths = {clip.motion.shape[1] for clip in clips}
    if len(widths) > 1:
        raise ValueError(f"sequences under {root} disagree on n_exp + 3: {sorted(widths)}")
    return clips


def _load_mead_sequence(path: Path) -> MotionClip:
    level_folder, emotion_folder = path.parent, path.parent.parent
    emotion, subject = emotion_folder.name, emotion_folder.parent.name
    if emotion not in EMOTIONS:
        raise ValueError(f"{emotion_folder}: emotion folder must be one of {EMOTIONS}")
    level = level_folder.name.removeprefix("level_")
    if level not in tuple(str(k) for k in MEAD_LEVELS):
        raise ValueError(f"{level_folder}: level folder must be level_1, level_2 or level_3")
    motion, fps = _read_flame_npz(path, default_fps=MEAD_FPS)
    audio = read_speech(path.with_suffix(".wav"), len(motion), fps, path)
    return MotionClip(
        name=f"{subject}_{emotion}_{level_folder.name}_{path.stem}",
        audio=audio,
        fps=fps,
        motion=motion,
        representation="flame",
        subject=subject,
        emotion=emotion,
        intensity=0.0 if emotion == "neutral" else int(level) / len(MEAD_LEVELS),
    )
