"""Head motion on real speech: pitch follows F0 and loudness, nods on prominent syllables, a still head in silence,
amplitude growing with emotion intensity and the performance scale."""

import numpy as np
import pytest

from facemotion.expression.head_motion import IDLE_SD_DEG, INTENSITY_GAIN, NOD_DEG, nods, phrase_posture
from facemotion.expression.performance import PerformanceSettings

HEAD_ONLY = PerformanceSettings(blinks=False, gaze=False, brows=False, breathing=False)


def vowel_frames(cues) -> tuple[np.ndarray, np.ndarray]:
    """Frames inside vowels and the F0 (semitones) of the vowel each lies in."""
    times = np.arange(cues.n_frames) / cues.fps
    index = np.searchsorted(cues.vowels[:, 0], times, side="right") - 1
    inside = (index >= 0) & (times < cues.vowels[np.maximum(index, 0), 1])
    return np.flatnonzero(inside), cues.vowel_f0[index[inside]]


def test_head_pitch_follows_f0_and_loudness(minute, cues_of, performance_of):
    cues = cues_of(minute)
    frames, f0 = vowel_frames(cues)
    with_f0, with_loudness = [], []
    for seed in range(5):
        pitch = performance_of(minute, settings=HEAD_ONLY, seed=seed).head_rotation[:, 0]
        with_f0.append(np.corrcoef(pitch[frames], f0)[0, 1])
        with_loudness.append(np.corrcoef(pitch[cues.speaking], cues.loudness_db[cues.speaking])[0, 1])
    print(
        f"head pitch r with vowel F0 {np.mean(with_f0):.2f} (seeds {np.round(with_f0, 2)}), with loudness in speech "
        f"{np.mean(with_loudness):.2f} (seeds {np.round(with_loudness, 2)})"
    )
    assert min(with_f0) > 0.25
    assert min(with_loudness) > 0.1


def test_nods_dip_the_chin_on_prominent_syllables(minute, cues_of):
    cues = cues_of(minute)
    pitch = nods(cues)
    assert pitch.min() == 0.0 and pitch.max() > NOD_DEG / 2
    centres = np.round(cues.vowels[cues.prominent].mean(axis=1) * cues.fps).astype(int)
    peaks = np.flatnonzero((pitch[1:-1] > pitch[:-2]) & (pitch[1:-1] >= pitch[2:])) + 1
    assert np.all(np.abs(peaks[:, None] - centres[None]).min(axis=1) <= 1)  # every nod peaks on a prominent vowel
    assert np.mean(pitch[~cues.speaking] == 0) > 0.6  # nods stay with the speech


def test_head_is_still_in_silence_but_for_the_idle_sway(with_silence, cues_of, performance_of):
    cues = cues_of(with_silence)
    start, end = max(cues.pauses, key=lambda pause: pause[1] - pause[0])
    assert end - start > 5.0
    times = np.arange(cues.n_frames) / cues.fps
    silence = (times > start + 1.0) & (times < end - 1.0)  # past the settling of the last phrase's posture
    assert np.all(nods(cues)[silence] == 0.0)
    assert np.abs(phrase_posture(cues, np.random.default_rng(0))[silence]).max() < 0.01
    head = performance_of(with_silence, settings=HEAD_ONLY).head_rotation
    print(
        f"head SD in silence {head[silence].std(0).round(2)} deg, in speech {head[cues.speaking].std(0).round(2)} deg"
    )
    assert np.all(head[silence].std(axis=0) < 1.5 * IDLE_SD_DEG)
    assert np.all(np.abs(head[silence]).max(axis=0) < 4 * IDLE_SD_DEG)
    assert head[cues.speaking, 0].std() > 3 * head[silence, 0].std()


def test_intensity_and_scale_grow_the_head_motion(minute, performance_of):
    calm = performance_of(minute, settings=HEAD_ONLY).head_rotation
    moved = performance_of(minute, settings=HEAD_ONLY, intensity=1.0).head_rotation
    assert moved.std(axis=0) == pytest.approx((1 + INTENSITY_GAIN) * calm.std(axis=0), rel=0.05)
    doubled = performance_of(minute, settings=PerformanceSettings(scale=2.0)).head_rotation
    np.testing.assert_allclose(doubled, 2 * performance_of(minute).head_rotation, rtol=1e-5, atol=1e-5)
    assert not np.any(performance_of(minute, settings=PerformanceSettings(scale=0.0)).head_rotation)
