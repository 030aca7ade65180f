"""The languages facemotion speaks, and the words and IPA phones of a transcript in each.

English keeps its own path (CMU Pronouncing Dictionary and gruut's US English, ARPAbet phones:
:mod:`facemotion.text.g2p`). The other languages are pronounced by well-kept grapheme-to-phoneme libraries into
the one IPA inventory of :mod:`facemotion.text.ipa`:

- French, German, Spanish, Italian, Portuguese, Dutch, Russian, Swedish, Czech: gruut (Synesthesiam,
  https://github.com/rhasspy/gruut, MIT) with its language packages ``gruut-lang-fr/-de/-es/-it/-pt/-nl/-ru/-sv/-cs``
  (MIT): a lexicon and a CRF grapheme-to-phoneme model each, numbers and abbreviations read out in the language;
  nothing is downloaded. Russian palatalised consonants are their plain consonant, Czech ř is ``r̝``, Swedish
  "sj" ``ɧ`` (:func:`~facemotion.text.ipa.ipa_phones`).
- Mandarin: pypinyin (mozillazg, https://github.com/mozillazg/python-pinyin, MIT) gives each Han character its
  pinyin syllable in context (its phrase dictionary chooses among readings), and pinyin-to-ipa (Stefan Taubert,
  https://github.com/stefantaubert/pinyin-to-ipa, MIT) the syllable's IPA. Each character is one word. Numbers
  in Arabic numerals, as Whisper writes them, are first written out in Han characters
  (:mod:`facemotion.text.mandarin_numbers`).
- Japanese: pyopenjtalk-plus (Ryuichi Yamamoto and contributors, https://github.com/tsukumijima/pyopenjtalk-plus,
  MIT), Open JTalk's text front end (Nagoya Institute of Technology, Modified BSD) with its MeCab dictionary
  inside the wheel (NAIST Japanese Dictionary and UniDic entries, BSD-3-Clause) and SudachiPy with SudachiDict
  (Works Applications, Apache-2.0) choosing among the readings of kanji: it cuts the text into morphemes (each
  one word here) and gives each its phonemes in context (particle は read "wa", rendaku 三本 "sanbon", numbers
  and Latin letters read out); :mod:`facemotion.text.japanese` writes them in IPA.
- Korean: no library; Hangul is written as it is said but for regular sound changes, which
  :mod:`facemotion.text.korean` makes (liaison, coda neutralisation, nasalisation, lateralisation).
  Each word between spaces is one word. Digits and hanja are not read.
- English words inside Mandarin and Korean transcripts (runs of Latin letters, as code-switched lines and
  Whisper's transcripts of them write brand names and loanwords): gruut's US English lexicon and
  grapheme-to-phoneme model, in IPA. Japanese text leaves them to Open JTalk, which reads them out.

Words a library cannot pronounce (symbols outside the inventory, digits in Korean text) are skipped with a
warning, never an error. Codes are ISO 639-1, as Whisper reports them.

The language of a transcript is identified from its text by py3langid (Adrien Barbaresi's maintained fork of
langid.py, Lui and Baldwin, "langid.py: An Off-the-shelf Language Identification Tool", ACL 2012; BSD-3-Clause;
model inside the wheel), among :data:`LANGUAGES` only (:func:`transcript_language`).
"""

import re
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from facemotion.text.ipa import ipa_phones

ENGLISH = "en"
"""The language whose phones are ARPAbet and whose transcripts take the English path."""

LANGUAGES: dict[str, str] = {
    "en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
    "zh": "Mandarin Chinese", "nl": "Dutch", "ru": "Russian", "sv": "Swedish", "cs": "Czech", "ja": "Japanese",
    "ko": "Korean",
}
"""ISO 639-1 code -> name of every supported language."""

GRUUT_LANGUAGES: dict[str, str] = {"fr": "fr-fr", "de": "de-de", "es": "es-es", "it": "it-it", "pt": "pt", "nl": "nl",
                                   "ru": "ru-ru", "sv": "sv-se", "cs": "cs-cz"}
"""ISO 639-1 code -> gruut's language name, for the languages gruut pronounces."""

