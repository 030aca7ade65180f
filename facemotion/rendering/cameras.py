"""Cameras of the built-in renderer: where a mesh lands on the image and how far it is from the viewer.

Conventions (``ARCHITECTURE.md``): world vertices (B, V, 3) in metres, right-handed, +Y up, +Z towards the
viewer. Screen space is normalised device coordinates (NDC): x in [-1, 1] from the left to the right edge of
the image, y in [-1, 1] from the bottom to the top edge (+x right, +y up; unlike pytorch3d, whose NDC +x points
left). Depth is the distance along the viewing direction in metres, smaller is closer.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["OrthographicCamera", "full_face_camera", "mouth_camera"]


@dataclass(frozen=True)
class OrthographicCamera:
    """An orthographic camera on the +Z side of the scene looking down -Z, image rows along +Y.

    Attributes:
        centre: (x, y, z) world point in metres at the centre of the image.
        half_height: half the height of the visible window in metres (the image spans
            ``centre.y ± half_height`` vertically and ``centre.x ± half_height * aspect`` horizontally).
        aspect: image width / height; must equal ``W / H`` of the raster settings used with it.
        distance: metres from ``centre`` back to the camera plane along +Z; depth = ``centre.z + distance - z``.
        znear, zfar: depth range in metres used to normalise depth when blending soft fragments
            (:func:`~facemotion.rendering.shading.softmax_rgb_blend`); the default covers a head at the centre.

    Raises:
        ValueError: when ``centre`` is not 3 finite numbers or a length is not positive / finite.
    """

    centre: tuple[float, float, float]
    half_height: float
    aspect: float = 1.0
    distance: float = 1.0
    znear: float = 0.0
    zfar: float = 2.0

    def __post_init__(self):
        centre = tuple(float(c) for c in self.centre)
        object.__setattr__(self, "centre", centre)
        values = torch.tensor([*centre, self.half_height, self.aspect, self.distance, self.znear, self.zfar])
        if len(centre) != 3 or not torch.isfinite(values).all():
            raise ValueError(f"camera values must be finite with a 3-vector centre, got {self}")
        if self.half_height <= 0 or self.aspect <= 0 or not self.zfar > self.znear:
            raise ValueError(f"half_height and aspect must be > 0 and zfar > znear, got {self}")

    def project(self, vertices: torch.Tensor) -> torch.Tensor:
        """World vertices to screen space.

        Args:
            vertices: (B, V, 3) float world positions in metres (gradients flow).

        Returns:
            (B, V, 3) of the input's dtype: NDC x, NDC y (both in [-1, 1] inside the image, +x right, +y up)
            and depth in metres along the view direction (smaller = closer to the camera).

        Raises:
            ValueError: when ``vertices`` is not a floating (B, V, 3) tensor.
        """
        if vertices.ndim != 3 or vertices.shape[-1] != 3 or not vertices.is_floating_point():
            raise ValueError(f"vertices must be a float (B, V, 3) tensor, got {tuple(vertices.shape)}")
        cx, cy, cz = self.centre
        x = (vertices[..., 0] - cx) / (self.half_height * self.aspect)
        y = (vertices[..., 1] - cy) / self.half_height
        depth = (cz + self.distance) - vertices[..., 2]
        return torch.stack([x, y, depth], dim=-1)


def _framing(points: torch.Tensor, margin: float, aspect: float, name: str) -> tuple[tuple[float, ...], float]:
    points = torch.as_tensor(points).detach().to(torch.float64)
    if points.ndim != 2 or points.shape[-1] != 3 or len(points) == 0 or not torch.isfinite(points).all():
        raise ValueError(f"{name} must be finite (N, 3) points, got {tuple(points.shape)}")
    if margin < 0 or aspect <= 0:
        raise ValueError(f"margin must be >= 0 and aspect > 0, got margin={margin}, aspect={aspect}")
    low, high = points.min(dim=0).values, points.max(dim=0).values
    centre = (low + high) / 2
    half = torch.maximum((high[1] - low[1]) / 2, (high[0] - low[0]) / 2 / aspect)
    half_height = float(half) * (1 + margin)
    if half_height <= 0:
        raise ValueError(f"{name} span no area in x/y")
    return (float(centre[0]), float(centre[1]), float(high[2])), half_height


def full_face_camera(vertices: torch.Tensor, margin: float = 0.05, aspect: float = 1.0) -> OrthographicCamera:
    """A frontal orthographic camera framing points in x/y: the whole head, or the face from its landmarks.

    The window is the x/y bounding box of ``vertices`` (centred, the larger side fitting), grown by
    ``margin`` (a fraction of the half-height); the camera plane sits 1 m in front of the frontmost point.

    Args:
        vertices: (V, 3) points in metres, e.g. ``ARKitRig.default().neutral`` (whole head and neck) or
            ``neutral[rig.landmark_vertex_ids]`` (the 68 landmarks: brows to chin).
        margin: extra window as a fraction of the half-height, >= 0.
        aspect: image width / height.

    Returns:
        An :class:`OrthographicCamera`.

    Raises:
        ValueError: when the points are not finite (V, 3) with an x/y extent, or margin < 0 / aspect <= 0.
    """
    centre, half_height = _framing(vertices, margin, aspect, "vertices")
    return OrthographicCamera(centre=centre, half_height=half_height, aspect=aspect)


def mouth_camera(lip_points: torch.Tensor, margin: float = 0.5, aspect: float = 1.0) -> OrthographicCamera:
    """A fixed frontal mouth-crop camera, the region of interest lip readers see.

    Visual speech recognisers (e.g. LRS3-trained models such as Auto-AVSR / AV-HuBERT) take a fixed
    grayscale crop centred on the mouth (96x96 then a centre 88x88 crop), wide enough for the whole mouth
    with some cheek and chin. Here the window is centred on the x/y bounding box of the lips and as wide as
    the mouth plus ``margin`` on each side; compute it once from the neutral lips so that an opening jaw
    moves inside a fixed view. With the default head's lips (50 mm wide) and margin 0.5 the window is
    76 mm square, so a fully open jaw (28 mm) stays in view.

    Args:
        lip_points: (L, 3) lip points in metres, e.g. ``neutral[rig.region("lips")]`` or the 20 Multi-PIE
            lip landmarks ``neutral[rig.landmark_vertex_ids[48:]]``.
        margin: extra window as a fraction of the half-size, >= 0.
        aspect: image width / height.

    Returns:
        An :class:`OrthographicCamera`.

    Raises:
        ValueError: when the points are not finite (L, 3) with an x/y extent, or margin < 0 / aspect <= 0.
    """
    centre, half_height = _framing(lip_points, margin, aspect, "lip_points")
    return OrthographicCamera(centre=centre, half_height=half_height, aspect=aspect)
