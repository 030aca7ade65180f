"""Breathing: a faint nostril flare as the speaker breathes in, in the pauses long enough for a breath.

Speakers breathe in at pauses, mostly the longer ones at major syntactic boundaries (Grosjean & Collins 1979,
"Breathing, pausing and reading", Phonetica 36(2); Winkworth, Davis, Adams & Ellis 1995, "Breathing patterns
during spontaneous speech", J. Speech Hear. Res. 38), and a speech inhalation is quick, about half a second. The
nostrils flare slightly as air is drawn in (alar flaring, the dilator naris muscle). On ARKit the only nostril
channels are noseSneerLeft/Right, so the cue is a small noseSneer pulse (:data:`FLARE`) over the last
:data:`INHALE_S` seconds of every pause of at least :data:`BREATH_PAUSE_S` that precedes a phrase, ending
:data:`BEFORE_PHRASE_S` before the phrase starts. It is never on during speech and never touches the lips or jaw
(the mouth belongs to the speech motion).
"""

import numpy as np

from facemotion.expression.cues import SpeechCues
from facemotion.expression.shapes import frames_between, pulse
from facemotion.face_models.names import ARKIT_INDEX

BREATH_PAUSE_S = 0.5
"""The shortest pause that holds a breath, seconds."""

INHALE_S = 0.5
"""Length of the inhalation cue (capped by the pause), seconds."""

BEFORE_PHRASE_S = 0.05
"""The cue ends this long before the next phrase starts, seconds."""

FLARE = 0.12
"""noseSneerLeft/Right weight at the height of an inhalation."""

NOSTRIL_CHANNELS = ("noseSneerLeft", "noseSneerRight")


def breaths(cues: SpeechCues) -> np.ndarray:
    """(N, 2) float64 ``(start, end)`` of each inhalation cue, seconds: inside the pauses before a phrase."""
    before_phrase = np.isin(cues.pauses[:, 1], cues.phrases[:, 0])
    pauses = cues.pauses[before_phrase & (cues.pauses[:, 1] - cues.pauses[:, 0] >= BREATH_PAUSE_S)]
    ends = pauses[:, 1] - BEFORE_PHRASE_S
    return np.stack([np.maximum(ends - INHALE_S, pauses[:, 0]), ends], axis=1)


def breath_weights(inhalations: np.ndarray, fps: float, n_frames: int, scale: float = 1.0) -> np.ndarray:
    """The inhalation cues on ARKit channels.

    Args:
        inhalations: (N, 2) ``(start, end)`` seconds from :func:`breaths`.
        fps: frame rate, > 0; frame t is at t / fps.
        n_frames: the number of frames T.
        scale: factor on the flare, >= 0.

    Returns:
        (T, 52) float32: noseSneerLeft/Right in [0, 1], zero outside the cues; zeros elsewhere.
    """
    times = np.arange(n_frames) / fps
    flare = np.zeros(n_frames)
    for start, end in inhalations:
        frames = frames_between(start, end, fps)
        flare[frames] = pulse(times[frames], start, 0.5 * (end - start), 0.0, 0.5 * (end - start))
    weights = np.zeros((n_frames, len(ARKIT_INDEX)), np.float32)
    weights[:, [ARKIT_INDEX[name] for name in NOSTRIL_CHANNELS]] = np.clip(scale * FLARE * flare, 0.0, 1.0)[:, None]
    return weights
