"""Training configs: every shipped file builds its model and LightningModule; a bad value is one line naming the
file and the key (exit 2 from the command line); mappings given replace the defaults; paths are the file's."""

from pathlib import Path

import lightning
import pytest

from facemotion.cli import main
from facemotion.data.facegood import FACEGOOD_TRAIN, FACEGOOD_VALIDATION
from facemotion.lipreading.expert import SyncExpert
from facemotion.motion.speech_motion import SpeechMotionModel
from facemotion.training.train import DataConfig, build_module, load_training_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
SHIPPED = sorted(CONFIGS.glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_every_shipped_config_builds_its_model_and_lightning_module(path):
    config = load_training_config(path)
    assert Path(config.trainer.output).is_absolute() and Path(config.data.root).is_absolute()
    if config.stage == "sync":
        model = SyncExpert(config.expert)
    else:
        model = SpeechMotionModel(config.model)
        assert model.fps == {"biwi": 25.0, "mead": 25.0}.get(config.data.dataset, 30.0)
    module = build_module(config, model)
    assert isinstance(module, lightning.LightningModule) and module.model is model
    trained = {id(p) for group in module.configure_optimizers()["optimizer"].param_groups for p in group["params"]}
    frozen = getattr(model, {"prior": "transformer", "motion": "prior"}.get(config.stage, ""), None)
    assert trained and (frozen is None or trained.isdisjoint(id(p) for p in frozen.parameters()))


def test_the_lip_reading_experiment_fine_tunes_the_default_recipe_without_its_validation_take():
    config = load_training_config(CONFIGS / "facegood_lipreading.yaml")
    recipe = load_training_config(CONFIGS / "facegood_motion.yaml")
    assert config.model == recipe.model and config.data.validation == ("1114_3_15",)
    assert Path(config.init_checkpoint) == Path(recipe.trainer.output).parent / "folds" / "default" / "1114_3_15"
    assert set(recipe.data.train) == set(FACEGOOD_TRAIN + FACEGOOD_VALIDATION) and not recipe.data.validation


@pytest.mark.parametrize(("overrides", "message"), [
    (["optim.max_steps"], "an override is section.key=value, got 'optim.max_steps'"),
    (["optim.max_stepz=3"], "optim.max_stepz: Key 'max_stepz' not in 'OptimConfig'"),
    (["optim.max_steps=many"], "optim.max_steps: Value 'many' of type 'str' could not be converted to Integer"),
    (["data.train=1114_2_01"], "data.train: "),
    (["model.transformer.heads={arkit: many}"], "model.transformer.heads.arkit: "),
    (["stage=third"], "stage must be one of"),
    (["trainer.save_dtype=int8"], "trainer.save_dtype must be one of"),
    (["data.dataset=voca"], "data.dataset must be one of"),
    (["data.dataset=mead"], "MEAD trains on every sequence"),
    (["data.recognizer=whisper-large"], "data.recognizer must be one of"),
    (["data.language=xx"], "language 'xx'"),
    (["stage=prior", "prior_checkpoint=null", "init_checkpoint=../runs/x"], "stage 'motion' only"),
])
def test_a_bad_value_is_one_line_naming_the_file_and_the_key(overrides, message):
    with pytest.raises(ValueError, match=message) as caught:
        load_training_config(CONFIGS / "facegood_motion.yaml", overrides)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(str(CONFIGS / "facegood_motion.yaml")) or "section.key=value" in message


def test_the_command_line_exits_2_with_one_line(capsys):
    assert main(["train", "--config", str(CONFIGS / "facegood_motion.yaml"), "--set", "optim.lr=fast"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "facegood_motion.yaml: optim.lr: Value 'fast'" in error


def test_a_mapping_given_replaces_the_default_one():
    config = load_training_config(CONFIGS / "vocaset_vertices.yaml")
    assert config.model.transformer.heads == {"vertices": 15069}  # no ARKit head added from the defaults
    config = load_training_config(CONFIGS / "vocaset_vertices.yaml", ["model.transformer.heads={flame: 53}"])
    assert config.model.transformer.heads == {"flame": 53}


def test_relative_paths_are_the_files_own_and_defaults_fill_the_rest(tmp_path):
    (tmp_path / "configs").mkdir()
    path = tmp_path / "configs" / "run.yaml"
    path.write_text("stage: sync\ndata: {root: ../data}\nsync: {frames: 12}\ntrainer: {output: ../runs/a}\n")
    config = load_training_config(path, ["prior_checkpoint=prior", "expert.trunk_channels=[8, 8, 8]"])
    assert config.data.root == str(tmp_path / "data") and config.trainer.output == str(tmp_path / "runs" / "a")
    assert config.prior_checkpoint == str(tmp_path / "configs" / "prior")
    assert config.sync.frames == 12 and config.sync.max_shift == 15 and config.expert.trunk_channels == (8, 8, 8)
    with pytest.raises(FileNotFoundError, match="missing.yaml"):
        load_training_config(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("dataset", "splits"),
    [("facegood", (("1114_2_01", "1114_2_02", "1114_2_03", "1114_2_04", "1114_2_05"), ("1114_3_15",))),
     ("vocaset", (("train",), ("val",))), ("biwi", (("train",), ("val",))), ("mead", ((), ()))],
)
def test_each_dataset_has_its_own_default_splits(dataset, splits):
    assert DataConfig(dataset=dataset).splits == splits
    assert DataConfig(dataset=dataset, validation=()).splits == (splits[0], ())