LEXICON_CORRECTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "cs": {"a": ("a",)},  # "and", the most frequent Czech word: gruut-lang-cs 2.0 reads it as the letter name /ɛɪ/
    "nl": {"park": ("p", "ɑ", "ɹ", "k")},  # gruut-lang-nl 2.0's lexicon entry ends in a stray /supə/
}
"""Words a gruut language package mispronounces (seen in the held-out sentences of ``benchmarks/languages.py``):
language -> lower-case word -> the inventory phones said instead (gruut's own conventions, e.g. Dutch r as ɹ)."""

ENGLISH_GRUUT = "en-us"
"""gruut's language of the English words inside Mandarin and Korean transcripts."""


@dataclass(frozen=True)
class Word:
    """A spoken word of a transcript: its text (lower case) and its phones of the IPA inventory, in order."""

    text: str
    phones: tuple[str, ...]


Pronouncer = Callable[[str], tuple[list[Word], list[str]]]
"""text -> (its words, the tokens skipped)."""


def check_language(language: str) -> str:
    """Return ``language`` if facemotion supports it.

    Raises:
        TypeError: for a code that is not a str.
        ValueError: for an unsupported code; the message lists the supported ones.
    """
    if not isinstance(language, str):
        raise TypeError(f"language must be a str (ISO 639-1), got {type(language).__name__}")
    if language not in LANGUAGES:
        supported = ", ".join(f"{code} ({name})" for code, name in LANGUAGES.items())
        raise ValueError(f"unsupported language {language!r}: facemotion supports {supported}")
    return language


TRANSCRIPT_LANGUAGE_PROBABILITY = 0.85
"""Least probability (py3langid's, normalised over :data:`LANGUAGES`) with which a transcript's text must read as
a language for :func:`choose_language` to act on it: short texts ("OK", a name) read as anything at low
probability and are taken as English (without ``language``) or as the speech's language (with it). A choice,
checked over the eleven languages and again over the thirteen, Japanese and Korean added (no value below moved by
more than 0.0001): the 111 distinct English sentences of the evaluation set
(``datasets/make_english_eval.py``: Harvard, LJ Speech, ARCTIC) all read as English, 0.82 at least; the 96
sentences of ``benchmarks/languages.py`` as their language at 0.887 or more, Japanese and Korean at 1.0
(Swedish took "Mama backt Brot mit Butter und Pflaumen." from 0.946 to 0.887, hence 0.85 rather than the 0.9
chosen over seven languages); 45 short English game lines ("Help me!", "Grenade!") as another language at 0.39
at most (over the thirteen, 25 such lines at 0.33 at most). Four-word sentences can fall below ("Mama bringt Brot
mit.": German at 0.48)."""


@cache
def _identifier():
    """py3langid's identifier restricted to :data:`LANGUAGES`, loaded once per process (about 0.15 s).

    py3langid ships its model LZMA-compressed (4.6 MB; 68 MB of arrays, 0.7 s to unpack); :func:`_unpacked_model`
    keeps the arrays of our languages unpacked in facemotion's cache folder (where that cannot be written, the
    model is unpacked in memory, as py3langid does). Either way the identifier and its probabilities are those of
    ``LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)`` restricted with ``set_languages``.
    """
    from array import array

    import numpy as np
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    try:
        unpacked = _unpacked_model()
    except OSError:
        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        identifier.set_languages(list(LANGUAGES))
        return identifier
    with np.load(unpacked, allow_pickle=False) as model:
        nextmove, rows = model["nextmove"], model["nextmove_row"]  # as py3langid.modelio.load_model reads them
        return LanguageIdentifier(model["ptc"], model["pc"], model["classes"].tolist(),
                                  array(nextmove.dtype.char, nextmove.tobytes()), model["out_feat"].tolist(),
                                  norm_probs=True, tk_row=array(rows.dtype.char, rows.tobytes()))


