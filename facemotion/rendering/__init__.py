"""Rendering of heads to images: the built-in torch backend (orthographic camera, z-buffer and soft
rasterizer, Lambert shading), shaped like pytorch3d's ``MeshRenderer(rasterizer, shader)``."""

from facemotion.rendering.cameras import OrthographicCamera, full_face_camera, mouth_camera
from facemotion.rendering.rasterizer import Fragments, MeshRasterizer, RasterSettings, rasterize
from facemotion.rendering.renderer import MeshRenderer
from facemotion.rendering.shading import (
    LambertShader,
    ShadingSettings,
    interpolate_face_attributes,
    softmax_rgb_blend,
    vertex_normals,
)

__all__ = [
    "Fragments",
    "LambertShader",
    "MeshRasterizer",
    "MeshRenderer",
    "OrthographicCamera",
    "RasterSettings",
    "ShadingSettings",
    "full_face_camera",
    "interpolate_face_attributes",
    "mouth_camera",
    "rasterize",
    "softmax_rgb_blend",
    "vertex_normals",
]
