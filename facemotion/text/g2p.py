"""English grapheme-to-phoneme conversion and transcript normalisation, from gruut (offline).

The CMU Pronouncing Dictionary shipped with pocketsphinx covers most English words; :func:`pronounce`
gives an ARPAbet pronunciation for the others (names, new words), and :func:`normalise_transcript`
turns free text ("in 1999, Dr. Smith ...") into the lower-case word tokens that dictionary uses as
keys. Both use gruut (Synesthesiam, https://github.com/rhasspy/gruut) with its US English lexicon and
CRF grapheme-to-phoneme model (package ``gruut_lang_en``); nothing is downloaded.
"""

import re
import unicodedata
from functools import lru_cache

from facemotion.text.lexicons import sentences

LANGUAGE = "en-us"
"""The gruut language used for normalisation and pronunciation."""

IPA_TO_ARPABET: dict[str, str] = {
    # vowels and diphthongs
    "ɑ": "AA", "æ": "AE", "ʌ": "AH", "ə": "AH", "ɔ": "AO", "aʊ": "AW",
    "aɪ": "AY", "ɛ": "EH", "ɚ": "ER", "ɝ": "ER", "eɪ": "EY", "ɪ": "IH",
    "i": "IY", "oʊ": "OW", "ɔɪ": "OY", "ʊ": "UH", "u": "UW",
    # consonants
    "b": "B", "t͡ʃ": "CH", "tʃ": "CH", "d": "D", "ð": "DH", "f": "F", "ɡ": "G",
    "g": "G", "h": "HH", "d͡ʒ": "JH", "dʒ": "JH", "k": "K", "l": "L", "m": "M",
    "n": "N", "ŋ": "NG", "p": "P", "ɹ": "R", "r": "R", "s": "S", "ʃ": "SH",
    "t": "T", "θ": "TH", "v": "V", "w": "W", "j": "Y", "z": "Z", "ʒ": "ZH",
}
"""gruut's US English IPA phonemes (stress and length marks removed) → ARPAbet.

Follows gruut-ipa's own CMUdict table (``gruut_ipa/data/en-us/cmudict/ipa_map.txt``), completed with
the symbols gruut's lexicon uses that the table lacks: schwa ``ə`` → AH (CMUdict writes unstressed
schwa as AH0) and ``ɝ`` → ER; the unligated affricates ``tʃ``/``dʒ`` and ASCII ``g``/``r`` are
spelling variants.
"""

_SUPRASEGMENTALS = re.compile("[ˈˌːˑ]")
_NOT_KEY_CHARACTER = re.compile(r"[^a-z0-9']")


def ipa_to_arpabet(ipa_phoneme: str) -> str:
    """Map one gruut IPA phoneme (stress and length marks allowed) to its ARPAbet phone.

    Raises:
        ValueError: for a symbol missing from :data:`IPA_TO_ARPABET`.
    """
    bare = _SUPRASEGMENTALS.sub("", ipa_phoneme)
    if bare not in IPA_TO_ARPABET:
        raise ValueError(f"no ARPAbet phone for the IPA phoneme {ipa_phoneme!r}")
    return IPA_TO_ARPABET[bare]


@lru_cache(maxsize=4096)
def _pronunciation(word: str) -> tuple[str, ...]:
    phones: list[str] = []
    for sentence in sentences(word, lang=LANGUAGE, pos=False):
        for token in sentence:
            if token.is_spoken and token.phonemes:
                phones.extend(ipa_to_arpabet(ipa) for ipa in token.phonemes)
    return tuple(phones)


