"""The prosodic cues a performance is timed by: phrases and pauses, and the prominent syllables of the speech.

Stress is not in the phonemes (CMUdict's stress digits are dropped, and a phone recogniser has none), so the
syllables a listener hears as prominent are estimated from the acoustics of each vowel (the syllable nucleus):

- its loudness (the highest 10 ms level inside the vowel, dB), its duration (s) and its F0 (the median over the
  vowel's middle half, semitones above the take's median vowel F0; F0 by YIN, :func:`facemotion.audio.features.pitch_hz`:
  pYIN is far slower and its voicing decision is not needed, since vowels are voiced);
- each expressed as a z-score against the vowels within :data:`CONTEXT_S` seconds around it (prominence is
  relative to the neighbouring syllables, not to the whole take);
- prominence score = z(loudness) + 0.5 z(duration) + 0.5 z(F0): loudness first, then duration and F0, the order
  in which they predict perceived prominence in Kochanski, Grabe, Coleman & Rosner (2005), "Loudness predicts
  prominence: fundamental frequency lends little", JASA 118(2), 1038-1054;
- a vowel is **prominent** when its score is at least :data:`PROMINENCE_THRESHOLD` and the highest of the vowels
  within :data:`PROMINENCE_SPACING_S` on either side (about one syllable at English rates of 4-5 syllables a
  second, so at most one prominence per syllable pair; no transcript needed);
- a prominent vowel is a **pitch accent** when its F0 also stands out, z(F0) >= :data:`ACCENT_F0_Z` (pitch
  accents are F0 excursions on prominent syllables: Pierrehumbert 1980; Terken 1991).

Phrases are the voice-activity spans (Silero VAD) split at aligned silences, and pauses the gaps between them that
last at least :data:`MIN_PAUSE_S` (silences shorter than 200 ms are mostly articulatory, not prosodic: Campione
& Véronis 2002, "A large-scale multilingual study of silent pause duration", Speech Prosody).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facemotion.audio.features import LOUDNESS_HOP, pool_to_frames
from facemotion.audio.io import SAMPLE_RATE
from facemotion.text.ipa import NEAREST_ENGLISH
from facemotion.text.phonemes import SILENCE, PhonemeSegment

VOWELS = frozenset({"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"})
"""The ARPAbet vowels: syllable nuclei. An IPA phone (other languages) is a nucleus when its nearest English phones
(:data:`~facemotion.text.ipa.NEAREST_ENGLISH`) begin with one of them."""

MIN_PAUSE_S = 0.2
"""A silence between phrases counts as a pause from this length on, in seconds (Campione & Véronis 2002)."""

CONTEXT_S = 1.5
"""Half-width of the window of neighbouring vowels a vowel's prominence is measured against, in seconds."""

PROMINENCE_THRESHOLD = 1.0
"""Smallest prominence score (in local standard deviations) of a prominent syllable."""

PROMINENCE_SPACING_S = 0.25
"""A prominent vowel is the most prominent within this many seconds on either side."""

TURN_PAUSE_S = 2.0
"""A silence at least this long ends the speaker's turn: the face rests (blinks at the rest rate, gaze in listening
mode) until the next phrase. Pauses inside a turn are mostly far shorter (a design choice, not a measurement)."""

ACCENT_F0_Z = 0.5
"""Smallest F0 z-score of a prominent vowel that makes it a pitch accent."""

LOUDNESS_GAIN_DB = 12.0
"""Speech this many dB above the median vowel level doubles the amplitude of the gestures that go with it."""

@dataclass(frozen=True)
class SpeechCues:
    """What the face's behaviours are timed by, on an animation's frames and in seconds.

    Attributes:
        fps: the frame rate; frame t is at time t / fps.
        loudness_db: (T,) float32 loudness per frame, dBFS (:func:`facemotion.audio.features.loudness_db` pooled).
        speaking: (T,) bool, frames inside a phrase.
        phrases: (P, 2) float64 ``(start, end)`` of each phrase, seconds, in time order.
        pauses: (Q, 2) float64 ``(start, end)`` of each pause (silence of at least :data:`MIN_PAUSE_S`, leading
            and trailing silence included), seconds.
        vowels: (K, 2) float64 ``(start, end)`` of each vowel, seconds.
        vowel_loudness: (K,) float64 the highest 10 ms level inside each vowel, dBFS.
        vowel_f0: (K,) float64 the median F0 of the middle half of each vowel, semitones above the take's median.
        prominence: (K,) float64 prominence score (see the module docstring).
        prominent: (K,) bool, prominent syllables.
        accent: (K,) bool, pitch accents (a subset of ``prominent``).
    """

    fps: float
    loudness_db: np.ndarray
    speaking: np.ndarray
    phrases: np.ndarray
    pauses: np.ndarray
    vowels: np.ndarray
    vowel_loudness: np.ndarray
    vowel_f0: np.ndarray
    prominence: np.ndarray
    prominent: np.ndarray
    accent: np.ndarray

    @property
    def n_frames(self) -> int:
        """The number of frames T."""
        return len(self.speaking)

    @property
    def vowel_level_db(self) -> float:
        """Median of the vowels' loudness, dBFS (the reference of loudness gains); 0 without vowels."""
        return float(np.median(self.vowel_loudness)) if len(self.vowel_loudness) else 0.0

    def vowel_gains(self) -> np.ndarray:
        """(K,) float64 :func:`loudness_gain` of each vowel against the median vowel."""
        return loudness_gain(self.vowel_loudness, self.vowel_level_db)


