"""The two streams of the sync expert: mouth crops and speech, each to one embedding per motion frame.

Both end in the same temporal model, residual 1D convolutions over frames, as the temporal convolutional back
ends of lip readers (Martinez et al., "Lipreading using Temporal Convolutional Networks", ICASSP 2020) and
SyncNet's windows of 5 frames / 0.2 s of audio (Chung & Zisserman, "Out of time: automated lip sync in the
wild", ACCV 2016 workshops): with two blocks of kernel 5 and the 5-frame 3D stem, a visual embedding sees
+-6 frames (+-200 ms at 30 fps).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from facemotion.audio.log_mel import MEL_FRAME_RATE, LogMel, align_to_fps, check_waveform_batch
from facemotion.lipreading.frontends import LightFrontend
from facemotion.timing import frames_centred_within

__all__ = ["AudioSyncEncoder", "TemporalConvNet", "VisualSpeechEncoder"]


class TemporalConvNet(nn.Module):
    """Residual temporal convolutions then a linear map: (B, T, C_in) -> (B, T, C_out), length preserved.

    Each block is ``x + ReLU(BatchNorm1d(Conv1d(x, kernel, zero padding kernel // 2)))``; the output is a 1x1
    convolution. An embedding at frame t depends on frames ``t +- layers * (kernel // 2)``.

    Args:
        channels: C_in, the width of every block.
        out_channels: C_out.
        kernel: odd temporal kernel size >= 1.
        layers: number of residual blocks >= 0.

    Raises:
        ValueError: for an even kernel or a count out of range.
    """

    def __init__(self, channels: int, out_channels: int, kernel: int = 5, layers: int = 2):
        super().__init__()
        if kernel < 1 or kernel % 2 == 0 or layers < 0 or min(channels, out_channels) < 1:
            raise ValueError(f"need an odd kernel >= 1, layers >= 0 and channels >= 1, got {kernel}, {layers}")
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.Conv1d(channels, channels, kernel, padding=kernel // 2, bias=False),
                nn.BatchNorm1d(channels),
                nn.ReLU(),
            )
            for _ in range(layers)
        )
        self.output = nn.Conv1d(channels, out_channels, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = features.transpose(1, 2)
        for block in self.blocks:
            x = x + block(x)
        return self.output(x).transpose(1, 2)


class VisualSpeechEncoder(nn.Module):
    """Grayscale mouth crops (B, T, 88, 88) in [0, 1] -> per-frame visual speech features (B, T, D).

    The 3D-conv front end of the LRS3 lip readers with a light 2D trunk
    (:class:`~facemotion.lipreading.frontends.LightFrontend`), then :class:`TemporalConvNet`.

    Args:
        image_size: H = W of the crops.
        stem_channels, trunk_channels: widths of the front end.
        hidden_dim: per-frame width between front end and temporal model.
        embedding_dim: D.
        kernel, layers: of the temporal model.
        input_mean, input_std: pixel normalisation of the training crops.

    Raises:
        ValueError: for sizes out of range (see the two parts).
    """

    def __init__(
        self,
        image_size: int = 88,
        stem_channels: int = 16,
        trunk_channels: tuple[int, int, int] = (32, 64, 96),
        hidden_dim: int = 128,
        embedding_dim: int = 128,
        kernel: int = 5,
        layers: int = 2,
        input_mean: float = 0.5,
        input_std: float = 0.25,
    ):
        super().__init__()
        self.frontend = LightFrontend(
            image_size, stem_channels, tuple(trunk_channels), hidden_dim, input_mean, input_std
        )
        self.temporal = TemporalConvNet(hidden_dim, embedding_dim, kernel, layers)
        self.embedding_dim = embedding_dim
        self.context_frames = 2 + layers * (kernel // 2)  # frames on each side an embedding depends on

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        """
        Args:
            crops: (B, T, H, W) float grayscale mouth crops in [0, 1], H = W = ``image_size`` (gradients flow).

        Returns:
            (B, T, D) features, in the crops' dtype.

        Raises:
            ValueError: when crops are not a float (B, T, image_size, image_size) tensor.
        """
        return self.temporal(self.frontend(crops))


class AudioSyncEncoder(nn.Module):
    """16 kHz speech (B, S) -> per-frame audio embeddings (B, T, D) at the motion frame rate.

    Log-mel (:class:`~facemotion.audio.log_mel.LogMel`, 25 ms windows every 10 ms), standardised per band with
    the buffers ``mel_mean`` / ``mel_std`` (the training set's statistics, saved with the weights), two
    ``Conv1d(kernel 5) + BatchNorm1d + ReLU`` at 100 frames per second (+-40 ms of context), linear
    interpolation to the centres of the motion frames (:func:`~facemotion.audio.log_mel.align_to_fps`), then
    :class:`TemporalConvNet` at the motion rate.

    Args:
        fps: motion frame rate of the output, > 0.
        n_mels: mel bands.
        hidden_dim: width of the convolutions.
        embedding_dim: D.
        kernel, layers: of the temporal model.

    Raises:
        ValueError: for fps <= 0 or sizes out of range.
    """

    mel_mean: torch.Tensor
    mel_std: torch.Tensor

    def __init__(
        self,
        fps: float = 30.0,
        n_mels: int = 80,
        hidden_dim: int = 128,
        embedding_dim: int = 128,
        kernel: int = 5,
        layers: int = 2,
    ):
        super().__init__()
        if not (math.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be finite and > 0, got {fps}")
        self.fps = fps
        self.mel = LogMel(n_mels)
        self.register_buffer("mel_mean", torch.zeros(n_mels))
        self.register_buffer("mel_std", torch.ones(n_mels))
        self.spectral = nn.Sequential(
            nn.Conv1d(n_mels, hidden_dim, 5, padding=2, bias=False),
            nn.BatchNorm1d(hidden_dim),
            nn.ReLU(),
            nn.Conv1d(hidden_dim, hidden_dim, 5, padding=2, bias=False),
            nn.BatchNorm1d(hidden_dim),
            nn.ReLU(),
        )
        self.temporal = TemporalConvNet(hidden_dim, embedding_dim, kernel, layers)
        self.embedding_dim = embedding_dim

    def set_mel_statistics(self, waveforms: list[torch.Tensor]) -> None:
        """Set ``mel_mean`` / ``mel_std`` to the per-band mean and standard deviation of the log-mel of waveforms.

        Args:
            waveforms: (S,) float 16 kHz waveforms (the training takes).

        Raises:
            ValueError: for no waveforms or a malformed one.
        """
        if not waveforms:
            raise ValueError("set_mel_statistics needs at least one waveform")
        with torch.no_grad():
            mels = torch.cat([self.mel(waveform[None].to(self.mel_mean))[0] for waveform in waveforms])
        self.mel_mean.copy_(mels.mean(0))
        self.mel_std.copy_(mels.std(0).clamp_min(1e-3))

    def forward(self, waveform: torch.Tensor, n_frames: int | None = None) -> torch.Tensor:
        """
        Args:
            waveform: (B, S) float samples at 16 kHz, full scale 1 (use ``waveform[None]`` for one).
            n_frames: T, the motion frames to embed; the audio must cover the centre of the last one
                (``T <= frames_centred_within(S, fps)``). None takes ``frames_centred_within(S, fps)``.

        Returns:
            (B, T, D) embeddings; frame t describes the audio around time ``(t + 0.5) / fps``.

        Raises:
            ValueError: for a malformed waveform, or n_frames < 1 or beyond the audio.
        """
        check_waveform_batch(waveform)
        covered = frames_centred_within(waveform.shape[1], self.fps)
        n_frames = covered if n_frames is None else n_frames
        if not 1 <= n_frames <= covered:
            raise ValueError(
                f"the waveform ({waveform.shape[1]} samples) covers {covered} frames at {self.fps} fps,"
                f" asked for {n_frames}"
            )
        mel = (self.mel(waveform) - self.mel_mean) / self.mel_std
        hidden = self.spectral(mel.transpose(1, 2)).transpose(1, 2)
        return self.temporal(align_to_fps(hidden, MEL_FRAME_RATE, self.fps, n_frames))
