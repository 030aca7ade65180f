"""Breathing on real speech: a faint nostril flare in the pauses that hold a breath, never during speech."""

import numpy as np

from facemotion.expression.breathing import BREATH_PAUSE_S, FLARE, NOSTRIL_CHANNELS, breath_weights, breaths
from facemotion.face_models.names import ARKIT_INDEX


def test_nostrils_flare_before_phrases_in_long_pauses_never_during_speech(minute, cues_of):
    cues = cues_of(minute)
    inhalations = breaths(cues)
    long_pauses = cues.pauses[(cues.pauses[:, 1] - cues.pauses[:, 0] >= BREATH_PAUSE_S) & (cues.pauses[:, 1] < 61)]
    assert len(inhalations) == len(long_pauses) > 0
    assert np.all((inhalations[:, 0] >= long_pauses[:, 0]) & (inhalations[:, 1] < long_pauses[:, 1]))
    weights = breath_weights(inhalations, cues.fps, cues.n_frames)
    flare = weights[:, ARKIT_INDEX["noseSneerLeft"]]
    np.testing.assert_array_equal(flare, weights[:, ARKIT_INDEX["noseSneerRight"]])
    assert not np.any(flare[cues.speaking])
    assert 0.5 * FLARE < flare.max() <= FLARE
    assert not np.any(np.delete(weights, [ARKIT_INDEX[name] for name in NOSTRIL_CHANNELS], axis=1))
