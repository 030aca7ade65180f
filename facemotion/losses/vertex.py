"""Motion reconstruction losses: masked channel error, velocity error, lip vertex error through a linear rig."""

import torch


def masked_mse(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean squared error over the channels where ``mask`` is True.

    Args:
        prediction, target: (B, T, D).
        mask: (B, D) or (D,) bool, or None for all channels.
    """
    error = (prediction - target).square()
    if mask is None:
        return error.mean()
    mask = mask.expand(prediction.shape[0], -1)[:, None, :].to(error.dtype)
    return (error * mask).sum() / (mask.sum() * prediction.shape[1]).clamp_min(1.0)


def velocity_mse(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """:func:`masked_mse` of the frame-to-frame differences (B, T - 1, D), against jitter and lag."""
    return masked_mse(prediction.diff(dim=1), target.diff(dim=1), mask)


def lip_vertex_loss(prediction: torch.Tensor, target: torch.Tensor, lip_deltas: torch.Tensor) -> torch.Tensor:
    """Mean squared lip vertex distance through a linear blendshape rig, in millimetres squared.

    Blendshape rigs are linear, so the vertex difference is ``(prediction - target) @ deltas`` on the lip
    vertices alone: the loss costs 52 x L x 3 multiply-adds per frame.

    Args:
        prediction, target: (B, T, C) blendshape weights.
        lip_deltas: (C, L, 3) blendshape deltas of the lip vertices, metres.
    """
    offsets = torch.einsum("btc,clk->btlk", prediction - target, lip_deltas) * 1000.0
    return offsets.square().sum(-1).mean()
