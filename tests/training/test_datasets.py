"""Every dataset trains with its shipped config: a CPU smoke run on a synthetic corpus in the dataset's layout."""

from pathlib import Path

import numpy as np
import pytest

from facemotion.data.biwi import BIWI_SPLITS
from facemotion.data.vocaset import VOCASET_SPLITS
from facemotion.motion.speech_motion import SpeechMotionModel
from facemotion.motion.windows import motion_in_windows
from facemotion.testing import write_mead_corpus, write_vertex_corpus
from facemotion.training.train import load_training_config, train

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
TINY = [
    "model.transformer.n_mels=16", "model.transformer.d_model=16", "model.transformer.n_heads=2",
    "model.transformer.n_layers=1", "model.window_seconds=2.0", "model.overlap_seconds=0.5",
    "data.window_seconds=1.0", "data.batch_size=2", "data.samples_per_epoch=2", "data.recognize_phonemes=false",
    "optim.max_steps=2", "trainer.progress_bar=false", "trainer.log_every_n_steps=1",
]
TINY_PRIOR = ["model.prior.d_model=16", "model.prior.n_heads=2", "model.prior.n_layers=1",
              "model.prior.content_dim=4", "model.prior.emotion_dim=2"]


def smoke_run(config: str, root: Path, output: Path, *overrides: str) -> SpeechMotionModel:
    settings = [*TINY, f"data.root={root}", f"trainer.output={output}", *overrides]
    return SpeechMotionModel.from_pretrained(train(load_training_config(CONFIGS / config, settings)))


def predicts(model: SpeechMotionModel, representation: str, width: int) -> None:
    motion = motion_in_windows(model, np.zeros(16000, np.float32), representation=representation)
    assert motion.shape == (round(model.fps), width) and np.isfinite(motion).all()


def test_vocaset_trains_with_its_shipped_config(tmp_path):
    names = VOCASET_SPLITS["train"] + VOCASET_SPLITS["val"]
    root, _, _ = write_vertex_corpus(tmp_path / "vocaset", names, n_vertices=4, frames=120, fps=60.0)
    model = smoke_run("vocaset_vertices.yaml", root, tmp_path / "run", "model.transformer.heads={vertices: 12}")
    predicts(model, "vertices", 12)


def test_biwi_trains_with_its_shipped_config(tmp_path):
    names = BIWI_SPLITS["train"] + BIWI_SPLITS["val"]
    root, _, _ = write_vertex_corpus(tmp_path / "biwi", names, n_vertices=4, frames=50, fps=25.0)
    model = smoke_run("biwi_vertices.yaml", root, tmp_path / "run", "model.transformer.heads={vertices: 12}")
    assert model.fps == 25.0
    predicts(model, "vertices", 12)


def test_mead_trains_both_stages_with_its_shipped_configs(tmp_path):
    sequences = [(subject, emotion, level, "001", 25.0)
                 for subject in ("M003", "W009") for emotion, level in (("neutral", 1), ("happy", 2), ("sad", 3))]
    root = write_mead_corpus(tmp_path / "mead", sequences, frames=50)
    prior = smoke_run("mead_prior.yaml", root, tmp_path / "prior", *TINY_PRIOR)
    assert prior.prior.config.representation == "flame"
    prior_folder = f"prior_checkpoint={tmp_path / 'prior'}"
    model = smoke_run("mead_motion.yaml", root, tmp_path / "motion", *TINY_PRIOR, prior_folder)
    predicts(model, "flame", 53)


def test_data_the_model_does_not_fit_is_refused_before_training(tmp_path):
    names = BIWI_SPLITS["train"] + BIWI_SPLITS["val"]
    root, _, _ = write_vertex_corpus(tmp_path / "biwi", names, n_vertices=4, frames=50, fps=25.0)
    with pytest.raises(ValueError, match="25.0] fps but model.transformer.fps is 30"):
        smoke_run("biwi_vertices.yaml", root, tmp_path / "run", "model.transformer.fps=30.0")
    with pytest.raises(ValueError, match="vertices motion of width 12"):
        smoke_run("biwi_vertices.yaml", root, tmp_path / "run")
    assert not (tmp_path / "run").exists()
