"""KeyMotionTransformer, TemporalVAE and the SpeechMotionModel that joins them (tiny random models)."""

import dataclasses
import json
import shutil

import numpy as np
import pytest
import torch

from facemotion.audio.log_mel import LogMel
from facemotion.expression.emotion import EmotionCondition
from facemotion.motion.keymotion import key_motions
from facemotion.motion.speech_motion import SpeechMotionConfig, SpeechMotionModel
from facemotion.motion.transformer import KeyMotionTokens, KeyMotionTransformer, KeyMotionTransformerConfig
from facemotion.motion.vae import TemporalVAE, TemporalVAEConfig
from facemotion.motion.windows import motion_in_windows, overlap_add, take_features
from facemotion.text.phonemes import PhonemeSegment
from facemotion.text.visemes import load_viseme_table

TINY_TRANSFORMER = KeyMotionTransformerConfig(n_mels=16, d_model=16, n_heads=2, n_layers=1, dropout=0.0)
TINY_PRIOR = TemporalVAEConfig(d_model=16, n_heads=2, n_layers=1, content_dim=4, emotion_dim=2, n_styles=2, dropout=0.0)


def keys_for(phones):
    return key_motions([PhonemeSegment(p, s, e) for p, s, e in phones], load_viseme_table())


@pytest.fixture
def model():
    torch.manual_seed(0)
    config = SpeechMotionConfig(TINY_TRANSFORMER, TINY_PRIOR, window_seconds=2.0, overlap_seconds=0.5)
    return SpeechMotionModel(config).eval()


def test_transformer_shapes_heads_and_key_motions_matter():
    torch.manual_seed(0)
    config = KeyMotionTransformerConfig(**{**vars(TINY_TRANSFORMER), "heads": {"arkit": 52, "flame": 53}})
    transformer = KeyMotionTransformer(config).eval()
    audio = transformer.audio(torch.randn(2, 16000))
    tokens = KeyMotionTokens.from_keys([keys_for([("M", 0.2, 0.3), ("AA", 0.3, 0.5)]), None])
    arkit = transformer(audio, 30, tokens)
    assert arkit.shape == (2, 30, 52)
    assert transformer(audio, 30, tokens, "flame").shape == (2, 30, 53)
    assert not torch.allclose(arkit[0], transformer(audio, 30, None)[0])
    torch.testing.assert_close(arkit[1], transformer(audio, 30, None)[1])  # no keys == the no-key token alone
    with pytest.raises(KeyError, match="vertices"):
        transformer(audio, 30, tokens, "vertices")


@pytest.mark.parametrize("through_prior", [False, True])
def test_gradients_reach_every_trainable_parameter(through_prior):
    torch.manual_seed(0)
    config = SpeechMotionConfig(TINY_TRANSFORMER, TINY_PRIOR, speech_through_prior=through_prior)
    model = SpeechMotionModel(config).train()
    audio = model.transformer.audio(torch.randn(2, 16000))
    tokens = KeyMotionTokens.from_keys([keys_for([("P", 0.1, 0.2)])] * 2)
    model(audio, 30, tokens).square().mean().backward()
    unused = [n for n, p in model.transformer.named_parameters() if p.requires_grad and p.grad is None]
    assert unused == []
    assert ("arkit" in model.transformer.heads.dims) != through_prior  # through the prior: a latent head


def test_emotion_is_one_expression_laid_over_speech_that_ignores_it():
    """The decoder cannot let the emotion change the spoken content: speech comes from content and style alone."""
    torch.manual_seed(0)
    vae = TemporalVAE(TINY_PRIOR).eval()
    content, style = torch.randn(2, 8, 4), torch.tensor([1, 1])
    condition = vae.condition(torch.tensor([1, 3]), torch.tensor([1.0, 0.7]), style)  # happy, sad
    motion = vae.decode(content, vae.prior_emotion(condition), condition, 16)
    speech = vae.decode_speech(content, style, 16)
    expression = (motion - speech) / (1.0 - speech)  # the ARKit union, inverted
    torch.testing.assert_close(expression, expression[:, :1].expand_as(expression), atol=1e-4, rtol=1e-4)
    assert not torch.allclose(motion[0], motion[1])


