"""NPZ: a FaceAnimation as a NumPy ``.npz`` archive, written and read without pickle.

Arrays (the NumPy ``.npy``/``.npz`` format, ``numpy.lib.format``):

- ``weights``: (T, C) float32 in [0, 1];
- ``fps``: () float64, frames per second;
- ``channel_names``: (C,) unicode;
- ``phonemes``: (N,) structured array with fields ``phone`` (unicode), ``start`` and ``end`` (float64
  seconds) and ``word`` (unicode, ``""`` for no word);
- ``audio_path``: () unicode, ``""`` for no audio;
- ``flame_expression`` (T, n_exp) and ``flame_jaw_pose`` (T, 3) float32, only when the animation has them;
- ``language``: () unicode ISO 639-1 code, only when the animation has one (takes written before it read as None);
- ``head_rotation`` (T, 3) and ``eye_rotation`` (T, 2, 2) float32 degrees, only when the animation has them
  (conventions in :class:`~facemotion.animation.FaceAnimation`; takes written before them read as None).
"""

import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from facemotion.animation import FaceAnimation
from facemotion.exporters.atomic import atomic_output
from facemotion.inputs import input_file
from facemotion.text.phonemes import PhonemeSegment

_KEYS = ("weights", "fps", "channel_names", "phonemes", "audio_path")
_FLAME_KEYS = ("flame_expression", "flame_jaw_pose")
_OPTIONAL_KEYS = (*_FLAME_KEYS, "head_rotation", "eye_rotation")
"""Arrays written only when the animation has them, read back by the FaceAnimation field of the same name."""


def export_npz(animation: FaceAnimation, path: str | os.PathLike) -> Path:
    """Write the animation as a compressed ``.npz`` archive with the arrays of the module docstring.

    A phoneme without a word and an animation without audio are stored as empty strings. The file
    appears only when complete (:func:`atomic_output`).

    Args:
        animation: any :class:`FaceAnimation`.
        path: the output ``.npz`` file.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        FileNotFoundError, PermissionError: the output folder is missing or not writable.
    """
    path = Path(path)
    records = [(p.phone, p.start, p.end, p.word or "") for p in animation.phonemes]
    phone_len = max([1] + [len(r[0]) for r in records])
    word_len = max([1] + [len(r[3]) for r in records])
    dtype = [("phone", f"U{phone_len}"), ("start", "f8"), ("end", "f8"), ("word", f"U{word_len}")]
    phonemes = np.array(records, dtype=dtype)
    with atomic_output(path) as tmp, tmp.open("wb") as f:
        np.savez_compressed(
            f,
            weights=animation.weights,
            fps=np.float64(animation.fps),
            channel_names=np.array(animation.channel_names, dtype=str),
            phonemes=phonemes,
            audio_path=np.array(str(animation.audio_path or "")),
            **_optional_arrays(animation),
            **({} if animation.language is None else {"language": np.array(animation.language)}),
        )
    return path


def _optional_arrays(animation: FaceAnimation) -> dict[str, np.ndarray]:
    """The arrays of :data:`_OPTIONAL_KEYS` the animation has (not None)."""
    arrays = {key: getattr(animation, key) for key in _OPTIONAL_KEYS}
    return {key: array for key, array in arrays.items() if array is not None}


def read_npz(path: str | os.PathLike) -> FaceAnimation:
    """Read an animation written by :func:`export_npz` (never unpickling anything).

    Args:
        path: a ``.npz`` file.

    Returns:
        The :class:`FaceAnimation`: weights (T, C) float32, fps, channel names, phonemes and audio path
        (``None`` where the file holds an empty string), and the optional arrays it holds (FLAME parameters, head
        and eye rotations).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        IsADirectoryError: ``path`` is a folder.
        ValueError: the file is not a facemotion take: not an ``.npz`` archive, a pipe or device, lacking one of
            the arrays (named), holding pickled objects (never loaded), or holding values a
            :class:`FaceAnimation` or :class:`PhonemeSegment` rejects. The message is one line.
    """
    path = input_file(path, "NPZ take")
    if not zipfile.is_zipfile(path):
        raise ValueError(_not_a_take(path, "not an .npz archive"))
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in _KEYS if key not in archive.files]
            if missing:
                raise ValueError(f"no arrays {missing}")
            arrays = {key: archive[key] for key in _KEYS}
            optional = {key: archive[key] for key in _OPTIONAL_KEYS if key in archive.files}
            language = str(archive["language"]) if "language" in archive.files else None
        phonemes = tuple(
            PhonemeSegment(str(p["phone"]), float(p["start"]), float(p["end"]), str(p["word"]) or None)
            for p in arrays["phonemes"]
        )
        audio_path = str(arrays["audio_path"])
        return FaceAnimation(
            fps=float(arrays["fps"]),
            weights=arrays["weights"],
            channel_names=tuple(str(name) for name in arrays["channel_names"]),
            phonemes=phonemes,
            audio_path=Path(audio_path) if audio_path else None,
            language=language,
            **optional,
        )
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, ValueError, TypeError, IndexError) as e:
        reason = "it holds pickled objects" if "pickle" in str(e) else str(e).splitlines()[0]
        raise ValueError(_not_a_take(path, reason)) from None


def _not_a_take(path: Path, reason: str) -> str:
    """The one-line message of a file :func:`read_npz` refuses."""
    return f"cannot read {path}: not a facemotion take (an .npz written by `facemotion animate`): {reason}"
