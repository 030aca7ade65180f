"""Shared fixtures: the real data in ../shared (skipped where absent) and synthetic audio files."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

SHARED = Path(__file__).resolve().parents[2] / "shared"
SPEECH_TRANSCRIPTS = {
    "LJ001-0001.wav": "Printing, in the only sense with which we are at present concerned, differs from most "
    "if not from all the arts and crafts represented in the Exhibition",
    "arctic_a0007.wav": "And you always want to see it in the superlative degree.",
}


@pytest.fixture(scope="session")
def shared_speech() -> Path:
    """The folder of real English speech clips in ../shared (the test skips where it is absent)."""
    folder = SHARED / "data" / "speech"
    if not folder.is_dir():
        pytest.skip("../shared/data/speech is not present")
    return folder


@pytest.fixture(scope="session")
def speech_clips(shared_speech) -> dict[Path, str]:
    """Real speech clips of ../shared with their transcripts: {path: transcript}."""
    return {shared_speech / name: text for name, text in SPEECH_TRANSCRIPTS.items()}


@pytest.fixture
def write_audio(tmp_path):
    """Write samples to an audio file in tmp_path: write_audio(name, samples, sample_rate) -> Path."""

    def write(name: str, samples: np.ndarray, sample_rate: int, **kwargs) -> Path:
        path = tmp_path / name
        sf.write(str(path), samples, sample_rate, **kwargs)
        return path

    return write
