"""`facemotion train`: a YAML config in, a trained model folder (config.json + model.safetensors) out.

The YAML mirrors :class:`TrainingConfig`: ``stage`` (``prior``, ``motion`` or ``sync``), ``model``
(:class:`~facemotion.motion.speech_motion.SpeechMotionConfig`), ``prior_checkpoint`` (stage ``motion``: the
folder written by a ``prior`` run), ``init_checkpoint`` (stage ``motion``: a trained model folder to fine-tune,
prior included, e.g. with the lip-reading loss), ``expert`` (stage ``sync``, the lip-sync expert:
:class:`~facemotion.lipreading.expert.SyncExpertConfig`), ``sync`` (stage ``sync``:
:class:`~facemotion.lipreading.train_sync.SyncTrainingConfig`), ``data`` (:class:`DataConfig`), ``optim``
(:class:`~facemotion.training.modules.OptimConfig`) and ``trainer`` (:class:`TrainerConfig`). It is read as an
OmegaConf structured config: the YAML, then the ``--set`` overrides, are merged over the dataclasses' defaults,
which checks every key and the type of every value, and come back as the frozen dataclasses. Relative paths
are resolved from the YAML file's folder. Lightning runs the loop of every stage: progress bar, CSV and
TensorBoard logs in ``<output>/logs``, ``<output>/checkpoints/last.ckpt`` to resume from, seeds, and its DDP
strategy for several processes, GPUs or machines (``trainer.strategy: ddp``, ``devices``, ``num_nodes``; gloo on
CPU).
"""

import dataclasses
import functools
import typing
from dataclasses import dataclass, field
from pathlib import Path

try:
    import lightning
    import omegaconf
except ModuleNotFoundError as error:  # an inference-only install: say how to get the training dependencies
    raise ModuleNotFoundError(
        "training needs Lightning, TensorBoard and openpyxl: pip install 'facemotion[train]'", name=error.name
    ) from error
import joblib
import numpy as np
import torch
import yaml
from omegaconf import DictConfig, OmegaConf

from facemotion.audio.whisper_encoder import is_whisper_spec
from facemotion.data import biwi, facegood, flame_sequences, vocaset
from facemotion.data.clip import MotionClip
from facemotion.lipreading.expert import SyncExpert, SyncExpertConfig
from facemotion.lipreading.mouth_crops import MouthCropRenderer
from facemotion.lipreading.sync_data import SyncTake, render_take
from facemotion.lipreading.train_sync import SyncTrainingConfig, SyncWindows, collate_pairs, new_sync_expert
from facemotion.motion.speech_motion import SpeechMotionConfig, SpeechMotionModel
from facemotion.motion.windows import take_features
from facemotion.text.languages import check_language
from facemotion.text.recognition import PHONETIC, RECOGNIZERS, cache_dir
from facemotion.text.visemes import load_viseme_table
from facemotion.timing import window_frames
from facemotion.training.data import (
    MotionWindows,
    collate_windows,
    prepare_takes,
    recognized_phonemes,
    teaching_weights,
)
from facemotion.training.modules import MotionTraining, OptimConfig, PriorTraining, SyncTraining
from facemotion.training.teaching import teaching_takes

STAGES = ("prior", "motion", "sync")
SAVE_DTYPES = ("float32", "float16", "bfloat16")

