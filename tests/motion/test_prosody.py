import numpy as np

from facemotion.face_models.names import ARKIT_INDEX
from facemotion.motion.prosody import ProsodySettings, apply_prosody, jaw_gain, rest_gate

SETTINGS = ProsodySettings()


def test_quieter_speech_opens_the_jaw_less():
    loudness = np.array([-20, -20, -35, -50, -90], np.float32)
    gain = jaw_gain(loudness, np.ones(5, bool), SETTINGS)
    assert gain[0] == 1.0 and gain[0] > gain[2] > gain[3]
    assert gain.min() == SETTINGS.min_gain


def test_gate_rests_the_mouth_away_from_speech():
    speech = np.zeros(100, bool)
    speech[40:60] = True
    gate = rest_gate(speech, 30.0, SETTINGS)
    assert (gate[40:60] == 1).all() and gate[0] == 0 and gate[-1] == 0
    assert 0 < gate[38] < 1 and np.all(np.diff(gate[30:41]) >= 0)


def test_no_speech_means_rest():
    assert not rest_gate(np.zeros(10, bool), 30.0, SETTINGS).any()
    assert (jaw_gain(np.zeros(10, np.float32), np.zeros(10, bool), SETTINGS) == 1).all()


def test_apply_prosody_scales_jaw_by_gain_and_all_by_gate():
    weights = np.full((2, 52), 0.5, np.float32)
    out = apply_prosody(weights, np.array([0.5, 1.0], np.float32), np.array([1.0, 0.0], np.float32))
    assert out[0, ARKIT_INDEX["jawOpen"]] == 0.25 and out[0, ARKIT_INDEX["mouthPucker"]] == 0.5
    assert not out[1].any()
