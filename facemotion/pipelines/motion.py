"""Motion, the pipeline's middle component: two strategies that complete the face from key motions.

- :class:`ProceduralMotion`: Cohen-Massaro coarticulation of the key motions, the jaw following loudness, the
  mouth resting in silences, the emotion's FACS recipe laid over it.
- :class:`LearnedMotion`: the key-motion transformer over the speech and the key motions, the emotion from its
  motion prior, run over the take in overlapping windows, easing to the face at rest outside voice activity.

Both are called alike, ``motion(analysis, keys, fps, n_frames, condition) -> (T, 52)``, and pose their key motions
with their own :attr:`visemes` table; the pipeline closes the lips afterwards.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from facemotion.animation import FaceAnimation
from facemotion.audio.features import LOUDNESS_HOP, pool_to_frames
from facemotion.expression.emotion import EmotionCondition, compose_emotion
from facemotion.motion.coarticulation import blend_key_motions
from facemotion.motion.keymotion import KeyMotions
from facemotion.motion.prosody import ProsodySettings, apply_prosody, jaw_gain, rest_gate
from facemotion.pipelines.speech_analysis import SpeechAnalysis, span_mask
from facemotion.text.visemes import VisemeTable, load_viseme_table
from facemotion.timing import SAMPLE_RATE

if TYPE_CHECKING:  # torch is imported only where a learned model runs: the procedural path never needs it
    from facemotion.motion.speech_motion import SpeechMotionModel


@dataclass(frozen=True)
class ProceduralMotion:
    """Rule-based motion: coarticulated key motions shaped by the speech's loudness and silences.

    Attributes:
        visemes: the viseme table (poses, dominance); the shipped, calibrated one by default.
        prosody: how loudness and silence shape the mouth.
    """

    needs_waveform: ClassVar[bool] = False
    visemes: VisemeTable = field(default_factory=load_viseme_table)
    prosody: ProsodySettings = ProsodySettings()

    def __call__(
        self, analysis: SpeechAnalysis, keys: KeyMotions, fps: float, n_frames: int, condition: EmotionCondition
    ) -> np.ndarray:
        """(n_frames, 52) float32 ARKit weights at ``fps``, before lip closure; the emotion's FACS recipe
        (:func:`~facemotion.expression.emotion.compose_emotion`) at ``condition.intensity`` laid over them."""
        speech = span_mask(analysis.speech_spans, fps, n_frames)
        loudness = pool_to_frames(analysis.loudness_db, SAMPLE_RATE / LOUDNESS_HOP, fps, n_frames)
        weights = blend_key_motions(keys, n_frames, fps)
        weights = apply_prosody(weights, jaw_gain(loudness, speech, self.prosody), rest_gate(speech, fps, self.prosody))
        if condition.intensity == 0.0:
            return weights
        return compose_emotion(np.clip(weights, 0.0, 1.0), condition.emotion, condition.intensity)


@dataclass(frozen=True)
class LearnedMotion:
    """A learned model's motion (:class:`~facemotion.motion.speech_motion.SpeechMotionModel`).

    Attributes:
        model: the model, in eval mode (``from_pretrained`` returns it so); never switched by the pipeline.
        prosody: the rest gate outside voice activity (only its silence settings are used).
        visemes: the table that poses the key motions: the model's own (the one it was trained with) when its
            folder has one, else the shipped table.
    """

    needs_waveform: ClassVar[bool] = True
    model: SpeechMotionModel
    prosody: ProsodySettings = ProsodySettings()
    visemes: VisemeTable = None  # type: ignore[assignment]  # resolved in __post_init__

    def __post_init__(self) -> None:
        if self.visemes is None:
            object.__setattr__(self, "visemes", self.model.visemes or load_viseme_table())

    def __call__(
        self, analysis: SpeechAnalysis, keys: KeyMotions, fps: float, n_frames: int, condition: EmotionCondition
    ) -> np.ndarray:
        """(n_frames, 52) float32 ARKit weights at ``fps``, before lip closure: the model's motion resampled from its
        own frame rate, easing to the face at rest (with the emotion) outside voice activity as the procedural
        rest gate does.

        Raises:
            ValueError: when the analysis kept no waveform (``analyse_speech(..., keep_waveform=True)``), or as
                :func:`~facemotion.motion.windows.motion_in_windows`.
        """
        if analysis.waveform is None:
            raise ValueError("the learned motion needs the analysis's waveform (keep_waveform=True)")
        from facemotion.motion.windows import motion_in_windows

        motion = motion_in_windows(self.model, analysis.waveform, keys, condition)
        weights = FaceAnimation(fps=self.model.fps, weights=motion).resample(fps).weights
        weights = np.concatenate([weights, weights[-1:].repeat(max(0, n_frames - len(weights)), 0)])[:n_frames]
        gate = rest_gate(span_mask(analysis.speech_spans, fps, n_frames), fps, self.prosody)[:, None]
        rest = compose_emotion(np.zeros((1, weights.shape[1]), np.float32), condition.emotion, condition.intensity)
        return gate * weights + (1.0 - gate) * rest


@functools.cache
def default_motion_model() -> SpeechMotionModel:
    """The shipped learned model (``assets/weights/facegood``, ``make weights``), loaded once per process."""
    from facemotion.motion.speech_motion import SpeechMotionModel

    with resources.as_file(resources.files("facemotion.assets") / "weights" / "facegood") as folder:
        return SpeechMotionModel.from_pretrained(folder)
