"""A learned model over a whole take: overlapping windows of its speech, cross-faded (overlap-add).

The model (:class:`~facemotion.motion.speech_motion.SpeechMotionModel`) computes one window; this module cuts a
take of any length into windows of ``config.window_seconds`` that share ``config.overlap_seconds`` and blends them
with linear cross-fades, so there is no length limit. The pipeline (inference) and training's whole-take
validation both run models through it, so a frame's speech is cut the same way in both
(:func:`~facemotion.timing.frame_samples`).
"""

from collections.abc import Callable

import numpy as np
import torch

from facemotion.expression.emotion import EmotionCondition
from facemotion.motion.keymotion import KeyMotions
from facemotion.motion.speech_motion import SpeechMotionModel
from facemotion.motion.transformer import KeyMotionTokens
from facemotion.timing import SAMPLE_RATE, frame_samples, frames_covering, window_frames


@torch.inference_mode()
def motion_in_windows(
    model: SpeechMotionModel,
    waveform: np.ndarray,
    keys: KeyMotions | None = None,
    condition: EmotionCondition = EmotionCondition(),
    representation: str = "arkit",
) -> np.ndarray:
    """A model's motion for a whole take, window by window.

    Args:
        model: the model, in eval mode (as :meth:`~facemotion.motion.speech_motion.SpeechMotionModel.from_pretrained`
            returns it; this function never changes the mode).
        waveform: (S,) float32 speech at 16 kHz, any length.
        keys: its key motions (timed from the start), or None.
        condition: emotion, intensity and speaking style (neutral, style 0 by default).
        representation: the motion wanted.

    Returns:
        (``frames_covering(S / 16000, fps)``, D) float32 at ``model.fps``; ARKit weights clipped to [0, 1].

    Raises:
        ValueError: for a model in training mode, a style the model's prior does not have, or a waveform that is
            not 1-D and finite.
    """
    if model.training:
        raise ValueError("the model is in training mode: call model.eval() before generating motion")
    if waveform.ndim != 1 or not len(waveform) or not np.all(np.isfinite(waveform)):
        raise ValueError("waveform must be a non-empty 1-D array of finite samples")
    fps, config = model.fps, model.config
    device = next(model.parameters()).device
    tensors = tuple(t.to(device) for t in model.condition_tensors(condition))
    audio = torch.from_numpy(np.ascontiguousarray(waveform, np.float32)).to(device)
    min_samples = getattr(model.transformer.audio, "min_samples", 1)  # a pretrained encoder needs a few

    def run(start: int, end: int) -> torch.Tensor:
        chunk = audio[frame_samples(start, end, fps)]
        chunk = torch.nn.functional.pad(chunk, (0, max(0, min_samples - len(chunk))))[None]
        tokens = None
        if keys is not None:
            tokens = KeyMotionTokens.from_keys([keys.window(start / fps, end / fps)]).to(device)
        return model(chunk, end - start, tokens, tensors, representation)[0].cpu()

    n_frames = frames_covering(len(waveform) / SAMPLE_RATE, fps)
    motion = overlap_add(
        run, n_frames, window_frames(config.window_seconds, fps), window_frames(config.overlap_seconds, fps)
    )
    return (motion.clamp(0.0, 1.0) if representation == "arkit" else motion).numpy()


def overlap_add(run: Callable[[int, int], torch.Tensor], n_frames: int, window: int, overlap: int) -> torch.Tensor:
    """Run ``run(start, end) -> (end - start, D)`` over overlapping windows and cross-fade them linearly.

    Args:
        run: the model on frames [start, end).
        n_frames: T, total frames.
        window: frames per window, > 2 * overlap.
        overlap: frames shared by consecutive windows, >= 0.

    Returns:
        (T, D) tensor; each frame is a convex combination of the windows covering it.
    """
    if n_frames <= window:
        return run(0, n_frames)
    out, total = None, torch.zeros(n_frames, 1)
    for start in range(0, n_frames - overlap, window - overlap):
        end = min(start + window, n_frames)
        piece = run(start, end)
        fade = torch.ones(end - start, 1)
        ramp = torch.linspace(0, 1, overlap + 2)[1:-1, None]
        if start > 0:
            fade[:overlap] = ramp
        if end < n_frames:
            fade[-overlap:] = ramp.flip(0)
        out = torch.zeros(n_frames, piece.shape[1]) if out is None else out
        out[start:end] += fade * piece
        total[start:end] += fade
    return out / total
