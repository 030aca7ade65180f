"""Emotion: its vocabulary, the condition a motion is generated under, the FACS expressions on the ARKit-52 rig,
and the one composition of an expression over speech motion.

- :data:`EMOTIONS`: the 8 MEAD categories, the vocabulary of every dataset, model and command.
- :func:`emotion_intensity`: the default intensity and the rule "neutral means intensity 0".
- :class:`EmotionCondition`: a checked (emotion, intensity, speaking style), what the learned model is conditioned on.
- :func:`compose_expression`: an expression laid over speech motion (numpy arrays or torch tensors), used by the
  recipes (:func:`compose_emotion`), the learned prior (:class:`~facemotion.motion.vae.TemporalVAE`) and training.

There is no emotional 3D capture we may ship, so the default motion prior learns emotion from these recipes
composed with real captured speech curves. Each recipe is the prototype of an emotion as a set of FACS action
units (Ekman, Friesen & Hager, *Facial Action Coding System*, 2002; EMFACS prototypes), written on the ARKit
blendshapes that animate those action units (Apple's ARFaceAnchor documentation names the AU of most shapes):

==========  ========================  ========================================================================
emotion     action units              ARKit channels
==========  ========================  ========================================================================
happy       AU6 + AU12                cheekSquint, mouthSmile, a little eyeSquint
sad         AU1 + AU4 + AU15 (+AU17)  browInnerUp, a little browDown, mouthFrown, mouthShrugLower
surprised   AU1 + AU2 + AU5           browInnerUp, browOuterUp, eyeWide (AU26, the jaw drop, is left to speech)
fear        AU1 + AU2 + AU4 + AU5     browInnerUp, browOuterUp, browDown, eyeWide, mouthStretch
            + AU20
disgusted   AU9 + AU10 + AU15         noseSneer, mouthUpperUp, mouthFrown, browDown, cheekSquint
angry       AU4 + AU5 + AU7 + AU23    browDown, eyeSquint, eyeWide, mouthPress
contempt    unilateral AU12 + AU14    mouthSmileLeft, mouthDimpleLeft (one side only)
==========  ========================  ========================================================================

The jaw (AU26/27) is never part of a recipe: it belongs to speech, so an emotion changes the face around the
words and not the words themselves.
"""

from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from facemotion.face_models.names import ARKIT_52

EMOTIONS: tuple[str, ...] = ("neutral", "happy", "sad", "surprised", "fear", "disgusted", "angry", "contempt")
"""The 8 emotion categories of MEAD (Wang et al., ECCV 2020), spelled as MEAD's folder names; a learned model's
emotion index is the position in this tuple."""

EMOTION_RECIPES: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {
        "cheekSquintLeft": 0.6, "cheekSquintRight": 0.6, "mouthSmileLeft": 0.7, "mouthSmileRight": 0.7,
        "eyeSquintLeft": 0.3, "eyeSquintRight": 0.3,
    },
    "sad": {
        "browInnerUp": 0.7, "browDownLeft": 0.3, "browDownRight": 0.3, "mouthFrownLeft": 0.6,
        "mouthFrownRight": 0.6, "mouthShrugLower": 0.2,
    },
    "surprised": {
        "browInnerUp": 0.8, "browOuterUpLeft": 0.8, "browOuterUpRight": 0.8, "eyeWideLeft": 0.7,
        "eyeWideRight": 0.7,
    },
    "fear": {
        "browInnerUp": 0.7, "browOuterUpLeft": 0.4, "browOuterUpRight": 0.4, "browDownLeft": 0.3,
        "browDownRight": 0.3, "eyeWideLeft": 0.6, "eyeWideRight": 0.6, "mouthStretchLeft": 0.5,
        "mouthStretchRight": 0.5,
    },
    "disgusted": {
        "noseSneerLeft": 0.7, "noseSneerRight": 0.7, "mouthUpperUpLeft": 0.4, "mouthUpperUpRight": 0.4,
        "mouthFrownLeft": 0.3, "mouthFrownRight": 0.3, "browDownLeft": 0.4, "browDownRight": 0.4,
        "cheekSquintLeft": 0.3, "cheekSquintRight": 0.3,
    },
    "angry": {
        "browDownLeft": 0.8, "browDownRight": 0.8, "eyeSquintLeft": 0.4, "eyeSquintRight": 0.4,
        "eyeWideLeft": 0.2, "eyeWideRight": 0.2, "mouthPressLeft": 0.4, "mouthPressRight": 0.4,
    },
    "contempt": {"mouthSmileLeft": 0.4, "mouthDimpleLeft": 0.5},
}  # fmt: skip
"""Emotion -> {ARKit channel: weight at intensity 1}, from the FACS prototypes in the module docstring."""


DEFAULT_INTENSITY = 1.0
"""Intensity of an emotion when none is given (the full recipe); neutral is always intensity 0."""


