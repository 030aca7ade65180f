"""Rendering of heads to images, shaped like pytorch3d's ``MeshRenderer(rasterizer, shader)``: orthographic and
perspective cameras, rasterizer backends behind one interface (the vectorised torch reference, a compiled
z-buffer for previews, pytorch3d where installed), and Lambert shading, hard or soft blended."""

from facemotion.rendering.backends import BACKENDS, MeshRasterizer, choose_backend
from facemotion.rendering.cameras import (
    Camera,
    OrthographicCamera,
    PerspectiveCamera,
    full_face_camera,
    mouth_camera,
)
from facemotion.rendering.rasterizer import Fragments, RasterSettings, rasterize
from facemotion.rendering.renderer import MeshRenderer
from facemotion.rendering.shading import (
    LambertShader,
    ShadingSettings,
    interpolate_face_attributes,
    softmax_rgb_blend,
    vertex_normals,
)

__all__ = [
    "BACKENDS",
    "Camera",
    "Fragments",
    "LambertShader",
    "MeshRasterizer",
    "MeshRenderer",
    "OrthographicCamera",
    "PerspectiveCamera",
    "RasterSettings",
    "ShadingSettings",
    "choose_backend",
    "full_face_camera",
    "interpolate_face_attributes",
    "mouth_camera",
    "rasterize",
    "softmax_rgb_blend",
    "vertex_normals",
]
