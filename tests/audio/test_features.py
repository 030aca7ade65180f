import numpy as np
import pytest

from facemotion.audio.features import LOUDNESS_FLOOR_DB, loudness_db, pool_to_frames


def test_loudness_of_known_levels():
    full_scale_square = np.ones(1600, np.float32)
    half_sine = (0.5 * np.sin(np.linspace(0, 200 * np.pi, 1600))).astype(np.float32)
    assert loudness_db(full_scale_square) == pytest.approx(np.zeros(10), abs=1e-5)
    assert loudness_db(half_sine).mean() == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.1)
    assert loudness_db(np.zeros(160, np.float32))[0] == LOUDNESS_FLOOR_DB


def test_loudness_length_rounds_up():
    assert len(loudness_db(np.zeros(161, np.float32))) == 2


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
