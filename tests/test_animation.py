import math
from dataclasses import replace

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


def turning(frames=4, fps=30.0):
    """A take with head and eye rotations rising linearly, degrees."""
    animation = ramp(frames, fps)
    head = np.outer(np.arange(frames), [1.0, 2.0, -3.0]).astype(np.float32)
    eyes = np.outer(np.arange(frames), [4.0, -5.0, 6.0, 7.0]).reshape(frames, 2, 2).astype(np.float32)
    return FaceAnimation(fps, animation.weights, head_rotation=head, eye_rotation=eyes)


@pytest.mark.parametrize("field, value, message", [
    ("head_rotation", np.zeros((4, 3)), r"head_rotation must be a float32 numpy array of shape \(4, 3\)"),
    ("head_rotation", np.zeros((3, 3), np.float32), r"shape \(4, 3\) \(degrees\), got float32 \(3, 3\)"),
    ("head_rotation", [[0.0, 0.0, 0.0]] * 4, "got list"),
    ("eye_rotation", np.zeros((4, 2), np.float32), r"eye_rotation must be a float32 numpy array of shape \(4, 2, 2\)"),
    ("eye_rotation", np.full((4, 2, 2), np.inf, np.float32), "eye_rotation contains NaN or Inf"),
    ("head_rotation", np.full((4, 3), np.nan, np.float32), "head_rotation contains NaN or Inf"),
])
def test_rotations_are_checked(field, value, message):
    with pytest.raises(ValueError, match=message):
        FaceAnimation(30.0, ramp(4).weights, **{field: value})


def test_rotations_are_optional_and_independent():
    animation = ramp(4)
    assert animation.head_rotation is None and animation.eye_rotation is None
    only_eyes = FaceAnimation(30.0, animation.weights, eye_rotation=np.zeros((4, 2, 2), np.float32))
    assert only_eyes.head_rotation is None and only_eyes.eye_rotation.shape == (4, 2, 2)


def test_resample_interpolates_rotations_linearly():
    resampled = turning().resample(60.0)
    assert resampled.head_rotation.shape == (8, 3) and resampled.eye_rotation.shape == (8, 2, 2)
    assert resampled.head_rotation.dtype == resampled.eye_rotation.dtype == np.float32
    half_frames = np.minimum(np.arange(8) / 2, 3)  # held at the last frame past the end
    np.testing.assert_allclose(resampled.head_rotation, np.outer(half_frames, [1, 2, -3]), atol=1e-5)
    np.testing.assert_allclose(resampled.eye_rotation.reshape(8, 4), np.outer(half_frames, [4, -5, 6, 7]), atol=1e-5)


def test_replace_crop_and_pick_keep_the_rotations():
    animation = turning()
    assert replace(animation, fps=25.0).head_rotation is animation.head_rotation
    crop = animation.select_frames(slice(1, 3))
    assert crop.n_frames == 2 and crop.fps == animation.fps
    np.testing.assert_array_equal(crop.head_rotation, animation.head_rotation[1:3])
    np.testing.assert_array_equal(crop.eye_rotation, animation.eye_rotation[1:3])
    np.testing.assert_array_equal(crop.weights, animation.weights[1:3])
    pick = animation.select_frames(np.array([3, 0, 0]))
    np.testing.assert_array_equal(pick.head_rotation, animation.head_rotation[[3, 0, 0]])
    assert ramp(4).select_frames(slice(0, 2)).head_rotation is None


def test_the_flame_mapping_keeps_the_rotations():
    class Mapping:  # the interface of ARKitToFLAME that to_flame uses
        def apply(self, weights):
            return np.zeros((len(weights), 10), np.float32), np.zeros((len(weights), 3), np.float32)

    flame = turning().to_flame(Mapping())
    np.testing.assert_array_equal(flame.head_rotation, turning().head_rotation)
    np.testing.assert_array_equal(flame.eye_rotation, turning().eye_rotation)
