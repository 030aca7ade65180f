"""Phoneme timings from speech: forced alignment to a transcript, or phone recognition without one.

Both run CMU pocketsphinx 5 (Huggins-Daines et al., "PocketSphinx: a free, real-time continuous
speech recognition system for hand-held devices", ICASSP 2006) with the US English acoustic model,
CMU Pronouncing Dictionary and phone language model it ships; words missing from the dictionary are
pronounced by gruut (:mod:`facemotion.text.g2p`). Times come from pocketsphinx's 10 ms frames.

Transcripts in other languages (:mod:`facemotion.text.languages`) are aligned across languages with the same
English acoustic model: each word is pronounced in its language's IPA and enters the dictionary spelled with the
nearest English phones (:data:`facemotion.text.ipa.NEAREST_ENGLISH`); the aligned phones get their IPA names
back. ``benchmarks/languages.py`` compares this with the other ways of timing phones of such languages.

:func:`phonemes_for` is the entry point of the pipeline: it aligns when a transcript is given,
checks that the transcript fits the audio, and where it does not (a wrong or missing passage), aligns
the words it can and recognises phones (:func:`recognize_phones`) in the rest only, with a warning
naming the stretch (in other languages than English another aligner may try the rest first: its ``realign``).
Accuracy, mismatch detection, fallbacks and speed are measured by
``benchmarks/alignment_accuracy.py``.
"""

import os
import threading
import warnings
from collections.abc import Callable
from functools import cache
from typing import NamedTuple

import numpy as np
from pocketsphinx import Decoder, get_model_path

from facemotion.text.g2p import normalise_transcript, pronounce
from facemotion.text.ipa import NEAREST_ENGLISH
from facemotion.text.languages import ENGLISH, Word, check_language, pronounce_transcript
from facemotion.text.phonemes import ARPABET, SILENCE, PhonemeSegment

PhoneRecognition = Callable[[np.ndarray], list[PhonemeSegment]]
"""A phone recogniser: (S,) float32 mono 16 kHz audio -> contiguous ARPAbet segments from 0 s, ``word=None``."""

WordAlignment = Callable[[np.ndarray, list[Word]], list[PhonemeSegment] | None]
"""Another aligner of words of other languages than English, for the passages that the English acoustic model does
not fit: (S,) float32 mono 16 kHz audio and the words said -> contiguous segments from 0 s whose phones carry their
word's text, or None when the words do not fit the audio either (e.g.
:func:`facemotion.text.ctc_alignment.ctc_aligned`)."""

SAMPLE_RATE = 16000
"""The sample rate in Hz of pocketsphinx's US English acoustic model."""

FRAME_RATE = 100
"""pocketsphinx analysis frames per second (10 ms hop)."""

BOUNDARY_OFFSET = (0.025625 - 1 / FRAME_RATE) / 2
"""Seconds added to frame-based boundaries (7.8 ms): pocketsphinx's frame t spans a 25.625 ms window
starting at t / 100 s, so the boundary between frames t - 1 and t lies midway between their window
centres. On eSpeak NG speech it moves the mean signed boundary error from -10 ms to -2 ms."""

