import json
import sys

import pytest
import torch

from facemotion.audio.encoders import PretrainedSpeechEncoder

transformers = pytest.importorskip("transformers")

TINY = {
    "hidden_size": 16,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 32,
    "conv_dim": (8,) * 7,
    "num_conv_pos_embeddings": 16,
    "num_conv_pos_embedding_groups": 2,
}
CONFIGS = {
    "wav2vec2": transformers.Wav2Vec2Config,
    "hubert": transformers.HubertConfig,
    "wavlm": transformers.WavLMConfig,
    "data2vec-audio": transformers.Data2VecAudioConfig,
}


def _save_tiny(folder, model_type="wav2vec2", **overrides):
    """Write a tiny random encoder of model_type to folder; return the transformers model (in eval mode)."""
    torch.manual_seed(0)
    model = transformers.AutoModel.from_config(CONFIGS[model_type](**{**TINY, **overrides})).eval()
    model.save_pretrained(folder)
    return model


def _speech(n_samples=4_000, batch=2):
    return 0.3 * torch.randn(batch, n_samples, generator=torch.Generator().manual_seed(1))


def _normalised(waveform):
    variance = waveform.var(1, unbiased=False, keepdim=True)
    return (waveform - waveform.mean(1, keepdim=True)) / torch.sqrt(variance + 1e-7)


@pytest.mark.parametrize("model_type", ["wav2vec2", "hubert", "wavlm"])
def test_round_trip_gives_the_saved_model_on_normalised_audio(tmp_path, model_type):
    reference = _save_tiny(tmp_path, model_type)
    encoder = PretrainedSpeechEncoder.from_pretrained(tmp_path)
    waveform = _speech()
    features = encoder(waveform)
    assert features.shape == (2, (4_000 - 400) // 320 + 1, 16) and features.dtype == torch.float32
    assert encoder.dim == 16 and encoder.frame_rate == 50.0 and encoder.min_samples == 400
    with torch.no_grad():
        expected = reference(_normalised(waveform)).last_hidden_state
    torch.testing.assert_close(features, expected)
    torch.testing.assert_close(encoder(waveform), features, rtol=0, atol=0)


def test_frame_rate_follows_the_conv_strides(tmp_path):
    _save_tiny(tmp_path, conv_dim=(8, 8), conv_kernel=(10, 3), conv_stride=(5, 2))
    encoder = PretrainedSpeechEncoder.from_pretrained(tmp_path)
    assert encoder.frame_rate == 1600.0 and encoder.min_samples == 20
    assert encoder(_speech(1_600)).shape == (2, (1_600 - 10) // 5 // 2, 16)


def test_data2vec_audio_is_supported(tmp_path):
    _save_tiny(tmp_path, "data2vec-audio", conv_pos_kernel_size=4)
    assert PretrainedSpeechEncoder.from_pretrained(tmp_path)(_speech(800)).shape == (2, 2, 16)


def test_a_frozen_encoder_has_no_trainable_parameters_and_stays_in_eval(tmp_path):
    _save_tiny(tmp_path, mask_time_prob=0.5, mask_time_length=2, hidden_dropout=0.5)
    encoder = PretrainedSpeechEncoder.from_pretrained(tmp_path).train()
    assert not any(p.requires_grad for p in encoder.parameters()) and not encoder.model.training
    waveform = _speech().requires_grad_()
    features = encoder(waveform)
    torch.testing.assert_close(encoder(waveform), features, rtol=0, atol=0)
    features.sum().backward()
    assert torch.isfinite(waveform.grad).all() and waveform.grad.abs().sum() > 0


def test_an_unfrozen_encoder_trains(tmp_path):
    _save_tiny(tmp_path)
    encoder = PretrainedSpeechEncoder.from_pretrained(tmp_path, freeze=False)
    assert all(p.requires_grad for p in encoder.parameters()) and encoder.model.training
    encoder(_speech()).square().mean().backward()
    assert encoder.model.encoder.layers[0].attention.q_proj.weight.grad.abs().sum() > 0


def test_a_chosen_layer_returns_that_hidden_state(tmp_path):
    reference = _save_tiny(tmp_path)
    waveform = _speech()
    with torch.no_grad():
        hidden_states = reference(_normalised(waveform), output_hidden_states=True).hidden_states
    for layer in (0, 1, 2):
        encoder = PretrainedSpeechEncoder.from_pretrained(tmp_path, layer=layer)
        torch.testing.assert_close(encoder(waveform), hidden_states[layer])
    with pytest.raises(ValueError, match="layer must be in 0..2"):
        PretrainedSpeechEncoder.from_pretrained(tmp_path, layer=3)


def test_preprocessor_config_without_normalisation_is_followed(tmp_path):
    reference = _save_tiny(tmp_path, "hubert")
    transformers.Wav2Vec2FeatureExtractor(do_normalize=False).save_pretrained(tmp_path)
    waveform = _speech()
    with torch.no_grad():
        expected = reference(waveform).last_hidden_state
    torch.testing.assert_close(PretrainedSpeechEncoder.from_pretrained(tmp_path)(waveform), expected)


def test_a_task_head_folder_loads_its_base_model(tmp_path):
    torch.manual_seed(0)
    ctc = transformers.Wav2Vec2ForCTC(transformers.Wav2Vec2Config(**TINY, vocab_size=8)).eval()
    ctc.save_pretrained(tmp_path)
    waveform = _speech()
    with torch.no_grad():
        expected = ctc.wav2vec2(_normalised(waveform)).last_hidden_state
    torch.testing.assert_close(PretrainedSpeechEncoder.from_pretrained(tmp_path)(waveform), expected)


def test_missing_folder_config_or_weights(tmp_path):
    with pytest.raises(FileNotFoundError, match="folder not found"):
        PretrainedSpeechEncoder.from_pretrained(tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match="no config.json"):
        PretrainedSpeechEncoder.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "wav2vec2"}))
    with pytest.raises(FileNotFoundError, match="no weights"):
        PretrainedSpeechEncoder.from_pretrained(tmp_path)


def test_a_model_that_is_not_a_speech_encoder_is_refused(tmp_path):
    transformers.BertConfig().save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"")  # refused on its config, before the weights are read
    with pytest.raises(ValueError, match="'bert'"):
        PretrainedSpeechEncoder.from_pretrained(tmp_path)


def test_a_preprocessor_at_another_sample_rate_is_refused(tmp_path):
    _save_tiny(tmp_path)
    transformers.Wav2Vec2FeatureExtractor(sampling_rate=8_000).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="8000 Hz"):
        PretrainedSpeechEncoder.from_pretrained(tmp_path)


def test_without_transformers_the_error_says_what_to_install(tmp_path, monkeypatch):
    _save_tiny(tmp_path)
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(ImportError, match=r"pip install facemotion\[encoders\]"):
        PretrainedSpeechEncoder.from_pretrained(tmp_path)


@pytest.mark.parametrize(
    ("waveform", "match"),
    [
        (torch.zeros(800), r"\(B, S\)"),
        (torch.full((1, 800), float("nan")), "NaN or Inf"),
        (torch.zeros(1, 399), "needs >= 400"),
    ],
)
def test_bad_waveforms_are_refused(tmp_path, waveform, match):
    _save_tiny(tmp_path)
    with pytest.raises(ValueError, match=match):
        PretrainedSpeechEncoder.from_pretrained(tmp_path)(waveform)
