"""Pure maths of linear blendshape models: stateless functions on tensors, after smplx's ``lbs.py``."""

import torch


def blend_shapes(weights: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
    """Weighted sum of blendshape offsets, ``out[..., v, :] = sum_k weights[..., k] * deltas[k, v, :]``.

    Args:
        weights: (..., K) float blendshape weights (any number of leading batch/time dims).
        deltas: (K, V, 3) float per-blendshape vertex offsets, same dtype and device as ``weights``.

    Returns:
        (..., V, 3) vertex offsets, in the unit of ``deltas``; differentiable in both arguments.

    Raises:
        ValueError: when ``deltas`` is not (K, V, 3) or the last dim of ``weights`` is not K.
    """
    if deltas.ndim != 3 or deltas.shape[2] != 3:
        raise ValueError(f"deltas must be (K, V, 3), got {tuple(deltas.shape)}")
    n_shapes, n_vertices, _ = deltas.shape
    if weights.ndim == 0 or weights.shape[-1] != n_shapes:
        raise ValueError(f"weights must be (..., {n_shapes}), got {tuple(weights.shape)}")
    offsets = weights @ deltas.reshape(n_shapes, n_vertices * 3)
    return offsets.reshape(*weights.shape[:-1], n_vertices, 3)
