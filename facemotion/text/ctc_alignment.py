"""CTC forced alignment of IPA phones to hama's phone posteriors: phone times where the English acoustic model fails.

Transcripts in other languages are aligned with pocketsphinx's English model through the nearest English phones
(:mod:`facemotion.text.alignment`); where a correct passage holds sounds English lacks, its acoustic fit falls below
:data:`~facemotion.text.alignment.CROSS_LINGUAL_MIN_WINDOW_SCORE` and the passage loses its words. hama's recogniser
(:mod:`facemotion.text.hama_phones`) emits IPA symbols of many languages: the passage's phones are aligned to its
per-frame log-probabilities instead, as CTC forced alignment does (Graves et al., "Connectionist Temporal
Classification", ICML 2006; the Viterbi path of Kürzinger et al., "CTC-Segmentation", 2020, without its
segmentation): the best path of the label sequence with blanks between labels (optional, needed only between a
label and its repeat). Each IPA phone is scored by the log-sum-exp of hama's tokens that are that phone or read as
one of its nearest English phones (:data:`facemotion.text.ipa.NEAREST_ENGLISH`). Phones are timed from the path as
hama's recogniser times its emissions (:func:`~facemotion.text.hama_phones.timed_emissions`).

CTC aligns any text, right or wrong; the fit is judged by the path's deficit per phone: the log-probability ratio of
the best unconstrained frame labels (the likeliest of hama's tokens and of the phones' scores, frame by frame) to the
forced path, divided by the number of phones (:data:`MAX_PHONE_DEFICIT`). It is the confidence of Kürzinger et al.'s
CTC segmentation, taken over the whole passage instead of per utterance, and akin to a goodness-of-pronunciation score.
The fit is acoustic, not lexical: words that sound like the speech fit (on the languages benchmark's tuning split,
several of Whisper's mis-heard passages are kept, with the bilabials they share with the speech), and a passage of a
few phones fits more easily than a sentence.
"""

from collections.abc import Sequence
from functools import cache

import numpy as np

from facemotion.text.hama_phones import FRAME_SAMPLES, SAMPLE_RATE, Emission, hama_log_probs, hama_model, \
    timed_emissions, to_arpabet
from facemotion.text.ipa import NEAREST_ENGLISH, ipa_phones
from facemotion.text.languages import Word
from facemotion.text.phonemes import PhonemeSegment

MAX_SECONDS = 30.0
"""Longest audio aligned (the Viterbi table grows with frames times phones); longer passages are left to phone
recognition."""

MAX_PHONE_DEFICIT = 3.0
"""Largest deficit per phone (natural log) of an alignment that fits. Chosen with ``benchmarks/languages.py
--ctc-scores`` on its tuning split (12 languages, 96 clips, each aligned to its own and to the three other sentences
of its language): 5 of the 96 correct transcripts score above 3.0 (up to 3.6), 2 of the 288 wrong ones at or below
it; a wrong passage kept costs more than a right one lost, which is phone-recognised."""


class UnalignableError(ValueError):
    """The audio cannot be CTC-aligned to the words: no phones, audio longer than :data:`MAX_SECONDS`, or fewer
    frames than the phones need."""