def speech_cues(
    phonemes: Sequence[PhonemeSegment],
    speech_spans: Sequence[tuple[float, float]],
    loudness_db: np.ndarray,
    pitch_hz: np.ndarray,
    fps: float,
    n_frames: int,
) -> SpeechCues:
    """Phrases, pauses and prominent syllables of a take.

    Args:
        phonemes: aligned phoneme segments (seconds), in time order.
        speech_spans: ``(start, end)`` voice-activity spans, seconds.
        loudness_db: (ceil(S / 160),) float32 dBFS per 10 ms (:func:`facemotion.audio.features.loudness_db`).
        pitch_hz: (ceil(S / 160),) float32 F0 per 10 ms (:func:`facemotion.audio.features.pitch_hz`).
        fps: animation frame rate, > 0.
        n_frames: the number of frames T.

    Returns:
        The :class:`SpeechCues`.
    """
    duration = len(loudness_db) * LOUDNESS_HOP / SAMPLE_RATE
    silences = [(p.start, p.end) for p in phonemes if p.phone == SILENCE and p.duration >= MIN_PAUSE_S]
    phrases = _phrases(speech_spans, silences)
    pauses = _gaps(phrases, duration)
    vowel_spans = np.array([(p.start, p.end) for p in phonemes if is_vowel(p.phone)], np.float64).reshape(-1, 2)
    loudness = _vowel_loudness(loudness_db, vowel_spans)
    f0 = _vowel_f0(pitch_hz, vowel_spans)
    centres = vowel_spans.mean(axis=1)
    f0_z = _local_z(centres, f0)
    score = _local_z(centres, loudness) + 0.5 * _local_z(centres, np.diff(vowel_spans, axis=1)[:, 0]) + 0.5 * f0_z
    prominent = (score >= PROMINENCE_THRESHOLD) & _is_local_max(centres, score, PROMINENCE_SPACING_S)
    accent = prominent & (f0_z >= ACCENT_F0_Z)
    times = np.arange(n_frames) / fps
    return SpeechCues(
        fps=float(fps),
        loudness_db=pool_to_frames(loudness_db, SAMPLE_RATE / LOUDNESS_HOP, fps, n_frames),
        speaking=inside(times, phrases),
        phrases=phrases,
        pauses=pauses,
        vowels=vowel_spans,
        vowel_loudness=loudness,
        vowel_f0=f0,
        prominence=score,
        prominent=prominent,
        accent=accent,
    )


def is_vowel(phone: str) -> bool:
    """Whether a phone (ARPAbet, or IPA of :data:`~facemotion.text.ipa.NEAREST_ENGLISH`) is a syllable nucleus."""
    return phone in VOWELS or NEAREST_ENGLISH.get(phone, ("",))[0] in VOWELS


def loudness_gain(level_db: np.ndarray, reference_db: float) -> np.ndarray:
    """Amplitude gain of a gesture on speech at ``level_db`` (dBFS, any shape) against ``reference_db``:
    1 + (level - reference) / :data:`LOUDNESS_GAIN_DB`, clipped to [0.25, 2] (louder speech, larger gestures)."""
    return np.clip(1.0 + (np.asarray(level_db, np.float64) - reference_db) / LOUDNESS_GAIN_DB, 0.25, 2.0)


def talking(cues: SpeechCues, times: np.ndarray) -> np.ndarray:
    """(N,) bool: which of the (N,) times (seconds) fall in the speaker's turn: not inside a pause of at least
    :data:`TURN_PAUSE_S` (leading and trailing silence count as pauses)."""
    long_pauses = cues.pauses[cues.pauses[:, 1] - cues.pauses[:, 0] >= TURN_PAUSE_S]
    return ~inside(times, long_pauses)


