"""How the sync expert learns: windows, augmentation, loss and schedule of the training stage ``sync``.

Run by ``facemotion train --config configs/facegood_sync_expert.yaml`` (the LightningModule is
:class:`~facemotion.training.modules.SyncTraining`). Self-supervised on audio-visual synchrony, as SyncNet
(Chung & Zisserman 2016) and the lip-sync experts of Wav2Lip and "Seeing What You Said" (Wang et al., CVPR 2023):
the captured ARKit curves of the FACEGOOD takes 1114_2_01..05 are rendered to 88x88 mouth crops on the default
head (hard rasterization, the fixed mouth camera), and each crop frame is paired with the audio embedding of the
same instant (positive) or of a moment at least ``min_shift`` frames away in the same take, or of another take
(negatives). Windows come in pairs, a window and the same take a few frames later or earlier, so that small
shifts are among the negatives; each window is encoded on its own with its own audio, as clips are when the
expert is used. The loss is SigLIP's pairwise sigmoid loss (Zhai et al., ICCV 2023) over every visual frame of a
batch against every audio frame, balanced: the mean over positives, plus the means over same-take and other-take
negatives, halved. Pairs less than ``min_shift`` frames apart (but not aligned) are ignored, being neither
clearly in nor out of sync. The held-out take 1114_3_15 is only evaluated
(:func:`~facemotion.lipreading.evaluation.shifted_sync_accuracy`), never used to choose anything.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from facemotion.lipreading.expert import SyncExpert, SyncExpertConfig
from facemotion.lipreading.sync_data import SyncBatch, SyncTake, sample_windows

__all__ = [
    "SyncTrainingConfig",
    "SyncWindows",
    "augment_crops",
    "collate_pairs",
    "new_sync_expert",
    "pixel_statistics",
    "sync_contrastive_loss",
    "sync_schedule",
]


@dataclass(frozen=True)
class SyncTrainingConfig:
    """Windows, negatives and augmentation of the sync expert's training (the ``sync`` section of a config).

    Steps, learning rate and weight decay are the ``optim`` section's; pairs of windows per batch and per epoch
    are ``data.batch_size`` and ``data.samples_per_epoch``; the seed is ``trainer.seed``.

    Attributes:
        frames: frames per window.
        max_shift: largest shift of a partner window, frames (:func:`sample_windows`).
        min_shift: frames between a visual and an audio frame of the same take for a negative (6 = 200 ms).
        brightness, contrast, shift_pixels: augmentation of the crops (see :func:`augment_crops`).
    """

    frames: int = 20
    max_shift: int = 15
    min_shift: int = 6
    brightness: float = 0.1
    contrast: float = 0.2
    shift_pixels: int = 2


def augment_crops(crops: torch.Tensor, config: SyncTrainingConfig, generator: torch.Generator) -> torch.Tensor:
    """Per-window random contrast (x (1 +- contrast)), brightness (+- brightness) and translation (+-
    shift_pixels, edges replicated) of (B, T, H, W) crops in [0, 1]; the result is not clipped."""
    batch, _, height, width = crops.shape
    gain = 1 + config.contrast * (2 * torch.rand(batch, 1, 1, 1, generator=generator) - 1)
    offset = config.brightness * (2 * torch.rand(batch, 1, 1, 1, generator=generator) - 1)
    crops = crops * gain + offset
    pad = config.shift_pixels
    if pad == 0:
        return crops
    padded = torch.nn.functional.pad(crops, (pad, pad, pad, pad), mode="replicate")
    dx, dy = torch.randint(0, 2 * pad + 1, (2, batch), generator=generator).tolist()
    return torch.stack([padded[b, :, y : y + height, x : x + width] for b, (x, y) in enumerate(zip(dx, dy))])


def sync_contrastive_loss(expert: SyncExpert, batch: SyncBatch, min_shift: int) -> tuple[torch.Tensor, dict]:
    """The balanced pairwise sigmoid loss of a batch of windows (see the module docstring).

    Returns:
        The scalar loss and ``{"positive": mean logit of positives, "negative": of same-take negatives}``.
    """
    n_frames = batch.crops.shape[1]
    visual = expert.visual(batch.crops)  # (B, T, D)
    audio = expert.audio(batch.audio, n_frames)  # (B, T, D)
    logits = expert.pair_logits(visual.flatten(0, 1), audio.flatten(0, 1))  # every frame against every frame
    frame = (batch.start[:, None] + torch.arange(n_frames, device=batch.start.device)).flatten()
    take = batch.take.repeat_interleave(n_frames)
    same_take = take[:, None] == take[None, :]
    apart = (frame[None, :] - frame[:, None]).abs()
    positive = same_take & (apart == 0)
    shifted = same_take & (apart >= min_shift)
    other = ~same_take
    softplus = torch.nn.functional.softplus
    loss = softplus(-logits[positive]).mean()
    negatives = [softplus(logits[mask]).mean() for mask in (shifted, other) if mask.any()]
    loss = loss + sum(negatives) / len(negatives)
    logits = logits.detach()
    return loss, {"positive": float(logits[positive].mean()), "negative": float(logits[shifted].mean())}


def sync_schedule(max_steps: int, step: int) -> float:
    """Learning-rate factor of the expert: a cosine decay to 0 over all ``max_steps``, times a linear warm-up
    over the first 5 % of them."""
    warmup = max(1, max_steps // 20)
    return min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(step, max_steps) / max_steps))


def pixel_statistics(takes: Sequence[SyncTake]) -> tuple[float, float]:
    """Mean and standard deviation of the grey levels in [0, 1] of every crop of the takes (counted as 8-bit
    histograms, so no float copy of the crops is made)."""
    counts = sum(torch.bincount(t.crops.flatten(), minlength=256).double() for t in takes)
    levels = torch.arange(256, dtype=torch.float64) / 255
    mean = float((counts * levels).sum() / counts.sum())
    return mean, float(((counts * (levels - mean) ** 2).sum() / counts.sum()).sqrt())


def new_sync_expert(config: SyncExpertConfig, takes: Sequence[SyncTake]) -> SyncExpert:
    """An untrained expert normalised for its training takes.

    Args:
        config: the architecture; its ``pixel_mean`` / ``pixel_std`` are replaced by the takes' own
            (:func:`pixel_statistics`, rounded to 4 decimals), and the audio stream's log-mel statistics are
            theirs too.
        takes: training takes at ``config.fps`` with crops of ``config.image_size``.

    Raises:
        ValueError: for no takes, or takes whose fps or crop size differ from the config's.
    """
    if not takes:
        raise ValueError("the sync expert needs at least one training take")
    size = config.image_size
    if any(t.fps != config.fps or tuple(t.crops.shape[1:]) != (size, size) for t in takes):
        raise ValueError(f"takes must be {size}x{size} crops at {config.fps} fps")
    mean, std = pixel_statistics(takes)
    expert = SyncExpert(dataclasses.replace(config, pixel_mean=round(mean, 4), pixel_std=round(std, 4)))
    expert.audio.set_mel_statistics([t.audio for t in takes])
    return expert


class SyncWindows(torch.utils.data.Dataset):
    """Random augmented pairs of windows of rendered takes, drawn afresh at every access (seeded through torch's
    global generator).

    An item is a window and its shifted partner (:func:`sample_windows` with one pair), their crops augmented
    (:func:`augment_crops`), as a dict of the :class:`SyncBatch` fields: ``crops`` (2, T, H, W) float,
    ``audio`` (2, S_w) float32, ``take`` (2,) and ``start`` (2,) int64; :func:`collate_pairs` batches them.

    Args:
        takes: rendered takes, all at one fps and crop size.
        config: window length, partner shifts and augmentation.
        pairs_per_epoch: items in one epoch.

    Raises:
        ValueError: when no take holds a pair of windows (``frames + 2 * max_shift`` frames).
    """

    def __init__(self, takes: Sequence[SyncTake], config: SyncTrainingConfig, pairs_per_epoch: int):
        span = config.frames + 2 * config.max_shift
        if not any(take.n_frames >= span for take in takes):
            raise ValueError(f"no take has the {span} frames of a pair of windows (sync.frames + 2 * sync.max_shift)")
        self.takes = list(takes)
        self.config = config
        self.pairs_per_epoch = pairs_per_epoch

    def __len__(self) -> int:
        return self.pairs_per_epoch

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        seed = int(torch.randint(0, 2**31 - 1, ()))
        c = self.config
        pair = sample_windows(self.takes, 1, c.frames, c.max_shift, np.random.default_rng(seed))
        return vars(pair) | {"crops": augment_crops(pair.crops, c, torch.Generator().manual_seed(seed))}


def collate_pairs(items: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Batch :class:`SyncWindows` items: each field concatenated, so windows 2i and 2i + 1 form a pair."""
    return {name: torch.cat([item[name] for item in items]) for name in items[0]}
