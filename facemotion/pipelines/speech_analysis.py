"""Speech analysis, the pipeline's first component: what the face needs to know about a speech file.

    speech file ──▶ mono 16 kHz blocks ──▶ voice activity (Silero VAD), loudness (10 ms RMS)
    transcript  ──▶ forced alignment ──▶ phonemes
    none        ──▶ Whisper + forced alignment, or phone recognition ──▶ phonemes
"""

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from facemotion.audio.features import loudness_db, pitch_hz
from facemotion.audio.io import AudioInfo, audio_info, iter_audio_blocks
from facemotion.audio.vad import speech_spans
from facemotion.text.alignment import MAX_ALIGN_SECONDS
from facemotion.text.languages import choose_language
from facemotion.text.phonemes import PhonemeSegment
from facemotion.text.recognition import (
    DEFAULT_RECOGNIZER,
    RECOGNIZERS,
    aligned_phonemes,
    check_recognizer_language,
    phone_recognizer,
    recognize_speech,
    transcribing_recognizer,
    whisper_model,
)

BLOCK_SECONDS = 30.0
"""Length of the audio blocks analysed one at a time, in seconds (bounds memory on long files)."""

PROGRESS_MIN_SECONDS = 60.0
"""Inputs at least this long show a progress bar when asked to."""


@dataclass(frozen=True)
class SpeechAnalysis:
    """What the face needs to know about the speech.

    Attributes:
        info: the file's header.
        phonemes: phoneme segments in time order, seconds.
        speech_spans: ``(start, end)`` spans of voice activity, seconds.
        loudness_db: (ceil(S / 160),) float32 level in dBFS per 10 ms at 16 kHz.
        waveform: (S,) float32 speech at 16 kHz when asked for (``keep_waveform``), else None.
        pitch_hz: (ceil(S / 160),) float32 F0 per 10 ms (:func:`~facemotion.audio.features.pitch_hz`) when asked
            for (``pitch``), else None.
        language: ISO 639-1 code of the speech: the one given, else the transcript's (English unless its text
            clearly reads as another), else Whisper's detected language; None after phone recognition alone.
    """

    info: AudioInfo
    phonemes: tuple[PhonemeSegment, ...]
    speech_spans: tuple[tuple[float, float], ...]
    loudness_db: np.ndarray
    waveform: np.ndarray | None = None
    language: str | None = None
    pitch_hz: np.ndarray | None = None


def analyse_speech(
    speech: str | Path, transcript: str | None = None, progress: bool = False, keep_waveform: bool = False,
    recognizer: str = DEFAULT_RECOGNIZER, pitch: bool = False, language: str | None = None,
) -> SpeechAnalysis:
    """Voice activity, loudness and phonemes of a speech file, read block by block.

    Without a transcript, Whisper recognisers transcribe the whole waveform and align their text
    (:func:`~facemotion.text.recognition.recognize_speech`); the phone recognisers (``"phonetic"``, ``"hama"``)
    recognise the speech spans of each block on their own, so memory stays bounded on inputs of any length. With a
    transcript the whole waveform is force-aligned at once, which takes files up to
    :data:`~facemotion.text.alignment.MAX_ALIGN_SECONDS` long (longer ones are recognised as without a transcript,
    with a warning). ``keep_waveform`` keeps the 16 kHz samples in the result (for the learned model, which needs
    the whole take), so the file is decoded once; ``pitch`` adds the F0 track, block by block (for the
    performance layer). ``language`` (ISO 639-1) is the speech's; None: identified from the transcript's text, or
    detected by Whisper without one (:func:`~facemotion.text.languages.choose_language`).

    Raises:
        FileNotFoundError, IsADirectoryError, ValueError, TypeError: as
            :meth:`~facemotion.pipelines.speech_to_face.SpeechToFace.__call__`; ValueError for an unknown recogniser
            or an unsupported language.
    """
    if not isinstance(speech, (str, os.PathLike)):
        raise TypeError(f"speech must be a path (str or os.PathLike), got {type(speech).__name__}")
    if transcript is not None and not isinstance(transcript, str):
        raise TypeError(f"transcript must be a str or None, got {type(transcript).__name__}")
    if transcript is not None and not transcript.strip():
        raise ValueError("the transcript is empty")
    check_recognizer(recognizer)
    transcript, language = choose_language(transcript, language)
    if transcript is None:
        check_recognizer_language(recognizer, language)
    info = audio_info(speech)
    phones = phone_recognizer(recognizer)
    if transcript is None and phones is None:
        whisper_model(transcribing_recognizer(recognizer, language))  # a bad checkpoint fails before the work
    elif transcript is None:
        phones.load()
    if transcript is not None and info.duration > MAX_ALIGN_SECONDS:
        warnings.warn(
            f"the transcript is ignored: forced alignment takes at most {MAX_ALIGN_SECONDS:.0f} s of audio "
            f"and this file lasts {info.duration:.0f} s; recognising the speech with {recognizer!r} instead",
            stacklevel=2,
        )
        transcript = None
    spans: list[tuple[float, float]] = []
    loudness: list[np.ndarray] = []
    pitches: list[np.ndarray] = []
    phonemes: list[PhonemeSegment] = []
    blocks: list[np.ndarray] = []
    show = progress and info.duration >= PROGRESS_MIN_SECONDS
    with tqdm(total=round(info.duration), unit="s", desc="analysing speech", disable=not show) as bar:
        for index, block in enumerate(iter_audio_blocks(info.path, BLOCK_SECONDS)):
            offset = index * BLOCK_SECONDS
            block_spans = speech_spans(block)
            spans += [(offset + start, offset + end) for start, end in block_spans]
            loudness.append(loudness_db(block))
            if pitch:
                pitches.append(pitch_hz(block))
            if transcript is None and phones is not None:
                phonemes += phones.phones_in_spans(block, block_spans, offset)
            if keep_waveform or transcript is not None or phones is None:
                blocks.append(block)
            bar.update(round(min(offset + BLOCK_SECONDS, info.duration)) - bar.n)
    waveform = np.concatenate(blocks) if blocks else None
    if transcript is not None:
        phonemes = aligned_phonemes(waveform, transcript, language=language)
    elif phones is None:
        recognized = recognize_speech(waveform, spans, recognizer, language)
        phonemes, language = list(recognized.phonemes), recognized.language
    return SpeechAnalysis(info, tuple(phonemes), tuple(spans), np.concatenate(loudness),
                          waveform if keep_waveform else None, language, np.concatenate(pitches) if pitch else None)


def check_recognizer(recognizer: str) -> None:
    """Raise ValueError for a name that is not one of :data:`~facemotion.text.recognition.RECOGNIZERS`."""
    if recognizer not in RECOGNIZERS:
        raise ValueError(f"unknown recognizer {recognizer!r}; choose from {', '.join(RECOGNIZERS)}")


def span_mask(spans: Sequence[tuple[float, float]], fps: float, n_frames: int) -> np.ndarray:
    """(n_frames,) bool: the frames (frame t at t / fps seconds) inside any ``(start, end)`` span, in seconds."""
    times = np.arange(n_frames) / fps
    mask = np.zeros(n_frames, bool)
    for start, end in spans:
        mask[np.searchsorted(times, start) : np.searchsorted(times, end, side="right")] = True
    return mask
