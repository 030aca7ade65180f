"""Japanese transcripts to IPA phones: Open JTalk's text front end (pyopenjtalk-plus, MIT; Open JTalk, Modified
BSD; its MeCab dictionary inside the wheel, BSD-3-Clause; SudachiPy and SudachiDict, Apache-2.0, choosing among
the readings of kanji) cuts the text into morphemes and gives each its phonemes in context; this module writes them
in the IPA inventory of :mod:`facemotion.text.ipa` (:data:`JAPANESE_IPA`), with the moraic nasal placed by the
next consonant and the sokuon as the next consonant's held closure.
"""

import unicodedata

from facemotion.text.languages import Word

JAPANESE_IPA: dict[str, tuple[str, ...]] = {
    # vowels; Open JTalk writes a devoiced vowel (the i and u of "desu", "kita" between or after voiceless
    # consonants) in capitals: the same vowel here, as the tongue and lips still make it with the voice off
    "a": ("a",), "i": ("i",), "u": ("u",), "e": ("e",), "o": ("o",),
    "A": ("a",), "I": ("i",), "U": ("u",), "E": ("e",), "O": ("o",),
    "k": ("k",), "g": ("ɡ",), "s": ("s",), "sh": ("ɕ",), "z": ("z",), "j": ("dʑ",), "t": ("t",), "ch": ("tɕ",),
    "ts": ("ts",), "d": ("d",), "n": ("n",), "h": ("h",), "f": ("ɸ",), "b": ("b",), "p": ("p",), "m": ("m",),
    "y": ("j",), "r": ("ɾ",), "w": ("w",),
    "v": ("b",),  # ヴ of loanwords: [b] in most speakers' Japanese
    # palatalised consonants (the "-ya -yu -yo" rows): the consonant, then the palatal glide; ny and hy are palatal
    # through the whole consonant
    "ky": ("k", "j"), "gy": ("ɡ", "j"), "by": ("b", "j"), "py": ("p", "j"), "my": ("m", "j"), "ry": ("ɾ", "j"),
    "ty": ("t", "j"), "dy": ("d", "j"), "ny": ("ɲ",), "hy": ("ç",),
    "kw": ("k", "w"), "gw": ("ɡ", "w"),
}
"""Open JTalk's phonemes (as ``pyopenjtalk.g2p`` writes them) -> IPA phones of the inventory, after the IPA
Handbook's illustration of Japanese (Okada, "Japanese", Handbook of the IPA, 1999) and Vance, "The Sounds of
Japanese" (2008). Two conventions for the mouth: the vowel u, a close back vowel with compressed lips ([ɯᵝ]),
is written u, so that it takes the small rounded mouth of "ou" that Japanese lip sync gives う (VRM's "ou"
expression), not the spread lips of Korean and Mandarin ɯ; ヴ is b. The moraic nasal ``N`` (ん) and the first half
of a geminate ``cl`` (っ) take their phone from the phoneme after them (:func:`_japanese_ipa`); a long vowel
(``i i`` in a morpheme, ビール "b i i r u") is one vowel, its length dropped as in every language."""

_JAPANESE_N_PLACE: dict[str, str] = {
    **dict.fromkeys(("p", "b", "m", "py", "by", "my"), "m"),
    **dict.fromkeys(("k", "g", "ky", "gy", "kw", "gw"), "ŋ"),
    **dict.fromkeys(("t", "d", "n", "ts", "ch", "j", "z", "r", "ty", "dy", "ny", "ry"), "n"),
}
"""The moraic nasal N before each phoneme: m before the bilabials (さんま "samma", かんぱい "kampai": the lips
close), ŋ before the velars, n before the alveolars and alveolo-palatals; before vowels, glides, s h f and at the
end of a phrase it is ɴ (a nasalised vowel or uvular nasal: the tongue touches nothing in front; Vance 2008, ch. 6)."""

_JAPANESE_VOWELS = frozenset("aiueo")
_JAPANESE_SONORANTS = _JAPANESE_VOWELS | {"j", "w"}
"""The vowels and glides of :data:`JAPANESE_IPA`: no geminate before them."""

_GEMINATE_CLOSURE = {"ts": "t", "tɕ": "t", "dʑ": "d"}
"""A geminate affricate holds the closure of its stop (マッチ "matchi": [tːɕ], t then tɕ)."""


def _japanese_ipa(phonemes: list[str], words: list[int]) -> tuple[list[tuple[str, ...]], list[int]]:
    """IPA phones of a sequence of Open JTalk phonemes, each with the index of its word.

    Per :data:`JAPANESE_IPA`, with the phones written from what follows (across words, not across a pause
    ``pau``/``sp``): the moraic nasal ``N`` by :data:`_JAPANESE_N_PLACE`; the sokuon ``cl`` (the first mora of a
    geminate, a closure or friction held on the next consonant: 切符 "kippu", 買った "katta") as the first phone of
    the next consonant (its stop for an affricate), nothing before a vowel or a pause (あっ: a glottal stop); a vowel
    repeated in a word (a long vowel) once.

    Returns:
        the phones of each phoneme that has any, and their words.

    Raises:
        KeyError: for a phoneme outside :data:`JAPANESE_IPA` (``unk``: a character Open JTalk cannot read).
    """
    phones, owners = [], []
    for k, (phoneme, word) in enumerate(zip(phonemes, words)):
        following = phonemes[k + 1] if k + 1 < len(phonemes) else "pau"
        if phoneme in ("pau", "sp"):
            continue
        if phoneme == "N":
            ipa = (_JAPANESE_N_PLACE.get(following, "ɴ"),)
        elif phoneme == "cl":
            held = JAPANESE_IPA.get(following, ())[:1]  # nothing before a pause
            ipa = tuple(_GEMINATE_CLOSURE.get(p, p) for p in held if p not in _JAPANESE_SONORANTS)
        else:
            ipa = JAPANESE_IPA[phoneme]
            if phoneme.lower() in _JAPANESE_VOWELS and owners and owners[-1] == word and phones[-1] == ipa:
                continue  # the second mora of a long vowel
        if ipa:
            phones.append(ipa)
            owners.append(word)
    return phones, owners


def japanese_words(text: str) -> tuple[list[Word], list[str]]:
    """The morphemes of a Japanese text as words with their IPA phones (Open JTalk's reading in context), and the
    morphemes it cannot read (skipped: Hangul, symbols)."""
    import pyopenjtalk

    morphemes = pyopenjtalk.g2p_mapping(text)
    phonemes = [phoneme for morpheme in morphemes for phoneme in morpheme["phonemes"]]
    owners = [k for k, morpheme in enumerate(morphemes) for _ in morpheme["phonemes"]]
    unreadable = {k for k, phoneme in zip(owners, phonemes) if phoneme not in JAPANESE_IPA
                  and phoneme not in ("N", "cl", "pau", "sp")}
    kept = [(p, k) for p, k in zip(phonemes, owners) if k not in unreadable]
    ipa, words_of = _japanese_ipa([p for p, _ in kept], [k for _, k in kept])
    phones_of: dict[int, list[str]] = {}
    for symbols, k in zip(ipa, words_of):
        phones_of.setdefault(k, []).extend(symbols)
    words, skipped = [], []
    for k, morpheme in enumerate(morphemes):
        surface = unicodedata.normalize("NFKC", morpheme["surface"])
        if k in phones_of:
            words.append(Word(surface.lower(), tuple(phones_of[k])))
        elif k in unreadable and any(c.isalnum() for c in surface):
            skipped.append(surface)
    return words, skipped
