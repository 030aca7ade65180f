"""`facemotion train`: a YAML config in, a trained model folder (config.json + model.safetensors) out.

The YAML mirrors :class:`TrainingConfig`: ``stage`` (``prior`` or ``motion``), ``model``
(:class:`~facemotion.motion.speech_motion.SpeechMotionConfig`), ``prior_checkpoint`` (stage ``motion``: the
folder written by a ``prior`` run), ``init_checkpoint`` (stage ``motion``: a trained model folder to fine-tune,
prior included, e.g. with the lip-reading loss), ``data`` (:class:`DataConfig`), ``optim``
(:class:`~facemotion.training.modules.OptimConfig`) and ``trainer`` (:class:`TrainerConfig`). Relative paths
are resolved from the YAML file's folder. Lightning runs the loop: progress bar, CSV and TensorBoard logs in
``<output>/logs``, ``<output>/checkpoints/last.ckpt`` to resume from, seeds, and its DDP strategy for several
processes, GPUs or machines (``trainer.strategy: ddp``, ``devices``, ``num_nodes``; gloo on CPU).
"""

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path

import lightning
import torch
import yaml

from facemotion.data import biwi, facegood, flame_sequences, vocaset
from facemotion.data.clip import MotionClip
from facemotion.motion.speech_motion import SpeechMotionConfig, SpeechMotionModel
from facemotion.training.data import MotionWindows, collate_windows, prepare_takes
from facemotion.training.modules import MotionTraining, OptimConfig, PriorTraining

STAGES = ("prior", "motion")
SAVE_DTYPES = ("float32", "float16", "bfloat16")


@dataclass(frozen=True)
class DataConfig:
    """What to train on.

    Attributes:
        dataset: ``facegood`` (takes named in ``train``/``validation``), ``vocaset`` or ``biwi`` (split names,
            e.g. ``train`` / ``val``), or ``mead`` (EMOTE-style pseudo-ground-truth; all of ``root`` is training).
        root: the dataset folder.
        train: take names (facegood) or one split name.
        validation: take names (facegood) or one split name; evaluated whole (never used to pick weights).
        window_seconds: length of a training window.
        batch_size: windows per batch (per process).
        samples_per_epoch: windows drawn per epoch.
        key_dropout: probability of a window without key motions.
        emotion_augment: lay FACS emotions over neutral ARKit speech.
        recognize_phonemes: key motions from recognised phones (False: audio only).
        num_workers: data-loader worker processes.
    """

    dataset: str = "facegood"
    root: str = "../../shared/data/facegood"
    train: tuple[str, ...] = facegood.FACEGOOD_TRAIN
    validation: tuple[str, ...] = facegood.FACEGOOD_VALIDATION
    window_seconds: float = 4.0
    batch_size: int = 16
    samples_per_epoch: int = 1600
    key_dropout: float = 0.3
    emotion_augment: bool = True
    recognize_phonemes: bool = True
    num_workers: int = 0


@dataclass(frozen=True)
class TrainerConfig:
    """Lightning ``Trainer`` settings.

    Attributes:
        output: folder of the trained model, logs and checkpoints.
        seed: seed of every generator (``lightning.seed_everything``).
        accelerator, devices, num_nodes, strategy, precision: as Lightning's ``Trainer``.
        log_every_n_steps: logging period.
        validate_every_n_epochs: how often the validation takes are evaluated.
        resume: ``last`` to continue from ``<output>/checkpoints/last.ckpt``, or a checkpoint path, or None.
        progress_bar: show Lightning's progress bar.
        save_dtype: floating-point type of the saved model's tensors (``float32``, ``float16`` or ``bfloat16``);
            the checkpoints for resuming stay float32.
    """

    output: str = "runs/model"
    seed: int = 0
    accelerator: str = "cpu"
    devices: int | str = 1
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str = "32-true"
    log_every_n_steps: int = 20
    validate_every_n_epochs: int = 1
    resume: str | None = None
    progress_bar: bool = True
    save_dtype: str = "float32"


