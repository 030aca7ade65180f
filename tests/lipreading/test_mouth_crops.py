"""Mouth crops of the default head: what opens, what is differentiable."""

import pytest
import torch

from facemotion.face_models.names import ARKIT_INDEX
from facemotion.lipreading.mouth_crops import MouthCropRenderer
from facemotion.rendering import LambertShader, MeshRasterizer, MeshRenderer, RasterSettings, ShadingSettings


@pytest.fixture(scope="module")
def hard():
    return MouthCropRenderer()


def weights(**values: float) -> torch.Tensor:
    w = torch.zeros(1, 1, 52)
    for name, value in values.items():
        w[0, 0, ARKIT_INDEX[name]] = value
    return w


def test_crops_are_grey_and_an_open_jaw_moves_the_mouth_only(hard):
    crops = hard(torch.cat([weights(), weights(jawOpen=1.0)], dim=1))
    assert crops.shape == (1, 2, 88, 88) and crops.min() >= 0 and crops.max() <= 1
    assert crops[0, 0].std() > 0.05  # shaded, not flat
    change = (crops[0, 1] - crops[0, 0]).abs()
    assert change[40:64, 24:64].mean() > 0.1  # the mouth opens below the lip line
    assert change[40:64, 24:64].mean() > 3 * change[:16].mean()  # the nose moves much less
    lip_line = crops[0, 0, 40:48, 24:64].mean(dim=1).argmin() + 40  # the dark line between the closed lips
    assert crops[0, 0, lip_line, 24:64].mean() < crops[0, 0, 30, 24:64].mean() - 0.1


def test_soft_crops_pass_gradients_to_the_weights():
    soft = MouthCropRenderer(soft=True)
    w = weights(jawOpen=0.3, mouthFunnel=0.2).requires_grad_()
    crops = soft(w)
    crops[0, 0, 40:56, 30:58].mean().backward()
    grad = w.grad[0, 0]
    assert torch.isfinite(grad).all() and grad[ARKIT_INDEX["jawOpen"]] < 0  # opening darkens the mouth
    assert grad[ARKIT_INDEX["eyeBlinkLeft"]] == 0  # out of view


@pytest.mark.parametrize("soft", [False, True])
def test_the_part_in_view_renders_as_the_whole_head(soft):
    mouth = MouthCropRenderer(image_size=48, soft=soft)
    assert len(mouth.faces) < 0.6 * len(mouth.rig.faces)
    settings = RasterSettings((48, 48), soft=soft, faces_per_pixel=4 if soft else 1)
    camera = mouth.renderer.rasterizer.camera
    whole = MeshRenderer(MeshRasterizer(camera, settings), LambertShader(ShadingSettings(channels=1)))
    poses = torch.cat(
        [
            weights(jawOpen=1.0, mouthStretchLeft=1.0),
            weights(mouthPucker=1.0, mouthRollLower=1.0),
            weights(jawOpen=1.8, mouthSmileLeft=-0.9, jawLeft=1.5),
        ],
        dim=1,
    )
    poses = torch.cat([poses, torch.rand(1, 3, 52, generator=torch.Generator().manual_seed(0))], dim=1)
    with torch.no_grad():
        expected = whole(mouth.rig(poses[0]), mouth.rig.faces)[..., 0]
        assert torch.allclose(mouth(poses)[0], expected, atol=1e-5)


def test_bad_weights_are_refused(hard):
    with pytest.raises(ValueError, match=r"weight_range \[-1.0, 2.0\]"):
        hard(weights(jawOpen=2.5))
    with pytest.raises(ValueError, match="weight_range"):
        hard(weights(jawOpen=float("nan")))
    with pytest.raises(ValueError, match=r"\(B, T, 52\)"):
        hard(torch.zeros(3, 52))
    with pytest.raises(ValueError, match="image_size"):
        MouthCropRenderer(image_size=4)
