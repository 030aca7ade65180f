"""Curve shapes the behaviours share: a raised-cosine pulse and smooth Gaussian noise, sampled on frames."""

import numpy as np
from scipy.ndimage import gaussian_filter1d


def frames_between(start: float, end: float, fps: float) -> slice:
    """The frames whose times t / fps lie in [start, end) seconds (clipped at frame 0)."""
    return slice(max(int(np.ceil(start * fps)), 0), max(int(np.ceil(end * fps)), 0))


def pulse(times: np.ndarray, start: float, attack: float, hold: float, release: float) -> np.ndarray:
    """(N,) float64 in [0, 1]: 0 before ``start``, a raised-cosine rise over ``attack`` seconds, 1 for ``hold``
    seconds, a raised-cosine fall over ``release`` seconds, then 0. Durations > 0 except ``hold`` >= 0."""
    t = times - start
    rise = 0.5 - 0.5 * np.cos(np.pi * np.clip(t / attack, 0.0, 1.0))
    fall = 0.5 + 0.5 * np.cos(np.pi * np.clip((t - attack - hold) / release, 0.0, 1.0))
    return np.where(t < attack + hold, rise, fall)


def smooth_noise(rng: np.random.Generator, n_frames: int, fps: float, smoothing_s: float, channels: int) -> np.ndarray:
    """(T, channels) float64 white Gaussian noise smoothed by a Gaussian of ``smoothing_s`` seconds (its SD), with
    unit standard deviation in expectation (the smoothing kernel's energy divided out, so that a short take's noise
    is not inflated by its own sample spread); drawn with a margin of 4 SD on each side, so that the first and last
    frames are as smooth as the rest."""
    sigma = smoothing_s * fps
    margin = int(np.ceil(4 * sigma))
    noise = gaussian_filter1d(rng.standard_normal((n_frames + 2 * margin, channels)), sigma, axis=0)
    return noise[margin : margin + n_frames] * np.sqrt(2.0 * np.sqrt(np.pi) * max(sigma, 0.5 / np.sqrt(np.pi)))
