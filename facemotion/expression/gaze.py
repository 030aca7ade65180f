"""Gaze: saccades away from and back to the camera, with the statistics of the "Eyes Alive" model, and the eyeLook
channels that agree with the eye rotations.

The model is Lee, Badler & Badler (2002), "Eyes Alive", ACM Trans. Graphics 21(3) (SIGGRAPH), fitted to
eye-tracking of people in conversation:

- saccade magnitude A (degrees) has the density P(A) = -6.9 ln(A / 15.7) percent per degree on (0, 15.7]
  (their fit), i.e. ln(15.7 / A) / 15.7: the density of 15.7 U1 U2 for two independent uniforms, which is how
  :func:`saccade_magnitudes` draws it (median 2.93 degrees, mean 3.9 degrees);
- saccade duration D = 21 ms + 2.2 ms/degree x A (the main sequence they use);
- the time between saccades depends on whether the eyes meet the listener's (mutual gaze) or look away, and on
  whether the person talks or listens (their Gaussian fits, converted from frames at 30 fps): talking, mutual
  gaze 3.13 +- 3.16 s and averted 0.93 +- 0.80 s; listening, mutual gaze 7.92 +- 1.57 s and averted
  0.43 +- 0.24 s (:data:`GAZE_HOLD_S`). A Gaussian with the talking mean and spread puts 16 % of its mass below
  zero, so we draw from the gamma distribution with the same mean and standard deviation;
- directions: their measured direction histogram is dominated by the horizontal and vertical directions; we draw
  one of 8 directions (45 degrees apart), the 4 cardinal ones twice as likely as the diagonals.

The camera stands for the listener: the eyes start on it, look away by a saccade drawn from the model, hold, and
return to it by the opposite saccade, so they always come back to the camera. During fixations the eyes drift
slowly and slightly (:data:`DRIFT_DEG` standard deviation; fixational drift spans a few minutes of arc:
Martinez-Conde, Macknik & Hubel 2004, "The role of fixational eye movements in visual perception", Nat. Rev.
Neurosci. 5). Both eyes turn together (no vergence: the listener is taken as far away). Saccades follow a
minimum-jerk profile (Flash & Hogan 1985).

Angles are (pitch, yaw) in degrees, in the head's frame as :mod:`facemotion.expression.performance` states:
positive pitch looks down, positive yaw looks to the character's left.
"""

from dataclasses import dataclass

import numpy as np

from facemotion.expression.cues import SpeechCues, talking
from facemotion.expression.shapes import smooth_noise
from facemotion.face_models.names import ARKIT_INDEX

MAX_SACCADE_DEG = 15.7
"""The largest saccade of the model, degrees (where Lee et al.'s fitted density reaches zero)."""

SACCADE_BASE_S, SACCADE_S_PER_DEG = 0.021, 0.0022
"""Saccade duration = base + slope x amplitude: 21 ms + 2.2 ms/degree (Lee et al. 2002)."""

GAZE_HOLD_S: dict[tuple[bool, bool], tuple[float, float]] = {
    (True, True): (93.9 / 30, 94.9 / 30),
    (True, False): (27.8 / 30, 24.0 / 30),
    (False, True): (237.5 / 30, 47.1 / 30),
    (False, False): (13.0 / 30, 7.1 / 30),
}
"""(talking, mutual gaze) -> (mean, standard deviation) of the time to the next saccade in seconds (Lee et al.
2002, fitted in frames at 30 fps)."""

DIRECTION_WEIGHTS = np.array([2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0]) / 12.0
"""Probabilities of the 8 directions at 0, 45, ..., 315 degrees (0 = the character's left, 90 = up)."""

DRIFT_DEG, DRIFT_SMOOTHING_S = 0.1, 0.25
"""Fixational drift: standard deviation (degrees) and the Gaussian smoothing of its white noise (seconds)."""

EYE_LOOK_DEGREES = 30.0
"""Eye rotation (degrees) that an eyeLook* weight of 1 stands for, the same for the four directions.

ARKit defines 1 as the feature's largest movement. We take it as 30 degrees: the default head's (ICT-FaceKit)
eyeLookDown shape lowers the upper lid by 6-8 mm over an eyeball of about 12-15 mm radius, the lid of a
30-degree down-gaze (the upper lid follows vertical gaze about one to one: Becker & Fuchs 1988, "Lid-eye
coordination during vertical gaze changes in man and monkey", J. Neurophysiol. 60). The model's largest saccade
(15.7 degrees) is then a weight of about 0.5."""

EYE_LOOK_CHANNELS = tuple(
    f"eyeLook{direction}{side}" for side in ("Left", "Right") for direction in ("Down", "In", "Out", "Up")
)


@dataclass(frozen=True)
class Saccades:
    """A saccade schedule: each row one saccade.

    Attributes:
        onsets: (N,) float64 start times, seconds, increasing.
        durations: (N,) float64 seconds.
        amplitudes: (N,) float64 degrees (before any scaling of the performance).
        targets: (N, 2) float64 (pitch, yaw) the eyes land on, degrees ((0, 0) = the camera).
        away: (N,) bool, the saccade leaves the camera (else it returns to it).
    """

    onsets: np.ndarray
    durations: np.ndarray
    amplitudes: np.ndarray
    targets: np.ndarray
    away: np.ndarray

    @property
    def holds(self) -> np.ndarray:
        """(N - 1,) float64 seconds from the end of each saccade to the onset of the next."""
        return self.onsets[1:] - self.onsets[:-1] - self.durations[:-1]


