"""The main job, top to bottom: a speech file (and optionally its transcript) in, ARKit-52 curves out.

    audio ──▶ blocks @16 kHz ──▶ voice activity, loudness, phonemes (alignment or phone recognition)
          ──▶ key motions (visemes at phoneme anchors)
          ──▶ learned: key-motion transformer + motion prior (emotion, intensity)  ──▶ lip closure
              procedural: coarticulation ──▶ prosody                              ──▶ lip closure
          ──▶ FaceAnimation
"""

import functools
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from facemotion.animation import FaceAnimation, check_fps
from facemotion.audio.features import LOUDNESS_HOP, loudness_db, pool_to_frames
from facemotion.audio.io import SAMPLE_RATE, AudioInfo, audio_info, iter_audio_blocks
from facemotion.audio.vad import speech_spans
from facemotion.expression.emotion import compose_emotion, emotion_intensity
from facemotion.face_models.names import ARKIT_52
from facemotion.motion.coarticulation import ClosureSettings, blend_key_motions, close_lips, lip_closure
from facemotion.motion.keymotion import key_motions
from facemotion.motion.prosody import ProsodySettings, apply_prosody, jaw_gain, rest_gate
from facemotion.motion.speech_motion import SpeechMotionModel
from facemotion.text.alignment import MAX_ALIGN_SECONDS, phonemes_for
from facemotion.text.recognition import (
    DEFAULT_RECOGNIZER, RECOGNIZERS, fallback_phones, phone_recognizer, recognize_speech, whisper_model,
)
from facemotion.text.phonemes import PhonemeSegment
from facemotion.text.visemes import VisemeTable, load_viseme_table

BLOCK_SECONDS = 30.0
"""Length of the audio blocks analysed one at a time, in seconds (bounds memory on long files)."""

PROGRESS_MIN_SECONDS = 60.0
"""Inputs at least this long show a progress bar when asked to."""

MOTION_MODES = ("procedural", "learned")
"""How motion is completed from the key motions: the shipped learned model, or the rule-based coarticulation."""


@dataclass(frozen=True)
class SpeechAnalysis:
    """What the face needs to know about the speech.

    Attributes:
        info: the file's header.
        phonemes: phoneme segments in time order, seconds.
        speech_spans: ``(start, end)`` spans of voice activity, seconds.
        loudness_db: (ceil(S / 160),) float32 level in dBFS per 10 ms at 16 kHz.
        waveform: (S,) float32 speech at 16 kHz when asked for (``keep_waveform``), else None.
        language: ISO 639-1 code of the speech: ``"en"`` with a transcript, Whisper's detected language without
            one, None after phone recognition alone.
    """

    info: AudioInfo
    phonemes: tuple[PhonemeSegment, ...]
    speech_spans: tuple[tuple[float, float], ...]
    loudness_db: np.ndarray
    waveform: np.ndarray | None = None
    language: str | None = None


