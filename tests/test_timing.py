"""The clocks of a take: frames, samples and seconds convert one way everywhere."""

import itertools

import numpy as np
import pytest

from facemotion.data.clip import MotionClip
from facemotion.timing import (
    frame_features,
    frame_sample,
    frame_samples,
    frames_centred_within,
    frames_covering,
    frames_within,
    span_samples,
)


def test_frame_counts_of_a_duration_and_of_audio():
    assert frames_covering(1.0, 30.0) == 30 and frames_covering(1.01, 30.0) == 31
    assert frames_covering(0.1 * 3, 10.0) == 3  # 3.0000000000000004 frames is 3 frames
    assert frames_within(16000, 30.0) == 30 and frames_within(15999, 30.0) == 29
    assert frames_centred_within(16000 - 320, 25.0) == 25 and frames_centred_within(16000 - 321, 25.0) == 24


@pytest.mark.parametrize("fps", [24.0, 25.0, 29.97, 30.0, 60.0])
def test_consecutive_windows_tile_the_audio_without_gap_or_overlap(fps):
    n_samples = 16000 * 7 + 123
    n_frames = frames_within(n_samples, fps)
    edges = [frame_samples(start, start + 17, fps) for start in range(0, n_frames - 17, 17)]
    assert all(a.stop == b.start for a, b in itertools.pairwise(edges))
    assert frame_sample(n_frames, fps) <= n_samples  # the last complete frame's speech is all there
    assert span_samples(0.5, 1.0) == slice(8000, 16000)


def test_a_clip_is_cropped_so_that_motion_and_audio_end_together():
    audio = np.zeros(16000 + 300, np.float32)  # 30.56 frames of speech at 30 fps
    clip = MotionClip("take", audio, 30.0, np.zeros((40, 52), np.float32), "arkit")
    cropped = clip.cropped()
    assert cropped.n_frames == 30 and len(cropped.audio) == 16000
    assert clip.cropped(10).n_frames == 10 and len(clip.cropped(10).audio) == frame_sample(10, 30.0)
    with pytest.raises(ValueError, match="cannot crop to 31 frames: 30 have motion and speech"):
        clip.cropped(31)


@pytest.mark.parametrize("rate", [50.0, 100.0])
def test_feature_slices_of_windows_start_with_their_frames_and_are_never_empty(rate):
    assert frame_features(210, 450, 30.0, rate, 10_000) == slice(round(7 * rate), round(15 * rate))  # exact
    window = frame_features(1, 121, 30.0, rate, 10_000)
    assert abs(window.start / rate - 1 / 30) <= 0.5 / rate
    assert frame_features(99, 100, 30.0, rate, 50) == slice(49, 50)  # past the end: the last feature frame
