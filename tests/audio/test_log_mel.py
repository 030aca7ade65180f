import math

import librosa
import numpy as np
import pytest
import torch

from facemotion.audio.log_mel import MEL_FRAME_RATE, LogMel, align_to_fps


def test_log_mel_shape_rate_and_dtype():
    log_mel = LogMel(n_mels=40)
    for n_samples in (1, 159, 160, 16_000, 16_123):
        out = log_mel(torch.zeros(2, n_samples))
        assert out.shape == (2, n_samples // 160 + 1, 40) and out.dtype == torch.float32
    assert log_mel.dim == 40 and log_mel.frame_rate == MEL_FRAME_RATE == 100.0
    torch.testing.assert_close(log_mel(torch.zeros(1, 400)), torch.full((1, 3, 40), math.log(1e-6)))
    assert log_mel(torch.zeros(1, 400, dtype=torch.float64)).dtype == torch.float64
    assert log_mel.state_dict() == {}


def _sine(frequency: float, n_samples: int = 16_000) -> torch.Tensor:
    return 0.5 * torch.sin(2 * math.pi * frequency * torch.arange(n_samples, dtype=torch.float64) / 16_000)


def test_log_mel_of_1khz_sine_peaks_in_the_1khz_band_at_every_frame():
    log_mel = LogMel()
    centres = librosa.mel_frequencies(82, fmin=20.0, fmax=7600.0)[1:-1]
    expected = int(np.argmin(np.abs(centres - 1000.0)))
    assert abs(centres[expected] - 1000.0) < 30.0
    peaks = log_mel(_sine(1000.0).float()[None])[0].argmax(dim=1)
    assert peaks.tolist() == [expected] * 101
    assert log_mel(_sine(3000.0).float()[None])[0].argmax(dim=1).float().mean() > expected + 10


def test_log_mel_matches_librosa_melspectrogram():
    rng = np.random.default_rng(0)
    waveform = (0.1 * rng.standard_normal(8_000) + _sine(440.0, 8_000).numpy()).astype(np.float32)
    stft = {
        "n_fft": 400,
        "hop_length": 160,
        "win_length": 400,
        "window": "hann",
        "center": True,
        "pad_mode": "constant",
    }
    mel_bank = {"n_mels": 80, "fmin": 20.0, "fmax": 7600.0, "htk": False, "norm": "slaney"}
    mel = librosa.feature.melspectrogram(y=waveform, sr=16_000, power=2.0, **stft, **mel_bank)
    expected = np.log(mel + 1e-6).T
    ours = LogMel()(torch.from_numpy(waveform)[None])[0].numpy()
    assert expected.shape == (51, 80) and expected.max() - expected.min() > 5
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-4)


def test_log_mel_gradients_reach_the_waveform_even_through_silence():
    waveform = torch.cat([torch.zeros(800), _sine(200.0, 1600).float()])[None].requires_grad_()
    LogMel()(waveform).sum().backward()
    assert torch.isfinite(waveform.grad).all() and waveform.grad[0, 800:].abs().sum() > 0


@pytest.mark.parametrize(
    ("waveform", "match"),
    [
        (torch.zeros(160), r"\(B, S\)"),
        (torch.zeros(1, 2, 160), r"\(B, S\)"),
        (torch.zeros(1, 160, dtype=torch.int16), "floating point"),
        (torch.zeros(1, 0), "no samples"),
        (torch.tensor([[0.0, float("nan")]]), "NaN or Inf"),
        (torch.tensor([[0.0, float("inf")]]), "NaN or Inf"),
    ],
)
def test_log_mel_rejects_bad_waveforms(waveform, match):
    with pytest.raises(ValueError, match=match):
        LogMel()(waveform)


def test_log_mel_rejects_bad_band_counts():
    with pytest.raises(ValueError, match="n_mels"):
        LogMel(n_mels=0)


def test_align_to_fps_is_exact_on_a_linear_ramp():
    ramp = (3.0 * torch.arange(100, dtype=torch.float64) - 7.0)[None, :, None].repeat(2, 1, 4)
    for rate, fps in ((100.0, 30.0), (50.0, 60.0), (100.0, 25.0), (50.0, 29.97)):
        n_frames = int(ramp.shape[1] / rate * fps) - 1
        aligned = align_to_fps(ramp, rate, fps, n_frames)
        times = (torch.arange(n_frames, dtype=torch.float64) + 0.5) / fps
        torch.testing.assert_close(aligned, (3.0 * times * rate - 7.0)[None, :, None].expand(2, -1, 4))


def test_align_to_fps_holds_the_last_value_beyond_the_audio():
    features = torch.arange(10, dtype=torch.float32)[None, :, None]
    aligned = align_to_fps(features, 10.0, 5.0, 8)[0, :, 0]
    assert aligned.tolist() == [1.0, 3.0, 5.0, 7.0, 9.0, 9.0, 9.0, 9.0]
    assert align_to_fps(features[:, :1], 10.0, 40.0, 3)[0, :, 0].tolist() == [0.0, 0.0, 0.0]
    assert align_to_fps(features, 10.0, 5.0, 0).shape == (1, 0, 1)


@pytest.mark.parametrize(("rate", "fps"), [(100.0, 30.0), (50.0, 60.0)])
def test_align_to_fps_matches_numpy_interp(rate, fps):
    features = torch.randn(3, 137, 5, generator=torch.Generator().manual_seed(0))
    n_frames = 90
    aligned = align_to_fps(features, rate, fps, n_frames)
    assert aligned.shape == (3, n_frames, 5)
    positions = (np.arange(n_frames) + 0.5) * rate / fps
    for b in range(3):
        for c in range(5):
            expected = np.interp(positions, np.arange(137), features[b, :, c].numpy())
            np.testing.assert_allclose(aligned[b, :, c].numpy(), expected, rtol=1e-5, atol=1e-6)


def test_align_to_fps_is_differentiable():
    features = torch.randn(1, 20, 3, requires_grad=True)
    align_to_fps(features, 100.0, 30.0, 6).sum().backward()
    assert torch.isfinite(features.grad).all()
    torch.testing.assert_close(features.grad.sum(), torch.tensor(18.0))


@pytest.mark.parametrize(
    ("features", "rate", "fps", "n_frames", "match"),
    [
        (torch.zeros(10, 3), 100.0, 30.0, 3, "B, T_a, C"),
        (torch.zeros(1, 0, 3), 100.0, 30.0, 3, "B, T_a, C"),
        (torch.zeros(1, 10, 3), 0.0, 30.0, 3, "> 0"),
        (torch.zeros(1, 10, 3), 100.0, -30.0, 3, "> 0"),
        (torch.zeros(1, 10, 3), 100.0, float("inf"), 3, "> 0"),
        (torch.zeros(1, 10, 3), 100.0, 30.0, -1, "n_frames"),
        (torch.zeros(1, 10, 3), 100.0, 30.0, 2.5, "n_frames"),
    ],
)
def test_align_to_fps_rejects_bad_arguments(features, rate, fps, n_frames, match):
    with pytest.raises(ValueError, match=match):
        align_to_fps(features, rate, fps, n_frames)