@dataclass(frozen=True)
class TrainingConfig:
    """One training run (see the module docstring)."""

    stage: str = "motion"
    model: SpeechMotionConfig = field(default_factory=SpeechMotionConfig)
    prior_checkpoint: str | None = None
    init_checkpoint: str | None = None
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)


def load_training_config(path: str | Path, overrides: typing.Sequence[str] = ()) -> TrainingConfig:
    """Read a training YAML, apply ``section.key=value`` overrides (values parsed as YAML), resolve paths.

    Raises:
        FileNotFoundError: when the file does not exist.
        ValueError: for an unknown stage, section or key, or a malformed override.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"training config {path} not found")
    values = yaml.safe_load(path.read_text()) or {}
    for override in overrides:
        key, sep, text = override.partition("=")
        if not sep:
            raise ValueError(f"an override is section.key=value, got {override!r}")
        *sections, name = key.split(".")
        target = values
        for section in sections:
            target = target.setdefault(section, {})
        target[name] = yaml.safe_load(text)
    try:
        config = TrainingConfig(
            stage=values.get("stage", "motion"),
            model=SpeechMotionConfig.from_dict(values.get("model", {})),
            prior_checkpoint=values.get("prior_checkpoint"),
            init_checkpoint=values.get("init_checkpoint"),
            data=_dataclass(DataConfig, values.get("data", {})),
            optim=_dataclass(OptimConfig, values.get("optim", {})),
            trainer=_dataclass(TrainerConfig, values.get("trainer", {})),
        )
    except TypeError as error:
        raise ValueError(f"{path}: {error}") from None
    if config.stage not in STAGES:
        raise ValueError(f"{path}: stage must be one of {STAGES}, got {config.stage!r}")
    if config.trainer.save_dtype not in SAVE_DTYPES:
        raise ValueError(f"{path}: trainer.save_dtype must be one of {SAVE_DTYPES}, got {config.trainer.save_dtype!r}")
    unknown = set(values) - {f.name for f in dataclasses.fields(TrainingConfig)}
    if unknown:
        raise ValueError(f"{path}: unknown sections {sorted(unknown)}")
    base = path.resolve().parent
    resolve = lambda p: None if p is None else str((base / p).resolve())  # noqa: E731
    return dataclasses.replace(
        config,
        prior_checkpoint=resolve(config.prior_checkpoint),
        init_checkpoint=resolve(config.init_checkpoint),
        data=dataclasses.replace(config.data, root=resolve(config.data.root)),
        trainer=dataclasses.replace(config.trainer, output=resolve(config.trainer.output)),
    )


def train(config: TrainingConfig) -> Path:
    """Run one training stage and write ``<trainer.output>/`` (config.json + model.safetensors, logs, checkpoints).

    Returns:
        The output folder (loadable with :meth:`SpeechMotionModel.from_pretrained`).

    Raises:
        FileNotFoundError: for missing data or prior checkpoint.
        ValueError: for a stage ``motion`` run whose model has a prior but neither ``prior_checkpoint`` nor
            ``init_checkpoint``, an ``init_checkpoint`` in a ``prior`` run, or one whose config differs from ``model``.
    """
    lightning.seed_everything(config.trainer.seed, workers=True)
    model = _initial_model(config)
    train_clips, validation_clips = load_clips(config.data)
    styles = sorted({clip.subject for clip in train_clips})
    recognize = config.data.recognize_phonemes and config.stage == "motion"
    train_takes = prepare_takes(train_clips, styles, recognize)
    validation_takes = prepare_takes(validation_clips, styles, recognize)
    if config.stage == "motion" and config.init_checkpoint is None:
        model.transformer.fit_feature_statistics([take.clip.audio for take in train_takes])
    stage = PriorTraining if config.stage == "prior" else MotionTraining
    module = stage(model, config.optim, validation_takes)
    windows = MotionWindows(
        train_takes,
        round(config.data.window_seconds * model.fps),
        config.data.samples_per_epoch,
        config.data.emotion_augment,
        config.data.key_dropout,
    )
    loader = torch.utils.data.DataLoader(
        windows, config.data.batch_size, collate_fn=collate_windows, num_workers=config.data.num_workers
    )
    validation = torch.utils.data.DataLoader(range(len(validation_takes)), batch_size=1) if validation_takes else None
    trainer = _trainer(config.trainer, config.optim.max_steps, validation is not None)
    resume = config.trainer.resume
    if resume == "last":
        resume = str(Path(config.trainer.output) / "checkpoints" / "last.ckpt")
    trainer.fit(module, loader, validation, ckpt_path=resume)
    output = Path(config.trainer.output)
    if trainer.is_global_zero:
        model.save_pretrained(output, getattr(torch, config.trainer.save_dtype))
    return output


def _initial_model(config: TrainingConfig) -> SpeechMotionModel:
    """The model a run starts from: fresh, with a trained prior (``prior_checkpoint``), or a whole trained model."""
    if config.init_checkpoint is not None:
        if config.stage != "motion":
            raise ValueError("init_checkpoint fine-tunes a whole model: stage 'motion' only")
        model = SpeechMotionModel.from_pretrained(config.init_checkpoint)
        if model.config != config.model:
            raise ValueError(f"{config.init_checkpoint}: its config differs from the run's model section")
        return model.train()
    model = SpeechMotionModel(config.model)
    if config.stage == "motion" and model.prior is not None:
        if config.prior_checkpoint is None:
            raise ValueError("stage 'motion' with a prior needs prior_checkpoint (the folder of a 'prior' run)")
        model.prior.load_state_dict(SpeechMotionModel.from_pretrained(config.prior_checkpoint).prior.state_dict())
    return model


def load_clips(data: DataConfig) -> tuple[list[MotionClip], list[MotionClip]]:
    """The training and validation clips a :class:`DataConfig` names.

    Raises:
        ValueError: for an unknown dataset.
    """
    names = (data.train, data.validation)
    if data.dataset == "facegood" and all(isinstance(n, str) for n in names[0] + names[1]):
        return tuple([facegood.load_facegood(data.root, n) for n in names] for names in names)
    loaders = {"vocaset": vocaset.load_vocaset, "biwi": biwi.load_biwi}
    if data.dataset in loaders:
        return tuple(loaders[data.dataset](data.root, split) for split in (data.train, data.validation))
    if data.dataset == "mead":
        return flame_sequences.load_mead_pseudo_gt(data.root), []
    raise ValueError(f"dataset must be facegood (with quoted take names), vocaset, biwi or mead, got {data.dataset!r}")


def _trainer(settings: TrainerConfig, max_steps: int, validate: bool) -> lightning.Trainer:
    output = Path(settings.output)
    loggers = [
        lightning.pytorch.loggers.CSVLogger(output / "logs", name="csv"),
        lightning.pytorch.loggers.TensorBoardLogger(output / "logs", name="tensorboard"),
    ]
    checkpoints = lightning.pytorch.callbacks.ModelCheckpoint(output / "checkpoints", save_last=True, save_top_k=0)
    return lightning.Trainer(
        max_steps=max_steps,
        accelerator=settings.accelerator,
        devices=settings.devices,
        num_nodes=settings.num_nodes,
        strategy=settings.strategy,
        precision=settings.precision,
        logger=loggers,
        callbacks=[checkpoints],
        log_every_n_steps=settings.log_every_n_steps,
        check_val_every_n_epoch=settings.validate_every_n_epochs,
        limit_val_batches=1.0 if validate else 0,
        num_sanity_val_steps=0,
        enable_progress_bar=settings.progress_bar,
        enable_model_summary=False,
        deterministic=False,
    )


def _dataclass(cls, values: dict):
    """Build a flat dataclass from YAML values, lists becoming tuples where the field is a tuple."""
    hints = typing.get_type_hints(cls)
    return cls(
        **{k: tuple(v) if isinstance(v, list) and "tuple" in str(hints.get(k)) else v for k, v in values.items()}
    )
