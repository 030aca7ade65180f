"""A face that performs: blinks, gaze, brow raises, head motion and breathing timed by the speech, composed into one
layer that is laid over the speech motion without touching the mouth.

    phonemes, voice activity, loudness, F0 ──▶ cues (phrases, pauses, prominent syllables, F0)
        ──▶ blinks · gaze (saccades) · brows · head motion · breathing ──▶ Performance ──▶ lay_over(weights)

Conventions (also those of :attr:`Performance.head_rotation` and :attr:`Performance.eye_rotation`):

- The rig frame: +Y up, +Z out of the face toward the viewer, +X to the character's left.
- ``head_rotation[t] = (pitch, yaw, roll)`` in degrees, right-handed rotations about the head's +X, +Y and +Z
  axes: positive pitch = chin down (a nod), positive yaw = the face turns to the character's left, positive roll =
  the head tilts toward the character's right shoulder. The head's rotation matrix is
  ``R = Ry(yaw) @ Rx(pitch) @ Rz(roll)``.
- ``eye_rotation[t, e] = (pitch, yaw)`` of eye e (0 = the character's left eye, 1 = the right eye), in degrees
  relative to the head, same axes and signs: positive pitch looks down, positive yaw looks to the character's
  left. The eyeLook* channels agree with it at :data:`~facemotion.expression.gaze.EYE_LOOK_DEGREES` degrees per
  unit (:func:`~facemotion.expression.gaze.eye_look_weights`): left eye yaw > 0 is eyeLookOutLeft, right eye
  yaw > 0 is eyeLookInRight, pitch > 0 is eyeLookDown.

The gaze model holds the eyes on the camera in the world; while the head moves, the eyes counter-rotate by the
head's pitch and yaw (the vestibulo-ocular reflex), so ``eye_rotation = gaze - head_rotation[:, :2]``.

Each behaviour draws from its own random stream (``numpy.random.SeedSequence(seed).spawn``), so one seed gives
the same performance run after run, and switching one behaviour off leaves the others unchanged.
"""

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from facemotion.expression.blinks import BLINK_CHANNELS, SQUINT_CHANNELS, blink_schedule, blink_weights
from facemotion.expression.breathing import NOSTRIL_CHANNELS, breath_weights, breaths
from facemotion.expression.brows import RAISE, brow_raises, brow_weights
from facemotion.expression.cues import speech_cues
from facemotion.expression.gaze import (
    DRIFT_DEG,
    EYE_LOOK_CHANNELS,
    eye_look_weights,
    gaze_angles,
    saccade_schedule,
)
from facemotion.expression.head_motion import head_rotation
from facemotion.face_models.names import ARKIT_52, ARKIT_INDEX
from facemotion.text.phonemes import PhonemeSegment

MOUTH_CHANNELS: tuple[str, ...] = tuple(
    name for name in ARKIT_52 if name.startswith(("jaw", "mouth")) or name in ("cheekPuff", "tongueOut")
)
"""The channels of the speech motion (every jaw*, mouth*, cheekPuff, tongueOut): never driven by a performance."""

MAX_CHANNELS: tuple[str, ...] = BLINK_CHANNELS + SQUINT_CHANNELS
"""Channels :func:`lay_over` lays by maximum (a blink closes the lids whatever else they do)."""

ADD_CHANNELS: tuple[str, ...] = EYE_LOOK_CHANNELS + tuple(RAISE) + NOSTRIL_CHANNELS
"""Channels :func:`lay_over` adds (and clips to [0, 1]): eye look, brow raises, nostril flare."""


@dataclass(frozen=True)
class PerformanceSettings:
    """Which behaviours perform, and how large.

    Attributes:
        blinks, gaze, brows, head, breathing: each behaviour on (True) or off (its output is zero).
        scale: factor on the amplitudes of gaze (saccades and drift), brow raises, head motion and the nostril
            flare, >= 0 (1 = the amplitudes the behaviours' modules cite). Blinks always close the lids fully: switch
            them off instead.

    Raises:
        TypeError: for a switch that is not a bool.
        ValueError: for a scale that is not a finite number >= 0.
    """

    blinks: bool = True
    gaze: bool = True
    brows: bool = True
    head: bool = True
    breathing: bool = True
    scale: float = 1.0

    def __post_init__(self) -> None:
        for field in fields(self)[:-1]:
            if not isinstance(getattr(self, field.name), bool):
                raise TypeError(f"{field.name} must be a bool, got {getattr(self, field.name)!r}")
        if isinstance(self.scale, bool) or not isinstance(self.scale, numbers.Real) or not 0 <= self.scale < math.inf:
            raise ValueError(f"scale must be a finite number >= 0, got {self.scale!r}")


