"""Pronunciation and transcript normalisation from gruut (facemotion.text.g2p)."""

from pathlib import Path

import pytest

from facemotion.text.g2p import IPA_TO_ARPABET, _gruut_words, ipa_to_arpabet, normalise_transcript, pronounce
from facemotion.text.phonemes import ARPABET


def test_ipa_table_covers_arpabet_and_nothing_else():
    assert set(IPA_TO_ARPABET.values()) == set(ARPABET)


@pytest.mark.parametrize("word, phones", [
    ("cat", ["K", "AE", "T"]),
    ("church", ["CH", "ER", "CH"]),
    ("thing", ["TH", "IH", "NG"]),
    ("measure", ["M", "EH", "ZH", "ER"]),
    ("boy", ["B", "OY"]),
])
def test_pronounce_common_words_like_cmudict(word, phones):
    assert pronounce(word) == phones


def test_pronounce_made_up_word():
    phones = pronounce("Zorblax")
    assert all(p in ARPABET for p in phones)
    assert phones[0] == "Z" and phones[-2:] == ["K", "S"]


def test_ipa_to_arpabet_strips_stress_and_length():
    assert ipa_to_arpabet("ˈaɪ") == "AY"
    assert ipa_to_arpabet("ˌiː") == "IY"


@pytest.mark.parametrize("bad", ["ʘ", ""])
def test_ipa_to_arpabet_rejects_unknown_symbols(bad):
    with pytest.raises(ValueError, match="no ARPAbet phone"):
        ipa_to_arpabet(bad)


@pytest.mark.parametrize("word", ["", "   ", "!!!"])
def test_pronounce_rejects_words_without_sound(word):
    with pytest.raises(ValueError):
        pronounce(word)


def test_normalise_transcript_expands_numbers_and_drops_punctuation():
    words = normalise_transcript("In 1999, Dr. O'Brien's well-known \"Zorblax\" cost $5!")
    assert words == ["in", "nineteen", "ninety", "nine", "doctor", "o'brien's", "well", "known", "zorblax",
                     "cost", "five", "dollars"]


def test_normalise_transcript_removes_accents():
    assert normalise_transcript("A naïve café.") == ["a", "naive", "cafe"]


def test_normalise_transcript_of_nothing_is_empty():
    assert normalise_transcript("  ... ") == []


REPOSITORY = Path(__file__).resolve().parents[2]
TRANSCRIPTS = sorted([REPOSITORY / "assets" / "samples" / "LJ001-0001.txt",
                      *(REPOSITORY / "tests" / "fixtures" / "speech").glob("*.txt")])


@pytest.mark.parametrize("text", [
    *(path.read_text().strip() for path in TRANSCRIPTS),
    "Hello there, how are you?", "It's a well-known fact.", "'Tis the season (mostly)...", 'He said "stop!"',
    "o'brien's hat", "Don’t go! It was fun. Really", "I am here.",
    # gruut expands these: the same words either way
    "Mr. Smith", "J. Smith went.", "The FBI came.", "Henry VIII", "vs them", "Go to St. Louis", "It's OK.",
    "a - b", "rock-'n'-roll", "well--known", "U.S. roads",
], ids=lambda text: text[:24])
def test_plain_text_gives_gruuts_words_without_gruut(text):
    assert normalise_transcript(text) == _gruut_words(text)
