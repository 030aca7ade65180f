"""The audio-visual sync expert: is this mouth saying this audio, now? (SyncNet's question, per frame.)

A visual stream (:class:`~facemotion.lipreading.encoders.VisualSpeechEncoder`) and an audio stream
(:class:`~facemotion.lipreading.encoders.AudioSyncEncoder`) embed every motion frame; the sync logit of a
frame is ``exp(log_scale) * cos(visual_t, audio_t) + bias``, its sigmoid the probability that the two are in
sync. Trained self-supervised on synchrony (:mod:`~facemotion.lipreading.train_sync`), as the lip-sync experts
of Wav2Lip (Prajwal et al., ACM MM 2020) and "Seeing What You Said" (Wang et al., CVPR 2023); the pairwise
sigmoid loss with a learned scale and bias is SigLIP's (Zhai et al., ICCV 2023). The visual stream alone gives
the per-frame features of the lip-reading loss. Checkpoints are a folder of ``config.json`` +
``model.safetensors`` (``save_pretrained`` / ``from_pretrained``); :func:`default_sync_expert` loads the shipped
one (``assets/weights/sync_expert``, stored in float16: 1.4 MB).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import torch
from torch import nn

from facemotion.checkpoints import read_model_folder, save_model_folder
from facemotion.lipreading.encoders import AudioSyncEncoder, VisualSpeechEncoder

__all__ = ["SyncExpert", "SyncExpertConfig", "SyncOutput", "default_sync_expert"]



@dataclass(frozen=True)
class SyncExpertConfig:
    """Hyper-parameters of a :class:`SyncExpert` (written to ``config.json``).

    Attributes:
        fps: motion frame rate of both streams.
        image_size: H = W of the grayscale mouth crops.
        stem_channels, trunk_channels: widths of the visual front end.
        n_mels: log-mel bands of the audio stream.
        hidden_dim: per-frame width of both streams before their temporal models.
        embedding_dim: D, the shared embedding width.
        kernel, layers: temporal models (odd kernel; residual blocks).
        pixel_mean, pixel_std: normalisation of the crops in [0, 1] (the training renders' statistics).
    """

    fps: float = 30.0
    image_size: int = 88
    stem_channels: int = 16
    trunk_channels: tuple[int, int, int] = (32, 64, 96)
    n_mels: int = 80
    hidden_dim: int = 128
    embedding_dim: int = 128
    kernel: int = 5
    layers: int = 2
    pixel_mean: float = 0.5
    pixel_std: float = 0.25

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> SyncExpertConfig:
        """The inverse of :meth:`to_dict`.

        Raises:
            ValueError: for a key that is not a field.
        """
        unknown = sorted(set(values) - {field.name for field in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"unknown sync expert config keys {unknown}")
        values = dict(values)
        if "trunk_channels" in values:
            values["trunk_channels"] = tuple(values["trunk_channels"])
        return cls(**values)


@dataclass(frozen=True)
class SyncOutput:
    """What the expert says about a batch of clips.

    Attributes:
        visual: (B, T, D) visual embeddings (not normalised).
        audio: (B, T, D) audio embeddings (not normalised).
        logits: (B, T) per-frame sync logits; > 0 means "in sync" is more likely than not.
    """

    visual: torch.Tensor
    audio: torch.Tensor
    logits: torch.Tensor


class SyncExpert(nn.Module):
    """Mouth crops + speech -> per-frame embeddings and sync logits.

    Args:
        config: the hyper-parameters.
    """

    def __init__(self, config: SyncExpertConfig = SyncExpertConfig()):
        super().__init__()
        self.config = config
        c = config
        self.visual = VisualSpeechEncoder(
            c.image_size,
            c.stem_channels,
            c.trunk_channels,
            c.hidden_dim,
            c.embedding_dim,
            c.kernel,
            c.layers,
            c.pixel_mean,
            c.pixel_std,
        )
        self.audio = AudioSyncEncoder(c.fps, c.n_mels, c.hidden_dim, c.embedding_dim, c.kernel, c.layers)
        self.log_scale = nn.Parameter(torch.tensor(2.3))  # SigLIP's initial temperature, exp(2.3) = 10
        self.bias = nn.Parameter(torch.tensor(-5.0))

    def forward(self, crops: torch.Tensor, waveform: torch.Tensor) -> SyncOutput:
        """
        Args:
            crops: (B, T, H, W) float grayscale mouth crops in [0, 1] at ``config.fps``.
            waveform: (B, S) float 16 kHz speech starting with the first frame and covering the centre of the
                last one (``S >= (T - 0.5) / fps * 16000``).

        Returns:
            :class:`SyncOutput` with (B, T) logits.

        Raises:
            ValueError: for malformed crops or waveform, different batch sizes, or too little audio.
        """
        if waveform.ndim != 2 or crops.ndim != 4 or len(waveform) != len(crops):
            raise ValueError(
                f"need crops (B, T, H, W) and waveform (B, S), got {tuple(crops.shape)} and {tuple(waveform.shape)}"
            )
        visual = self.visual(crops)
        audio = self.audio(waveform, crops.shape[1])
        return SyncOutput(visual, audio, self.sync_logits(visual, audio))

    def embed_sequence(self, crops: torch.Tensor, waveform: torch.Tensor, chunk: int = 512) -> SyncOutput:
        """One long take, its crops encoded in chunks of ``chunk`` frames to bound memory.

        Each chunk is encoded with ``visual.context_frames`` extra frames on either side, which are dropped, so
        the result equals one pass over the whole take (in eval mode, where batch norm is per frame).

        Args:
            crops: (T, H, W) float crops in [0, 1].
            waveform: (S,) float 16 kHz speech covering the T frames.
            chunk: frames per visual pass, >= 1.

        Returns:
            :class:`SyncOutput` with a batch of one: (1, T, D) embeddings and (1, T) logits.

        Raises:
            ValueError: for malformed inputs, too little audio or chunk < 1.
        """
        if crops.ndim != 3 or waveform.ndim != 1 or chunk < 1:
            raise ValueError(
                f"need crops (T, H, W), waveform (S,) and chunk >= 1, got {tuple(crops.shape)}, "
                f"{tuple(waveform.shape)}, {chunk}"
            )
        context, n_frames = self.visual.context_frames, len(crops)
        pieces = []
        for start in range(0, n_frames, chunk):
            first, last = max(start - context, 0), min(start + chunk + context, n_frames)
            features = self.visual(crops[None, first:last])
            pieces.append(features[:, start - first : start - first + min(chunk, n_frames - start)])
        visual = torch.cat(pieces, dim=1)
        audio = self.audio(waveform[None], n_frames)
        return SyncOutput(visual, audio, self.sync_logits(visual, audio))

    def sync_logits(self, visual: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
        """Frame-by-frame logits of paired embeddings: (..., D) and (..., D) -> (...)."""
        cosine = nn.functional.cosine_similarity(visual, audio, dim=-1, eps=1e-8)
        return self.log_scale.exp() * cosine + self.bias

    def pair_logits(self, visual: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
        """Logits of every visual frame against every audio frame: (N, D) and (M, D) -> (N, M)."""
        visual = nn.functional.normalize(visual, dim=-1, eps=1e-8)
        audio = nn.functional.normalize(audio, dim=-1, eps=1e-8)
        return self.log_scale.exp() * visual @ audio.T + self.bias

    def save_pretrained(self, directory: str | Path, dtype: torch.dtype = torch.float32) -> Path:
        """Write ``config.json`` and ``model.safetensors`` into ``directory`` (created), each atomically.

        Args:
            directory: the folder.
            dtype: floating-point type of the stored tensors (``torch.float16`` halves the file; the shipped
                expert is stored so); :meth:`from_pretrained` loads them as float32.

        Raises:
            ValueError: for a dtype that is not floating point.
        """
        return save_model_folder(directory, type(self).__name__, self.config.to_dict(), self.state_dict(), dtype)

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> SyncExpert:
        """Load an expert written by :meth:`save_pretrained`, in eval mode, its parameters float32.

        Raises:
            FileNotFoundError: when the folder or one of its two files is missing.
            ValueError: when the config has unknown keys or the weights do not fit it.
        """
        config, state = read_model_folder(directory, cls.__name__)
        expert = cls(SyncExpertConfig.from_dict(config))
        try:
            expert.load_state_dict(state)
        except RuntimeError as error:  # missing, unexpected or misshapen tensors, each named
            raise ValueError(f"{directory}: weights do not fit the config: {error}") from None
        return expert.eval()


@functools.cache
def _shipped_state() -> tuple[SyncExpertConfig, dict[str, torch.Tensor]]:
    with resources.as_file(resources.files("facemotion.assets") / "weights" / "sync_expert") as folder:
        expert = SyncExpert.from_pretrained(folder)
    return expert.config, expert.state_dict()


def default_sync_expert() -> SyncExpert:
    """A fresh copy of the shipped expert (``assets/weights/sync_expert``), in eval mode, read once per process.

    Trained by ``make sync-expert`` (``facemotion train --config configs/facegood_sync_expert.yaml``) on the FACEGOOD
    takes 1114_2_01..05 rendered on the default head through
    :class:`~facemotion.lipreading.mouth_crops.MouthCropRenderer`.

    Raises:
        FileNotFoundError: when the weights were not shipped (run the training command).
    """
    config, state = _shipped_state()
    expert = SyncExpert(config)
    expert.load_state_dict(state)
    return expert.eval()
