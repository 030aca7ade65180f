"""Procedural motion completion: Cohen-Massaro dominance blending of key poses, with lip closure.

Source: M. M. Cohen and D. W. Massaro, "Modeling coarticulation in synthetic visual speech", in Models and
Techniques in Computer Animation, Springer, 1993. Each key pose ``P_i`` has a dominance
``D_i(t) = alpha_i * exp(-theta_i * |t - c_i|)`` around its anchor ``c_i`` (``theta_before`` ahead of
it, ``theta_after`` behind); the face at time ``t`` is ``sum_i D_i(t) P_i / sum_i D_i(t)``.

A weighted average never fully reaches a short pose between strong neighbours, which would leave the lips
apart on /p b m/. As in JALI (Edwards et al., SIGGRAPH 2016), lip closure of bilabials is therefore a
constraint applied after blending: around each bilabial the jaw rises part of the way, ARKit's
``mouthClose`` is raised to ``jawOpen`` (Apple: "closure of the lips independent of jaw position") and the
lip-opening channels are released.
"""

from dataclasses import dataclass

import numpy as np

from facemotion.face_models.names import ARKIT_INDEX
from facemotion.motion.keymotion import KeyMotions
from facemotion.text.visemes import BILABIAL_VISEME, SILENCE_VISEME

LIP_OPENING_CHANNELS: tuple[str, ...] = (
    "mouthFunnel", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight",
)
"""ARKit channels that part the lips without moving the jaw; lip closure releases them."""

DOMINANCE_CUTOFF = 1e-4
"""Relative dominance below which a key no longer influences a frame."""


@dataclass(frozen=True)
class ClosureSettings:
    """How the lips close on bilabials.

    Attributes:
        ramp_s: seconds over which the closure fades in before and out after a bilabial, >= 0.
        jaw_raise: fraction of ``jawOpen`` taken away at full closure, in [0, 1] (the jaw rises for a
            bilabial; the lips press together over what remains).
        pause_hold_s: a pause (``sil`` key) of at most this many seconds next to a bilabial keeps the lips
            closed throughout, >= 0 (0: never). Lips that close for /p b m/ stay together into a short pause
            after it (a final stop is often unreleased) and close ahead of one after a short pause; without the
            hold, the neighbours' poses blended into a short pause part the lips, and a bilabial timed a frame
            early or late (its closure inside the pause) shows open lips. Longer pauses rest the face (closed lips
            on the default head) anyway.
    """

    ramp_s: float = 0.05
    jaw_raise: float = 0.5
    pause_hold_s: float = 0.3


def blend_key_motions(keys: KeyMotions, n_frames: int, fps: float) -> np.ndarray:
    """Dominance-weighted average of the key poses, sampled at the frame times ``t / fps``.

    Args:
        keys: N key poses.
        n_frames: number of frames T, >= 0.
        fps: frames per second, > 0.

    Returns:
        (T, 52) float32 ARKit weights; frames no key reaches stay at rest (zeros).
    """
    numerator = np.zeros((n_frames, keys.poses.shape[1]), np.float32)
    denominator = np.zeros(n_frames, np.float64)
    reach_before = np.log(1.0 / DOMINANCE_CUTOFF) / keys.theta_before
    reach_after = np.log(1.0 / DOMINANCE_CUTOFF) / keys.theta_after
    for i, centre in enumerate(keys.centres):
        first = max(0, int(np.ceil((centre - reach_before[i]) * fps)))
        last = min(n_frames, int(np.floor((centre + reach_after[i]) * fps)) + 1)
        offsets = np.arange(first, last) / fps - centre
        theta = np.where(offsets < 0, keys.theta_before[i], keys.theta_after[i])
        dominance = keys.alpha[i] * np.exp(-theta * np.abs(offsets))
        numerator[first:last] += dominance[:, None] * keys.poses[i]
        denominator[first:last] += dominance
    reached = denominator > 0
    numerator[reached] /= denominator[reached, None]
    return numerator


def lip_closure(keys: KeyMotions, n_frames: int, fps: float, settings: ClosureSettings) -> np.ndarray:
    """How closed the lips must be at each frame, from the bilabial keys.

    The closure is 1 at every frame within half a frame of a bilabial's span, widened over a pause of at most
    ``settings.pause_hold_s`` right before or after it (so at least one frame of every bilabial, however short),
    and fades linearly to 0 over ``settings.ramp_s``.

    Returns:
        (T,) float32 closure in [0, 1].
    """
    times = np.arange(n_frames) / fps
    closure = np.zeros(n_frames, np.float64)
    for start, end in _closed_spans(keys, settings.pause_hold_s):
        distance = np.maximum(np.maximum(start - times, times - end), 0.0) - 0.5 / fps
        ramp = np.clip(1.0 - distance / max(settings.ramp_s, 1e-9), 0.0, 1.0)
        np.maximum(closure, np.where(distance <= 0, 1.0, ramp), out=closure)
    return closure.astype(np.float32)


def _closed_spans(keys: KeyMotions, pause_hold_s: float) -> list[tuple[float, float]]:
    """``(start, end)`` seconds of each bilabial key, widened over the ``sil`` key right before or after it when that
    pause lasts at most ``pause_hold_s`` seconds."""
    def short_pause(k: int) -> bool:
        return 0 <= k < len(keys) and keys.visemes[k] == SILENCE_VISEME \
            and keys.ends[k] - keys.starts[k] <= pause_hold_s

    return [(keys.starts[k - 1] if short_pause(k - 1) else keys.starts[k],
             keys.ends[k + 1] if short_pause(k + 1) else keys.ends[k])
            for k in np.flatnonzero([v == BILABIAL_VISEME for v in keys.visemes])]


def close_lips(weights: np.ndarray, closure: np.ndarray, settings: ClosureSettings) -> np.ndarray:
    """Apply lip closure to ARKit weights.

    Args:
        weights: (T, 52) float32 ARKit weights.
        closure: (T,) float32 closure in [0, 1].
        settings: how far the jaw rises.

    Returns:
        (T, 52) float32: ``jawOpen`` scaled by ``1 - jaw_raise * closure``, ``mouthClose`` raised to
        ``closure * jawOpen`` and the lip-opening channels (:data:`LIP_OPENING_CHANNELS`) scaled by
        ``1 - closure``.
    """
    out = weights.copy()
    jaw, close = ARKIT_INDEX["jawOpen"], ARKIT_INDEX["mouthClose"]
    out[:, jaw] *= 1.0 - settings.jaw_raise * closure
    out[:, close] = np.maximum(out[:, close], closure * out[:, jaw])
    opening = [ARKIT_INDEX[name] for name in LIP_OPENING_CHANNELS]
    out[:, opening] *= (1.0 - closure)[:, None]
    return out
