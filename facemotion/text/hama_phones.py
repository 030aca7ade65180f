"""Phone recognition with hama's IPA CTC phone recogniser, as ARPAbet phoneme segments.

``hama`` (PyPI ``hama==1.7.0``, Seongmin Park, https://github.com/hamanlp/hama; wheel metadata: Apache-2.0,
upstream repository: MIT) ships ``hama/assets/asr_waveform.hama``, a CTC phone recogniser over 191 tokens (IPA
symbols of English and Korean, a word-boundary token ``<wb>`` and the CTC blank ``<blank>``), run by the wheel's
own native engine (``libhama``, no onnxruntime; nothing is downloaded). Its session gives per-frame
log-probabilities at 50 Hz: one output frame per 320 input samples at 16 kHz (``hama.asr.ASR_OUTPUT_FRAME_SAMPLES``).

:func:`hama_log_probs` returns them; :func:`hama_phonemes` turns them into
:class:`~facemotion.text.phonemes.PhonemeSegment`\\ s:

1. greedy CTC decoding: the arg-max token of each frame, runs of one token collapsed to one emission,
   blanks dropped (``<wb>`` and tokens that are no phone are treated as blanks);
2. IPA -> ARPAbet through the project's table :data:`facemotion.text.g2p.IPA_TO_ARPABET`
   (:func:`~facemotion.text.g2p.ipa_to_arpabet`: stress and length marks removed, diphthongs as single
   symbols), completed by :data:`EXTRA_IPA_TO_ARPABET` for the non-US-English symbols hama also emits;
   symbols neither maps (a lone length mark or diacritic, a glottal stop, Korean-only sounds) are dropped
   and counted in :attr:`HamaPhones.dropped`;
3. timing: a phone covers the frames of its emission; the blank frames between two emissions are split
   at their middle, unless the blank stretch lasts at least :data:`PAUSE_FRAMES` frames (blank dominates),
   which makes it a pause (:data:`~facemotion.text.phonemes.SILENCE`), the phone before held
   :data:`HOLD_FRAMES` frames into it and the phone after starting :data:`LEAD_FRAMES` frames early
   (CTC emissions are peaky: one or two frames per phone, not the phone's duration); then every boundary
   moves :data:`SHIFT_SECONDS` earlier.

The timing constants were chosen by hand before measuring, looking only at the ARCTIC clip
(``arctic_a0007``); nothing was tuned on the LJ Speech clips. Measured by ``benchmarks/recognizers.py`` on 30
LJ Speech clips: 13.7 % phone error rate against the forced alignment of the true transcript (pocketsphinx
all-phone: 46 %), the lips closed on 88 of 88 /p b m/, at about the CPU cost of pocketsphinx all-phone.

Long audio is decoded in pieces of at most :data:`PIECE_SECONDS`, cut in their quietest stretch
(:func:`facemotion.text.alignment.cut_points`), so memory stays flat; :func:`hama_phones_in_spans` decodes each
span of voice activity on its own (the ``"hama"`` recogniser of :mod:`facemotion.text.recognition`).
"""

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import numpy as np

from facemotion.text.alignment import cut_points
from facemotion.text.g2p import ipa_to_arpabet
from facemotion.text.phonemes import SILENCE, PhonemeSegment
from facemotion.timing import span_samples

SAMPLE_RATE = 16000
"""The sample rate in Hz hama's recogniser takes."""
FRAME_SAMPLES = 320
"""Input samples per output frame of hama's recogniser (a 160-sample hop, subsampled by 2): 20 ms, 50 Hz."""
FRAME_SECONDS = FRAME_SAMPLES / SAMPLE_RATE

PAUSE_FRAMES = 10
"""A stretch of at least this many blank frames (200 ms) between emissions is a pause."""
HOLD_FRAMES = 2
"""Frames (40 ms) the phone before a pause is held into it."""
LEAD_FRAMES = 2
"""Frames (40 ms) the phone after a pause starts before its emission."""
SHIFT_SECONDS = 0.03
"""Every boundary is moved this much earlier: the median lag of the boundaries found this way against the
forced alignment of ``arctic_a0007`` (32 ms; CTC emits a phone late in its span, a stop at its burst)."""

