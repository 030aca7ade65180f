"""Cameras of the built-in renderer: where a mesh lands on the image and how far it is from the viewer.

Conventions (``ARCHITECTURE.md``): world vertices (B, V, 3) in metres, right-handed, +Y up, +Z towards the
viewer. Screen space is normalised device coordinates (NDC): x in [-1, 1] from the left to the right edge of
the image, y in [-1, 1] from the bottom to the top edge (+x right, +y up; unlike pytorch3d, whose NDC +x points
left). Depth is the distance along the viewing direction in metres, smaller is closer.

Every camera has ``project(vertices) -> (B, V, 3)`` (NDC x, NDC y, depth), ``aspect`` (W / H) and the depth
range ``znear`` / ``zfar`` used by soft blending. The rasterizer interpolates depth and barycentrics linearly
in screen space (pytorch3d's ``perspective_correct=False``): exact for the orthographic camera; for the
perspective one, a face spanning ``dz`` in depth at distance ``z`` gets depths off by at most ``dz^2 / (4 z)``
and barycentrics by a fraction ``dz / (4 z)`` (a micrometre and 0.06 % for 2 mm faces of the default head
seen from 0.8 m).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

__all__ = ["Camera", "OrthographicCamera", "PerspectiveCamera", "full_face_camera", "mouth_camera"]


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
        _check_vertices(vertices)
        cx, cy, cz = self.centre
        x = (vertices[..., 0] - cx) / (self.half_height * self.aspect)
        y = (vertices[..., 1] - cy) / self.half_height
        depth = (cz + self.distance) - vertices[..., 2]
        return torch.stack([x, y, depth], dim=-1)


@dataclass(frozen=True)
class PerspectiveCamera:
    """A pinhole camera at ``eye`` looking at ``target``, with a vertical field of view (OpenGL's ``gluLookAt``
    and ``gluPerspective``, without the depth remapping).

    The view frame: forward ``f = normalize(target - eye)``, right ``r = normalize(f x up)``, image up
    ``u = r x f``. A point p at ``d = (p - eye) . f`` metres in front of the camera lands at NDC
    ``x = ((p - eye) . r) / (d tan(fov / 2) aspect)``, ``y = ((p - eye) . u) / (d tan(fov / 2))``.

    Attributes:
        eye: (x, y, z) camera position in metres.
        target: (x, y, z) world point at the centre of the image.
        fov_degrees: vertical field of view in degrees, in (0, 180).
        up: world direction that appears upwards in the image (not parallel to the view direction).
        aspect: image width / height; must equal ``W / H`` of the raster settings used with it.
        znear, zfar: depth range in metres for soft blending; points at depth <= ``znear`` are not drawn.

    Raises:
        ValueError: when a vector is not 3 finite numbers, eye equals target, up is parallel to the view,
            the field of view is outside (0, 180), aspect <= 0, or not 0 <= znear < zfar.
    """

    eye: tuple[float, float, float]
    target: tuple[float, float, float]
    fov_degrees: float
    up: tuple[float, float, float] = (0.0, 1.0, 0.0)
    aspect: float = 1.0
    znear: float = 0.01
    zfar: float = 10.0

    def __post_init__(self):
        vectors = {name: tuple(float(c) for c in getattr(self, name)) for name in ("eye", "target", "up")}
        for name, vector in vectors.items():
            if len(vector) != 3 or not all(math.isfinite(c) for c in vector):
                raise ValueError(f"{name} must be 3 finite numbers, got {getattr(self, name)}")
            object.__setattr__(self, name, vector)
        if not (0 < self.fov_degrees < 180 and self.aspect > 0 and 0 <= self.znear < self.zfar):
            raise ValueError(f"need 0 < fov_degrees < 180, aspect > 0 and 0 <= znear < zfar, got {self}")
        self.view_axes()

    def view_axes(self) -> torch.Tensor:
        """(3, 3) float64 rows: the right, image-up and forward unit vectors in world coordinates.

        Raises:
            ValueError: when eye equals target or up is parallel to the view direction.
        """
        eye, target, up = (torch.tensor(v, dtype=torch.float64) for v in (self.eye, self.target, self.up))
        forward = target - eye
        right = torch.linalg.cross(forward, up)
        if forward.norm() == 0 or right.norm() <= 1e-9 * forward.norm() * up.norm():
            raise ValueError(f"eye and target must differ and up must not be parallel to the view, got {self}")
        forward, right = forward / forward.norm(), right / right.norm()
        return torch.stack([right, torch.linalg.cross(right, forward), forward])

    def project(self, vertices: torch.Tensor) -> torch.Tensor:
        """World vertices to screen space.

        Args:
            vertices: (B, V, 3) float world positions in metres (gradients flow).

        Returns:
            (B, V, 3) of the input's dtype: NDC x, NDC y (+x right, +y up, [-1, 1] inside the image) and depth
            in metres along the view direction; x and y are NaN for points at depth <= ``znear``, so the
            rasterizer skips their faces.

        Raises:
            ValueError: when ``vertices`` is not a floating (B, V, 3) tensor.
        """
        _check_vertices(vertices)
        axes = self.view_axes().to(vertices)
        camera = (vertices - vertices.new_tensor(self.eye)) @ axes.T  # (B, V, 3): right, up, forward
        depth = camera[..., 2]
        visible = depth > self.znear
        scale = math.tan(math.radians(self.fov_degrees) / 2) * torch.where(visible, depth, torch.ones_like(depth))
        x = camera[..., 0] / (scale * self.aspect)
        y = camera[..., 1] / scale
        nan = torch.full_like(x, math.nan)
        return torch.stack([torch.where(visible, x, nan), torch.where(visible, y, nan), depth], dim=-1)


Camera = OrthographicCamera | PerspectiveCamera
"""Any camera of this module (both have ``project``, ``aspect``, ``znear`` and ``zfar``)."""


def _check_vertices(vertices: torch.Tensor) -> None:
    if vertices.ndim != 3 or vertices.shape[-1] != 3 or not vertices.is_floating_point():
        raise ValueError(f"vertices must be a float (B, V, 3) tensor, got {tuple(vertices.shape)}")


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


def full_face_camera(
    vertices: torch.Tensor, margin: float = 0.05, aspect: float = 1.0, fov_degrees: float | None = None
) -> Camera:
    """A frontal camera framing points in x/y: the whole head, or the face from its landmarks.

    The window is the x/y bounding box of ``vertices`` (centred, the larger side fitting), grown by
    ``margin`` (a fraction of the half-height). Orthographic by default, the camera plane 1 m in front of the
    frontmost point. With ``fov_degrees``, a :class:`PerspectiveCamera` on the +Z axis through the box centre,
    looking down -Z, as far in front of the frontmost point as makes the window fill the field of view there
    (a 25 degree lens puts the default head 0.8 m away); its depth range is 1 m past that distance.

    Args:
        vertices: (V, 3) points in metres, e.g. ``ARKitRig.default().neutral`` (whole head and neck) or
            ``neutral[rig.landmark_vertex_ids]`` (the 68 landmarks: brows to chin).
        margin: extra window as a fraction of the half-height, >= 0.
        aspect: image width / height.
        fov_degrees: None for an orthographic camera, else the vertical field of view in (0, 180) degrees.

    Returns:
        An :class:`OrthographicCamera`, or a :class:`PerspectiveCamera` with ``fov_degrees``.

    Raises:
        ValueError: when the points are not finite (V, 3) with an x/y extent, margin < 0 / aspect <= 0, or the
            field of view is outside (0, 180).
    """
    centre, half_height = _framing(vertices, margin, aspect, "vertices")
    if fov_degrees is None:
        return OrthographicCamera(centre=centre, half_height=half_height, aspect=aspect)
    if not 0 < fov_degrees < 180:
        raise ValueError(f"fov_degrees must lie in (0, 180), got {fov_degrees}")
    distance = half_height / math.tan(math.radians(fov_degrees) / 2)
    x, y, front = centre
    return PerspectiveCamera(eye=(x, y, front + distance), target=(x, y, front), fov_degrees=fov_degrees,
                             aspect=aspect, zfar=distance + 1.0)


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