NOISE_FLOOR_DB = -60.0
"""Level of the Gaussian noise added to every waveform before pocketsphinx's front end: its standard
deviation is this many dB relative to the waveform's peak (-60 dB: 23 LSB of 16-bit PCM for a peak of 0.7).

Synthetic speech (eSpeak NG's default voices hold their stop closures and pauses at exact zero) and
digitally edited or gated recordings contain digital silence. pocketsphinx floors the log mel power
spectrum at 1e-4 (``LOG_FLOOR`` in its ``fe_sigproc.c``), some 100 dB below the noise floor of the
recordings its acoustic model was trained on, so those frames fit no senone: the relative beam prunes
the alignment away, or it survives with scores the mismatch check rejects. Measured by
``benchmarks/alignment_accuracy.py`` on 192 correct transcripts of clean eSpeak NG speech (4 voices,
3 rates): without the noise 73 found no alignment (71 of them in the three voices with digital
silence; the ``+f3`` variant breathes in its closures); with it none, and a wider beam (1e-80) does not
do the same (scores below -55). It lies under the noise floor of ordinary recordings, which need none of
it; it is seeded, so results do not depend on earlier calls.
"""

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
``benchmarks/alignment_accuracy.py``: correct transcripts of real speech stay above -37 (also with
noise at 10 dB SNR), of clean US English eSpeak NG voices above -45; its British voices (``en``,
``en+m3``: non-rhotic vowels against a US model and dictionary) reach -49 on 8 of 96 sentences, which
:func:`phonemes_for` then recognises in part (1 to 5 % of their speech). Other or unrelated transcripts
fall below -53 or get no alignment at all (61 of 64); transcripts missing some words fall in between.
"""

WIDE_BEAM = 1e-80
"""Beams (``beam``, ``pbeam``, ``wbeam``) of the second try when pocketsphinx's defaults (1e-48) find no
alignment: a wrong passage inside a correct transcript often prunes every path at the defaults. The retry
costs several times the first try (``benchmarks/alignment_accuracy.py``, three-sentence passages with a
wrong middle sentence: 0.43x real time against 0.19x for correct ones, on 2 shared cores)."""

CROSS_LINGUAL_MIN_WINDOW_SCORE = -55.0
""":data:`MIN_WINDOW_SCORE` of transcripts in other languages than English, aligned with the English acoustic
model through the nearest English phones: their correct transcripts score lower (sounds English lacks).
Chosen with ``benchmarks/languages.py --scores`` on its tuning voices (French, German, Spanish, Italian, Portuguese,
Mandarin): the worst 1 s window of correct transcripts no lower than -54 (one Portuguese clip -66.6), of another
sentence's transcript -56 or lower, or no alignment at all."""

MAX_UNFIT_SHARE = 0.5
"""Largest share of a transcript's words that may fail to fit the audio while :func:`phonemes_for` still
aligns the others; beyond it the transcript is taken as not matching at all and everything is recognised
(the existing tests' transcript of another clip). A choice, not fitted: a transcript whose words mostly do
not fit is more likely wrong than partly right.
"""

MAX_ALIGN_SECONDS = 600.0
"""Longest waveform :func:`align` accepts; see its docstring for the measured cost."""

ALIGN_CHUNK_SECONDS = 30.0
"""Longest piece of audio in the second (phone-level) pass of :func:`align`."""

RECOGNITION_CHUNK_SECONDS = 30.0
"""Longest stretch of audio decoded at once by :func:`recognize_phones`."""

_LOCK = threading.Lock()

_FOREIGN_WORDS: dict[str, Word] = {}
"""Dictionary entries of words of other languages than English (``fm_0``, ``fm_1``, ...) -> the word and its IPA
phones; added to the decoders on first use and kept, as English words pronounced by gruut are."""
_FOREIGN_ENTRIES: dict[Word, str] = {}


class AlignmentError(RuntimeError):
    """Forced alignment gave no result, or one whose score shows the transcript does not fit."""


class NoWordsError(ValueError):
    """A transcript has no word that can be pronounced (punctuation only, or nothing its language's g2p reads)."""


class _Span(NamedTuple):
    """A phone in pocketsphinx frames: [start, end), with its acoustic score; ``word`` is the dictionary entry."""

    phone: str
    word: str | None
    start: int
    end: int
    score: int = 0


