"""KeyMotionTransformer: motion completed from speech features and linguistic key motions.

In the spirit of KMTalk (Xu et al., "KMTalk: Speech-Driven 3D Facial Animation with Key Motion Embedding",
ECCV 2024): linguistic key-motion acquisition poses a viseme at every phoneme anchor (:mod:`keymotion`), and
cross-modal motion completion lets every output frame attend to the audio around it (self-attention over
frames with ALiBi distance penalties) and to the key motions near it in time (cross-attention with a Gaussian
time bias, plus a learned "no key" token so a frame far from any phoneme, or a take without phonemes, still
has something to attend to). Non-autoregressive: a window of frames comes out at once.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from facemotion.audio.log_mel import LogMel, align_to_fps
from facemotion.audio.whisper_encoder import WhisperSpeechEncoder, is_whisper_spec
from facemotion.face_models.names import ARKIT_52
from facemotion.motion.heads import MotionHeads
from facemotion.motion.keymotion import KeyMotions
from facemotion.motion.layers import (
    ConvPositionalEncoding,
    CrossModalLayer,
    alibi_bias,
    check_width,
    log_duration,
    per_head,
    time_bias,
)
from facemotion.text.visemes import VISEMES


@dataclass(frozen=True)
class KeyMotionTransformerConfig:
    """Architecture of a :class:`KeyMotionTransformer` (mirrored by the YAML files in ``configs/``).

    Attributes:
        fps: motion frame rate the model is trained at.
        n_mels: log-mel bands of the default speech features.
        speech_encoder: frozen pretrained speech features instead of log-mel, or None for log-mel: a packaged
            Whisper encoder named ``"whisper-<size>:<block>"`` (``"whisper-base:4"``: the pinned, SHA-256-checked
            checkpoint of that size, its hidden state after that block;
            :class:`~facemotion.audio.whisper_encoder.WhisperSpeechEncoder`), or the local directory of a
            wav2vec 2.0 / HuBERT / WavLM encoder (:class:`~facemotion.audio.encoders.PretrainedSpeechEncoder`).
        d_model: feature width.
        n_heads: attention heads.
        n_layers: cross-modal layers.
        dropout: dropout probability in training.
        key_time_scale: reach of a key motion over neighbouring frames, seconds (Gaussian attention bias width).
        heads: representation -> output width (see :class:`~facemotion.motion.heads.MotionHeads`).
    """

    fps: float = 30.0
    n_mels: int = 80
    speech_encoder: str | None = None
    d_model: int = 128
    n_heads: int = 4
    n_layers: int = 4
    dropout: float = 0.1
    key_time_scale: float = 0.08
    heads: dict[str, int] = field(default_factory=lambda: {"arkit": len(ARKIT_52)})


@dataclass(frozen=True)
class KeyMotionTokens:
    """A batch of key motions as tensors, padded to the longest.

    Attributes:
        visemes: (B, N) int64 indices into :data:`~facemotion.text.visemes.VISEMES`.
        centres: (B, N) float32 anchor times, seconds from the start of the audio.
        durations: (B, N) float32 phoneme durations, seconds.
        poses: (B, N, 52) float32 ARKit key poses.
        mask: (B, N) bool, True on real keys.
    """

    visemes: torch.Tensor
    centres: torch.Tensor
    durations: torch.Tensor
    poses: torch.Tensor
    mask: torch.Tensor

    @classmethod
    def from_keys(cls, keys: Sequence[KeyMotions | None]) -> "KeyMotionTokens":
        """Batch the key motions of B takes (None or an empty one for a take without phonemes)."""
        n = max([len(k) for k in keys if k is not None] + [1])
        tokens = cls(
            visemes=torch.zeros(len(keys), n, dtype=torch.int64),
            centres=torch.zeros(len(keys), n),
            durations=torch.zeros(len(keys), n),
            poses=torch.zeros(len(keys), n, len(ARKIT_52)),
            mask=torch.zeros(len(keys), n, dtype=torch.bool),
        )
        for b, k in enumerate(keys):
            if k is None or not len(k):
                continue
            tokens.visemes[b, : len(k)] = torch.tensor([VISEMES.index(v) for v in k.visemes])
            tokens.centres[b, : len(k)] = torch.from_numpy(k.centres).float()
            tokens.durations[b, : len(k)] = torch.from_numpy(k.ends - k.starts).float()
            tokens.poses[b, : len(k)] = torch.from_numpy(k.poses)
            tokens.mask[b, : len(k)] = True
        return tokens

    def to(self, device) -> "KeyMotionTokens":
        return KeyMotionTokens(*(getattr(self, f).to(device) for f in self.__dataclass_fields__))


def spec_augment(features: torch.Tensor, max_band: float = 0.15, max_span: float = 0.05) -> torch.Tensor:
    """SpecAugment's masking (Park et al., Interspeech 2019): per item, one band of channels and one span of
    frames (at most ``max_band`` / ``max_span`` of them) set to zero, the normalised mean. (B, T, C) -> same."""
    batch, n_frames, n_channels = features.shape
    keep = torch.ones_like(features)
    for b in range(batch):
        band = int(torch.randint(0, int(max_band * n_channels) + 1, ()))
        low = int(torch.randint(0, n_channels - band + 1, ()))
        span = int(torch.randint(0, int(max_span * n_frames) + 1, ()))
        first = int(torch.randint(0, n_frames - span + 1, ()))
        keep[b, :, low : low + band] = 0
        keep[b, first : first + span] = 0
    return features * keep


def speech_features(config: KeyMotionTransformerConfig) -> torch.nn.Module:
    """The speech-feature module a config names (``dim``, ``frame_rate``; (B, S) 16 kHz -> (B, T_a, dim)).

    Raises:
        ValueError, FileNotFoundError, ImportError: as
            :meth:`~facemotion.audio.whisper_encoder.WhisperSpeechEncoder.from_spec` or
            :meth:`~facemotion.audio.encoders.PretrainedSpeechEncoder.from_pretrained`.
    """
    if config.speech_encoder is None:
        return LogMel(config.n_mels)
    if is_whisper_spec(config.speech_encoder):
        return WhisperSpeechEncoder.from_spec(config.speech_encoder)
    from facemotion.audio.encoders import PretrainedSpeechEncoder

    return PretrainedSpeechEncoder.from_pretrained(config.speech_encoder)


class KeyMotionTransformer(torch.nn.Module):
    """Speech features + key-motion tokens -> motion ``(B, T, D)`` for one representation.

    Args:
        config: the architecture.

    Raises:
        ValueError: for a config whose width does not split over its heads.
    """

    def __init__(self, config: KeyMotionTransformerConfig = KeyMotionTransformerConfig()):
        super().__init__()
        check_width(config.d_model, config.n_heads)
        self.config = config
        d = config.d_model
        self.audio = speech_features(config)
        self.register_buffer("feature_mean", torch.zeros(self.audio.dim))
        self.register_buffer("feature_std", torch.ones(self.audio.dim))
        self.audio_conv = torch.nn.Sequential(
            torch.nn.Conv1d(self.audio.dim, d, 5, padding=2),
            torch.nn.GELU(),
            torch.nn.Conv1d(d, d, 5, padding=2),
            torch.nn.GELU(),
        )
        self.position = ConvPositionalEncoding(d)
        self.viseme_embedding = torch.nn.Embedding(len(VISEMES), d)
        self.key_projection = torch.nn.Linear(len(ARKIT_52) + 1, d)
        self.no_key = torch.nn.Parameter(torch.zeros(1, 1, d))
        self.layers = torch.nn.ModuleList(
            CrossModalLayer(d, config.n_heads, config.dropout) for _ in range(config.n_layers)
        )
        self.norm = torch.nn.LayerNorm(d)
        self.heads = MotionHeads(d, config.heads)

    def forward(
        self,
        features: torch.Tensor,
        n_frames: int,
        tokens: KeyMotionTokens | None = None,
        representation: str = "arkit",
    ) -> torch.Tensor:
        """Motion for the speech.

        Args:
            features: (B, T_a, C) float32 speech features of the window from :attr:`audio` (``audio.frame_rate``,
                feature n at n / rate s from the window's start; :func:`~facemotion.motion.windows.take_features`).
            n_frames: T, the frames at ``config.fps`` to produce (frame t centred at (t + 0.5) / fps s).
            tokens: key motions timed from the start of the window, or None for speech features only.
            representation: which head to read out.

        Returns:
            (B, T, D) float32.
        """
        return self.heads(self.motion_features(features, n_frames, tokens), representation)

    def motion_features(self, features: torch.Tensor, n_frames: int, tokens: KeyMotionTokens | None) -> torch.Tensor:
        """(B, T_a, C) speech features -> (B, T, d_model) motion features, before the heads."""
        x = (features - self.feature_mean) / self.feature_std
        if self.training:
            x = spec_augment(x)
        x = self.audio_conv(x.transpose(1, 2)).transpose(1, 2)
        x = self.position(align_to_fps(x, self.audio.frame_rate, self.config.fps, n_frames))
        keys, cross = self._keys(tokens, len(features), n_frames, x.device)
        heads = self.config.n_heads
        self_bias = alibi_bias(heads, n_frames, x.device).repeat(len(x), 1, 1)
        for layer in self.layers:
            x = layer(x, keys, self_bias, per_head(cross, heads))
        return self.norm(x)

    @torch.no_grad()
    def fit_feature_statistics(self, features: Sequence[torch.Tensor]) -> None:
        """Set the speech features' standardisation from training speech (global CMVN, as in ESPnet's GlobalMVN).

        Every feature channel is shifted and scaled by its mean and standard deviation over all frames of the
        given takes, which become part of the weights. Unlike a per-window normalisation this keeps how loud the
        speech is, which tells how wide the mouth opens: in our tests on the FACEGOOD held-out take (1114_3_15) a
        convolutional model with per-window normalisation reached jawOpen r 0.72 / lip LVE 5.0 mm, and 0.75 /
        4.1 mm with these global statistics.

        Args:
            features: (T_a_i, C) float32 features of the training takes from :attr:`audio`
                (:func:`~facemotion.motion.windows.take_features`), each at least one frame.

        Raises:
            ValueError: for no takes or a channel without variance.
        """
        if not len(features):
            raise ValueError("fit_feature_statistics needs at least one take")
        frames = torch.cat([torch.as_tensor(f, dtype=torch.float32) for f in features]).to(self.feature_mean.device)
        std = frames.std(0)
        if not bool((std > 0).all()):
            raise ValueError("a speech feature channel does not vary over the training takes")
        self.feature_mean.copy_(frames.mean(0))
        self.feature_std.copy_(std)

    def _keys(self, tokens: KeyMotionTokens | None, batch: int, n_frames: int, device) -> tuple:
        """Key embeddings (B, 1 + N, d) led by the no-key token, and the frames' bias over them (B, T, 1 + N)."""
        no_key = self.no_key.expand(batch, 1, -1)
        free = torch.zeros(batch, n_frames, 1, device=device)
        if tokens is None:
            return no_key, free
        features = torch.cat([tokens.poses, log_duration(tokens.durations)[..., None]], dim=-1)
        keys = self.viseme_embedding(tokens.visemes) + self.key_projection(features)
        frame_times = (torch.arange(n_frames, device=device) + 0.5) / self.config.fps
        bias = time_bias(frame_times, tokens.centres, tokens.mask, self.config.key_time_scale)
        return torch.cat([no_key, keys], dim=1), torch.cat([free, bias], dim=2)
