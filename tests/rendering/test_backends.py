"""Choosing a rasterizer backend, and the backends agreeing on the default head."""

import pytest
import torch

from facemotion.rendering import (
    MeshRasterizer,
    RasterSettings,
    backends,
    choose_backend,
    full_face_camera,
    mouth_camera,
)

CPU, CUDA = torch.device("cpu"), torch.device("cuda")


@pytest.mark.parametrize("settings, device, pytorch3d, expected", [
    (RasterSettings((8, 8)), CPU, False, "zbuffer"),
    (RasterSettings((8, 8), soft=True, faces_per_pixel=4), CPU, False, "zbuffer"),
    (RasterSettings((8, 8)), CPU, True, "zbuffer"),  # pytorch3d's CPU rasterizer is a naive loop
    (RasterSettings((8, 8)), CUDA, False, "torch"),
    (RasterSettings((8, 8), soft=True), CUDA, True, "pytorch3d"),
    (RasterSettings((8, 6)), CUDA, True, "torch"),  # pytorch3d: square images only
])
def test_auto_picks_the_backend_for_the_settings_and_device(settings, device, pytorch3d, expected, monkeypatch):
    monkeypatch.setattr(backends, "pytorch3d_available", lambda: pytorch3d)
    assert choose_backend("auto", settings, device) == expected


def test_named_backends_are_kept_and_unknown_ones_raise():
    for name in ("torch", "zbuffer", "pytorch3d"):
        assert choose_backend(name, RasterSettings((8, 8), soft=True), CPU) == name
    with pytest.raises(ValueError, match="backend must be"):
        choose_backend("opengl", RasterSettings((8, 8)), CPU)
    with pytest.raises(ValueError, match="backend must be"):
        MeshRasterizer(full_face_camera(torch.rand(10, 3)), RasterSettings((8, 8)), backend="opengl")


@pytest.mark.parametrize("preset", ["full_face", "mouth"])
def test_torch_and_zbuffer_rasterizers_agree_on_the_default_head(preset, rig, pose):
    vertices = torch.stack([pose(), pose(jawOpen=0.6, mouthSmileLeft=0.5)])
    if preset == "full_face":
        camera, settings = full_face_camera(rig.neutral), RasterSettings((96, 96))
    else:
        camera = mouth_camera(rig.neutral[rig.region("lips")])
        settings = RasterSettings((48, 48), soft=True, faces_per_pixel=4)
    fragments = {name: MeshRasterizer(camera, settings, name)(vertices, rig.faces)
                 for name in ("torch", "zbuffer", "auto")}
    assert (fragments["torch"].pix_to_face >= 0).float().mean() > 0.3
    assert torch.equal(fragments["zbuffer"].pix_to_face, fragments["auto"].pix_to_face)
    assert (fragments["zbuffer"].pix_to_face != fragments["torch"].pix_to_face).sum() <= 3  # exact depth ties at most
