"""Visual front ends of lip readers: grayscale mouth crops (B, T, H, W) -> per-frame features (B, T, C).

Both start as the LRS3 visual speech recognisers do (Ma et al., "Visual Speech Recognition for Multiple Languages
in the Wild", Nature Machine Intelligence 2022; Auto-AVSR, ICASSP 2023; code: ``mpc001/auto_avsr``,
``espnet/nets/pytorch_backend/backbones/conv3d_extractor.py``): one 3D convolution of 5 frames x 7 x 7 pixels,
stride (1, 2, 2), batch norm, activation and a (1, 3, 3) max pooling of stride (1, 2, 2), so an 88x88 crop
becomes a 22x22 map per frame while each frame sees its two neighbours on either side. Then a 2D trunk runs on
every frame separately:

- :class:`LightFrontend`: three strided 3x3 convolutions and a linear layer over the flattened 3x3 map (the
  fixed mouth camera makes positions meaningful); small enough to train on two CPU cores.
- :class:`ResNetFrontend`: the published ResNet-18 trunk (``backbones/modules/resnet.py``), 64 stem channels,
  512 features per frame, with the published module names (``frontend3D.*``, ``trunk.layerN.M.*``) so that a
  pretrained front end loads by name (:mod:`~facemotion.lipreading.vsr_checkpoint`).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "LightFrontend", "ResNetFrontend", "check_crops", "conv3d_stem"]

ACTIVATIONS = ("relu", "prelu", "swish")
"""Activations of the published front ends: ReLU, PReLU (LRW models) and Swish = SiLU (Auto-AVSR)."""


def check_crops(crops: torch.Tensor) -> None:
    """Raise ValueError unless ``crops`` is a floating (B, T, H, W) tensor with B, T >= 1."""
    if crops.ndim != 4 or not crops.is_floating_point() or min(crops.shape[:2]) < 1:
        raise ValueError(f"mouth crops must be a float (B, T, H, W) tensor with B, T >= 1, got {tuple(crops.shape)}")


def _activation(name: str, channels: int) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {name!r}")
    if name == "prelu":
        return nn.PReLU(num_parameters=channels)
    return nn.SiLU() if name == "swish" else nn.ReLU()


def conv3d_stem(channels: int, activation: str = "relu") -> nn.Sequential:
    """The 3D-convolution stem of the LRS3 lip readers, as ``nn.Sequential`` indices 0-3 (the published layout).

    ``Conv3d(1, channels, (5, 7, 7), stride (1, 2, 2), padding (2, 3, 3), no bias)``, ``BatchNorm3d``, the
    activation, ``MaxPool3d((1, 3, 3), (1, 2, 2), padding (0, 1, 1))``: (B, 1, T, H, W) -> (B, channels, T,
    ceil(H / 4), ceil(W / 4)) (88 -> 22).

    Raises:
        ValueError: for channels < 1 or an activation outside :data:`ACTIVATIONS`.
    """
    if channels < 1:
        raise ValueError(f"channels must be >= 1, got {channels}")
    return nn.Sequential(
        nn.Conv3d(1, channels, (5, 7, 7), (1, 2, 2), (2, 3, 3), bias=False),
        nn.BatchNorm3d(channels),
        _activation(activation, channels),
        nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1)),
    )


def _per_frame(stem: nn.Module, trunk: nn.Module, crops: torch.Tensor) -> torch.Tensor:
    """Run the 3D stem on normalised (B, T, H, W), then ``trunk`` on every frame's map: -> (B, T, C)."""
    batch, frames = crops.shape[:2]
    maps = stem(crops[:, None])  # (B, C0, T, h, w)
    channels, height, width = maps.shape[1], maps.shape[3], maps.shape[4]
    maps = maps.transpose(1, 2).reshape(batch * frames, channels, height, width)
    return trunk(maps).view(batch, frames, -1)


