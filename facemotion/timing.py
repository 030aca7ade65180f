"""Time on the three clocks of a take, and the one set of conversions between them.

Seconds; motion frames at ``fps`` (frame ``t`` covers ``[t / fps, (t + 1) / fps)``); audio samples at 16 kHz
(:data:`SAMPLE_RATE`, sample ``s`` at ``s / 16000`` s). Inference, training windows and
lip-sync data all convert through these functions, so a frame's audio is the same samples everywhere.
"""

import math

SAMPLE_RATE = 16_000
"""The sample rate, in Hz, of every waveform inside facemotion."""

EPSILON = 1e-9
"""Slack, in frames, for products such as ``n_samples * fps / 16000`` that land on a whole number only up to
floating-point rounding (``1.0000000002`` frames is 1 frame, not 2)."""


def frames_covering(seconds: float, fps: float) -> int:
    """Frames needed to cover ``seconds`` of time, ``ceil(seconds * fps)``: the length of an animation of a take
    (every instant of the speech lies in a frame)."""
    return math.ceil(seconds * fps - EPSILON)


def frames_within(n_samples: int, fps: float) -> int:
    """Frames whose whole span lies within ``n_samples`` of 16 kHz audio, ``floor(n_samples / 16000 * fps)``: the
    frames of a training take whose speech is complete."""
    return math.floor(n_samples / SAMPLE_RATE * fps + EPSILON)


def frames_centred_within(n_samples: int, fps: float) -> int:
    """Frames whose centre ``(t + 0.5) / fps`` lies within ``n_samples`` of 16 kHz audio,
    ``floor(n_samples / 16000 * fps + 0.5)``: the frames an audio encoder describes."""
    return math.floor(n_samples / SAMPLE_RATE * fps + 0.5)


def window_frames(seconds: float, fps: float) -> int:
    """A window length given in seconds as whole frames, ``round(seconds * fps)``."""
    return round(seconds * fps)


def frame_sample(frame: int, fps: float) -> int:
    """The audio sample where frame ``frame`` starts, ``round(frame / fps * 16000)``."""
    return round(frame / fps * SAMPLE_RATE)


def frame_samples(start: int, end: int, fps: float) -> slice:
    """The audio samples of frames ``[start, end)``: ``slice(frame_sample(start), frame_sample(end))``; windows of
    equal frame counts may differ by one sample in length."""
    return slice(frame_sample(start, fps), frame_sample(end, fps))


def span_samples(start: float, end: float) -> slice:
    """The 16 kHz samples of ``[start, end)`` seconds, ``slice(round(start * 16000), round(end * 16000))``."""
    return slice(round(start * SAMPLE_RATE), round(end * SAMPLE_RATE))


def frame_features(start: int, end: int, fps: float, feature_rate: float, n_features: int) -> slice:
    """The speech-feature frames of motion frames ``[start, end)`` in a track of ``n_features`` (feature ``n`` at
    ``n / feature_rate`` s): from ``round(start / fps * rate)`` (at most the last frame) to
    ``round(end / fps * rate)`` (at most the track's end), never empty. The slice starts within half a feature frame of the motion frames, and
    exactly where ``start / fps * rate`` is whole (every 3 frames at 30 fps for 50 or 100 Hz features, as the 7 s
    steps of inference windows)."""
    first = min(round(start / fps * feature_rate), n_features - 1)
    return slice(first, min(n_features, max(first + 1, round(end / fps * feature_rate))))
