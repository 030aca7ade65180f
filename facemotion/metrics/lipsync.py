"""Lip-sync error from the sync expert, in the spirit of LSE-D / LSE-C (Prajwal et al., "A Lip Sync Expert Is All
You Need", ACM MM 2020).

Wav2Lip's LSE-D and LSE-C run SyncNet (Chung & Zisserman 2016) over a video: for every audio offset k in
[-15, 15] frames, the mean over frames of the distance between the video embedding and the audio embedding k
frames away (``calc_pdist`` of ``joonson/syncnet_python``); LSE-D is the smallest of these mean distances, LSE-C
("confidence") the median minus the smallest. Here the embeddings are those of the shipped sync expert
(:mod:`facemotion.lipreading.expert`), L2-normalised, so a distance is in [0, 2] (SyncNet's are unnormalised:
the numbers are not comparable with published ones, only between methods scored by the same expert). Only the
frames t with every t + k inside the clip are averaged (SyncNet zero-pads the audio instead), the same frames
for every offset.

Both published numbers take the best offset, so they do not penalise a constant delay: a clip whose mouth lags
its audio by 200 ms scores about as well as the clip in sync, with ``offset`` = -6 (at 30 fps). The distance and
confidence at offset 0, also returned, do penalise it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from facemotion.lipreading.expert import SyncExpert, default_sync_expert
from facemotion.lipreading.mouth_crops import MouthCropRenderer

__all__ = ["LipSyncScores", "lip_sync_error", "lip_sync_scores", "offset_distances"]

MAX_OFFSET = 15
"""Offsets searched on each side, frames (Wav2Lip's and SyncNet's ``vshift``)."""


def offset_distances(visual: torch.Tensor, audio: torch.Tensor, max_offset: int = MAX_OFFSET) -> torch.Tensor:
    """Mean distance between normalised visual and audio embeddings at each audio offset.

    Args:
        visual: (T, D) visual embeddings of frames 0..T-1.
        audio: (T, D) audio embeddings of the same frames.
        max_offset: K >= 0.

    Returns:
        (2K + 1,) float64: entry ``k + K`` is ``mean over t in [K, T - K) of |v_t / |v_t| - a_{t+k} / |a_{t+k}||``.

    Raises:
        ValueError: for shapes that differ or are not (T, D), or T <= 2K.
    """
    if visual.ndim != 2 or visual.shape != audio.shape:
        raise ValueError(
            f"visual and audio must be (T, D) of one shape, got {tuple(visual.shape)}, {tuple(audio.shape)}"
        )
    n_frames = len(visual)
    if max_offset < 0 or n_frames <= 2 * max_offset:
        raise ValueError(f"need T > 2 * max_offset >= 0, got T = {n_frames}, max_offset = {max_offset}")
    v = torch.nn.functional.normalize(visual.double(), dim=-1, eps=1e-12)[max_offset : n_frames - max_offset]
    a = torch.nn.functional.normalize(audio.double(), dim=-1, eps=1e-12)
    return torch.stack(
        [
            (v - a[max_offset + k : n_frames - max_offset + k]).norm(dim=-1).mean()
            for k in range(-max_offset, max_offset + 1)
        ]
    )


@dataclass(frozen=True)
class LipSyncScores:
    """Lip-sync scores of one clip (distances between normalised embeddings, in [0, 2]).

    Attributes:
        lse_d: the smallest mean distance over offsets (lower is better).
        lse_c: median minus smallest mean distance (higher is better).
        offset: the offset k of the smallest distance, frames: video frame t looks most like audio frame t + k
            (negative: the mouth lags the audio).
        distance_at_zero: the mean distance at offset 0 (lower is better).
        confidence_at_zero: median mean distance minus the one at offset 0 (higher is better; <= lse_c).
        distances: (2K + 1,) mean distance per offset -K..K.
    """

    lse_d: float
    lse_c: float
    offset: int
    distance_at_zero: float
    confidence_at_zero: float
    distances: np.ndarray


def lip_sync_scores(visual: torch.Tensor, audio: torch.Tensor, max_offset: int = MAX_OFFSET) -> LipSyncScores:
    """LSE-D, LSE-C, the best offset, and the scores at offset 0 of one clip's embeddings.

    Args and Raises: see :func:`offset_distances`.
    """
    distances = offset_distances(visual, audio, max_offset).cpu().numpy()
    best, median, zero = distances.min(), float(np.median(distances)), distances[max_offset]
    return LipSyncScores(
        lse_d=float(best),
        lse_c=median - float(best),
        offset=int(distances.argmin()) - max_offset,
        distance_at_zero=float(zero),
        confidence_at_zero=median - float(zero),
        distances=distances,
    )


@torch.no_grad()
def lip_sync_error(
    weights: torch.Tensor,
    waveform: torch.Tensor,
    expert: SyncExpert | None = None,
    renderer: MouthCropRenderer | None = None,
    max_offset: int = MAX_OFFSET,
) -> LipSyncScores:
    """Lip-sync scores of an ARKit animation against its speech, through mouth-crop renders and the expert.

    Args:
        weights: (T, 52) ARKit weights at the expert's fps.
        waveform: (S,) 16 kHz speech from frame 0, covering the centre of frame T - 1.
        expert: None for the shipped expert (put in eval mode).
        renderer: None for a hard :class:`MouthCropRenderer` on the default head (the expert's training renders).
        max_offset: K, frames searched on each side.

    Returns:
        :class:`LipSyncScores`.

    Raises:
        ValueError: for malformed inputs, too little audio, or T <= 2K.
    """
    if weights.ndim != 2:
        raise ValueError(f"weights must be (T, 52), got {tuple(weights.shape)}")
    expert = (default_sync_expert() if expert is None else expert).eval()
    renderer = MouthCropRenderer() if renderer is None else renderer
    crops = torch.cat([renderer(weights[None, start : start + 256])[0] for start in range(0, len(weights), 256)])
    output = expert.embed_sequence(crops, waveform)
    return lip_sync_scores(output.visual[0], output.audio[0], max_offset)