def ctc_align(waveform: np.ndarray, words: Sequence[Word]) -> tuple[list[PhonemeSegment], float]:
    """CTC forced alignment of the words' IPA phones to hama's log-probabilities of the waveform.

    Args:
        waveform: (S,) float32 mono speech at 16 kHz, at most :data:`MAX_SECONDS` long.
        words: the words said, with phones of :mod:`facemotion.text.ipa`.

    Returns:
        Contiguous segments covering [0, S / 16000] s (the phones carry their word's text; pauses are
        :data:`~facemotion.text.phonemes.SILENCE`), and the path's deficit per phone (natural log, >= 0; the fit
        test is ``<=`` :data:`MAX_PHONE_DEFICIT`; the module docstring).

    Raises:
        UnalignableError: audio longer than :data:`MAX_SECONDS`, no phones, or fewer frames than the phones need.
        ValueError: for a bad waveform.
        ModuleNotFoundError: as :func:`~facemotion.text.hama_phones.hama_model`.
    """
    if waveform.size > MAX_SECONDS * SAMPLE_RATE:
        raise UnalignableError(f"ctc_align takes at most {MAX_SECONDS:g} s of audio, got "
                               f"{waveform.size / SAMPLE_RATE:.1f} s")
    labels = [(phone, word.text) for word in words for phone in word.phones]
    if not labels:
        raise UnalignableError("no phones to align")
    repeated = np.array([k > 0 and labels[k][0] == labels[k - 1][0] for k in range(len(labels))])
    needed = len(labels) + int(repeated.sum())  # a frame per label, a blank between repeats
    if waveform.size // FRAME_SAMPLES < needed:  # the recogniser's frames, known before decoding
        raise UnalignableError(f"{len(labels)} phones do not fit in {waveform.size / SAMPLE_RATE:.2f} s of audio")
    log_probs = hama_log_probs(waveform)
    if log_probs.shape[0] < needed:
        raise UnalignableError(f"{len(labels)} phones do not fit in {log_probs.shape[0]} frames")
    model = hama_model()
    scores = np.stack([np.logaddexp.reduce(log_probs[:, _tokens(phone)], axis=1) for phone, _ in labels], axis=1)
    path, path_scores = _viterbi(log_probs[:, model.blank_id], scores, repeated)
    emissions = []
    for k, (phone, word) in enumerate(labels):
        frames = np.flatnonzero(path == 2 * k + 1)
        emissions.append(Emission(phone, int(frames[0]), int(frames[-1]) + 1, word))
    phonemes = list(timed_emissions(emissions, log_probs.shape[0], waveform.size / SAMPLE_RATE))
    best = np.maximum(log_probs.max(axis=1), scores.max(axis=1))  # a phone's tokens together may beat the best one
    return phonemes, float(np.sum(best - path_scores)) / len(labels)


@cache
def _tokens(phone: str) -> list[int]:
    """Indices of hama's tokens that are ``phone`` or read as one of its nearest English phones."""
    english = set(NEAREST_ENGLISH[phone])
    chosen = []
    for i, token in enumerate(hama_model().decoder_tokens):
        try:
            same = ipa_phones(token) == (phone,)
        except ValueError:
            same = False
        if same or to_arpabet(token) in english:
            chosen.append(i)
    return chosen


def _viterbi(blank: np.ndarray, scores: np.ndarray, repeated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best CTC path: (T,) blank log-probs, (T, N) label log-probs, (N,) bool label k equals label k - 1 ->
    (T,) state per frame (2k + 1: label k; even: a blank) and (T,) the path's log-probability per frame."""
    n_frames, n_labels = scores.shape
    n_states = 2 * n_labels + 1
    emit = np.empty((n_frames, n_states))
    emit[:, 0::2], emit[:, 1::2] = blank[:, None], scores
    skip = np.zeros(n_states, bool)
    skip[3::2] = ~repeated[1:]  # a label follows the previous one without a blank unless it repeats it
    best = np.full(n_states, -np.inf)
    best[:2] = emit[0, :2]
    back = np.zeros((n_frames, n_states), np.int64)
    states = np.arange(n_states)
    for t in range(1, n_frames):
        step = np.concatenate([[-np.inf], best[:-1]])
        jump = np.where(skip, np.concatenate([[-np.inf, -np.inf], best[:-2]]), -np.inf)
        moves = np.stack([best, step, jump])
        choice = np.argmax(moves, axis=0)
        best = moves[choice, states] + emit[t]
        back[t] = states - choice
    state = n_states - 1 if best[-1] >= best[-2] else n_states - 2
    path = np.empty(n_frames, np.int64)
    for t in range(n_frames - 1, -1, -1):
        path[t] = state
        state = back[t, state]
    return path, emit[np.arange(n_frames), path]


def ctc_aligned(waveform: np.ndarray, words: list[Word]) -> list[PhonemeSegment] | None:
    """:func:`ctc_align` where the words fit the audio (deficit per phone at most :data:`MAX_PHONE_DEFICIT`), else
    None; None too where :func:`ctc_align` raises :class:`UnalignableError`. The
    :data:`~facemotion.text.alignment.WordAlignment` of the pipeline."""
    try:
        phonemes, deficit = ctc_align(waveform, words)
    except UnalignableError:
        return None
    return phonemes if deficit <= MAX_PHONE_DEFICIT else None
