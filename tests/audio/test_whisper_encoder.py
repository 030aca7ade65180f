"""Whisper encoder features read from CTranslate2 checkpoints: the conversion, the windows, the packaged option."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from facemotion.audio.io import load_audio
from facemotion.audio.whisper_encoder import (
    WHISPER_FEATURES,
    WhisperSpeechEncoder,
    context_windows,
    is_whisper_spec,
    load_whisper_encoder,
    packaged_model_bin,
    parse_whisper_spec,
    read_ctranslate2_variables,
    whisper_encoder_state,
)

transformers = pytest.importorskip("transformers")
ctranslate2 = pytest.importorskip("ctranslate2")

QUANTIZATIONS = ("float32", "float16", "int8")


class _Vocabulary:
    """The little of a tokenizer that CTranslate2's Whisper converter reads."""

    def __init__(self, size: int):
        self.size = size
        self.additional_special_tokens = []

    def get_vocab(self) -> dict[str, int]:
        return {f"<t{i}>": i for i in range(self.size)}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny random Whisper (2 encoder blocks, width 32), and its CTranslate2 conversions by CTranslate2's own
    converter: ``(model, {quantization: folder})``."""
    from ctranslate2.converters import TransformersConverter

    class Converter(TransformersConverter):
        def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
            return _Vocabulary(64)

    torch.manual_seed(0)
    config = transformers.WhisperConfig(
        vocab_size=64, d_model=32, encoder_layers=2, encoder_attention_heads=4, encoder_ffn_dim=64,
        decoder_layers=1, decoder_attention_heads=4, decoder_ffn_dim=64, max_target_positions=32,
        pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1,
    )
    model = transformers.WhisperForConditionalGeneration(config).eval()
    with torch.no_grad():  # random biases and norms, so that a swapped or dropped one shows
        for name, parameter in model.model.encoder.named_parameters():
            if "layer_norm" in name or name.endswith("bias"):
                parameter.normal_(0.5 if name.endswith("weight") else 0.0, 0.2)
        for layer in model.model.encoder.layers:
            layer.self_attn.k_proj.weight.mul_(3.0)
    root = tmp_path_factory.mktemp("tiny_whisper")
    model.save_pretrained(root / "transformers")
    folders = {q: Converter(str(root / "transformers")).convert(str(root / q), quantization=q) for q in QUANTIZATIONS}
    return model, folders


def _speech(seconds: float, seed: int = 0) -> torch.Tensor:
    """(1, S) noisy harmonic 'speech' with a varying envelope at 16 kHz."""
    t = torch.arange(int(seconds * 16_000)) / 16_000
    noise = torch.randn(len(t), generator=torch.Generator().manual_seed(seed))
    voice = torch.sin(2 * math.pi * 140 * t) + 0.5 * torch.sin(2 * math.pi * 420 * t)
    return (0.2 * (1 + torch.sin(2 * math.pi * 3 * t)) * voice + 0.02 * noise)[None].float()


def _mel(waveform: torch.Tensor, padded: bool = True) -> torch.Tensor:
    extractor = transformers.WhisperFeatureExtractor()
    padding = "max_length" if padded else "longest"
    return extractor(waveform.numpy(), sampling_rate=16_000, padding=padding, return_tensors="pt")["input_features"]


def _ctranslate2_encode(folder, mel: torch.Tensor, compute_type: str = "float32") -> torch.Tensor:
    model = ctranslate2.models.Whisper(str(folder), device="cpu", compute_type=compute_type, intra_threads=2)
    return torch.from_numpy(np.array(model.encode(ctranslate2.StorageView.from_array(mel.numpy()), to_cpu=True)))


@pytest.mark.parametrize("quantization", QUANTIZATIONS)
def test_conversion_gives_the_weights_of_the_original_encoder(tiny, quantization):
    model, folders = tiny
    encoder, total = load_whisper_encoder(f"{folders[quantization]}/model.bin")
    assert total == 2 and not encoder.training
    original = model.model.encoder.state_dict()
    converted = encoder.state_dict()
    assert converted.keys() == original.keys()
    for name, value in original.items():
        # float16 rounds to 11 significant bits; int8 to 1/127 of each row's largest weight
        tolerance = {"float32": 0.0, "float16": 2**-11, "int8": 1 / 254}[quantization] * value.abs().max().item()
        if quantization == "int8" and not name.endswith("weight"):
            tolerance = 2**-11 * value.abs().max().item()  # biases and norms are kept in float16 by int8 models
        torch.testing.assert_close(converted[name], value, rtol=0, atol=tolerance + 1e-7, msg=name)


@pytest.mark.parametrize("quantization", QUANTIZATIONS)
def test_converted_encoder_matches_ctranslate2_on_the_same_checkpoint(tiny, quantization):
    _, folders = tiny
    encoder, _ = load_whisper_encoder(f"{folders[quantization]}/model.bin")
    mel = _mel(_speech(3.0))
    with torch.no_grad():
        ours = encoder(mel).last_hidden_state
    torch.testing.assert_close(ours, _ctranslate2_encode(folders[quantization], mel), rtol=1e-4, atol=1e-4)


def test_each_block_is_the_hidden_state_of_the_original_encoder(tiny):
    model, folders = tiny
    waveform = _speech(2.0)
    with torch.no_grad():
        expected = model.model.encoder(_mel(waveform), output_hidden_states=True).hidden_states
    for block in range(3):
        encoder = WhisperSpeechEncoder.from_checkpoint(f"{folders['float32']}/model.bin", block, pad_to_30s=True)
        assert len(encoder.encoder.layers) == block and encoder.final_norm == (block == 2)
        features = encoder(waveform)
        assert features.shape == (1, 100, 32) and features.dtype == torch.float32
        torch.testing.assert_close(features, expected[block][:, :100], rtol=1e-5, atol=1e-5)


def test_short_input_uses_the_first_positions_as_a_shorter_whisper_would(tiny):
    model, folders = tiny
    waveform = _speech(2.0)  # 200 mel frames, 100 encoder frames
    short = transformers.WhisperConfig(**{**model.config.to_dict(), "max_source_positions": 100})
    reference = transformers.models.whisper.modeling_whisper.WhisperEncoder(short).eval()
    state = model.model.encoder.state_dict()
    reference.load_state_dict({**state, "embed_positions.weight": state["embed_positions.weight"][:100]})
    with torch.no_grad():
        expected = reference(_mel(waveform, padded=False)).last_hidden_state
    encoder = WhisperSpeechEncoder.from_checkpoint(f"{folders['float32']}/model.bin")
    torch.testing.assert_close(encoder(waveform), expected, rtol=1e-5, atol=1e-5)


def test_long_audio_runs_in_overlapping_30_s_windows(tiny):
    _, folders = tiny
    encoder = WhisperSpeechEncoder.from_checkpoint(f"{folders['float32']}/model.bin")
    # quieter after 30 s, so that the log-mel maximum (over the whole input) is that of the first 30 s
    waveform = torch.cat([_speech(30.0), 0.5 * _speech(11.0, seed=1)], dim=1)
    features = encoder(waveform)
    assert features.shape == (1, math.ceil(41.0 * 100 / 2), 32)
    (_, _, _, first_cut), _ = context_windows(features.shape[1])
    alone = encoder(waveform[:, : 30 * 16_000])
    torch.testing.assert_close(features[:, :first_cut], alone[:, :first_cut], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("n_frames", [1, 1500, 1501, 2750, 2751, 9999])
def test_context_windows_tile_the_frames(n_frames):
    windows = context_windows(n_frames)
    kept = [frame for _, _, start, end in windows for frame in range(start, end)]
    assert kept == list(range(n_frames))
    for (start, end, keep_start, keep_end), following in zip(windows, windows[1:] + [None]):
        assert 0 <= start <= keep_start < keep_end <= end <= n_frames and end - start <= 1500
        if following is not None:
            assert end - following[0] >= 250 and min(keep_end - following[0], end - keep_end) >= 125


def test_encoder_is_frozen_and_stays_in_eval_mode(tiny):
    _, folders = tiny
    encoder = WhisperSpeechEncoder.from_checkpoint(f"{folders['float32']}/model.bin", 1)
    encoder.train()
    assert encoder.frozen and encoder.training and not encoder.encoder.training
    assert not any(p.requires_grad for p in encoder.parameters())
    assert (encoder.dim, encoder.frame_rate, encoder.min_samples) == (32, 50.0, 400)


def test_bad_inputs_and_checkpoints_are_refused(tiny, tmp_path):
    _, folders = tiny
    model_bin = f"{folders['float32']}/model.bin"
    encoder = WhisperSpeechEncoder.from_checkpoint(model_bin, 1)
    with pytest.raises(ValueError, match="needs >= 400"):
        encoder(torch.zeros(1, 399))
    with pytest.raises(ValueError, match=r"must be \(B, S\)"):
        encoder(torch.zeros(16_000))
    with pytest.raises(ValueError, match="has 2 blocks; cannot keep 3"):
        load_whisper_encoder(model_bin, 3)
    data = Path(model_bin).read_bytes()
    (tmp_path / "v5.bin").write_bytes((5).to_bytes(4, "little") + data[4:])
    with pytest.raises(ValueError, match="binary version 5"):
        read_ctranslate2_variables(tmp_path / "v5.bin")
    (tmp_path / "cut.bin").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated"):
        read_ctranslate2_variables(tmp_path / "cut.bin")


def test_a_key_bias_is_refused(tiny):
    _, folders = tiny
    variables = read_ctranslate2_variables(f"{folders['float32']}/model.bin", "encoder/").variables
    bias = variables["encoder/layer_1/self_attention/linear_0/bias"].copy()
    bias[32:64] = 1.0
    with pytest.raises(ValueError, match="block 1: the key projection has a bias"):
        whisper_encoder_state({**variables, "encoder/layer_1/self_attention/linear_0/bias": bias}, 2)


def test_packaged_specs():
    assert parse_whisper_spec("whisper-base:4") == ("base", 4)
    assert parse_whisper_spec("whisper-tiny.en:3") == ("tiny.en", 3)
    assert parse_whisper_spec(WHISPER_FEATURES) == ("base", 3)
    for folder in ("speech_encoder", "/home/trainer/whisper-base:4", "whisper-base", "whisper-base:x"):
        assert not is_whisper_spec(folder)
    with pytest.raises(ValueError, match="no packaged Whisper checkpoint of size 'huge'"):
        packaged_model_bin("huge")
    with pytest.raises(ValueError, match="not a packaged Whisper encoder"):
        WhisperSpeechEncoder.from_spec("speech_encoder")


@pytest.mark.slow
def test_whisper_base_matches_ctranslate2_on_real_speech(speech_clips):
    """The shipped Whisper base, all blocks, each clip padded to 30 s, against CTranslate2 on the same checkpoint:
    every speech frame agrees with CTranslate2 computing in float32 (cosine > 0.9999; measured 1.00000); CTranslate2
    in int8 quantises weights and activations, and agrees on average (measured mean 0.996-0.998, its worst frame
    0.70 on LJ001-0001)."""
    model_bin = packaged_model_bin("base")
    encoder = WhisperSpeechEncoder.from_checkpoint(model_bin, pad_to_30s=True)
    assert (encoder.block, encoder.dim, encoder.final_norm) == (6, 512, True)
    for path in speech_clips:
        waveform = torch.from_numpy(load_audio(path))[None]
        ours = encoder(waveform)
        cosine = {}
        for compute_type in ("float32", "int8"):
            theirs = _ctranslate2_encode(model_bin.parent, _mel(waveform), compute_type)[:, : ours.shape[1]]
            cosine[compute_type] = torch.nn.functional.cosine_similarity(ours, theirs, dim=-1)[0]
        assert cosine["float32"].min() > 0.9999, (path.name, cosine["float32"].min())
        assert cosine["int8"].mean() > 0.99 and cosine["int8"].median() > 0.99, (path.name, cosine["int8"].mean())


@pytest.mark.slow
def test_a_speech_motion_model_names_its_packaged_encoder_and_reloads(tmp_path):
    from facemotion.motion.speech_motion import ENCODER_FOLDER, SpeechMotionConfig, SpeechMotionModel
    from facemotion.motion.transformer import KeyMotionTransformerConfig

    config = KeyMotionTransformerConfig(d_model=16, n_heads=2, n_layers=1, dropout=0.0,
                                        speech_encoder="whisper-tiny.en:2")
    torch.manual_seed(0)
    model = SpeechMotionModel(SpeechMotionConfig(config, None)).eval()
    assert isinstance(model.transformer.audio, WhisperSpeechEncoder) and model.transformer.audio.dim == 384
    (tmp_path / "model" / ENCODER_FOLDER).mkdir(parents=True)  # a stale copy from an earlier save goes
    folder = model.save_pretrained(tmp_path / "model")
    assert not (folder / ENCODER_FOLDER).exists()
    assert json.loads((folder / "config.json").read_text())["transformer"]["speech_encoder"] == "whisper-tiny.en:2"
    loaded = SpeechMotionModel.from_pretrained(folder)
    audio = model.transformer.audio(_speech(1.0))
    torch.testing.assert_close(loaded(audio, 30), model(audio, 30))
