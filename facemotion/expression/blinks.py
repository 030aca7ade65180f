"""Blinks: when the lids close, for how long, and the eyeBlink/eyeSquint curves they give.

Rate. Bentivoglio et al. (1997), "Analysis of blink rate patterns in normal subjects", Movement Disorders 12(6),
1028-1034 (150 adults): 17 blinks/min at rest, 26 in conversation, 4.5 while reading. A speaking face blinks at
the conversation rate (:data:`SPEAKING_RATE`); after its turn (a silence of at least
:data:`~facemotion.expression.cues.TURN_PAUSE_S`) at the rest rate (:data:`RESTING_RATE`). Intervals between
blinks are skewed to the right (Ponder & Kennedy 1927, "On the act of blinking", Q. J. Exp. Physiol. 18): we draw
them from a gamma distribution of shape :data:`INTERVAL_SHAPE` with the rate's mean.

Timing. Speakers blink at phrase boundaries, in pauses and with accented syllables (Condon & Ogston 1971, "Speech
and body motion synchrony of the speaker-hearer", in *The Perception of Language*; the rule of Pelachaud, Badler &
Steedman 1996, "Generating facial expressions for speech", Cognitive Science 20(1), 1-46; listeners' blinks too
fall in speakers' pauses: Nakano & Kitazawa 2010, "Eyeblink entrainment at breakpoints of speech", Exp. Brain
Res. 205(4)). Each blink
the interval process asks for moves to the nearest cue within :data:`SNAP_S`: a pause onset or a prominent
syllable's vowel onset (:mod:`facemotion.expression.cues`); with no cue that near it stays where it fell.

Shape. A spontaneous blink lasts 100-400 ms, the lid closing fast and reopening about twice as slowly
(VanderWerf, Brassinga, Reits, Aramideh & Ongerboer de Visser 2003, "Eyelid movements: behavioral studies of
blinking in humans under different stimulus conditions", J. Neurophysiol. 89, 2784-2796; Trutoiu, Carter,
Matthews & Hodgins 2011, "Modeling and animating eye blinks", ACM TAP 8(3), for the asymmetric closing and
opening animators should copy). Durations are log-normal around :data:`MEDIAN_DURATION_S`, kept in 100-400 ms;
:data:`CLOSING`, :data:`CLOSED` and the rest of a blink's duration are its closing, closed and opening phases.
Both lids move together; eyeSquint follows the lid at :data:`SQUINT_AT_CLOSURE` (the lower lid rises as
orbicularis oculi closes the eye).
"""

import numpy as np

from facemotion.expression.cues import SpeechCues, talking
from facemotion.expression.shapes import frames_between, pulse
from facemotion.face_models.names import ARKIT_INDEX

SPEAKING_RATE = 26.0
"""Blinks per minute while speaking: Bentivoglio et al. 1997, conversation."""

RESTING_RATE = 17.0
"""Blinks per minute in a silence after the speaker's turn: Bentivoglio et al. 1997, at rest."""

INTERVAL_SHAPE = 2.0
"""Shape of the gamma distribution of inter-blink intervals (coefficient of variation 1 / sqrt(2) = 0.71)."""

SNAP_S = 1.0
"""A blink moves to the nearest pause onset or prominent syllable within this many seconds."""

MIN_INTERVAL_S = 0.6
"""The shortest time between two blink onsets, seconds (a blink and the lid's return, with a margin)."""

MEDIAN_DURATION_S, DURATION_SIGMA = 0.25, 0.25
"""Log-normal blink duration: median (s) and the standard deviation of its natural log."""

MIN_DURATION_S, MAX_DURATION_S = 0.1, 0.4
"""Range of spontaneous blink durations, seconds (VanderWerf et al. 2003)."""

CLOSING, CLOSED = 0.3, 0.1
"""Fractions of a blink's duration spent closing and closed; the rest (0.6) reopens, twice the closing time."""

SQUINT_AT_CLOSURE = 0.25
"""eyeSquint weight at full closure."""

BLINK_CHANNELS = ("eyeBlinkLeft", "eyeBlinkRight")
SQUINT_CHANNELS = ("eyeSquintLeft", "eyeSquintRight")


def blink_schedule(cues: SpeechCues, rng: np.random.Generator) -> np.ndarray:
    """When the eyes blink and for how long.

    Args:
        cues: the take's :class:`~facemotion.expression.cues.SpeechCues`.
        rng: the random generator (its state advances).

    Returns:
        (N, 2) float64 ``(onset, duration)`` of each blink in seconds, onsets increasing and inside the take.
    """
    duration = cues.n_frames / cues.fps
    prominent_onsets = cues.vowels[cues.prominent, 0]
    anchors = np.unique(np.concatenate([cues.pauses[:, 0], prominent_onsets]))
    onsets: list[float] = []
    wanted = rng.uniform(0.0, 60.0 / SPEAKING_RATE)
    while wanted < duration:
        earliest = onsets[-1] + MIN_INTERVAL_S if onsets else 0.0
        near = anchors[(np.abs(anchors - wanted) <= SNAP_S) & (anchors >= earliest)]
        onset = float(near[np.argmin(np.abs(near - wanted))]) if len(near) else wanted
        onsets.append(onset)
        rate = SPEAKING_RATE if talking(cues, np.array([onset]))[0] else RESTING_RATE
        wanted = onset + max(rng.gamma(INTERVAL_SHAPE, 1.0 / INTERVAL_SHAPE) * 60.0 / rate, MIN_INTERVAL_S)
    lengths = np.exp(rng.normal(np.log(MEDIAN_DURATION_S), DURATION_SIGMA, len(onsets)))
    return np.stack([np.array(onsets, np.float64), np.clip(lengths, MIN_DURATION_S, MAX_DURATION_S)], axis=1)


def blink_weights(blinks: np.ndarray, fps: float, n_frames: int) -> np.ndarray:
    """The blinks on ARKit channels.

    Args:
        blinks: (N, 2) ``(onset, duration)`` seconds, from :func:`blink_schedule`.
        fps: frame rate, > 0; frame t is at t / fps.
        n_frames: the number of frames T.

    Returns:
        (T, 52) float32: eyeBlinkLeft/Right in [0, 1] (raised-cosine closing, closed for at least one frame so that
        every blink closes fully on some frame, raised-cosine reopening), eyeSquintLeft/Right at
        :data:`SQUINT_AT_CLOSURE` of them, zeros elsewhere.
    """
    times = np.arange(n_frames) / fps
    closure = np.zeros(n_frames)
    for onset, duration in blinks:
        span = frames_between(onset, onset + duration + 1.0 / fps, fps)
        closing, closed = CLOSING * duration, max(CLOSED * duration, 1.0 / fps)  # full closure on some frame
        lid = pulse(times[span], onset, closing, closed, (1.0 - CLOSING - CLOSED) * duration)
        closure[span] = np.maximum(closure[span], lid)
    weights = np.zeros((n_frames, len(ARKIT_INDEX)), np.float32)
    weights[:, [ARKIT_INDEX[name] for name in BLINK_CHANNELS]] = closure[:, None]
    weights[:, [ARKIT_INDEX[name] for name in SQUINT_CHANNELS]] = SQUINT_AT_CLOSURE * closure[:, None]
    return weights
