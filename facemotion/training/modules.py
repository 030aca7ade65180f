"""Lightning modules: where model, losses, metrics and optimiser meet (each holds its network as ``model``).

Two stages of the speech motion model, as in EMOTE: :class:`PriorTraining` fits the temporal VAE prior on motion
alone (reconstruction, velocity, KL, content-emotion exchange); :class:`MotionTraining` fits the key-motion
transformer through the frozen prior on speech/motion pairs (channel, velocity and lip vertex losses, and
optionally EMOTE's lip-reading loss on rendered mouths). A third, :class:`SyncTraining`, fits the lip-sync expert
that loss and the LSE metrics use.
"""

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import lightning
import numpy as np
import torch

from facemotion.expression.emotion import EMOTIONS, EmotionCondition, compose_expression, emotion_pose
from facemotion.face_models.arkit import ARKitRig
from facemotion.face_models.names import ARKIT_52
from facemotion.lipreading.evaluation import shifted_sync_accuracy
from facemotion.lipreading.expert import SyncExpert
from facemotion.lipreading.sync_data import SyncBatch, SyncTake
from facemotion.lipreading.train_sync import SyncTrainingConfig, sync_contrastive_loss, sync_schedule
from facemotion.losses.kl import kl_divergence
from facemotion.losses.lip_reading import LipReadingLoss
from facemotion.losses.vertex import lip_vertex_loss, masked_mse, velocity_mse
from facemotion.metrics.arkit_curves import arkit_lip_lve_mm, lve_lip_region, pearson
from facemotion.motion.speech_motion import SpeechMotionModel
from facemotion.motion.windows import motion_from_features
from facemotion.training.data import TrainingTake


@dataclass(frozen=True)
class OptimConfig:
    """Optimisation and loss weights (mirrored in ``configs/``); stage ``sync`` reads the first three only.

    Attributes:
        lr: peak learning rate of AdamW (linear warm-up, cosine decay: :func:`warmup_cosine`; stage ``sync``:
            :func:`~facemotion.lipreading.train_sync.sync_schedule`).
        weight_decay: AdamW weight decay.
        max_steps: optimiser steps.
        velocity_weight: weight of the velocity error.
        kl_weight: weight of the prior's KL terms.
        exchange_weight: weight of the prior's content-emotion exchange term.
        lip_weight: weight of the lip vertex error (mm^2) for ARKit motion on the default head.
        lip_reading_weight: weight of the lip-reading loss (:class:`~facemotion.losses.lip_reading.LipReadingLoss`:
            cosine distance of the shipped sync expert's visual features of soft 88x88 mouth renders of prediction
            and target) for ARKit motion; 0 = off. About 55 ms per frame forward + backward on one CPU core, so
            meant for short fine-tuning windows (``configs/facegood_lipreading.yaml``).
    """

    lr: float = 1e-3
    weight_decay: float = 0.01
    max_steps: int = 2000
    velocity_weight: float = 1.0
    kl_weight: float = 1e-5
    exchange_weight: float = 1.0
    lip_weight: float = 1e-3
    lip_reading_weight: float = 0.0


def warmup_cosine(max_steps: int, step: int) -> float:
    """Learning-rate factor: linear warm-up over the first 5 % of the steps, then a cosine decay to 0.

    Computed from ``max_steps`` on every call, so a resumed run may train for longer than first planned.
    """
    warmup = max(1, max_steps // 20)
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, max_steps - warmup))))


def _adamw(parameters: Iterable[torch.nn.Parameter], optim: OptimConfig, schedule: Callable[[int, int], float]):
    """Lightning's optimiser dict: AdamW over the parameters that need gradients, its learning rate scaled by
    ``schedule(optim.max_steps, step)`` at every step."""
    parameters = [p for p in parameters if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=optim.lr, weight_decay=optim.weight_decay)
    factor = torch.optim.lr_scheduler.LambdaLR(optimizer, functools.partial(schedule, optim.max_steps))
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": factor, "interval": "step"}}


