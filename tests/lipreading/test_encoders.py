"""The two streams of the sync expert: shapes, temporal reach, the audio's frame alignment and its checks."""

import pytest
import torch

from facemotion.lipreading.encoders import AudioSyncEncoder, TemporalConvNet, VisualSpeechEncoder
from facemotion.timing import frames_centred_within


def test_temporal_model_reaches_layers_times_half_kernel():
    torch.manual_seed(0)
    net = TemporalConvNet(16, 3, kernel=3, layers=2).eval()
    x = torch.randn(1, 11, 16)
    changed = x.clone()
    changed[0, 5] += 1
    moved = (net(x) - net(changed)).abs().sum(-1)[0] > 0
    assert moved.nonzero().flatten().tolist() == [3, 4, 5, 6, 7]
    with pytest.raises(ValueError, match="odd kernel"):
        TemporalConvNet(4, 3, kernel=4)


def test_visual_encoder_context_frames_is_its_reach():
    torch.manual_seed(0)
    encoder = VisualSpeechEncoder(16, 4, (4, 4, 4), 8, 6, kernel=3, layers=1).eval()
    assert encoder.context_frames == 3
    crops = torch.rand(1, 13, 16, 16)
    changed = crops.clone()
    changed[0, 6] = 1 - changed[0, 6]
    moved = (encoder(crops) - encoder(changed)).abs().sum(-1)[0] > 0
    assert moved.nonzero().flatten().tolist() == list(range(3, 10))
    assert encoder(crops).shape == (1, 13, 6)


def test_audio_encoder_frames_and_alignment():
    torch.manual_seed(0)
    encoder = AudioSyncEncoder(fps=25.0, n_mels=20, hidden_dim=8, embedding_dim=5).eval()
    waveform = 0.1 * torch.randn(2, 16000)
    assert frames_centred_within(16000, 25.0) == 25 and frames_centred_within(16000 - 320, 25.0) == 25
    assert frames_centred_within(16000 - 321, 25.0) == 24  # frame 24's centre is at 0.98 s = sample 15680
    assert encoder(waveform).shape == (2, 25, 5)
    assert encoder(waveform, 10).shape == (2, 10, 5)
    with pytest.raises(ValueError, match="covers 25 frames"):
        encoder(waveform, 26)
    with pytest.raises(ValueError, match=r"\(B, S\)"):
        encoder(waveform[0])
    # silence from 0.5 s on reaches mel frames >= 49 (25 ms windows), >= 45 through the two 5-tap convolutions,
    # frames whose centre is past 0.44 s (t >= 11), then 4 frames earlier through the temporal model: t >= 7
    quiet = waveform.clone()
    quiet[:, 8000:] = 0
    moved = (encoder(waveform) - encoder(quiet)).abs().sum(-1)[0] > 0
    assert not moved[:7].any() and moved[7:].all()


def test_mel_statistics_standardise_the_training_audio():
    encoder = AudioSyncEncoder(n_mels=16)
    waveforms = [0.1 * torch.randn(8000), 0.3 * torch.randn(12000)]
    encoder.set_mel_statistics(waveforms)
    mels = torch.cat([encoder.mel(w[None])[0] for w in waveforms])
    standardised = (mels - encoder.mel_mean) / encoder.mel_std
    assert torch.allclose(standardised.mean(0), torch.zeros(16), atol=1e-4)
    assert torch.allclose(standardised.std(0), torch.ones(16), atol=1e-4)
    assert {"mel_mean", "mel_std"} <= set(encoder.state_dict())
    with pytest.raises(ValueError, match="at least one"):
        encoder.set_mel_statistics([])
