"""File reading shared by the dataset loaders: speech at 16 kHz, template pickles, length checks."""

import warnings
from pathlib import Path

import numpy as np

from facemotion.audio.io import SAMPLE_RATE, load_audio
from facemotion.face_models.restricted_pickle import load_pickle

MAX_LENGTH_MISMATCH_S = 1.0
"""Largest disagreement, in seconds, between a clip's audio and motion lengths that a loader accepts."""


def require_file(path: Path) -> Path:
    """``path``, or FileNotFoundError naming it when it is not a file."""
    if not path.is_file():
        raise FileNotFoundError(f"missing dataset file: {path}")
    return path


def read_array(path: Path, numeric: bool = True) -> np.ndarray:
    """Read a ``.npy`` file without pickled objects, also one written by Python 2 numpy.

    Args:
        path: the file.
        numeric: require a number dtype (otherwise strings are accepted too).

    Raises:
        FileNotFoundError: the file is missing.
        ValueError: it is not a ``.npy`` file, holds pickled objects, or (``numeric``) does not hold numbers.
    """
    with open(require_file(path), "rb") as stream, warnings.catch_warnings():
        # Python 2 headers need an extra parse, which numpy warns about
        warnings.filterwarnings("ignore", "Reading `.npy` or `.npz` file required additional header", UserWarning)
        try:
            array = np.lib.format.read_array(stream, allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            raise ValueError(f"{path} is not a readable .npy file: {error}") from None
    if numeric and not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{path} holds {array.dtype} data, expected numbers")
    return array


def read_speech(path: Path, n_frames: int, fps: float, motion_file: Path) -> np.ndarray:
    """Read a speech file as (S,) float32 mono at 16 kHz and check its length against the motion's.

    Args:
        path: the speech file (any rate and channel count; :func:`facemotion.audio.io.load_audio` converts it).
        n_frames, fps: the length and frame rate of the motion recorded with it.
        motion_file: the motion file, named in the error.

    Raises:
        FileNotFoundError: the speech file is missing.
        ValueError: it is not readable audio, or its duration and the motion's (``n_frames / fps``) differ by
            more than :data:`MAX_LENGTH_MISMATCH_S`.
    """
    audio = load_audio(require_file(path))
    audio_s, motion_s = len(audio) / SAMPLE_RATE, n_frames / fps
    if abs(audio_s - motion_s) > MAX_LENGTH_MISMATCH_S:
        raise ValueError(
            f"{path} lasts {audio_s:.2f} s but its motion {motion_file} lasts {motion_s:.2f} s "
            f"({n_frames} frames at {fps:g} fps)"
        )
    return audio


def read_templates(path: Path) -> dict[str, np.ndarray]:
    """Read a ``templates.pkl`` of VOCASET or BIWI: a latin1 pickle ``{subject: (V, 3) vertices}``.

    Unpickled with :func:`facemotion.face_models.restricted_pickle.load_pickle` (numpy data only, no code runs).

    Returns:
        ``{subject: (V, 3) float32}``.

    Raises:
        FileNotFoundError: the file is missing.
        ValueError: it is not a pickled dict of (V, 3) arrays.
    """
    templates = load_pickle(require_file(path))
    if not templates or not isinstance(templates, dict):
        raise ValueError(f"{path} should hold a non-empty dict {{subject: (V, 3) vertices}}")
    out = {}
    for subject, vertices in templates.items():
        vertices = np.asarray(vertices, dtype=np.float32)
        if vertices.ndim != 2 or vertices.shape[1] != 3:
            raise ValueError(f"{path}: template of {subject!r} has shape {vertices.shape}, expected (V, 3)")
        out[str(subject)] = vertices
    return out
