"""Frame-level prosody tracks of a waveform (numpy, no torch): loudness and pitch (F0), and pooling a track to an
animation frame rate. The learned models' log-mel spectrogram is :mod:`facemotion.audio.log_mel`."""

import numpy as np
import soxr
from numpy.lib.stride_tricks import sliding_window_view

from facemotion.audio.io import SAMPLE_RATE

LOUDNESS_HOP = SAMPLE_RATE // 100
"""Samples per loudness value: 10 ms at 16 kHz, so loudness tracks run at 100 values per second."""

LOUDNESS_FLOOR_DB = -100.0
"""Level given to digital silence, in dBFS."""


PITCH_RATE = 4000
"""Sample rate F0 is estimated at, Hz: speech F0 lies far below its 2 kHz Nyquist frequency, and YIN at 4 kHz costs
a fifth of 16 kHz's (on a minute of LJ Speech, 90 % of the vowels' F0 is within 0.16 semitone of YIN's at 8 kHz)."""

PITCH_MIN_HZ, PITCH_MAX_HZ = 60.0, 500.0
"""The F0 search range, Hz: from creaky male voices to children's (Titze 1994, *Principles of Voice Production*)."""


def pitch_hz(waveform: np.ndarray) -> np.ndarray:
    """Fundamental frequency every 10 ms, by YIN (de Cheveigné & Kawahara 2002, "YIN, a fundamental frequency
    estimator for speech and music", JASA 111(4)) on the waveform resampled to 4 kHz (soxr), as ``librosa.yin``
    computes it (:func:`_yin`: the same numbers, without librosa's pitch module).

    YIN gives an estimate in every frame, voiced or not: read it where the speech is voiced (vowels). Frame n is
    centred at ``n / 100`` s and spans 40 ms (two periods of the lowest F0), like the loudness track's n-th window.

    Args:
        waveform: (S,) float32 mono samples at 16 kHz.

    Returns:
        (ceil(S / 160),) float32 F0 in Hz, from 59.7 (4 kHz over the longest period searched, 67 samples, the
        first whole one at or above :data:`PITCH_MIN_HZ`'s) to :data:`PITCH_MAX_HZ`.

    Raises:
        ValueError: when the waveform is not 1-D.
    """
    if waveform.ndim != 1:
        raise ValueError(f"waveform must be 1-D, got shape {waveform.shape}")
    n = -(-len(waveform) // LOUDNESS_HOP)
    low = soxr.resample(waveform, SAMPLE_RATE, PITCH_RATE)
    low = np.pad(low, (0, max(0, PITCH_RATE // 25 - len(low))))
    f0 = _yin(low, PITCH_RATE, frame_length=PITCH_RATE // 25, hop_length=PITCH_RATE // 100)
    return np.pad(f0, (0, max(0, n - len(f0))), mode="edge")[:n].astype(np.float32)


YIN_THRESHOLD = 0.1
"""YIN's absolute threshold on the cumulative mean normalised difference (de Cheveigné & Kawahara's step 4;
``librosa.yin``'s default ``trough_threshold``)."""


def _yin(samples: np.ndarray, rate: int, frame_length: int, hop_length: int) -> np.ndarray:
    """F0 in Hz of frames centred every ``hop_length`` samples (zero-padded at both ends), searched in
    [:data:`PITCH_MIN_HZ`, :data:`PITCH_MAX_HZ`]: ``librosa.yin(samples, fmin=PITCH_MIN_HZ, fmax=PITCH_MAX_HZ,
    sr=rate, frame_length=frame_length, hop_length=hop_length)`` step for step (librosa 0.11, ISC licence;
    tests/audio compares the two), in numpy and ``scipy.fft`` because librosa's pitch module compiles or loads
    numba kernels on import, seconds of every process's start.

    Returns:
        (1 + len(samples) // hop_length,) float64 F0 in Hz.
    """
    import scipy.fft  # here: only performances need F0

    padded = np.pad(samples, frame_length // 2)
    frames = sliding_window_view(padded, frame_length)[::hop_length].T  # (frame_length, n_frames)
    min_period = int(np.floor(rate / PITCH_MAX_HZ))
    max_period = min(int(np.ceil(rate / PITCH_MIN_HZ)), frame_length - 1)
    # the difference function (step 2) from the autocorrelation, as librosa.autocorrelate computes it
    n_fft = scipy.fft.next_fast_len(2 * frame_length - 1, real=True)
    spectrum = scipy.fft.rfft(frames, n=n_fft, axis=0)
    acf = scipy.fft.irfft(spectrum.real**2 + spectrum.imag**2, n=n_fft, axis=0)[: max_period + 1]
    energy = np.cumsum(np.square(frames), axis=0)
    energy[0] = 0  # as librosa: the first lag's difference leaves out the first sample's energy
    lags = slice(1, max_period + 1)
    difference = np.zeros_like(energy)
    difference[lags] = 2 * (acf[0:1] - acf[lags]) - energy[: max_period]
    # the cumulative mean normalised difference (step 3) over the periods searched
    mean = np.cumsum(difference[lags], axis=0) / np.arange(1, max_period + 1)[:, None]
    denominator = mean[min_period - 1 : max_period]
    cmnd = difference[min_period : max_period + 1] / (denominator + np.finfo(denominator.dtype).tiny)
    # parabolic interpolation of each lag (step 5), none at the edges or past a neighbouring lag
    curvature = cmnd[2:] + cmnd[:-2] - 2 * cmnd[1:-1]
    slope = (cmnd[2:] - cmnd[:-2]) / 2
    shifts = np.zeros_like(cmnd)
    with np.errstate(divide="ignore", invalid="ignore"):
        shifts[1:-1] = np.where(np.abs(slope) >= np.abs(curvature), 0, -slope / curvature)
    # the first trough under the threshold (step 4), else the global minimum
    trough = np.empty(cmnd.shape, bool)
    trough[0] = cmnd[0] < cmnd[1]
    trough[1:-1] = (cmnd[1:-1] < cmnd[:-2]) & (cmnd[1:-1] <= cmnd[2:])
    trough[-1] = cmnd[-1] < cmnd[-2]
    below = trough & (cmnd < YIN_THRESHOLD)
    lag = np.where(below.any(axis=0), np.argmax(below, axis=0), np.argmin(cmnd, axis=0))
    period = min_period + lag + np.take_along_axis(shifts, lag[None], axis=0)[0]
    return rate / period


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
