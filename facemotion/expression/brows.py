"""Brow raises on the emphatic pitch accents of the speech, never on every syllable.

Speakers raise their brows with F0 rises that mark focus and emphasis, not with every accent: in Cavé, Guaïtella,
Bertrand, Santi, Harlay & Espesser (1996), "About the relationship between eyebrow movements and F0 variations",
ICSLP, the raises go with F0 rises but far from every F0 rise has one; Flecha-García (2010), "Eyebrow raises in
dialogue and their relation to discourse structure, utterance function and pitch accents in English", Speech
Communication 52(6), finds raises aligned with (and starting a little before) pitch accents; Granström & House
(2005), "Audiovisual representation of prosody in expressive speech communication", Speech Communication 46(3-4),
and Krahmer & Swerts (2007), "The effects of visual beats on prosodic prominence", J. Memory and Language 57(3),
show that a brow raise makes the word it goes with heard as more prominent.

Rule: among the pitch accents (:mod:`facemotion.expression.cues`) whose prominence score is at least
:data:`EMPHASIS_THRESHOLD`, the most prominent raise the brows first, and no raise starts within
:data:`MIN_GAP_S` of another. A raise starts :data:`LEAD_S` before the accented vowel, rises over
:data:`ATTACK_S`, holds :data:`HOLD_S` and falls over :data:`RELEASE_S` (our choices, about the length of a
stressed word); its height is :data:`RAISE` x the vowel's loudness gain
(:func:`~facemotion.expression.cues.loudness_gain`).
"""

import numpy as np

from facemotion.expression.cues import SpeechCues
from facemotion.expression.shapes import frames_between, pulse
from facemotion.face_models.names import ARKIT_INDEX

EMPHASIS_THRESHOLD = 1.5
"""Smallest prominence score of a pitch accent that may raise the brows."""

MIN_GAP_S = 2.0
"""Two raises start at least this many seconds apart."""

LEAD_S, ATTACK_S, HOLD_S, RELEASE_S = 0.1, 0.15, 0.2, 0.4
"""A raise starts this long before the accented vowel, then rises, holds and falls over these durations, seconds."""

RAISE = {"browInnerUp": 0.35, "browOuterUpLeft": 0.3, "browOuterUpRight": 0.3}
"""Channel weights of a raise of gain 1 (AU1 + AU2: inner and outer brow raisers)."""


def brow_raises(cues: SpeechCues) -> np.ndarray:
    """When the brows rise, and how high.

    Returns:
        (N, 2) float64 ``(onset, gain)``: onsets in seconds, increasing; gains (loudness gains) in [0.25, 2].
    """
    candidates = np.flatnonzero(cues.accent & (cues.prominence >= EMPHASIS_THRESHOLD))
    chosen: list[int] = []
    for index in candidates[np.argsort(-cues.prominence[candidates], kind="stable")]:
        if all(abs(cues.vowels[index, 0] - cues.vowels[other, 0]) >= MIN_GAP_S for other in chosen):
            chosen.append(index)
    chosen.sort()
    onsets = np.maximum(cues.vowels[chosen, 0] - LEAD_S, 0.0)
    return np.stack([onsets, cues.vowel_gains()[chosen]], axis=1).reshape(-1, 2)


def brow_weights(raises: np.ndarray, fps: float, n_frames: int, scale: float = 1.0) -> np.ndarray:
    """The raises on ARKit channels.

    Args:
        raises: (N, 2) ``(onset, gain)`` from :func:`brow_raises`.
        fps: frame rate, > 0; frame t is at t / fps.
        n_frames: the number of frames T.
        scale: factor on the heights, >= 0.

    Returns:
        (T, 52) float32: browInnerUp and browOuterUpLeft/Right in [0, 1], zeros elsewhere.
    """
    times = np.arange(n_frames) / fps
    height = np.zeros(n_frames)
    for onset, gain in raises:
        frames = frames_between(onset, onset + ATTACK_S + HOLD_S + RELEASE_S, fps)
        height[frames] = np.maximum(height[frames], gain * pulse(times[frames], onset, ATTACK_S, HOLD_S, RELEASE_S))
    weights = np.zeros((n_frames, len(ARKIT_INDEX)), np.float32)
    for name, weight in RAISE.items():
        weights[:, ARKIT_INDEX[name]] = np.clip(scale * weight * height, 0.0, 1.0)
    return weights