@cache
def _decoder(mode: str) -> Decoder:
    """One pocketsphinx decoder per mode, created once (about 0.25 s: the CMU dictionary).

    "align": defaults (beam 1e-48), no best-path rescoring, and no language model (alignment searches the
    transcript's words alone; loading pocketsphinx's default one took 0.45 s). "align_wide": the same with the beams of
    :data:`WIDE_BEAM`, for :func:`phonemes_for` to localise a mismatch where "align" finds no alignment.
    "allphone": phone decoding with the
    phone trigram model, language weight 2 (1.5 to 2.5 give phone error rates within a point of
    each other on the benchmark; 1 and 4 are worse); beams of 1e-20 decode as well as 1e-48.
    """
    if mode == "align":
        return Decoder(samprate=SAMPLE_RATE, bestpath=False, lm=None, loglevel="FATAL")
    if mode == "align_wide":
        return Decoder(samprate=SAMPLE_RATE, bestpath=False, lm=None, beam=WIDE_BEAM, pbeam=WIDE_BEAM, wbeam=WIDE_BEAM,
                       loglevel="FATAL")
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
    """16-bit PCM for pocketsphinx with noise at :data:`NOISE_FLOOR_DB` below the peak (seeded, so the same
    waveform always gives the same PCM); samples beyond full scale (resampling overshoot) saturate."""
    samples = np.clip(waveform, -1.0, 1.0).astype(np.float64)
    level = float(np.max(np.abs(samples))) * 10 ** (NOISE_FLOOR_DB / 20)
    samples += np.random.default_rng(0).normal(0.0, level, samples.size)
    return np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def _decode(decoder, pcm: bytes) -> None:
    """Decode one utterance from fresh feature state: pocketsphinx otherwise carries its noise and
    cepstral-mean estimates over from the previous utterance, and results depend on call history.

    Raises:
        AlignmentError: pocketsphinx fails to end the utterance (its RuntimeError "Failed to stop utterance
            processing": the phone-level pass finds no path through the words of the first pass, seen on a
            mis-heard transcript of synthetic speech); the decoder is usable again afterwards.
    """
    decoder.reinit_feat()
    decoder.start_utt()
    try:
        decoder.process_raw(pcm, full_utt=True)
    finally:
        try:
            decoder.end_utt()
        except RuntimeError as error:
            raise AlignmentError(f"pocketsphinx: {error}") from error


def _phone_label(name: str) -> str:
    """pocketsphinx phone → ARPAbet without stress; silence and noise (``+NSN+``) → SIL."""
    phone = name.rstrip("012")
    return phone if phone in ARPABET else SILENCE


def _word_label(name: str) -> str | None:
    """pocketsphinx word → dictionary word: ``and(2)`` → ``and``; fillers (``<sil>``, ``[NOISE]``) → None."""
    if name.startswith(("<", "[", "+")):
        return None
    return name.split("(")[0]


def _word_text(entry: str | None) -> str | None:
    """The word a dictionary entry stands for: itself for English, the word's text for another language."""
    return _FOREIGN_WORDS[entry].text if entry in _FOREIGN_WORDS else entry


def _dictionary_entries(transcript: str, language: str) -> list[str]:
    """The transcript's words as dictionary entries: English words as the CMU dictionary spells them, words of
    other languages as entries of :data:`_FOREIGN_WORDS` (one per distinct word and pronunciation)."""
    if check_language(language) == ENGLISH:
        return normalise_transcript(transcript)
    entries = []
    for word in pronounce_transcript(transcript, language):
        entry = _FOREIGN_ENTRIES.setdefault(word, f"fm_{len(_FOREIGN_ENTRIES)}")
        _FOREIGN_WORDS[entry] = word
        entries.append(entry)
    return entries


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
    return [PhonemeSegment(span.phone, bounds[i], bounds[i + 1], _word_text(span.word) if span.phone != SILENCE
                           else None) for i, span in enumerate(kept)]


def _add_missing_words(decoder, words: list[str]) -> None:
    """Add the words the dictionary lacks, pronounced by gruut (English) or by the nearest English phones of their
    IPA phones (other languages); they stay for later calls."""
    for word in sorted(set(words)):
        if decoder.lookup_word(word) is None:
            phones = ([a for p in _FOREIGN_WORDS[word].phones for a in NEAREST_ENGLISH[p]]
                      if word in _FOREIGN_WORDS else pronounce(word))
            decoder.add_word(word, " ".join(phones), update=True)


