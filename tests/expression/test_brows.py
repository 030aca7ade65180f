"""Brow raises on real speech: only on emphatic pitch accents, far from every syllable, spaced apart."""

import numpy as np

from facemotion.expression.brows import EMPHASIS_THRESHOLD, LEAD_S, MIN_GAP_S, RAISE, brow_raises, brow_weights
from facemotion.face_models.names import ARKIT_INDEX


def test_brows_rise_on_emphatic_pitch_accents_only(minute, cues_of):
    cues = cues_of(minute)
    raises = brow_raises(cues)
    accents = cues.vowels[cues.accent & (cues.prominence >= EMPHASIS_THRESHOLD), 0]
    print(
        f"{len(raises)} brow raises, {cues.accent.sum()} pitch accents, {cues.prominent.sum()} prominent syllables, "
        f"{len(cues.vowels)} syllables in {len(minute.waveform) / 16000:.0f} s"
    )
    assert np.all(np.abs(raises[:, 0][:, None] + LEAD_S - accents[None]).min(axis=1) < 1e-9)
    assert np.all(np.diff(raises[:, 0]) >= MIN_GAP_S)
    assert 5 <= len(raises) <= len(cues.vowels) / 8  # some, and never on every syllable
    assert len(raises) < cues.accent.sum()


def test_brow_weights_lie_on_the_brow_raisers(minute, cues_of):
    weights = brow_weights(brow_raises(cues_of(minute)), 30.0, 1842)
    driven = [ARKIT_INDEX[name] for name in RAISE]
    assert np.all(weights[:, driven].max(axis=0) > 0.2) and weights.max() <= 1.0
    assert not np.any(np.delete(weights, driven, axis=1))
    assert not np.any(brow_weights(brow_raises(cues_of(minute)), 30.0, 1842, scale=0.0))
