"""`facemotion train`: a CPU smoke run of both motion stages, resume, and DDP over two gloo processes."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
import yaml

from facemotion.cli import main
from facemotion.motion.speech_motion import SpeechMotionModel
from facemotion.text.visemes import load_viseme_table
from facemotion.training.train import load_training_config

TINY_MODEL = {
    "transformer": {"n_mels": 16, "d_model": 16, "n_heads": 2, "n_layers": 1},
    "prior": {"d_model": 16, "n_heads": 2, "n_layers": 1, "content_dim": 4, "emotion_dim": 2},
    "window_seconds": 4.0,
}


@pytest.fixture(scope="module")
def facegood(shared_facegood):
    return shared_facegood


def write_config(folder: Path, facegood: Path, stage: str, **sections) -> Path:
    config = {
        "stage": stage,
        "model": TINY_MODEL,
        "data": {
            "root": str(facegood),
            "train": ["1114_3_15"],
            "validation": ["1114_3_15"],
            "window_seconds": 2.0,
            "batch_size": 2,
            "samples_per_epoch": 4,
            "recognize_phonemes": False,
        },
        "optim": {"max_steps": 2},
        "trainer": {"output": f"{stage}_run", "progress_bar": False, "log_every_n_steps": 1},
        **sections,
    }
    path = folder / f"{stage}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_two_stage_smoke_run_and_resume(tmp_path, facegood):
    assert main(["train", "--config", str(write_config(tmp_path, facegood, "prior"))]) == 0
    prior = tmp_path / "prior_run"
    assert (prior / "model.safetensors").is_file() and (prior / "checkpoints" / "last.ckpt").is_file()
    metrics = (prior / "logs" / "csv" / "version_0" / "metrics.csv").read_text()
    assert "train/exchange" in metrics and "val/mse" in metrics
    motion_config = write_config(tmp_path, facegood, "motion", prior_checkpoint="prior_run")
    assert main(["train", "--config", str(motion_config), "--set", "data.recognize_phonemes=true"]) == 0
    model = SpeechMotionModel.from_pretrained(tmp_path / "motion_run")
    shipped_table = load_viseme_table()  # the table its key motions were posed with travels with it
    assert all(np.array_equal(model.visemes.poses[v], pose) for v, pose in shipped_table.poses.items())
    trained_prior = SpeechMotionModel.from_pretrained(prior).prior.state_dict()
    for name, value in model.prior.state_dict().items():  # stage 2 keeps the prior frozen
        np.testing.assert_array_equal(value.numpy(), trained_prior[name].numpy())
    assert main(["train", "--config", str(motion_config), "--set", "optim.max_steps=4", "trainer.resume=last"]) == 0
    checkpoint = torch.load(tmp_path / "motion_run" / "checkpoints" / "last.ckpt", weights_only=False)
    assert checkpoint["global_step"] == 4

    # stage-2 fine-tuning of the whole model with the lip-reading loss on rendered mouths
    finetune = write_config(tmp_path, facegood, "motion", init_checkpoint="motion_run")
    overrides = ["optim.lip_reading_weight=0.5", "optim.max_steps=1", "data.window_seconds=0.5",
                 "trainer.output=finetune_run", "trainer.save_dtype=float16"]
    assert main(["train", "--config", str(finetune), "--set", *overrides]) == 0
    tuned, start = SpeechMotionModel.from_pretrained(tmp_path / "finetune_run"), SpeechMotionModel.from_pretrained(
        tmp_path / "motion_run")
    assert "train/lip_reading" in (tmp_path / "finetune_run" / "logs" / "csv" / "version_0" / "metrics.csv").read_text()
    stored = safetensors.torch.load_file(tmp_path / "finetune_run" / "model.safetensors")
    assert stored["transformer.feature_std"].dtype == torch.float16  # loaded back as float32
    torch.testing.assert_close(tuned.transformer.feature_std, start.transformer.feature_std, rtol=1e-3, atol=0)
    assert not torch.equal(tuned.transformer.heads.heads["arkit"].weight, start.transformer.heads.heads["arkit"].weight)
    with pytest.raises(ValueError, match="stage 'motion' only"):
        load_and_train(tmp_path, facegood, "prior", init_checkpoint="motion_run")
    with pytest.raises(ValueError, match="config differs"):
        other_model = {**TINY_MODEL, "window_seconds": 2.0}
        load_and_train(tmp_path, facegood, "motion", init_checkpoint="motion_run", model=other_model)


def load_and_train(folder: Path, facegood: Path, stage: str, **sections):
    from facemotion.training.train import train

    return train(load_training_config(write_config(folder, facegood, stage, **sections)))


def test_motion_stage_needs_its_prior(tmp_path, facegood):
    assert main(["train", "--config", str(write_config(tmp_path, facegood, "motion"))]) == 2


@pytest.mark.slow
def test_ddp_on_two_cpu_processes(tmp_path, facegood):
    config = write_config(tmp_path, facegood, "prior")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "facemotion",
            "train",
            "--config",
            str(config),
            "--set",
            "trainer.devices=2",
            "trainer.strategy=ddp",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "GLOBAL_RANK: 1" in result.stderr or "world_size=2" in result.stderr.replace(" ", "")
    assert (tmp_path / "prior_run" / "model.safetensors").is_file()