class _Training(lightning.LightningModule):
    """Shared optimiser, and whole-take validation: jawOpen r and lip LVE (mm) through the default head.

    Each stage defines ``predict_take(take) -> (T, D)``, its prediction for a whole validation take.
    """

    def __init__(self, model: SpeechMotionModel, optim: OptimConfig, validation: Sequence[TrainingTake] = ()):
        super().__init__()
        self.model = model
        self.optim = optim
        self.validation_takes = list(validation)

    def configure_optimizers(self) -> dict:
        return _adamw(self.parameters(), self.optim, warmup_cosine)

    def validation_step(self, index: torch.Tensor, batch_index: int) -> None:
        take = self.validation_takes[int(index[0])]
        prediction = self.predict_take(take)
        target = take.clip.motion
        self.log("val/mse", float(np.square(prediction - target).mean()), batch_size=1)
        if take.clip.representation == "arkit":
            jaw = ARKIT_52.index("jawOpen")
            self.log("val/jaw_open_r", pearson(prediction[:, jaw], target[:, jaw]), batch_size=1)
            rig = _default_rig()
            lve = arkit_lip_lve_mm(prediction, target, rig, lve_lip_region(rig))
            self.log("val/lip_lve_mm", lve, batch_size=1)


class PriorTraining(_Training):
    """Stage 1: the temporal VAE on motion windows (batches of :func:`~facemotion.training.data.collate_windows`).

    Loss = channel MSE + velocity MSE + kl_weight (KL content + KL emotion vs its conditional prior) +
    exchange_weight * exchange, where exchange decodes each sequence's content with the emotion latent and
    condition of the next sequence in the batch and compares with the first's speech under the second's
    emotion (known exactly on ARKit data, where emotion is laid over speech by recipe).
    """

    def __init__(self, model: SpeechMotionModel, optim: OptimConfig, validation: Sequence[TrainingTake] = ()):
        super().__init__(model, optim, validation)
        if model.prior is None:
            raise ValueError("stage 'prior' needs a model config with a prior")
        model.transformer.requires_grad_(False)
        poses = np.stack([emotion_pose(e) for e in EMOTIONS])
        self.register_buffer("emotion_poses", torch.from_numpy(poses), persistent=False)

    def training_step(self, batch: dict, batch_index: int) -> torch.Tensor:
        prior, o = self.model.prior, self.optim
        motion, mask = batch["motion"], batch["mask"]
        posterior = prior.encode(motion)
        content, emotion_latent = posterior.sample()
        condition = prior.condition(batch["emotion"], batch["intensity"], batch["style"])
        reconstruction = prior.decode(content, emotion_latent, condition, motion.shape[1])
        kl = kl_divergence(posterior.content_mean, posterior.content_log_var) + kl_divergence(
            posterior.emotion_mean, posterior.emotion_log_var, prior.prior_emotion(condition)
        )
        losses = {
            "reconstruction": masked_mse(reconstruction, motion, mask),
            "velocity": velocity_mse(reconstruction, motion, mask),
            "kl": kl,
            "exchange": self._exchange(batch, content, emotion_latent, condition),
        }
        loss = (
            losses["reconstruction"]
            + o.velocity_weight * losses["velocity"]
            + o.kl_weight * losses["kl"]
            + o.exchange_weight * losses["exchange"]
        )
        self.log_dict({f"train/{k}": v for k, v in losses.items()}, batch_size=len(motion))
        self.log("train/loss", loss, prog_bar=True, batch_size=len(motion))
        return loss

    def _exchange(self, batch: dict, content, emotion_latent, condition) -> torch.Tensor:
        if self.model.prior.config.representation != "arkit":
            return content.new_zeros(())
        other = torch.roll(torch.arange(len(content), device=content.device), 1)
        poses = self.emotion_poses[batch["emotion"][other]] * batch["intensity"][other, None]
        target = compose_expression(batch["speech"], poses[:, None, :])
        swapped_condition = replace(condition[other], style=batch["style"])  # the speech keeps its style
        swapped = self.model.prior.decode(content, emotion_latent[other], swapped_condition, target.shape[1])
        return masked_mse(swapped, target, batch["mask"])

    def predict_take(self, take: TrainingTake) -> np.ndarray:
        """The prior's reconstruction of the take (posterior means), for its reconstruction error."""
        prior = self.model.prior
        motion = torch.from_numpy(take.clip.motion)[None].to(self.device)
        zeros = torch.zeros(1, dtype=torch.int64, device=self.device)
        return prior(motion, zeros, zeros.float(), zeros + take.style)[0][0].cpu().numpy()


