"""Frame-level audio features: loudness, and pooling of a feature track to an animation frame rate."""

import numpy as np

from facemotion.audio.io import SAMPLE_RATE

LOUDNESS_HOP = SAMPLE_RATE // 100
"""Samples per loudness value: 10 ms at 16 kHz, so loudness tracks run at 100 values per second."""

LOUDNESS_FLOOR_DB = -100.0
"""Level given to digital silence, in dBFS."""


def loudness_db(waveform: np.ndarray) -> np.ndarray:
    """RMS level of consecutive 10 ms windows.

    Args:
        waveform: (S,) float32 mono samples at 16 kHz, full scale = 1.

    Returns:
        (ceil(S / 160),) float32 level in dBFS (0 dB = a full-scale square wave), at least
        :data:`LOUDNESS_FLOOR_DB`; the last window is zero-padded.

    Raises:
        ValueError: when the waveform is not 1-D.
    """
    if waveform.ndim != 1:
        raise ValueError(f"waveform must be 1-D, got shape {waveform.shape}")
    n = -(-len(waveform) // LOUDNESS_HOP)
    padded = np.zeros(n * LOUDNESS_HOP, np.float64)
    padded[: len(waveform)] = waveform
    power = np.square(padded).reshape(n, LOUDNESS_HOP).mean(axis=1)
    floor = 10.0 ** (LOUDNESS_FLOOR_DB / 10.0)
    return (10.0 * np.log10(np.maximum(power, floor))).astype(np.float32)


def pool_to_frames(track: np.ndarray, rate: float, fps: float, n_frames: int) -> np.ndarray:
    """Average a feature track over each animation frame.

    Frame ``t`` covers ``[t / fps, (t + 1) / fps)``; it takes the mean of the track values whose
    window starts inside it, or the nearest value when none does (fps above the track's rate).

    Args:
        track: (N, ...) values at ``rate`` per second, value ``n`` starting at ``n / rate`` s.
        rate: the track's rate in Hz, > 0.
        fps: the animation frame rate, > 0.
        n_frames: number of output frames T, >= 0.

    Returns:
        (T, ...) float32.

    Raises:
        ValueError: for an empty track, or rates that are not > 0.
    """
    if len(track) == 0 or not (rate > 0 and fps > 0) or n_frames < 0:
        raise ValueError("pool_to_frames needs a non-empty track, rate > 0, fps > 0 and n_frames >= 0")
    edges = np.ceil(np.arange(n_frames + 1) * rate / fps).astype(np.int64).clip(0, len(track))
    sums = np.concatenate([np.zeros((1, *track.shape[1:])), np.cumsum(track, axis=0, dtype=np.float64)])
    counts = np.diff(edges)
    nearest = np.minimum(np.floor((np.arange(n_frames) + 0.5) * rate / fps).astype(np.int64), len(track) - 1)
    pooled = (sums[edges[1:]] - sums[edges[:-1]]) / np.maximum(counts, 1).reshape(-1, *[1] * (track.ndim - 1))
    empty = counts == 0
    pooled[empty] = track[nearest[empty]]
    return pooled.astype(np.float32)