def _align_words(decoder, pcm: bytes, words: list[str]) -> list[tuple[str, int, int]]:
    """First pass: (dictionary entry, first frame, end frame) of each word and pause."""
    decoder.set_align_text(" ".join(words))
    _decode(decoder, pcm)
    if decoder.hyp() is None:
        raise AlignmentError("pocketsphinx found no alignment of the transcript to the audio")
    return [(seg.word, seg.start_frame, seg.end_frame + 1) for seg in decoder.seg()]


def _align_phones(decoder, pcm: bytes, offset: int) -> list[_Span]:
    """Second pass, after :func:`_align_words` on the same audio: phones shifted by ``offset`` frames; the phones
    of words of other languages by their IPA names (:func:`_ipa_spans`)."""
    decoder.set_alignment()
    _decode(decoder, pcm)
    spans = []
    for word in decoder.get_alignment():
        entry = _word_label(word.name)
        phones = [_Span(_phone_label(phone.name), entry, offset + phone.start, offset + phone.start + phone.duration,
                        phone.score) for phone in word]
        spans += _ipa_spans(phones, _FOREIGN_WORDS[entry]) if entry in _FOREIGN_WORDS else phones
    return spans


def _ipa_spans(spans: list[_Span], word: Word) -> list[_Span]:
    """The aligned English phones of a word of another language → one span per IPA phone of the word (a phone
    spelled with two English phones, such as ts, spans both)."""
    merged, k = [], 0
    for phone in word.phones:
        group = spans[k: k + len(NEAREST_ENGLISH[phone])]
        merged.append(_Span(phone, group[0].word, group[0].start, group[-1].end, sum(s.score for s in group)))
        k += len(group)
    return merged


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


def _forced_alignment(waveform: np.ndarray, words: list[str], mode: str = "align") -> list[_Span]:
    """Both passes with the decoder of ``mode``; the second in pieces of :data:`ALIGN_CHUNK_SECONDS` for
    long audio."""
    hop = SAMPLE_RATE // FRAME_RATE
    pcm = _pcm16(waveform)
    with _LOCK:
        decoder = _decoder(mode)
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


def _window_scores(spans: list[_Span]) -> tuple[np.ndarray, int]:
    """Acoustic score per frame averaged over :data:`MISMATCH_WINDOW_SECONDS` (or all frames, if fewer).

    Returns:
        (F - width + 1,) float64 means of the windows starting at each frame (frames counted from the
        first span's start; the spans are contiguous), and the window width in frames.
    """
    per_frame = np.concatenate([np.full(s.end - s.start, s.score / (s.end - s.start))
                                for s in spans if s.end > s.start])
    width = min(int(MISMATCH_WINDOW_SECONDS * FRAME_RATE), per_frame.size)
    return np.convolve(per_frame, np.full(width, 1 / width), mode="valid"), width


def _worst_window_score(spans: list[_Span]) -> float:
    """Lowest acoustic score per frame averaged over :data:`MISMATCH_WINDOW_SECONDS` (or all frames)."""
    return float(_window_scores(spans)[0].min())


class _Piece(NamedTuple):
    """A stretch of an alignment in frames, [start, end): its words, whether they fit, its worst window score."""

    start: int
    end: int
    words: list[str]
    fits: bool
    score: float