def emotion_intensity(emotion: str, intensity: float | None = None) -> float:
    """The intensity an emotion is shown at: ``intensity`` checked, or by default :data:`DEFAULT_INTENSITY` for an
    emotion and 0 for ``"neutral"`` (neutral is no expression, so it takes no other intensity).

    The one place where the default intensity and the rule "neutral means intensity 0" live: the Python API
    (:func:`facemotion.animate`), the command line and the learned model all resolve it here.

    Args:
        emotion: one of :data:`EMOTIONS`.
        intensity: a number in [0, 1], or None for the default.

    Returns:
        The intensity, a float in [0, 1].

    Raises:
        ValueError: for an unknown emotion, an intensity outside [0, 1], or a non-zero intensity for neutral.
        TypeError: for an intensity that is not a real number.
    """
    if emotion not in EMOTION_RECIPES:
        raise ValueError(f"emotion must be one of {EMOTIONS}, got {emotion!r}")
    if intensity is None:
        return 0.0 if emotion == "neutral" else DEFAULT_INTENSITY
    if isinstance(intensity, bool) or not isinstance(intensity, (int, float, np.integer, np.floating)):
        raise TypeError(f"intensity must be a number in [0, 1], got {type(intensity).__name__}")
    if not 0.0 <= intensity <= 1.0:
        raise ValueError(f"intensity must be in [0, 1], got {intensity}")
    if emotion == "neutral" and intensity != 0.0:
        raise ValueError(f"neutral has no intensity (it is no expression): give 0, got {intensity}")
    return float(intensity)


@dataclass(frozen=True)
class EmotionCondition:
    """What a motion is generated under: an emotion, its intensity and a speaking style, checked.

    Attributes:
        emotion: one of :data:`EMOTIONS`.
        intensity: float in [0, 1]; given as None it resolves by :func:`emotion_intensity` (1 for an emotion,
            0 for neutral).
        style: speaking-style index (int >= 0), the row of the learned prior's style embedding (one per training
            subject); its upper bound, the model's ``n_styles``, is checked by the model.

    Raises:
        ValueError: as :func:`emotion_intensity`, or for a negative style.
        TypeError: as :func:`emotion_intensity`, or for a style that is not an integer.
    """

    emotion: str = "neutral"
    intensity: float | None = None
    style: int = 0

    def __post_init__(self):
        object.__setattr__(self, "intensity", emotion_intensity(self.emotion, self.intensity))
        if isinstance(self.style, bool) or not isinstance(self.style, (int, np.integer)):
            raise TypeError(f"style must be an integer speaking-style index, got {type(self.style).__name__}")
        if self.style < 0:
            raise ValueError(f"style must be >= 0, got {self.style}")
        object.__setattr__(self, "style", int(self.style))

    @property
    def index(self) -> int:
        """The emotion's index into :data:`EMOTIONS` (the learned model's emotion embedding row)."""
        return EMOTIONS.index(self.emotion)


def emotion_pose(emotion: str) -> np.ndarray:
    """The ARKit pose of an emotion at full intensity.

    Args:
        emotion: one of :data:`EMOTIONS` (the 8 MEAD categories).

    Returns:
        (52,) float32 weights in [0, 1], Apple's order; zeros for ``"neutral"``.

    Raises:
        ValueError: for an unknown emotion.
    """
    if emotion not in EMOTION_RECIPES:
        raise ValueError(f"emotion must be one of {EMOTIONS}, got {emotion!r}")
    pose = np.zeros(len(ARKIT_52), np.float32)
    for name, weight in EMOTION_RECIPES[emotion].items():
        pose[ARKIT_52.index(name)] = weight
    return pose


Motion = TypeVar("Motion")


def compose_expression(speech: Motion, expression: Motion, representation: str = "arkit") -> Motion:
    """Lay an expression over speech motion: the one composition of emotion and speech.

    ARKit weights: channel by channel ``speech + (1 - speech) * expression`` (= ``1 - (1 - speech)(1 - expression)``),
    a probabilistic union that keeps every value in [0, 1], leaves a channel the expression leaves at 0 (the jaw in
    every FACS recipe) exactly as spoken, and adds the expression on top of what speech already does with a shared
    channel (a smile while talking). FLAME parameters and vertex offsets: ``speech + expression``.

    Plain arithmetic, so it works alike (and bit for bit) on numpy arrays and torch tensors, with gradients.

    Args:
        speech: (..., T, D) motion; for ARKit, weights in [0, 1].
        expression: (..., 1 or T, D) expression (broadcast over frames), the same type as ``speech``; for ARKit,
            weights in [0, 1] already scaled by the intensity.
        representation: ``"arkit"``, ``"flame"`` or ``"vertices"`` (see :data:`~facemotion.data.clip.REPRESENTATIONS`).

    Returns:
        (..., T, D) motion of the type and dtype of the operands. Nothing is checked: callers validate.
    """
    if representation == "arkit":
        return speech + (1.0 - speech) * expression
    return speech + expression


def compose_emotion(speech: np.ndarray, emotion: str, intensity: float) -> np.ndarray:
    """Lay an emotion's FACS recipe (:func:`emotion_pose`) at some intensity over ARKit speech motion, through
    :func:`compose_expression`.

    Args:
        speech: (T, 52) float ARKit weights in [0, 1].
        emotion: one of :data:`EMOTIONS`.
        intensity: 0 (none) .. 1 (the full recipe); 0 for neutral (:func:`emotion_intensity`).

    Returns:
        (T, 52) float32.

    Raises:
        ValueError: for weights that are not (T, 52) in [0, 1], an unknown emotion, an intensity outside [0, 1],
            or a non-zero intensity for neutral.
        TypeError: for an intensity that is not a real number.
    """
    speech = np.asarray(speech, np.float32)
    if speech.ndim != 2 or speech.shape[1] != len(ARKIT_52):
        raise ValueError(f"speech must be (T, 52) ARKit weights, got shape {speech.shape}")
    if not (np.all(np.isfinite(speech)) and speech.min(initial=0) >= 0 and speech.max(initial=0) <= 1):
        raise ValueError("speech weights must be finite and in [0, 1]")
    intensity = emotion_intensity(emotion, intensity)
    return compose_expression(speech, np.float32(intensity) * emotion_pose(emotion))
