"""Phoneme timings from speech: forced alignment to a transcript, or phone recognition without one.

Both run CMU pocketsphinx 5 (Huggins-Daines et al., "PocketSphinx: a free, real-time continuous
speech recognition system for hand-held devices", ICASSP 2006) with the US English acoustic model,
CMU Pronouncing Dictionary and phone language model it ships; words missing from the dictionary are
pronounced by gruut (:mod:`facemotion.text.g2p`). Times come from pocketsphinx's 10 ms frames.

:func:`phonemes_for` is the entry point of the pipeline: it aligns when a transcript is given,
checks that the transcript fits the audio, and otherwise falls back to :func:`recognize_phones`
with a warning. Accuracy, mismatch detection and speed are measured by
``benchmarks/alignment_accuracy.py``.
"""

import os
import threading
import warnings
from functools import cache
from typing import NamedTuple

import numpy as np
from pocketsphinx import Decoder, get_model_path

from facemotion.text.g2p import normalise_transcript, pronounce
from facemotion.text.phonemes import ARPABET, SILENCE, PhonemeSegment

SAMPLE_RATE = 16000
"""The sample rate in Hz of pocketsphinx's US English acoustic model."""

FRAME_RATE = 100
"""pocketsphinx analysis frames per second (10 ms hop)."""

BOUNDARY_OFFSET = (0.025625 - 1 / FRAME_RATE) / 2
"""Seconds added to frame-based boundaries (7.8 ms): pocketsphinx's frame t spans a 25.625 ms window
starting at t / 100 s, so the boundary between frames t - 1 and t lies midway between their window
centres. On eSpeak NG speech it moves the mean signed boundary error from -10 ms to -2 ms."""

MISMATCH_WINDOW_SECONDS = 1.0
"""Length of the sliding window over which the alignment score is averaged (see below)."""

MIN_WINDOW_SCORE = -45.0
"""An alignment is rejected when its acoustic score per frame, averaged over any window of
:data:`MISMATCH_WINDOW_SECONDS`, is lower than this.

pocketsphinx normalises every frame's senone scores by the frame's best one, so the score of the
aligned states per frame (pocketsphinx's scaled log units) tells how far the transcript's sounds are
from the best-matching sounds of the acoustic model. The window localises a mismatch (speech aligned
to silence where words are missing; unrelated words) that a mean over a long recording would dilute,
and it separates correct from wrong transcripts better than the mean or the share of phones squashed
to the minimum duration of 3 frames. Measured by
``benchmarks/alignment_accuracy.py``: correct transcripts stay above -40 (real speech, also with
noise at 10 dB SNR, and synthetic speech), other or unrelated transcripts fall below -60 or get no
alignment at all; transcripts missing some words fall in between.
"""

MAX_ALIGN_SECONDS = 600.0
"""Longest waveform :func:`align` accepts; see its docstring for the measured cost."""

ALIGN_CHUNK_SECONDS = 30.0
"""Longest piece of audio in the second (phone-level) pass of :func:`align`."""

RECOGNITION_CHUNK_SECONDS = 30.0
"""Longest stretch of audio decoded at once by :func:`recognize_phones`."""

_LOCK = threading.Lock()


class AlignmentError(RuntimeError):
    """Forced alignment gave no result, or one whose score shows the transcript does not fit."""


class _Span(NamedTuple):
    """A phone in pocketsphinx frames: [start, end), with its acoustic score."""

    phone: str
    word: str | None
    start: int
    end: int
    score: int = 0


@cache
def _decoder(mode: str) -> Decoder:
    """One pocketsphinx decoder per mode, created once (about 0.4 s).

    "align": defaults (beam 1e-48), no best-path rescoring. "allphone": phone decoding with the
    phone trigram model, language weight 2 (1.5 to 2.5 give phone error rates within a point of
    each other on the benchmark; 1 and 4 are worse); beams of 1e-20 decode as well as 1e-48.
    """
    if mode == "align":
        return Decoder(samprate=SAMPLE_RATE, bestpath=False, loglevel="FATAL")
    phone_model = os.path.join(get_model_path(), "en-us", "en-us-phone.lm.bin")
    return Decoder(samprate=SAMPLE_RATE, allphone=phone_model, lw=2.0, beam=1e-20, pbeam=1e-20, loglevel="FATAL")


def _check_waveform(waveform: np.ndarray, sample_rate: int) -> None:
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"expected audio at {SAMPLE_RATE} Hz, got {sample_rate} Hz: resample it first")
    if not isinstance(waveform, np.ndarray) or waveform.ndim != 1 or waveform.dtype != np.float32:
        raise ValueError("expected a 1-D float32 numpy waveform (S,)")
    if waveform.size < 3 * SAMPLE_RATE // FRAME_RATE:
        raise ValueError(f"waveform too short: {waveform.size} samples, expected at least 30 ms")
    if not np.isfinite(waveform).all():
        raise ValueError("waveform samples must be finite")


