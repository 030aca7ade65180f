"""The main job, top to bottom: a speech file (and optionally its transcript) in, ARKit-52 curves out.

    speech analysis (:mod:`~facemotion.pipelines.speech_analysis`): voice activity, loudness, phonemes
      ──▶ key motions (visemes at phoneme anchors)
      ──▶ motion (:mod:`~facemotion.pipelines.motion`): procedural or learned, under the emotion
      ──▶ post-processing: the lips close on bilabials, weights in [0, 1]
      ──▶ performance (:mod:`~facemotion.expression.performance`): blinks, gaze, brows, head motion, breathing,
          timed by the speech, laid over every channel but the mouth's
      ──▶ FaceAnimation

The components are set when the pipeline is made; what a take is generated under (emotion, intensity, speaking
style, the performance's random seed) is an argument of each call.
"""

import numbers
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facemotion.animation import FaceAnimation, check_fps
from facemotion.expression.emotion import EmotionCondition
from facemotion.expression.performance import PerformanceSettings, lay_over, perform
from facemotion.motion.coarticulation import ClosureSettings, close_lips, lip_closure
from facemotion.motion.keymotion import key_motions
from facemotion.pipelines.motion import LearnedMotion, ProceduralMotion, default_motion_model
from facemotion.pipelines.speech_analysis import SpeechAnalysis, analyse_speech, check_recognizer
from facemotion.text.languages import check_language
from facemotion.text.recognition import DEFAULT_RECOGNIZER
from facemotion.timing import frames_covering

MOTION_MODES = ("procedural", "learned")
"""How motion is completed from the key motions: the rule-based coarticulation, or a learned model."""