PIECE_SECONDS = 30.0
"""Longest stretch of audio decoded at once (the recogniser's memory grows with the input's length)."""

CONTEXT_SECONDS = 0.25
"""Audio decoded either side of a span of voice activity (:func:`hama_phones_in_spans`): Silero VAD's spans
often miss a soft first consonant (the /p/ of "Printing" in LJ001-0001). On the two bundled clips and eight LJ
Speech clips, decoding the spans alone gave 14.1 % phone errors, with this context 12.2 %, each clip whole 12.1 %."""

MIN_PIECE_SAMPLES = 2 * FRAME_SAMPLES
"""A piece shorter than this (40 ms) is not decoded: it is a pause."""

_LOCK = threading.Lock()

EXTRA_IPA_TO_ARPABET: dict[str, str] = {
    # symbols hama emits that are not in gruut's US English inventory (IPA_TO_ARPABET)
    "ɾ": "T",   # US flap ("better"); CMUdict writes T (or D)
    "ɫ": "L",   # dark l
    "ɐ": "AH", "ɜ": "ER", "ɒ": "AA", "a": "AA", "e": "EY", "o": "OW",
    "eə": "EH", "ɪə": "IH",  # British centring diphthongs: their vowel, the schwa dropped
}
"""IPA -> ARPAbet for the symbols hama emits outside :data:`facemotion.text.g2p.IPA_TO_ARPABET`."""


@dataclass(frozen=True)
class HamaPhones:
    """Result of :func:`hama_phonemes`.

    Attributes:
        phonemes: contiguous segments covering [0, S / 16000] s, ``word=None``.
        ipa: the IPA emissions after greedy CTC decoding (``<wb>`` excluded), in order.
        dropped: the emitted symbols without an ARPAbet phone, in order.
    """

    phonemes: tuple[PhonemeSegment, ...]
    ipa: tuple[str, ...]
    dropped: tuple[str, ...]


@cache
def hama_model():
    """hama's phone recogniser (``hama.ASRModel`` on the packaged ``asr_waveform.hama``), loaded once per process.

    Raises:
        ModuleNotFoundError: when hama is not installed (``pip install hama==1.7.0``).
    """
    import hama

    return hama.ASRModel()


def _check_waveform(waveform: np.ndarray) -> None:
    if not isinstance(waveform, np.ndarray) or waveform.ndim != 1 or waveform.dtype != np.float32 \
            or not np.isfinite(waveform).all():
        raise ValueError("waveform must be a 1-D finite float32 array at 16 kHz")


def hama_log_probs(waveform: np.ndarray) -> np.ndarray:
    """Per-frame log-probabilities of hama's 191 tokens, the waveform decoded in one piece.

    Args:
        waveform: (S,) float32 mono speech at 16 kHz, nominally in [-1, 1] (beyond is clipped); memory grows
            with S (:func:`hama_phonemes` cuts long audio into pieces).

    Returns:
        (T, 191) float32 natural-log probabilities, frame t covering [0.02 t, 0.02 (t + 1)) s,
        T = the recogniser's valid output length (about S / 320); token names are ``hama_model().decoder_tokens``.

    Raises:
        ValueError: for a waveform that is not 1-D finite float32.
    """
    _check_waveform(waveform)
    model = hama_model()
    samples = np.clip(waveform, -1.0, 1.0)[None]
    with _LOCK:  # one decoding at a time: threads share the session (facemotion.text.recognition runs one aside)
        log_probs, lengths = model.session.run(
            [model._log_probs_output_name, model._out_lengths_output_name],
            {model._waveform_input_name: samples,
             model._waveform_lengths_input_name: np.array([samples.shape[1]], np.int64)})
    return np.asarray(log_probs[0, : int(np.asarray(lengths).reshape(-1)[0])], np.float32)


def to_arpabet(symbol: str) -> str | None:
    """ARPAbet phone of one hama IPA token, or None when it has none."""
    try:
        return ipa_to_arpabet(symbol)
    except ValueError:
        bare = symbol.replace("ː", "").replace("ˑ", "")
        return EXTRA_IPA_TO_ARPABET.get(bare)


