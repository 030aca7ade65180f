"""Load the visual front end of a user's pretrained LRS3 lip reader (nothing is downloaded).

Supported format: a PyTorch state dict of the Conv3dResNet visual front end of Pingchuan Ma's models
(``github.com/mpc001``), as written by ``torch.save(model.state_dict(), path)``:

- Auto-AVSR (Ma et al., ICASSP 2023; ``mpc001/auto_avsr``, e.g. ``vsr_trlrs3_base.pth``,
  ``vsr_trlrs3vox2_base.pth``) and "Visual Speech Recognition for Multiple Languages in the Wild" (Ma et al.,
  Nature Machine Intelligence 2022; ``mpc001/Visual_Speech_Recognition_for_Multiple_Languages``, e.g.
  ``LRS3_V_WER19.1/model.pth``): the whole E2E model, whose front end keys are
  ``encoder.frontend.frontend3D.{0.weight, 1.weight, 1.bias, 1.running_mean, 1.running_var,
  1.num_batches_tracked}`` and ``encoder.frontend.trunk.layer{1-4}.{0,1}.{conv1, bn1, conv2, bn2}.*`` with
  ``downsample.{0,1}.*`` in the first block of layers 2-4 (``relu1/relu2.weight`` too for PReLU trunks);
- the same keys under any other prefix (a Lightning ``.ckpt``'s ``state_dict`` with ``model.encoder.frontend.``,
  or a front end saved alone with no prefix), and a dict wrapping the state under ``"state_dict"`` or
  ``"model_state_dict"`` (``mpc001/Lipreading_using_Temporal_Convolutional_Networks``: ``frontend3D.*``,
  ``trunk.*``).

Only the front end is loaded (3D convolution + ResNet-18, 512 features per frame, the input of those models'
conformer); the rest of the checkpoint (encoder blocks, decoder, CTC) is ignored. These are the features of the
lip-reading losses of SPECTRE and EMOTE (their ``LipReadingNet`` calls the encoder with
``extract_resnet_feats=True``, the LRS3 model of "Visual Speech Recognition for Multiple Languages"). Those
models take 88x88 grayscale crops of real faces normalised by (x - 0.421) / 0.165; rendered crops differ from real
video, so the features are a perceptual distance, not a transcript.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path

import torch

from facemotion.lipreading.frontends import ResNetFrontend

__all__ = ["load_vsr_frontend", "vsr_frontend_state"]

_STEM_WEIGHT = "frontend3D.0.weight"
_PARTS = ("frontend3D.", "trunk.")


def _read(checkpoint: str | Path | Mapping[str, torch.Tensor]) -> Mapping[str, torch.Tensor]:
    """A state dict from a path (``torch.load`` of tensors only) or a mapping, unwrapped from its container."""
    if isinstance(checkpoint, (str, Path)):
        path = Path(checkpoint)
        if not path.is_file():
            raise FileNotFoundError(f"no lip-reader checkpoint at {path}")
        try:
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        except (pickle.UnpicklingError, EOFError, RuntimeError) as error:  # not a pickle / empty / bad zip archive
            raise ValueError(f"{path} is not a PyTorch state dict readable with weights_only=True: {error}") from None
    if not isinstance(checkpoint, Mapping):
        raise TypeError(f"a checkpoint must be a mapping of names to tensors, got {type(checkpoint).__name__}")
    for wrapper in ("state_dict", "model_state_dict"):
        if isinstance(checkpoint.get(wrapper), Mapping):
            return checkpoint[wrapper]
    return checkpoint


def vsr_frontend_state(
    checkpoint: str | Path | Mapping[str, torch.Tensor], prefix: str | None = None
) -> dict[str, torch.Tensor]:
    """The front-end entries of a lip-reader checkpoint, renamed to :class:`ResNetFrontend` keys.

    Args:
        checkpoint: a path to a ``.pth`` / ``.tar`` / ``.ckpt`` file or a loaded state dict (see the module
            docstring for the layouts).
        prefix: the front end's key prefix, e.g. ``"encoder.frontend."``; None finds the one prefix of the key
            ending in ``frontend3D.0.weight``.

    Returns:
        ``{"frontend3D.0.weight": ..., "trunk.layer1.0.conv1.weight": ...}``: the keys under the prefix that
        start with ``frontend3D.`` or ``trunk.``.

    Raises:
        FileNotFoundError: the file is missing.
        TypeError: the checkpoint is not a mapping.
        ValueError: the file is not a tensors-only PyTorch file, no key (or several) ends in
            ``frontend3D.0.weight`` when no prefix is given, or nothing lies under the prefix.
    """
    state = _read(checkpoint)
    if prefix is None:
        prefixes = sorted(key[: -len(_STEM_WEIGHT)] for key in state if str(key).endswith(_STEM_WEIGHT))
        if len(prefixes) != 1:
            found = "no key" if not prefixes else f"several keys ({prefixes})"
            raise ValueError(
                f"{found} ends in {_STEM_WEIGHT!r}: not one Conv3dResNet lip-reader front end "
                f"(first keys: {list(state)[:5]}); pass prefix= to choose"
            )
        prefix = prefixes[0]
    front = {
        key[len(prefix) :]: value
        for key, value in state.items()
        if key.startswith(prefix) and key[len(prefix) :].startswith(_PARTS)
    }
    if not front:
        raise ValueError(f"no frontend3D.* or trunk.* key under the prefix {prefix!r}")
    return front


def load_vsr_frontend(
    checkpoint: str | Path | Mapping[str, torch.Tensor], prefix: str | None = None, activation: str = "swish"
) -> ResNetFrontend:
    """A :class:`~facemotion.lipreading.frontends.ResNetFrontend` with the weights of a pretrained lip reader.

    Activations with weights are read from the checkpoint: a stem or trunk with PReLU weights
    (``frontend3D.2.weight``, ``trunk.layer1.0.relu1.weight``) gets PReLU; the others get ``activation``
    (a ReLU and a Swish have no weights to tell them apart; the mpc001 LRS3 models use Swish).

    Args:
        checkpoint: see :func:`vsr_frontend_state`.
        prefix: see :func:`vsr_frontend_state`.
        activation: ``"swish"`` or ``"relu"``, for the parts without PReLU weights.

    Returns:
        The front end in eval mode, its parameters trainable (freeze them as needed).

    Raises:
        FileNotFoundError, ValueError: from :func:`vsr_frontend_state`; ValueError naming the missing and
            unexpected keys (``num_batches_tracked`` may be absent), or the tensors whose shapes differ, when
            the entries are not a ResNet-18 front end.
    """
    if activation not in ("swish", "relu"):
        raise ValueError(f"activation must be 'swish' or 'relu', got {activation!r}")
    front = vsr_frontend_state(checkpoint, prefix)
    stem = "prelu" if "frontend3D.2.weight" in front else activation
    trunk = "prelu" if "trunk.layer1.0.relu1.weight" in front else activation
    frontend = ResNetFrontend(stem, trunk)
    expected = frontend.state_dict()
    missing = sorted(k for k in set(expected) - set(front) if not k.endswith("num_batches_tracked"))
    unexpected = sorted(set(front) - set(expected))
    if missing or unexpected:
        raise ValueError(
            f"the checkpoint is not a ResNet-18 lip-reader front end: missing keys {missing}, "
            f"unexpected keys {unexpected}"
        )
    shapes = [
        f"{k}: {tuple(front[k].shape)} != {tuple(v.shape)}"
        for k, v in expected.items()
        if k in front and tuple(front[k].shape) != tuple(v.shape)
    ]
    if shapes:
        raise ValueError(f"checkpoint tensors of the wrong shape (checkpoint != ResNet-18 front end): {shapes}")
    frontend.load_state_dict(front, strict=False)
    return frontend.eval()
