"""Building blocks shared by the motion models: relative positions and attention biases."""

import math

import torch

NEG_INF = float("-inf")


class ConvPositionalEncoding(torch.nn.Module):
    """Relative position by a depthwise temporal convolution added to the input (as in wav2vec 2.0).

    Translation-invariant, so a model trained on short windows runs on windows of any length.

    Args:
        d_model: feature width.
        kernel_size: odd receptive field in frames.
    """

    def __init__(self, d_model: int, kernel_size: int = 15):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        self.conv = torch.nn.Conv1d(d_model, d_model, kernel_size, padding=kernel_size // 2, groups=d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, d) -> (B, T, d)."""
        return x + torch.nn.functional.gelu(self.conv(x.transpose(1, 2))).transpose(1, 2)


def alibi_bias(n_heads: int, n_frames: int, device=None) -> torch.Tensor:
    """Linear distance penalties of ALiBi (Press et al., "Train Short, Test Long", ICLR 2022).

    Returns:
        (n_heads, T, T) float32, ``-slope_h * |i - j|`` with the geometric slopes ``2^(-8 h / n_heads)``.
    """
    slopes = torch.tensor([2.0 ** (-8.0 * (h + 1) / n_heads) for h in range(n_heads)], device=device)
    positions = torch.arange(n_frames, device=device, dtype=torch.float32)
    return -slopes[:, None, None] * (positions[None, :, None] - positions[None, None, :]).abs()


def time_bias(frame_times: torch.Tensor, key_times: torch.Tensor, key_mask: torch.Tensor, scale: float) -> torch.Tensor:
    """Gaussian attention bias of frames over timed keys: ``-0.5 ((t - c) / scale)^2``, ``-inf`` on padding.

    Args:
        frame_times: (T,) frame centres in seconds.
        key_times: (B, N) key anchor times in seconds.
        key_mask: (B, N) bool, True on real keys.
        scale: the width of a key's reach in seconds, > 0.

    Returns:
        (B, T, N) float32.
    """
    distance = (frame_times[None, :, None] - key_times[:, None, :]) / scale
    return (-0.5 * distance.square()).masked_fill(~key_mask[:, None, :], NEG_INF)


class CrossModalLayer(torch.nn.Module):
    """Pre-norm transformer layer: self-attention over frames, cross-attention to key tokens, feed-forward.

    Args:
        d_model: feature width.
        n_heads: attention heads (``d_model`` must divide by it).
        dropout: dropout probability.
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float):
        super().__init__()
        self.n_heads = n_heads
        self.self_attn = torch.nn.MultiheadAttention(d_model, n_heads, dropout=dropout, batch_first=True)
        self.cross_attn = torch.nn.MultiheadAttention(d_model, n_heads, dropout=dropout, batch_first=True)
        self.feed_forward = torch.nn.Sequential(
            torch.nn.Linear(d_model, 4 * d_model),
            torch.nn.GELU(),
            torch.nn.Dropout(dropout),
            torch.nn.Linear(4 * d_model, d_model),
        )
        self.norms = torch.nn.ModuleList(torch.nn.LayerNorm(d_model) for _ in range(3))
        self.dropout = torch.nn.Dropout(dropout)

    def forward(
        self, x: torch.Tensor, keys: torch.Tensor, self_bias: torch.Tensor, cross_bias: torch.Tensor
    ) -> torch.Tensor:
        """x (B, T, d), keys (B, N, d), self_bias (B * heads, T, T), cross_bias (B * heads, T, N) -> (B, T, d)."""
        h = self.norms[0](x)
        x = x + self.dropout(self.self_attn(h, h, h, attn_mask=self_bias, need_weights=False)[0])
        h = self.norms[1](x)
        x = x + self.dropout(self.cross_attn(h, keys, keys, attn_mask=cross_bias, need_weights=False)[0])
        return x + self.dropout(self.feed_forward(self.norms[2](x)))


def per_head(bias: torch.Tensor, n_heads: int) -> torch.Tensor:
    """(B, T, S) -> (B * n_heads, T, S), the layout ``torch.nn.MultiheadAttention`` takes for a float mask."""
    return bias.repeat_interleave(n_heads, dim=0)


def check_width(d_model: int, n_heads: int) -> None:
    """Raise ValueError unless the attention heads split ``d_model`` evenly."""
    if d_model <= 0 or n_heads <= 0 or d_model % n_heads:
        raise ValueError(f"d_model ({d_model}) must be a positive multiple of n_heads ({n_heads})")


def log_duration(seconds: torch.Tensor) -> torch.Tensor:
    """Durations in seconds -> log(seconds / 0.1 s), a well-scaled input feature (0 at a typical phone)."""
    return torch.log(seconds.clamp_min(1e-3) / 0.1) / math.log(10.0)
