"""Output heads of the motion models, one per motion representation, in one module keyed by its name."""

from collections.abc import Mapping

import torch


class MotionHeads(torch.nn.Module):
    """Linear read-outs from a shared motion feature to each representation.

    Representations (see :data:`facemotion.data.clip.REPRESENTATIONS`): ``"arkit"`` (52 weights; linear, as
    every head here: a sigmoid saturates on channels that rest at 0 and stops learning their motion, so
    :meth:`~facemotion.motion.speech_motion.SpeechMotionModel.generate` clips ARKit weights to [0, 1]), ``"flame"`` (FLAME expression coefficients + jaw pose, radians), ``"vertices"`` (V * 3 vertex
    offsets of a template topology), and ``"latent"`` (the content latent of a motion prior).

    Args:
        d_model: width of the incoming feature.
        dims: representation name -> output width D, e.g. ``{"arkit": 52, "flame": 53}``.

    Raises:
        ValueError: when ``dims`` is empty or a width is not a positive integer.
    """

    def __init__(self, d_model: int, dims: Mapping[str, int]):
        super().__init__()
        if not dims or any(int(d) != d or d <= 0 for d in dims.values()):
            raise ValueError(f"dims must map representation names to positive widths, got {dict(dims)}")
        self.dims = dict(dims)
        self.heads = torch.nn.ModuleDict({name: torch.nn.Linear(d_model, d) for name, d in dims.items()})

    def forward(self, features: torch.Tensor, representation: str) -> torch.Tensor:
        """(B, T, d_model) features -> (B, T, D) motion of ``representation``.

        Raises:
            KeyError: for a representation this model has no head for.
        """
        if representation not in self.heads:
            raise KeyError(f"no head for {representation!r}; this model has {sorted(self.heads)}")
        return self.heads[representation](features)
