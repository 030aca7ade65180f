import numpy as np
import pytest

from facemotion.face_models.names import ARKIT_INDEX
from facemotion.motion.coarticulation import ClosureSettings, blend_key_motions, close_lips, lip_closure
from facemotion.motion.keymotion import key_motions
from facemotion.text.phonemes import PhonemeSegment
from facemotion.text.visemes import load_viseme_table

JAW, CLOSE = ARKIT_INDEX["jawOpen"], ARKIT_INDEX["mouthClose"]


def segments(*spec):
    """spec: (phone, start, end) triples."""
    return [PhonemeSegment(p, s, e) for p, s, e in spec]


@pytest.fixture(scope="module")
def table():
    return load_viseme_table()


def test_blend_matches_naive_dominance_sum(table):
    keys = key_motions(segments(("SIL", 0, 0.2), ("M", 0.2, 0.27), ("AA", 0.27, 0.45), ("SIL", 0.45, 0.8)), table)
    fps = 60.0
    blended = blend_key_motions(keys, 48, fps)
    for t in range(48):
        time = t / fps
        d = [
            a * np.exp(-(tb if time < c else ta) * abs(time - c))
            for a, tb, ta, c in zip(keys.alpha, keys.theta_before, keys.theta_after, keys.centres)
        ]
        expected = np.einsum("n,nc->c", d, keys.poses) / np.sum(d)
        np.testing.assert_allclose(blended[t], expected, atol=1e-3)


def test_vowel_reaches_its_pose_and_frames_beyond_reach_rest(table):
    keys = key_motions(segments(("AA", 1.0, 1.3)), table)
    blended = blend_key_motions(keys, 300, 30.0)
    np.testing.assert_allclose(blended[35], table.poses["aa"], atol=1e-6)
    assert not blended[:5].any() and not blended[-5:].any()


def test_no_keys_is_a_resting_face(table):
    assert not blend_key_motions(key_motions([], table), 10, 30.0).any()


@pytest.mark.parametrize("fps", [24.0, 25.0, 29.97, 30.0, 60.0])
def test_every_bilabial_gets_a_fully_closed_frame(table, fps):
    # a 30 ms /b/ (pocketsphinx's minimum) between open vowels, at any frame phase
    for shift in np.linspace(0, 0.04, 7):
        keys = key_motions(segments(("AA", 0.5 + shift, 0.7 + shift), ("B", 0.7 + shift, 0.73 + shift),
                                    ("AA", 0.73 + shift, 0.95 + shift)), table)
        closure = lip_closure(keys, int(1.5 * fps), fps, ClosureSettings())
        near = np.abs(np.arange(len(closure)) / fps - (0.715 + shift)) <= 0.5 / fps + 0.015
        assert closure[near].max() == 1.0
        assert closure[0] == 0.0 and closure[-1] == 0.0


def test_lips_stay_closed_through_a_short_pause_next_to_a_bilabial(table):
    """"term. Ended": the /m/ before a 0.2 s pause and the /b/ after one hold the lips through it; a 1 s pause is
    left to rest."""
    fps = 30.0
    keys = key_motions(segments(("ER", 0.2, 0.4), ("M", 0.4, 0.45), ("SIL", 0.45, 0.65), ("EH", 0.65, 0.8),
                                ("SIL", 0.8, 1.0), ("B", 1.0, 1.05), ("AA", 1.05, 1.3), ("M", 1.3, 1.35),
                                ("SIL", 1.35, 2.35), ("AA", 2.35, 2.6)), table)
    closure = lip_closure(keys, 90, fps, ClosureSettings())
    times = np.arange(90) / fps
    assert (closure[(times >= 0.4) & (times <= 0.65)] == 1.0).all()
    assert (closure[(times >= 0.8) & (times <= 1.05)] == 1.0).all()
    assert (closure[(times > 1.5) & (times < 2.3)] == 0.0).all()
    unheld = lip_closure(keys, 90, fps, ClosureSettings(pause_hold_s=0.0))
    assert (unheld[(times > 0.52) & (times < 0.6)] == 0.0).all()


def test_close_lips_sets_mouth_close_to_jaw_and_releases_lip_opening():
    weights = np.zeros((3, 52), np.float32)
    weights[:, JAW] = 0.4
    weights[:, ARKIT_INDEX["mouthFunnel"]] = 0.5
    closed = close_lips(weights, np.array([0.0, 0.5, 1.0], np.float32), ClosureSettings(jaw_raise=0.5))
    np.testing.assert_allclose(closed[:, JAW], [0.4, 0.3, 0.2])
    np.testing.assert_allclose(closed[:, CLOSE], [0.0, 0.15, 0.2])
    np.testing.assert_allclose(closed[:, ARKIT_INDEX["mouthFunnel"]], [0.5, 0.25, 0.0])
