"""The pytorch3d backend: its conventions (against a stand-in for pytorch3d, always) and its parity with the
built-in rasterizer (with pytorch3d itself, skipped where it is not installed)."""

import math
import sys
import types

import pytest
import torch

from facemotion.rendering import (
    LambertShader,
    MeshRasterizer,
    MeshRenderer,
    RasterSettings,
    ShadingSettings,
    full_face_camera,
    mouth_camera,
    rasterize,
)
from facemotion.rendering.pytorch3d_backend import pytorch3d_available, rasterize_pytorch3d


class FakeMeshes:
    """pytorch3d.structures.Meshes for a batch of meshes of equal size."""

    def __init__(self, verts: torch.Tensor, faces: torch.Tensor):
        assert verts.ndim == 3 and faces.shape == (len(verts), faces.shape[1], 3)
        self.verts, self.faces = verts, faces


def fake_rasterize_meshes(meshes, image_size, blur_radius, faces_per_pixel, perspective_correct,
                          clip_barycentric_coords, cull_backfaces):
    """pytorch3d's conventions, built on the reference: +x to the left (column j sampled at x = 1 - (2j + 1) / W)
    and face ids packed over the batch; returns (pix_to_face, zbuf, bary_coords, dists) as pytorch3d does."""
    assert not perspective_correct and not cull_backfaces
    soft = blur_radius > 0
    assert clip_barycentric_coords == soft
    sigma = blur_radius / math.log(1 / 1e-4 - 1) if soft else 1e-4
    ours = meshes.verts * meshes.verts.new_tensor([-1.0, 1.0, 1.0])  # pytorch3d's x is minus ours
    settings = RasterSettings(image_size, sigma=sigma, faces_per_pixel=faces_per_pixel, soft=soft)
    fragments = rasterize(ours, meshes.faces[0], settings)
    packed = fragments.pix_to_face + torch.arange(len(ours)).view(-1, 1, 1, 1) * meshes.faces.shape[1]
    inside = torch.where(fragments.pix_to_face >= 0, -1e-3, -1.0).to(fragments.zbuf)  # pytorch3d: real ones
    dists = fragments.dists if soft else inside
    return torch.where(fragments.pix_to_face >= 0, packed, -1), fragments.zbuf, fragments.bary_coords, dists


@pytest.fixture
def fake_pytorch3d(monkeypatch):
    modules = {name: types.ModuleType(name) for name in (
        "pytorch3d", "pytorch3d.structures", "pytorch3d.renderer", "pytorch3d.renderer.mesh",
        "pytorch3d.renderer.mesh.rasterize_meshes")}
    modules["pytorch3d.structures"].Meshes = FakeMeshes
    modules["pytorch3d.renderer.mesh.rasterize_meshes"].rasterize_meshes = fake_rasterize_meshes
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)


@pytest.mark.parametrize("settings", [
    RasterSettings((12, 12), faces_per_pixel=2),
    RasterSettings((10, 10), faces_per_pixel=3, soft=True, sigma=2e-3),
])
def test_the_conventions_are_converted_both_ways(settings, fake_pytorch3d, random_triangles):
    projected, faces = random_triangles(8, batch=2, seed=4)
    converted, reference = rasterize_pytorch3d(projected, faces, settings), rasterize(projected, faces, settings)
    assert (reference.pix_to_face[1] >= 0).any()  # the second mesh's ids come back unpacked
    assert torch.equal(converted.pix_to_face, reference.pix_to_face)
    for name in ("bary_coords", "zbuf", "dists"):
        torch.testing.assert_close(getattr(converted, name), getattr(reference, name))


def test_non_square_images_raise_before_pytorch3d_is_needed(random_triangles):
    projected, faces = random_triangles(2, batch=1)
    with pytest.raises(ValueError, match="square"):
        rasterize_pytorch3d(projected, faces, RasterSettings((8, 12)))


@pytest.mark.skipif(pytorch3d_available(), reason="pytorch3d is installed")
def test_without_pytorch3d_the_backend_fails_loudly(random_triangles):
    projected, faces = random_triangles(2, batch=1)
    with pytest.raises(ImportError):
        rasterize_pytorch3d(projected, faces, RasterSettings((8, 8)))


@pytest.mark.skipif(not pytorch3d_available(), reason="pytorch3d is not installed")
@pytest.mark.parametrize("preset", ["full_face", "mouth"])
def test_pytorch3d_renders_the_default_head_as_the_built_in_backend(preset, rig, pose):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if preset == "full_face":
        camera, settings, shader = full_face_camera(rig.neutral), RasterSettings((128, 128)), LambertShader()
    else:
        camera = mouth_camera(rig.neutral[rig.region("lips")])
        settings = RasterSettings((88, 88), soft=True, faces_per_pixel=4)
        shader = LambertShader(ShadingSettings(channels=1))
    vertices = torch.stack([pose(), pose(jawOpen=0.6)]).to(device)
    faces = rig.faces.to(device)
    images = {name: MeshRenderer(MeshRasterizer(camera, settings, name), shader)(vertices, faces).cpu()
              for name in ("torch", "pytorch3d")}
    fragments = {name: MeshRasterizer(camera, settings, name)(vertices, faces) for name in ("torch", "pytorch3d")}
    same_face = (fragments["torch"].pix_to_face == fragments["pytorch3d"].pix_to_face).float().mean()
    assert same_face > 0.995  # faces differ only where a pixel centre lies on an edge (pytorch3d: strictly inside)
    assert (images["torch"] - images["pytorch3d"]).abs().mean() < 2e-3
