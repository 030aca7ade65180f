import math

import numpy as np
import pytest

from facemotion.animation import FaceAnimation
from facemotion.face_models.names import ARKIT_52


def ramp(frames=31, fps=30.0):
    weights = np.zeros((frames, 52), np.float32)
    weights[:, ARKIT_52.index("jawOpen")] = np.linspace(0, 1, frames)
    return FaceAnimation(fps=fps, weights=weights)


@pytest.mark.parametrize("fps", [24.0, 25.0, 29.97, 30.0, 50.0, 60.0])
def test_resample_keeps_duration_and_interpolates_linearly(fps):
    animation = ramp()
    resampled = animation.resample(fps)
    assert resampled.fps == fps and resampled.n_frames == math.ceil(31 * fps / 30 - 1e-9)
    times = np.arange(resampled.n_frames) / fps
    expected = np.clip(times * 30 / 30, 0, 1)  # the ramp rises 1/30 per source frame
    np.testing.assert_allclose(resampled.channel("jawOpen"), expected, atol=1e-6)


def test_resample_to_same_rate_is_identity():
    animation = ramp()
    np.testing.assert_array_equal(animation.resample(30.0).weights, animation.weights)


@pytest.mark.parametrize("fps", [0.0, -24.0, float("nan")])
def test_resample_rejects_bad_fps(fps):
    with pytest.raises(ValueError, match="fps must be a finite number > 0"):
        ramp().resample(fps)


@pytest.mark.parametrize("kwargs, message", [
    (dict(fps=0.0), "fps must be"),
    (dict(fps=30.0, weights=np.full((2, 52), 1.5, np.float32)), r"\[0, 1\]"),
    (dict(fps=30.0, weights=np.full((2, 52), np.nan, np.float32)), "NaN"),
    (dict(fps=30.0, weights=np.zeros((2, 51), np.float32)), "51 channels but 52 names"),
    (dict(fps=30.0, weights=np.zeros((2, 52))), "float32"),
])
def test_invalid_animations_are_refused(kwargs, message):
    kwargs.setdefault("weights", np.zeros((2, 52), np.float32))
    with pytest.raises(ValueError, match=message):
        FaceAnimation(**kwargs)


def test_channel_lookup():
    with pytest.raises(KeyError, match="no channel 'mouthOpen'"):
        ramp().channel("mouthOpen")