def decode(log_probs: np.ndarray, tokens: Sequence[str], blank_id: int, duration: float) -> HamaPhones:
    """Greedy CTC decoding of ``log_probs`` into contiguous phoneme segments (steps 1-3 of the module docstring).

    Args:
        log_probs: (T, V) float log-probabilities of :func:`hama_log_probs`.
        tokens: the V token names; ``blank_id`` the index of the CTC blank.
        duration: seconds the segments cover, [0, ``duration``].

    Returns:
        :class:`HamaPhones`; one pause when nothing with an ARPAbet phone was emitted.
    """
    ids = log_probs.argmax(axis=1)
    emissions: list[Emission] = []
    ipa, dropped = [], []
    t = 0
    while t < ids.size:
        end = t
        while end < ids.size and ids[end] == ids[t]:
            end += 1
        token = tokens[ids[t]]
        if ids[t] != blank_id and not token.startswith("<"):
            ipa.append(token)
            phone = to_arpabet(token)
            if phone is None:
                dropped.append(token)
            else:
                emissions.append(Emission(phone, t, end))
        t = end
    return HamaPhones(timed_emissions(emissions, ids.size, duration), tuple(ipa), tuple(dropped))


class Emission(NamedTuple):
    """A phone emitted by a CTC recogniser over frames [first, end) of :data:`FRAME_SECONDS`, with its word."""

    phone: str
    first: int
    end: int
    word: str | None = None


def timed_emissions(emissions: Sequence[Emission], n_frames: int, duration: float) -> tuple[PhonemeSegment, ...]:
    """Contiguous phoneme segments from CTC emissions (step 3 of the module docstring).

    Args:
        emissions: the emitted phones in time order.
        n_frames: output frames of the recogniser; the segments cover at least ``n_frames`` frames' time.
        duration: seconds the segments cover, [0, ``duration``].

    Returns:
        Segments covering [0, ``duration``] s; one pause when there is no emission.
    """
    if not emissions:
        return (PhonemeSegment(SILENCE, 0.0, duration),)
    n_frames = max(n_frames, round(duration / FRAME_SECONDS))
    # boundaries in frames: (label, start, end, word)
    spans: list[tuple[str, float, float, str | None]] = []
    first = emissions[0].first
    start = 0.0 if first <= LEAD_FRAMES else first - LEAD_FRAMES
    if start > 0:
        spans.append((SILENCE, 0.0, start, None))
    for emission, following in zip(emissions, [*emissions[1:], None]):
        phone, end, word = emission.phone, emission.end, emission.word
        if following is None:
            stop = min(n_frames, end + HOLD_FRAMES)
            spans.append((phone, start, stop, word))
            if stop < n_frames:
                spans.append((SILENCE, stop, n_frames, None))
            break
        gap = following.first - end
        if gap >= PAUSE_FRAMES:
            stop, next_start = end + HOLD_FRAMES, following.first - LEAD_FRAMES
            spans += [(phone, start, stop, word), (SILENCE, stop, next_start, None)]
        else:
            stop = next_start = (end + following.first) / 2
            spans.append((phone, start, stop, word))
        start = next_start
    phonemes = []
    for label, a, b, word in spans:
        a = 0.0 if a == 0 else min(max(0.0, a * FRAME_SECONDS - SHIFT_SECONDS), duration)
        b = min(max(0.0, b * FRAME_SECONDS - SHIFT_SECONDS), duration)
        if b > a:
            phonemes.append(PhonemeSegment(label, a, b, word))
    if phonemes[-1].end < duration:
        last = phonemes[-1]
        phonemes[-1] = PhonemeSegment(last.phone, last.start, duration, last.word)
    return tuple(phonemes)


