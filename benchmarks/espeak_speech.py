"""English speech with exact phoneme timings, synthesised by eSpeak NG, for the benchmarks and evaluation sets.

eSpeak NG's library (https://github.com/espeak-ng/espeak-ng) reports every phoneme while it synthesises
(``espeak_SetSynthCallback`` with ``espeakINITIALIZE_PHONEME_EVENTS``; ``espeakEVENT_PHONEME`` events carry
the phoneme in IPA and its sample position), so the synthesised sentences have exact phoneme timings. Two
conventions are adjusted: eSpeak writes the closure of a voiceless stop or affricate as silence (or breath
noise) *before* the phoneme's event, at its release; the closure is counted here as part of the stop, as in
TIMIT-style labels; and the IPA symbols that are two ARPAbet phones (r-coloured vowels ``ɑːɹ``, British
centring diphthongs ``iə``) are split in equal halves, their inner boundary being unknown.

Used by ``benchmarks/alignment_accuracy.py`` and ``datasets/make_english_eval.py``. Needs libespeak-ng
(Debian package ``espeak-ng``).
"""

import ctypes
import ctypes.util
from collections.abc import Callable, Collection

import numpy as np
import soxr

from facemotion.text.alignment import SAMPLE_RATE
from facemotion.text.g2p import IPA_TO_ARPABET
from facemotion.text.phonemes import SILENCE

PAD_SECONDS = 0.3
"""Silence added before and after each synthetic sentence."""

DEFAULT_RATE = 175
"""eSpeak NG's default speaking rate, words per minute (``espeakRATE``; it accepts 80..450)."""
DEFAULT_PITCH = 50
"""eSpeak NG's default pitch parameter (``espeakPITCH``, 0..100, scaling the voice's base pitch)."""

ESPEAK_IPA_TO_ARPABET: dict[str, tuple[str, ...]] = {
    # US English (en-us): reduced vowels, flap, r-coloured vowels
    "ɜ": ("ER",), "ɐ": ("AH",), "ᵻ": ("IH",), "ɾ": ("T",), "o": ("OW",), "e": ("EY",), "ɒ": ("AA",),
    "ɑɹ": ("AA", "R"), "ɔɹ": ("AO", "R"), "oɹ": ("AO", "R"), "ɛɹ": ("EH", "R"), "ɪɹ": ("IH", "R"),
    "ʊɹ": ("UH", "R"), "aɪɚ": ("AY", "ER"), "aʊɚ": ("AW", "ER"), "əl": ("AH", "L"), "n̩": ("AH", "N"),
    # British, Scottish, Caribbean, New York and West Midlands voices: the CMUdict phones of the same words
    "a": ("AE",), "a:": ("AA",), "aa": ("AA",), "əʊ": ("OW",), "ʌʊ": ("OW",), "ʌʉ": ("AW",), "æʊ": ("AW",),
    "əu": ("UW",), "ei": ("IY",), "ʉ": ("UW",), "ʌɹ": ("ER",), "əɪ": ("ER",), "ʉɹ": ("UH", "R"),
    "iə": ("IH", "R"), "eə": ("EH", "R"), "ɛə": ("EH", "R"), "ʊə": ("UH", "R"), "oə": ("AO", "R"),
    "aɪə": ("AY", "ER"), "ɑə": ("AA", "R"), "ɔə": ("AO", "R"), "əɹ": ("ER",), "oɪ": ("OY",), "ʍ": ("W",),
    "ʲ": ("Y",), "t̪": ("T",), "ʔ": ("T",),
}
"""eSpeak NG's English IPA symbols that :data:`IPA_TO_ARPABET` lacks → ARPAbet. ``ᵻ`` and ``ɐ`` are eSpeak's
reduced vowels, CMUdict's IH0/AH0; non-rhotic centring diphthongs (``iə`` in "here") take CMUdict's phones
(IH R), so that they match forced alignments of real speech; ``t̪`` is Caribbean TH-stopping ("thin"), ``ʔ`` a
glottalised /t/ ("button", also in en-us), ``ʍ`` Scottish "wh", ``ʲ`` the glide of "beauty"."""

STOPS = {"P", "B", "T", "D", "K", "G", "CH", "JH"}
CLOSURE_RMS = 300
"""int16 RMS (-40 dBFS) under which audio before a stop's event is its closure: digital silence for
eSpeak's default voice, breath noise for the ``+f3`` variant."""


