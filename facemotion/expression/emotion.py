"""FACS-based emotion expressions on the ARKit-52 rig, and their composition with speech motion.

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

import numpy as np

from facemotion.data.clip import EMOTIONS
from facemotion.face_models.names import ARKIT_52

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
        emotion: one of :data:`~facemotion.data.clip.EMOTIONS`.
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


def emotion_pose(emotion: str) -> np.ndarray:
    """The ARKit pose of an emotion at full intensity.

    Args:
        emotion: one of :data:`~facemotion.data.clip.EMOTIONS` (the 8 MEAD categories).

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


def compose_emotion(speech: np.ndarray, emotion: str, intensity: float) -> np.ndarray:
    """Lay an emotion over speech motion.

    Channel by channel ``speech + (1 - speech) * intensity * pose`` (= ``1 - (1 - speech)(1 - intensity pose)``),
    a probabilistic union that keeps every
    value in [0, 1], leaves channels outside the recipe (the jaw among them) exactly as spoken, and adds the
    emotion on top of what speech already does with a shared channel (a smile while talking).

    Args:
        speech: (T, 52) float ARKit weights in [0, 1].
        emotion: one of :data:`~facemotion.data.clip.EMOTIONS`.
        intensity: 0 (none) .. 1 (the full recipe).

    Returns:
        (T, 52) float32.

    Raises:
        ValueError: for weights that are not (T, 52) in [0, 1], an unknown emotion, or intensity outside [0, 1].
    """
    speech = np.asarray(speech, np.float32)
    if speech.ndim != 2 or speech.shape[1] != len(ARKIT_52):
        raise ValueError(f"speech must be (T, 52) ARKit weights, got shape {speech.shape}")
    if not (np.all(np.isfinite(speech)) and speech.min(initial=0) >= 0 and speech.max(initial=0) <= 1):
        raise ValueError("speech weights must be finite and in [0, 1]")
    if not 0.0 <= intensity <= 1.0:
        raise ValueError(f"intensity must be in [0, 1], got {intensity}")
    return speech + (1.0 - speech) * (np.float32(intensity) * emotion_pose(emotion))
