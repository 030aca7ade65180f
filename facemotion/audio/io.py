"""Reading speech files: any sample rate and channel count in, mono float32 at 16 kHz out, in blocks.

Decoding is libsndfile's (through ``soundfile``: wav, flac, ogg/vorbis, opus, mp3 and more) and resampling
is libsoxr's (through ``soxr``, "HQ" quality). Files are read in blocks, so memory stays bounded
whatever the length of the file. An MP3 without a header recording its encoder delay starts with the delay
dropped (:mod:`facemotion.audio.mp3`), so that it is not 69 ms late.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from facemotion.audio.mp3 import mp3_start_padding
from facemotion.inputs import input_file
from facemotion.timing import SAMPLE_RATE


@dataclass(frozen=True)
class AudioInfo:
    """What the file header says about a speech file.

    Attributes:
        path: the file.
        sample_rate: the file's own sample rate in Hz.
        channels: the number of channels.
        n_samples: samples per channel at the file's rate, without ``start_padding``.
        start_padding: samples the decoder gives before the audio starts, dropped on reading (an MP3's encoder
            and decoder delay when the file does not record it: :func:`~facemotion.audio.mp3.mp3_start_padding`).
    """

    path: Path
    sample_rate: int
    channels: int
    n_samples: int
    start_padding: int = 0

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.n_samples / self.sample_rate


def audio_info(path: str | Path) -> AudioInfo:
    """Read the header of a speech file.

    Raises:
        FileNotFoundError: when the file does not exist.
        IsADirectoryError: when it is a folder.
        ValueError: when it is not a readable audio file (a pipe or device among them), or holds no samples.
        TypeError: when ``path`` is not a str or os.PathLike.
    """
    path = input_file(path, "audio file")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as error:
        raise ValueError(f"not a readable audio file: {path} ({error})") from None
    padding = mp3_start_padding(path) if info.format == "MP3" else 0
    if info.frames <= padding:
        raise ValueError(f"audio file is empty (zero samples): {path}")
    return AudioInfo(path, int(info.samplerate), int(info.channels), int(info.frames) - padding, padding)


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """A whole audio file at its own rate and channel count, starting on time (as :func:`iter_audio_blocks`).

    Returns:
        (N, C) float32 samples and the sample rate in Hz.

    Raises:
        FileNotFoundError, ValueError: as :func:`audio_info`, or when the file cannot be decoded.
    """
    info = audio_info(path)
    try:
        samples, sample_rate = sf.read(str(info.path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as error:
        raise ValueError(f"cannot decode audio file: {info.path} ({error})") from None
    return samples[info.start_padding:], int(sample_rate)


def iter_audio_blocks(path: str | Path, block_seconds: float = 30.0) -> Iterator[np.ndarray]:
    """Stream a speech file as mono float32 blocks at :data:`SAMPLE_RATE`.

    Channels are averaged; the file's rate is converted with libsoxr in streaming mode, so the
    concatenation of the blocks equals one whole-file resampling. Every block but the last holds
    exactly ``round(block_seconds * 16000)`` samples.

    Args:
        path: the speech file.
        block_seconds: block length in seconds, > 0.

    Yields:
        (S_b,) float32 blocks, values as decoded (nominally [-1, 1]).

    Raises:
        FileNotFoundError: when the file does not exist.
        ValueError: when the file is not audio, is empty, or holds NaN or Inf samples.
    """
    if not block_seconds > 0:
        raise ValueError(f"block_seconds must be > 0, got {block_seconds}")
    info = audio_info(path)
    block_size = round(block_seconds * SAMPLE_RATE)
    resampler = soxr.ResampleStream(info.sample_rate, SAMPLE_RATE, 1, dtype="float32", quality="HQ")
    source_block = max(1, round(block_seconds * info.sample_rate))
    pending = np.zeros(0, np.float32)
    skip = info.start_padding
    try:
        with sf.SoundFile(str(info.path)) as f:
            # read() until empty, not blocks(): blocks() trusts the header's frame count, which is an estimate
            # for an MP3 without a Xing header, and pads past the real end with whatever its buffer held
            while len(frames := f.read(source_block, dtype="float32", always_2d=True)):
                mono, skip = frames[skip:].mean(axis=1), max(0, skip - len(frames))
                if not np.isfinite(mono).all():
                    raise ValueError(f"audio contains NaN or Inf samples: {info.path}")
                pending = np.concatenate([pending, resampler.resample_chunk(mono)])
                while len(pending) >= block_size:
                    yield pending[:block_size]
                    pending = pending[block_size:]
    except sf.LibsndfileError as error:
        raise ValueError(f"cannot decode audio file: {info.path} ({error})") from None
    pending = np.concatenate([pending, resampler.resample_chunk(np.zeros(0, np.float32), last=True)])
    if len(pending):
        yield pending


def load_audio(path: str | Path) -> np.ndarray:
    """Read a whole speech file as mono float32 at :data:`SAMPLE_RATE`.

    Returns:
        (S,) float32 waveform, ``S ≈ duration * 16000``.

    Raises:
        FileNotFoundError, ValueError: as :func:`iter_audio_blocks`.
    """
    return np.concatenate(list(iter_audio_blocks(path)))