def _unpacked_model() -> Path:
    """``py3langid-VERSION-LANGUAGES.npz`` in :func:`~facemotion.text.recognition.cache_dir`: py3langid's model
    arrays with its class columns cut to :data:`LANGUAGES`, uncompressed (42 MB for the thirteen languages; the name
    changes with the languages, so a file cut to other languages is never read); written on first use to a
    temporary file of its own, then renamed (:func:`~facemotion.exporters.atomic.atomic_output`), so processes and
    threads that write it at once each leave a whole file, and a failed write leaves nothing.

    Raises:
        OSError: when the cache folder cannot be written.
    """
    import io
    import lzma
    from importlib.metadata import version

    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    from facemotion.exporters.atomic import atomic_output
    from facemotion.text.recognition import cache_dir

    path = cache_dir() / f"py3langid-{version('py3langid')}-{'-'.join(LANGUAGES)}.npz"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with lzma.open(MODEL_DIR / MODEL_FILE) as packed:
        arrays = io.BytesIO(packed.read())
    with np.load(arrays, allow_pickle=False) as model, atomic_output(path) as partial, partial.open("wb") as out:
        ours = np.isin(model["classes"], list(LANGUAGES))
        np.savez(out, ptc=model["ptc"][:, ours], pc=model["pc"][ours], classes=model["classes"][ours],
                 nextmove=model["nextmove"], nextmove_row=model["nextmove_row"], out_feat=model["out_feat"])
    return path


def transcript_language(text: str) -> tuple[str, float]:
    """The language of :data:`LANGUAGES` a text is most probably written in, and that probability in [0, 1]."""
    language, probability = _identifier().classify(text)
    return language, float(probability)


def choose_language(transcript: str | None, language: str | None) -> tuple[str | None, str | None]:
    """The transcript to align and the language of the speech, from what the user gave.

    - No transcript: ``(None, language)``; a None language is then Whisper's to detect.
    - A transcript and no language: the transcript's language (:func:`transcript_language`) when it reads as one
      with at least :data:`TRANSCRIPT_LANGUAGE_PROBABILITY`, else English.
    - A transcript and a language (the speech's): the transcript is dropped, with a warning, when it reads as
      another language with at least that probability: the speech wins and is recognised in its language.

    Raises:
        TypeError, ValueError: as :func:`check_language`.
    """
    if language is not None:
        check_language(language)
    if transcript is None:
        return None, language
    written, probability = transcript_language(transcript)
    if language is None:
        return transcript, written if probability >= TRANSCRIPT_LANGUAGE_PROBABILITY else ENGLISH
    if written != language and probability >= TRANSCRIPT_LANGUAGE_PROBABILITY:
        warnings.warn(f"the transcript reads as {LANGUAGES[written]} (p = {probability:.2f}) but the speech is "
                      f"{LANGUAGES[language]} (language {language!r}): the transcript is ignored and the speech "
                      "recognised", stacklevel=2)
        return None, language
    return transcript, language


def pronounce_transcript(text: str, language: str) -> list[Word]:
    """The spoken words of a transcript in a language other than English, with their IPA phones.

    Args:
        text: the transcript, any case and punctuation (numbers are read out by gruut's languages and, in Mandarin,
            by :func:`~facemotion.text.mandarin_numbers.read_numbers`, in Japanese by Open JTalk; other characters
            than Han characters are skipped in Mandarin, other than Hangul syllables in Korean).
        language: a code of :data:`LANGUAGES` other than :data:`ENGLISH`.

    Returns:
        The words in reading order; empty when nothing could be pronounced. Words without any pronounceable phone
        are left out, with one warning naming them.

    Raises:
        ValueError: for English or an unsupported language.
    """
    if check_language(language) == ENGLISH:
        raise ValueError("English transcripts take the ARPAbet path (facemotion.text.g2p)")
    words, skipped = _pronouncer(language)(text)
    if skipped:
        warnings.warn(f"{LANGUAGES[language]}: cannot pronounce {', '.join(repr(s) for s in skipped)}: skipped",
                      stacklevel=2)
    return words


def _pronouncer(language: str) -> Pronouncer:
    """The function that pronounces a transcript of ``language``: (words, the tokens it skipped)."""
    if language == "ja":
        from facemotion.text.japanese import japanese_words

        return japanese_words
    if language == "ko":
        from facemotion.text.korean import korean_words

        return _with_english_words(korean_words)
    if language == "zh":
        return _with_english_words(_mandarin)
    return lambda text: _gruut(text, GRUUT_LANGUAGES[language], LEXICON_CORRECTIONS.get(language, {}))


