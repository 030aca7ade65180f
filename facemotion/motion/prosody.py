"""Speech prosody on the face: the jaw opens with loudness and the mouth rests in silences."""

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import distance_transform_edt

from facemotion.face_models.names import ARKIT_INDEX

JAW_CHANNELS: tuple[str, ...] = ("jawOpen", "mouthLowerDownLeft", "mouthLowerDownRight")
"""ARKit channels whose amplitude follows the loudness of the speech."""


@dataclass(frozen=True)
class ProsodySettings:
    """How loudness and silence shape the mouth.

    Attributes:
        reference_percentile: percentile of the speech frames' level taken as full loudness (0..100).
        range_db: level drop, in dB below the reference, at which the jaw gain reaches ``min_gain``
            along a straight line from 1.
        min_gain: the smallest jaw gain in speech, in (0, 1].
        rest_ramp_s: seconds over which the mouth settles to rest after speech and leaves rest before it.

    ``min_gain`` 0.63 (0.35 before issue 13) is measured on real captures, the FACEGOOD training takes 1114_2_01..05
    (``python -m benchmarks.mouth_opening --fit``): over their speech frames binned by level below the reference,
    the 90th percentile of captured jawOpen falls to 0.90 of its full-loudness value at -10..-15 dB, 0.78 at
    -15..-20 dB and 0.60 at -25..-30 dB; a line through 1 at the reference fitted to those bins (least squares,
    weighted by frame counts) loses 0.0123 per dB, so 1 - 0.0123 * 30 dB = 0.63. The old line (0.0217 per dB)
    closed quiet syllables about twice as much as the captured speaker does.
    """

    reference_percentile: float = 90.0
    range_db: float = 30.0
    min_gain: float = 0.63
    rest_ramp_s: float = 0.12


def jaw_gain(loudness_db: np.ndarray, speech: np.ndarray, settings: ProsodySettings) -> np.ndarray:
    """Jaw amplitude from loudness, relative to the speaker's own level in this recording.

    Args:
        loudness_db: (T,) float32 per-frame level in dBFS.
        speech: (T,) bool, frames inside speech.
        settings: the loudness mapping.

    Returns:
        (T,) float32 gain in [min_gain, 1]: 1 at or above the reference level, falling linearly with
        the level; all ones when there is no speech.
    """
    if not speech.any():
        return np.ones(len(loudness_db), np.float32)
    reference = np.percentile(loudness_db[speech], settings.reference_percentile)
    gain = 1.0 + (loudness_db - reference) * (1.0 - settings.min_gain) / settings.range_db
    return np.clip(gain, settings.min_gain, 1.0).astype(np.float32)


def rest_gate(speech: np.ndarray, fps: float, settings: ProsodySettings) -> np.ndarray:
    """1 inside speech, falling linearly to 0 within ``rest_ramp_s`` outside it.

    Args:
        speech: (T,) bool, frames inside speech.
        fps: frames per second.

    Returns:
        (T,) float32 gate in [0, 1] (all zeros when there is no speech).
    """
    if not speech.any():
        return np.zeros(len(speech), np.float32)
    frames_away = distance_transform_edt(~speech)
    ramp_frames = max(settings.rest_ramp_s * fps, 1.0)
    return np.clip(1.0 - frames_away / ramp_frames, 0.0, 1.0).astype(np.float32)


def apply_prosody(weights: np.ndarray, gain: np.ndarray, gate: np.ndarray) -> np.ndarray:
    """Scale the jaw channels by ``gain`` and every channel by ``gate``.

    Args:
        weights: (T, 52) float32 ARKit weights.
        gain: (T,) float32 jaw gain.
        gate: (T,) float32 rest gate.

    Returns:
        (T, 52) float32 weights.
    """
    out = weights * gate[:, None]
    jaw = [ARKIT_INDEX[name] for name in JAW_CHANNELS]
    out[:, jaw] *= gain[:, None]
    return out
