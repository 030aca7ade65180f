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
The model computes one window; :func:`~facemotion.motion.windows.motion_in_windows` runs it over a take of any
length (overlapping windows, linear cross-fades). Checkpoints are a folder of ``config.json`` + ``model.safetensors`` (``save_pretrained`` / ``from_pretrained``, as Hugging Face
models), plus ``visemes.yaml``: the viseme table whose poses made the key motions the model was trained with. A
model keeps seeing the key motions it learned from however the procedural table (``assets/visemes.yaml``) is
tuned later; the pipeline poses its key motions with :attr:`SpeechMotionModel.visemes` when there is one.
"""

import dataclasses
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch

from facemotion.audio.whisper_encoder import is_whisper_spec
from facemotion.checkpoints import (
    CONFIG_FILE,
    build_from_config,
    config_from_dict,
    load_weights,
    read_model_folder,
    save_model_folder,
)
from facemotion.expression.emotion import EmotionCondition, compose_expression
from facemotion.motion.transformer import KeyMotionTokens, KeyMotionTransformer, KeyMotionTransformerConfig
from facemotion.motion.vae import TemporalVAE, TemporalVAEConfig
from facemotion.text.visemes import VisemeTable, load_viseme_table, save_viseme_table

ENCODER_FOLDER = "speech_encoder"
"""The model folder's pretrained speech encoder, when the model has one (``transformers`` files)."""

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
        features: torch.Tensor,
        n_frames: int,
        tokens: KeyMotionTokens | None = None,
        condition: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
        representation: str = "arkit",
    ) -> torch.Tensor:
        """One window of motion.

        Args:
            features: (B, T_a, C) float32 speech features of the window (:attr:`transformer`'s ``audio``).
            n_frames: T frames at :attr:`fps`.
            tokens: key motions timed from the start of the window, or None.
            condition: (emotion indices (B,), intensities (B,), style ids (B,)); None = neutral, style 0.
            representation: the motion wanted.

        Returns:
            (B, T, D) float32.
        """
        if self.prior is None or representation != self.prior.config.representation:
            return self.transformer(features, n_frames, tokens, representation)
        if condition is None:
            zeros = torch.zeros(len(features), dtype=torch.int64, device=features.device)
            condition = (zeros, zeros.float(), zeros)
        if self.config.speech_through_prior:
            latent = self.transformer(features, n_frames, tokens, "latent")
            step = self.prior.config.downsample
            content = torch.nn.functional.avg_pool1d(latent.transpose(1, 2), step, step, ceil_mode=True)
            speech = self.prior.decode_speech(content.transpose(1, 2), condition[2], n_frames)
        else:
            speech = self.transformer(features, n_frames, tokens, representation)
        embedded = self.prior.condition(*condition)
        expression = self.prior.expression(self.prior.prior_emotion(embedded), embedded)
        return compose_expression(speech, expression, representation)

    def condition_tensors(self, condition: EmotionCondition) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """An :class:`~facemotion.expression.emotion.EmotionCondition` as the (emotion index (1,) int64, intensity
        (1,) float32, style (1,) int64) tensors :meth:`forward` takes.

        Raises:
            ValueError: for a style the prior does not have (``>= n_styles``; 1 without a prior).
        """
        n_styles = 1 if self.prior is None else self.prior.config.n_styles
        if condition.style >= n_styles:
            raise ValueError(f"style must be in [0, {n_styles}), got {condition.style}")
        return (
            torch.tensor([condition.index]),
            torch.tensor([condition.intensity], dtype=torch.float32),
            torch.tensor([condition.style]),
        )

    def save_pretrained(self, directory: str | Path, dtype: torch.dtype = torch.float32) -> Path:
        """Write ``config.json`` and ``model.safetensors`` into ``directory`` (created), each atomically, and
        :attr:`visemes` as ``visemes.yaml`` (a stale ``visemes.yaml`` is removed when the model has no table).

        A pretrained speech encoder loaded from a folder is saved inside the model folder, in ``speech_encoder/``
        (:data:`ENCODER_FOLDER`, in ``dtype``), and the config names that folder: a model folder never points at a
        path on the machine that trained it. A packaged Whisper encoder (``"whisper-base:4"``) stays named so: it
        is a pinned, SHA-256-checked package, not a file to copy.

        Args:
            directory: the folder.
            dtype: floating-point storage type (``torch.float16`` halves the file: the shipped model is stored
                so); :meth:`from_pretrained` loads float32.

        Raises:
            ValueError: for a dtype that is not floating point.
        """
        state = {k: v for k, v in self.state_dict().items() if not k.startswith("transformer.audio.")}
        config = self.config.to_dict()
        encoder = self.config.transformer.speech_encoder
        if encoder is None or is_whisper_spec(encoder):  # a packaged encoder is named as it is, never copied
            shutil.rmtree(Path(directory) / ENCODER_FOLDER, ignore_errors=True)
        else:
            self.transformer.audio.save_pretrained(Path(directory) / ENCODER_FOLDER, dtype)
            config["transformer"]["speech_encoder"] = ENCODER_FOLDER
        directory = save_model_folder(directory, type(self).__name__, config, state, dtype)
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
            ValueError: when a file is malformed, the config has an unknown key or a bad value, names a speech
                encoder outside the folder, or the weights do not fit the config (missing, unexpected or misshapen
                tensors); the message names the file; or as :func:`~facemotion.text.visemes.load_viseme_table` for a
                bad ``visemes.yaml``.
        """
        config, state = read_model_folder(directory, cls.__name__)
        config = _encoder_inside(config, Path(directory))
        table = Path(directory) / VISEMES_FILE
        model = build_from_config(directory, lambda: cls(SpeechMotionConfig.from_dict(config)))
        load_weights(model, state, directory, optional=("transformer.audio.",))
        model.visemes = load_viseme_table(table) if table.is_file() else None
        return model.eval()


def _encoder_inside(config: dict, directory: Path) -> dict:
    """The folder's config with its speech encoder resolved to ``directory / speech_encoder``; a packaged Whisper
    encoder (``"whisper-<size>:<block>"``, a pinned checkpoint) is kept as it is; refuses any other path (a folder
    saved by an older version, or edited by hand, that points at the training machine)."""
    transformer = config.get("transformer")
    encoder = transformer.get("speech_encoder") if isinstance(transformer, dict) else None
    if encoder is None or (isinstance(encoder, str) and is_whisper_spec(encoder)):
        return config
    if encoder != ENCODER_FOLDER:
        raise ValueError(
            f"{directory / CONFIG_FILE}: the speech encoder {encoder!r} is not inside the model folder; a model "
            f"folder carries its encoder in {ENCODER_FOLDER}/ (SpeechMotionModel.save_pretrained writes it)"
        )
    return {**config, "transformer": {**transformer, "speech_encoder": str(directory / ENCODER_FOLDER)}}
