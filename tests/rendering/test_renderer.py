"""Cameras, shading and the composed renderer, on small meshes and on the default head."""

import pytest
import torch

from facemotion.rendering import (
    LambertShader,
    MeshRasterizer,
    MeshRenderer,
    OrthographicCamera,
    RasterSettings,
    ShadingSettings,
    full_face_camera,
    interpolate_face_attributes,
    mouth_camera,
    vertex_normals,
)


def pyramid() -> tuple[torch.Tensor, torch.Tensor]:
    """A square pyramid seen from +Z: apex towards the camera, four counter-clockwise sides."""
    vertices = torch.tensor([[[0.0, 0.0, 0.5], [-0.6, -0.6, 0.0], [0.6, -0.6, 0.0], [0.6, 0.6, 0.0], [-0.6, 0.6, 0.0]]])
    faces = torch.tensor([[0, 1, 2], [0, 2, 3], [0, 3, 4], [0, 4, 1]])
    return vertices, faces


def test_orthographic_projection_maps_the_window_to_ndc():
    camera = OrthographicCamera(centre=(0.1, 0.2, 0.3), half_height=0.5, aspect=2.0, distance=1.0)
    points = torch.tensor([[[0.1, 0.2, 0.3], [1.1, 0.7, 0.0], [-0.9, -0.3, 0.5]]])
    expected = torch.tensor([[[0.0, 0.0, 1.0], [1.0, 1.0, 1.3], [-1.0, -1.0, 0.8]]])
    assert torch.allclose(camera.project(points), expected)
    with pytest.raises(ValueError, match="half_height"):
        OrthographicCamera((0, 0, 0), half_height=0.0)
    with pytest.raises(ValueError, match="vertices"):
        camera.project(points[0])


def test_vertex_normals_point_out_of_a_pyramid():
    vertices, faces = pyramid()
    normals = vertex_normals(vertices, faces)
    assert torch.allclose(normals[0, 0], torch.tensor([0.0, 0.0, 1.0]), atol=1e-6)
    assert torch.allclose(normals.norm(dim=-1), torch.ones(1, 5))
    assert (normals[0, 1:, :2] * vertices[0, 1:, :2]).sum(-1).gt(0).all()  # base corners lean outwards


@pytest.mark.parametrize("soft", [False, True])
def test_gradients_of_the_image_are_finite_and_non_zero(soft):
    vertices, faces = pyramid()
    vertices = vertices.requires_grad_()
    settings = RasterSettings((24, 24), soft=soft, faces_per_pixel=4 if soft else 1, sigma=1e-3)
    renderer = MeshRenderer(MeshRasterizer(OrthographicCamera((0, 0, 0.5), 1.0), settings), LambertShader())
    image = renderer(vertices, faces)
    assert image.shape == (1, 24, 24, 3) and 0 <= image.min() and image.max() <= 1
    image.sum().backward()
    grad = vertices.grad
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0
    if soft:  # the silhouette moves: a base corner's x/y gets a gradient (the hard path has none there)
        assert grad[0, 1:, :2].abs().sum() > 0


@pytest.mark.parametrize("settings, backend", [
    (RasterSettings((12, 12), soft=True, faces_per_pixel=3, sigma=1e-2, gamma=0.1), "torch"),
    (RasterSettings((12, 12)), "zbuffer"),
])
def test_image_gradients_match_finite_differences(settings, backend):
    # float64 pyramid: soft silhouettes, depth blending and smooth normals; hard interior shading
    vertices, faces = pyramid()
    vertices = (vertices + torch.tensor([0.03, -0.02, 0.0])).to(torch.float64).requires_grad_()  # edges off pixels
    renderer = MeshRenderer(MeshRasterizer(OrthographicCamera((0, 0, 0.5), 1.0), settings, backend),
                            LambertShader(ShadingSettings(channels=1)))
    assert torch.autograd.gradcheck(lambda v: renderer(v, faces), (vertices,), eps=1e-6, atol=1e-7, rtol=1e-5)


def test_soft_silhouette_is_differentiable_where_hard_is_not():
    # a flat triangle: hard shading is constant inside, so only the soft edge can feel a move of the corners
    vertices = torch.tensor([[[-0.5, -0.5, 0.0], [0.5, -0.5, 0.0], [0.0, 0.5, 0.0]]], requires_grad=True)
    faces = torch.tensor([[0, 1, 2]])
    camera = OrthographicCamera((0, 0, 0), 1.0)
    for soft, expect_gradient in ((False, False), (True, True)):
        settings = RasterSettings((16, 16), soft=soft, sigma=1e-3)
        renderer = MeshRenderer(MeshRasterizer(camera, settings), LambertShader())
        (grad,) = torch.autograd.grad(renderer(vertices, faces).sum(), vertices, allow_unused=True)
        moved = grad is not None and grad[..., :2].abs().sum() > 1e-6
        assert moved == expect_gradient
        if soft:  # growing the triangle brightens the image: the right corner's x gradient is positive
            assert grad[0, 1, 0] > 0


