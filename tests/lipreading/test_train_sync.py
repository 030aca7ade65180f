"""Training the sync expert (stage ``sync`` of `facemotion train`): it learns synchrony from synthetic takes through
the Lightning loop; windows, augmentation and normalisation; the command writes a folder the expert loads from."""

from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch

from facemotion.cli import main
from facemotion.lipreading.evaluation import shifted_sync_accuracy
from facemotion.lipreading.expert import SyncExpert, SyncExpertConfig
from facemotion.lipreading.sync_data import SyncTake
from facemotion.lipreading.train_sync import (
    SyncTrainingConfig,
    SyncWindows,
    augment_crops,
    collate_pairs,
    new_sync_expert,
    pixel_statistics,
)
from facemotion.training import train as training
from facemotion.training.train import load_training_config, train

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "facegood_sync_expert.yaml"
TINY = SyncExpertConfig(
    image_size=16, stem_channels=4, trunk_channels=(8, 8, 8), n_mels=16, hidden_dim=16, embedding_dim=16
)
TINY_RUN = [
    "expert.image_size=16", "expert.stem_channels=4", "expert.trunk_channels=[8, 8, 8]", "expert.n_mels=16",
    "expert.hidden_dim=16", "expert.embedding_dim=16", "trainer.progress_bar=false", "trainer.log_every_n_steps=1",
]


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


@pytest.fixture
def synthetic_takes(monkeypatch):
    """Stage ``sync`` trains on two synthetic takes and validates on a third instead of rendering FACEGOOD."""

    def load_sync_takes(data, image_size):
        train_takes = [talking_take(f"train{i}", 300, seed=i, size=image_size) for i in range(2)]
        return train_takes, [talking_take("held-out", 300, seed=7, size=image_size)]

    monkeypatch.setattr(training, "load_sync_takes", load_sync_takes)


def test_the_expert_learns_synchrony_that_holds_on_a_new_take(tmp_path, synthetic_takes):
    settings = ["optim.max_steps=60", "optim.lr=3e-3", "data.batch_size=4", "data.samples_per_epoch=120",
                "sync.frames=12", "sync.max_shift=9", "sync.shift_pixels=1", "trainer.validate_every_n_epochs=1",
                f"trainer.output={tmp_path / 'expert'}"]
    expert = SyncExpert.from_pretrained(train(load_training_config(CONFIG, TINY_RUN + settings)))
    accuracy = shifted_sync_accuracy(expert, talking_take("held-out", 300, seed=7), clip_frames=15)
    assert accuracy.pairwise > 0.85 and accuracy.balanced > 0.7, accuracy
    untrained = shifted_sync_accuracy(SyncExpert(TINY).eval(), talking_take("held-out", 300, seed=7))
    assert untrained.pairwise < accuracy.pairwise
    metrics = (tmp_path / "expert" / "logs" / "csv" / "version_0" / "metrics.csv").read_text()
    assert "val/pairwise" in metrics and "train/loss" in metrics


def test_the_command_trains_and_writes_a_folder_the_expert_loads(tmp_path, synthetic_takes):
    settings = ["optim.max_steps=2", "data.batch_size=2", "sync.frames=12", "sync.max_shift=6",
                f"trainer.output={tmp_path / 'expert'}"]
    assert main(["train", "--config", str(CONFIG), "--set", *TINY_RUN, *settings]) == 0
    folder = tmp_path / "expert"
    expert = SyncExpert.from_pretrained(folder)
    assert expert.config.image_size == 16 and 0 < expert.config.pixel_mean < 1
    assert expert.config.pixel_mean != SyncExpertConfig.pixel_mean  # measured on the training renders
    stored = safetensors.torch.load_file(folder / "model.safetensors")
    assert stored["log_scale"].dtype == torch.float16  # as shipped (trainer.save_dtype)
    assert torch.load(folder / "checkpoints" / "last.ckpt", weights_only=False)["global_step"] == 2


def test_a_new_expert_is_normalised_for_its_takes_and_refuses_takes_that_do_not_fit():
    takes = [talking_take("a", 40, seed=0), talking_take("b", 40, seed=1)]
    expert = new_sync_expert(TINY, takes)
    assert (expert.config.pixel_mean, expert.config.pixel_std) == tuple(round(v, 4) for v in pixel_statistics(takes))
    assert not torch.equal(expert.audio.mel_mean, SyncExpert(TINY).audio.mel_mean)
    with pytest.raises(ValueError, match="16x16 crops at 30.0 fps"):
        new_sync_expert(TINY, [talking_take("big", 40, seed=0, size=24)])
    with pytest.raises(ValueError, match="at least one training take"):
        new_sync_expert(TINY, [])


def test_windows_come_in_shifted_pairs_of_one_take():
    takes = [talking_take("a", 60, seed=0), talking_take("b", 80, seed=1)]
    config = SyncTrainingConfig(frames=10, max_shift=4)
    windows = SyncWindows(takes, config, pairs_per_epoch=7)
    batch = collate_pairs([windows[i] for i in range(3)])
    assert len(windows) == 7 and batch["crops"].shape == (6, 10, 16, 16) and batch["audio"].shape == (6, 5333)
    assert torch.equal(batch["take"][0::2], batch["take"][1::2])
    assert (batch["start"][0::2] - batch["start"][1::2]).abs().max() <= 4
    with pytest.raises(ValueError, match="no take has the 83 frames"):
        SyncWindows(takes, SyncTrainingConfig(frames=75, max_shift=4), pairs_per_epoch=7)


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
