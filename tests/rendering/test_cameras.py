"""The perspective camera and the perspective full-face preset (the orthographic camera: test_renderer.py)."""

import math

import pytest
import torch

from facemotion.rendering import (
    LambertShader,
    MeshRasterizer,
    MeshRenderer,
    OrthographicCamera,
    PerspectiveCamera,
    RasterSettings,
    full_face_camera,
)


def test_perspective_projection_of_known_points():
    camera = PerspectiveCamera(eye=(0.0, 0.0, 2.0), target=(0.0, 0.0, 0.0), fov_degrees=90.0, aspect=2.0)
    points = torch.tensor([[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, -1.0, 1.0], [0.5, 0.5, 3.0]]])
    projected = camera.project(points)[0]
    # tan(45 deg) = 1: NDC y = y / depth, NDC x = x / (depth * aspect); +x right, +y up
    expected = torch.tensor([[0.0, 0.0, 2.0], [0.25, 0.0, 2.0], [0.0, 1.0, 2.0], [0.0, -1.0, 1.0]])
    assert torch.allclose(projected[:4], expected)
    assert projected[4, :2].isnan().all() and projected[4, 2] == -1.0  # behind the camera: not drawn


def test_the_view_axes_follow_eye_target_and_up():
    # looking from +X at the origin with +Y up: world -Z is on the image's right
    camera = PerspectiveCamera(eye=(2.0, 0.0, 0.0), target=(0.0, 0.0, 0.0), fov_degrees=60.0)
    right, up, forward = camera.view_axes()
    expected = torch.tensor([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]], dtype=torch.float64)
    assert torch.allclose(torch.stack([right, up, forward]), expected)
    x = camera.project(torch.tensor([[[0.0, 0.0, -1.0]]]))[0, 0, 0]
    assert math.isclose(float(x), 1 / (2 * math.tan(math.radians(30))), rel_tol=1e-6)


def test_gradients_flow_through_the_perspective_projection():
    camera = PerspectiveCamera(eye=(0.1, 0.2, 1.0), target=(0.0, 0.0, 0.0), fov_degrees=40.0)
    points = torch.tensor([[[0.05, -0.02, 0.1], [0.0, 0.0, 2.0]]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda p: camera.project(p)[:, :1], (points,))
    camera.project(points).nan_to_num(0.0).sum().backward()
    assert torch.isfinite(points.grad).all()


@pytest.mark.parametrize("kwargs, match", [
    ({"fov_degrees": 0.0}, "fov_degrees"),
    ({"fov_degrees": 180.0}, "fov_degrees"),
    ({"target": (0.0, 0.0, 1.0)}, "eye and target"),
    ({"up": (0.0, 0.0, 3.0)}, "parallel"),
    ({"eye": (0.0, math.inf, 1.0)}, "finite"),
    ({"znear": 2.0, "zfar": 1.0}, "znear"),
])
def test_bad_perspective_cameras_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PerspectiveCamera(**{"eye": (0.0, 0.0, 1.0), "target": (0.0, 0.0, 0.0), "fov_degrees": 30.0, **kwargs})


def test_perspective_full_face_preset_frames_the_head_like_the_orthographic_one(rig, pose):
    neutral = pose()
    perspective = full_face_camera(neutral, fov_degrees=25.0)
    assert isinstance(perspective, PerspectiveCamera) and isinstance(full_face_camera(neutral), OrthographicCamera)
    projected = perspective.project(neutral[None])[0]
    assert projected[:, :2].abs().max() <= 1 and projected[:, 1].abs().max() > 0.8  # the window is filled
    assert perspective.znear < projected[:, 2].min() and projected[:, 2].max() < perspective.zfar
    assert math.isclose(perspective.eye[2] - neutral[:, 2].max().item(), 0.8, abs_tol=0.05)  # 0.178 / tan(12.5)
    images = [MeshRenderer(MeshRasterizer(camera, RasterSettings((64, 64))), LambertShader())(neutral[None], rig.faces)
              for camera in (perspective, full_face_camera(neutral))]
    covered = [(image[0] > 0).any(-1) for image in images]
    assert 0.3 < covered[0].float().mean() < covered[1].float().mean()  # nearer parts bigger, farther smaller
    assert (covered[0] == covered[1]).float().mean() > 0.9
    with pytest.raises(ValueError, match="fov_degrees"):
        full_face_camera(neutral, fov_degrees=-5.0)
    with pytest.raises(ValueError, match="aspect"):
        MeshRasterizer(perspective, RasterSettings((32, 64)))
