"""Training the sync expert: it learns synchrony from synthetic takes; augmentation; the command's output."""

import json

import numpy as np
import pytest
import torch

from facemotion.lipreading import train_sync
from facemotion.lipreading.evaluation import shifted_sync_accuracy
from facemotion.lipreading.expert import SyncExpert, SyncExpertConfig
from facemotion.lipreading.sync_data import SyncTake
from facemotion.lipreading.train_sync import SyncTrainingConfig, augment_crops, pixel_statistics, train_sync_expert

TINY = SyncExpertConfig(
    image_size=16, stem_channels=4, trunk_channels=(8, 8, 8), n_mels=16, hidden_dim=16, embedding_dim=16
)


def talking_take(name: str, n_frames: int, seed: int, size: int = 16) -> SyncTake:
    """A mouth (a bright square) open exactly while there is sound (noise), in random bursts of a few frames."""
    rng = np.random.default_rng(seed)
    open_ = rng.random(n_frames) < 0.5
    for t in range(1, n_frames):  # runs of a few frames
        if rng.random() < 0.6:
            open_[t] = open_[t - 1]
    crops = np.full((n_frames, size, size), 60, np.uint8)
    crops[open_, size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = 200
    samples_per_frame = 16000 / 30
    n_samples = int(n_frames * samples_per_frame) + 2
    envelope = open_[np.minimum((np.arange(n_samples) / samples_per_frame).astype(int), n_frames - 1)]
    audio = 0.3 * rng.standard_normal(n_samples) * envelope + 1e-3 * rng.standard_normal(n_samples)
    return SyncTake(name, torch.from_numpy(crops), torch.from_numpy(audio.astype(np.float32)), 30.0)


def test_the_expert_learns_synchrony_that_holds_on_a_new_take():
    takes = [talking_take(f"train{i}", 300, seed=i) for i in range(2)]
    config = SyncTrainingConfig(steps=60, pairs=4, frames=12, max_shift=9, lr=3e-3, shift_pixels=1)
    expert = train_sync_expert(takes, config, TINY, log=lambda line: None)
    assert not expert.training
    accuracy = shifted_sync_accuracy(expert, talking_take("held-out", 300, seed=7), clip_frames=15)
    assert accuracy.pairwise > 0.85 and accuracy.balanced > 0.7, accuracy
    untrained = shifted_sync_accuracy(SyncExpert(TINY).eval(), talking_take("held-out", 300, seed=7))
    assert untrained.pairwise < accuracy.pairwise


def test_training_refuses_takes_that_do_not_fit():
    with pytest.raises(ValueError, match="16x16 crops at 30.0 fps"):
        train_sync_expert([talking_take("big", 40, seed=0, size=24)], SyncTrainingConfig(steps=1), TINY)
    with pytest.raises(ValueError, match="at least one take"):
        train_sync_expert([], SyncTrainingConfig(steps=1), TINY)


def test_pixel_statistics_count_every_crop():
    takes = [talking_take("a", 50, seed=0), talking_take("b", 30, seed=1)]
    pixels = torch.cat([t.crops.flatten() for t in takes]).double() / 255
    mean, std = pixel_statistics(takes)
    assert mean == pytest.approx(float(pixels.mean()), abs=1e-12)
    assert std == pytest.approx(float(pixels.std(unbiased=False)), abs=1e-12)


def test_augmentation_shifts_and_rescales_whole_windows():
    crops = torch.rand(3, 4, 16, 16)
    config = SyncTrainingConfig(brightness=0.0, contrast=0.0, shift_pixels=2)
    moved = augment_crops(crops, config, torch.Generator().manual_seed(0))
    assert moved.shape == crops.shape
    for b in range(3):  # each window moved by one whole-pixel translation, the same for all its frames
        matches = [
            (dy, dx)
            for dy in range(-2, 3)
            for dx in range(-2, 3)
            if torch.equal(moved[b, :, 2:-2, 2:-2], crops[b, :, 2 - dy : 14 - dy, 2 - dx : 14 - dx])
        ]
        assert len(matches) == 1
    gains = augment_crops(
        torch.ones(64, 1, 2, 2),
        SyncTrainingConfig(brightness=0.1, contrast=0.2, shift_pixels=0),
        torch.Generator().manual_seed(0),
    )
    assert 0.7 <= gains.min() < 0.9 and 1.1 < gains.max() <= 1.3


def test_the_command_trains_evaluates_and_writes_the_folder(tmp_path, monkeypatch):
    def fake_takes(root, names, renderer):
        return [talking_take(name, 120, seed=i, size=88) for i, name in enumerate(names)]

    monkeypatch.setattr(train_sync, "load_takes", fake_takes)
    train_sync.main(["--output", str(tmp_path / "expert"), "--steps", "2"])
    expert = SyncExpert.from_pretrained(tmp_path / "expert")
    assert expert.config.image_size == 88 and 0 < expert.config.pixel_mean < 1
    record = json.loads((tmp_path / "expert" / "training.json").read_text())
    assert record["training"]["steps"] == 2 and record["held_out"][0]["take"] == "1114_3_15"
    assert 0 <= record["held_out"][0]["pairwise"] <= 1
