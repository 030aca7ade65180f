"""Real speech analysed once for the performance tests: the shipped minute of LJ Speech, and a take with a long
silence (CMU ARCTIC a0007, 6 s of silence, LJ001-0001), both force-aligned with their transcripts; and helpers
that run the performance layer on them at 30 fps."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from facemotion.expression.cues import speech_cues
from facemotion.expression.performance import perform
from facemotion.pipelines.speech_analysis import analyse_speech
from facemotion.timing import frames_covering

MINUTE = Path(__file__).resolve().parents[1] / "fixtures" / "speech" / "ljspeech_minute.flac"


@pytest.fixture(scope="session")
def minute():
    """The 61 s LJ Speech minute analysed with its transcript (forced alignment), waveform kept."""
    text = MINUTE.with_suffix(".txt").read_text(encoding="utf-8").strip()
    return analyse_speech(MINUTE, text, keep_waveform=True, pitch=True)


@pytest.fixture(scope="session")
def with_silence(tmp_path_factory, speech_clips):
    """arctic_a0007 (4.0 s), 6 s of digital silence, then LJ001-0001 (9.7 s), analysed with both transcripts."""
    pieces, texts = [], []
    for path, text in reversed(speech_clips.items()):  # arctic first
        samples, rate = sf.read(str(path), dtype="float32")
        pieces += [soxr.resample(samples, rate, 16000).astype(np.float32), np.zeros(6 * 16000, np.float32)]
        texts.append(text)
    path = tmp_path_factory.mktemp("speech") / "with_silence.wav"
    sf.write(str(path), np.concatenate(pieces[:-1]), 16000)
    return analyse_speech(path, " ".join(texts), keep_waveform=True, pitch=True)


def _inputs(analysis, fps: float) -> tuple:
    n_frames = frames_covering(analysis.info.duration, fps)
    return analysis.phonemes, analysis.speech_spans, analysis.loudness_db, analysis.pitch_hz, fps, n_frames


@pytest.fixture(scope="session")
def inputs():
    """inputs(analysis, fps=30.0) -> the positional arguments of ``perform`` (and of ``speech_cues``)."""
    return lambda analysis, fps=30.0: _inputs(analysis, fps)


@pytest.fixture(scope="session")
def cues_of():
    """cues_of(analysis, fps=30.0) -> the take's SpeechCues."""
    return lambda analysis, fps=30.0: speech_cues(*_inputs(analysis, fps))


@pytest.fixture(scope="session")
def performance_of():
    """performance_of(analysis, fps=30.0, **perform_kwargs) -> Performance, computed once per argument set."""
    done = {}

    def run(analysis, fps=30.0, **kwargs):
        key = (id(analysis), fps, *sorted(kwargs.items()))
        if key not in done:
            done[key] = perform(*_inputs(analysis, fps), **kwargs)
        return done[key]

    return run
