"""TemporalVAE: a motion prior whose latent separates speech content from emotion.

In the spirit of EMOTE's FLINT (Daněček et al., "Emotional Speech-Driven Animation with Content-Emotion
Disentanglement", SIGGRAPH Asia 2023): a temporal convolution + transformer encoder compresses motion
``(B, T, D)`` into a sequence of content latents at ``T / downsample`` and one emotion latent per sequence. The
decoder keeps the two apart by construction: a speech decoder rebuilds the speech motion from the content latents
and the speaking style alone, an expression decoder turns the emotion latent, the emotion category (the 8 MEAD
categories), its intensity (0..1) and the style into one expression per sequence, scaled by the intensity (so
intensity 0, which neutral always has, is exactly no expression), and the two are composed
(:func:`~facemotion.expression.emotion.compose_expression`: for ARKit weights a probabilistic union, which leaves
the speech's jaw as it is; for other representations a sum). The emotion latent has a conditional
prior ``N(mu(condition), I)``, so a motion can be decoded from content alone with any emotion. Training (see
:mod:`facemotion.training`) adds the content-emotion exchange term: content of one sequence decoded with the
emotion of another must give the first sequence's speech with the second's emotion.

Why by construction: a decoder that mixed both latents freely (our first version) learned to close the jaw
under every emotion (mean jawOpen 0.33 neutral vs 0.10 happy on the same speech), i.e. content was not kept; and an
expression decoder without the intensity factor gave neutral speech a standing expression (mouthSmileLeft 0.15,
mouthFrownRight 0.12 in the weights of commit c8242d8), since nothing pinned its output at intensity 0.
"""

from dataclasses import dataclass

import torch

from facemotion.expression.emotion import EMOTIONS, compose_expression
from facemotion.face_models.names import ARKIT_52
from facemotion.motion.layers import ConvPositionalEncoding, alibi_bias, check_width


@dataclass(frozen=True)
class TemporalVAEConfig:
    """Architecture of a :class:`TemporalVAE` (mirrored by the YAML files in ``configs/``).

    Attributes:
        representation: the motion it models (``"arkit"``, ``"flame"`` or ``"vertices"``).
        motion_dim: D.
        d_model: feature width.
        n_heads: attention heads.
        n_layers: transformer layers in the encoder and in the decoder.
        content_dim: width of a content latent.
        emotion_dim: width of the emotion latent.
        downsample: content latents per frame, 1 / downsample; a power of two.
        n_styles: learned speaking styles (e.g. one per training subject).
        dropout: dropout probability in training.
    """

    representation: str = "arkit"
    motion_dim: int = len(ARKIT_52)
    d_model: int = 128
    n_heads: int = 4
    n_layers: int = 2
    content_dim: int = 16
    emotion_dim: int = 8
    downsample: int = 2
    n_styles: int = 1
    dropout: float = 0.0


@dataclass(frozen=True)
class ConditionEmbedding:
    """A batch of emotion conditions (:class:`~facemotion.expression.emotion.EmotionCondition` as tensors), embedded.

    Attributes:
        embedding: (B, d_model) emotion embedding x intensity + style embedding.
        intensity: (B,) emotion intensities in [0, 1], the scale of the expression.
        style: (B,) int64 speaking-style ids.
    """

    embedding: torch.Tensor
    intensity: torch.Tensor
    style: torch.Tensor

    def __getitem__(self, rows) -> "ConditionEmbedding":
        """The conditions of some rows of the batch (any tensor index)."""
        return ConditionEmbedding(self.embedding[rows], self.intensity[rows], self.style[rows])


