"""The phones a training take's key motions are posed at: recognised as inference recognises them."""

from facemotion.audio.io import load_audio
from facemotion.training.data import recognized_phonemes


def test_whisper_phones_carry_words_and_english_phones_do_not(speech_clips):
    path, text = next(iter(speech_clips.items()))
    audio = load_audio(path)
    english = recognized_phonemes(audio)
    heard = recognized_phonemes(audio, "whisper", "en")
    assert english and all(p.word is None for p in english)
    words = {p.word for p in heard if p.word}
    assert {"printing", "present", "exhibition"} <= words
    assert all(a.end <= b.start + 1e-9 for a, b in zip(heard[:-1], heard[1:]))
