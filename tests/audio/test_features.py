import math
from pathlib import Path

import librosa
import numpy as np
import pytest

from facemotion.audio.features import (
    LOUDNESS_FLOOR_DB,
    PITCH_MAX_HZ,
    PITCH_MIN_HZ,
    PITCH_RATE,
    _yin,
    loudness_db,
    pitch_hz,
    pool_to_frames,
)
from facemotion.audio.io import load_audio

SPEECH = Path(__file__).parents[1] / "fixtures" / "speech"


def test_loudness_of_known_levels():
    full_scale_square = np.ones(1600, np.float32)
    half_sine = (0.5 * np.sin(np.linspace(0, 200 * np.pi, 1600))).astype(np.float32)
    assert loudness_db(full_scale_square) == pytest.approx(np.zeros(10), abs=1e-5)
    assert loudness_db(half_sine).mean() == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.1)
    assert loudness_db(np.zeros(160, np.float32))[0] == LOUDNESS_FLOOR_DB


def test_loudness_length_rounds_up():
    assert len(loudness_db(np.zeros(161, np.float32))) == 2


def test_pitch_of_a_sine_is_its_frequency_every_10_ms():
    waveform = (0.5 * np.sin(2 * np.pi * 150.0 * np.arange(16_001) / 16_000)).astype(np.float32)
    f0 = pitch_hz(waveform)
    assert f0.dtype == np.float32 and f0.shape == (101,)
    assert f0[5:-5] == pytest.approx(np.full(91, 150.0), abs=0.5)


@pytest.mark.parametrize("n_samples", [1, 100, 161, 16_000])
def test_pitch_covers_every_10_ms_within_the_search_range(n_samples):
    waveform = np.random.default_rng(n_samples).standard_normal(n_samples).astype(np.float32)
    f0 = pitch_hz(waveform)
    assert f0.shape == (-(-n_samples // 160),)
    assert np.all((f0 >= PITCH_RATE / math.ceil(PITCH_RATE / PITCH_MIN_HZ)) & (f0 <= PITCH_MAX_HZ))


@pytest.mark.parametrize("speech", ["arctic_a0007.wav", "languages/fr.flac", "languages/zh.flac"])
def test_yin_gives_librosa_yins_numbers(speech):
    import soxr

    low = soxr.resample(load_audio(SPEECH / speech), 16_000, PITCH_RATE)
    expected = librosa.yin(low, fmin=PITCH_MIN_HZ, fmax=PITCH_MAX_HZ, sr=PITCH_RATE, frame_length=PITCH_RATE // 25,
                           hop_length=PITCH_RATE // 100)
    np.testing.assert_array_equal(_yin(low, PITCH_RATE, PITCH_RATE // 25, PITCH_RATE // 100), expected)


def test_pitch_rejects_a_2d_waveform():
    with pytest.raises(ValueError, match="1-D"):
        pitch_hz(np.zeros((2, 160), np.float32))


def test_pool_to_frames_matches_naive_loop():
    rng = np.random.default_rng(0)
    track = rng.normal(size=(1000, 3)).astype(np.float32)
    for fps in (24.0, 29.97, 30.0, 60.0, 250.0):
        n = int(10 * fps)
        pooled = pool_to_frames(track, 100.0, fps, n)
        for t in range(n):
            inside = [k for k in range(1000) if t / fps <= k / 100 < (t + 1) / fps]
            expected = track[inside].mean(0) if inside else track[min(int((t + 0.5) * 100 / fps), 999)]
            np.testing.assert_allclose(pooled[t], expected, rtol=1e-5, atol=1e-5)


def test_pool_to_frames_rejects_bad_rates():
    with pytest.raises(ValueError, match="fps > 0"):
        pool_to_frames(np.zeros(10), 100.0, 0.0, 5)