@dataclass(frozen=True)
class SpeechToFace:
    """The procedural speech-to-face pipeline.

    Attributes:
        visemes: the viseme table (poses, dominance); the shipped one by default. A learned model that carries
            its own table (:attr:`SpeechMotionModel.visemes`, the one it was trained with) uses that one.
        prosody: how loudness and silence shape the mouth (procedural motion).
        closure: how the lips close on bilabials (both kinds of motion).
        model: a learned :class:`~facemotion.motion.speech_motion.SpeechMotionModel`, or None for the
            procedural coarticulation model.
        emotion: emotion of the learned motion, one of :data:`~facemotion.expression.emotion.EMOTIONS`.
        intensity: its intensity in [0, 1]; None (the default) resolves to 1 for an emotion and 0 for neutral
            (:func:`~facemotion.expression.emotion.emotion_intensity`).
        recognizer: where the phonemes of speech without a transcript come from, a name of
            :data:`~facemotion.text.recognition.RECOGNIZERS`: Whisper's transcript force-aligned (``"whisper"``,
            the default; ``"whisper-tiny.en"``) or phone recognition (pocketsphinx's ``"phonetic"``, hama's
            ``"hama"``).

    Raises:
        ValueError: for an unknown emotion, an intensity outside [0, 1] or not 0 for neutral, or an emotion
            without a learned model; checked when the pipeline is made, before any work.
    """

    visemes: VisemeTable = field(default_factory=load_viseme_table)
    prosody: ProsodySettings = ProsodySettings()
    closure: ClosureSettings = ClosureSettings()
    model: SpeechMotionModel | None = None
    emotion: str = "neutral"
    intensity: float | None = None
    recognizer: str = DEFAULT_RECOGNIZER

    def __post_init__(self) -> None:
        object.__setattr__(self, "intensity", emotion_intensity(self.emotion, self.intensity))
        if self.recognizer not in RECOGNIZERS:
            raise ValueError(f"unknown recognizer {self.recognizer!r}; choose from {', '.join(RECOGNIZERS)}")
        if self.emotion != "neutral" and self.model is None:
            raise ValueError("emotion needs the learned motion")

    def __call__(
        self, speech: str | Path, transcript: str | None = None, fps: float = 30.0, progress: bool = False
    ) -> FaceAnimation:
        """Animate a speech file.

        Args:
            speech: path of a wav/flac/ogg/mp3 file, any sample rate and channel count.
            transcript: what is said, in English; ``None`` recognises it from the audio (:attr:`recognizer`).
            fps: output frame rate, in (0, :data:`~facemotion.animation.MAX_FPS`].
            progress: show a progress bar on inputs of a minute or more.

        Returns:
            A :class:`FaceAnimation` of ``ceil(duration * fps)`` frames of ARKit-52 weights.

        Raises:
            FileNotFoundError: when the speech file does not exist.
            IsADirectoryError: when it is a folder.
            ValueError: for a file that is not audio (or not a regular file), empty audio, NaN/Inf samples, an
                empty transcript, or fps outside (0, :data:`~facemotion.animation.MAX_FPS`].
            TypeError: for a speech path that is not a str or path, or a transcript that is not a str or None.
        """
        fps = check_fps(fps)
        analysis = analyse_speech(speech, transcript, progress, self.model is not None, self.recognizer)
        n_frames = math.ceil(analysis.info.n_samples * fps / analysis.info.sample_rate - 1e-9)
        if self.model is None:
            weights = self.motion(analysis, fps, n_frames)
        else:
            weights = self.learned_motion(analysis.waveform, analysis, fps, n_frames)
        return FaceAnimation(
            fps=fps,
            weights=weights,
            phonemes=analysis.phonemes,
            audio_path=analysis.info.path.resolve(),
            language=analysis.language,
        )

    def learned_motion(self, waveform: np.ndarray, analysis: SpeechAnalysis, fps: float, n_frames: int) -> np.ndarray:
        """The learned model's motion, resampled to ``fps``, easing to the face at rest (with its emotion) outside
        voice activity as the procedural rest gate does, with the lips closed on bilabials.

        Args:
            waveform: (S,) float32 speech at 16 kHz (the whole take; the model runs in windows).

        Returns:
            (T, 52) float32 ARKit weights in [0, 1].
        """
        # the table the model was trained with (its folder's visemes.yaml), else the pipeline's
        keys = key_motions(analysis.phonemes, self.model.visemes or self.visemes)
        motion = self.model.generate(waveform, keys, self.emotion, self.intensity)
        weights = FaceAnimation(fps=self.model.fps, weights=motion).resample(fps).weights
        weights = np.concatenate([weights, weights[-1:].repeat(max(0, n_frames - len(weights)), 0)])[:n_frames]
        gate = rest_gate(span_mask(analysis.speech_spans, fps, n_frames), fps, self.prosody)[:, None]
        rest = compose_emotion(np.zeros((1, len(ARKIT_52)), np.float32), self.emotion, self.intensity)
        weights = gate * weights + (1.0 - gate) * rest
        weights = close_lips(weights, lip_closure(keys, n_frames, fps, self.closure), self.closure)
        return np.clip(weights, 0.0, 1.0)

    def motion(self, analysis: SpeechAnalysis, fps: float, n_frames: int) -> np.ndarray:
        """Complete the motion procedurally from the analysis: (T, 52) float32 ARKit weights in [0, 1]."""
        keys = key_motions(analysis.phonemes, self.visemes)
        speech = span_mask(analysis.speech_spans, fps, n_frames)
        loudness = pool_to_frames(analysis.loudness_db, SAMPLE_RATE / LOUDNESS_HOP, fps, n_frames)
        weights = blend_key_motions(keys, n_frames, fps)
        weights = apply_prosody(
            weights, jaw_gain(loudness, speech, self.prosody), rest_gate(speech, fps, self.prosody)
        )
        weights = close_lips(weights, lip_closure(keys, n_frames, fps, self.closure), self.closure)
        return np.clip(weights, 0.0, 1.0)