def _pieces(spans: list[_Span], min_window_score: float) -> list[_Piece]:
    """Cut an alignment into stretches whose words fit the audio and stretches whose words do not.

    A frame does not fit when the :data:`MISMATCH_WINDOW_SECONDS` window centred on it scores below
    ``min_window_score`` (windows at the ends stand for the frames beyond their centres); a word does
    not fit when one of its frames does. Consecutive words of the same kind form one piece; pieces meet
    in the middle of the pause between them, or at the word boundary where there is none. Pauses before
    the first word and after the last belong to the first and last pieces.
    """
    scores, width = _window_scores(spans)
    frames = spans[0].start + np.arange(scores.size + width - 1)
    centred = scores[np.clip(frames - spans[0].start - width // 2, 0, scores.size - 1)]
    fits_frame = centred >= min_window_score
    units: list[tuple[str | None, int, int]] = []  # words (their phones joined) and pauses
    for span in spans:
        if units and units[-1][0] == span.word and units[-1][2] == span.start:
            units[-1] = (span.word, units[-1][1], span.end)
        else:
            units.append((span.word, span.start, span.end))
    bounds: list[tuple[int, int, list[str], bool]] = []
    start, words, fits, pause = spans[0].start, [], None, None
    for word, first, end in units:
        if word is None:
            pause = (first, end)
            continue
        fitting = bool(fits_frame[first - spans[0].start: end - spans[0].start].all())
        if fits is not None and fitting != fits:
            cut = (pause[0] + pause[1]) // 2 if pause else first
            bounds.append((start, cut, words, fits))
            start, words = cut, []
        words.append(word)
        fits, pause = fitting, None
    bounds.append((start, spans[-1].end, words, bool(fits)))
    return [_Piece(first, end, words, fits, float(centred[first - spans[0].start: end - spans[0].start].min()))
            for first, end, words, fits in bounds]


class _Fallback(NamedTuple):
    """A stretch where phones were recognised instead of aligned: seconds [start, end), its words, why."""

    start: float
    end: float
    words: list[str]
    reason: str


def _align_where_it_fits(waveform: np.ndarray, words: list[str], min_window_score: float,
                         recognize: PhoneRecognition,
                         realign: WordAlignment | None) -> tuple[list[_Span], list[_Fallback]]:
    """Forced alignment, with phone recognition in the stretches whose words do not fit the audio.

    The whole transcript is aligned first (with :data:`WIDE_BEAM` when the default beams find no
    alignment, as they often do not when a passage is wrong); :func:`_pieces` localises the words that
    do not fit. The pieces that fit are aligned again on their own audio (so that the missing or wrong words next to
    them pull no phone out of place) and kept if they now fit everywhere; the others, and any piece
    that fails on its own, are aligned by ``realign`` if given (and kept if it finds they fit), else
    phone-recognised by ``recognize``, losing their words.

    Returns:
        Contiguous spans over the waveform's frames, and the stretches that fell back, in time order.

    Raises:
        AlignmentError: pocketsphinx finds no alignment, or more than :data:`MAX_UNFIT_SHARE` of the
            words do not fit (the transcript as a whole does not match the audio).
    """
    hop = SAMPLE_RATE // FRAME_RATE
    try:
        spans = _forced_alignment(waveform, words)
    except AlignmentError:
        spans = _forced_alignment(waveform, words, "align_wide")
    pieces = _pieces(spans, min_window_score)
    if len(pieces) == 1 and pieces[0].fits:
        return spans, []
    unfit = sum(len(piece.words) for piece in pieces if not piece.fits)
    if unfit > MAX_UNFIT_SHARE * len(words):
        raise AlignmentError(f"acoustic score {min(p.score for p in pieces):.1f} per frame over "
                             f"{MISMATCH_WINDOW_SECONDS:g} s is below {min_window_score:.1f} for {unfit} of "
                             f"{len(words)} words: the transcript does not seem to match the audio")
    result, fallbacks = [], []
    for k, piece in enumerate(pieces):
        begin, end = piece.start * hop, piece.end * hop if k < len(pieces) - 1 else waveform.size
        audio = waveform[begin:end]
        reason = f"acoustic score {piece.score:.1f} per frame over {MISMATCH_WINDOW_SECONDS:g} s"
        if piece.fits:
            try:
                aligned = _forced_alignment(audio, piece.words)
                score = _worst_window_score(aligned)
                if score >= min_window_score:
                    result += [span._replace(start=span.start + piece.start, end=span.end + piece.start)
                               for span in aligned]
                    continue
                reason = f"acoustic score {score:.1f} per frame over {MISMATCH_WINDOW_SECONDS:g} s, aligned alone"
            except AlignmentError as error:
                reason = f"{error}, aligned alone"
        realigned = _realigned(audio, piece.words, realign)
        if realigned is None:
            realigned = recognize(audio)
            fallbacks.append(_Fallback(begin / SAMPLE_RATE, end / SAMPLE_RATE, piece.words, reason))
        result += _as_spans(realigned, piece.start)
    return result, fallbacks


def _realigned(waveform: np.ndarray, entries: list[str], realign: WordAlignment | None) -> list[PhonemeSegment] | None:
    """``realign`` of the words of ``entries`` (dictionary entries of other languages than English); None without
    ``realign``, words or fit."""
    if realign is None or not entries or any(entry not in _FOREIGN_WORDS for entry in entries):
        return None
    return realign(waveform, [_FOREIGN_WORDS[entry] for entry in entries])


def align(waveform: np.ndarray, transcript: str, sample_rate: int = SAMPLE_RATE,
          min_window_score: float | None = MIN_WINDOW_SCORE, language: str = ENGLISH) -> list[PhonemeSegment]:
    """Forced alignment of a transcript to speech: the time span of every phone.

    The transcript is normalised by gruut (numbers, abbreviations; :func:`normalise_transcript`),
    pronounced from the CMU dictionary (gruut for missing words, which stay in the cached decoder's
    dictionary) and aligned by pocketsphinx in two passes: words and pauses over the whole
    waveform, choosing among the dictionary's alternative pronunciations, then phones, in pieces of
    at most :data:`ALIGN_CHUNK_SECONDS` cut inside pauses.

    Accuracy on clean synthetic speech with exact timings (eSpeak NG, 4 voices, 3 rates, 192
    sentences; ``benchmarks/alignment_accuracy.py``): median boundary error 7.1 ms, 86 % of boundaries
    within 20 ms. Cost on one CPU core: about 0.03x real time for clips of
    seconds, 0.07x for one to five minutes, under 100 MiB of memory (the second pass works in pieces:
    in one go it took 2.3 GiB for five minutes); the first pass grows faster than linearly (ten
    minutes take about a minute), hence the limit :data:`MAX_ALIGN_SECONDS`.

    A transcript in another language is pronounced in its IPA (:func:`~facemotion.text.languages.pronounce_transcript`)
    and aligned through the nearest English phones of each IPA phone (the module docstring).

    Args:
        waveform: (S,) float32 mono speech at 16 kHz, nominally in [-1, 1] (beyond saturates).
        transcript: what is said, in ``language``.
        sample_rate: must be 16000.
        min_window_score: reject alignments whose acoustic score per frame, averaged over some window
            of :data:`MISMATCH_WINDOW_SECONDS`, is lower (the transcript does not match the audio);
            ``None`` accepts any alignment pocketsphinx finds.
        language: ISO 639-1 code of :data:`~facemotion.text.languages.LANGUAGES`.

    Returns:
        Segments in time order, contiguous, covering [0, S / 16000] s; phones are ARPAbet without
        stress (English) or IPA phones of :mod:`facemotion.text.ipa` (other languages) and carry their word;
        pauses and noise are :data:`SILENCE` with ``word=None``.

    Raises:
        ValueError: for a bad waveform, a sample rate other than 16 kHz, audio longer than
            :data:`MAX_ALIGN_SECONDS`, a transcript without words or an unsupported language.
        AlignmentError: the audio is silent (peak below -60 dBFS), pocketsphinx finds no alignment,
            or its score is below ``min_window_score``.
    """
    spans = _forced_alignment(waveform, _words_to_align(waveform, transcript, sample_rate, language))
    score = _worst_window_score(spans)
    if min_window_score is not None and score < min_window_score:
        raise AlignmentError(f"acoustic score {score:.1f} per frame over {MISMATCH_WINDOW_SECONDS:g} s is below "
                             f"{min_window_score:.1f}: the transcript does not seem to match the audio")
    return _segments(spans, waveform.size / sample_rate)


def _words_to_align(waveform: np.ndarray, transcript: str, sample_rate: int, language: str) -> list[str]:
    """The checks of :func:`align` (errors as documented there); the transcript's dictionary entries."""
    _check_waveform(waveform, sample_rate)
    duration = waveform.size / sample_rate
    if duration > MAX_ALIGN_SECONDS:
        raise ValueError(f"align() takes at most {MAX_ALIGN_SECONDS:.0f} s of audio, got {duration:.0f} s: "
                         "split it at paragraphs or use recognize_phones()")
    words = _transcript_entries(transcript, language)
    if _is_silent(waveform):
        raise AlignmentError("the audio is silent (peak below -60 dBFS)")
    return words


def _transcript_entries(transcript: str, language: str) -> list[str]:
    """:func:`_dictionary_entries`; :class:`NoWordsError` when there are none."""
    words = _dictionary_entries(transcript, language)
    if not words:
        raise NoWordsError(f"transcript has no words to align: {transcript!r}")
    return words


def cut_points(waveform: np.ndarray, max_samples: int) -> list[int]:
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
    return _segments(_recognised_spans(waveform, 0), waveform.size / sample_rate)


def _recognised_spans(waveform: np.ndarray, offset: int) -> list[_Span]:
    """All-phone decoding of :func:`recognize_phones`, in pieces; frames shifted by ``offset``.

    A waveform shorter than 3 frames (pocketsphinx decodes nothing) or near-digital silence is one pause.
    """
    hop = SAMPLE_RATE // FRAME_RATE
    if waveform.size < 3 * hop:
        return [_Span(SILENCE, None, offset, offset + waveform.size // hop)]
    spans = []
    with _LOCK:
        decoder = _decoder("allphone")
        cuts = cut_points(waveform, int(RECOGNITION_CHUNK_SECONDS * SAMPLE_RATE))
        for start, end in zip(cuts[:-1], cuts[1:]):
            first = offset + start // hop
            if _is_silent(waveform[start:end]):
                spans.append(_Span(SILENCE, None, first, offset + end // hop))
                continue
            _decode(decoder, _pcm16(waveform[start:end]))
            spans += [_Span(_phone_label(seg.word), None, first + seg.start_frame, first + seg.end_frame + 1)
                      for seg in decoder.seg()]
    return spans


def phonemes_for(waveform: np.ndarray, transcript: str | None = None, sample_rate: int = SAMPLE_RATE,
                 offset: float = 0.0, recognize: PhoneRecognition | None = None,
                 language: str = ENGLISH, realign: WordAlignment | None = None) -> list[PhonemeSegment]:
    """Phoneme segments of speech: aligned to the transcript if one is given, else recognised.

    Where the acoustic score shows that some words do not fit the audio (:data:`MIN_WINDOW_SCORE`,
    localised by the window centred on each frame: a wrong, missing or extra passage), the stretch
    around them, cut in pauses, is phone-recognised without words, the pieces between are aligned
    again on their own, and a warning names each stretch (seconds, words, score). When forced
    alignment fails as a whole (silent audio, pocketsphinx finds no alignment, more than
    :data:`MAX_UNFIT_SHARE` of the words do not fit) or the audio is longer than
    :data:`MAX_ALIGN_SECONDS`, a warning names the reason and :func:`recognize_phones` is used for all.
    A transcript in another language than English is aligned across languages (:func:`align`), its fit
    judged by :data:`CROSS_LINGUAL_MIN_WINDOW_SCORE`; with ``realign``, the words of a stretch that does not fit
    (or of the whole transcript, when its alignment fails as a whole) are aligned by ``realign`` instead, and
    recognised only where those do not fit either.

    Args:
        waveform: (S,) float32 mono speech at 16 kHz, nominally in [-1, 1] (beyond saturates).
        transcript: what is said, in ``language``, or ``None``.
        sample_rate: must be 16000.
        offset: seconds added to every time, returned and warned (the position of ``waveform`` in its file).
        recognize: the phone recogniser of what cannot be aligned, ``(S,) float32 16 kHz -> contiguous segments
            from 0 s``; :func:`recognize_phones` (pocketsphinx all-phone) by default.
        language: ISO 639-1 code of the transcript, one of :data:`~facemotion.text.languages.LANGUAGES`.
        realign: the :data:`WordAlignment` of passages of other languages than English that do not fit; None
            recognises them.

    Returns:
        Contiguous segments covering [offset, offset + S / 16000] s, as :func:`align` or
        :func:`recognize_phones` (recognised phones have ``word=None``).

    Raises:
        ValueError: for a bad waveform or sample rate, an unsupported language; :class:`NoWordsError` (a
            ValueError) for an empty or word-less transcript.
    """
    _check_waveform(waveform, sample_rate)
    recognize = recognize or recognize_phones
    if transcript is None:
        return _shifted(recognize(waveform), offset)
    words = _transcript_entries(transcript, language)
    if waveform.size > MAX_ALIGN_SECONDS * sample_rate:
        reason = f"audio longer than {MAX_ALIGN_SECONDS:.0f} s"
    else:
        min_window_score = MIN_WINDOW_SCORE if language == ENGLISH else CROSS_LINGUAL_MIN_WINDOW_SCORE
        try:
            if _is_silent(waveform):
                raise AlignmentError("the audio is silent (peak below -60 dBFS)")
            spans, fallbacks = _align_where_it_fits(waveform, words, min_window_score, recognize, realign)
        except AlignmentError as error:
            reason = str(error)
            realigned = _realigned(waveform, words, realign)
            if realigned is not None:
                return _shifted(realigned, offset)
        else:
            if fallbacks:
                stretches = "; ".join(f"{offset + f.start:.2f}-{offset + f.end:.2f} s, "
                                      f"{' '.join(map(_word_text, f.words)) or 'no words'!r}: {f.reason}"
                                      for f in fallbacks)
                kept = len(words) - sum(len(f.words) for f in fallbacks)
                warnings.warn(f"forced alignment failed in part ({stretches}); falling back to phone recognition "
                              f"there, {kept} of {len(words)} words aligned", stacklevel=2)
            return _shifted(_segments(spans, waveform.size / sample_rate), offset)
    where = f" at {offset:.2f}-{offset + waveform.size / sample_rate:.2f} s" if offset else ""
    warnings.warn(f"forced alignment failed{where} ({reason}); falling back to phone recognition", stacklevel=2)
    return _shifted(recognize(waveform), offset)


def _as_spans(segments: list[PhonemeSegment], offset: int) -> list[_Span]:
    """Contiguous segments from 0 s (as :func:`_segments` makes them) back to frame spans, ``offset`` frames on,
    with their words (a word's text stands for itself in :func:`_word_text`); pocketsphinx's segments round-trip
    exactly, others land on the 10 ms frames."""
    spans = [_Span(s.phone, s.word, offset + max(0, round((s.start - BOUNDARY_OFFSET) * FRAME_RATE)),
                   offset + round((s.end - BOUNDARY_OFFSET) * FRAME_RATE)) for s in segments]
    return [span for span in spans if span.end > span.start]


def _shifted(segments: list[PhonemeSegment], offset: float) -> list[PhonemeSegment]:
    """``segments`` moved ``offset`` seconds later."""
    if not offset:
        return segments
    return [PhonemeSegment(s.phone, s.start + offset, s.end + offset, s.word) for s in segments]