def pronounce(word: str) -> list[str]:
    """ARPAbet pronunciation (no stress digits) of an English word, from gruut.

    gruut looks the word up in its lexicon and otherwise predicts it with its grapheme-to-phoneme
    model, so made-up words ("zorblax" → Z AO R B L AE K S) get a plausible pronunciation. Use it
    for words missing from the CMU dictionary; gruut's lexicon and CMUdict can differ.

    Args:
        word: one word as :func:`normalise_transcript` gives it (any case is accepted).

    Returns:
        The phones, each in :data:`facemotion.text.phonemes.ARPABET`.

    Raises:
        ValueError: for an empty word or one gruut cannot pronounce (punctuation only).
    """
    if not word.strip():
        raise ValueError("pronounce() expected a word, got an empty string")
    phones = _pronunciation(word.strip().lower())
    if not phones:
        raise ValueError(f"gruut gives no pronunciation for {word!r}")
    return list(phones)


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def normalise_transcript(text: str) -> list[str]:
    """Split English text into lower-case spoken words, the keys of the CMU dictionary.

    gruut's text normalisation expands numbers, dates, currency and abbreviations ("in 1999" →
    in nineteen ninety nine, "Dr." → doctor, "$5" → five dollars) and splits hyphenated words;
    accents are removed ("café" → cafe), punctuation is dropped, apostrophes inside words are kept
    ("o'brien's"). Plain text, with nothing for gruut to expand (:func:`_plain_words`), is split
    without importing gruut (about 1 s of a short line's start-up): the same words.

    Args:
        text: a transcript, any case and punctuation.

    Returns:
        The words in reading order; empty when the text has no spoken word.
    """
    plain = _plain_words(text)
    return _gruut_words(text) if plain is None else plain


def _gruut_words(text: str) -> list[str]:
    """The words of :func:`normalise_transcript` by gruut's own normalisation."""
    words = []
    for sentence in sentences(text, lang=LANGUAGE, phonemes=False, pos=False):
        for token in sentence:
            key = _NOT_KEY_CHARACTER.sub("", _strip_accents(token.text.lower())).strip("'")
            if token.is_spoken and key:
                words.append(key)
    return words


_PLAIN_TEXT = re.compile(r"[A-Za-z\s,.!?;:'\"’“”()-]*")
"""Characters of plain English text: ASCII letters, white space, apostrophes, hyphens, quotes and sentence
punctuation."""
_PLAIN_TOKEN = re.compile(r"[(\"“'’]*([A-Za-z]+(?:['’][A-Za-z]+)*(?:-[A-Za-z]+(?:['’][A-Za-z]+)*)*)['’]?[)\"”'’]*[,;:]?"
                          r"(?:[.!?]+[)\"”'’]*)?")
"""A plain token: opening punctuation, words joined by single hyphens, closing punctuation."""
_GRUUT_EXPANDS = frozenset({"co", "dr", "drs", "jr", "ltd", "mr", "ms", "mrs", "st", "mt", "vs"})
"""Words gruut's US English expands before a period (its ``abbreviations``: "Dr." → doctor; "vs" also without)."""


def _plain_words(text: str) -> list[str] | None:
    """The words of text gruut would only split, or None where it might expand something.

    Plain: only :data:`_PLAIN_TEXT` characters, every white-space token a :data:`_PLAIN_TOKEN`, no word of
    :data:`_GRUUT_EXPANDS` before a period (nor "vs"), no initial ("J."), no word in capitals of two letters or more
    (an initialism or Roman numeral, which gruut spells out or reads). Checked against gruut on every transcript of
    the repository's tests and the English evaluation set (``tests/text/test_g2p.py``).
    """
    if not _PLAIN_TEXT.fullmatch(text):
        return None
    words = []
    for token in text.split():
        match = _PLAIN_TOKEN.fullmatch(token)
        if match is None:
            return None
        period = token.rstrip(")\"”'’").endswith(".")
        for part in match.group(1).split("-"):
            if (len(part) > 1 and part.isupper()) or part.lower() == "vs" or (
                    period and (part.lower() in _GRUUT_EXPANDS or len(part) == 1)):
                return None
            words.append(part.replace("’", "'").lower())
    return words

