"""The sync expert: outputs, chunked encoding of long takes, checkpoints, the shipped weights."""

import json
from importlib import resources

import pytest
import torch

from facemotion.lipreading.expert import SyncExpert, SyncExpertConfig, default_sync_expert

TINY = SyncExpertConfig(
    image_size=16, stem_channels=4, trunk_channels=(4, 8, 8), n_mels=16, hidden_dim=16, embedding_dim=8
)


@pytest.fixture
def expert():
    torch.manual_seed(0)
    return SyncExpert(TINY).eval()


def test_forward_gives_per_frame_embeddings_and_logits(expert):
    crops, waveform = torch.rand(2, 7, 16, 16), 0.1 * torch.randn(2, 4000)
    output = expert(crops, waveform)
    assert output.visual.shape == output.audio.shape == (2, 7, 8) and output.logits.shape == (2, 7)
    cosine = torch.nn.functional.cosine_similarity(output.visual, output.audio, dim=-1)
    assert torch.allclose(output.logits, expert.log_scale.exp() * cosine + expert.bias, atol=1e-5)
    pairs = expert.pair_logits(output.visual[0], output.audio[0])
    assert pairs.shape == (7, 7) and torch.allclose(pairs.diagonal(), output.logits[0], atol=1e-5)
    with pytest.raises(ValueError, match="covers"):
        expert(crops, waveform[:, :1000])
    with pytest.raises(ValueError, match="need crops"):
        expert(crops, waveform[:1])


def test_chunked_encoding_equals_one_pass(expert):
    crops, waveform = torch.rand(40, 16, 16), 0.1 * torch.randn(40 * 16000 // 30)
    with torch.no_grad():
        whole = expert(crops[None], waveform[None])
        chunked = expert.embed_sequence(crops, waveform, chunk=7)
    assert torch.allclose(chunked.visual, whole.visual, atol=1e-5)
    assert torch.allclose(chunked.logits, whole.logits, atol=1e-5)


def test_save_and_load_round_trip(expert, tmp_path):
    expert.audio.set_mel_statistics([0.1 * torch.randn(8000)])
    expert.save_pretrained(tmp_path / "expert")
    assert json.loads((tmp_path / "expert" / "config.json").read_text())["trunk_channels"] == [4, 8, 8]
    loaded = SyncExpert.from_pretrained(tmp_path / "expert")
    assert loaded.config == TINY and not loaded.training
    crops, waveform = torch.rand(1, 5, 16, 16), 0.1 * torch.randn(1, 3000)
    with torch.no_grad():
        assert torch.equal(loaded(crops, waveform).logits, expert(crops, waveform).logits)


def test_bad_folders_are_refused(expert, tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        SyncExpert.from_pretrained(tmp_path)
    expert.save_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({**TINY.to_dict(), "embedding_dim": 4}))
    with pytest.raises(ValueError, match="do not fit"):
        SyncExpert.from_pretrained(tmp_path)
    with pytest.raises(ValueError, match="unknown sync expert config keys"):
        SyncExpertConfig.from_dict({"depth": 3})


def test_half_precision_files_load_as_float32(expert, tmp_path):
    expert.save_pretrained(tmp_path, dtype=torch.float16)
    loaded = SyncExpert.from_pretrained(tmp_path)
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    crops, waveform = torch.rand(1, 5, 16, 16), 0.1 * torch.randn(1, 3000)
    with torch.no_grad():
        assert torch.allclose(loaded(crops, waveform).logits, expert(crops, waveform).logits, atol=0.05)
    with pytest.raises(ValueError, match="floating point"):
        expert.save_pretrained(tmp_path, dtype=torch.int8)


def test_the_shipped_expert_is_small_and_trained():
    folder = resources.files("facemotion.assets") / "weights" / "sync_expert"
    assert (folder / "model.safetensors").stat().st_size < 2_000_000
    expert = default_sync_expert()
    assert expert.config.image_size == 88 and expert.config.fps == 30.0 and not expert.training
    assert expert.audio.mel_std.min() > 0 and expert.audio.mel_mean.abs().sum() > 0  # trained statistics
    assert default_sync_expert() is not expert  # a fresh copy each call