def hama_pieces(waveform: np.ndarray) -> Iterator[tuple[int, int, np.ndarray | None]]:
    """Long audio decoded a piece at a time: pieces of at most :data:`PIECE_SECONDS`, each cut in the quietest 250 ms
    of the last third of its piece (:func:`~facemotion.text.alignment.cut_points`).

    Yields:
        ``(first, last, log_probs)``: the piece's samples [first, last) and its :func:`hama_log_probs`, None for a
        piece shorter than :data:`MIN_PIECE_SAMPLES` (a pause, not decoded). Lazily: a caller may stop between pieces.

    Raises:
        ValueError: for a waveform that is not 1-D finite float32.
        ModuleNotFoundError: as :func:`hama_model`.
    """
    _check_waveform(waveform)
    cuts = cut_points(waveform, int(PIECE_SECONDS * SAMPLE_RATE))
    for first, last in zip(cuts[:-1], cuts[1:]):
        yield first, last, hama_log_probs(waveform[first:last]) if last - first >= MIN_PIECE_SAMPLES else None


def hama_phonemes(waveform: np.ndarray) -> HamaPhones:
    """Phones of speech recognised by hama, as contiguous ARPAbet segments (see the module docstring).

    Audio longer than :data:`PIECE_SECONDS` is decoded in pieces of at most that length, each cut in the quietest
    250 ms of the last third of its piece (:func:`~facemotion.text.alignment.cut_points`); each piece gives what
    it gives alone, shifted to its place. Pieces shorter than :data:`MIN_PIECE_SAMPLES` are pauses.

    Args:
        waveform: (S,) float32 mono speech at 16 kHz, nominally in [-1, 1], of any length.

    Returns:
        :class:`HamaPhones` whose phonemes cover [0, S / 16000] s, in seconds, ``word=None``.

    Raises:
        ValueError: for a waveform that is not 1-D finite float32.
        ModuleNotFoundError: as :func:`hama_model`.
    """
    phonemes: list[PhonemeSegment] = []
    ipa: list[str] = []
    dropped: list[str] = []
    model = hama_model()
    for first, last, log_probs in hama_pieces(waveform):
        start, end = first / SAMPLE_RATE, last / SAMPLE_RATE
        if log_probs is None:
            if last > first:
                phonemes.append(PhonemeSegment(SILENCE, start, end))
            continue
        piece = decode(log_probs, model.decoder_tokens, model.blank_id, end - start)
        phonemes += [PhonemeSegment(p.phone, p.start + start, p.end + start) for p in piece.phonemes]
        ipa += piece.ipa
        dropped += piece.dropped
    return HamaPhones(tuple(phonemes), tuple(ipa), tuple(dropped))


def hama_phones_in_spans(waveform: np.ndarray, spans: Sequence[tuple[float, float]],
                         offset: float = 0.0) -> list[PhonemeSegment]:
    """Phones recognised by hama in the spans of voice activity, nothing between the spans.

    Spans less than 2 :data:`CONTEXT_SECONDS` apart are decoded together, each group with
    :data:`CONTEXT_SECONDS` of audio either side (within the waveform), where hama finds its own pauses: voice
    activity detection often starts a span after a word's first consonant.

    Args:
        waveform: (S,) float32 mono audio at 16 kHz.
        spans: ``(start, end)`` spans of voice activity, seconds from the start of ``waveform``, in time order.
        offset: seconds added to every time (the position of ``waveform`` in its file).

    Returns:
        The phonemes of :func:`hama_phonemes`, in file time, group after group, contiguous within a group
        (which covers its spans and their context); nothing between groups.

    Raises:
        ValueError, ModuleNotFoundError: as :func:`hama_phonemes`.
    """
    _check_waveform(waveform)
    groups: list[list[float]] = []
    for start, end in spans:
        if end <= start:
            continue
        if groups and start - groups[-1][1] < 2 * CONTEXT_SECONDS:
            groups[-1][1] = max(groups[-1][1], end)
        else:
            groups.append([start, end])
    phonemes = []
    duration = waveform.size / SAMPLE_RATE
    for start, end in groups:
        piece = span_samples(max(0.0, start - CONTEXT_SECONDS), min(duration, end + CONTEXT_SECONDS))
        shift = offset + piece.start / SAMPLE_RATE
        phonemes += [PhonemeSegment(p.phone, p.start + shift, p.end + shift)
                     for p in hama_phonemes(waveform[piece]).phonemes]
    return phonemes
