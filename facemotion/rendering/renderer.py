"""A renderer is a rasterizer composed with a shader (pytorch3d's ``MeshRenderer``)."""

from __future__ import annotations

import torch

from facemotion.rendering.backends import MeshRasterizer
from facemotion.rendering.shading import LambertShader

__all__ = ["MeshRenderer"]


class MeshRenderer(torch.nn.Module):
    """Render meshes to images: ``shader(rasterizer(vertices, faces), ...)``.

    Args:
        rasterizer: a :class:`~facemotion.rendering.backends.MeshRasterizer` (camera, raster settings, backend).
        shader: a :class:`~facemotion.rendering.shading.LambertShader`.

    Example:
        >>> rig = ARKitRig.default()
        >>> camera = mouth_camera(rig.neutral[rig.region("lips")])
        >>> renderer = MeshRenderer(MeshRasterizer(camera, RasterSettings((88, 88), soft=True, faces_per_pixel=4)),
        ...                         LambertShader(ShadingSettings(channels=1)))
        >>> images = renderer(rig(weights)[None], rig.faces)  # (1, 88, 88, 1)
    """

    def __init__(self, rasterizer: MeshRasterizer, shader: LambertShader):
        super().__init__()
        self.rasterizer = rasterizer
        self.shader = shader

    def forward(self, vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
        """(B, V, 3) float world vertices in metres and (F, 3) int64 faces -> (B, H, W, C) images in [0, 1].

        Differentiable w.r.t. ``vertices`` (interior shading in hard mode; silhouettes too in soft mode).

        Raises:
            ValueError: from the rasterizer for bad shapes or dtypes.
        """
        fragments = self.rasterizer(vertices, faces)
        return self.shader(fragments, vertices, faces, self.rasterizer.settings, self.rasterizer.camera)
