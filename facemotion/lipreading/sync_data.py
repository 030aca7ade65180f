"""Audio-visual takes for the sync expert: mouth-crop renders of captured ARKit curves next to their speech.

A take is rendered once (hard rasterization) and kept as 8-bit crops; windows of it are cut in frames, and the
speech of frames [a, a + n) is the ``frame_sample(n)`` samples from ``frame_sample(a)`` (:mod:`facemotion.timing`; the
same length for every window of n frames).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from facemotion.data.clip import MotionClip
from facemotion.lipreading.mouth_crops import MouthCropRenderer
from facemotion.timing import frame_sample, frames_within

__all__ = ["SyncBatch", "SyncTake", "audio_window", "render_take", "sample_windows"]


@dataclass(frozen=True)
class SyncTake:
    """A take as the expert sees it.

    Attributes:
        name: the take's name.
        crops: (T, H, W) uint8 grayscale mouth crops (grey level * 255, rounded).
        audio: (S,) float32 16 kHz speech, holding every window of frames (:func:`audio_window`):
            ``T <= (S - 1) / 16000 * fps``.
        fps: frame rate of the crops.
    """

    name: str
    crops: torch.Tensor
    audio: torch.Tensor
    fps: float

    @property
    def n_frames(self) -> int:
        return len(self.crops)


def render_take(clip: MotionClip, renderer: MouthCropRenderer, chunk: int = 256) -> SyncTake:
    """Render the ARKit curves of a clip to mouth crops, keeping the frames whose audio is complete.

    Args:
        clip: an ``"arkit"`` clip (e.g. :func:`~facemotion.data.facegood.load_facegood`).
        renderer: usually hard (training data).
        chunk: frames rendered at once (memory: about 0.3 MB of vertices per frame on the default head).

    Returns:
        A :class:`SyncTake` of ``min(T, floor((S - 1) / 16000 * fps))`` frames: those whose whole audio lies in
        the clip, one sample spared for the rounding of :func:`audio_window`.

    Raises:
        ValueError: for a clip that is not ARKit or whose audio covers no frame.
    """
    if clip.representation != "arkit":
        raise ValueError(f"{clip.name}: need ARKit motion, got {clip.representation}")
    n_frames = min(len(clip.motion), frames_within(len(clip.audio) - 1, clip.fps))
    if n_frames < 1:
        raise ValueError(f"{clip.name}: its audio covers no frame")
    weights = torch.from_numpy(clip.motion[:n_frames]).to(renderer.rig.neutral)
    crops = []
    with torch.no_grad():
        for start in range(0, n_frames, chunk):
            images = renderer(weights[None, start : start + chunk])[0]
            crops.append((images * 255).round().to(torch.uint8).cpu())
    return SyncTake(clip.name, torch.cat(crops), torch.from_numpy(clip.audio), clip.fps)


def audio_window(take: SyncTake, start: int, n_frames: int) -> torch.Tensor:
    """The speech of frames [start, start + n_frames) of a take: (round(n_frames / fps * 16000),) float32.

    Raises:
        ValueError: when the window leaves the take's audio.
    """
    first = frame_sample(start, take.fps)
    last = first + frame_sample(n_frames, take.fps)
    if first < 0 or last > len(take.audio) or n_frames < 1:
        raise ValueError(f"{take.name}: frames [{start}, {start + n_frames}) leave its audio")
    return take.audio[first:last]


@dataclass(frozen=True)
class SyncBatch:
    """Windows of takes for the contrastive loss: the crops of frames [s, s + T) and their speech.

    Attributes:
        crops: (B, T, H, W) float crops in [0, 1].
        audio: (B, S_w) float32 speech of the same frames (:func:`audio_window`).
        take: (B,) int64 index of each window's take.
        start: (B,) int64 first frame s of each window.
    """

    crops: torch.Tensor
    audio: torch.Tensor
    take: torch.Tensor
    start: torch.Tensor


def sample_windows(
    takes: Sequence[SyncTake], pairs: int, n_frames: int, max_shift: int, generator: np.random.Generator
) -> SyncBatch:
    """Draw ``pairs`` windows and, next to each, a partner window of the same take shifted by up to ``max_shift``
    frames, so that every window meets audio of its own take at small offsets (the hard negatives).

    Windows 2i and 2i + 1 form a pair; takes are drawn weighted by length, first starts uniformly over the frames
    where both windows fit, partner shifts uniformly in [-max_shift, max_shift].

    Args:
        takes: rendered takes, all at one fps and crop size.
        pairs: B / 2.
        n_frames: T, frames per window.
        max_shift: largest partner shift, frames, >= 0.
        generator: numpy random generator.

    Returns:
        A :class:`SyncBatch` of B = 2 * pairs windows.

    Raises:
        ValueError: when no take holds ``n_frames + 2 * max_shift`` frames.
    """
    span = n_frames + 2 * max_shift
    lengths = np.array([take.n_frames - span + 1 for take in takes]).clip(0, None)
    if lengths.sum() == 0:
        raise ValueError(f"no take has {span} frames for a pair of windows")
    ids = np.repeat(generator.choice(len(takes), size=pairs, p=lengths / lengths.sum()), 2)
    starts = np.repeat([int(generator.integers(0, lengths[i])) + max_shift for i in ids[::2]], 2)
    starts[1::2] += generator.integers(-max_shift, max_shift + 1, size=pairs)
    crops = torch.stack([takes[i].crops[s : s + n_frames] for i, s in zip(ids, starts)]).float() / 255
    audio = torch.stack([audio_window(takes[i], s, n_frames) for i, s in zip(ids, starts)])
    return SyncBatch(crops, audio, torch.as_tensor(ids, dtype=torch.int64), torch.as_tensor(starts, dtype=torch.int64))
