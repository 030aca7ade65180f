"""Prosodic cues of real speech: phrases and pauses from voice activity, prominent syllables from loudness, duration
and F0."""

import numpy as np

from facemotion.expression.cues import MIN_PAUSE_S, VOWELS, speech_cues, talking
from facemotion.text.phonemes import PhonemeSegment


def test_pauses_are_the_silences_between_phrases(minute, cues_of):
    cues = cues_of(minute)
    edges = np.concatenate([[0.0], cues.phrases.ravel(), [len(minute.waveform) / 16000]]).reshape(-1, 2)
    assert np.all(np.diff(cues.phrases.ravel()) > 0)  # phrases in order, apart
    np.testing.assert_array_equal(cues.pauses, edges[edges[:, 1] - edges[:, 0] >= MIN_PAUSE_S])
    assert np.all(cues.phrases[1:, 0] - cues.phrases[:-1, 1] >= MIN_PAUSE_S)
    assert len(cues.pauses) >= 7  # at least the 0.5 s joins of the 8 clips
    assert talking(cues, np.arange(0, 61, 0.1)).all()  # no pause of 2 s in the minute: one turn


def test_prominent_syllables_are_a_loud_minority_and_accents_are_a_subset(minute, cues_of):
    cues = cues_of(minute)
    assert len(cues.vowels) == sum(p.phone in VOWELS for p in minute.phonemes)
    share = cues.prominent.mean()
    print(f"{cues.prominent.sum()} prominent of {len(cues.vowels)} syllables, {cues.accent.sum()} pitch accents")
    assert 0.15 < share < 0.45
    assert np.all(cues.prominent[cues.accent]) and 0 < cues.accent.sum() < cues.prominent.sum()
    assert np.median(cues.vowel_loudness[cues.prominent]) > np.median(cues.vowel_loudness[~cues.prominent]) + 2
    assert abs(np.median(cues.vowel_f0)) < 0.5  # semitones about the take's median
    starts = cues.vowels[cues.prominent, 0]
    assert np.all(np.diff(starts) > 0.2)  # at most one per syllable pair


def test_silence_has_no_phrases_and_no_syllables():
    silent = np.full(200, -100.0, np.float32)
    cues = speech_cues([PhonemeSegment("SIL", 0.0, 2.0)], [], silent, np.full(200, 100.0, np.float32), 30.0, 60)
    assert cues.phrases.shape == (0, 2) and cues.vowels.shape == (0, 2)
    np.testing.assert_array_equal(cues.pauses, [[0.0, 2.0]])
    assert not cues.speaking.any() and not talking(cues, np.array([1.0]))[0]