@dataclass(frozen=True)
class Performance:
    """The performance layer of a take, T frames at the take's frame rate.

    Attributes:
        weights: (T, 52) float32 ARKit weights in [0, 1] on the channels of :data:`MAX_CHANNELS` and
            :data:`ADD_CHANNELS` (blinks, squint at closure, eye look, brow raises, nostril flare); zeros
            elsewhere, the :data:`MOUTH_CHANNELS` included.
        head_rotation: (T, 3) float32 (pitch, yaw, roll) of the head in degrees: right-handed rotations about the
            head's +X, +Y, +Z axes of the rig frame (+Y up, +Z out of the face toward the viewer, +X to the
            character's left); positive pitch = chin down (a nod), positive yaw = the face turns to the character's
            left, positive roll = the head tilts toward the character's right shoulder; R = Ry(yaw) @ Rx(pitch) @
            Rz(roll).
        eye_rotation: (T, 2, 2) float32: ``eye_rotation[t, e]`` = (pitch, yaw) of eye e (0 = the character's left
            eye, 1 = the right eye) relative to the head, in degrees, same axes and signs: positive pitch looks
            down, positive yaw looks to the character's left. The eyeLook* weights agree with it
            (:func:`~facemotion.expression.gaze.eye_look_weights`).

    Raises:
        ValueError: for other shapes, frame counts that differ, another dtype, non-finite values, weights outside
            [0, 1] or on another channel.
    """

    weights: np.ndarray
    head_rotation: np.ndarray
    eye_rotation: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.weights)
        for name, shape in (("weights", (n, 52)), ("head_rotation", (n, 3)), ("eye_rotation", (n, 2, 2))):
            array = getattr(self, name)
            if not isinstance(array, np.ndarray) or array.shape != shape or array.dtype != np.float32:
                got = f"{array.dtype} {array.shape}" if isinstance(array, np.ndarray) else type(array).__name__
                raise ValueError(f"{name} must be a float32 array of shape {shape}, got {got}")
            if not np.isfinite(array).all():
                raise ValueError(f"{name} holds NaN or Inf")
        if self.weights.min(initial=0.0) < 0 or self.weights.max(initial=0.0) > 1:
            raise ValueError("weights must lie in [0, 1]")
        others = [i for i, name in enumerate(ARKIT_52) if name not in MAX_CHANNELS + ADD_CHANNELS]
        if np.any(self.weights[:, others]):
            raise ValueError("a performance drives only its own channels (never the mouth)")

    @property
    def n_frames(self) -> int:
        """The number of frames T."""
        return len(self.weights)


