from pathlib import Path

import numpy as np
import pytest
import torch

from facemotion.audio.io import load_audio
from facemotion.audio.vad import speech_spans

SPEECH = Path(__file__).parents[1] / "fixtures" / "speech"


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


@pytest.mark.parametrize("speech", ["arctic_a0007.wav", "languages/fr.flac", "languages/zh.flac", "ljspeech_minute.flac"])
def test_spans_equal_silero_vads_own_wrapper(speech):
    """The onnxruntime loop and the span rules give what ``silero_vad.get_speech_timestamps`` gives (torch)."""
    from silero_vad import get_speech_timestamps, load_silero_vad

    waveform = load_audio(SPEECH / speech)
    waveform = np.concatenate([np.zeros(5000, np.float32), waveform, np.zeros(700, np.float32)])
    expected = get_speech_timestamps(torch.from_numpy(waveform), load_silero_vad(onnx=True), threshold=0.5,
                                     sampling_rate=16000, min_silence_duration_ms=100)
    assert expected
    assert speech_spans(waveform) == [(s["start"] / 16000, s["end"] / 16000) for s in expected]

