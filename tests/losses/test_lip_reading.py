"""The lip-reading and sync losses on soft mouth renders: values, gradients to the ARKit weights, frozen nets."""

import pytest
import torch

from facemotion.face_models.names import ARKIT_INDEX
from facemotion.lipreading.expert import SyncExpert, SyncExpertConfig
from facemotion.lipreading.mouth_crops import MouthCropRenderer
from facemotion.losses.lip_reading import LipReadingLoss, SyncLoss

SMALL = SyncExpertConfig(stem_channels=4, trunk_channels=(8, 8, 8), n_mels=16, hidden_dim=16, embedding_dim=16)
MOUTH = ("jawOpen", "mouthFunnel", "mouthPucker", "mouthClose", "mouthSmileLeft")


@pytest.fixture(scope="module")
def expert():
    torch.manual_seed(0)
    return SyncExpert(SMALL).eval()


@pytest.fixture(scope="module")
def renderer():
    return MouthCropRenderer(soft=True)


def speech_weights(frames: int = 3, seed: int = 0) -> torch.Tensor:
    """(1, T, 52) weights moving the mouth channels."""
    generator = torch.Generator().manual_seed(seed)
    weights = torch.zeros(1, frames, 52)
    for name in MOUTH:
        weights[0, :, ARKIT_INDEX[name]] = 0.6 * torch.rand(frames, generator=generator)
    return weights


def test_lip_reading_loss_is_zero_on_the_target_and_differentiable_elsewhere(expert, renderer):
    loss = LipReadingLoss(expert.visual, renderer)
    target = speech_weights(seed=0)
    assert loss(target, target).abs() < 1e-5
    prediction = speech_weights(seed=1).requires_grad_()
    value = loss(prediction, target)
    assert 0 < value <= 2
    value.backward()
    grad = prediction.grad[0]
    assert torch.isfinite(grad).all()
    assert grad[:, [ARKIT_INDEX[name] for name in MOUTH]].abs().sum() > 0
    assert grad[:, ARKIT_INDEX["eyeBlinkLeft"]].abs().sum() == 0  # the eyes are out of the crop
    assert all(p.grad is None for p in expert.parameters())  # frozen
    with pytest.raises(ValueError, match="must match"):
        loss(prediction, target[:, :2])


def test_sync_loss_matches_the_expert_and_passes_gradients(expert, renderer):
    loss = SyncLoss(expert, renderer)
    weights = speech_weights(frames=4).requires_grad_()
    waveform = 0.1 * torch.randn(1, 4 * 16000 // 30)
    value = loss(weights, waveform)
    with torch.no_grad():
        logits = expert(renderer(weights), waveform).logits
    assert torch.allclose(value, torch.nn.functional.softplus(-logits).mean())
    value.backward()
    assert torch.isfinite(weights.grad).all() and weights.grad[0, :, ARKIT_INDEX["jawOpen"]].abs().sum() > 0
    with pytest.raises(ValueError, match="covers"):
        loss(weights, waveform[:, :1000])
    with pytest.raises(ValueError, match=r"\(B, T, 52\)"):
        loss(weights[0], waveform)


def test_the_networks_stay_frozen_in_eval_mode_inside_a_training_model(expert, renderer):
    model = torch.nn.ModuleDict({"lip": LipReadingLoss(expert.visual, renderer), "sync": SyncLoss(expert, renderer)})
    model.train()
    assert model["lip"].training and not model["lip"].network.training and not model["sync"].network.training
    assert not any(p.requires_grad for p in model.parameters())