class MotionTraining(_Training):
    """Stage 2: the key-motion transformer, decoded through the frozen prior when the model has one.

    Loss = channel MSE + velocity MSE (+ for ARKit motion: lip_weight * lip vertex error in mm^2 through the
    default head, and lip_reading_weight * the lip-reading loss when that weight is > 0).
    """

    def __init__(self, model: SpeechMotionModel, optim: OptimConfig, validation: Sequence[TrainingTake] = ()):
        super().__init__(model, optim, validation)
        if model.prior is not None:
            model.prior.requires_grad_(False)
        rig = _default_rig()
        lip_deltas = rig.deltas[:, lve_lip_region(rig)]
        self.register_buffer("lip_deltas", lip_deltas, persistent=False)
        self.lip_reading = LipReadingLoss() if optim.lip_reading_weight > 0 else None

    def train(self, mode: bool = True):
        super().train(mode)
        if self.model.prior is not None:
            self.model.prior.eval()
        return self

    def training_step(self, batch: dict, batch_index: int) -> torch.Tensor:
        motion, mask = batch["motion"], batch["mask"]
        representation = "arkit" if motion.shape[-1] == len(ARKIT_52) else self._representation()
        condition = (batch["emotion"], batch["intensity"], batch["style"])
        prediction = self.model(batch["features"], motion.shape[1], batch["tokens"], condition, representation)
        losses = {
            "channels": masked_mse(prediction, motion, mask),
            "velocity": velocity_mse(prediction, motion, mask),
        }
        loss = losses["channels"] + self.optim.velocity_weight * losses["velocity"]
        if representation == "arkit":
            losses["lip_mm2"] = lip_vertex_loss(prediction, motion, self.lip_deltas)
            loss = loss + self.optim.lip_weight * losses["lip_mm2"]
            if self.lip_reading is not None:
                # rendered as shown: motion_from_features() clips ARKit weights to [0, 1]
                losses["lip_reading"] = self.lip_reading(prediction.clamp(0.0, 1.0), motion)
                loss = loss + self.optim.lip_reading_weight * losses["lip_reading"]
        self.log_dict({f"train/{k}": v for k, v in losses.items()}, batch_size=len(motion))
        self.log("train/loss", loss, prog_bar=True, batch_size=len(motion))
        return loss

    def _representation(self) -> str:
        return next(name for name in self.model.transformer.heads.dims if name not in ("arkit", "latent"))

    def predict_take(self, take: TrainingTake) -> np.ndarray:
        """The model's motion for the whole take (run in eval mode by Lightning's validation loop)."""
        condition = EmotionCondition(style=take.style)
        return motion_from_features(self.model, take.features, take.clip.n_frames, take.keys, condition,
                                    take.clip.representation)


class SyncTraining(lightning.LightningModule):
    """The lip-sync expert, self-supervised on synchrony (:mod:`~facemotion.lipreading.train_sync`).

    Batches come from :class:`~facemotion.lipreading.train_sync.SyncWindows` through
    :func:`~facemotion.lipreading.train_sync.collate_pairs`; the loss is
    :func:`~facemotion.lipreading.train_sync.sync_contrastive_loss`, optimised by AdamW under
    :func:`~facemotion.lipreading.train_sync.sync_schedule`. Validation: in-sync vs 200 ms-shifted accuracy of each
    whole held-out take (``val/pairwise``, ``val/balanced``:
    :func:`~facemotion.lipreading.evaluation.shifted_sync_accuracy`), never used to pick weights.

    Args:
        expert: the expert to train (:func:`~facemotion.lipreading.train_sync.new_sync_expert`).
        optim: ``lr``, ``weight_decay`` and ``max_steps``.
        config: ``min_shift`` of the loss.
        validation: held-out rendered takes at the expert's fps and crop size.
    """

    def __init__(
        self, expert: SyncExpert, optim: OptimConfig, config: SyncTrainingConfig, validation: Sequence[SyncTake] = ()
    ):
        super().__init__()
        self.model = expert
        self.optim = optim
        self.min_shift = config.min_shift
        self.validation_takes = list(validation)

    def configure_optimizers(self) -> dict:
        return _adamw(self.parameters(), self.optim, sync_schedule)

    def training_step(self, batch: dict[str, torch.Tensor], batch_index: int) -> torch.Tensor:
        loss, logits = sync_contrastive_loss(self.model, SyncBatch(**batch), self.min_shift)
        size = len(batch["take"])
        self.log_dict({"train/positive_logit": logits["positive"], "train/shifted_logit": logits["negative"]},
                      batch_size=size)
        self.log("train/loss", loss, prog_bar=True, batch_size=size)
        return loss

    def validation_step(self, index: torch.Tensor, batch_index: int) -> None:
        take = self.validation_takes[int(index[0])]
        take = replace(take, crops=take.crops.to(self.device), audio=take.audio.to(self.device))
        accuracy = shifted_sync_accuracy(self.model, take)
        self.log_dict({"val/pairwise": accuracy.pairwise, "val/balanced": accuracy.balanced}, batch_size=1)


@functools.cache
def _default_rig() -> ARKitRig:
    """The default head, loaded once per process."""
    return ARKitRig.default()
