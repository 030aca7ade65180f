"""Grayscale mouth crops of the head posed by ARKit weights: what the lip-reading expert sees.

The view is the fixed mouth camera of :func:`~facemotion.rendering.cameras.mouth_camera` computed once from the
neutral lips (76 mm square on the default head, so an open jaw moves inside a still frame, as in the mouth
regions of interest of lip-reading datasets), Lambert-shaded in one grey channel. Hard rasterization (the
compiled z-buffer on the CPU) makes training data; soft rasterization (SoftRas, K = 4 faces per pixel) makes
renders differentiable w.r.t. the weights for the lip-reading losses.

Only the part of the head that can appear in the view is rendered: the faces whose bounding box, over every
pose with weights in ``weight_range``, meets the view grown by :data:`VIEW_MARGIN` (the vertex range is bounded
per vertex by the most each blendshape can move it, so the test is conservative). The image is the full
head's: every face that can cover a pixel is kept, and so is every face around a vertex in the grown view, so the
smooth normals of the faces in view are complete unless a face spans more than the margin (9.5 mm on the default
head, whose faces around the mouth measure 1-2 mm; a test compares with the whole head). On the default head it
halves the rendering time (about 28,000 of 48,836 triangles stay, the back of the head behind the mouth among
them).
"""

from __future__ import annotations

import torch
from torch import nn

from facemotion.face_models.arkit import ARKitRig
from facemotion.face_models.names import ARKIT_52
from facemotion.rendering import (
    LambertShader,
    MeshRasterizer,
    MeshRenderer,
    OrthographicCamera,
    RasterSettings,
    ShadingSettings,
    mouth_camera,
)

__all__ = ["VIEW_MARGIN", "MouthCropRenderer", "faces_in_view"]

VIEW_MARGIN = 0.25
"""Faces are kept when they may reach the view grown by this fraction of its half-size on each side."""


def faces_in_view(rig: ARKitRig, camera: OrthographicCamera, weight_range: tuple[float, float]) -> torch.Tensor:
    """(F,) bool: the faces of the rig that may cover the camera's view (grown by :data:`VIEW_MARGIN`) for some
    weights in ``weight_range`` (each vertex's box: neutral plus, per blendshape, the extreme of ``w * delta``)."""
    low, high = weight_range
    extremes = torch.stack([low * rig.deltas, high * rig.deltas])  # (2, 52, V, 3)
    lowest = camera.project((rig.neutral + extremes.amin(0).sum(0))[None])[0]
    highest = camera.project((rig.neutral + extremes.amax(0).sum(0))[None])[0]
    face_low = torch.minimum(lowest, highest)[rig.faces].amin(dim=1)[:, :2]  # (F, 2) NDC x, y
    face_high = torch.maximum(lowest, highest)[rig.faces].amax(dim=1)[:, :2]
    reach = 1 + VIEW_MARGIN
    return (face_high >= -reach).all(-1) & (face_low <= reach).all(-1)


class MouthCropRenderer(nn.Module):
    """ARKit weights (B, T, 52) -> grayscale mouth crops (B, T, size, size) in [0, 1].

    Args:
        rig: the head; None for :meth:`ARKitRig.default`.
        image_size: crop side in pixels (88, as LRS3 lip readers take).
        soft: soft rasterization (differentiable silhouettes) instead of the hard z-buffer.
        faces_per_pixel: K of soft rasterization (1 in hard mode).
        backend: rasterizer backend (``"auto"``: the compiled z-buffer on the CPU).
        weight_range: (low, high), the weights the renderer accepts (the visible part of the head is chosen for
            them); the default allows predictions well outside ARKit's [0, 1].

    Raises:
        ValueError: for image_size < 8, faces_per_pixel < 1 or an empty weight range.
    """

    def __init__(
        self,
        rig: ARKitRig | None = None,
        image_size: int = 88,
        soft: bool = False,
        faces_per_pixel: int = 4,
        backend: str = "auto",
        weight_range: tuple[float, float] = (-1.0, 2.0),
    ):
        super().__init__()
        if image_size < 8 or faces_per_pixel < 1 or not weight_range[0] < weight_range[1]:
            raise ValueError(
                f"need image_size >= 8, faces_per_pixel >= 1 and low < high weights, got {image_size}, "
                f"{faces_per_pixel}, {weight_range}"
            )
        self.rig = ARKitRig.default() if rig is None else rig
        camera = mouth_camera(self.rig.neutral[self.rig.region("lips")])
        faces = self.rig.faces[faces_in_view(self.rig, camera, weight_range)]
        vertex_ids, local_faces = torch.unique(faces, return_inverse=True)
        self.register_buffer("vertex_ids", vertex_ids, persistent=False)
        self.register_buffer("faces", local_faces, persistent=False)
        self.weight_range = weight_range
        settings = RasterSettings((image_size, image_size), soft=soft, faces_per_pixel=faces_per_pixel if soft else 1)
        self.renderer = MeshRenderer(
            MeshRasterizer(camera, settings, backend), LambertShader(ShadingSettings(channels=1))
        )
        self.image_size = image_size

    def forward(self, weights: torch.Tensor) -> torch.Tensor:
        """
        Args:
            weights: (B, T, 52) float ARKit weights in Apple's order, on the rig's device (gradients flow in
                soft mode through silhouettes and shading, in hard mode through shading only).

        Returns:
            (B, T, size, size) grey levels in [0, 1], row 0 at the top.

        Raises:
            ValueError: for another shape, a non-float dtype, or weights outside ``weight_range`` or not finite.
        """
        if weights.ndim != 3 or weights.shape[-1] != len(ARKIT_52) or not weights.is_floating_point():
            raise ValueError(f"weights must be a float (B, T, 52) tensor, got {tuple(weights.shape)}")
        low, high = self.weight_range
        if weights.numel() and not (weights.min() >= low and weights.max() <= high):
            raise ValueError(
                f"weights must lie in the renderer's weight_range [{low}, {high}] (and be finite), got "
                f"[{float(weights.min())}, {float(weights.max())}]"
            )
        batch, frames = weights.shape[:2]
        vertices = self.rig(weights.reshape(batch * frames, len(ARKIT_52)))[:, self.vertex_ids]
        images = self.renderer(vertices, self.faces)
        return images.view(batch, frames, self.image_size, self.image_size)