DATASET_SPLITS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "facegood": (facegood.FACEGOOD_TRAIN, facegood.FACEGOOD_VALIDATION),
    "vocaset": (("train",), ("val",)),
    "biwi": (("train",), ("val",)),
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
            e.g. ``[train]`` / ``[val]``), or ``mead`` (EMOTE-style pseudo-ground-truth; all of ``root`` is
            training). Stage ``sync`` renders ARKit takes: ``facegood``.
        root: the dataset folder.
        train: take names (facegood) or split names (vocaset, biwi: their clips together); None (the default)
            takes the dataset's own (:data:`DATASET_SPLITS`, :attr:`splits`).
        validation: take or split names, evaluated whole (never used to pick weights); None takes the dataset's
            own. MEAD takes neither.
        window_seconds: length of a training window (stage ``sync``: ``sync.frames``).
        batch_size: windows per batch (per process); stage ``sync``: pairs of windows.
        samples_per_epoch: windows drawn per epoch; stage ``sync``: pairs of windows.
        key_dropout: probability of a window without key motions.
        emotion_augment: lay FACS emotions over neutral ARKit speech.
        recognize_phonemes: key motions from recognised phones (False: audio only).
        recognizer: the recogniser of those phones, a name of :data:`facemotion.text.recognition.RECOGNIZERS`:
            ``phonetic`` (pocketsphinx's English phones, in any language) or a Whisper one (its transcript in the
            speech's language, aligned: the phones inference uses without a transcript).
        language: ISO 639-1 code Whisper transcribes in; None lets it detect the language.
        num_workers: data-loader worker processes.
        teaching: stage ``motion`` on ARKit data: the English evaluation set's folder
            (``datasets/make_english_eval.py``), whose tuning split joins the training takes as English teaching
            data (:mod:`~facemotion.training.teaching`: exact phonemes, the transcript path's curves as targets);
            None for none.
        teaching_fraction: the share of training windows drawn from the teaching takes, in (0, 1).
    """

    dataset: str = "facegood"
    root: str = "../../shared/data/facegood"
    train: tuple[str, ...] | None = None
    validation: tuple[str, ...] | None = None
    window_seconds: float = 4.0
    batch_size: int = 16
    samples_per_epoch: int = 1600
    key_dropout: float = 0.3
    emotion_augment: bool = True
    recognize_phonemes: bool = True
    recognizer: str = PHONETIC
    language: str | None = None
    num_workers: int = 0
    teaching: str | None = None
    teaching_fraction: float = 0.5

    def __post_init__(self) -> None:
        """Raises: ValueError: for an unknown dataset, MEAD with splits, or a teaching fraction outside (0, 1)."""
        if not 0.0 < self.teaching_fraction < 1.0:
            raise ValueError(f"data.teaching_fraction must be in (0, 1), got {self.teaching_fraction}")
        if self.dataset not in DATASET_SPLITS:
            raise ValueError(f"data.dataset must be one of {tuple(DATASET_SPLITS)}, got {self.dataset!r}")
        if self.recognizer not in RECOGNIZERS:
            raise ValueError(f"data.recognizer must be one of {tuple(RECOGNIZERS)}, got {self.recognizer!r}")
        if self.language is not None:
            check_language(self.language)
        if self.dataset == "mead" and (self.train or self.validation):
            raise ValueError("data.train, data.validation: MEAD trains on every sequence under data.root; give none")

    @property
    def splits(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The (training, validation) names: ``train`` and ``validation``, or the dataset's own where None."""
        train, validation = DATASET_SPLITS[self.dataset]
        return (train if self.train is None else self.train, validation if self.validation is None else self.validation)


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

    def __post_init__(self) -> None:
        """Raises: ValueError: for a save_dtype not in :data:`SAVE_DTYPES`."""
        if self.save_dtype not in SAVE_DTYPES:
            raise ValueError(f"trainer.save_dtype must be one of {SAVE_DTYPES}, got {self.save_dtype!r}")


@dataclass(frozen=True)
class TrainingConfig:
    """One training run (see the module docstring); stage ``sync`` reads ``expert`` and ``sync``, the others
    ``model`` and the checkpoints."""

    stage: str = "motion"
    model: SpeechMotionConfig = field(default_factory=SpeechMotionConfig)
    prior_checkpoint: str | None = None
    init_checkpoint: str | None = None
    expert: SyncExpertConfig = field(default_factory=SyncExpertConfig)
    sync: SyncTrainingConfig = field(default_factory=SyncTrainingConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)

    def __post_init__(self) -> None:
        """Raises: ValueError: for a stage not in :data:`STAGES`, or an init_checkpoint or teaching data outside
        stage motion."""
        if self.stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, got {self.stage!r}")
        if self.data.teaching is not None and self.stage != "motion":
            raise ValueError("data.teaching gives speech/motion pairs: stage 'motion' only")
        if self.init_checkpoint is not None and self.stage != "motion":
            raise ValueError("init_checkpoint fine-tunes a whole model: stage 'motion' only")


def load_training_config(path: str | Path, overrides: typing.Sequence[str] = ()) -> TrainingConfig:
    """Read a training YAML, merge ``section.key=value`` overrides (values parsed as YAML) over it, resolve paths.

    Both are merged over :class:`TrainingConfig`'s defaults (OmegaConf), in that order; a mapping they give for a
    free mapping of the dataclasses (``model.transformer.heads``) replaces it rather than adding keys to it.

    Raises:
        FileNotFoundError: when the file does not exist.
        ValueError: one line naming the file and the key, for an unknown key, a value of the wrong type or out of
            range, malformed YAML or a malformed override.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"training config {path} not found")
    malformed = [override for override in overrides if "=" not in override]
    if malformed:
        raise ValueError(f"an override is section.key=value, got {malformed[0]!r}")
    try:
        config = OmegaConf.structured(TrainingConfig)
        for values in (OmegaConf.load(path), OmegaConf.from_dotlist(list(overrides))):
            config = _merge(config, values)
        config = OmegaConf.to_object(config)
    except omegaconf.errors.OmegaConfBaseException as error:
        message = str(error).splitlines()[0]
        raise ValueError(f"{path}: {error.full_key}: {message}" if error.full_key else f"{path}: {message}") from None
    except (yaml.YAMLError, ValueError) as error:
        raise ValueError(f"{path}: {' '.join(str(error).split())}") from None
    base = path.resolve().parent
    resolve = lambda p: None if p is None else str((base / p).resolve())
    return dataclasses.replace(
        config,
        prior_checkpoint=resolve(config.prior_checkpoint),
        init_checkpoint=resolve(config.init_checkpoint),
        data=dataclasses.replace(config.data, root=resolve(config.data.root), teaching=resolve(config.data.teaching)),
        trainer=dataclasses.replace(config.trainer, output=resolve(config.trainer.output)),
    )


def _merge(config: DictConfig, values: DictConfig) -> DictConfig:
    """``OmegaConf.merge(config, values)``, a free mapping that ``values`` gives replacing ``config``'s."""
    _clear_given_mappings(config, values)
    return OmegaConf.merge(config, values)


def _clear_given_mappings(config: DictConfig, values: DictConfig) -> None:
    """Empty, in place, each free mapping of ``config`` (a ``dict`` field, not a dataclass) that ``values`` sets."""
    for key, value in values.items():
        node = config.get(key)
        if not (isinstance(value, DictConfig) and isinstance(node, DictConfig)):
            continue
        if OmegaConf.get_type(node) is dict:
            with omegaconf.read_write(config):
                config[key] = {}
        else:
            _clear_given_mappings(node, value)


def train(config: TrainingConfig) -> Path:
    """Run one training stage and write ``<trainer.output>/`` (config.json + model.safetensors, logs, checkpoints).

    Returns:
        The output folder, loadable with :meth:`SpeechMotionModel.from_pretrained` (stage ``sync``:
        :meth:`~facemotion.lipreading.expert.SyncExpert.from_pretrained`).

    Raises:
        FileNotFoundError: for missing data or prior checkpoint.
        ValueError: for a stage ``motion`` run whose model has a prior but neither ``prior_checkpoint`` nor
            ``init_checkpoint``, or whose ``init_checkpoint``'s config differs from ``model``; for data the model
            does not fit (:func:`check_clips_fit`; stage ``sync``: clips that are not ARKit, or too short for a pair
            of windows), before any training.
    """
    lightning.seed_everything(config.trainer.seed, workers=True)
    module, loader = _sync_stage(config) if config.stage == "sync" else _motion_stage(config)
    n_validation = len(module.validation_takes)
    validation = torch.utils.data.DataLoader(range(n_validation), batch_size=1) if n_validation else None
    trainer = _trainer(config.trainer, config.optim.max_steps, validation is not None)
    resume = config.trainer.resume
    if resume == "last":
        resume = str(Path(config.trainer.output) / "checkpoints" / "last.ckpt")
    trainer.fit(module, loader, validation, ckpt_path=resume)
    output = Path(config.trainer.output)
    if trainer.is_global_zero:
        module.model.save_pretrained(output, getattr(torch, config.trainer.save_dtype))
    return output


def build_module(
    config: TrainingConfig, model: SpeechMotionModel | SyncExpert, validation: typing.Sequence = ()
) -> lightning.LightningModule:
    """The LightningModule of the config's stage around ``model``.

    Args:
        config: the run.
        model: a :class:`SpeechMotionModel` (stages ``prior``, ``motion``) or a :class:`SyncExpert` (``sync``).
        validation: whole held-out takes (:class:`~facemotion.training.data.TrainingTake`; stage ``sync``:
            :class:`~facemotion.lipreading.sync_data.SyncTake`).

    Raises:
        ValueError: as the stage's module, e.g. stage ``prior`` for a model without a prior.
    """
    if config.stage == "sync":
        return SyncTraining(model, config.optim, config.sync, validation)
    return (PriorTraining if config.stage == "prior" else MotionTraining)(model, config.optim, validation)


def _motion_stage(config: TrainingConfig) -> tuple[lightning.LightningModule, torch.utils.data.DataLoader]:
    """Stages ``prior`` and ``motion``: the model, its takes with speech features and key motions, random windows
    of them (a ``data.teaching_fraction`` of them from the teaching takes)."""
    model = initial_model(config)
    train_takes, validation_takes, n_teaching = _motion_takes(config, model)
    if config.stage == "motion" and config.init_checkpoint is None:
        model.transformer.fit_feature_statistics([take.features for take in train_takes])
    window = window_frames(config.data.window_seconds, model.fps)
    windows = MotionWindows(
        train_takes,
        window,
        config.data.samples_per_epoch,
        config.data.emotion_augment,
        config.data.key_dropout,
        teaching_weights(train_takes, n_teaching, config.data.teaching_fraction, window),
    )
    loader = torch.utils.data.DataLoader(
        windows, config.data.batch_size, collate_fn=collate_windows, num_workers=config.data.num_workers
    )
    return build_module(config, model, validation_takes), loader


def _motion_takes(config: TrainingConfig, model: SpeechMotionModel) -> tuple[list, list, int]:
    """The training takes (the English teaching takes first) and the validation takes, with their speech features
    and key motions (the captures' phones recognised, cached on disk), and the number of teaching takes."""
    train_clips, validation_clips = load_clips(config.data)
    styles = sorted({clip.subject for clip in train_clips})
    check_clips_fit(model, train_clips + validation_clips, len(styles))
    cache = joblib.Memory(cache_dir() / "training", verbose=0)
    recognize = config.data.recognize_phonemes and config.stage == "motion"
    phonemes_of = (functools.partial(cache.cache(recognized_phonemes), recognizer=config.data.recognizer,
                                     language=config.data.language) if recognize else (lambda audio: None))
    teaching = teaching_takes(config.data.teaching, model.fps) if config.data.teaching is not None else []
    # key motions posed with the table the model already carries (fine-tuning), else the shipped one; the model
    # keeps it, and save_pretrained writes it to the folder (visemes.yaml) for inference
    model.visemes = model.visemes or load_viseme_table()
    prepare = functools.partial(prepare_takes, styles=styles, encode=_encoder(model, cache),
                                feature_rate=model.transformer.audio.frame_rate, visemes=model.visemes)
    train_takes = prepare([clip for clip, _ in teaching] + train_clips,
                          phonemes=[phonemes for _, phonemes in teaching]
                          + [phonemes_of(clip.cropped().audio) for clip in train_clips])
    validation_takes = prepare(validation_clips, phonemes=[phonemes_of(c.cropped().audio) for c in validation_clips])
    return train_takes, validation_takes, len(teaching)


def _encoder(model: SpeechMotionModel, cache: joblib.Memory) -> typing.Callable[[np.ndarray], np.ndarray]:
    """The model's speech features of a whole take, (S,) -> (T_a, C) float32; a packaged Whisper encoder's (seconds
    per minute of speech on a CPU) cached on disk by spec and audio, the others (log-mel) computed each time."""
    spec = model.config.transformer.speech_encoder
    features = cache.cache(_take_features, ignore=["encoder"]) if is_whisper_spec(spec) else _take_features
    return functools.partial(features, model.transformer.audio, spec)


def _take_features(encoder: torch.nn.Module, spec: str | None, waveform: np.ndarray) -> np.ndarray:
    """:func:`~facemotion.motion.windows.take_features` as numpy; ``spec`` names the encoder for the cache."""
    return take_features(encoder, waveform).numpy()


def _sync_stage(config: TrainingConfig) -> tuple[SyncTraining, torch.utils.data.DataLoader]:
    """Stage ``sync``: the takes rendered to mouth crops, a new expert normalised for them, pairs of windows."""
    takes, held_out = load_sync_takes(config.data, config.expert.image_size)
    expert = new_sync_expert(config.expert, takes)
    windows = SyncWindows(takes, config.sync, config.data.samples_per_epoch)
    loader = torch.utils.data.DataLoader(
        windows, config.data.batch_size, collate_fn=collate_pairs, num_workers=config.data.num_workers
    )
    return build_module(config, expert, held_out), loader


def initial_model(config: TrainingConfig) -> SpeechMotionModel:
    """The model a ``prior`` or ``motion`` run starts from: fresh, with a trained prior (``prior_checkpoint``), or a
    whole trained model (``init_checkpoint``), in train mode.

    Raises:
        FileNotFoundError, ValueError: for a checkpoint folder that is missing or does not load; ValueError for an
            ``init_checkpoint`` whose config differs from ``model``, or stage ``motion`` with a prior and no
            ``prior_checkpoint``.
    """
    if config.init_checkpoint is not None:
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
    if data.dataset == "mead":
        return flame_sequences.load_mead_pseudo_gt(data.root), []
    if data.dataset == "facegood":
        return tuple([facegood.load_facegood(data.root, name) for name in names] for names in data.splits)
    load = {"vocaset": vocaset.load_vocaset, "biwi": biwi.load_biwi}[data.dataset]
    return tuple([clip for split in splits for clip in load(data.root, split)] for splits in data.splits)


def load_sync_takes(data: DataConfig, image_size: int) -> tuple[list[SyncTake], list[SyncTake]]:
    """The training and validation clips of ``data`` rendered to hard ``image_size`` x ``image_size`` mouth crops on
    the default head (:class:`~facemotion.lipreading.mouth_crops.MouthCropRenderer`), for stage ``sync``.

    Raises:
        FileNotFoundError, ValueError: as :func:`load_clips`, and for clips that are not ARKit motion.
    """
    renderer = MouthCropRenderer(image_size=image_size)
    return tuple([render_take(clip, renderer) for clip in clips] for clips in load_clips(data))


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