_LATIN_WORDS = re.compile(r"([A-Za-z]+(?:['’][A-Za-z]+)*(?:[\s-]+[A-Za-z]+(?:['’][A-Za-z]+)*)*)")
"""A run of words in Latin letters (with their apostrophes, hyphens and the spaces between them); one group, so that
``split`` keeps the runs at its odd places."""


def _with_english_words(pronounce: Pronouncer) -> Pronouncer:
    """``pronounce`` for a transcript in a non-Latin script whose runs of Latin-letter words are English words,
    as code-switched lines write them ("我买了 iPhone", "오늘 meeting 있어요") and Whisper transcribes them:
    those runs are pronounced by gruut's US English, the rest by ``pronounce``, in reading order."""

    def mixed(text: str) -> tuple[list[Word], list[str]]:
        words, skipped = [], []
        for k, piece in enumerate(_LATIN_WORDS.split(text)):
            if piece.strip():
                piece_words, piece_skipped = _gruut(piece, ENGLISH_GRUUT) if k % 2 else pronounce(piece)
                words += piece_words
                skipped += piece_skipped
        return words, skipped

    return mixed


def _reduced(symbols: list[str]) -> tuple[tuple[str, ...], bool]:
    """IPA inventory phones of a word's symbols, and whether some symbol had to be dropped."""
    phones, dropped = [], False
    for symbol in symbols:
        try:
            phones += ipa_phones(symbol)
        except ValueError:
            dropped = True
    return tuple(phones), dropped


def _gruut(text: str, gruut_language: str, corrections: dict[str, tuple[str, ...]] | None = None,
           ) -> tuple[list[Word], list[str]]:
    """gruut's words of ``text`` in ``gruut_language`` and the tokens it could not pronounce; a word of
    ``corrections`` (lower case) takes the phones given there."""
    from facemotion.text.lexicons import sentences

    corrections = corrections or {}
    words, skipped = [], []
    for sentence in sentences(text, lang=gruut_language, pos=False):
        for token in sentence:
            if not token.is_spoken:
                continue
            corrected = corrections.get(token.text.lower())
            phones, dropped = (corrected, False) if corrected else _reduced(list(token.phonemes or ()))
            if phones:
                words.append(Word(token.text.lower(), phones))
            if dropped or not phones:
                skipped.append(token.text)
    return words, skipped


_APICAL_VOWELS = frozenset("ɹɻzʐ")
"""Consonant letters pinyin-to-ipa marks syllabic for the vowels of zi ci si and zhi chi shi ri: [ɨ] here
(the usual broad transcription; a spread-lipped close vowel, not an r)."""


def _mandarin_phones(syllable: str) -> tuple[str, ...]:
    """IPA inventory phones of one pinyin syllable with its tone number (``"zhong1"``); empty if unknown."""
    from pinyin_to_ipa import pinyin_to_ipa

    try:
        symbols = list(next(iter(pinyin_to_ipa(syllable))))
    except ValueError:  # a syllable outside pinyin-to-ipa's tables
        return ()
    for k, symbol in enumerate(symbols):
        base = unicodedata.normalize("NFD", symbol)
        if "\u0329" in base and base[0] in _APICAL_VOWELS:  # U+0329: the syllabic mark
            symbols[k] = "ɨ"
    phones, dropped = _reduced(symbols)
    return () if dropped else phones


def _mandarin(text: str) -> tuple[list[Word], list[str]]:
    from pypinyin import Style, lazy_pinyin

    from facemotion.text.mandarin_numbers import read_numbers

    text = read_numbers(text)
    marker = "\0"
    syllables = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, v_to_u=True,
                            errors=lambda chunk: [marker + c for c in chunk])
    words, skipped = [], []
    for character, syllable in zip(text, syllables):
        if syllable.startswith(marker):
            if character.isalnum():
                skipped.append(character)
            continue
        phones = _mandarin_phones(syllable)
        if phones:
            words.append(Word(character, phones))
        else:
            skipped.append(character)
    return words, skipped
