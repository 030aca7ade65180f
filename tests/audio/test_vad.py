import numpy as np
import pytest

from facemotion.audio.io import load_audio
from facemotion.audio.vad import speech_spans


def test_silence_has_no_speech():
    assert speech_spans(np.zeros(16000 * 3, np.float32)) == []


def test_real_speech_is_found_and_padding_silence_is_not(speech_clips):
    speech = load_audio(next(p for p in speech_clips if p.name == "arctic_a0007.wav"))
    silence = np.zeros(16000 * 2, np.float32)
    spans = speech_spans(np.concatenate([silence, speech, silence]))
    assert spans, "no speech found in a real recording"
    assert spans[0][0] >= 2.0 and spans[-1][1] <= 2.0 + len(speech) / 16000 + 0.05
    assert sum(end - start for start, end in spans) > 2.5


def test_rejects_bad_waveform():
    with pytest.raises(ValueError, match="1-D finite float32"):
        speech_spans(np.full(16000, np.nan, np.float32))