class ESpeak:
    """Minimal ctypes binding of libespeak-ng: synthesis with phoneme events (speak_lib.h, API 12).

    Raises:
        FileNotFoundError: when libespeak-ng is not installed.
    """

    class Event(ctypes.Structure):
        _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                    ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                    ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8)]

    SYNCHRONOUS, PHONEME_EVENTS, PHONEME_IPA, DONT_EXIT = 2, 0x1, 0x2, 0x8000
    EVENT_PHONEME, POS_CHARACTER, CHARS_UTF8 = 7, 1, 1
    PARAMETER_RATE, PARAMETER_PITCH = 1, 3

    def __init__(self) -> None:
        name = ctypes.util.find_library("espeak-ng")
        if name is None:
            raise FileNotFoundError("libespeak-ng not found: install the Debian package espeak-ng")
        self.lib = ctypes.CDLL(name)
        self.sample_rate = self.lib.espeak_Initialize(
            self.SYNCHRONOUS, 0, None, self.PHONEME_EVENTS | self.PHONEME_IPA | self.DONT_EXIT)
        callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                         ctypes.POINTER(self.Event))
        self.callback = callback_type(self._on_synth)  # kept referenced while the library holds it
        self.lib.espeak_SetSynthCallback(self.callback)
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.audio: list[np.ndarray] = []
        self.events: list[tuple[int, str]] = []

    def _on_synth(self, wav, n_samples, events) -> int:
        if n_samples > 0:
            self.audio.append(np.ctypeslib.as_array(wav, (n_samples,)).copy())
        i = 0
        while events[i].type != 0:
            if events[i].type == self.EVENT_PHONEME:
                self.events.append((events[i].sample, events[i].id.decode("utf-8", "replace")))
            i += 1
        return 0

    def synthesize(self, text: str, voice: str, rate: int = DEFAULT_RATE,
                   pitch: int = DEFAULT_PITCH) -> tuple[np.ndarray, list[tuple[int, str]]]:
        """int16 samples at :attr:`sample_rate`, and (sample, IPA phoneme or "" for a pause) events.

        Args:
            voice: an eSpeak NG voice, optionally with a variant (``"en-us"``, ``"en-GB-scotland+m7"``).
            rate: words per minute (80..450). pitch: 0..100, 50 is the voice's own.

        Raises:
            ValueError: for a voice eSpeak NG does not have.
        """
        self.audio, self.events = [], []
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"eSpeak NG has no voice {voice!r}")
        self.lib.espeak_SetParameter(self.PARAMETER_RATE, rate, 0)
        self.lib.espeak_SetParameter(self.PARAMETER_PITCH, pitch, 0)
        data = text.encode()
        self.lib.espeak_Synth(data, len(data) + 1, 0, self.POS_CHARACTER, 0, self.CHARS_UTF8, None, None)
        self.lib.espeak_Synchronize()
        return np.concatenate(self.audio), self.events


def espeak_phones(ipa: str) -> tuple[str, ...]:
    """One eSpeak IPA phoneme → ARPAbet phones; "" (a pause) → SIL.

    Raises:
        KeyError: for a symbol neither :data:`ESPEAK_IPA_TO_ARPABET` nor :data:`IPA_TO_ARPABET` has.
    """
    bare = ipa.replace("ː", "").replace("ˈ", "").replace("ˌ", "")
    if not bare:
        return (SILENCE,)
    if bare in ESPEAK_IPA_TO_ARPABET:
        return ESPEAK_IPA_TO_ARPABET[bare]
    return (IPA_TO_ARPABET[bare],)


def _closure_start(samples: np.ndarray, release: int, previous: int, rate: int) -> int:
    """Where the quiet stretch (1 ms blocks under -40 dBFS RMS, at most 60 ms) before a stop's event begins."""
    block, start = rate // 1000, release
    while start - block >= max(previous, release - 60 * block):
        if np.sqrt(np.mean(samples[start - block: start].astype(np.float64) ** 2)) >= CLOSURE_RMS:
            break
        start -= block
    return start


def synthetic_sentence(espeak: ESpeak, text: str, voice: str, seed: int = 0, rate: int = DEFAULT_RATE,
                       pitch: int = DEFAULT_PITCH, noise: float = 5e-4,
                       phones_of: Callable[[str], tuple[str, ...]] = espeak_phones, stops: Collection[str] = STOPS,
                       ) -> tuple[np.ndarray, list[tuple[str, float, float, bool]]]:
    """A synthesised sentence at 16 kHz with its true phones.

    Args:
        phones_of: one eSpeak IPA phoneme (``""`` for a pause) -> the phones it stands for (:func:`espeak_phones`,
            ARPAbet, by default; another language's benchmark gives IPA phones); a pause must give ``(SIL,)``.
        stops: the phones (as ``phones_of`` names them) whose closure before the event is counted in the stop.

    Returns:
        waveform (S,) float32 with :data:`PAD_SECONDS` of silence at both ends, plus Gaussian noise of standard
        deviation ``noise`` (full scale 1; 5e-4 is -66 dBFS; 0 keeps eSpeak's digital silence) seeded by
        ``seed``, and the truth as (phone or SIL, start s, end s, start is a scored boundary) tuples in
        time order.

    Raises:
        ValueError: for an unknown voice. KeyError: for an IPA symbol without an ARPAbet mapping.
    """
    samples, events = espeak.synthesize(text, voice, rate, pitch)
    starts = [sample for sample, _ in events]
    for k in range(1, len(events)):
        if phones_of(events[k][1])[0] in stops and phones_of(events[k - 1][1]) != (SILENCE,):
            starts[k] = _closure_start(samples, starts[k], starts[k - 1], espeak.sample_rate)
    truth = []
    for k, (_, ipa) in enumerate(events[:-1]):
        start, end = starts[k] / espeak.sample_rate + PAD_SECONDS, starts[k + 1] / espeak.sample_rate + PAD_SECONDS
        phones = phones_of(ipa)
        if end > start:
            step = (end - start) / len(phones)
            truth += [(phone, start + i * step, start + (i + 1) * step, i == 0) for i, phone in enumerate(phones)]
    speech = soxr.resample(samples.astype(np.float32) / 32768.0, espeak.sample_rate, SAMPLE_RATE)
    pad = np.zeros(int(PAD_SECONDS * SAMPLE_RATE), np.float32)
    waveform = np.concatenate([pad, speech, pad])
    waveform += np.random.default_rng(seed).normal(0, noise, waveform.size).astype(np.float32)
    return np.clip(waveform, -1, 1).astype(np.float32), truth