def _is_silent(waveform: np.ndarray) -> bool:
    """Peak below -60 dBFS: pocketsphinx labels such near-digital silence arbitrarily."""
    return float(np.max(np.abs(waveform))) < 1e-3


def _pcm16(waveform: np.ndarray) -> bytes:
    """16-bit PCM for pocketsphinx; samples beyond full scale (resampling overshoot) saturate."""
    return np.round(np.clip(waveform, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def _decode(decoder, pcm: bytes) -> None:
    """Decode one utterance from fresh feature state: pocketsphinx otherwise carries its noise and
    cepstral-mean estimates over from the previous utterance, and results depend on call history."""
    decoder.reinit_feat()
    decoder.start_utt()
    try:
        decoder.process_raw(pcm, full_utt=True)
    finally:
        decoder.end_utt()


def _phone_label(name: str) -> str:
    """pocketsphinx phone → ARPAbet without stress; silence and noise (``+NSN+``) → SIL."""
    phone = name.rstrip("012")
    return phone if phone in ARPABET else SILENCE


def _word_label(name: str) -> str | None:
    """pocketsphinx word → dictionary word: ``and(2)`` → ``and``; fillers (``<sil>``, ``[NOISE]``) → None."""
    if name.startswith(("<", "[", "+")):
        return None
    return name.split("(")[0]


def _segments(spans: list[_Span], duration: float) -> list[PhonemeSegment]:
    """Frame spans → contiguous segments covering [0, duration] s.

    Neighbouring silences are merged; each segment ends where the next starts (plus
    :data:`BOUNDARY_OFFSET`); the last ends at ``duration`` (pocketsphinx's frames stop up to one
    window short of the end).
    """
    merged: list[_Span] = []
    for span in spans:
        if merged and span.phone == SILENCE == merged[-1].phone:
            merged[-1] = merged[-1]._replace(end=span.end)
        elif span.end > span.start:
            merged.append(span)
    starts = [span.start / FRAME_RATE + BOUNDARY_OFFSET for span in merged]
    kept = [span for span, start in zip(merged, starts) if start < duration]
    if not kept:
        return [PhonemeSegment(SILENCE, 0.0, duration)]
    bounds = [0.0] + starts[1:len(kept)] + [duration]
    return [PhonemeSegment(span.phone, bounds[i], bounds[i + 1], span.word if span.phone != SILENCE else None)
            for i, span in enumerate(kept)]


def _add_missing_words(decoder, words: list[str]) -> None:
    """Add the words the dictionary lacks, pronounced by gruut; they stay for later calls."""
    for word in sorted(set(words)):
        if decoder.lookup_word(word) is None:
            decoder.add_word(word, " ".join(pronounce(word)), update=True)


def _align_words(decoder, pcm: bytes, words: list[str]) -> list[tuple[str, int, int]]:
    """First pass: (dictionary entry, first frame, end frame) of each word and pause."""
    decoder.set_align_text(" ".join(words))
    _decode(decoder, pcm)
    if decoder.hyp() is None:
        raise AlignmentError("pocketsphinx found no alignment of the transcript to the audio")
    return [(seg.word, seg.start_frame, seg.end_frame + 1) for seg in decoder.seg()]


def _align_phones(decoder, pcm: bytes, offset: int) -> list[_Span]:
    """Second pass, after :func:`_align_words` on the same audio: phones shifted by ``offset`` frames."""
    decoder.set_alignment()
    _decode(decoder, pcm)
    return [_Span(_phone_label(phone.name), _word_label(word.name), offset + phone.start,
                  offset + phone.start + phone.duration, phone.score)
            for word in decoder.get_alignment() for phone in word]


def _split_at_pauses(words: list[tuple[str, int, int]], max_frames: int) -> list[tuple[int, int, list[str]]]:
    """First-pass words → (first frame, end frame, words) pieces of about ``max_frames``.

    A piece ends in the middle of its last pause, unless that would make it shorter than half of
    ``max_frames``: then it ends between two words.
    """
    pieces, piece_words, start, cut = [], [], 0, None
    for name, first, end in words:
        if end - start > max_frames and piece_words:
            frame, count = cut if cut and cut[0] - start >= max_frames // 2 else (first, len(piece_words))
            pieces.append((start, frame, piece_words[:count]))
            piece_words, start, cut = piece_words[count:], frame, None
        if _word_label(name) is None:
            cut = ((first + end) // 2, len(piece_words))
        else:
            piece_words.append(name)
    return pieces + [(start, words[-1][2], piece_words)]


def _forced_alignment(waveform: np.ndarray, words: list[str]) -> list[_Span]:
    """Both passes; the second in pieces of :data:`ALIGN_CHUNK_SECONDS` for long audio."""
    hop = SAMPLE_RATE // FRAME_RATE
    pcm = _pcm16(waveform)
    with _LOCK:
        decoder = _decoder("align")
        _add_missing_words(decoder, words)
        first_pass = _align_words(decoder, pcm, words)
        if waveform.size <= ALIGN_CHUNK_SECONDS * SAMPLE_RATE:
            return _align_phones(decoder, pcm, 0)
        spans = []
        for first, end, piece_words in _split_at_pauses(first_pass, int(ALIGN_CHUNK_SECONDS * FRAME_RATE)):
            if not piece_words:
                spans.append(_Span(SILENCE, None, first, end))
                continue
            piece = pcm[2 * hop * first: 2 * hop * end]
            _align_words(decoder, piece, piece_words)
            spans += _align_phones(decoder, piece, first)
    return spans


def _worst_window_score(spans: list[_Span]) -> float:
    """Lowest acoustic score per frame averaged over :data:`MISMATCH_WINDOW_SECONDS` (or all frames)."""
    per_frame = np.concatenate([np.full(s.end - s.start, s.score / (s.end - s.start))
                                for s in spans if s.end > s.start])
    width = min(int(MISMATCH_WINDOW_SECONDS * FRAME_RATE), per_frame.size)
    return float(np.convolve(per_frame, np.full(width, 1 / width), mode="valid").min())


def align(waveform: np.ndarray, transcript: str, sample_rate: int = SAMPLE_RATE,
          min_window_score: float | None = MIN_WINDOW_SCORE) -> list[PhonemeSegment]:
    """Forced alignment of an English transcript to speech: the time span of every phone.

    The transcript is normalised by gruut (numbers, abbreviations; :func:`normalise_transcript`),
    pronounced from the CMU dictionary (gruut for missing words, which stay in the cached decoder's
    dictionary) and aligned by pocketsphinx in two passes: words and pauses over the whole
    waveform, choosing among the dictionary's alternative pronunciations, then phones, in pieces of
    at most :data:`ALIGN_CHUNK_SECONDS` cut inside pauses.

    Accuracy on synthetic speech with exact timings (eSpeak NG, two voices): median boundary error
    8 ms, 86 % of boundaries within 20 ms. Cost on one CPU core: about 0.03x real time for clips of
    seconds, 0.07x for one to five minutes, under 100 MiB of memory (the second pass works in pieces:
    in one go it took 2.3 GiB for five minutes); the first pass grows faster than linearly (ten
    minutes take about a minute), hence the limit :data:`MAX_ALIGN_SECONDS`.

    Args:
        waveform: (S,) float32 mono speech at 16 kHz, nominally in [-1, 1] (beyond saturates).
        transcript: what is said, English text.
        sample_rate: must be 16000.
        min_window_score: reject alignments whose acoustic score per frame, averaged over some window
            of :data:`MISMATCH_WINDOW_SECONDS`, is lower (the transcript does not match the audio);
            ``None`` accepts any alignment pocketsphinx finds.

    Returns:
        Segments in time order, contiguous, covering [0, S / 16000] s; phones are ARPAbet without
        stress and carry their word; pauses and noise are :data:`SILENCE` with ``word=None``.

    Raises:
        ValueError: for a bad waveform, a sample rate other than 16 kHz, audio longer than
            :data:`MAX_ALIGN_SECONDS`, or a transcript without words.
        AlignmentError: the audio is silent (peak below -60 dBFS), pocketsphinx finds no alignment,
            or its score is below ``min_window_score``.
    """
    _check_waveform(waveform, sample_rate)
    duration = waveform.size / sample_rate
    if duration > MAX_ALIGN_SECONDS:
        raise ValueError(f"align() takes at most {MAX_ALIGN_SECONDS:.0f} s of audio, got {duration:.0f} s: "
                         "split it at paragraphs or use recognize_phones()")
    words = normalise_transcript(transcript)
    if not words:
        raise ValueError(f"transcript has no words to align: {transcript!r}")
    if _is_silent(waveform):
        raise AlignmentError("the audio is silent (peak below -60 dBFS)")
    spans = _forced_alignment(waveform, words)
    score = _worst_window_score(spans)
    if min_window_score is not None and score < min_window_score:
        raise AlignmentError(f"acoustic score {score:.1f} per frame over {MISMATCH_WINDOW_SECONDS:g} s is below "
                             f"{min_window_score:.1f}: the transcript does not seem to match the audio")
    return _segments(spans, duration)


def _cut_points(waveform: np.ndarray, max_samples: int) -> list[int]:
    """Sample indices, multiples of the 10 ms hop, cutting the waveform into pieces of at most ``max_samples``.

    Each cut lies in the quietest 250 ms (mean energy of 10 ms frames) of the last third of its
    piece, so that pieces end in pauses when there are any.
    """
    hop = SAMPLE_RATE // FRAME_RATE
    cuts = [0]
    while waveform.size - cuts[-1] > max_samples:
        low = cuts[-1] + 2 * max_samples // 3 // hop * hop
        frames = waveform[low: cuts[-1] + max_samples // hop * hop].reshape(-1, hop)
        energy = np.convolve(np.mean(frames ** 2, axis=1), np.ones(25), mode="same")
        cuts.append(low + int(np.argmin(energy)) * hop)
    return cuts + [waveform.size]


def recognize_phones(waveform: np.ndarray, sample_rate: int = SAMPLE_RATE) -> list[PhonemeSegment]:
    """Phone recognition without a transcript: pocketsphinx's all-phone search.

    Context-independent phone decoding constrained by the phone trigram model that pocketsphinx
    ships (``en-us-phone.lm.bin``); context-dependent decoding is 40 times slower (about 2x real
    time) and not consistently more accurate on our two clips. Expect about 40 % phone errors
    against a forced alignment of the same speech (see ``benchmarks/alignment_accuracy.py``):
    good enough to time mouth shapes, not to read the words.
    Long audio is decoded in pieces of at most :data:`RECOGNITION_CHUNK_SECONDS` cut in their
    quietest stretches; the cost is about 0.05x real time on one CPU core, memory stays flat.

    Args:
        waveform: (S,) float32 mono audio at 16 kHz, nominally in [-1, 1], of any length.
        sample_rate: must be 16000.

    Returns:
        Segments in time order, contiguous, covering [0, S / 16000] s, with ``word=None``; silence,
        noise and audio without speech are :data:`SILENCE`, and so is every piece whose peak is
        below -60 dBFS.

    Raises:
        ValueError: for a bad waveform or a sample rate other than 16 kHz.
    """
    _check_waveform(waveform, sample_rate)
    hop = SAMPLE_RATE // FRAME_RATE
    spans = []
    with _LOCK:
        decoder = _decoder("allphone")
        cuts = _cut_points(waveform, int(RECOGNITION_CHUNK_SECONDS * SAMPLE_RATE))
        for start, end in zip(cuts[:-1], cuts[1:]):
            if _is_silent(waveform[start:end]):
                spans.append(_Span(SILENCE, None, start // hop, end // hop))
                continue
            _decode(decoder, _pcm16(waveform[start:end]))
            spans += [_Span(_phone_label(seg.word), None, start // hop + seg.start_frame,
                            start // hop + seg.end_frame + 1) for seg in decoder.seg()]
    return _segments(spans, waveform.size / sample_rate)


def phonemes_for(waveform: np.ndarray, transcript: str | None = None,
                 sample_rate: int = SAMPLE_RATE) -> list[PhonemeSegment]:
    """Phoneme segments of speech: aligned to the transcript if one is given, else recognised.

    When forced alignment fails (silent audio, pocketsphinx finds no alignment, or its acoustic
    score shows that the transcript does not match the audio: :data:`MIN_WINDOW_SCORE`) or the
    audio is longer than :data:`MAX_ALIGN_SECONDS`, a warning names the reason and
    :func:`recognize_phones` is used instead.

    Args:
        waveform: (S,) float32 mono speech at 16 kHz, nominally in [-1, 1] (beyond saturates).
        transcript: what is said, English text, or ``None``.
        sample_rate: must be 16000.

    Returns:
        Contiguous segments covering [0, S / 16000] s, as :func:`align` or :func:`recognize_phones`.

    Raises:
        ValueError: for a bad waveform or sample rate, or an empty or word-less transcript.
    """
    _check_waveform(waveform, sample_rate)
    if transcript is None:
        return recognize_phones(waveform, sample_rate)
    if not normalise_transcript(transcript):
        raise ValueError(f"transcript has no words to align: {transcript!r}")
    if waveform.size > MAX_ALIGN_SECONDS * sample_rate:
        reason = f"audio longer than {MAX_ALIGN_SECONDS:.0f} s"
    else:
        try:
            return align(waveform, transcript, sample_rate)
        except AlignmentError as error:
            reason = str(error)
    warnings.warn(f"forced alignment failed ({reason}); falling back to phone recognition", stacklevel=2)
    return recognize_phones(waveform, sample_rate)
