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

try:
    import lightning
except ModuleNotFoundError as error:  # an inference-only install: say how to get the training dependencies
    raise ModuleNotFoundError(
        "training needs Lightning, TensorBoard and openpyxl: pip install 'facemotion[train]'", name=error.name
    ) from error
import torch
import yaml

from facemotion.data import biwi, facegood, flame_sequences, vocaset
from facemotion.data.clip import MotionClip
from facemotion.motion.speech_motion import SpeechMotionConfig, SpeechMotionModel
from facemotion.text.visemes import load_viseme_table
from facemotion.training.data import MotionWindows, collate_windows, prepare_takes
from facemotion.training.modules import MotionTraining, OptimConfig, PriorTraining

STAGES = ("prior", "motion")
SAVE_DTYPES = ("float32", "float16", "bfloat16")

DATASET_SPLITS: dict[str, tuple[tuple[str, ...] | str, tuple[str, ...] | str]] = {
    "facegood": (facegood.FACEGOOD_TRAIN, facegood.FACEGOOD_VALIDATION),
    "vocaset": ("train", "val"),
    "biwi": ("train", "val"),
    "mead": ((), ()),
}
"""Each dataset's default (training, validation) takes: FACEGOOD take names, FaceFormer's split names for VOCASET
and BIWI (:data:`~facemotion.data.vocaset.VOCASET_SPLITS`, :data:`~facemotion.data.biwi.BIWI_SPLITS`), and for
MEAD nothing to name (every sequence under ``root`` trains; there is no validation)."""


@dataclass(frozen=True)
class DataConfig:
    """What to train on.

    Attributes:
        dataset: ``facegood`` (takes named in ``train``/``validation``), ``vocaset`` or ``biwi`` (split names,
            e.g. ``train`` / ``val``), or ``mead`` (EMOTE-style pseudo-ground-truth; all of ``root`` is training).
        root: the dataset folder.
        train: take names (facegood) or one split name; None (the default) takes the dataset's own
            (:data:`DATASET_SPLITS`).
        validation: take names (facegood) or one split name, evaluated whole (never used to pick weights); None
            takes the dataset's own. MEAD takes neither.
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
    train: tuple[str, ...] | str | None = None
    validation: tuple[str, ...] | str | None = None
    window_seconds: float = 4.0
    batch_size: int = 16
    samples_per_epoch: int = 1600
    key_dropout: float = 0.3
    emotion_augment: bool = True
    recognize_phonemes: bool = True
    num_workers: int = 0

    def __post_init__(self) -> None:
        """Fill in the dataset's own splits where none are given, and check the names' kind.

        Raises:
            ValueError: for an unknown dataset, FACEGOOD takes that are not a list of quoted names, a VOCASET or
                BIWI split that is not one name, or MEAD with splits.
        """
        if self.dataset not in DATASET_SPLITS:
            raise ValueError(f"data.dataset must be one of {tuple(DATASET_SPLITS)}, got {self.dataset!r}")
        defaults = DATASET_SPLITS[self.dataset]
        for name, default in zip(("train", "validation"), defaults):
            value = getattr(self, name)
            if value is None:
                object.__setattr__(self, name, value := default)
            if self.dataset == "facegood" and not (isinstance(value, tuple) and all(isinstance(v, str) for v in value)):
                raise ValueError(f"data.{name}: FACEGOOD takes are a list of quoted names, got {value!r}")
            if self.dataset in ("vocaset", "biwi") and not isinstance(value, str):
                raise ValueError(f"data.{name}: {self.dataset} takes one split name (e.g. {default!r}), got {value!r}")
            if self.dataset == "mead" and value != ():
                raise ValueError(f"data.{name}: MEAD trains on every sequence under data.root; give no {name}")


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
    except (TypeError, ValueError) as error:
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
            ``init_checkpoint``, an ``init_checkpoint`` in a ``prior`` run, or one whose config differs from ``model``;
            for data the model does not fit (:func:`check_clips_fit`), before any training.
    """
    lightning.seed_everything(config.trainer.seed, workers=True)
    model = _initial_model(config)
    train_clips, validation_clips = load_clips(config.data)
    styles = sorted({clip.subject for clip in train_clips})
    check_clips_fit(model, train_clips + validation_clips, len(styles))
    recognize = config.data.recognize_phonemes and config.stage == "motion"
    # key motions posed with the table the model already carries (fine-tuning), else the shipped one; the model
    # keeps it, and save_pretrained writes it to the folder (visemes.yaml) for inference
    model.visemes = model.visemes or load_viseme_table()
    train_takes = prepare_takes(train_clips, styles, recognize, model.visemes)
    validation_takes = prepare_takes(validation_clips, styles, recognize, model.visemes)
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
        FileNotFoundError, ValueError: as the dataset's loader.
    """
    if data.dataset == "facegood":
        return tuple([facegood.load_facegood(data.root, n) for n in names] for names in (data.train, data.validation))
    if data.dataset == "mead":
        return flame_sequences.load_mead_pseudo_gt(data.root), []
    load = {"vocaset": vocaset.load_vocaset, "biwi": biwi.load_biwi}[data.dataset]
    return load(data.root, data.train), load(data.root, data.validation)


def check_clips_fit(model: SpeechMotionModel, clips: typing.Sequence[MotionClip], n_styles: int) -> None:
    """Check, before any training, that the model makes the motion of the clips.

    Args:
        model: the model to train.
        clips: its training and validation clips.
        n_styles: the speaking styles the training clips need (one per subject).

    Raises:
        ValueError: naming the setting to change, for clips at another frame rate than
            ``model.transformer.fps``, of mixed representations, of a width the model has no head for, or with
            more subjects than the prior has styles.
    """
    rates = sorted({clip.fps for clip in clips})
    if rates != [model.fps]:
        raise ValueError(f"the data is at {rates} fps but model.transformer.fps is {model.fps:g}: set it to the data's")
    kinds = {(clip.representation, clip.motion.shape[1]) for clip in clips}
    if len(kinds) != 1:
        raise ValueError(f"the clips mix representations or widths: {sorted(kinds)}")
    (representation, width), = kinds
    heads = model.transformer.heads.dims
    if heads.get(representation) != width:
        raise ValueError(f"the data is {representation} motion of width {width} but the model's heads are {heads}: "
                         f"set model.transformer.heads ({representation}: {width}) or the prior's motion_dim")
    if model.prior is not None and model.prior.config.n_styles < n_styles:
        raise ValueError(f"the training data has {n_styles} subjects but the prior {model.prior.config.n_styles} "
                         f"speaking styles: set model.prior.n_styles to {n_styles} or more")


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
