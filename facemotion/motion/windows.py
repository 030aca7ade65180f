"""A learned model over a whole take: its speech features once, then overlapping windows of motion, cross-faded.

The speech features of a take (:func:`take_features`) are computed once, in 30 s pieces, so that a pretrained
encoder sees the context it was trained with and training can cache them; the model
(:class:`~facemotion.motion.speech_motion.SpeechMotionModel`) computes one window of motion from a slice of them.
:func:`motion_in_windows` cuts a take of any length into windows of ``config.window_seconds`` that share
``config.overlap_seconds`` and blends them with linear cross-fades, so there is no length limit. The pipeline
(inference) and training (its windows and whole-take validation) slice features the same way
(:func:`~facemotion.timing.frame_features`).
"""

import itertools
from collections.abc import Callable

import numpy as np
import torch

from facemotion.audio.whisper_encoder import context_windows
from facemotion.expression.emotion import EmotionCondition
from facemotion.motion.keymotion import KeyMotions
from facemotion.motion.speech_motion import SpeechMotionModel
from facemotion.motion.transformer import KeyMotionTokens
from facemotion.timing import SAMPLE_RATE, frame_features, frames_covering, window_frames

FEATURE_PIECE_SECONDS = 30.0
"""Length of the pieces :func:`take_features` encodes a take in (Whisper's context)."""
FEATURE_OVERLAP_SECONDS = 5.0
"""Least overlap of consecutive pieces; each feature frame is kept from the piece where it is farthest from an edge."""


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
    if waveform.ndim != 1 or not len(waveform) or not np.all(np.isfinite(waveform)):
        raise ValueError("waveform must be a non-empty 1-D array of finite samples")
    if model.training:
        raise ValueError("the model is in training mode: call model.eval() before generating motion")
    features = take_features(model.transformer.audio, waveform)
    n_frames = frames_covering(len(waveform) / SAMPLE_RATE, model.fps)
    return motion_from_features(model, features, n_frames, keys, condition, representation)


@torch.inference_mode()
def motion_from_features(
    model: SpeechMotionModel,
    features: torch.Tensor,
    n_frames: int,
    keys: KeyMotions | None = None,
    condition: EmotionCondition = EmotionCondition(),
    representation: str = "arkit",
) -> np.ndarray:
    """:func:`motion_in_windows` from a take's speech features (:func:`take_features`, perhaps cached).

    Args:
        model: the model, in eval mode.
        features: (T_a, C) float32 features of the whole take from ``model.transformer.audio``.
        n_frames: T, the frames of the take at ``model.fps``.
        keys, condition, representation: as :func:`motion_in_windows`.

    Returns:
        (T, D) float32 at ``model.fps``; ARKit weights clipped to [0, 1].

    Raises:
        ValueError: for a model in training mode, or a style the model's prior does not have.
    """
    if model.training:
        raise ValueError("the model is in training mode: call model.eval() before generating motion")
    fps, config = model.fps, model.config
    device = next(model.parameters()).device
    tensors = tuple(t.to(device) for t in model.condition_tensors(condition))
    features = torch.as_tensor(features, dtype=torch.float32).to(device)
    rate = model.transformer.audio.frame_rate

    def run(start: int, end: int) -> torch.Tensor:
        tokens = None
        if keys is not None:
            tokens = KeyMotionTokens.from_keys([keys.window(start / fps, end / fps)]).to(device)
        window = features[frame_features(start, end, fps, rate, len(features))][None]
        return model(window, end - start, tokens, tensors, representation)[0].cpu()

    motion = overlap_add(
        run, n_frames, window_frames(config.window_seconds, fps), window_frames(config.overlap_seconds, fps)
    )
    return (motion.clamp(0.0, 1.0) if representation == "arkit" else motion).numpy()


@torch.no_grad()
def take_features(encoder: torch.nn.Module, waveform: np.ndarray) -> torch.Tensor:
    """A whole take's speech features, encoded in pieces of :data:`FEATURE_PIECE_SECONDS` that overlap by at least
    :data:`FEATURE_OVERLAP_SECONDS` (each frame kept from one piece, cut midway through the overlaps:
    :func:`~facemotion.audio.whisper_encoder.context_windows`), so memory stays bounded and a pretrained encoder
    sees at most the 30 s it was trained on.

    Args:
        encoder: a speech-feature module (``frame_rate``, ``dim``; (1, S) 16 kHz -> (1, T_a, dim)): the model's
            ``transformer.audio`` (:func:`~facemotion.motion.transformer.speech_features`).
        waveform: (S,) float32 speech at 16 kHz, S >= 1; shorter than the encoder's ``min_samples`` it is padded
            with silence.

    Returns:
        (``ceil(S / 16000 * frame_rate)`` at least 1, dim) float32 on the CPU; frame n at ``n / frame_rate`` s.
    """
    rate = encoder.frame_rate
    hop = round(SAMPLE_RATE / rate)  # pieces start on a feature frame, so their frames fall on the take's
    samples = torch.from_numpy(np.ascontiguousarray(waveform, np.float32))
    samples = torch.nn.functional.pad(samples, (0, max(0, getattr(encoder, "min_samples", 1) - len(samples))))
    device = next(itertools.chain(encoder.parameters(), encoder.buffers())).device
    n_hops = -(-len(samples) // hop)
    piece, overlap = round(FEATURE_PIECE_SECONDS * rate), round(FEATURE_OVERLAP_SECONDS * rate)
    pieces = []
    for start, end, keep_start, keep_end in context_windows(n_hops, piece, overlap):
        frames = encoder(samples[start * hop : end * hop][None].to(device))[0].float().cpu()
        pieces.append(frames[keep_start - start : len(frames) if keep_end == n_hops else keep_end - start])
    return torch.cat(pieces)


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