def saccade_magnitudes(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n,) saccade amplitudes in degrees drawn from Lee et al.'s density ln(15.7 / A) / 15.7 on (0, 15.7]."""
    return MAX_SACCADE_DEG * rng.uniform(size=n) * rng.uniform(size=n)


def gaze_hold(rng: np.random.Generator, is_talking: bool, mutual: bool) -> float:
    """Seconds until the next saccade: a gamma draw with the mean and SD of :data:`GAZE_HOLD_S`."""
    mean, sd = GAZE_HOLD_S[(is_talking, mutual)]
    return float(rng.gamma((mean / sd) ** 2, sd**2 / mean))


def saccade_schedule(cues: SpeechCues, rng: np.random.Generator, scale: float = 1.0) -> Saccades:
    """Saccades away from the camera and back over the take.

    Args:
        cues: the take's cues (talking or listening at each saccade).
        rng: the random generator (its state advances).
        scale: factor on the amplitudes, >= 0; the durations follow the scaled amplitudes.

    Returns:
        The :class:`Saccades`, alternately away and back, the first one away.
    """

    def in_turn(time: float) -> bool:
        return bool(talking(cues, np.array([time]))[0])

    rows = []
    time, mutual = gaze_hold(rng, in_turn(0.0), True), True
    while time < cues.n_frames / cues.fps:
        if mutual:
            amplitude = float(saccade_magnitudes(rng, 1)[0])
            angle = np.deg2rad(45.0 * rng.choice(8, p=DIRECTION_WEIGHTS))
            target = scale * amplitude * np.array([-np.sin(angle), np.cos(angle)])  # up = negative pitch
        else:
            amplitude, target = rows[-1][2], np.zeros(2)
        length = SACCADE_BASE_S + SACCADE_S_PER_DEG * amplitude * scale
        rows.append((time, length, amplitude, target, mutual))
        mutual = not mutual
        time += length + gaze_hold(rng, in_turn(time + length), mutual)
    onsets, lengths, amplitudes, targets, away = zip(*rows) if rows else [()] * 5
    return Saccades(
        np.array(onsets, np.float64),
        np.array(lengths, np.float64),
        np.array(amplitudes, np.float64),
        np.array(targets, np.float64).reshape(-1, 2),
        np.array(away, bool),
    )


def gaze_angles(
    saccades: Saccades, fps: float, n_frames: int, rng: np.random.Generator, drift_deg: float = DRIFT_DEG
) -> np.ndarray:
    """Gaze direction over the frames: the saccades with a minimum-jerk profile, plus fixational drift.

    Args:
        saccades: from :func:`saccade_schedule`.
        fps: frame rate, > 0; frame t is at t / fps.
        n_frames: the number of frames T.
        rng: the random generator of the drift (its state advances).
        drift_deg: standard deviation of the fixational drift, degrees.

    Returns:
        (T, 2) float64 (pitch, yaw) in degrees.
    """
    times = np.arange(n_frames) / fps
    gaze = np.zeros((n_frames, 2))
    start = np.zeros(2)
    for onset, length, target in zip(saccades.onsets, saccades.durations, saccades.targets):
        s = np.clip((times - onset) / length, 0.0, 1.0)[:, None]
        gaze += (target - start) * (10 * s**3 - 15 * s**4 + 6 * s**5)
        start = target
    return gaze + drift_deg * smooth_noise(rng, n_frames, fps, DRIFT_SMOOTHING_S, 2)


def eye_look_weights(eye_rotation: np.ndarray) -> np.ndarray:
    """The eyeLook* ARKit channels of eye rotations, :data:`EYE_LOOK_DEGREES` per unit.

    Left eye (0): yaw > 0 (towards the character's left, away from the nose) is eyeLookOutLeft, yaw < 0
    eyeLookInLeft; right eye (1): yaw > 0 (towards the nose) is eyeLookInRight, yaw < 0 eyeLookOutRight; pitch > 0
    is eyeLookDown, pitch < 0 eyeLookUp, on each eye.

    Args:
        eye_rotation: (T, 2, 2) (pitch, yaw) of the left and right eye, degrees.

    Returns:
        (T, 52) float32, the 8 eyeLook channels in [0, 1] (clipped), zeros elsewhere.
    """
    units = eye_rotation / EYE_LOOK_DEGREES
    pitch, yaw = units[..., 0], units[..., 1]
    weights = np.zeros((len(eye_rotation), len(ARKIT_INDEX)), np.float32)
    for eye, side, outward in ((0, "Left", 1.0), (1, "Right", -1.0)):
        weights[:, ARKIT_INDEX[f"eyeLookDown{side}"]] = np.clip(pitch[:, eye], 0, 1)
        weights[:, ARKIT_INDEX[f"eyeLookUp{side}"]] = np.clip(-pitch[:, eye], 0, 1)
        weights[:, ARKIT_INDEX[f"eyeLookOut{side}"]] = np.clip(outward * yaw[:, eye], 0, 1)
        weights[:, ARKIT_INDEX[f"eyeLookIn{side}"]] = np.clip(-outward * yaw[:, eye], 0, 1)
    return weights
