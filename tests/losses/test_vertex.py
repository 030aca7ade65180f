"""Motion losses: masked channel error, velocity, lip vertex error through the linear rig."""

import torch

from facemotion.face_models.arkit import ARKitRig
from facemotion.losses.kl import kl_divergence
from facemotion.losses.vertex import lip_vertex_loss, masked_mse, velocity_mse


def test_masked_mse_counts_only_masked_channels():
    prediction, target = torch.zeros(2, 5, 3), torch.zeros(2, 5, 3)
    target[..., 2] = 1.0
    assert masked_mse(prediction, target, torch.tensor([True, True, False])) == 0
    assert masked_mse(prediction, target, torch.tensor([False, False, True])) == 1
    assert abs(masked_mse(prediction, target) - 1 / 3) < 1e-7
    assert velocity_mse(prediction, target) == 0


def test_lip_vertex_loss_equals_the_rig_in_millimetres():
    rig = ARKitRig.default()
    lips = rig.region("lips")
    prediction, target = torch.rand(1, 4, 52), torch.rand(1, 4, 52)
    expected = ((rig(prediction[0]) - rig(target[0]))[:, lips] * 1000).square().sum(-1).mean()
    loss = lip_vertex_loss(prediction, target, rig.deltas[:, lips])
    torch.testing.assert_close(loss, expected, rtol=1e-4, atol=1e-6)


def test_kl_is_zero_at_the_prior_only():
    assert kl_divergence(torch.zeros(3, 4), torch.zeros(3, 4)) == 0
    assert kl_divergence(torch.ones(3, 4), torch.zeros(3, 4)) > 0
    assert kl_divergence(torch.ones(3, 4), torch.zeros(3, 4), 1.0) == 0
