"""Pretrained self-supervised speech encoders (wav2vec 2.0, HuBERT, WavLM, data2vec-audio) loaded from a local folder.

The folder is one written by ``transformers``' ``save_pretrained`` (or a Hugging Face model snapshot the user
fetched): ``config.json`` and ``model.safetensors`` or ``pytorch_model.bin``, with an optional
``preprocessor_config.json``. Nothing is downloaded. ``transformers`` is an optional dependency
(``pip install facemotion[encoders]``), imported only when an encoder is loaded.
"""

import json
import math
import os
import tempfile
from pathlib import Path

import torch

from facemotion.audio.log_mel import check_waveform_batch
from facemotion.interrupts import terminate_cleanly
from facemotion.timing import SAMPLE_RATE

SUPPORTED_MODEL_TYPES = ("wav2vec2", "hubert", "wavlm", "data2vec-audio")
"""``model_type`` values of the configs this module loads: encoders with a convolutional waveform front end."""

WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)

PREPROCESSOR_FILE = "preprocessor_config.json"
"""The feature extractor's settings in a ``transformers`` folder (``do_normalize``, ``sampling_rate``)."""

NORM_EPS = 1e-7
"""Added to the variance in the per-utterance normalisation, as in ``Wav2Vec2FeatureExtractor``."""


class PretrainedSpeechEncoder(torch.nn.Module):
    """A pretrained speech encoder turning 16 kHz waveforms into a feature track at ``frame_rate``.

    Each waveform is first normalised to zero mean and unit variance over the whole utterance, as
    ``Wav2Vec2FeatureExtractor(do_normalize=True)`` does (Baevski et al., NeurIPS 2020), unless the folder's
    ``preprocessor_config.json`` says ``do_normalize: false`` (for instance HuBERT base). Rows of a batch are taken
    as whole utterances: there is no padding mask, so zero-padded rows are normalised over their padding too.

    A frozen encoder (the default) has no trainable parameters and stays in eval mode (no dropout, no SpecAugment
    masking) whatever ``train()`` is called with; gradients still reach the waveform when it requires them.
    An unfrozen encoder in training mode applies the model's own dropout and time masking (``mask_time_prob``).

    Attributes:
        model: the ``transformers`` base model (``Wav2Vec2Model``, ``HubertModel``, ``WavLMModel``, ...).
        layer: the hidden state returned, 0 (the transformer's input) to ``num_hidden_layers``; None for the last.
        normalize: whether waveforms are normalised per utterance.
        frozen: whether the parameters are frozen.
        dim: the feature size C (the config's ``hidden_size``).
        frame_rate: features per second, 16000 / prod(conv_stride): 50.0 for the published models (20 ms).
        min_samples: the shortest waveform the convolutional front end accepts (400 for the published models).
    """

    def __init__(self, model: torch.nn.Module, layer: int | None = None, normalize: bool = True, freeze: bool = True):
        """
        Args:
            model: a loaded ``transformers`` base model of one of :data:`SUPPORTED_MODEL_TYPES`.
            layer: the hidden state to return, 0 .. ``num_hidden_layers``; None for the last hidden state.
            normalize: normalise each waveform to zero mean and unit variance first.
            freeze: freeze the parameters and keep the model in eval mode.

        Raises:
            ValueError: for a model of another type, or a layer out of range.
        """
        super().__init__()
        config = model.config
        if config.model_type not in SUPPORTED_MODEL_TYPES:
            raise ValueError(f"unsupported speech encoder model_type {config.model_type!r}: {SUPPORTED_MODEL_TYPES}")
        if layer is not None and not 0 <= layer <= config.num_hidden_layers:
            raise ValueError(f"layer must be in 0..{config.num_hidden_layers} or None, got {layer}")
        self.model = model
        self.layer = layer
        self.normalize = normalize
        self.frozen = freeze
        self.dim = int(config.hidden_size)
        self.frame_rate = SAMPLE_RATE / math.prod(config.conv_stride)
        self.min_samples = _receptive_field(config.conv_kernel, config.conv_stride)
        if freeze:
            self.model.requires_grad_(False)
        self.train(self.training)

    @classmethod
    def from_pretrained(
        cls, path: str | Path, layer: int | None = None, freeze: bool = True
    ) -> "PretrainedSpeechEncoder":
        """Load an encoder from a local folder, with ``transformers.AutoModel`` and ``local_files_only=True``.

        A folder holding a model with a task head (``Wav2Vec2ForCTC``, ...) loads its base model; the head's
        weights are left out. The weights are cast to float32.

        Args:
            path: the folder written by ``save_pretrained``.
            layer: the hidden state to return (see :meth:`__init__`); None for the last hidden state.
            freeze: freeze the parameters and keep the model in eval mode.

        Raises:
            FileNotFoundError: when the folder, its ``config.json`` or its weights are missing.
            ValueError: when the config's ``model_type`` is not a supported speech encoder, the preprocessor
                expects a sample rate other than 16 kHz, or the layer is out of range.
            ImportError: when ``transformers`` is not installed.
        """
        path = Path(path)
        model_type = _read_model_type(path)
        if model_type not in SUPPORTED_MODEL_TYPES:
            raise ValueError(f"{path} holds a {model_type!r} model, not a speech encoder of {SUPPORTED_MODEL_TYPES}")
        normalize = _read_do_normalize(path)
        try:
            from transformers import AutoModel
        except ImportError:
            raise ImportError("speech encoders need transformers: pip install facemotion[encoders]") from None
        model = AutoModel.from_pretrained(path, local_files_only=True).float()
        return cls(model, layer=layer, normalize=normalize, freeze=freeze)

    def save_pretrained(self, path: str | Path, dtype: torch.dtype = torch.float32) -> Path:
        """Write the encoder as :meth:`from_pretrained` reads it: ``transformers``' ``save_pretrained`` files and a
        ``preprocessor_config.json`` recording the normalisation and the 16 kHz rate.

        The files are written into a staging folder inside ``path`` and each moved into place at the end, so an
        interrupted save (an error, Ctrl-C, SIGTERM) leaves ``path`` as it was.

        Args:
            path: the folder (created).
            dtype: floating-point storage type of the weights (``torch.float16`` halves them); loading casts back
                to float32.

        Returns:
            ``Path(path)``.
        """
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        state = {k: v.to(dtype) if v.is_floating_point() else v for k, v in self.model.state_dict().items()}
        with terminate_cleanly(), tempfile.TemporaryDirectory(dir=path, prefix=".staging.") as staging:
            self.model.save_pretrained(staging, state_dict=state)
            preprocessor = {"do_normalize": self.normalize, "sampling_rate": SAMPLE_RATE}
            (Path(staging) / PREPROCESSOR_FILE).write_text(json.dumps(preprocessor, indent=2))
            for file in Path(staging).iterdir():
                os.replace(file, path / file.name)
        return path

    def train(self, mode: bool = True) -> "PretrainedSpeechEncoder":
        """Set training mode; a frozen encoder's model stays in eval mode."""
        super().train(mode)
        if self.frozen:
            self.model.eval()
        return self

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        """
        Args:
            waveform: (B, S) floating-point samples at 16 kHz, S >= ``min_samples``. A single waveform is (1, S).

        Returns:
            (B, T_a, dim) float32 features at ``frame_rate``; T_a = (S - 400) // 320 + 1 for the published models.

        Raises:
            ValueError: for a waveform that is not (B, S), not finite, or shorter than ``min_samples``.
        """
        check_waveform_batch(waveform)
        if waveform.shape[1] < self.min_samples:
            raise ValueError(f"waveform has {waveform.shape[1]} samples; the encoder needs >= {self.min_samples}")
        if self.normalize:
            mean = waveform.mean(dim=1, keepdim=True)
            variance = waveform.var(dim=1, unbiased=False, keepdim=True)
            waveform = (waveform - mean) / torch.sqrt(variance + NORM_EPS)
        output = self.model(waveform, output_hidden_states=self.layer is not None)
        return output.last_hidden_state if self.layer is None else output.hidden_states[self.layer]


