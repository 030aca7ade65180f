"""Bilabials heard by hama's phone recogniser, put into recognised words that lack them."""

import threading
from pathlib import Path

import numpy as np
import pytest

from facemotion.audio.io import load_audio
from facemotion.face_models.arkit import ARKitRig
from facemotion.metrics.lip_closure import frames_inside
from facemotion.pipelines.speech_to_face import animate
from facemotion.text import recognition
from facemotion.text.alignment import phonemes_for
from facemotion.text.heard_bilabials import TOLERANCE_SECONDS, heard_bilabials, with_heard_bilabials
from facemotion.text.phonemes import PhonemeSegment
from facemotion.text.recognition import Transcription, TranscriptSegment

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "speech"


def _centre(segment: PhonemeSegment) -> float:
    return (segment.start + segment.end) / 2


def _matched(found, wanted, within=0.1) -> int:
    return sum(any(abs(_centre(f) - _centre(w)) <= within for w in wanted) for f in found)


def test_hama_hears_the_bilabials_of_real_speech():
    waveform = load_audio(FIXTURES / "ljspeech_minute.flac")
    aligned = phonemes_for(waveform, (FIXTURES / "ljspeech_minute.txt").read_text(encoding="utf-8"))
    bilabials = [p for p in aligned if p.phone in ("P", "B", "M")]
    heard = heard_bilabials(waveform)
    assert len(bilabials) > 50 and all(p.phone in ("P", "B", "M") and p.word is None for p in heard)
    assert _matched(bilabials, heard) >= 0.95 * len(bilabials)
    assert _matched(heard, bilabials) >= 0.95 * len(heard)
    # the true transcript's bilabials are all there already: nearly nothing is added
    added = [p for p in with_heard_bilabials(aligned, heard) if p.phone in ("P", "B", "M")]
    assert len(added) - len(bilabials) <= 1


def test_a_heard_bilabial_cuts_into_the_words_and_keeps_them():
    phonemes = [PhonemeSegment("SIL", 0.0, 0.2), PhonemeSegment("D", 0.2, 0.3, "dad"),
                PhonemeSegment("AE", 0.3, 0.5, "dad"), PhonemeSegment("D", 0.5, 0.6, "dad")]
    merged = with_heard_bilabials(phonemes, [PhonemeSegment("B", 0.25, 0.32)])
    assert merged == [PhonemeSegment("SIL", 0.0, 0.2), PhonemeSegment("D", 0.2, 0.25, "dad"),
                      PhonemeSegment("B", 0.25, 0.32), PhonemeSegment("AE", 0.32, 0.5, "dad"),
                      PhonemeSegment("D", 0.5, 0.6, "dad")]
    inside = with_heard_bilabials(phonemes, [PhonemeSegment("M", 0.35, 0.4)], language="fr")
    assert [p.phone for p in inside] == ["SIL", "D", "AE", "m", "AE", "D"]


def test_a_bilabial_the_words_have_nearby_is_not_doubled():
    phonemes = [PhonemeSegment("AH", 0.0, 0.3, "a"), PhonemeSegment("B", 0.3, 0.36, "bee"),
                PhonemeSegment("IY", 0.36, 0.6, "bee")]
    late = PhonemeSegment("P", 0.36 + TOLERANCE_SECONDS - 0.01, 0.45)
    assert with_heard_bilabials(phonemes, [late]) == phonemes
    ipa = [PhonemeSegment("β", 0.3, 0.36, "haba")]
    assert with_heard_bilabials(ipa, [PhonemeSegment("B", 0.31, 0.35)], language="es") == ipa


def test_a_misheard_word_still_closes_the_lips(speech_clips, monkeypatch):
    """Whisper hearing "Tinting" for "Printing", "Exhidition" for "Exhibition": the /p/ and /b/ hama hears close the
    lips where the true transcript's do."""
    path, text = next(iter(speech_clips.items()))
    misheard = text.replace("Printing", "Tinting").replace("Exhibition", "Exhidition")
    heard = Transcription("en", 1.0, (TranscriptSegment(misheard, 0.0, 9.0),))
    monkeypatch.setattr(recognition, "transcribe", lambda waveform, recognizer, language=None: heard)
    animation = animate(path)
    truth = [p for p in animate(path, text).phonemes if p.word in ("printing", "exhibition") and p.phone in ("P", "B")]
    assert len(truth) == 2
    rig = ARKitRig.default()
    gaps = rig.inner_lip_gap(rig(animation.weights))
    for phone in truth:
        near = [p for p in animation.phonemes if p.phone in ("P", "B", "M") and p.word is None
                and abs(_centre(p) - _centre(phone)) <= TOLERANCE_SECONDS + 0.05]
        assert near, phone
        assert gaps[frames_inside(phone.start, phone.end, animation.fps, animation.n_frames)].min() < 0.002, phone


@pytest.mark.parametrize("seconds", [0.0, 0.01])
def test_too_short_or_empty_audio_hears_nothing(seconds):
    assert heard_bilabials(np.zeros(int(seconds * 16000), np.float32)) == []


def test_a_stopped_search_ends_before_the_next_piece():
    stop = threading.Event()
    stop.set()
    assert heard_bilabials(load_audio(FIXTURES / "ljspeech_minute.flac"), stop) == []
