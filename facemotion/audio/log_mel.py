"""The log-mel spectrogram of the learned models (torch, batched, differentiable) and bringing a batched feature
track to an animation frame rate by linear interpolation. Kept apart from :mod:`facemotion.audio.features` so that
the procedural path never imports torch (about 2 s of a command's start-up)."""

import math

import torch

from facemotion.audio.io import SAMPLE_RATE

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
