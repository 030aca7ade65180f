"""Korean transcripts to IPA phones, without a library: Hangul is written as it is said but for regular sound
changes (the Standard Pronunciation rules of the National Institute of Korean Language), which
:func:`korean_words` makes inside each word: liaison, coda neutralisation, aspiration by ㅎ, nasalisation,
lateralisation, voicing of lenis stops.
"""

import re
import unicodedata

from facemotion.text.languages import Word

_HANGUL_INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_HANGUL_VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_HANGUL_FINALS = ("", "ㄱ", "ㄲ", "ㄱㅅ", "ㄴ", "ㄴㅈ", "ㄴㅎ", "ㄷ", "ㄹ", "ㄹㄱ", "ㄹㅁ", "ㄹㅂ", "ㄹㅅ", "ㄹㅌ",
                  "ㄹㅍ", "ㄹㅎ", "ㅁ", "ㅂ", "ㅂㅅ", "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ")
"""The letters (jamo) of a precomposed Hangul syllable, in the order of the Unicode Standard's arithmetic
decomposition (ch. 3.12, "Conjoining Jamo Behavior": syllable = 0xAC00 + (initial * 21 + vowel) * 28 + final);
a final cluster is written as its two letters."""

KOREAN_IPA: dict[str, tuple[str, ...]] = {
    # initial consonants: lenis, tense and aspirated series alike (they differ in the larynx, not the mouth)
    "ㄱ": ("k",), "ㄲ": ("k",), "ㅋ": ("k",), "ㄷ": ("t",), "ㄸ": ("t",), "ㅌ": ("t",), "ㅂ": ("p",), "ㅃ": ("p",),
    "ㅍ": ("p",), "ㅈ": ("tɕ",), "ㅉ": ("tɕ",), "ㅊ": ("tɕ",), "ㅅ": ("s",), "ㅆ": ("s",), "ㅎ": ("h",),
    "ㄴ": ("n",), "ㅁ": ("m",), "ㄹ": ("ɾ",), "ㅇ": (),
    # vowels; the y- and w- diphthongs are the glide, then the vowel
    "ㅏ": ("a",), "ㅐ": ("ɛ",), "ㅑ": ("j", "a"), "ㅒ": ("j", "ɛ"), "ㅓ": ("ʌ",), "ㅔ": ("e",), "ㅕ": ("j", "ʌ"),
    "ㅖ": ("j", "e"), "ㅗ": ("o",), "ㅘ": ("w", "a"), "ㅙ": ("w", "ɛ"), "ㅚ": ("w", "e"), "ㅛ": ("j", "o"),
    "ㅜ": ("u",), "ㅝ": ("w", "ʌ"), "ㅞ": ("w", "e"), "ㅟ": ("w", "i"), "ㅠ": ("j", "u"), "ㅡ": ("ɯ",),
    "ㅢ": ("ɯ", "i"), "ㅣ": ("i",),
}
"""Hangul letters -> IPA phones of the inventory (Lee, "Korean", Handbook of the IPA, 1999; Shin, Kiaer and
Cha, "The Sounds of Korean", 2012), for a consonant at the start of a syllable; ㅇ there is silent. At the end
of a syllable, and between syllables, :func:`_korean_word` applies the rules of standard pronunciation."""

_KOREAN_CODA = {"ㄱ": "k", "ㄲ": "k", "ㅋ": "k", "ㄴ": "n", "ㄷ": "t", "ㅅ": "t", "ㅆ": "t", "ㅈ": "t", "ㅊ": "t",
                "ㅌ": "t", "ㅎ": "t", "ㄹ": "l", "ㅁ": "m", "ㅂ": "p", "ㅍ": "p", "ㅇ": "ŋ"}
"""The seven sounds a syllable can end in (coda neutralisation: 옷 "ot", 부엌 "puʌk", 앞 "ap")."""

_KOREAN_CLUSTER_CODA = {"ㄱㅅ": "ㄱ", "ㄴㅈ": "ㄴ", "ㄴㅎ": "ㄴ", "ㄹㄱ": "ㄱ", "ㄹㅁ": "ㅁ", "ㄹㅂ": "ㄹ",
                        "ㄹㅅ": "ㄹ", "ㄹㅌ": "ㄹ", "ㄹㅍ": "ㅂ", "ㄹㅎ": "ㄹ", "ㅂㅅ": "ㅂ"}
"""The letter of a final cluster that is said before a consonant or a pause (닭 "tak", 삶 "sam", 여덟 "jʌdʌl",
값 "kap"; the usual choice, its exceptions such as 밟다 "papta" not made)."""