def test_intensity_zero_is_no_expression_whatever_the_latent():
    """Neutral (always intensity 0) decodes to the speech alone, even with an emotion latent far from its prior."""
    torch.manual_seed(0)
    vae = TemporalVAE(TINY_PRIOR).eval()
    content, style = torch.randn(3, 8, 4), torch.tensor([0, 1, 1])
    condition = vae.condition(torch.tensor([0, 1, 3]), torch.zeros(3), style)  # neutral, happy, sad
    motion = vae.decode(content, 5 * torch.randn(3, TINY_PRIOR.emotion_dim), condition, 16)
    torch.testing.assert_close(motion, vae.decode_speech(content, style, 16), atol=0, rtol=0)
    half = vae.condition(torch.tensor([1]), torch.tensor([0.5]), style[:1])
    assert vae.expression(vae.prior_emotion(half), half).abs().max() > 0


def test_speech_features_are_standardised_with_training_statistics(tmp_path):
    torch.manual_seed(0)
    model = SpeechMotionModel(SpeechMotionConfig(TINY_TRANSFORMER, None)).eval()
    rng = np.random.default_rng(0)
    takes = [rng.normal(0, 0.1, 16000).astype(np.float32), rng.normal(0, 0.3, 24000).astype(np.float32)]
    per_take = [take_features(model.transformer.audio, t) for t in takes]
    model.transformer.fit_feature_statistics(per_take)
    features = torch.cat(per_take)
    standardised = (features - model.transformer.feature_mean) / model.transformer.feature_std
    torch.testing.assert_close(standardised.mean(0), torch.zeros(16), atol=1e-4, rtol=0)
    torch.testing.assert_close(standardised.std(0), torch.ones(16), atol=1e-4, rtol=0)
    quiet, loud = (model.transformer.audio(torch.from_numpy(takes[0])[None] * gain) for gain in (1, 4))
    assert not torch.allclose(model(quiet, 30), model(loud, 30))  # loudness is kept: no per-window normalisation
    loaded = SpeechMotionModel.from_pretrained(model.save_pretrained(tmp_path / "m"))
    torch.testing.assert_close(loaded.transformer.feature_std, model.transformer.feature_std)
    with pytest.raises(ValueError, match="at least one"):
        model.transformer.fit_feature_statistics([])


def test_vae_round_trip_shapes_on_odd_lengths_and_sampling():
    torch.manual_seed(0)
    vae = TemporalVAE(TINY_PRIOR).eval()
    motion = torch.rand(3, 31, 52)
    condition = (torch.tensor([0, 1, 2]), torch.tensor([0.0, 1.0, 0.5]), torch.tensor([0, 1, 0]))
    reconstruction, posterior = vae(motion, *condition)
    assert reconstruction.shape == motion.shape and posterior.content_mean.shape == (3, 16, 4)
    assert posterior.emotion_mean.shape == (3, 2)
    assert vae.sample(31, *condition).shape == (3, 31, 52)
    with pytest.raises(ValueError, match="power of two"):
        TemporalVAE(TemporalVAEConfig(downsample=3))


def test_overlap_add_blends_windows_into_a_convex_combination():
    calls = []

    def run(start, end):
        calls.append((start, end))
        return torch.arange(start, end, dtype=torch.float32)[:, None].repeat(1, 2)

    out = overlap_add(run, 100, 40, 10)
    torch.testing.assert_close(out[:, 0], torch.arange(100, dtype=torch.float32))
    assert calls[0] == (0, 40) and calls[-1][1] == 100 and all(e - s <= 40 for s, e in calls)


def test_generate_any_length_and_save_load_round_trip(model, tmp_path):
    rng = np.random.default_rng(0)
    waveform = rng.normal(0, 0.1, 16000 * 7 + 123).astype(np.float32)
    keys = keys_for([("B", 1.0, 1.1), ("AO", 1.1, 1.4), ("M", 5.0, 5.1)])
    happy = EmotionCondition("happy", 0.8, style=1)
    motion = motion_in_windows(model, waveform, keys, happy)
    assert motion.shape == (int(np.ceil((16000 * 7 + 123) / 16000 * 30)), 52)
    assert 0 <= motion.min() and motion.max() <= 1
    folder = model.save_pretrained(tmp_path / "model")
    assert json.loads((folder / "config.json").read_text())["prior"]["content_dim"] == 4
    loaded = SpeechMotionModel.from_pretrained(folder)
    np.testing.assert_array_equal(motion_in_windows(loaded, waveform, keys, happy), motion)
    assert not np.allclose(motion_in_windows(model, waveform, keys, EmotionCondition("sad", 0.8, style=1)), motion)