def test_hard_image_is_background_off_the_mesh():
    vertices, faces = pyramid()
    settings = RasterSettings((20, 20))
    shader = LambertShader(ShadingSettings(background=(0.2, 0.4, 0.6)))
    image = MeshRenderer(MeshRasterizer(OrthographicCamera((0, 0, 0.5), 1.0), settings), shader)(vertices, faces)
    assert torch.allclose(image[0, 0, 0], torch.tensor([0.2, 0.4, 0.6]))
    assert image[0, 10, 10].sub(torch.tensor([0.2, 0.4, 0.6])).abs().sum() > 0.1


def test_full_face_render_of_the_default_head_is_framed_and_upright(rig, pose):
    neutral = pose()
    camera = full_face_camera(neutral)
    renderer = MeshRenderer(MeshRasterizer(camera, RasterSettings((128, 128))), LambertShader())
    image = renderer(neutral[None], rig.faces)
    covered = (image[0] > 0).any(-1)
    assert 0.3 < covered.float().mean() < 0.8
    # upright: the eyes land above the mouth, the chin below the nose, all on covered pixels
    landmarks = camera.project(neutral[rig.landmark_vertex_ids][None])[0]
    rows = ((1 - landmarks[:, 1]) * 128 / 2).long()
    cols = ((landmarks[:, 0] + 1) * 128 / 2).long()
    assert rows[36:48].float().mean() < rows[30] < rows[48:68].float().mean() < rows[8]
    assert cols[36] < cols[45]  # subject's right eye corner (landmark 37) on the image's left
    assert covered[rows, cols].all()
    # a row through the eyes is wider than the top of the crown
    top = covered.any(-1).nonzero()[0, 0]
    assert covered[top].sum() < covered[rows[36:48].float().mean().long()].sum()


def test_mouth_crop_shows_a_darker_opening_when_the_jaw_opens(rig, pose):
    camera = mouth_camera(rig.neutral[rig.region("lips")])
    settings = RasterSettings((88, 88), soft=True, faces_per_pixel=4)
    renderer = MeshRenderer(MeshRasterizer(camera, settings), LambertShader(ShadingSettings(channels=1)))
    images = renderer(torch.stack([pose(), pose(jawOpen=0.5)]), rig.faces)
    assert images.shape == (2, 88, 88, 1)
    centre = images[:, 30:58, 30:58].mean(dim=(1, 2, 3))
    assert centre[1] < centre[0] - 0.05
    assert (images[0] > 0.05).float().mean() > 0.9  # the crop is filled by the face


def test_hard_shading_equals_the_formula_on_interpolated_normals(rig, pose):
    # the shader's covered-pixels-only path against Lambert on interpolate_face_attributes of every pixel
    vertices = torch.stack([pose(), pose(jawOpen=0.6)])
    camera = full_face_camera(rig.neutral)
    settings = RasterSettings((48, 48))
    fragments = MeshRasterizer(camera, settings, backend="torch")(vertices, rig.faces)
    background = torch.tensor([0.2, 0.4, 0.6])
    image = LambertShader(ShadingSettings(background=(0.2, 0.4, 0.6)))(fragments, vertices, rig.faces, settings, camera)
    normals = interpolate_face_attributes(fragments, rig.faces, vertex_normals(vertices, rig.faces))[..., 0, :]
    grey = 0.8 * (0.15 + 0.85 * torch.nn.functional.normalize(normals, dim=-1)[..., 2].clamp_min(0))
    covered = fragments.pix_to_face[..., :1] >= 0
    assert 0.2 < covered.float().mean() < 0.8
    assert torch.allclose(image, torch.where(covered, grey[..., None], background), atol=1e-6)


def test_vertex_normals_of_a_batch_equal_those_of_each_item():
    vertices, faces = pyramid()
    tilted = vertices @ torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.8, 0.6], [0.0, -0.6, 0.8]]) + 0.1
    batched = vertex_normals(torch.cat([vertices, tilted]), faces)
    assert torch.allclose(batched[1:], vertex_normals(tilted, faces))
    assert torch.allclose(batched[:1], vertex_normals(vertices, faces))
    assert not torch.allclose(batched[0], batched[1])
