"""The compiled z-buffer against the vectorised reference: same faces, buffers and gradients."""

import math

import pytest
import torch

from facemotion.rendering import RasterSettings, full_face_camera, mouth_camera, rasterize
from facemotion.rendering.zbuffer import rasterize_zbuffer


def assert_same_fragments(fast, reference) -> None:
    assert torch.equal(fast.pix_to_face, reference.pix_to_face)
    for name in ("bary_coords", "zbuf", "dists"):
        torch.testing.assert_close(getattr(fast, name), getattr(reference, name))


SETTINGS = [
    RasterSettings((23, 17)),
    RasterSettings((16, 20), faces_per_pixel=3),
    RasterSettings((18, 18), faces_per_pixel=4, soft=True, sigma=2e-3),
    RasterSettings((12, 14), soft=True, sigma=1e-3),
]


@pytest.mark.parametrize("settings", SETTINGS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("seed", [0, 1])
def test_equals_the_reference_on_overlapping_triangles_of_both_windings(settings, dtype, seed, random_triangles):
    projected, faces = random_triangles(40, batch=3, seed=seed)
    projected = projected.to(dtype)
    fast = rasterize_zbuffer(projected, faces, settings)
    height, width, k = *settings.image_size, settings.faces_per_pixel
    assert fast.pix_to_face.shape == (3, height, width, k) and fast.bary_coords.shape == (3, height, width, k, 3)
    assert (fast.pix_to_face[..., -1] >= 0).any() and (fast.pix_to_face == -1).any()
    if settings.soft:
        assert (fast.dists[fast.pix_to_face >= 0] > 0).any()  # faces within the blur radius, outside their edge
    assert_same_fragments(fast, rasterize(projected, faces, settings))


@pytest.mark.parametrize("settings", SETTINGS[:3])
def test_a_batch_equals_its_frames_rendered_one_by_one(settings, random_triangles):
    projected, faces = random_triangles(30, batch=4, seed=5)
    whole = rasterize_zbuffer(projected, faces, settings)
    for b in range(4):
        alone = rasterize_zbuffer(projected[b:b + 1], faces, settings)
        assert torch.equal(whole.pix_to_face[b:b + 1], alone.pix_to_face)


@pytest.mark.parametrize("settings", [RasterSettings((8, 8)), RasterSettings((8, 8), faces_per_pixel=3, soft=True)])
def test_equal_depth_goes_to_the_lower_face_id(settings):
    corners = [[-0.93, -0.87, 1.0], [0.91, -0.95, 1.0], [0.07, 0.89, 1.0]]
    projected = torch.tensor([corners * 3])  # the same triangle three times: the same depths to the last bit
    for faces in (torch.tensor([[0, 1, 2], [3, 4, 5], [6, 7, 8]]), torch.tensor([[6, 7, 8], [3, 4, 5], [0, 1, 2]])):
        fragments = rasterize_zbuffer(projected, faces, settings)
        covered = fragments.pix_to_face[..., 0] >= 0
        assert covered.sum() > 20
        ranks = torch.arange(settings.faces_per_pixel).expand(int(covered.sum()), -1)
        assert torch.equal(fragments.pix_to_face[covered], ranks)  # face 0 first, then 1, ...
        assert torch.equal(fragments.pix_to_face, rasterize(projected, faces, settings).pix_to_face)


def test_off_screen_degenerate_overflowing_and_non_finite_faces_draw_nothing():
    projected = torch.tensor([[[2.0, 2.0, 1.0], [3.0, 2.0, 1.0], [2.0, 3.0, 1.0], [0.0, 0.0, 1.0],
                               [-1e30, -1e30, 1.0], [1e30, -1e30, 1.0], [math.nan, 0.5, 1.0], [-0.5, 0.5, 1.0]]])
    faces = torch.tensor([[0, 1, 2], [3, 3, 3], [4, 5, 3], [6, 7, 3]])
    fragments = rasterize_zbuffer(projected, faces, RasterSettings((5, 5)))
    reference = rasterize(projected, faces, RasterSettings((5, 5)))
    assert torch.all(fragments.pix_to_face == -1) and torch.all(reference.pix_to_face == -1)


@pytest.mark.parametrize("camera", ["orthographic", "perspective", "mouth"])
@pytest.mark.parametrize("jaw", [0.0, 0.6])
def test_the_default_head_gets_the_reference_faces(rig, pose, camera, jaw):
    if camera == "mouth":  # the soft grey crop of the lip-reading loss
        camera = mouth_camera(rig.neutral[rig.region("lips")])
        settings = RasterSettings((88, 88), soft=True, faces_per_pixel=4)
    else:
        camera = full_face_camera(rig.neutral, fov_degrees=None if camera == "orthographic" else 25.0)
        settings = RasterSettings((128, 128))
    projected = camera.project(pose(jawOpen=jaw)[None])
    fast, reference = rasterize_zbuffer(projected, rig.faces, settings), rasterize(projected, rig.faces, settings)
    covered = reference.pix_to_face >= 0
    assert 0.3 < covered.float().mean()
    assert (fast.pix_to_face != reference.pix_to_face).sum() <= 3  # exact depth ties at most
    same = (fast.pix_to_face == reference.pix_to_face) & covered
    torch.testing.assert_close(fast.zbuf[same], reference.zbuf[same])
    torch.testing.assert_close(fast.bary_coords[same], reference.bary_coords[same])


@pytest.mark.parametrize("settings", [RasterSettings((12, 12)), RasterSettings((12, 12), faces_per_pixel=2, soft=True)])
def test_gradients_equal_the_reference(settings, random_triangles):
    projected, faces = random_triangles(12, batch=2, seed=7)
    gradients = []
    for backend in (rasterize_zbuffer, rasterize):
        x = projected.clone().requires_grad_()
        fragments = backend(x, faces, settings)
        covered = fragments.pix_to_face >= 0
        loss = (fragments.zbuf * covered).sum() + (fragments.bary_coords[..., 0] * covered).pow(2).sum()
        (loss + (fragments.dists * covered).sum()).backward()
        gradients.append(x.grad)
    assert gradients[0].abs().sum() > 0
    torch.testing.assert_close(gradients[0], gradients[1])


def test_bad_tensors_raise(random_triangles):
    projected, faces = random_triangles(2, batch=1)
    with pytest.raises(ValueError, match="float32/float64 CPU"):
        rasterize_zbuffer(projected.half(), faces, RasterSettings((4, 4)))
    with pytest.raises(ValueError, match="face ids"):
        rasterize_zbuffer(projected, faces + 10, RasterSettings((4, 4)))


def test_an_open_mouth_shows_its_inside_not_the_background(rig, pose):
    # between the inner lips (Multi-PIE landmarks 62 and 66) the teeth, tongue and mouth cavity are drawn
    vertices = pose(jawOpen=0.6)[None]
    camera = full_face_camera(rig.neutral)
    fragments = rasterize_zbuffer(camera.project(vertices), rig.faces, RasterSettings((128, 128)))
    landmarks = camera.project(vertices[:, rig.landmark_vertex_ids])[0]
    x, y, _ = (landmarks[62] + landmarks[66]) / 2
    row, col = int((1 - y) * 64), int((x + 1) * 64)
    window = fragments.pix_to_face[0, row - 3:row + 4, col - 6:col + 7, 0]
    lips = torch.zeros(len(rig.neutral), dtype=torch.bool)
    lips[rig.region("lips")] = True
    assert torch.all(window >= 0)
    assert (~lips[rig.faces[window]].any(-1)).float().mean() > 0.7  # faces without a lip vertex: inside the mouth
