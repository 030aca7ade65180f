"""hama's phone recogniser on real English speech (conftest.speech_clips), silence and long input."""

import math

import numpy as np
import pytest

from facemotion.audio.io import load_audio
from facemotion.audio.vad import speech_spans
from facemotion.face_models.arkit import ARKitRig
from facemotion.metrics.lip_closure import frames_inside
from facemotion.metrics.phone_error_rate import phone_error_rate
from facemotion.pipelines.speech_to_face import animate
from facemotion.text import hama_phones
from facemotion.text.alignment import align, cut_points
from facemotion.text.hama_phones import PIECE_SECONDS, hama_phonemes, hama_phones_in_spans
from facemotion.text.phonemes import SILENCE
from facemotion.text.recognition import HAMA, recognize_speech

RATE = 16000


@pytest.fixture(scope="module")
def clips(speech_clips):
    """{name: (16 kHz float32 waveform, forced alignment of its transcript)}."""
    out = {}
    for path, text in speech_clips.items():
        waveform = load_audio(path)
        out[path.stem] = (waveform, align(waveform, text))
    return out


def assert_contiguous(phonemes, start, end):
    assert phonemes[0].start == pytest.approx(start, abs=1e-6)
    assert phonemes[-1].end == pytest.approx(end, abs=1e-6)
    for a, b in zip(phonemes[:-1], phonemes[1:]):
        assert a.end == pytest.approx(b.start, abs=1e-6) and a.end > a.start


def test_recognised_phones_agree_with_the_forced_alignment(clips):
    # measured: LJ001-0001 10 % (whole clip and VAD spans with context), arctic_a0007 21 % whole, 24 % in spans
    edits = length = 0
    for name, (waveform, reference) in clips.items():
        ref = [s.phone for s in reference]
        whole = hama_phonemes(waveform)
        assert_contiguous(whole.phonemes, 0.0, waveform.size / RATE)
        recognized = recognize_speech(waveform, speech_spans(waveform), HAMA)
        assert recognized.language is None and all(s.word is None for s in recognized.phonemes)
        for phonemes in (whole.phonemes, recognized.phonemes):
            per = phone_error_rate(ref, [s.phone for s in phonemes])
            assert per < 0.35, f"{name}: {100 * per:.0f} % phone errors"
        n = sum(p != SILENCE for p in ref)
        edits += phone_error_rate(ref, [s.phone for s in recognized.phonemes]) * n
        length += n
    assert edits / length < 0.25


@pytest.mark.parametrize("level", [0.0, 1e-4])
def test_silence_gives_only_pauses(level):
    waveform = np.random.default_rng(0).normal(0, level, 3 * RATE).astype(np.float32)
    result = hama_phonemes(waveform)
    assert [s.phone for s in result.phonemes] == [SILENCE]
    assert_contiguous(result.phonemes, 0.0, 3.0)
    assert hama_phones_in_spans(waveform, []) == []


def test_long_input_is_decoded_in_pieces_each_as_alone(clips, monkeypatch):
    pause = np.zeros(RATE // 2, np.float32)
    one = np.concatenate([part for waveform, _ in clips.values() for part in (waveform, pause)])
    waveform = np.concatenate([one] * math.ceil(120 * RATE / one.size))  # about 2 minutes
    lengths = []
    log_probs = hama_phones.hama_log_probs
    monkeypatch.setattr(hama_phones, "hama_log_probs", lambda w: lengths.append(w.size) or log_probs(w))
    phonemes = hama_phonemes(waveform).phonemes
    assert len(lengths) >= 4 and max(lengths) <= PIECE_SECONDS * RATE  # memory bounded by a piece's
    assert_contiguous(phonemes, 0.0, waveform.size / RATE)
    cuts = cut_points(waveform, int(PIECE_SECONDS * RATE))
    for first, last in zip(cuts[:-1], cuts[1:]):
        start, end = first / RATE, last / RATE
        alone = [(s.phone, round(s.start + start, 6), round(s.end + start, 6))
                 for s in hama_phonemes(waveform[first:last]).phonemes]
        inside = [(s.phone, round(s.start, 6), round(s.end, 6)) for s in phonemes
                  if s.start >= start - 1e-9 and s.end <= end + 1e-9]
        assert inside == alone


def test_bad_waveform_is_refused():
    with pytest.raises(ValueError, match="1-D finite float32"):
        hama_phonemes(np.zeros((2, RATE), np.float32))
    with pytest.raises(ValueError, match="1-D finite float32"):
        hama_phonemes(np.full(RATE, np.nan, np.float32))


def test_animate_with_hama_closes_the_lips_on_the_aligned_bilabials(speech_clips, clips):
    path = next(iter(speech_clips))  # LJ001-0001
    animation = animate(path, fps=30.0, recognizer=HAMA)
    assert animation.language is None
    rig = ARKitRig.default()
    gaps = rig.inner_lip_gap(rig(animation.weights))
    bilabials = [p for p in clips[path.stem][1] if p.phone in {"P", "B", "M"}]
    assert len(bilabials) >= 5
    for phone in bilabials:
        frames = frames_inside(phone.start, phone.end, animation.fps, animation.n_frames)
        assert gaps[frames].min() < 0.002, f"lips open on the aligned {phone}"


def test_offset_moves_every_time(clips):
    waveform = next(iter(clips.values()))[0]
    spans = speech_spans(waveform)
    alone = hama_phones_in_spans(waveform, spans)
    moved = hama_phones_in_spans(waveform, spans, 30.0)
    assert [(p.phone, p.start + 30.0, p.end + 30.0) for p in alone] == [(p.phone, p.start, p.end) for p in moved]


def test_animate_with_hama_across_audio_blocks(clips, write_audio):
    """The pipeline reads 30 s blocks: phones of every block land at their time in the file."""
    waveform = next(iter(clips.values()))[0]
    path = write_audio("long.wav", np.concatenate([waveform] * 4), RATE)
    animation = animate(path, recognizer=HAMA)
    starts = [p.start for p in animation.phonemes]
    assert starts == sorted(starts) and starts[-1] > 30.0
