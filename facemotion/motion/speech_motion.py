"""The learned speech-to-motion model: the key-motion transformer's speech motion with the prior's emotion.

The transformer gives the speech motion; the frozen temporal VAE prior lays the wanted emotion, intensity and
speaking style over it through its expression decoder (:meth:`TemporalVAE.expression`, composed by
:func:`~facemotion.expression.emotion.compose_expression`), so the spoken content, the jaw included, does not
depend on the emotion.
With ``speech_through_prior`` the transformer instead predicts the prior's content latents and the prior's speech
decoder turns them into motion, as in EMOTE's second stage; on the FACEGOOD captures (9 minutes) that bottleneck
cost about 0.1 of jawOpen r on the held-out take (0.635 through it vs about 0.73 for a transformer without it,
both with per-window feature normalisation), so the default model does not use it.
Without a prior (or for a representation the prior does not model) the transformer's own head gives the motion.
Long audio runs in overlapping windows blended by linear cross-fades, so there is no length limit. Checkpoints are
a folder of ``config.json`` + ``model.safetensors`` (``save_pretrained`` / ``from_pretrained``, as Hugging Face
models), plus ``visemes.yaml``: the viseme table whose poses made the key motions the model was trained with. A
model keeps seeing the key motions it learned from however the procedural table (``assets/visemes.yaml``) is
tuned later; the pipeline poses its key motions with :attr:`SpeechMotionModel.visemes` when there is one.
"""

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from facemotion.audio.io import SAMPLE_RATE
from facemotion.checkpoints import (
    build_from_config,
    config_from_dict,
    load_weights,
    read_model_folder,
    save_model_folder,
)
from facemotion.expression.emotion import EmotionCondition, compose_expression
from facemotion.motion.keymotion import KeyMotions
from facemotion.motion.transformer import KeyMotionTokens, KeyMotionTransformer, KeyMotionTransformerConfig
from facemotion.motion.vae import TemporalVAE, TemporalVAEConfig
from facemotion.text.visemes import VisemeTable, load_viseme_table, save_viseme_table

VISEMES_FILE = "visemes.yaml"
"""The model folder's viseme table: the one its training key motions were posed with."""


@dataclass(frozen=True)
class SpeechMotionConfig:
    """A learned model: its transformer, its prior (or None), and how long inputs are windowed.

    Attributes:
        transformer: the key-motion transformer.
        prior: the motion prior (for emotion), or None to read the transformer's heads directly.
        speech_through_prior: decode the speech from content latents the transformer predicts, through the
            prior's speech decoder (EMOTE's second stage), rather than from the transformer's own head.
        window_seconds: inference window length, seconds.
        overlap_seconds: overlap of consecutive windows (cross-faded), seconds; less than half a window.
    """

    transformer: KeyMotionTransformerConfig = KeyMotionTransformerConfig()
    prior: TemporalVAEConfig | None = TemporalVAEConfig()
    speech_through_prior: bool = False
    window_seconds: float = 8.0
    overlap_seconds: float = 1.0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "SpeechMotionConfig":
        """The inverse of :meth:`to_dict`.

        Raises:
            ValueError: for an unknown key (named with its section) or a section that is not a mapping.
        """
        prior = values.get("prior")
        return config_from_dict(cls, {
            **values,
            "transformer": config_from_dict(KeyMotionTransformerConfig, values.get("transformer", {}), "transformer"),
            "prior": None if prior is None else config_from_dict(TemporalVAEConfig, prior, "prior"),
        })