_KOREAN_NASAL = {"k": "ŋ", "t": "n", "p": "m"}
_KOREAN_VOICED = {"k": "ɡ", "t": "d", "p": "b", "tɕ": "dʑ"}
_KOREAN_LENIS = frozenset("ㄱㄷㅂㅈ")
_KOREAN_ASPIRATED = dict(zip("ㄱㄷㅂㅈ", "ㅋㅌㅍㅊ"))


def _korean_word(syllables: str) -> tuple[str, ...]:
    """IPA phones of a word of Hangul syllables, by the main rules of standard pronunciation (표준 발음법):

    - liaison (연음): a final consonant before a syllable starting with a vowel is said at its start (먹어
      "mʌɡʌ"; of a cluster, the second letter: 읽어 "ilɡʌ"), ㄷ and ㅌ before 이 as ㅈ and ㅊ (palatalisation: 같이
      "katɕʰi"); a final ㅎ before a vowel is silent (좋아 "tɕoa");
    - coda neutralisation (:data:`_KOREAN_CODA`, :data:`_KOREAN_CLUSTER_CODA`); a final ㅎ before a consonant
      other than ㄴ is silent, aspirating it (좋다 "tɕotʰa"), and ㅎ after a stop aspirates it (입학 "ipʰak");
    - nasalisation (비음화): k t p before n m are ŋ n m (합니다 "hamnida", the lips still close), ㄹ after a
      consonant other than ㄴ ㄹ is n (종로 "tɕoŋno", 국립 "kuŋnip");
    - lateralisation (유음화): ㄴ next to ㄹ is l (신라 "silla"), and ㄹ after ㄹ is l (빨리 "palli");
    - the lenis stops ㄱ ㄷ ㅂ ㅈ are voiced (ɡ d b dʑ) between voiced sounds in the word.

    Tensing and aspiration change the larynx, not the mouth, and are not written. The rules apply inside a word
    (an eojeol, between spaces), not across words.
    """
    onsets, vowels, finals = [], [], []
    for syllable in syllables:
        index = ord(syllable) - 0xAC00
        onsets.append(_HANGUL_INITIALS[index // 588])
        vowels.append(_HANGUL_VOWELS[index // 28 % 21])
        finals.append(_HANGUL_FINALS[index % 28])
    codas: list[str] = []
    for k, final in enumerate(finals):
        after = onsets[k + 1] if k + 1 < len(onsets) else ""
        if after == "ㅇ" and final and final != "ㅇ":  # liaison
            final = final.removesuffix("ㅎ")
            if final:
                moved, final = final[-1], final[:-1]
                if moved in "ㄷㅌ" and vowels[k + 1] == "ㅣ":
                    moved = "ㅈ" if moved == "ㄷ" else "ㅊ"
                onsets[k + 1] = moved
        elif final.endswith("ㅎ") and after and after != "ㄴ":
            final, onsets[k + 1] = final[:-1], _KOREAN_ASPIRATED.get(after, after)
        final = _KOREAN_CLUSTER_CODA.get(final, final)
        coda = _KOREAN_CODA.get(final, "")
        if after == "ㅎ" and coda in ("k", "t", "p"):
            onsets[k + 1] = "ㅇ"  # the h aspirates the stop before it
        codas.append(coda)
    initials = [KOREAN_IPA[onset] for onset in onsets]
    for k in range(1, len(onsets)):
        before, onset = codas[k - 1], onsets[k]
        if onset == "ㄹ" and before in ("l", "n"):
            before, initials[k] = "l", ("l",)
        elif onset == "ㄹ" and before:
            initials[k] = ("n",)
        elif onset == "ㄴ" and before == "l":
            initials[k] = ("l",)
        if before in _KOREAN_NASAL and initials[k] in (("n",), ("m",)):
            before = _KOREAN_NASAL[before]
        if onset in _KOREAN_LENIS and before in ("", "n", "m", "ŋ", "l"):
            initials[k] = (_KOREAN_VOICED[initials[k][0]],)
        codas[k - 1] = before
    return tuple(phone for initial, vowel, coda in zip(initials, vowels, codas)
                 for phone in (*initial, *KOREAN_IPA[vowel], *((coda,) if coda else ())))


_KOREAN_TOKENS = re.compile(r"[\uac00-\ud7a3]+|[^\W\uac00-\ud7a3]+")
"""A word of Hangul syllables, or a run of other letters and digits (Latin, hanja, digits, lone jamo)."""


def korean_words(text: str) -> tuple[list[Word], list[str]]:
    """The words of a Korean text (runs of Hangul syllables) with their IPA phones, and the runs of other letters
    and digits it skips (Latin, hanja, digits, lone jamo)."""
    words, skipped = [], []
    for token in _KOREAN_TOKENS.finditer(unicodedata.normalize("NFC", text)):
        if "\uac00" <= token[0][0] <= "\ud7a3":
            words.append(Word(token[0], _korean_word(token[0])))
        else:
            skipped.append(token[0])
    return words, skipped