def _read_model_type(path: Path) -> str:
    """The ``model_type`` of the config of a folder written by ``save_pretrained``; checks the weights are there."""
    if not path.is_dir():
        raise FileNotFoundError(f"speech encoder folder not found: {path}")
    config = path / "config.json"
    if not config.is_file():
        raise FileNotFoundError(f"no config.json in {path}: expected a folder written by save_pretrained")
    if not any((path / name).is_file() for name in WEIGHT_FILES):
        raise FileNotFoundError(f"no weights in {path}: expected one of {WEIGHT_FILES}")
    return json.loads(config.read_text()).get("model_type")


def _read_do_normalize(path: Path) -> bool:
    """``do_normalize`` of the folder's ``preprocessor_config.json`` (True without one); checks its sample rate."""
    preprocessor = path / PREPROCESSOR_FILE
    if not preprocessor.is_file():
        return True
    settings = json.loads(preprocessor.read_text())
    if settings.get("sampling_rate", SAMPLE_RATE) != SAMPLE_RATE:
        raise ValueError(f"{preprocessor} expects {settings['sampling_rate']} Hz audio, not {SAMPLE_RATE} Hz")
    return bool(settings.get("do_normalize", True))


def _receptive_field(kernels: tuple[int, ...], strides: tuple[int, ...]) -> int:
    """Samples seen by one output frame of a stack of 1-D convolutions (no padding): the shortest valid input."""
    field, jump = 1, 1
    for kernel, stride in zip(kernels, strides, strict=True):
        field += (kernel - 1) * jump
        jump *= stride
    return field