def test_the_viseme_table_travels_with_the_model(model, tmp_path):
    table = load_viseme_table()
    poses = {**table.poses, "aa": table.poses["aa"] * np.float32(0.5)}
    model.visemes = dataclasses.replace(table, poses=poses)
    folder = model.save_pretrained(tmp_path / "model")
    loaded = SpeechMotionModel.from_pretrained(folder).visemes
    assert loaded.phoneme_to_viseme == table.phoneme_to_viseme and loaded.dominance == table.dominance
    assert all(np.array_equal(loaded.poses[v], poses[v]) for v in poses)
    model.visemes = None
    assert SpeechMotionModel.from_pretrained(model.save_pretrained(folder)).visemes is None


def test_generation_refuses_a_style_the_prior_lacks_and_a_model_in_training_mode(model):
    """(Emotion and intensity are checked by EmotionCondition: tests/expression/test_emotion.py.)"""
    silence = np.zeros(16000, np.float32)
    with pytest.raises(ValueError, match=r"style must be in \[0, 2\), got 2"):
        motion_in_windows(model, silence, condition=EmotionCondition("happy", style=2))
    with pytest.raises(ValueError, match="training mode"):
        motion_in_windows(model.train(), silence)
    assert model.training  # the mode is the caller's: generation never switches it
    model.eval()


def test_from_pretrained_errors(model, tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        SpeechMotionModel.from_pretrained(tmp_path)
    folder = model.save_pretrained(tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    config["prior"]["content_dim"] = 5
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises((ValueError, RuntimeError)):
        SpeechMotionModel.from_pretrained(folder)


def test_pretrained_speech_encoder_from_a_local_folder(tmp_path):
    transformers = pytest.importorskip("transformers")
    encoder_config = transformers.Wav2Vec2Config(
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        conv_dim=(8,) * 7,
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
    )
    transformers.Wav2Vec2Model(encoder_config).save_pretrained(tmp_path / "encoder")
    config = KeyMotionTransformerConfig(**{**vars(TINY_TRANSFORMER), "speech_encoder": str(tmp_path / "encoder")})
    model = SpeechMotionModel(SpeechMotionConfig(config, None))
    assert model.transformer.audio.frame_rate == 50.0
    assert model(model.transformer.audio(torch.randn(1, 16000)), 30).shape == (1, 30, 52)
    folder = model.save_pretrained(tmp_path / "model")
    shutil.rmtree(tmp_path / "encoder")  # the folder carries its encoder: the training machine's copy is not needed
    assert json.loads((folder / "config.json").read_text())["transformer"]["speech_encoder"] == "speech_encoder"
    loaded = SpeechMotionModel.from_pretrained(folder)
    audio = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    np.testing.assert_allclose(motion_in_windows(loaded, audio), motion_in_windows(model.eval(), audio), atol=1e-5)
    assert not any(path.name.startswith(".staging") for path in (folder / "speech_encoder").iterdir())


def test_a_speech_encoder_outside_the_model_folder_is_refused(tmp_path):
    model = SpeechMotionModel(SpeechMotionConfig(TINY_TRANSFORMER, None))
    folder = model.save_pretrained(tmp_path / "model")
    config = json.loads((folder / "config.json").read_text())
    config["transformer"]["speech_encoder"] = "/home/trainer/wav2vec2-base"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="config.json: the speech encoder '/home/trainer/wav2vec2-base' is not inside"):
        SpeechMotionModel.from_pretrained(folder)


def test_model_folder_says_what_it_holds(tmp_path):
    """diffusers-style header: the class name and the folder format version; folders without it still load."""
    import json

    from facemotion.checkpoints import FORMAT_VERSION

    model = SpeechMotionModel(SpeechMotionConfig(TINY_TRANSFORMER, TINY_PRIOR))
    folder = model.save_pretrained(tmp_path / "model")
    config = json.loads((folder / "config.json").read_text())
    assert (config["_class_name"], config["_format_version"]) == ("SpeechMotionModel", FORMAT_VERSION)
    del config["_class_name"], config["_format_version"]
    (folder / "config.json").write_text(json.dumps(config))
    assert SpeechMotionModel.from_pretrained(folder).config == model.config


def test_a_take_is_encoded_in_30_s_pieces_as_if_whole():
    """Log-mel is frame-local: the pieces (cut midway through 5 s overlaps) give the whole take's frames."""
    encoder = LogMel(16)
    waveform = np.random.default_rng(0).normal(0, 0.1, 16000 * 70 + 77).astype(np.float32)
    pieces = take_features(encoder, waveform)
    whole = encoder(torch.from_numpy(waveform)[None])[0]
    assert pieces.shape == whole.shape
    torch.testing.assert_close(pieces, whole, atol=1e-4, rtol=1e-4)
    assert take_features(encoder, waveform[:100]).shape == (1, 16)  # shorter than a window: one frame
