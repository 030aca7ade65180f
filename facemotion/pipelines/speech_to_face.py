"""The main job, top to bottom: a speech file (and optionally its transcript) in, ARKit-52 curves out.

    audio ──▶ blocks @16 kHz ──▶ voice activity, loudness, phonemes (alignment or phone recognition)
          ──▶ key motions (visemes at phoneme anchors)
          ──▶ learned: key-motion transformer + motion prior (emotion, intensity)  ──▶ lip closure
              procedural: coarticulation ──▶ prosody                              ──▶ lip closure
          ──▶ FaceAnimation
"""

import functools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from facemotion.animation import FaceAnimation
from facemotion.audio.features import LOUDNESS_HOP, loudness_db, pool_to_frames
from facemotion.audio.io import SAMPLE_RATE, AudioInfo, audio_info, iter_audio_blocks
from facemotion.audio.vad import speech_spans
from facemotion.expression.emotion import compose_emotion
from facemotion.face_models.names import ARKIT_52
from facemotion.motion.coarticulation import ClosureSettings, blend_key_motions, close_lips, lip_closure
from facemotion.motion.keymotion import key_motions
from facemotion.motion.prosody import ProsodySettings, apply_prosody, jaw_gain, rest_gate
from facemotion.motion.speech_motion import SpeechMotionModel
from facemotion.text.alignment import MAX_ALIGN_SECONDS, phonemes_for, recognize_phones
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
    """

    info: AudioInfo
    phonemes: tuple[PhonemeSegment, ...]
    speech_spans: tuple[tuple[float, float], ...]
    loudness_db: np.ndarray
    waveform: np.ndarray | None = None


@dataclass(frozen=True)
class SpeechToFace:
    """The procedural speech-to-face pipeline.

    Attributes:
        visemes: the viseme table (poses, dominance); the shipped one by default.
        prosody: how loudness and silence shape the mouth (procedural motion).
        closure: how the lips close on bilabials (both kinds of motion).
        model: a learned :class:`~facemotion.motion.speech_motion.SpeechMotionModel`, or None for the
            procedural coarticulation model.
        emotion: emotion of the learned motion, one of :data:`~facemotion.data.clip.EMOTIONS`.
        intensity: its intensity in [0, 1].
    """

    visemes: VisemeTable = field(default_factory=load_viseme_table)
    prosody: ProsodySettings = ProsodySettings()
    closure: ClosureSettings = ClosureSettings()
    model: SpeechMotionModel | None = None
    emotion: str = "neutral"
    intensity: float = 0.0

    def __call__(
        self, speech: str | Path, transcript: str | None = None, fps: float = 30.0, progress: bool = False
    ) -> FaceAnimation:
        """Animate a speech file.

        Args:
            speech: path of a wav/flac/ogg/mp3 file, any sample rate and channel count.
            transcript: what is said, in English; ``None`` recognises phones from the audio instead.
            fps: output frame rate, finite and > 0.
            progress: show a progress bar on inputs of a minute or more.

        Returns:
            A :class:`FaceAnimation` of ``ceil(duration * fps)`` frames of ARKit-52 weights.

        Raises:
            FileNotFoundError: when the speech file does not exist.
            ValueError: for a file that is not audio, empty audio, NaN/Inf samples, an empty
                transcript, or fps that is not a finite number > 0.
        """
        fps = float(fps)
        if not (math.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be a finite number > 0, got {fps}")
        analysis = analyse_speech(speech, transcript, progress, keep_waveform=self.model is not None)
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
        )

    def learned_motion(self, waveform: np.ndarray, analysis: SpeechAnalysis, fps: float, n_frames: int) -> np.ndarray:
        """The learned model's motion, resampled to ``fps``, easing to the face at rest (with its emotion) outside
        voice activity as the procedural rest gate does, with the lips closed on bilabials.

        Args:
            waveform: (S,) float32 speech at 16 kHz (the whole take; the model runs in windows).

        Returns:
            (T, 52) float32 ARKit weights in [0, 1].
        """
        keys = key_motions(analysis.phonemes, self.visemes)
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
    speech: str | Path, transcript: str | None = None, progress: bool = False, keep_waveform: bool = False
) -> SpeechAnalysis:
    """Voice activity, loudness and phonemes of a speech file, read block by block.

    Without a transcript the speech spans of each block are phone-recognised on their own, so memory
    stays bounded on inputs of any length; with a transcript the whole waveform is force-aligned at once,
    which takes files up to :data:`~facemotion.text.alignment.MAX_ALIGN_SECONDS` long (longer ones fall
    back to phone recognition with a warning). ``keep_waveform`` keeps the 16 kHz samples in the result (for
    the learned model, which needs the whole take), so the file is decoded once.

    Raises:
        FileNotFoundError, ValueError: as :meth:`SpeechToFace.__call__`.
    """
    if transcript is not None and not transcript.strip():
        raise ValueError("the transcript is empty")
    info = audio_info(speech)
    if transcript is not None and info.duration > MAX_ALIGN_SECONDS:
        warnings.warn(
            f"the transcript is ignored: forced alignment takes at most {MAX_ALIGN_SECONDS:.0f} s of audio "
            f"and this file lasts {info.duration:.0f} s; falling back to phone recognition",
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
            if transcript is None:
                phonemes += _recognized_in_spans(block, block_spans, offset)
            if transcript is not None or keep_waveform:
                blocks.append(block)
            bar.update(round(min(offset + BLOCK_SECONDS, info.duration)) - bar.n)
    waveform = np.concatenate(blocks) if blocks else None
    if transcript is not None:
        phonemes = phonemes_for(waveform, transcript)
    return SpeechAnalysis(
        info, tuple(phonemes), tuple(spans), np.concatenate(loudness), waveform if keep_waveform else None
    )


def animate(
    speech: str | Path,
    transcript: str | None = None,
    fps: float = 30.0,
    progress: bool = False,
    motion: str = "procedural",
    emotion: str = "neutral",
    intensity: float = 0.0,
    model: str | Path | None = None,
) -> FaceAnimation:
    """Animate a speech file (see :class:`SpeechToFace`).

    Args:
        motion: ``"procedural"`` (rule-based coarticulation, the default while the learned model trails the
            baselines: see the README) or ``"learned"`` (a trained model).
        emotion, intensity: emotion of the learned motion (:data:`~facemotion.data.clip.EMOTIONS`, 0..1).
        model: folder of a model trained with ``facemotion train``; default: the shipped one, trained on the
            FACEGOOD captures.

    Raises:
        FileNotFoundError: for a model folder that is not one.
        ValueError: for an unknown motion mode or emotion, intensity outside [0, 1] or not 0 for neutral; and as
            :meth:`SpeechToFace.__call__`.
    """
    if motion not in MOTION_MODES:
        raise ValueError(f"motion must be one of {MOTION_MODES}, got {motion!r}")
    if emotion != "neutral" and motion != "learned":
        raise ValueError("emotion needs the learned motion")
    learned = None
    if motion == "learned":
        learned = default_motion_model() if model is None else SpeechMotionModel.from_pretrained(model)
        learned.condition(emotion, intensity, 0)
    return SpeechToFace(model=learned, emotion=emotion, intensity=intensity)(speech, transcript, fps, progress)


@functools.cache
def default_motion_model() -> SpeechMotionModel:
    """The shipped learned model (``assets/weights/facegood``, ``make weights``), loaded once per process."""
    with resources.as_file(resources.files("facemotion.assets") / "weights" / "facegood") as folder:
        return SpeechMotionModel.from_pretrained(folder)


def recognize_speech(waveform: np.ndarray) -> list[PhonemeSegment]:
    """Phones recognised in the voiced spans of a (S,) float32 16 kHz waveform, seconds from its start.

    For takes without a transcript (training data, any language: the phone set is English ARPAbet).
    """
    return _recognized_in_spans(waveform, speech_spans(waveform), 0.0)


def _recognized_in_spans(
    block: np.ndarray, spans: list[tuple[float, float]], offset: float
) -> list[PhonemeSegment]:
    """Phones recognised in each speech span of a block, in file time (seconds)."""
    phonemes = []
    for start, end in spans:
        samples = block[round(start * SAMPLE_RATE) : round(end * SAMPLE_RATE)]
        shift = offset + start
        phonemes += [
            PhonemeSegment(p.phone, p.start + shift, p.end + shift) for p in recognize_phones(samples)
        ]
    return phonemes


def span_mask(spans: Sequence[tuple[float, float]], fps: float, n_frames: int) -> np.ndarray:
    """(n_frames,) bool: the frames (frame t at t / fps seconds) inside any ``(start, end)`` span, in seconds."""
    times = np.arange(n_frames) / fps
    mask = np.zeros(n_frames, bool)
    for start, end in spans:
        mask[np.searchsorted(times, start) : np.searchsorted(times, end, side="right")] = True
    return mask
