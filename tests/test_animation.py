import math

import numpy as np
import pytest

from facemotion.animation import MAX_FPS, FaceAnimation
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


@pytest.mark.parametrize("fps", [0.0, -24.0, float("nan"), 1e9, MAX_FPS + 1])
def test_resample_rejects_bad_fps(fps):
    with pytest.raises(ValueError, match=r"fps must be a number in \(0, 1000\]"):
        ramp().resample(fps)


def test_resample_takes_the_highest_frame_rate_and_refuses_a_string():
    assert ramp().resample(MAX_FPS).fps == MAX_FPS
    with pytest.raises(TypeError, match="fps must be a number, got str"):
        ramp().resample("60")


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


def test_flame_parameters_are_checked_and_resampled():
    animation = ramp(frames=4)
    with pytest.raises(ValueError, match="go together"):
        FaceAnimation(30.0, animation.weights, flame_expression=np.zeros((4, 10), np.float32))
    with pytest.raises(ValueError, match="need 4 rows"):
        FaceAnimation(30.0, animation.weights, flame_expression=np.zeros((3, 10), np.float32),
                      flame_jaw_pose=np.zeros((3, 3), np.float32))
    jaw = np.zeros((4, 3), np.float32)
    jaw[:, 0] = [0.0, 0.1, 0.2, 0.3]
    flame = FaceAnimation(30.0, animation.weights, flame_expression=np.zeros((4, 10), np.float32), flame_jaw_pose=jaw)
    resampled = flame.resample(60.0)
    assert resampled.flame_expression.shape == (8, 10)
    np.testing.assert_allclose(resampled.flame_jaw_pose[:7, 0], np.arange(7) * 0.05, atol=1e-6)