@dataclass(frozen=True)
class SpeechToFace:
    """The speech-to-face pipeline.

    Attributes:
        motion: the motion strategy, :class:`~facemotion.pipelines.motion.ProceduralMotion` (the default) or
            :class:`~facemotion.pipelines.motion.LearnedMotion`.
        closure: how the lips close on bilabials (both kinds of motion).
        recognizer: where the phonemes of speech without a transcript come from, a name of
            :data:`~facemotion.text.recognition.RECOGNIZERS`: Whisper's transcript force-aligned (``"whisper"``,
            the default: base detects the language, tiny.en transcribes English; ``"whisper-base"``,
            ``"whisper-tiny.en"``) or phone recognition (pocketsphinx's ``"phonetic"``, hama's ``"hama"``).
        performance: which behaviours of the performance layer play, and how large
            (:class:`~facemotion.expression.performance.PerformanceSettings`; all by default); None for none: the
            face outside the mouth then stays as the motion leaves it, the head still.

    Raises:
        ValueError: for an unknown recogniser, when the pipeline is made.
    """

    motion: ProceduralMotion | LearnedMotion = field(default_factory=ProceduralMotion)
    closure: ClosureSettings = ClosureSettings()
    recognizer: str = DEFAULT_RECOGNIZER
    performance: PerformanceSettings | None = field(default_factory=PerformanceSettings)

    def __post_init__(self) -> None:
        check_recognizer(self.recognizer)

    def __call__(
        self,
        speech: str | Path,
        transcript: str | None = None,
        fps: float = 30.0,
        condition: EmotionCondition = EmotionCondition(),
        progress: bool = False,
        seed: int = 0,
        language: str | None = None,
    ) -> FaceAnimation:
        """Animate a speech file.

        Args:
            speech: path of a wav/flac/ogg/mp3 file, any sample rate and channel count.
            transcript: what is said, in the speech's language; ``None`` recognises it from the audio
                (:attr:`recognizer`).
            fps: output frame rate, in (0, :data:`~facemotion.animation.MAX_FPS`].
            condition: emotion, intensity and speaking style of the take (neutral by default).
            progress: show a progress bar on inputs of a minute or more.
            seed: the performance layer's random seed, an integer >= 0: one seed, one performance.
            language: ISO 639-1 code of the speech (:data:`~facemotion.text.languages.LANGUAGES`); None: the
                transcript's, or Whisper's detected one without a transcript. A transcript that clearly reads as
                another language than the one given is ignored, with a warning (the speech wins).

        Returns:
            A :class:`FaceAnimation` of ``ceil(duration * fps)`` frames of ARKit-52 weights, with the head and eye
            rotations of the performance (None without one).

        Raises:
            FileNotFoundError: when the speech file does not exist.
            IsADirectoryError: when it is a folder.
            ValueError: for a file that is not audio (or not a regular file), empty audio, NaN/Inf samples, an
                empty transcript, fps outside (0, :data:`~facemotion.animation.MAX_FPS`], a speaking style the
                learned model does not have, or an unsupported language (the message lists the supported ones).
            TypeError: for a speech path that is not a str or path, a transcript that is not a str or None, a
                condition that is not an :class:`~facemotion.expression.emotion.EmotionCondition`, or a seed that
                is not an integer.
        """
        fps = check_fps(fps)
        check_seed(seed)
        if not isinstance(condition, EmotionCondition):
            raise TypeError(f"condition must be an EmotionCondition, got {type(condition).__name__}")
        if isinstance(self.motion, LearnedMotion):
            self.motion.model.condition_tensors(condition)  # a style out of range fails before the work
        analysis = analyse_speech(speech, transcript, progress, self.motion.needs_waveform, self.recognizer,
                                  pitch=self.performance is not None, language=language)
        return self.animate_analysis(analysis, fps, condition, seed)

    def animate_analysis(
        self, analysis: SpeechAnalysis, fps: float = 30.0, condition: EmotionCondition = EmotionCondition(),
        seed: int = 0,
    ) -> FaceAnimation:
        """The steps after the speech analysis: key motions, motion, lip closure, performance.

        Args:
            analysis: :func:`~facemotion.pipelines.speech_analysis.analyse_speech`'s result (with its waveform for
                the learned motion, its pitch track for the performance).
            fps: output frame rate, checked by the caller (:func:`~facemotion.animation.check_fps`).
            condition: emotion, intensity and speaking style.
            seed: the performance's random seed.

        Returns:
            A :class:`FaceAnimation` of ``ceil(duration * fps)`` frames.

        Raises:
            ValueError: for an analysis without the pitch track a performance needs.
        """
        n_frames = frames_covering(analysis.info.duration, fps)
        keys = key_motions(analysis.phonemes, self.motion.visemes)
        weights = self.motion(analysis, keys, fps, n_frames, condition)
        weights = np.clip(close_lips(weights, lip_closure(keys, n_frames, fps, self.closure), self.closure), 0.0, 1.0)
        head = eyes = None
        if self.performance is not None:
            if analysis.pitch_hz is None:
                raise ValueError("the performance layer needs the analysis's pitch track (analyse_speech(pitch=True))")
            layer = perform(analysis.phonemes, analysis.speech_spans, analysis.loudness_db, analysis.pitch_hz, fps,
                            n_frames, self.performance, seed, condition.intensity)
            weights, head, eyes = lay_over(weights, layer), layer.head_rotation, layer.eye_rotation
        return FaceAnimation(
            fps=fps,
            weights=weights,
            phonemes=analysis.phonemes,
            audio_path=analysis.info.path.resolve(),
            language=analysis.language,
            head_rotation=head,
            eye_rotation=eyes,
        )


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
    performance: PerformanceSettings | None = PerformanceSettings(),
    seed: int = 0,
    language: str | None = None,
) -> FaceAnimation:
    """Animate a speech file (see :class:`SpeechToFace`).

    Args:
        motion: ``"procedural"`` (rule-based coarticulation, the default while the learned model trails the
            baselines: see the README) or ``"learned"`` (a trained model).
        emotion, intensity: the take's emotion (:data:`~facemotion.expression.emotion.EMOTIONS`) and its intensity
            in [0, 1]; by default 1 for an emotion, 0 for neutral
            (:func:`~facemotion.expression.emotion.emotion_intensity`). The learned motion takes it from its prior,
            the procedural motion lays the emotion's FACS recipe over the speech.
        model: folder of a model trained with ``facemotion train`` (learned motion only); default: the shipped
            one, trained on the FACEGOOD captures.
        recognizer: without a transcript, ``"whisper"`` (default), ``"whisper-base"``, ``"whisper-tiny.en"``,
            ``"phonetic"`` or ``"hama"`` (:data:`~facemotion.text.recognition.RECOGNIZERS`); a transcript always wins.
        performance: the performance layer's behaviours and scale (blinks, gaze, brows, head motion, breathing: all
            by default); None for none.
        seed: its random seed, an integer >= 0.
        language: ISO 639-1 code of the speech, as :meth:`SpeechToFace.__call__` takes it.

    Raises:
        FileNotFoundError: for a model folder that is not one.
        ValueError: for an unknown motion mode, emotion or recogniser, intensity outside [0, 1] or not 0 for
            neutral, a model folder without the learned motion, a model folder whose files do not make a model;
            and as :meth:`SpeechToFace.__call__`. All are checked before the speech is analysed.
    """
    if motion not in MOTION_MODES:
        raise ValueError(f"motion must be one of {MOTION_MODES}, got {motion!r}")
    if model is not None and motion != "learned":
        raise ValueError("a model folder needs the learned motion (motion='learned', --motion learned)")
    if language is not None:
        check_language(language)
    condition = EmotionCondition(emotion, intensity)
    strategy = ProceduralMotion()
    if motion == "learned":
        from facemotion.motion.speech_motion import SpeechMotionModel  # torch: only for the learned motion

        strategy = LearnedMotion(default_motion_model() if model is None else SpeechMotionModel.from_pretrained(model))
    pipeline = SpeechToFace(strategy, recognizer=recognizer, performance=performance)
    return pipeline(speech, transcript, fps, condition, progress, seed, language)


def check_seed(seed: int) -> int:
    """``seed`` checked to be a random seed: an integer >= 0.

    Raises:
        TypeError: for a value that is not an integer.
        ValueError: for a negative one.
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return int(seed)
