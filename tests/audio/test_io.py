import numpy as np
import pytest
import soxr

from facemotion.audio.io import SAMPLE_RATE, audio_info, iter_audio_blocks, load_audio


def tone(seconds: float, sample_rate: int, channels: int = 1) -> np.ndarray:
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    wave = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    return np.stack([wave] * channels, axis=1) if channels > 1 else wave


@pytest.mark.parametrize("sample_rate, channels", [(8000, 1), (16000, 1), (22050, 1), (48000, 2)])
def test_any_rate_and_channels_become_mono_16k(write_audio, sample_rate, channels):
    path = write_audio("tone.wav", tone(1.5, sample_rate, channels), sample_rate)
    waveform = load_audio(path)
    assert waveform.dtype == np.float32 and waveform.ndim == 1
    assert abs(len(waveform) - 1.5 * SAMPLE_RATE) <= 1
    assert 0.25 < np.abs(waveform[1000:-1000]).max() < 0.35


def test_stereo_is_averaged(write_audio):
    left = tone(1.0, 16000)
    path = write_audio("lr.wav", np.stack([left, np.zeros_like(left)], axis=1), 16000)
    np.testing.assert_allclose(load_audio(path), left / 2, atol=1e-4)


def test_blocks_equal_one_whole_resampling(write_audio):
    samples = tone(5.3, 44100)
    path = write_audio("long.flac", samples, 44100)
    blocks = list(iter_audio_blocks(path, block_seconds=1.0))
    assert all(len(b) == SAMPLE_RATE for b in blocks[:-1])
    whole = soxr.resample(samples, 44100, SAMPLE_RATE, quality="HQ")
    np.testing.assert_allclose(np.concatenate(blocks), whole, atol=1e-4)


@pytest.mark.parametrize("name, fmt", [("a.ogg", "OGG"), ("a.flac", "FLAC"), ("a.mp3", "MP3")])
def test_compressed_formats(write_audio, name, fmt):
    path = write_audio(name, tone(1.0, 24000), 24000, format=fmt)
    assert abs(len(load_audio(path)) - SAMPLE_RATE) < 0.05 * SAMPLE_RATE


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="audio file not found"):
        load_audio(tmp_path / "nope.wav")


def test_not_audio(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is not a RIFF file")
    with pytest.raises(ValueError, match="not a readable audio file"):
        load_audio(path)


def test_zero_length(write_audio):
    path = write_audio("empty.wav", np.zeros(0, np.float32), 16000)
    with pytest.raises(ValueError, match="empty"):
        load_audio(path)


def test_nan_samples(write_audio):
    samples = tone(1.0, 16000)
    samples[100] = np.nan
    path = write_audio("nan.wav", samples, 16000, subtype="FLOAT")
    with pytest.raises(ValueError, match="NaN or Inf"):
        load_audio(path)


def test_info_reads_header_only(write_audio):
    path = write_audio("info.wav", tone(2.0, 48000, 2), 48000)
    info = audio_info(path)
    assert (info.sample_rate, info.channels, info.n_samples) == (48000, 2, 96000)
    assert info.duration == pytest.approx(2.0)


def click(seconds: float, sample_rate: int, at: float) -> np.ndarray:
    """Silence with one sharp click (a single-sample pulse) at ``at`` seconds."""
    samples = np.zeros(round(seconds * sample_rate), np.float32)
    samples[round(at * sample_rate)] = 0.9
    return samples


def without_info_frame(data: bytes) -> bytes:
    """An MP3 stream without its first frame, the Xing/Info frame that records LAME's encoder delay (as a
    stream written to a pipe or cut from a longer one has none)."""
    b1, b2 = data[1], data[2]
    assert data[0] == 0xFF and (b1 >> 1) & 3 == 1, "expected a Layer III frame first"
    bitrate_kbps = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)[b2 >> 4]  # MPEG-2 LSF table
    rate = (22050, 24000, 16000)[(b2 >> 2) & 3]
    assert (b1 >> 3) & 3 == 2, "the helper knows MPEG-2 frame sizes only (16, 22.05, 24 kHz)"
    length = 72_000 * bitrate_kbps // rate + ((b2 >> 1) & 1)
    return data[length:]


@pytest.mark.parametrize("tagged", [True, False])
def test_an_mp3_starts_on_time_with_or_without_its_encoder_delay_header(write_audio, tmp_path, tagged):
    """libsndfile trims the delay an MP3's LAME header records; without that header the 576 + 529 samples of
    encoder and decoder delay (69 ms at 16 kHz) are dropped here."""
    path = write_audio("click.mp3", click(2.0, 16000, at=0.5), 16000, format="MP3")
    if not tagged:
        path.write_bytes(without_info_frame(path.read_bytes()))
    info = audio_info(path)
    assert info.start_padding == (0 if tagged else 1105)
    waveform = load_audio(path)
    assert abs(int(np.argmax(np.abs(waveform))) - 8000) <= 2  # on time to 1/8 ms, not 1105 samples late
    assert np.isfinite(waveform).all() and len(waveform) >= 32000  # untagged: LAME's end padding stays
    if tagged:  # without the header, libsndfile's frame count is an estimate from the file size
        assert info.n_samples == len(waveform) == 32000