class LightFrontend(nn.Module):
    """The 3D stem and a light per-frame 2D trunk: (B, T, H, W) -> (B, T, ``out_channels``).

    Pixels are normalised first, ``(x - input_mean) / input_std``. Trunk: three ``Conv2d(3x3, stride 2) +
    BatchNorm2d + ReLU`` (22 -> 11 -> 6 -> 3 for 88x88 crops), flatten, ``Linear`` to ``out_channels``. About
    2 M multiply-adds per 88x88 frame past the stem with the default widths (the stem: 7.6 M with 16 channels).

    Args:
        image_size: H = W of the crops (88 for the LRS3 convention), >= 8.
        stem_channels: channels of the 3D stem.
        trunk_channels: channels of the three 2D convolutions.
        out_channels: C, features per frame.
        input_mean, input_std: pixel normalisation (the mean and spread of the training crops).

    Raises:
        ValueError: for a size or channel count out of range, or input_std <= 0.
    """

    def __init__(
        self,
        image_size: int = 88,
        stem_channels: int = 16,
        trunk_channels: tuple[int, int, int] = (32, 64, 96),
        out_channels: int = 128,
        input_mean: float = 0.5,
        input_std: float = 0.25,
    ):
        super().__init__()
        if image_size < 8 or len(trunk_channels) != 3 or min(trunk_channels) < 1 or out_channels < 1:
            raise ValueError("need image_size >= 8, three trunk channel counts >= 1 and out_channels >= 1")
        if input_std <= 0:
            raise ValueError(f"input_std must be > 0, got {input_std}")
        self.image_size = image_size
        self.input_mean, self.input_std = input_mean, input_std
        self.frontend3D = conv3d_stem(stem_channels)
        layers, previous, size = [], stem_channels, -(-image_size // 4)
        for channels in trunk_channels:
            layers += [nn.Conv2d(previous, channels, 3, 2, 1, bias=False), nn.BatchNorm2d(channels), nn.ReLU()]
            previous, size = channels, (size - 1) // 2 + 1
        self.trunk = nn.Sequential(*layers, nn.Flatten(), nn.Linear(previous * size * size, out_channels))
        self.out_channels = out_channels

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        """(B, T, H, W) float grayscale crops in [0, 1] -> (B, T, C) features.

        Raises:
            ValueError: for another shape, or H, W other than ``image_size``.
        """
        check_crops(crops)
        if tuple(crops.shape[-2:]) != (self.image_size, self.image_size):
            raise ValueError(f"crops must be {self.image_size}x{self.image_size}, got {tuple(crops.shape[-2:])}")
        return _per_frame(self.frontend3D, self.trunk, (crops - self.input_mean) / self.input_std)


class BasicBlock(nn.Module):
    """ResNet's basic block with the published names: ``conv1 bn1 relu1 conv2 bn2 (+ downsample) relu2``."""

    def __init__(self, in_channels: int, channels: int, stride: int, activation: str):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu1 = _activation(activation, channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu2 = _activation(activation, channels)
        self.downsample = None
        if stride != 1 or in_channels != channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, channels, 1, stride, bias=False), nn.BatchNorm2d(channels)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(out + residual)


class ResNetTrunk(nn.Module):
    """ResNet-18 of the LRS3 lip readers: ``layer1..layer4`` of two basic blocks (64, 128, 256, 512 channels,
    strides 1, 2, 2, 2), global average pooling: (N, 64, h, w) -> (N, 512)."""

    def __init__(self, activation: str):
        super().__init__()
        previous = 64
        for index, (channels, stride) in enumerate(((64, 1), (128, 2), (256, 2), (512, 2)), start=1):
            blocks = [BasicBlock(previous, channels, stride, activation), BasicBlock(channels, channels, 1, activation)]
            setattr(self, f"layer{index}", nn.Sequential(*blocks))
            previous = channels
        self.avgpool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = layer(x)
        return self.avgpool(x).flatten(1)


class ResNetFrontend(nn.Module):
    """The visual front end of the LRS3 lip readers: 3D stem (64 channels) + ResNet-18, 512 features per frame.

    Module names follow ``Conv3dResNet`` of Auto-AVSR (``frontend3D.0`` conv, ``frontend3D.1`` batch norm,
    ``frontend3D.2`` activation, ``trunk.layer1.0.conv1`` ...), so that its ``state_dict`` keys are those of the
    published front end without their prefix. Pixels are normalised here as those models were trained:
    ``(x - input_mean) / input_std`` for x in [0, 1] (Auto-AVSR's ``Normalize(0.421, 0.165)``).

    Args:
        stem_activation, trunk_activation: ``"swish"`` (Auto-AVSR and "Visual Speech Recognition for Multiple
            Languages"), ``"prelu"`` (``mpc001/Lipreading_using_Temporal_Convolutional_Networks``) or ``"relu"``.
        input_mean, input_std: pixel normalisation of the training data, for crops in [0, 1].

    Raises:
        ValueError: for an unknown activation or input_std <= 0.
    """

    out_channels = 512

    def __init__(
        self,
        stem_activation: str = "swish",
        trunk_activation: str = "swish",
        input_mean: float = 0.421,
        input_std: float = 0.165,
    ):
        super().__init__()
        if input_std <= 0:
            raise ValueError(f"input_std must be > 0, got {input_std}")
        self.input_mean, self.input_std = input_mean, input_std
        self.frontend3D = conv3d_stem(64, stem_activation)
        self.trunk = ResNetTrunk(trunk_activation)

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        """(B, T, H, W) float grayscale crops in [0, 1] (88x88 for the LRS3 models) -> (B, T, 512) features.

        Raises:
            ValueError: when crops are not a float (B, T, H, W) tensor.
        """
        check_crops(crops)
        return _per_frame(self.frontend3D, self.trunk, (crops - self.input_mean) / self.input_std)
