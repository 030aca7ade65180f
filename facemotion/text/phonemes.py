"""Phoneme segments and the ARPAbet phone set (CMU Pronouncing Dictionary, 39 phones, no stress).

English phones are ARPAbet; the phones of other languages are IPA, from the one inventory of
:mod:`facemotion.text.ipa` (lower-case IPA letters never collide with the upper-case ARPAbet names).
"""

from dataclasses import dataclass

from facemotion.text.ipa import is_ipa_phone

ARPABET: tuple[str, ...] = (
    "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH",
    "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH",
    "UW", "V", "W", "Y", "Z", "ZH",
)
"""The 39 ARPAbet phonemes of the CMU Pronouncing Dictionary, without stress digits."""

SILENCE = "SIL"
"""The phone label of a pause (pocketsphinx's ``SIL``; also used for noise fillers)."""


@dataclass(frozen=True)
class PhonemeSegment:
    """One phone with its time span.

    Attributes:
        phone: an ARPAbet phoneme from :data:`ARPABET` (no stress digit), an IPA phone of
            :data:`facemotion.text.ipa.NEAREST_ENGLISH` (languages other than English) or :data:`SILENCE`.
        start: start time in seconds.
        end: end time in seconds, ``end > start``.
        word: the word the phone belongs to, when a transcript was aligned; ``None`` otherwise.

    Raises:
        ValueError: for an unknown phone or an empty or negative span.
    """

    phone: str
    start: float
    end: float
    word: str | None = None

    def __post_init__(self) -> None:
        if self.phone != SILENCE and self.phone not in ARPABET and not is_ipa_phone(self.phone):
            raise ValueError(f"unknown phone {self.phone!r}: expected ARPAbet, an IPA phone or {SILENCE!r}")
        if not 0.0 <= self.start < self.end:
            raise ValueError(f"phone {self.phone!r} needs 0 <= start < end, got {self.start}..{self.end}")

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.end - self.start
