"""Gaze on real speech against the "Eyes Alive" model (Lee, Badler & Badler 2002): saccade magnitudes, durations and
the time between saccades while talking and listening; the eyes come back to the camera; eyeLook agrees."""

import numpy as np
import pytest
from scipy import stats

from facemotion.expression.cues import talking
from facemotion.expression.gaze import (
    DRIFT_DEG,
    EYE_LOOK_DEGREES,
    GAZE_HOLD_S,
    MAX_SACCADE_DEG,
    eye_look_weights,
    saccade_schedule,
)
from facemotion.expression.performance import PerformanceSettings
from facemotion.face_models.names import ARKIT_INDEX

GAZE_ONLY = PerformanceSettings(blinks=False, brows=False, head=False, breathing=False)


def model_cdf(amplitude: np.ndarray) -> np.ndarray:
    """CDF of Lee et al.'s saccade magnitude density ln(M / A) / M on (0, M], M = 15.7 degrees."""
    a = np.clip(amplitude / MAX_SACCADE_DEG, 1e-12, 1.0)
    return a * (1.0 - np.log(a))


def schedules(cues, seeds=range(20)):
    return [saccade_schedule(cues, np.random.default_rng(seed)) for seed in seeds]


def holds_by_state(cues, saccades) -> dict[tuple[bool, bool], list[float]]:
    """Hold times after each saccade but the last, keyed by (talking at its end, eyes on the camera)."""
    ends = saccades.onsets + saccades.durations
    keys = zip(talking(cues, ends[:-1]), ~saccades.away[:-1])
    held: dict[tuple[bool, bool], list[float]] = {}
    for key, hold in zip(keys, saccades.holds):
        held.setdefault((bool(key[0]), bool(key[1])), []).append(float(hold))
    return held


def test_saccade_magnitudes_follow_the_model(minute, cues_of):
    away = np.concatenate([s.amplitudes[s.away] for s in schedules(cues_of(minute))])
    result = stats.kstest(away, model_cdf)
    print(
        f"{len(away)} saccades: median {np.median(away):.2f} deg (model 2.93), KS D {result.statistic:.3f} "
        f"p {result.pvalue:.2f}"
    )
    assert result.pvalue > 0.01
    assert np.median(away) == pytest.approx(2.93, rel=0.2)
    assert away.max() <= MAX_SACCADE_DEG


def test_saccade_durations_follow_the_main_sequence(minute, cues_of):
    for saccades in schedules(cues_of(minute), range(3)):
        np.testing.assert_allclose(saccades.durations, 0.021 + 0.0022 * saccades.amplitudes)


def test_time_between_saccades_follows_the_model_talking_and_listening(minute, with_silence, cues_of):
    held: dict[tuple[bool, bool], list[float]] = {}
    for analysis in (minute, with_silence):
        cues = cues_of(analysis)
        for saccades in schedules(cues, range(30)):
            for key, values in holds_by_state(cues, saccades).items():
                held.setdefault(key, []).extend(values)
    for key, (mean, sd) in GAZE_HOLD_S.items():
        values = np.array(held.get(key, []))
        print(
            f"talking={key[0]} mutual={key[1]}: {len(values)} holds, mean {values.mean():.2f} s (model {mean:.2f}), "
            f"SD {values.std():.2f} s (model {sd:.2f})"
        )
        assert len(values) >= 20
        assert values.mean() == pytest.approx(mean, rel=0.25)
        if key == (True, True):  # the most frequent: enough of them for a distribution test
            assert stats.kstest(values, stats.gamma((mean / sd) ** 2, scale=sd**2 / mean).cdf).pvalue > 0.01


def test_eyes_leave_the_camera_and_return_to_it(minute, cues_of, performance_of):
    saccades = saccade_schedule(cues_of(minute), np.random.default_rng(0))
    assert saccades.away[0] and np.all(saccades.away[::2]) and not np.any(saccades.away[1::2])
    np.testing.assert_array_equal(saccades.targets[~saccades.away], 0.0)
    # rendered, with the head still: mostly on the camera (within the drift), every look away short and followed
    # by a return (Lee et al.: 0.93 s away, 3.1 s on the listener while talking)
    eyes = performance_of(minute, settings=GAZE_ONLY).eye_rotation
    np.testing.assert_array_equal(eyes[:, 0], eyes[:, 1])
    away = np.linalg.norm(eyes[:, 0], axis=1) > 5 * DRIFT_DEG
    edges = np.flatnonzero(np.diff(np.concatenate([[0], away.astype(int), [0]])))
    looks = (edges[1::2] - edges[::2]) / 30.0
    print(f"on the camera {1 - away.mean():.0%} of the minute; {len(looks)} looks away, longest {looks.max():.2f} s")
    assert 1 - away.mean() > 0.6
    assert len(looks) >= 8 and looks.max() < 5.0


def test_eye_look_channels_agree_with_eye_rotation(minute, performance_of):
    performance = performance_of(minute)
    look = eye_look_weights(performance.eye_rotation)
    channels = [index for index, value in enumerate(look.any(axis=0)) if value]
    np.testing.assert_array_equal(performance.weights[:, channels], look[:, channels])
    # signs: left eye yaw > 0 -> eyeLookOutLeft, right eye yaw > 0 -> eyeLookInRight, pitch > 0 -> eyeLookDown
    rotation = np.array([[[10.0, 15.0], [10.0, 15.0]], [[-6.0, -3.0], [-6.0, -3.0]]], np.float32)
    weights = eye_look_weights(rotation)
    expected = {"eyeLookOutLeft": 15, "eyeLookInRight": 15, "eyeLookDownLeft": 10, "eyeLookDownRight": 10}
    for name, degrees in expected.items():
        assert weights[0, ARKIT_INDEX[name]] == pytest.approx(degrees / EYE_LOOK_DEGREES)
    expected = {"eyeLookInLeft": 3, "eyeLookOutRight": 3, "eyeLookUpLeft": 6, "eyeLookUpRight": 6}
    for name, degrees in expected.items():
        assert weights[1, ARKIT_INDEX[name]] == pytest.approx(degrees / EYE_LOOK_DEGREES)
    assert np.count_nonzero(weights) == 8