def perform(
    phonemes: Sequence[PhonemeSegment],
    speech_spans: Sequence[tuple[float, float]],
    loudness_db: np.ndarray,
    pitch_hz: np.ndarray,
    fps: float,
    n_frames: int,
    settings: PerformanceSettings = PerformanceSettings(),
    seed: int = 0,
    intensity: float = 0.0,
) -> Performance:
    """Blinks, gaze, brows, head motion and breathing for a take, timed by its speech.

    Args:
        phonemes: aligned phoneme segments in time order (:class:`~facemotion.text.phonemes.PhonemeSegment`,
            seconds; words are not needed).
        speech_spans: ``(start, end)`` voice-activity spans in seconds (Silero VAD).
        loudness_db: (ceil(S / 160),) float32 dBFS per 10 ms at 16 kHz (:func:`facemotion.audio.features.loudness_db`).
        pitch_hz: (ceil(S / 160),) float32 F0 per 10 ms, the same length as ``loudness_db``
            (:func:`facemotion.audio.features.pitch_hz`; it finds the pitch accents).
        fps: frame rate, finite and > 0; frame t is at t / fps.
        n_frames: the number of frames T >= 0, ``ceil(duration * fps)`` for the take.
        settings: which behaviours, and their amplitude.
        seed: seed of the random streams, an integer >= 0: the same seed gives the same performance.
        intensity: emotion intensity in [0, 1]; head motion grows with it
            (:data:`~facemotion.expression.head_motion.INTENSITY_GAIN`).

    Returns:
        The :class:`Performance`; all zeros for the behaviours switched off.

    Raises:
        TypeError: for a seed or n_frames that is not an integer.
        ValueError: for loudness and pitch tracks that are not 1-D, non-empty, finite and of one length, fps not finite and > 0, n_frames < 0, a seed < 0, or an intensity outside [0, 1].
    """
    _check(loudness_db, pitch_hz, fps, n_frames, seed, intensity)
    weights = np.zeros((n_frames, len(ARKIT_52)), np.float32)
    head = np.zeros((n_frames, 3))
    eyes = np.zeros((n_frames, 2, 2), np.float32)
    blinking, looking, heading = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    on = settings
    if not (on.blinks or on.gaze or on.brows or on.head or on.breathing):
        return Performance(weights, head.astype(np.float32), eyes)
    cues = speech_cues(phonemes, speech_spans, loudness_db, pitch_hz, fps, n_frames)
    if on.blinks:
        weights += blink_weights(blink_schedule(cues, blinking), fps, n_frames)
    if on.brows:
        weights += brow_weights(brow_raises(cues), fps, n_frames, on.scale)
    if on.breathing:
        weights += breath_weights(breaths(cues), fps, n_frames, on.scale)
    if on.head:
        head = head_rotation(cues, heading, on.scale, intensity)
    if on.gaze:
        gaze = gaze_angles(saccade_schedule(cues, looking, on.scale), fps, n_frames, looking, DRIFT_DEG * on.scale)
        eyes[:] = (gaze - head[:, :2])[:, None, :]  # the vestibulo-ocular reflex holds the gaze on the camera
        weights += eye_look_weights(eyes)
    return Performance(weights, head.astype(np.float32), eyes)


def lay_over(weights: np.ndarray, performance: Performance) -> np.ndarray:
    """Lay a performance over an animation's weights: blinks and squint by maximum, eye look, brows and nostrils
    added and clipped to [0, 1]; every other channel, the mouth's above all, is returned bit-identical.

    Args:
        weights: (T, 52) ARKit weights of the speech motion, floating point.
        performance: a :class:`Performance` of the same T.

    Returns:
        (T, 52) weights in the input's dtype, a new array.

    Raises:
        ValueError: for another shape or a frame count that differs from the performance's.
    """
    if weights.ndim != 2 or weights.shape[1] != len(ARKIT_52) or len(weights) != performance.n_frames:
        raise ValueError(f"weights must be ({performance.n_frames}, 52) to match the performance, got {weights.shape}")
    out = weights.copy()
    laid = [ARKIT_INDEX[name] for name in MAX_CHANNELS]
    out[:, laid] = np.maximum(out[:, laid], performance.weights[:, laid])
    added = [ARKIT_INDEX[name] for name in ADD_CHANNELS]
    out[:, added] = np.clip(out[:, added] + performance.weights[:, added], 0.0, 1.0)
    return out


def _check(
    loudness_db: np.ndarray, pitch_hz: np.ndarray, fps: float, n_frames: int, seed: int, intensity: float
) -> None:
    for name, track in (("loudness_db", loudness_db), ("pitch_hz", pitch_hz)):
        if not isinstance(track, np.ndarray) or track.ndim != 1 or not len(track):
            raise ValueError(f"{name} must be a non-empty 1-D array (one value per 10 ms)")
        if not np.isfinite(track).all():
            raise ValueError(f"{name} holds NaN or Inf")
    if len(pitch_hz) != len(loudness_db):
        raise ValueError(f"pitch_hz has {len(pitch_hz)} values and loudness_db {len(loudness_db)}: one per 10 ms each")
    if isinstance(fps, bool) or not isinstance(fps, numbers.Real) or not 0 < fps < math.inf:
        raise ValueError(f"fps must be finite and > 0, got {fps!r}")
    for name, value in (("n_frames", n_frames), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an integer, got {value!r}")
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    if isinstance(intensity, bool) or not isinstance(intensity, numbers.Real) or not 0 <= intensity <= 1:
        raise ValueError(f"intensity must be in [0, 1], got {intensity!r}")
