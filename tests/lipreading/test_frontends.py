"""The 3D-conv front ends: shapes, the published layout, per-frame independence past the 3D stem."""

import pytest
import torch

from facemotion.lipreading.frontends import LightFrontend, ResNetFrontend, conv3d_stem


def test_stem_is_the_lrs3_layout():
    stem = conv3d_stem(64, "swish")
    conv, norm, activation, pool = stem
    assert conv.kernel_size == (5, 7, 7) and conv.stride == (1, 2, 2) and conv.padding == (2, 3, 3)
    assert conv.bias is None and isinstance(norm, torch.nn.BatchNorm3d) and isinstance(activation, torch.nn.SiLU)
    assert pool.kernel_size == (1, 3, 3) and pool.stride == (1, 2, 2)
    assert stem(torch.zeros(1, 1, 4, 88, 88)).shape == (1, 64, 4, 22, 22)
    with pytest.raises(ValueError, match="activation"):
        conv3d_stem(8, "gelu")


def test_light_frontend_shapes_and_errors():
    frontend = LightFrontend(out_channels=24).eval()
    assert frontend(torch.rand(2, 5, 88, 88)).shape == (2, 5, 24)
    with pytest.raises(ValueError, match="88x88"):
        frontend(torch.rand(2, 5, 64, 64))
    with pytest.raises(ValueError, match="B, T, H, W"):
        frontend(torch.rand(5, 88, 88))


def test_a_frame_reaches_two_neighbours_each_side():
    torch.manual_seed(0)
    frontend = LightFrontend(image_size=16, stem_channels=4, trunk_channels=(4, 4, 4), out_channels=8).eval()
    crops = torch.rand(1, 9, 16, 16)
    changed = crops.clone()
    changed[0, 4] = 1 - changed[0, 4]
    moved = (frontend(crops) - frontend(changed)).abs().sum(-1)[0]
    assert torch.equal(moved > 0, torch.tensor([False, False, True, True, True, True, True, False, False]))


def test_resnet_frontend_has_the_published_keys_and_512_features():
    frontend = ResNetFrontend(trunk_activation="prelu").eval()
    keys = set(frontend.state_dict())
    assert {
        "frontend3D.0.weight",
        "frontend3D.1.running_var",
        "trunk.layer1.0.conv1.weight",
        "trunk.layer2.0.downsample.0.weight",
        "trunk.layer4.1.bn2.bias",
        "trunk.layer3.1.relu2.weight",
    } <= keys
    assert not any(key.startswith("trunk.layer1.0.downsample") for key in keys)
    assert frontend(torch.rand(1, 3, 88, 88)).shape == (1, 3, 512)