def analyse_speech(
    speech: str | Path, transcript: str | None = None, progress: bool = False, keep_waveform: bool = False,
    recognizer: str = DEFAULT_RECOGNIZER,
) -> SpeechAnalysis:
    """Voice activity, loudness and phonemes of a speech file, read block by block.

    Without a transcript, Whisper recognisers transcribe the whole waveform and align their text
    (:func:`~facemotion.text.recognition.recognize_speech`); the phone recognisers (``"phonetic"``, ``"hama"``)
    recognise the speech spans of each block on their own, so memory stays bounded on inputs of any length. With a
    transcript the whole waveform is force-aligned at once, which takes files up to
    :data:`~facemotion.text.alignment.MAX_ALIGN_SECONDS` long (longer ones are recognised as without a transcript,
    with a warning). ``keep_waveform`` keeps the 16 kHz samples in the result (for the learned model, which needs
    the whole take), so the file is decoded once.

    Raises:
        FileNotFoundError, ValueError: as :meth:`SpeechToFace.__call__`.
    """
    if not isinstance(speech, (str, os.PathLike)):
        raise TypeError(f"speech must be a path (str or os.PathLike), got {type(speech).__name__}")
    if transcript is not None and not isinstance(transcript, str):
        raise TypeError(f"transcript must be a str or None, got {type(transcript).__name__}")
    if transcript is not None and not transcript.strip():
        raise ValueError("the transcript is empty")
    info = audio_info(speech)
    phones = phone_recognizer(recognizer)
    if transcript is None and phones is None:
        whisper_model(recognizer)  # a missing or altered checkpoint fails here, before the work
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
    phonemes: list[PhonemeSegment] = []
    blocks: list[np.ndarray] = []
    show = progress and info.duration >= PROGRESS_MIN_SECONDS
    with tqdm(total=round(info.duration), unit="s", desc="analysing speech", disable=not show) as bar:
        for index, block in enumerate(iter_audio_blocks(info.path, BLOCK_SECONDS)):
            offset = index * BLOCK_SECONDS
            block_spans = speech_spans(block)
            spans += [(offset + start, offset + end) for start, end in block_spans]
            loudness.append(loudness_db(block))
            if transcript is None and phones is not None:
                phonemes += phones.phones_in_spans(block, block_spans, offset)
            if keep_waveform or transcript is not None or phones is None:
                blocks.append(block)
            bar.update(round(min(offset + BLOCK_SECONDS, info.duration)) - bar.n)
    waveform = np.concatenate(blocks) if blocks else None
    language = None
    if transcript is not None:
        phonemes, language = phonemes_for(waveform, transcript, recognize=fallback_phones), "en"
    elif phones is None:
        recognized = recognize_speech(waveform, spans, recognizer)
        phonemes, language = list(recognized.phonemes), recognized.language
    return SpeechAnalysis(info, tuple(phonemes), tuple(spans), np.concatenate(loudness),
                          waveform if keep_waveform else None, language)


def animate(
    speech: str | Path,
    transcript: str | None = None,
    fps: float = 30.0,
    progress: bool = False,
    motion: str = "procedural",
    emotion: str = "neutral",
    intensity: float | None = None,
    model: str | Path | None = None,
    recognizer: str = DEFAULT_RECOGNIZER,
) -> FaceAnimation:
    """Animate a speech file (see :class:`SpeechToFace`).

    Args:
        motion: ``"procedural"`` (rule-based coarticulation, the default while the learned model trails the
            baselines: see the README) or ``"learned"`` (a trained model).
        emotion, intensity: emotion of the learned motion (:data:`~facemotion.expression.emotion.EMOTIONS`) and its
            intensity in [0, 1]; by default 1 for an emotion, 0 for neutral
            (:func:`~facemotion.expression.emotion.emotion_intensity`).
        model: folder of a model trained with ``facemotion train`` (learned motion only); default: the shipped
            one, trained on the FACEGOOD captures.
        recognizer: without a transcript, ``"whisper"`` (default), ``"whisper-tiny.en"``, ``"phonetic"`` or ``"hama"``
            (:data:`~facemotion.text.recognition.RECOGNIZERS`); a transcript always wins.

    Raises:
        FileNotFoundError: for a model folder that is not one.
        ValueError: for an unknown motion mode or emotion, intensity outside [0, 1] or not 0 for neutral, an
            emotion or a model folder without the learned motion, a model folder whose files do not make a model;
            and as :meth:`SpeechToFace.__call__`. All are checked before the speech is analysed.
    """
    if motion not in MOTION_MODES:
        raise ValueError(f"motion must be one of {MOTION_MODES}, got {motion!r}")
    if model is not None and motion != "learned":
        raise ValueError("a model folder needs the learned motion (motion='learned', --motion learned)")
    intensity = emotion_intensity(emotion, intensity)
    learned = None
    if motion == "learned":
        learned = default_motion_model() if model is None else SpeechMotionModel.from_pretrained(model)
    pipeline = SpeechToFace(model=learned, emotion=emotion, intensity=intensity, recognizer=recognizer)
    return pipeline(speech, transcript, fps, progress)


@functools.cache
def default_motion_model() -> SpeechMotionModel:
    """The shipped learned model (``assets/weights/facegood``, ``make weights``), loaded once per process."""
    with resources.as_file(resources.files("facemotion.assets") / "weights" / "facegood") as folder:
        return SpeechMotionModel.from_pretrained(folder)


def span_mask(spans: Sequence[tuple[float, float]], fps: float, n_frames: int) -> np.ndarray:
    """(n_frames,) bool: the frames (frame t at t / fps seconds) inside any ``(start, end)`` span, in seconds."""
    times = np.arange(n_frames) / fps
    mask = np.zeros(n_frames, bool)
    for start, end in spans:
        mask[np.searchsorted(times, start) : np.searchsorted(times, end, side="right")] = True
    return mask
