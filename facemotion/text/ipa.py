"""One IPA phone inventory for every language: its visemes and the nearest English phone of each phone.

Grapheme-to-phoneme libraries write IPA (International Phonetic Association, "Handbook of the IPA", 1999; the
2015 chart) with more detail than a mouth shows: stress, length, tone letters, nasalisation, aspiration, tie
bars. :func:`ipa_phones` reduces what they write to the phones of ``assets/ipa_visemes.yaml`` (letters only,
combining diacritics and modifier letters dropped, the glottal stop dropped, affricates and diphthongs listed
there kept as one phone), which gives every phone of every language one of the 15 visemes
(:func:`ipa_viseme`). :data:`NEAREST_ENGLISH` gives each phone the ARPAbet phones that sound most like it, so
that pocketsphinx's English acoustic model can align speech of languages without a model of their own
(:mod:`facemotion.text.alignment`), and so that hama's IPA recogniser scores them (:mod:`facemotion.text.hama_phones`).
"""

import unicodedata
from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml

NEAREST_ENGLISH: dict[str, tuple[str, ...]] = {
    # consonants: same place and manner where English has them, else the nearest place, then manner
    "p": ("P",), "b": ("B",), "m": ("M",), "β": ("B",), "ɸ": ("F",), "f": ("F",), "v": ("V",), "ɱ": ("M",),
    "ʋ": ("V",), "θ": ("TH",), "ð": ("DH",), "t": ("T",), "d": ("D",), "ʈ": ("T",), "ɖ": ("D",),
    "ɾ": ("D",), "ɽ": ("D",), "r": ("D",), "k": ("K",), "g": ("G",), "ɡ": ("G",), "q": ("K",), "ɢ": ("G",),
    "ŋ": ("NG",), "ɴ": ("NG",), "x": ("HH",), "ɣ": ("G",), "χ": ("HH",), "ʁ": ("R",), "ʀ": ("R",), "h": ("HH",),
    "ɦ": ("HH",), "ç": ("HH",), "ʝ": ("Y",), "c": ("K",), "ɟ": ("G",), "ʃ": ("SH",), "ʒ": ("ZH",),
    "ɕ": ("SH",), "ʑ": ("ZH",), "ʂ": ("SH",), "ʐ": ("ZH",), "tʃ": ("CH",), "dʒ": ("JH",), "tɕ": ("CH",),
    "dʑ": ("JH",), "ʈʂ": ("CH",), "s": ("S",), "z": ("Z",), "ts": ("T", "S"), "dz": ("D", "Z"),
    "pf": ("P", "F"), "n": ("N",), "ɳ": ("N",), "ɲ": ("N",), "l": ("L",), "ɫ": ("L",), "ʎ": ("L",),
    "ɭ": ("L",), "ɹ": ("R",), "ɻ": ("R",), "ɚ": ("ER",), "ɝ": ("ER",), "ɧ": ("SH",), "r\u031d": ("ZH",),
    # vowels: nearest in height and backness (formants F1, F2); rounded front vowels by their tongue position
    "i": ("IY",), "ɪ": ("IH",), "ɨ": ("IH",), "ɯ": ("UW",), "j": ("Y",), "ɰ": ("W",), "e": ("EY",),
    "ɛ": ("EH",), "ɤ": ("AH",), "ɜ": ("AH",), "ɘ": ("AH",), "a": ("AA",), "ɑ": ("AA",), "æ": ("AE",),
    "ɐ": ("AH",), "ʌ": ("AH",), "ə": ("AH",), "ɶ": ("AA",), "o": ("OW",), "ɔ": ("AO",), "ɒ": ("AA",),
    "ø": ("EH",), "œ": ("AH",), "ɵ": ("AH",), "u": ("UW",), "ʊ": ("UH",), "y": ("IY",), "ʏ": ("IH",),
    "ʉ": ("UW",), "w": ("W",), "ɥ": ("Y",),
    "aɪ": ("AY",), "ai": ("AY",), "aʊ": ("AW",), "au": ("AW",), "eɪ": ("EY",), "ei": ("EY",), "oʊ": ("OW",),
    "ou": ("OW",), "əʊ": ("OW",), "ɔɪ": ("OY",), "ɔʏ": ("OY",), "ɛi": ("EY",), "ɛɪ": ("EY",),
}
"""IPA phone of the inventory -> the ARPAbet phones closest in sound (one, or two for ts dz pf), chosen by place
and manner of articulation for consonants and by vowel quality for vowels; used to align and to score speech with
English acoustic models. Where no English phone is close (uvular ʁ, palatal ç, rounded front y ø), the choice is
a convention, listed here once: Swedish ɧ (the "sj" sound, a rounded postalveolar-velar fricative) is SH, Czech
ř (``r̝``, a raised alveolar trill whose friction sounds like ʒ) ZH, the retroflex flap ɽ (eSpeak NG's Japanese
r) D, as the flap ɾ."""

