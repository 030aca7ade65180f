"""Frame-level audio features: loudness, pitch (F0), the log-mel spectrogram, and bringing a feature track to an animation
frame rate (pooling for numpy tracks, differentiable linear interpolation for batched tensors)."""

import math

import numpy as np
import soxr
import torch
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


MEL_HOP = SAMPLE_RATE // 100
"""Samples between log-mel frames: 10 ms at 16 kHz."""

MEL_FRAME_RATE = SAMPLE_RATE / MEL_HOP
"""Log-mel frames per second (100.0: a 10 ms hop at 16 kHz)."""

MEL_WINDOW = SAMPLE_RATE // 40
"""Log-mel analysis window and FFT size in samples: 25 ms at 16 kHz (400)."""

MEL_FMIN, MEL_FMAX = 20.0, 7600.0
"""Band edges of the mel filterbank in Hz."""

LOG_MEL_FLOOR = 1e-6
"""Added to the mel power before the (natural) log, so that digital silence gives log(1e-6) = -13.8."""


def check_waveform_batch(waveform: torch.Tensor) -> None:
    """Check a batch of waveforms: a floating-point (B, S) tensor with S >= 1 and only finite samples.

    Raises:
        ValueError: for another shape (a single (S,) waveform must be given as ``waveform[None]``), an integer
            dtype, no samples, or NaN / Inf samples.
    """
    if waveform.ndim != 2:
        raise ValueError(f"waveform must be (B, S); got shape {tuple(waveform.shape)} (use waveform[None] for one)")
    if not waveform.is_floating_point():
        raise ValueError(f"waveform must be floating point, got {waveform.dtype}")
    if waveform.shape[1] == 0:
        raise ValueError("waveform has no samples")
    if not torch.isfinite(waveform).all():
        raise ValueError("waveform holds NaN or Inf samples")


class LogMel(torch.nn.Module):
    """Log-mel spectrogram of 16 kHz speech, batched and differentiable.

    ``torch.stft`` with a 25 ms periodic Hann window (n_fft = 400), a 10 ms hop (160 samples) and ``center=True``
    with zero padding (librosa's default ``pad_mode="constant"``); power spectrum |X|^2; the mel filterbank of
    ``librosa.filters.mel`` (Slaney mel scale, ``htk=False``, Slaney area normalisation, 20 Hz to 7600 Hz);
    then the natural log of (mel power + :data:`LOG_MEL_FLOOR`). 25 ms windows every 10 ms are the usual framing
    of speech recognisers at 16 kHz (Whisper's 80-band log-mel uses the same STFT). The output equals
    ``log(librosa.feature.melspectrogram(y, sr=16000, n_fft=400, hop_length=160, fmin=20, fmax=7600) + 1e-6)``.

    Attributes:
        dim: the number of mel bands C.
        frame_rate: frames per second, :data:`MEL_FRAME_RATE`; frame n is centred on sample 160 n (time n / 100 s).
    """

    def __init__(self, n_mels: int = 80):
        """
        Args:
            n_mels: the number of mel bands, >= 1 (past about 150 bands some filters of a 400-point FFT are empty
                and librosa warns).

        Raises:
            ValueError: when n_mels is not a positive integer.
        """
        super().__init__()
        if isinstance(n_mels, bool) or not isinstance(n_mels, int) or n_mels < 1:
            raise ValueError(f"n_mels must be a positive integer, got {n_mels!r}")
        import librosa.filters  # here, not at the top: importing librosa takes about a second

        basis = librosa.filters.mel(
            sr=SAMPLE_RATE, n_fft=MEL_WINDOW, n_mels=n_mels, fmin=MEL_FMIN, fmax=MEL_FMAX, htk=False, norm="slaney"
        )
        self.register_buffer("mel_basis", torch.from_numpy(basis), persistent=False)
        self.register_buffer("window", torch.hann_window(MEL_WINDOW), persistent=False)
        self.dim = n_mels
        self.frame_rate = MEL_FRAME_RATE

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        """
        Args:
            waveform: (B, S) floating-point samples at 16 kHz, full scale = 1. A single waveform is (1, S).

        Returns:
            (B, S // 160 + 1, n_mels) natural-log mel power, in the waveform's dtype.

        Raises:
            ValueError: see :func:`check_waveform_batch`.
        """
        check_waveform_batch(waveform)
        spectrum = torch.stft(
            waveform,
            n_fft=MEL_WINDOW,
            hop_length=MEL_HOP,
            window=self.window.to(waveform.dtype),
            center=True,
            pad_mode="constant",
            return_complex=True,
        )
        power = spectrum.real.square() + spectrum.imag.square()  # not abs()**2, whose gradient is NaN at 0
        mel = torch.matmul(self.mel_basis.to(waveform.dtype), power)
        return torch.log(mel + LOG_MEL_FLOOR).transpose(1, 2)


def align_to_fps(features: torch.Tensor, feature_rate: float, fps: float, n_frames: int) -> torch.Tensor:
    """Resample a batched feature track to the motion frame rate by linear interpolation in time.

    Feature n sits at time ``n / feature_rate`` (the centre of its analysis window: exact for :class:`LogMel`;
    wav2vec 2.0-style encoders' frame n covers [20 n, 20 n + 25) ms, centred 12.5 ms later). Output frame t is
    taken at the centre of [t / fps, (t + 1) / fps), time ``(t + 0.5) / fps``. Times after the last feature
    take its value, so ``n_frames`` may ask for more frames than the audio covers.
    FaceFormer (Fan et al., CVPR 2022) likewise interpolates wav2vec 2.0 features linearly to the motion rate.
    Differentiable with respect to ``features``.

    Args:
        features: (B, T_a, C) floating point, T_a >= 1, at ``feature_rate``.
        feature_rate: features per second, > 0.
        fps: output frames per second, > 0.
        n_frames: the number of output frames T, >= 0.

    Returns:
        (B, T, C) in the features' dtype and device.

    Raises:
        ValueError: for another shape, no features, rates that are not finite and > 0, or a negative n_frames.
    """
    if features.ndim != 3 or features.shape[1] == 0 or not features.is_floating_point():
        raise ValueError(f"features must be floating point (B, T_a, C) with T_a >= 1, got {tuple(features.shape)}")
    if not (math.isfinite(feature_rate) and feature_rate > 0 and math.isfinite(fps) and fps > 0):
        raise ValueError(f"feature_rate and fps must be finite and > 0, got {feature_rate} and {fps}")
    if isinstance(n_frames, bool) or not isinstance(n_frames, int) or n_frames < 0:
        raise ValueError(f"n_frames must be an integer >= 0, got {n_frames!r}")
    last = features.shape[1] - 1
    times = torch.arange(n_frames, dtype=torch.float64, device=features.device) + 0.5
    position = (times * (feature_rate / fps)).clamp(0, last)
    lower = position.floor().long()
    upper = (lower + 1).clamp(max=last)
    weight = (position - lower).to(features.dtype)[None, :, None]
    return features[:, lower] * (1 - weight) + features[:, upper] * weight
