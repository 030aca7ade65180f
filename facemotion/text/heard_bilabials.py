"""Bilabials heard in the audio: lip closures a recognised transcript misses.

Without a transcript, the words come from Whisper (:mod:`facemotion.text.recognition`), and where Whisper mis-hears
a word ("bad" as "dad") the aligned phonemes lack the /p b m/ the speaker said, and the lips stay open on it. The
lips closing on /p b m/ is what viewers notice first, so the words' phonemes get a second opinion from the
acoustics: hama's CTC phone recogniser (:mod:`facemotion.text.hama_phones`) gives every 20 ms frame a probability
of each phone, and a stretch of frames where the bilabial tokens together reach :data:`BILABIAL_PROBABILITY`, with
no bilabial of the words within :data:`TOLERANCE_SECONDS`, becomes a bilabial of its own (:func:`with_heard_bilabials`).

Measured by ``benchmarks/english_lip_closure.py`` (Whisper base, procedural motion); the threshold was chosen on the
tuning split (220 -> 226 of 228 /p b m/ closed, 12 -> 16 of 851 vowels of 60 ms or more closed throughout) and
the held-out split only reported (``benchmarks/README.md``). On real Mandarin (the FACEGOOD captures,
``benchmarks/mandarin_captures.py``) 15 of the 23 bilabials put in fall where the captured lips close.
"""

import threading
from collections.abc import Sequence

import numpy as np

from facemotion.text.hama_phones import FRAME_SECONDS, SAMPLE_RATE, SHIFT_SECONDS, hama_model, hama_pieces
from facemotion.text.languages import ENGLISH
from facemotion.text.phonemes import PhonemeSegment
from facemotion.text.visemes import BILABIAL_VISEME, load_viseme_table

BILABIAL_TOKENS: dict[str, str] = {"p": "P", "pʰ": "P", "p͈": "P", "b": "B", "ɓ": "B", "m": "M"}
"""hama's tokens of bilabial stops and nasals -> their ARPAbet phone (``pʰ``, ``p͈``: Korean aspirated and tense /p/)."""

BILABIAL_PROBABILITY = 0.3
"""A frame hears a bilabial when hama's probabilities of :data:`BILABIAL_TOKENS` sum to at least this. Chosen on the
tuning split of the English evaluation set among 0.2, 0.3, 0.5 and 0.7 (226, 226, 225 and 224 of 228 closed; 0.2
closed one more vowel)."""

TOLERANCE_SECONDS = 0.06
"""A heard bilabial is already in the phonemes when one of their bilabials comes this close to it (about two frames
at 30 fps); 0.02 and 0.1 gave the same closures on the tuning split."""


def heard_bilabials(waveform: np.ndarray, stop: threading.Event | None = None) -> list[PhonemeSegment]:
    """The bilabials hama hears: one segment per run of frames whose bilabial probability reaches
    :data:`BILABIAL_PROBABILITY`, named after the likeliest bilabial of the run.

    Timed as hama's phones are (:mod:`facemotion.text.hama_phones`): the run's frames, a frame earlier at the start
    (CTC emits a stop at its burst, after the closure), all moved :data:`~facemotion.text.hama_phones.SHIFT_SECONDS`
    earlier. Long audio is decoded in pieces (:func:`~facemotion.text.hama_phones.hama_pieces`).

    Args:
        waveform: (S,) float32 mono speech at 16 kHz.
        stop: once set (by another thread), decoding ends after the current piece, with what was heard so far.

    Returns:
        ARPAbet segments ``P``, ``B`` or ``M`` in time order, seconds from the start of ``waveform``, ``word=None``;
        not contiguous.

    Raises:
        ValueError: for a waveform that is not 1-D finite float32.
        ModuleNotFoundError: when hama is not installed.
    """
    tokens = hama_model().decoder_tokens
    ids = [tokens.index(token) for token in BILABIAL_TOKENS]
    heard = []
    for first, _, log_probs in hama_pieces(waveform):
        if stop is not None and stop.is_set():
            break
        if log_probs is None:
            continue
        probabilities = np.exp(log_probs[:, ids])
        on = np.concatenate([[False], probabilities.sum(axis=1) >= BILABIAL_PROBABILITY, [False]])
        starts, ends = np.flatnonzero(on[1:] & ~on[:-1]), np.flatnonzero(on[:-1] & ~on[1:])
        for start, end in zip(starts, ends):
            phone = BILABIAL_TOKENS[tuple(BILABIAL_TOKENS)[int(probabilities[start:end].sum(axis=0).argmax())]]
            offset = first / SAMPLE_RATE - SHIFT_SECONDS
            heard.append(PhonemeSegment(phone, max(0.0, offset + (start - 1) * FRAME_SECONDS),
                                        offset + end * FRAME_SECONDS))
    return heard


def with_heard_bilabials(phonemes: Sequence[PhonemeSegment], heard: Sequence[PhonemeSegment],
                         language: str = ENGLISH) -> list[PhonemeSegment]:
    """``phonemes`` with each heard bilabial that none of their bilabials (phones of the shipped viseme table's ``PP``:
    /p b m/, IPA also β, pf), nor one put in before it, comes within :data:`TOLERANCE_SECONDS` of.

    A bilabial put in takes its time from the segments it overlaps (cut short or split around it, keeping their
    words); it has no word. Linear in the number of segments (a take of an hour has some 40 000).

    Args:
        phonemes: contiguous segments in time order (ARPAbet in English, IPA in other languages), e.g. Whisper's
            words aligned.
        heard: :func:`heard_bilabials` of the same audio (ARPAbet), in time order.
        language: the phonemes' language: English keeps ARPAbet names, others get the IPA ``p``, ``b``, ``m``.

    Returns:
        Segments in time order, covering what ``phonemes`` covered.
    """
    table = load_viseme_table()
    own = [s for s in phonemes if table.viseme(s.phone) == BILABIAL_VISEME]
    starts, ends = np.array([s.start for s in own]), np.array([s.end for s in own])
    added: list[PhonemeSegment] = []
    for bilabial in heard:
        last = int(np.searchsorted(starts, bilabial.end + TOLERANCE_SECONDS)) - 1  # the last to start before its end
        if (last >= 0 and ends[last] > bilabial.start - TOLERANCE_SECONDS) \
                or (added and added[-1].end > bilabial.start - TOLERANCE_SECONDS):
            continue
        phone = bilabial.phone if language == ENGLISH else bilabial.phone.lower()
        added.append(PhonemeSegment(phone, bilabial.start, bilabial.end))
    return sorted(_cut(phonemes, added) + added, key=lambda s: s.start)


def _cut(phonemes: Sequence[PhonemeSegment], spans: Sequence[PhonemeSegment]) -> list[PhonemeSegment]:
    """The segments without what the ``spans`` (in time order, not overlapping) cover of them."""
    span_starts, span_ends = np.array([s.start for s in spans]), np.array([s.end for s in spans])
    kept = []
    for segment in phonemes:
        cursor = segment.start
        first = int(np.searchsorted(span_ends, segment.start, side="right"))
        for span in spans[first: int(np.searchsorted(span_starts, segment.end))]:
            if span.start > cursor:
                kept.append(PhonemeSegment(segment.phone, cursor, span.start, segment.word))
            cursor = max(cursor, span.end)
        if cursor < segment.end:
            kept.append(PhonemeSegment(segment.phone, cursor, segment.end, segment.word))
    return kept
