"""CTC forced alignment to hama's phone posteriors, and its place in the pipeline: the passages of other languages
that pocketsphinx's English model does not fit (real eSpeak NG speech of ``tests/fixtures/speech/languages``)."""

import json
import warnings
from itertools import groupby
from pathlib import Path

import numpy as np
import pytest

from facemotion.audio.io import load_audio
from facemotion.face_models.arkit import ARKitRig
from facemotion.metrics import lip_closure_score
from facemotion.pipelines.speech_to_face import animate
from facemotion.text import alignment
from facemotion.text.alignment import phonemes_for
from facemotion.text.ctc_alignment import MAX_PHONE_DEFICIT, MAX_SECONDS, ctc_align, ctc_aligned
from facemotion.text.languages import LANGUAGES, Word, pronounce_transcript
from facemotion.text.phonemes import SILENCE, PhonemeSegment
from facemotion.text.recognition import aligned_phonemes, fallback_phones

CLIPS = Path(__file__).resolve().parents[1] / "fixtures" / "speech" / "languages"
OTHER_LANGUAGES = sorted(set(LANGUAGES) - {"en"})
BILABIALS = ("p", "b", "m")
OTHER_SENTENCES = {  # not what the clips say
    "fr": "Le chat dort sous la table.", "de": "Der Hund liegt unter dem Tisch.", "es": "El gato duerme en la casa.",
    "it": "Il gatto dorme sotto il tavolo.", "pt": "O gato dorme na casa.", "zh": "小狗在家里睡觉。",
    "nl": "De kat slaapt onder de tafel.", "ru": "Кошка спит под столом.", "sv": "Katten sover under bordet.",
    "cs": "Kočka spí pod stolem.", "ja": "猫が机の下で寝ている。", "ko": "고양이가 집에서 자요.",
}


def clip(language: str) -> tuple[np.ndarray, dict]:
    record = json.loads((CLIPS / f"{language}.json").read_text(encoding="utf-8"))
    return load_audio(CLIPS / f"{language}.flac"), record


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_each_bilabial_is_timed_within_a_few_frames_and_the_sentence_fits(language):
    waveform, record = clip(language)
    phonemes, deficit = ctc_align(waveform, pronounce_transcript(record["text"], language))
    assert deficit <= MAX_PHONE_DEFICIT
    assert phonemes[0].start == 0 and phonemes[-1].end == pytest.approx(waveform.size / 16000)
    assert all(a.end == b.start for a, b in zip(phonemes, phonemes[1:]))
    found = [p.start for p in phonemes if p.phone in BILABIALS]
    truth = [start for phone, start, _ in record["phonemes"] if phone in BILABIALS]
    errors = [min(abs(start - f) for f in found) for start in truth]
    assert len(found) >= len(truth) and max(errors) < 0.07, errors  # eSpeak's times; CTC's median error 15 ms


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_another_sentence_does_not_fit(language):
    waveform, _ = clip(language)
    words = pronounce_transcript(OTHER_SENTENCES[language], language)
    assert ctc_align(waveform, words)[1] > MAX_PHONE_DEFICIT
    assert ctc_aligned(waveform, words) is None


def test_what_ctc_cannot_align_is_none_or_an_error():
    waveform, record = clip("fr")
    words = pronounce_transcript(record["text"], "fr")
    assert ctc_aligned(waveform[:1600], words) is None  # 0.1 s: fewer frames than phones
    assert ctc_aligned(np.zeros(int(MAX_SECONDS * 16000) + 1, np.float32), words) is None
    with pytest.raises(ValueError, match="no phones"):
        ctc_align(waveform, [Word("", ())])
    with pytest.raises(ValueError, match="at most"):
        ctc_align(np.zeros(int(MAX_SECONDS * 16000) + 1, np.float32), words)


@pytest.mark.parametrize("language", ["pt", "ru", "ko"])
def test_words_the_english_model_does_not_fit_are_ctc_aligned_and_keep_their_words(language, monkeypatch):
    waveform, record = clip(language)
    monkeypatch.setattr(alignment, "CROSS_LINGUAL_MIN_WINDOW_SCORE", 0.0)  # no stretch fits the English model
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # realigned: nothing falls back
        phonemes = aligned_phonemes(waveform, record["text"], language=language)
    spoken = [p for p in phonemes if p.phone != SILENCE]
    assert spoken and all(p.word is not None for p in spoken)
    assert [p.phone for p in spoken] == [p for w in pronounce_transcript(record["text"], language) for p in w.phones]
    with pytest.warns(UserWarning, match="falling back to phone recognition"):
        recognised = phonemes_for(waveform, record["text"], recognize=fallback_phones, language=language)
    assert all(p.word is None for p in recognised)


def test_lips_close_on_every_bilabial_where_only_ctc_fits(monkeypatch):
    _, record = clip("pt")
    monkeypatch.setattr(alignment, "CROSS_LINGUAL_MIN_WINDOW_SCORE", 0.0)
    animation = animate(CLIPS / "pt.flac", record["text"], language="pt", performance=None)
    truth = [PhonemeSegment(p.upper(), start, end) for p, start, end in record["phonemes"] if p in BILABIALS]
    rig = ARKitRig.default()
    score = lip_closure_score(rig.inner_lip_gap(rig(animation.weights)), truth, animation.fps)
    assert score.bilabials == 4 and score.closed == 4, score.bilabial_gaps_mm


def test_only_the_passages_that_do_not_fit_are_realigned():
    """The Spanish sentence twice, said once and followed by an Italian one: the English model rejects a passage of
    the second half; ``realign`` gets exactly its words; what it aligns keeps them, what it refuses is recognised."""
    spanish, record = clip("es")
    audio = np.concatenate([spanish, np.zeros(16000, np.float32), clip("it")[0]])
    text = f"{record['text']} {record['text']}"
    asked = []

    def refuse(waveform, words):
        asked.extend(w.text for w in words)
        return None

    with pytest.warns(UserWarning, match="failed in part") as caught:
        phonemes_for(audio, text, recognize=fallback_phones, language="es", realign=refuse)
    assert asked and f"{' '.join(asked)!r}" in str(caught[0].message)  # the refused words, named
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # everything aligned: nothing falls back
        realigned = phonemes_for(audio, text, recognize=fallback_phones, language="es",
                                 realign=lambda waveform, words: ctc_align(waveform, words)[0])
    said = [w.text for w in pronounce_transcript(record["text"], "es")]
    assert [word for word, _ in groupby(p.word for p in realigned if p.word)] == said * 2
