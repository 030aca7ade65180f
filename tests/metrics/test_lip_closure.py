"""Lip closure on bilabials: hand-made gap curves, a plain loop over frame times, and pooling."""

import math

import numpy as np
import pytest

from facemotion.metrics import LipClosureScore, frames_inside, lip_closure_score
from facemotion.text.phonemes import SILENCE, PhonemeSegment

FPS = 10.0


def reference_frames(start, end, fps, n_frames):
    """Frames t with start <= t / fps <= end, by a loop over all frames; else the one nearest the middle."""
    inside = [t for t in range(n_frames) if start <= t / fps + 1e-9 and t / fps <= end + 1e-9]
    return inside or [min(round((start + end) / 2 * fps), n_frames - 1)]


@pytest.mark.parametrize("fps", [10.0, 29.97, 30.0, 60.0])
def test_frames_inside_matches_a_loop_over_frame_times(fps):
    rng = np.random.default_rng(0)
    for _ in range(200):
        start = float(rng.uniform(0, 2))
        end = start + float(rng.choice([0.0, rng.uniform(0, 0.05), rng.uniform(0, 0.5)]))
        assert frames_inside(start, end, fps, 100).tolist() == reference_frames(start, end, fps, 100)


def test_a_phoneme_between_two_frames_gets_the_nearest_one_and_the_last_frame_caps_it():
    assert frames_inside(0.01, 0.03, FPS, 10).tolist() == [0]
    assert frames_inside(0.07, 0.09, FPS, 10).tolist() == [1]
    assert frames_inside(5.0, 6.0, FPS, 10).tolist() == [9]


def test_closed_and_open_lips_are_scored_in_millimetres():
    gaps = np.full(20, 0.010)  # 10 mm open everywhere
    gaps[3] = 0.001  # closed in frame 3 only: the /m/ at 0.25-0.35 s holds it
    gaps[12] = 0.025  # 25 mm in the /aa/ at 1.05-1.35 s
    phonemes = [
        PhonemeSegment(SILENCE, 0.0, 0.25),
        PhonemeSegment("M", 0.25, 0.35),   # frame 3 -> closed, 1 mm
        PhonemeSegment("P", 0.55, 0.75),   # frames 6, 7 -> 10 mm, open
        PhonemeSegment("AA", 1.05, 1.35),  # frames 11-13 -> max 25 mm
        PhonemeSegment("AE", 1.5, 1.55),   # shorter than 2 frames: not scored
        PhonemeSegment("IY", 1.6, 1.9),    # not an open vowel
    ]
    score = lip_closure_score(gaps, phonemes, FPS)
    assert (score.closed, score.bilabials) == (1, 2)
    assert score.closure_rate == 0.5
    np.testing.assert_allclose(score.bilabial_gaps_mm, [1.0, 10.0])
    assert score.mean_bilabial_gap_mm == pytest.approx(5.5)
    np.testing.assert_allclose(score.open_vowel_gaps_mm, [25.0])
    assert score.mean_open_vowel_gap_mm == pytest.approx(25.0)


def test_the_threshold_is_strict_and_configurable():
    gaps = np.full(10, 0.002)
    phonemes = [PhonemeSegment("B", 0.2, 0.4)]
    assert lip_closure_score(gaps, phonemes, FPS).closed == 0
    assert lip_closure_score(gaps, phonemes, FPS, closed_gap=0.003).closed == 1


def test_pooling_counts_phonemes_not_clips():
    one = lip_closure_score(np.full(10, 0.0), [PhonemeSegment("P", 0.2, 0.3)], FPS)
    three = lip_closure_score(np.full(10, 0.01), [PhonemeSegment("M", t, t + 0.1) for t in (0.1, 0.4, 0.7)], FPS)
    pooled = LipClosureScore.pooled([one, three])
    assert (pooled.closed, pooled.bilabials) == (1, 4)
    assert pooled.closure_rate == 0.25
    assert pooled.mean_bilabial_gap_mm == pytest.approx(7.5)


def test_no_bilabials_gives_nan_rates():
    score = lip_closure_score(np.full(5, 0.01), [PhonemeSegment("S", 0.0, 0.4)], FPS)
    assert score.bilabials == 0 and math.isnan(score.closure_rate) and math.isnan(score.mean_open_vowel_gap_mm)


def test_bad_input():
    with pytest.raises(ValueError, match="finite"):
        lip_closure_score(np.zeros((5, 2)), [], FPS)
    with pytest.raises(ValueError, match="finite"):
        lip_closure_score(np.array([0.0, np.nan]), [], FPS)
    with pytest.raises(ValueError, match="fps"):
        lip_closure_score(np.zeros(5), [], 0.0)
    with pytest.raises(ValueError, match="threshold"):
        LipClosureScore.pooled([])
