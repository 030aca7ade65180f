"""Rasterizer backends behind one interface, and the :class:`MeshRasterizer` that picks one.

Every backend is a function ``(projected (B, V, 3), faces (F, 3), RasterSettings) -> Fragments`` with the
buffers documented in :class:`~facemotion.rendering.rasterizer.Fragments`:

- ``"torch"``: :func:`~facemotion.rendering.rasterizer.rasterize`, vectorised PyTorch, any device and settings;
  the reference.
- ``"zbuffer"``: :func:`~facemotion.rendering.zbuffer.rasterize_zbuffer`, the same faces found by compiled
  loops on the CPU, 5-50x faster (previews, and the soft mouth crops of the lip-reading loss).
- ``"pytorch3d"``: :func:`~facemotion.rendering.pytorch3d_backend.rasterize_pytorch3d`, pytorch3d's CUDA
  rasterizer where pytorch3d is installed (GPU training machines).

``"auto"`` takes the z-buffer for CPU tensors, pytorch3d for CUDA tensors and square images when it is
importable (its CPU rasterizer is a naive loop over all faces for every pixel, slower than the z-buffer), and
torch otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from facemotion.rendering.cameras import Camera
from facemotion.rendering.pytorch3d_backend import pytorch3d_available, rasterize_pytorch3d
from facemotion.rendering.rasterizer import Fragments, RasterSettings, rasterize
from facemotion.rendering.zbuffer import rasterize_zbuffer

__all__ = ["BACKENDS", "MeshRasterizer", "choose_backend"]

BACKENDS: dict[str, Callable[[torch.Tensor, torch.Tensor, RasterSettings], Fragments]] = {
    "torch": rasterize,
    "zbuffer": rasterize_zbuffer,
    "pytorch3d": rasterize_pytorch3d,
}
"""Backend name -> rasterize function."""


def choose_backend(name: str, settings: RasterSettings, device: torch.device) -> str:
    """The backend that ``name`` means for these settings and tensors on ``device``.

    Args:
        name: ``"auto"`` or a key of :data:`BACKENDS` (returned unchanged).
        settings: the raster settings (pytorch3d takes square images only).
        device: where the vertices are.

    Returns:
        A key of :data:`BACKENDS`.

    Raises:
        ValueError: for an unknown name.
    """
    if name != "auto":
        if name not in BACKENDS:
            raise ValueError(f"backend must be 'auto' or one of {sorted(BACKENDS)}, got {name!r}")
        return name
    if device.type == "cpu":
        return "zbuffer"
    height, width = settings.image_size
    if device.type == "cuda" and height == width and pytorch3d_available():
        return "pytorch3d"
    return "torch"


class MeshRasterizer(torch.nn.Module):
    """Project with a camera, then rasterize with a backend (pytorch3d's ``MeshRasterizer``).

    Args:
        camera: an orthographic or perspective camera from :mod:`~facemotion.rendering.cameras`; its aspect
            must be W / H.
        settings: :class:`~facemotion.rendering.rasterizer.RasterSettings`.
        backend: ``"auto"`` (default) or a key of :data:`BACKENDS`; see the module docstring.

    Raises:
        ValueError: when the camera's aspect differs from the image's W / H by more than 1e-6, or the
            backend name is unknown.
    """

    def __init__(self, camera: Camera, settings: RasterSettings, backend: str = "auto"):
        super().__init__()
        height, width = settings.image_size
        if abs(camera.aspect - width / height) > 1e-6:
            raise ValueError(f"camera aspect {camera.aspect} must equal W / H = {width / height}")
        choose_backend(backend, settings, torch.device("cpu"))  # fail early on an unknown name
        self.camera = camera
        self.settings = settings
        self.backend = backend

    def forward(self, vertices: torch.Tensor, faces: torch.Tensor) -> Fragments:
        """(B, V, 3) world vertices in metres and (F, 3) int64 faces -> Fragments with (B, H, W, K) buffers.

        Raises:
            ValueError: from the camera or the backend for bad shapes, dtypes or settings.
            ImportError: the ``"pytorch3d"`` backend without pytorch3d installed.
        """
        backend = choose_backend(self.backend, self.settings, vertices.device)
        return BACKENDS[backend](self.camera.project(vertices), faces, self.settings)
