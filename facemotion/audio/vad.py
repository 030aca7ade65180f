"""Voice-activity detection with Silero VAD (the ONNX model shipped inside the ``silero-vad`` wheel).

Source: Silero Team, "Silero VAD: pre-trained enterprise-grade Voice Activity Detector", 2024,
https://github.com/snakers4/silero-vad (MIT). The ONNX model runs about 10x faster than its TorchScript
twin on a CPU. It is run here through onnxruntime on numpy arrays, without the package's torch wrapper
(``silero_vad.utils_vad`` imports torch: about 2 s of every command's start-up on 2 cores); the speech
probabilities are turned into spans as ``silero_vad.get_speech_timestamps`` does (silero-vad 6.2, tested equal on
real speech).
"""

from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from facemotion.audio.io import SAMPLE_RATE

WINDOW = 512
"""Samples per speech probability at 16 kHz (32 ms), the model's fixed input size."""

CONTEXT = 64
"""Samples of the previous window prepended to each one, as the model expects at 16 kHz."""

MIN_SPEECH_S = 0.25
"""Spans shorter than this are dropped (Silero's default ``min_speech_duration_ms=250``)."""

SPEECH_PAD_S = 0.03
"""Padding on each side of a span (Silero's default ``speech_pad_ms=30``), seconds."""


@lru_cache(maxsize=1)
def _silero_session():
    """The ONNX model as one onnxruntime session (one thread, as Silero's own wrapper sets it)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.inter_op_num_threads = options.intra_op_num_threads = 1
    package = Path(find_spec("silero_vad").submodule_search_locations[0])  # found, not imported: it imports torch
    model = package / "data" / "silero_vad.onnx"
    return onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])


def speech_probabilities(waveform: np.ndarray) -> np.ndarray:
    """Silero VAD's speech probability of every 32 ms window, the last one zero-padded.

    Args:
        waveform: (S,) float32 mono samples at 16 kHz, S >= 1.

    Returns:
        (ceil(S / 512),) float32 probabilities in [0, 1]; window i covers samples [512 i, 512 (i + 1)).
    """
    session = _silero_session()
    padded = np.concatenate([np.zeros(CONTEXT, np.float32), waveform,
                             np.zeros(-waveform.size % WINDOW, np.float32)])
    state, rate = np.zeros((2, 1, 128), np.float32), np.array(SAMPLE_RATE, np.int64)
    probabilities = np.empty(waveform.size // WINDOW + bool(waveform.size % WINDOW), np.float32)
    for i in range(probabilities.size):
        chunk = padded[None, i * WINDOW: (i + 1) * WINDOW + CONTEXT]
        output, state = session.run(None, {"input": chunk, "state": state, "sr": rate})
        probabilities[i] = output.item()
    return probabilities


def speech_spans(
    waveform: np.ndarray, threshold: float = 0.5, min_silence_s: float = 0.1
) -> list[tuple[float, float]]:
    """Find where someone speaks.

    Args:
        waveform: (S,) float32 mono samples at 16 kHz.
        threshold: speech probability above which a 32 ms window counts as speech (Silero's default 0.5); a
            span ends when the probability stays below ``threshold - 0.15`` for ``min_silence_s``.
        min_silence_s: pauses shorter than this stay inside a span, in seconds.

    Returns:
        Sorted, disjoint ``(start, end)`` spans in seconds (empty for silence); spans are padded by
        30 ms on each side (Silero's default), by half the pause where two spans are closer than 60 ms.

    Raises:
        ValueError: when the waveform is not a 1-D finite float32 array.
    """
    if waveform.ndim != 1 or waveform.dtype != np.float32 or not np.isfinite(waveform).all():
        raise ValueError("waveform must be a 1-D finite float32 array at 16 kHz")
    if waveform.size == 0:
        return []
    spans = _spans(speech_probabilities(waveform), threshold, round(min_silence_s * SAMPLE_RATE), waveform.size)
    return [(start / SAMPLE_RATE, end / SAMPLE_RATE) for start, end in _padded(spans, waveform.size)]


def _spans(probabilities: np.ndarray, threshold: float, min_silence: int, n_samples: int) -> list[list[int]]:
    """Unpadded speech spans in samples: hysteresis between ``threshold`` and ``threshold - 0.15`` (at least
    0.01), ``get_speech_timestamps_from_probs`` without a maximum span length."""
    exit_threshold, min_speech = max(threshold - 0.15, 0.01), MIN_SPEECH_S * SAMPLE_RATE
    spans, start, silence_start = [], None, 0
    for i, probability in enumerate(probabilities):
        sample = WINDOW * i
        if probability >= threshold:
            silence_start = 0
            if start is None:
                start = sample
                continue
        if start is not None and probability < exit_threshold:
            silence_start = silence_start or sample
            if sample - silence_start >= min_silence:
                if silence_start - start > min_speech:
                    spans.append([start, silence_start])
                start, silence_start = None, 0
    if start is not None and n_samples - start > min_speech:
        spans.append([start, n_samples])
    return spans


def _padded(spans: list[list[int]], n_samples: int) -> list[list[int]]:
    """Spans widened by :data:`SPEECH_PAD_S` on each side, or by half the pause between two close ones."""
    pad = SPEECH_PAD_S * SAMPLE_RATE
    for i, span in enumerate(spans):
        if i == 0:
            span[0] = int(max(0, span[0] - pad))
        if i == len(spans) - 1:
            span[1] = int(min(n_samples, span[1] + pad))
            continue
        pause = spans[i + 1][0] - span[1]
        if pause < 2 * pad:
            span[1] += int(pause // 2)
            spans[i + 1][0] = int(max(0, spans[i + 1][0] - pause // 2))
        else:
            span[1] = int(min(n_samples, span[1] + pad))
            spans[i + 1][0] = int(max(0, spans[i + 1][0] - pad))
    return spans
