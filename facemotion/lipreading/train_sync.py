"""Train the default sync expert: ``python -m facemotion.lipreading.train_sync --output assets/weights/sync_expert``.

Self-supervised on audio-visual synchrony, as SyncNet (Chung & Zisserman 2016) and the lip-sync experts of
Wav2Lip and "Seeing What You Said" (Wang et al., CVPR 2023): the captured ARKit curves of the FACEGOOD takes
1114_2_01..05 are rendered to 88x88 mouth crops on the default head (hard rasterization, the fixed mouth
camera), and each crop frame is paired with the audio embedding of the same instant (positive) or of a moment
at least ``min_shift`` frames away in the same take, or of another take (negatives). Windows come in pairs, a
window and the same take a few frames later or earlier, so that small shifts are among the negatives; each
window is encoded on its own with its own audio, as clips are when the expert is used. The loss is SigLIP's
pairwise sigmoid loss (Zhai et al., ICCV 2023) over every visual frame of a batch against every audio frame,
balanced: the mean over positives, plus the means over same-take and other-take negatives, halved. Pairs
less than ``min_shift`` frames apart (but not aligned) are ignored, being neither clearly in nor out of sync.
The held-out take 1114_3_15 is only evaluated (:func:`~facemotion.lipreading.evaluation.shifted_sync_accuracy`),
never used to choose anything. Writes ``config.json`` + ``model.safetensors`` (float16 tensors) and
``training.json`` (the training settings and the held-out accuracy of the weights as stored).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from facemotion.data.facegood import FACEGOOD_TRAIN, FACEGOOD_VALIDATION, load_facegood
from facemotion.exporters.atomic import atomic_output
from facemotion.lipreading.evaluation import shifted_sync_accuracy
from facemotion.lipreading.expert import SyncExpert, SyncExpertConfig
from facemotion.lipreading.mouth_crops import MouthCropRenderer
from facemotion.lipreading.sync_data import SyncBatch, SyncTake, render_take, sample_windows

__all__ = [
    "SyncTrainingConfig",
    "augment_crops",
    "main",
    "pixel_statistics",
    "sync_contrastive_loss",
    "train_sync_expert",
]

DEFAULT_ROOT = Path(__file__).resolve().parents[3] / "shared" / "data" / "facegood"
"""``../shared/data/facegood`` next to the repository."""


@dataclass(frozen=True)
class SyncTrainingConfig:
    """Settings of :func:`train_sync_expert`.

    Attributes:
        steps: optimiser steps.
        pairs: pairs of windows per step (a window and its shifted partner, :func:`sample_windows`).
        frames: frames per window.
        max_shift: largest shift of a partner window, frames.
        min_shift: frames between a visual and an audio frame of the same take for a negative (6 = 200 ms).
        lr: AdamW peak learning rate (cosine decay to 0 after 5 % warm-up).
        weight_decay: AdamW weight decay.
        brightness, contrast, shift_pixels: augmentation of the crops (see :func:`augment_crops`).
        seed: seeds the windows, the augmentation and the initial weights.
    """

    steps: int = 1200
    pairs: int = 12
    frames: int = 20
    max_shift: int = 15
    min_shift: int = 6
    lr: float = 2e-3
    weight_decay: float = 1e-4
    brightness: float = 0.1
    contrast: float = 0.2
    shift_pixels: int = 2
    seed: int = 0


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
    frame = (batch.start[:, None] + torch.arange(n_frames)).flatten()
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


def warmup_cosine(step: int, steps: int) -> float:
    """Learning-rate factor: linear warm-up over the first 5 % of the steps, then a cosine decay to 0."""
    warmup = max(1, steps // 20)
    return min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(step, steps) / steps))


def pixel_statistics(takes: Sequence[SyncTake]) -> tuple[float, float]:
    """Mean and standard deviation of the grey levels in [0, 1] of every crop of the takes (counted as 8-bit
    histograms, so no float copy of the crops is made)."""
    counts = sum(torch.bincount(t.crops.flatten(), minlength=256).double() for t in takes)
    levels = torch.arange(256, dtype=torch.float64) / 255
    mean = float((counts * levels).sum() / counts.sum())
    return mean, float(((counts * (levels - mean) ** 2).sum() / counts.sum()).sqrt())


def train_sync_expert(
    takes: Sequence[SyncTake],
    config: SyncTrainingConfig = SyncTrainingConfig(),
    expert_config: SyncExpertConfig | None = None,
    log: Callable[[str], None] = print,
) -> SyncExpert:
    """Train an expert on rendered takes (pixel and mel statistics are taken from them first).

    Args:
        takes: training takes at ``expert_config.fps`` with crops of ``expert_config.image_size``.
        config: the training settings.
        expert_config: the architecture (None: :class:`SyncExpertConfig`'s defaults); its pixel statistics are
            replaced by the takes' own.
        log: receives a progress line every 50 steps.

    Returns:
        The trained expert, in eval mode.

    Raises:
        ValueError: for no takes, or takes whose fps or crop size differ from the expert's.
    """
    if not takes:
        raise ValueError("train_sync_expert needs at least one take")
    expert_config = SyncExpertConfig() if expert_config is None else expert_config
    size = expert_config.image_size
    if any(t.fps != expert_config.fps or tuple(t.crops.shape[1:]) != (size, size) for t in takes):
        raise ValueError(f"takes must be {size}x{size} crops at {expert_config.fps} fps")
    torch.manual_seed(config.seed)
    mean, std = pixel_statistics(takes)
    expert_config = dataclasses.replace(expert_config, pixel_mean=round(mean, 4), pixel_std=round(std, 4))
    expert = SyncExpert(expert_config)
    expert.audio.set_mel_statistics([t.audio for t in takes])
    optimiser = torch.optim.AdamW(expert.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: warmup_cosine(step, config.steps))
    generator, torch_generator = np.random.default_rng(config.seed), torch.Generator().manual_seed(config.seed)
    expert.train()
    start = time.perf_counter()
    for step in range(1, config.steps + 1):
        batch = sample_windows(takes, config.pairs, config.frames, config.max_shift, generator)
        batch = dataclasses.replace(batch, crops=augment_crops(batch.crops, config, torch_generator))
        loss, stats = sync_contrastive_loss(expert, batch, config.min_shift)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 50 == 0 or step == config.steps:
            log(
                f"step {step}/{config.steps}  loss {loss.item():.3f}  positive logit {stats['positive']:+.2f}  "
                f"shifted logit {stats['negative']:+.2f}  {time.perf_counter() - start:.0f} s"
            )
    return expert.eval()


def load_takes(root: Path, names: Sequence[str], renderer: MouthCropRenderer) -> list[SyncTake]:
    """Load and render FACEGOOD takes."""
    return [render_take(load_facegood(root, name), renderer) for name in names]


def main(argv: Sequence[str] | None = None) -> None:
    """Render, train, evaluate on the held-out take, write the expert (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, required=True, help="folder for config.json + model.safetensors")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="the FACEGOOD folder")
    parser.add_argument("--steps", type=int, default=SyncTrainingConfig.steps)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    config = SyncTrainingConfig(steps=args.steps)
    renderer = MouthCropRenderer()
    start = time.perf_counter()
    train = load_takes(args.root, FACEGOOD_TRAIN, renderer)
    held_out = load_takes(args.root, FACEGOOD_VALIDATION, renderer)
    print(f"rendered {sum(t.n_frames for t in train + held_out)} frames in {time.perf_counter() - start:.0f} s")
    train_sync_expert(train, config).save_pretrained(args.output, dtype=torch.float16)
    expert = SyncExpert.from_pretrained(args.output)  # evaluate what ships
    accuracy = [dataclasses.asdict(shifted_sync_accuracy(expert, take)) | {"take": take.name} for take in held_out]
    print("held-out:", accuracy)
    record = {
        "training": dataclasses.asdict(config),
        "weights_dtype": "float16",
        "train_takes": list(FACEGOOD_TRAIN),
        "held_out": accuracy,
    }
    with atomic_output(args.output / "training.json") as path:
        path.write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
