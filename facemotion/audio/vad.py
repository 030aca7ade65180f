"""Voice-activity detection with Silero VAD (the ONNX model shipped inside the ``silero-vad`` wheel).

Source: Silero Team, "Silero VAD: pre-trained enterprise-grade Voice Activity Detector", 2024,
https://github.com/snakers4/silero-vad (MIT). The ONNX model runs about 10x faster than its TorchScript
twin on a CPU.
"""

from functools import lru_cache

import numpy as np
import torch

from facemotion.audio.io import SAMPLE_RATE


@lru_cache(maxsize=1)
def _silero_model():
    threads = torch.get_num_threads()
    from silero_vad import load_silero_vad  # its import sets torch's thread count to 1

    torch.set_num_threads(threads)
    return load_silero_vad(onnx=True)


def speech_spans(
    waveform: np.ndarray, threshold: float = 0.5, min_silence_s: float = 0.1
) -> list[tuple[float, float]]:
    """Find where someone speaks.

    Args:
        waveform: (S,) float32 mono samples at 16 kHz.
        threshold: speech probability above which a 32 ms window counts as speech (Silero's default 0.5).
        min_silence_s: pauses shorter than this stay inside a span, in seconds.

    Returns:
        Sorted, disjoint ``(start, end)`` spans in seconds (empty for silence); spans are padded by
        30 ms on each side (Silero's default).

    Raises:
        ValueError: when the waveform is not a 1-D finite float32 array.
    """
    if waveform.ndim != 1 or waveform.dtype != np.float32 or not np.isfinite(waveform).all():
        raise ValueError("waveform must be a 1-D finite float32 array at 16 kHz")
    from silero_vad import get_speech_timestamps

    model = _silero_model()
    model.reset_states()
    spans = get_speech_timestamps(
        torch.from_numpy(waveform),
        model,
        threshold=threshold,
        sampling_rate=SAMPLE_RATE,
        min_silence_duration_ms=round(min_silence_s * 1000),
    )
    return [(span["start"] / SAMPLE_RATE, span["end"] / SAMPLE_RATE) for span in spans]
