"""Losses on rendered mouths: the lip-reading perceptual loss and the audio-visual sync loss.

EMOTE (Daněček et al., SIGGRAPH Asia 2023) finds that vertex losses alone give mushy lips and adds a perceptual
lip-reading loss: the distance between a lip reader's features of the rendered mouth of the prediction and of
the ground truth, frame by frame (after SPECTRE, Filntisis et al. 2022: the cosine distance between the
ResNet front-end features of the LRS3 lip reader, which :func:`~facemotion.lipreading.vsr_checkpoint.load_vsr_frontend`
loads from a user's checkpoint). Wav2Lip (Prajwal et al., ACM MM 2020) trains its generator with a frozen
lip-sync expert: the binary cross-entropy of the expert's "in sync" probability. Both render ARKit weights to
88x88 mouth crops with the soft rasterizer (:class:`~facemotion.lipreading.mouth_crops.MouthCropRenderer`), so
their gradients reach the weights, and keep their network frozen in eval mode.
"""

from __future__ import annotations

import torch
from torch import nn

from facemotion.lipreading.expert import SyncExpert, default_sync_expert
from facemotion.lipreading.mouth_crops import MouthCropRenderer

__all__ = ["LipReadingLoss", "SyncLoss"]


def _frozen(module: nn.Module) -> nn.Module:
    module.eval()
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    return module


def _check_weights(weights: torch.Tensor, name: str) -> None:
    if weights.ndim != 3 or weights.shape[-1] != 52 or min(weights.shape[:2]) < 1:
        raise ValueError(f"{name} must be ARKit weights (B, T, 52) with B, T >= 1, got {tuple(weights.shape)}")


class _FrozenNetworkLoss(nn.Module):
    """A loss whose network stays frozen in eval mode even when its parent is put in training mode."""

    network: nn.Module

    def train(self, mode: bool = True) -> _FrozenNetworkLoss:
        super().train(mode)
        self.network.eval()
        return self


class LipReadingLoss(_FrozenNetworkLoss):
    """Mean cosine distance between per-frame lip-reading features of the mouths of prediction and ground truth.

    ``mean over b, t of 1 - cos(f(render(prediction))[b, t], f(render(target))[b, t])``, in [0, 2]; 0 when the
    features agree in direction. The target is rendered and encoded without gradients.

    Args:
        encoder: mouth crops (B, T, H, W) in [0, 1] -> features (B, T, C); None for the visual stream of the
            shipped sync expert (:func:`~facemotion.lipreading.expert.default_sync_expert`). A pretrained LRS3
            front end works too (:func:`~facemotion.lipreading.vsr_checkpoint.load_vsr_frontend`). It is frozen.
        renderer: None for a soft :class:`MouthCropRenderer` on the default head (88x88, K = 4).

    Example:
        >>> loss = LipReadingLoss()
        >>> value = loss(predicted_weights, target_weights)  # (B, T, 52) each
        >>> value.backward()
    """

    def __init__(self, encoder: nn.Module | None = None, renderer: MouthCropRenderer | None = None):
        super().__init__()
        self.network = _frozen(default_sync_expert().visual if encoder is None else encoder)
        self.renderer = MouthCropRenderer(soft=True) if renderer is None else renderer

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """
        Args:
            prediction: (B, T, 52) predicted ARKit weights (gradients flow).
            target: (B, T, 52) ground-truth ARKit weights.

        Returns:
            Scalar mean cosine distance.

        Raises:
            ValueError: for shapes that are not (B, T, 52) or differ.
        """
        _check_weights(prediction, "prediction")
        if target.shape != prediction.shape:
            raise ValueError(f"target {tuple(target.shape)} must match prediction {tuple(prediction.shape)}")
        with torch.no_grad():
            reference = self.network(self.renderer(target))
        features = self.network(self.renderer(prediction))
        return (1 - nn.functional.cosine_similarity(features, reference, dim=-1, eps=1e-8)).mean()


class SyncLoss(_FrozenNetworkLoss):
    """Wav2Lip's expert sync loss on rendered mouths: the mean over frames of ``-log sigmoid(logit)``, the binary
    cross-entropy of the expert's per-frame "in sync" logit (:meth:`SyncExpert.sync_logits`) against 1.

    Args:
        expert: None for the shipped expert; frozen.
        renderer: None for a soft :class:`MouthCropRenderer` on the default head (88x88, K = 4).
    """

    def __init__(self, expert: SyncExpert | None = None, renderer: MouthCropRenderer | None = None):
        super().__init__()
        self.network = _frozen(default_sync_expert() if expert is None else expert)
        self.renderer = MouthCropRenderer(soft=True) if renderer is None else renderer

    def forward(self, weights: torch.Tensor, waveform: torch.Tensor) -> torch.Tensor:
        """
        Args:
            weights: (B, T, 52) ARKit weights at the expert's fps (gradients flow).
            waveform: (B, S) 16 kHz speech starting at frame 0 and covering the centre of frame T - 1.

        Returns:
            Scalar loss >= 0 (log 2 = 0.69 for a frame the expert finds as likely in sync as not).

        Raises:
            ValueError: for malformed weights or waveform, or too little audio.
        """
        _check_weights(weights, "weights")
        logits = self.network(self.renderer(weights), waveform).logits
        return nn.functional.softplus(-logits).mean()