class SpeechMotionModel(torch.nn.Module):
    """Speech (+ key motions, emotion, intensity, style) -> motion at ``config.transformer.fps``.

    Args:
        config: the model. With a prior and ``speech_through_prior``, the transformer's head for the prior's
            representation is replaced by a ``"latent"`` head of the prior's content width; with a prior alone, a
            head for its representation is added when missing.
        visemes: the viseme table that poses the model's key motions (training and inference), or None for
            whatever table the caller uses (a model folder without ``visemes.yaml``).

    Raises:
        ValueError: for windows that do not fit (overlap not below half a window).
    """

    def __init__(self, config: SpeechMotionConfig = SpeechMotionConfig(), visemes: VisemeTable | None = None):
        super().__init__()
        if not 0 <= config.overlap_seconds < config.window_seconds / 2:
            raise ValueError("overlap_seconds must be in [0, window_seconds / 2)")
        heads = dict(config.transformer.heads)
        if config.prior is not None and config.speech_through_prior:
            heads.pop(config.prior.representation, None)
            heads["latent"] = config.prior.content_dim
        elif config.prior is not None:
            heads.setdefault(config.prior.representation, config.prior.motion_dim)
        self.config = config
        self.visemes = visemes
        self.transformer = KeyMotionTransformer(dataclasses.replace(config.transformer, heads=heads))
        self.prior = None if config.prior is None else TemporalVAE(config.prior)

    @property
    def fps(self) -> float:
        return self.config.transformer.fps

    def forward(
        self,
        waveform: torch.Tensor,
        n_frames: int,
        tokens: KeyMotionTokens | None = None,
        condition: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
        representation: str = "arkit",
    ) -> torch.Tensor:
        """One window of motion.

        Args:
            waveform: (B, S) float32 at 16 kHz.
            n_frames: T frames at :attr:`fps`.
            tokens: key motions timed from the start of the waveform, or None.
            condition: (emotion indices (B,), intensities (B,), style ids (B,)); None = neutral, style 0.
            representation: the motion wanted.

        Returns:
            (B, T, D) float32.
        """
        if self.prior is None or representation != self.prior.config.representation:
            return self.transformer(waveform, n_frames, tokens, representation)
        if condition is None:
            zeros = torch.zeros(len(waveform), dtype=torch.int64, device=waveform.device)
            condition = (zeros, zeros.float(), zeros)
        if self.config.speech_through_prior:
            latent = self.transformer(waveform, n_frames, tokens, "latent")
            step = self.prior.config.downsample
            content = torch.nn.functional.avg_pool1d(latent.transpose(1, 2), step, step, ceil_mode=True)
            speech = self.prior.decode_speech(content.transpose(1, 2), condition[2], n_frames)
        else:
            speech = self.transformer(waveform, n_frames, tokens, representation)
        embedded = self.prior.condition(*condition)
        expression = self.prior.expression(self.prior.prior_emotion(embedded), embedded)
        return compose_expression(speech, expression, representation)

    @torch.no_grad()
    def generate(
        self,
        waveform: np.ndarray,
        keys: KeyMotions | None = None,
        emotion: str = "neutral",
        intensity: float | None = None,
        style: int = 0,
        representation: str = "arkit",
    ) -> np.ndarray:
        """Motion for a whole take, window by window.

        Args:
            waveform: (S,) float32 speech at 16 kHz, any length.
            keys: its key motions (timed from the start), or None.
            emotion: one of :data:`~facemotion.expression.emotion.EMOTIONS`.
            intensity: emotion intensity in [0, 1]; None for the default
                (:func:`~facemotion.expression.emotion.emotion_intensity`: 1 for an emotion, 0 for neutral).
            style: speaking-style index, < the prior's ``n_styles``
                (:class:`~facemotion.expression.emotion.EmotionCondition`).
            representation: the motion wanted.

        Returns:
            (ceil(S / 16000 * fps), D) float32 at :attr:`fps`; ARKit weights clipped to [0, 1].

        Raises:
            ValueError: for an unknown emotion, intensity outside [0, 1] or not 0 for neutral, a style out of
                range, or a waveform that is not 1-D and finite.
            TypeError: for an intensity that is not a number or a style that is not an integer.
        """
        if waveform.ndim != 1 or not len(waveform) or not np.all(np.isfinite(waveform)):
            raise ValueError("waveform must be a non-empty 1-D array of finite samples")
        condition = self.condition(emotion, intensity, style)
        n_frames = int(np.ceil(len(waveform) / SAMPLE_RATE * self.fps - 1e-9))
        window = round(self.config.window_seconds * self.fps)
        overlap = round(self.config.overlap_seconds * self.fps)
        device = next(self.parameters()).device
        audio = torch.from_numpy(np.ascontiguousarray(waveform, np.float32)).to(device)
        min_samples = getattr(self.transformer.audio, "min_samples", 1)  # a pretrained encoder needs a few
        self.eval()

        def run(start: int, end: int) -> torch.Tensor:
            first, last = (round(f / self.fps * SAMPLE_RATE) for f in (start, end))
            chunk = audio[first:last]
            chunk = torch.nn.functional.pad(chunk, (0, max(0, min_samples - len(chunk))))[None]
            tokens = None
            if keys is not None:
                tokens = KeyMotionTokens.from_keys([keys.window(start / self.fps, end / self.fps)]).to(device)
            return self(chunk, end - start, tokens, tuple(c.to(device) for c in condition), representation)[0].cpu()

        motion = overlap_add(run, n_frames, window, overlap)
        return (motion.clamp(0.0, 1.0) if representation == "arkit" else motion).numpy()

    def condition(self, emotion: str, intensity: float | None, style: int) -> tuple[torch.Tensor, ...]:
        """The checked :class:`~facemotion.expression.emotion.EmotionCondition` as the (emotion index (1,) int64,
        intensity (1,) float32, style (1,) int64) tensors :meth:`forward` takes; errors as :meth:`generate`."""
        condition = EmotionCondition(emotion, intensity, style)
        n_styles = 1 if self.prior is None else self.prior.config.n_styles
        if condition.style >= n_styles:
            raise ValueError(f"style must be in [0, {n_styles}), got {style}")
        return (
            torch.tensor([condition.index]),
            torch.tensor([condition.intensity], dtype=torch.float32),
            torch.tensor([condition.style]),
        )

    def save_pretrained(self, directory: str | Path, dtype: torch.dtype = torch.float32) -> Path:
        """Write ``config.json`` and ``model.safetensors`` into ``directory`` (created), each atomically, and
        :attr:`visemes` as ``visemes.yaml`` (a stale ``visemes.yaml`` is removed when the model has no table).

        A frozen pretrained speech encoder is not saved: it is reloaded from its own path.

        Args:
            directory: the folder.
            dtype: floating-point storage type (``torch.float16`` halves the file: the shipped model is stored
                so); :meth:`from_pretrained` loads float32.

        Raises:
            ValueError: for a dtype that is not floating point.
        """
        state = {k: v for k, v in self.state_dict().items() if not k.startswith("transformer.audio.")}
        directory = save_model_folder(directory, type(self).__name__, self.config.to_dict(), state, dtype)
        if self.visemes is None:
            (directory / VISEMES_FILE).unlink(missing_ok=True)
        else:
            header = "The viseme table this model's key motions were posed with (facemotion SpeechMotionModel)."
            save_viseme_table(self.visemes, directory / VISEMES_FILE, header)
        return directory

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> "SpeechMotionModel":
        """Load a model written by :meth:`save_pretrained`, in eval mode, float32, with the folder's viseme table
        (``visemes.yaml``; None when the folder has none).

        Raises:
            FileNotFoundError: when the folder or one of its two files is missing.
            ValueError: when a file is malformed, the config has an unknown key or a bad value, or the weights do
                not fit the config (missing, unexpected or misshapen tensors); the message names the file; or as
                :func:`~facemotion.text.visemes.load_viseme_table` for a bad ``visemes.yaml``.
        """
        config, state = read_model_folder(directory, cls.__name__)
        table = Path(directory) / VISEMES_FILE
        model = build_from_config(directory, lambda: cls(SpeechMotionConfig.from_dict(config)))
        load_weights(model, state, directory, optional=("transformer.audio.",))
        model.visemes = load_viseme_table(table) if table.is_file() else None
        return model.eval()


def overlap_add(run, n_frames: int, window: int, overlap: int) -> torch.Tensor:
    """Run ``run(start, end) -> (end - start, D)`` over overlapping windows and cross-fade them linearly.

    Args:
        run: the model on frames [start, end).
        n_frames: T, total frames.
        window: frames per window, > 2 * overlap.
        overlap: frames shared by consecutive windows, >= 0.

    Returns:
        (T, D) tensor; each frame is a convex combination of the windows covering it.
    """
    if n_frames <= window:
        return run(0, n_frames)
    out, total = None, torch.zeros(n_frames, 1)
    for start in range(0, n_frames - overlap, window - overlap):
        end = min(start + window, n_frames)
        piece = run(start, end)
        fade = torch.ones(end - start, 1)
        ramp = torch.linspace(0, 1, overlap + 2)[1:-1, None]
        if start > 0:
            fade[:overlap] = ramp
        if end < n_frames:
            fade[-overlap:] = ramp.flip(0)
        out = torch.zeros(n_frames, piece.shape[1]) if out is None else out
        out[start:end] += fade * piece
        total[start:end] += fade
    return out / total