@dataclass(frozen=True)
class MotionPosterior:
    """Diagonal Gaussians over the latents of a motion.

    Attributes:
        content_mean, content_log_var: (B, T', content_dim).
        emotion_mean, emotion_log_var: (B, emotion_dim).
    """

    content_mean: torch.Tensor
    content_log_var: torch.Tensor
    emotion_mean: torch.Tensor
    emotion_log_var: torch.Tensor

    def sample(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Reparameterised draws (content (B, T', C), emotion (B, E))."""
        return _draw(self.content_mean, self.content_log_var), _draw(self.emotion_mean, self.emotion_log_var)


class TemporalVAE(torch.nn.Module):
    """The motion prior. Motions of any length T are padded to a multiple of ``downsample`` and cropped back.

    Args:
        config: the architecture.

    Raises:
        ValueError: for a downsample that is not a power of two, or a width that does not split over its heads.
    """

    def __init__(self, config: TemporalVAEConfig = TemporalVAEConfig()):
        super().__init__()
        check_width(config.d_model, config.n_heads)
        if config.downsample < 1 or config.downsample & (config.downsample - 1):
            raise ValueError(f"downsample must be a power of two, got {config.downsample}")
        self.config = config
        d, steps = config.d_model, config.downsample.bit_length() - 1
        self.motion_in = torch.nn.Linear(config.motion_dim, d)
        self.down = torch.nn.Sequential(*[_resample(torch.nn.Conv1d(d, d, 4, 2, 1)) for _ in range(steps)])
        self.encoder = _transformer(config)
        self.content_out = torch.nn.Linear(d, 2 * config.content_dim)
        self.emotion_out = torch.nn.Linear(d, 2 * config.emotion_dim)
        self.emotion_embedding = torch.nn.Embedding(len(EMOTIONS), d)
        self.style_embedding = torch.nn.Embedding(config.n_styles, d)
        self.emotion_prior = torch.nn.Linear(d, config.emotion_dim)
        self.content_in = torch.nn.Linear(config.content_dim, d)
        self.decoder = _transformer(config)
        self.up = torch.nn.Sequential(*[_resample(torch.nn.ConvTranspose1d(d, d, 4, 2, 1)) for _ in range(steps)])
        self.motion_out = torch.nn.Linear(d, config.motion_dim)
        self.expression_out = torch.nn.Sequential(
            torch.nn.Linear(config.emotion_dim + d, d), torch.nn.GELU(), torch.nn.Linear(d, config.motion_dim)
        )

    def condition(self, emotion: torch.Tensor, intensity: torch.Tensor, style: torch.Tensor) -> ConditionEmbedding:
        """(B,) emotion indices into EMOTIONS, (B,) intensities in [0, 1], (B,) style ids -> the condition."""
        embedding = self.emotion_embedding(emotion) * intensity[:, None] + self.style_embedding(style)
        return ConditionEmbedding(embedding, intensity, style)

    def prior_emotion(self, condition: ConditionEmbedding) -> torch.Tensor:
        """The condition -> (B, emotion_dim) mean of the conditional emotion prior (unit variance)."""
        return self.emotion_prior(condition.embedding)

    def encode(self, motion: torch.Tensor) -> MotionPosterior:
        """(B, T, D) motion -> posterior over (B, ceil(T / downsample), content_dim) and (B, emotion_dim)."""
        x = self.motion_in(_pad_to(motion, self.config.downsample))
        x = self._attend(self.encoder, self.down(x.transpose(1, 2)).transpose(1, 2))
        content_mean, content_log_var = self.content_out(x).chunk(2, dim=-1)
        emotion_mean, emotion_log_var = self.emotion_out(x.mean(1)).chunk(2, dim=-1)
        return MotionPosterior(content_mean, content_log_var, emotion_mean, emotion_log_var)

    def decode_speech(self, content: torch.Tensor, style: torch.Tensor, n_frames: int) -> torch.Tensor:
        """Content latents (B, T', C) and style ids (B,) -> (B, n_frames, D) speech motion, without emotion.

        Raises:
            ValueError: when the latents are too few for ``n_frames``.
        """
        if n_frames > content.shape[1] * self.config.downsample:
            raise ValueError(f"{content.shape[1]} content latents cannot decode {n_frames} frames")
        x = self.content_in(content) + self.style_embedding(style)[:, None]
        x = self.up(self._attend(self.decoder, x).transpose(1, 2)).transpose(1, 2)[:, :n_frames]
        return self.motion_out(x)  # linear, as the heads (see MotionHeads)

    def expression(self, emotion_latent: torch.Tensor, condition: ConditionEmbedding) -> torch.Tensor:
        """Emotion latent (B, E) and condition -> (B, 1, D) expression, composed over the speech.

        The decoder's output times the intensity: zero at intensity 0 whatever the latent and style.
        """
        expression = self.expression_out(torch.cat([emotion_latent, condition.embedding], dim=-1))
        return (condition.intensity[:, None] * expression)[:, None]

    def decode(
        self, content: torch.Tensor, emotion_latent: torch.Tensor, condition: ConditionEmbedding, n_frames: int
    ) -> torch.Tensor:
        """Content (B, T', C), emotion latent (B, E) and condition -> (B, n_frames, D) motion."""
        speech = self.decode_speech(content, condition.style, n_frames)
        return compose_expression(speech, self.expression(emotion_latent, condition), self.config.representation)

    def _attend(self, stack: torch.nn.ModuleList, x: torch.Tensor) -> torch.Tensor:
        """Relative position, then the transformer with ALiBi distance penalties (any length at inference)."""
        position, encoder = stack
        bias = alibi_bias(self.config.n_heads, x.shape[1], x.device).repeat(len(x), 1, 1)
        return encoder(position(x), mask=bias)

    def forward(
        self, motion: torch.Tensor, emotion: torch.Tensor, intensity: torch.Tensor, style: torch.Tensor
    ) -> tuple[torch.Tensor, MotionPosterior]:
        """Reconstruct a motion (B, T, D) through sampled latents: (reconstruction (B, T, D), posterior)."""
        posterior = self.encode(motion)
        content, emotion_latent = (
            posterior.sample() if self.training else (posterior.content_mean, posterior.emotion_mean)
        )
        condition = self.condition(emotion, intensity, style)
        return self.decode(content, emotion_latent, condition, motion.shape[1]), posterior

    def sample(
        self,
        n_frames: int,
        emotion: torch.Tensor,
        intensity: torch.Tensor,
        style: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Draw B motions of n_frames from the prior: content ~ N(0, I), emotion latent at its conditional mean."""
        n_latents = -(-n_frames // self.config.downsample)
        content = torch.randn(len(emotion), n_latents, self.config.content_dim, generator=generator)
        condition = self.condition(emotion, intensity, style)
        return self.decode(content.to(style.device), self.prior_emotion(condition), condition, n_frames)


def _draw(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    return mean + torch.randn_like(mean) * (0.5 * log_var).exp()


def _pad_to(motion: torch.Tensor, multiple: int) -> torch.Tensor:
    """Repeat the last frame so that T divides by ``multiple``."""
    extra = -motion.shape[1] % multiple
    return torch.cat([motion, motion[:, -1:].expand(-1, extra, -1)], dim=1) if extra else motion


def _resample(conv: torch.nn.Module) -> torch.nn.Module:
    return torch.nn.Sequential(conv, torch.nn.GELU())


def _transformer(config: TemporalVAEConfig) -> torch.nn.Module:
    layer = torch.nn.TransformerEncoderLayer(
        config.d_model, config.n_heads, 4 * config.d_model, config.dropout, batch_first=True, norm_first=True
    )
    return torch.nn.ModuleList(
        [
            ConvPositionalEncoding(config.d_model),
            torch.nn.TransformerEncoder(layer, config.n_layers, enable_nested_tensor=False),
        ]
    )