def inside(times: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """(N,) bool: which of the (N,) times (seconds) fall inside one of the (M, 2) ``[start, end)`` spans."""
    index = np.searchsorted(spans[:, 0], times, side="right") - 1
    return (index >= 0) & (times < spans[np.maximum(index, 0), 1]) if len(spans) else np.zeros(len(times), bool)


def _phrases(speech_spans: Sequence[tuple[float, float]], silences: list[tuple[float, float]]) -> np.ndarray:
    """(P, 2) the voice-activity spans with the aligned silences cut out, fragments shorter than 50 ms dropped."""
    phrases = []
    for start, end in sorted(speech_spans):
        for cut_start, cut_end in silences:
            if cut_start < end and cut_end > start:
                phrases.append((start, cut_start))
                start = cut_end
        phrases.append((start, end))
    spans = np.array([(s, e) for s, e in phrases if e - s >= 0.05], np.float64).reshape(-1, 2)
    return _merge_short_gaps(spans)


def _merge_short_gaps(spans: np.ndarray) -> np.ndarray:
    """Join spans separated by less than :data:`MIN_PAUSE_S`."""
    if len(spans) == 0:
        return spans
    keep = np.concatenate([[True], spans[1:, 0] - spans[:-1, 1] >= MIN_PAUSE_S])
    starts = spans[keep, 0]
    ends = spans[np.concatenate([keep[1:], [True]]), 1]
    return np.stack([starts, ends], axis=1)


def _gaps(phrases: np.ndarray, duration: float) -> np.ndarray:
    """(Q, 2) the silences of at least :data:`MIN_PAUSE_S` between, before and after the phrases."""
    edges = np.concatenate([[0.0], phrases.ravel(), [duration]]).reshape(-1, 2)
    return edges[edges[:, 1] - edges[:, 0] >= MIN_PAUSE_S]


def _vowel_loudness(loudness_db: np.ndarray, vowels: np.ndarray) -> np.ndarray:
    """(K,) the highest 10 ms loudness inside each vowel, dBFS."""
    rate = SAMPLE_RATE / LOUDNESS_HOP
    return np.nanmax(_segments(loudness_db, vowels[:, 0] * rate, vowels[:, 1] * rate), axis=1)


def _vowel_f0(pitch_hz: np.ndarray, vowels: np.ndarray) -> np.ndarray:
    """(K,) median F0 of the middle half of each vowel, in semitones above the median over the vowels."""
    if len(vowels) == 0:
        return np.zeros(0)
    quarter = np.diff(vowels, axis=1)[:, 0] / 4
    hz = np.nanmedian(_segments(pitch_hz, (vowels[:, 0] + quarter) * 100, (vowels[:, 1] - quarter) * 100), axis=1)
    return 12.0 * np.log2(hz / np.median(hz))


def _segments(track: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """(K, L) float64 the values of K segments of a track, NaN-padded to the longest: segment k holds the values
    from ``round(first[k])`` to ``round(last[k])`` (exclusive), clipped to the track and at least one value."""
    first = np.clip(np.round(first).astype(np.int64), 0, len(track) - 1)
    last = np.clip(np.round(last).astype(np.int64), first + 1, len(track))
    index = first[:, None] + np.arange(int((last - first).max(initial=1)))
    return np.where(index < last[:, None], track[np.minimum(index, len(track) - 1)], np.nan)


def _local_z(times: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(K,) z-score of each value against the values within :data:`CONTEXT_S` of its time (itself included).

    Windows come from sorted times and cumulative sums: O(K log K) for takes of any length.
    """
    lo = np.searchsorted(times, times - CONTEXT_S)
    hi = np.searchsorted(times, times + CONTEXT_S, side="right")
    sums = [np.concatenate([[0.0], np.cumsum(v)]) for v in (np.ones_like(values), values, values * values)]
    count, total, squares = (s[hi] - s[lo] for s in sums)
    mean = total / count
    spread = np.sqrt(np.maximum(squares / count - mean**2, 0.0))
    return (values - mean) / np.maximum(spread, 1e-6)


def _is_local_max(times: np.ndarray, values: np.ndarray, radius: float) -> np.ndarray:
    """(K,) bool: values not exceeded by any other value within ``radius`` seconds (ties: the earlier wins)."""
    keep = np.ones(len(values), bool)
    lo = np.searchsorted(times, times - radius)
    hi = np.searchsorted(times, times + radius, side="right")
    for i, (a, b) in enumerate(zip(lo, hi)):
        window = values[a:b]
        keep[i] = values[i] >= window.max() and not np.any(window[: i - a] == values[i])
    return keep
