"""Blinks on a real minute of speech: conversational rate, placed at pauses and prominent syllables, asymmetric."""

import numpy as np

from facemotion.expression.blinks import MAX_DURATION_S, MIN_DURATION_S, blink_schedule, blink_weights
from facemotion.face_models.names import ARKIT_INDEX

CONVERSATION_RANGE = (10.5, 32.5)
"""Blinks per minute in conversation across studies (Doughty 2001, "Consideration of three types of spontaneous
eyeblink activity in normal humans", Optom. Vis. Sci. 78(10)); Bentivoglio et al. 1997 measured a mean of 26."""


def blink_onsets(closure: np.ndarray, fps: float) -> np.ndarray:
    """Times (s) at which a lid closure curve leaves 0: what one measures on the rendered lids."""
    return (np.flatnonzero((closure[1:] > 0) & (closure[:-1] == 0)) + 1) / fps


def distance_to_cues(times: np.ndarray, cues) -> np.ndarray:
    """(N,) seconds from each time to the nearest pause (0 inside one) or prominent syllable's vowel onset."""
    before, after = cues.pauses[None, :, 0] - times[:, None], times[:, None] - cues.pauses[None, :, 1]
    to_pause = np.maximum(np.maximum(before, after), 0.0).min(axis=1)
    return np.minimum(to_pause, np.abs(times[:, None] - cues.vowels[cues.prominent, 0][None]).min(axis=1))


def test_blink_rate_over_a_minute_of_speech_is_conversational(minute, performance_of):
    minutes = len(minute.waveform) / 16000 / 60
    rates = [
        len(blink_onsets(performance_of(minute, seed=seed).weights[:, ARKIT_INDEX["eyeBlinkLeft"]], 30.0)) / minutes
        for seed in range(5)
    ]
    print(f"blinks per minute, seeds 0-4: {np.round(rates, 1)}")
    assert all(CONVERSATION_RANGE[0] <= rate <= CONVERSATION_RANGE[1] for rate in rates)
    assert abs(np.mean(rates) - 26.0) <= 4.0


def test_blinks_start_at_pauses_and_prominent_syllables_far_above_chance(minute, cues_of, performance_of):
    cues = cues_of(minute)
    onsets = np.concatenate(
        [
            blink_onsets(performance_of(minute, seed=seed).weights[:, ARKIT_INDEX["eyeBlinkLeft"]], 30.0)
            for seed in range(5)
        ]
    )
    near = np.mean(distance_to_cues(onsets, cues) <= 0.3)
    chance = np.mean(distance_to_cues(np.arange(0.0, len(minute.waveform) / 16000, 0.01), cues) <= 0.3)
    print(f"blinks within 300 ms of a pause or prominent syllable: {near:.1%} of {len(onsets)}; by chance {chance:.1%}")
    assert near >= 0.7
    assert near >= chance + 0.15


def test_blinks_close_fast_open_slowly_and_close_fully_at_any_frame_rate(minute, cues_of):
    blinks = blink_schedule(cues_of(minute), np.random.default_rng(0))
    assert np.all((blinks[:, 1] >= MIN_DURATION_S) & (blinks[:, 1] <= MAX_DURATION_S))
    assert np.all(np.diff(blinks[:, 0]) > MAX_DURATION_S)  # each blink ends before the next starts
    for fps in (24.0, 30.0, 60.0):
        weights = blink_weights(blinks, fps, int(np.ceil(len(minute.waveform) / 16000 * fps)))
        left = weights[:, ARKIT_INDEX["eyeBlinkLeft"]]
        np.testing.assert_array_equal(left, weights[:, ARKIT_INDEX["eyeBlinkRight"]])
        np.testing.assert_allclose(weights[:, ARKIT_INDEX["eyeSquintLeft"]], 0.25 * left, atol=1e-7)
        for onset, duration in blinks:
            curve = left[int(np.ceil(onset * fps)) : int(np.ceil((onset + duration + 1 / fps) * fps))]
            assert curve.max() == 1.0
            closed = np.flatnonzero(curve == 1.0)
            assert len(curve) - 1 - closed[-1] >= closed[0]  # reopens over at least as many frames as it closed