_DROPPED_LETTERS = frozenset("ʔ")
"""Letters :func:`ipa_phones` drops: the glottal stop (German vowel onsets) has no mouth shape of its own and no
English phone."""
_CEDILLA = "\u0327"
_RAISED = "\u031d"
"""The IPA's "raised" diacritic, kept on r only: Czech ř is ``r̝``, a phone of its own (a trill with friction)."""


def ipa_viseme_table_path() -> Path:
    """The shipped IPA-to-viseme table, ``assets/ipa_visemes.yaml``."""
    return Path(str(files("facemotion.assets") / "ipa_visemes.yaml"))


@cache
def ipa_visemes() -> dict[str, str]:
    """IPA phone -> viseme name, from :func:`ipa_viseme_table_path` (read once).

    Raises:
        ValueError: when a viseme is not one of the 15 or the phones differ from :data:`NEAREST_ENGLISH`'s.
    """
    from facemotion.text.visemes import VISEMES

    mapping = dict(yaml.safe_load(ipa_viseme_table_path().read_text(encoding="utf-8"))["ipa_to_viseme"])
    if not set(mapping.values()) <= set(VISEMES) or set(mapping) != set(NEAREST_ENGLISH):
        raise ValueError(f"{ipa_viseme_table_path()}: ipa_to_viseme must map the phones of NEAREST_ENGLISH to "
                         f"{VISEMES}")
    return mapping


def is_ipa_phone(phone: str) -> bool:
    """Whether ``phone`` is a phone of the inventory (as :func:`ipa_phones` writes them)."""
    return phone in NEAREST_ENGLISH


def ipa_viseme(phone: str) -> str:
    """The viseme of an inventory phone.

    Raises:
        KeyError: for a phone outside the inventory.
    """
    return ipa_visemes()[phone]


def _letters(symbol: str) -> str:
    """``symbol`` without stress, length, tone, diacritics, tie bars and modifier letters (``ç`` and ``r̝`` kept)."""
    kept = ""
    for c in unicodedata.normalize("NFD", symbol):
        if c == _CEDILLA or unicodedata.category(c) in ("Ll", "Lo", "Lu") or (c == _RAISED and kept[-1:] == "r"):
            kept += c
    return "".join(c for c in unicodedata.normalize("NFC", kept) if c not in _DROPPED_LETTERS)


def ipa_phones(symbol: str) -> tuple[str, ...]:
    """Reduce one phoneme as a grapheme-to-phoneme library writes it to the phones of the inventory.

    Diacritics, stress, length and tone marks and modifier letters (aspiration ʰ, palatalisation ʲ: a palatalised
    Russian consonant is its plain consonant, same lips and tongue tip) are dropped, but for the cedilla of ``ç``
    and the raising of Czech ``r̝``; then the letters are read left to right, two at a time where the pair is one
    phone of the inventory (an affricate such as ``t͡s``, a diphthong such as ``aɪ̯``), else one at a time:
    ``"ɔ̃"`` -> ``("ɔ",)``, ``"pʰ"`` -> ``("p",)``, ``"we"`` -> ``("w", "e")``, ``"ẽj̃"`` -> ``("e", "j")``,
    ``"ʔ"`` -> ``()``, ``"mʲ"`` -> ``("m",)``, ``"r̝"`` -> ``("r̝",)``.

    Raises:
        ValueError: for a letter outside the inventory (the message names it).
    """
    letters, phones, i = _letters(symbol), [], 0
    while i < len(letters):
        size = 2 if letters[i:i + 2] in NEAREST_ENGLISH else 1
        if letters[i:i + size] not in NEAREST_ENGLISH:
            raise ValueError(f"the IPA symbol {letters[i]!r} (in {symbol!r}) is not in facemotion's inventory "
                             f"({ipa_viseme_table_path().name})")
        phones.append(letters[i:i + size])
        i += size
    return tuple(phones)
