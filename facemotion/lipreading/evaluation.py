"""How well the sync expert tells in-sync clips from clips whose audio is shifted (held-out takes).

The test of SyncNet-style experts (Chung & Zisserman 2016; Wav2Lip's expert, Prajwal et al. 2020): cut a take
into clips of ``clip_frames`` frames, encode each clip alone with its own audio, and with the audio of the
frames ``shift_frames`` later and earlier (200 ms = 6 frames at 30 fps); a clip's score is its mean per-frame
sync logit.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from facemotion.lipreading.expert import SyncExpert
from facemotion.lipreading.sync_data import SyncTake, audio_window

__all__ = ["SyncAccuracy", "shifted_sync_accuracy"]


@dataclass(frozen=True)
class SyncAccuracy:
    """Separation of in-sync from shifted clips.

    Attributes:
        pairwise: fraction of (clip, shift direction) pairs whose in-sync score beats the shifted one's (0.5 is
            chance).
        balanced: balanced accuracy of the decision "in sync" when the score is > 0: the mean of the fractions
            of in-sync clips above 0 and of shifted clips at or below 0.
        n_clips: clips evaluated (each against two shifted versions).
        clip_frames: frames per clip.
        shift_frames: audio shift of the negatives, frames.
    """

    pairwise: float
    balanced: float
    n_clips: int
    clip_frames: int
    shift_frames: int


def _clip_scores(
    expert: SyncExpert, take: SyncTake, starts: list[int], clip_frames: int, audio_offset: int, batch: int
) -> torch.Tensor:
    """Mean sync logit of the clips [s, s + clip) against the audio of [s + offset, s + offset + clip): (N,)."""
    scores = []
    for first in range(0, len(starts), batch):
        chunk = starts[first : first + batch]
        crops = torch.stack([take.crops[s : s + clip_frames] for s in chunk]).float() / 255
        audio = torch.stack([audio_window(take, s + audio_offset, clip_frames) for s in chunk])
        scores.append(expert(crops, audio).logits.mean(dim=1))
    return torch.cat(scores)


@torch.no_grad()
def shifted_sync_accuracy(
    expert: SyncExpert, take: SyncTake, clip_frames: int = 15, shift_frames: int = 6, batch: int = 64
) -> SyncAccuracy:
    """Accuracy of the expert on non-overlapping clips of a take against their audio shifted by +-shift.

    Clips start at ``shift_frames``, ``shift_frames + clip_frames``, ... while the shifted audio stays in the take.

    Args:
        expert: in eval mode (it is not switched).
        take: a rendered take (its crops must match the expert's image size and fps).
        clip_frames: frames per clip, >= 1.
        shift_frames: frames of audio shift for the negatives, >= 1.
        batch: clips per forward pass.

    Returns:
        :class:`SyncAccuracy`.

    Raises:
        ValueError: when the take is shorter than one clip plus two shifts, or the frame rates differ.
    """
    if clip_frames < 1 or shift_frames < 1:
        raise ValueError(f"clip_frames and shift_frames must be >= 1, got {clip_frames}, {shift_frames}")
    if take.fps != expert.config.fps:
        raise ValueError(f"{take.name} runs at {take.fps} fps, the expert at {expert.config.fps}")
    starts = list(range(shift_frames, take.n_frames - clip_frames - shift_frames + 1, clip_frames))
    if not starts:
        raise ValueError(f"{take.name}: {take.n_frames} frames hold no clip of {clip_frames} + 2 x {shift_frames}")
    in_sync = _clip_scores(expert, take, starts, clip_frames, 0, batch)
    shifted = torch.cat(
        [_clip_scores(expert, take, starts, clip_frames, offset, batch) for offset in (shift_frames, -shift_frames)]
    )
    pairwise = (in_sync.repeat(2) > shifted).float().mean()
    balanced = ((in_sync > 0).float().mean() + (shifted <= 0).float().mean()) / 2
    return SyncAccuracy(float(pairwise), float(balanced), len(starts), clip_frames, shift_frames)
