"""Shared fixtures: real speech shipped with the repository, the big real data in ../shared (skipped where
absent) and synthetic audio files.

``FACEMOTION_SHARED`` names the ``shared`` folder (default: ``../shared`` beside the repository); point it at a
missing folder to run the tests as they run in a clone without it.
"""

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FACEMOTION_SHARED", REPO.parent / "shared"))
SPEECH_CLIPS = (
    REPO / "assets" / "samples" / "LJ001-0001.flac",
    REPO / "tests" / "fixtures" / "speech" / "arctic_a0007.wav",
)
"""Real English speech shipped with the repository, each with its transcript beside it as ``NAME.txt``:
LJ Speech's LJ001-0001 (female, American, 22,050 Hz, 9.66 s; public domain; the demo sample) and CMU ARCTIC's
a0007 (male, Scottish, 16 kHz, 4.0 s; CMU ARCTIC licence). See ``tests/fixtures/speech/README.md``."""


@pytest.fixture(scope="session")
def speech_clips() -> dict[Path, str]:
    """The real speech clips shipped with the repository and their transcripts: {path: transcript}, LJ001-0001 first."""
    return {path: path.with_suffix(".txt").read_text(encoding="utf-8").strip() for path in SPEECH_CLIPS}


def _shared(*parts: str) -> Path:
    folder = SHARED.joinpath(*parts)
    if not folder.is_dir():
        pytest.skip(f"{folder} is not present (../shared beside the repository, or FACEMOTION_SHARED)")
    return folder


@pytest.fixture(scope="session")
def shared_speech() -> Path:
    """``shared/data/speech``: more real English speech (30 LJ Speech clips in ``ljspeech/``); skips where absent."""
    return _shared("data", "speech")


@pytest.fixture(scope="session")
def shared_facegood() -> Path:
    """``shared/data/facegood``: the FACEGOOD captures (about 10 minutes); skips where absent."""
    return _shared("data", "facegood")


@pytest.fixture(scope="session")
def shared_ict_facekit() -> Path:
    """``shared/assets/ict-facekit``: the ICT-FaceKit head the default head is converted from; skips where absent."""
    return _shared("assets", "ict-facekit")


@pytest.fixture
def write_audio(tmp_path):
    """Write samples to an audio file in tmp_path: write_audio(name, samples, sample_rate) -> Path."""

    def write(name: str, samples: np.ndarray, sample_rate: int, **kwargs) -> Path:
        path = tmp_path / name
        sf.write(str(path), samples, sample_rate, **kwargs)
        return path

    return write
