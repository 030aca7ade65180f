"""Head motion driven by prosody: nods on prominent syllables, a posture per phrase, and an idle sway.

Speakers move the head with the prosody of what they say: quick nods on stressed syllables and pitch accents and
slower, larger posture changes at phrase boundaries (Hadar, Steiner, Grant & Rose 1983, "Head movement correlates
of juncture and stress at sentence level", Language and Speech 26(2); Graf, Cosatto, Strom & Huang 2002, "Visual
prosody: facial movements accompanying speech", IEEE FG, who find head nods of a few degrees aligned with pitch
accents), so that head motion and F0 are strongly correlated (Yehia, Kuratate & Vatikiotis-Bateson 2002,
"Linking facial animation, head motion and speech acoustics", J. Phonetics 30(3)). Busso, Deng, Grimm, Lee &
Narayanan (2007), "Rigid head motion in expressive speech animation: analysis and synthesis", IEEE TASLP 15(3),
measured head rotations of a few degrees in neutral speech and larger ones in emotional (angry, happy) speech.

The amplitudes below are our choices within those reports:

- **nods**: on each prominent syllable the chin dips (positive pitch) by :data:`NOD_DEG` x its loudness gain,
  half of it on a prominent syllable that is not a pitch accent, peaking at the vowel's centre
  (:data:`NOD_ATTACK_S` down, :data:`NOD_RELEASE_S` back);
- **phrase posture**: each phrase takes a new head posture drawn with :data:`PHRASE_SD_DEG` (pitch, yaw, roll),
  scaled by the phrase's loudness gain, held through the short pauses of the turn and eased back to rest after it,
  smoothed over :data:`PHRASE_SMOOTHING_S`;
- **idle sway**: slow noise of :data:`IDLE_SD_DEG` everywhere, so that a silent head is still but not frozen.

Loudness gain: :func:`~facemotion.expression.cues.loudness_gain` (1 + 100 % per 12 dB above the median vowel,
in [0.25, 2]). With emotion the
nods and postures grow by (1 + :data:`INTENSITY_GAIN` x intensity) (Busso et al. 2007). In silence outside the
turn there are no nods and the posture is at rest: only the idle sway moves the head.

Rotations are (pitch, yaw, roll) in degrees with the conventions of :mod:`facemotion.expression.performance`.
"""

import numpy as np
from scipy.ndimage import gaussian_filter1d

from facemotion.expression.cues import SpeechCues, loudness_gain, talking
from facemotion.expression.shapes import frames_between, pulse, smooth_noise

NOD_DEG = 2.0
"""Chin-down pitch of a nod on a pitch accent at the median vowel level, degrees."""

NOD_ATTACK_S, NOD_RELEASE_S = 0.2, 0.35
"""A nod goes down over this many seconds to its peak at the vowel's centre, and back over the second."""

PHRASE_SD_DEG = np.array([0.5, 2.0, 1.0])
"""Standard deviation of a phrase's head posture (pitch, yaw, roll), degrees."""

PHRASE_SMOOTHING_S = 0.35
"""Standard deviation of the Gaussian that smooths posture changes, seconds."""

IDLE_SD_DEG = np.array([0.3, 0.3, 0.2])
"""Standard deviation of the idle sway (pitch, yaw, roll), degrees."""

IDLE_SMOOTHING_S = 1.0
"""Standard deviation of the Gaussian that smooths the idle sway's noise, seconds."""

INTENSITY_GAIN = 0.5
"""Nods and postures grow by this fraction at emotion intensity 1."""


def nods(cues: SpeechCues) -> np.ndarray:
    """(T,) float64 pitch of the nods on prominent syllables, degrees (chin down > 0)."""
    times = np.arange(cues.n_frames) / cues.fps
    pitch = np.zeros(cues.n_frames)
    gains = cues.vowel_gains() * np.where(cues.accent, 1.0, 0.5)
    for (start, end), gain in zip(cues.vowels[cues.prominent], gains[cues.prominent]):
        onset = 0.5 * (start + end) - NOD_ATTACK_S
        frames = frames_between(onset, onset + NOD_ATTACK_S + NOD_RELEASE_S, cues.fps)
        pitch[frames] += NOD_DEG * gain * pulse(times[frames], onset, NOD_ATTACK_S, 0.0, NOD_RELEASE_S)
    return pitch


def phrase_posture(cues: SpeechCues, rng: np.random.Generator) -> np.ndarray:
    """(T, 3) float64 (pitch, yaw, roll) degrees: a posture per phrase, held through the turn, at rest outside it."""
    times = np.arange(cues.n_frames) / cues.fps
    postures = rng.standard_normal((len(cues.phrases), 3)) * PHRASE_SD_DEG
    for index, (start, end) in enumerate(cues.phrases):
        within = (cues.vowels[:, 0] >= start) & (cues.vowels[:, 1] <= end)
        level = cues.vowel_loudness[within].mean() if within.any() else cues.vowel_level_db
        postures[index] *= loudness_gain(level, cues.vowel_level_db)
    current = np.searchsorted(cues.phrases[:, 0], times, side="right") - 1  # the last phrase begun
    held = (current >= 0) & talking(cues, times)
    target = np.zeros((cues.n_frames, 3))
    target[held] = postures[current[held]]
    return gaussian_filter1d(target, PHRASE_SMOOTHING_S * cues.fps, axis=0, mode="nearest")


def idle_sway(rng: np.random.Generator, n_frames: int, fps: float) -> np.ndarray:
    """(T, 3) float64 (pitch, yaw, roll) degrees: slow noise of :data:`IDLE_SD_DEG`."""
    return smooth_noise(rng, n_frames, fps, IDLE_SMOOTHING_S, 3) * IDLE_SD_DEG


def head_rotation(cues: SpeechCues, rng: np.random.Generator, scale: float = 1.0, intensity: float = 0.0) -> np.ndarray:
    """The head's rotation over the take: nods + phrase posture, grown with emotion, + idle sway.

    Args:
        cues: the take's cues.
        rng: the random generator (its state advances).
        scale: factor on every amplitude, >= 0.
        intensity: emotion intensity in [0, 1].

    Returns:
        (T, 3) float64 (pitch, yaw, roll) in degrees.
    """
    speech = phrase_posture(cues, rng)
    speech[:, 0] += nods(cues)
    return scale * ((1.0 + INTENSITY_GAIN * intensity) * speech + idle_sway(rng, cues.n_frames, cues.fps))
