"""pytorch3d's mesh rasterizer behind the built-in interface, for GPU training machines where it is installed.

pytorch3d is imported only when this backend rasterizes (it cannot be installed on the CPU test machines;
:func:`pytorch3d_available` says whether it can be used). The conversion between the two conventions:

- Our NDC has +x pointing right and +y up; pytorch3d's NDC has +x pointing **left** and +y up, and its
  pixel (0, 0) is the top-left corner like ours (``pytorch3d/renderer/mesh/rasterize_meshes.py``: column j
  is sampled at x = 1 - (2j + 1) / W, which is minus our x). So the projected vertices are mirrored
  (x -> -x) before rasterizing; the images then come back unmirrored, column for column. The mirror keeps
  barycentric coordinates, depth and distances, and flips the winding of every face, which only matters for
  back-face culling (not used).
- pytorch3d's ``pix_to_face`` indexes the faces packed over the batch (face f of mesh b is ``b * F + f``);
  it is converted back to ``f``.
- Images must be square: for H != W pytorch3d stretches the longer side's NDC range beyond [-1, 1] and
  measures distances in its own units, while ours always spans [-1, 1] on both sides.
- Hard mode: pytorch3d measures ``dists`` everywhere; they are set to 0 on covered pixels as in
  :func:`~facemotion.rendering.rasterizer.rasterize`. Depth and barycentrics are interpolated linearly in
  screen space (``perspective_correct=False``), barycentrics clipped in soft mode (``clip_barycentric_coords``).
"""

from __future__ import annotations

import functools

import torch

from facemotion.rendering.rasterizer import Fragments, RasterSettings, check_mesh

__all__ = ["pytorch3d_available", "rasterize_pytorch3d"]


@functools.cache
def pytorch3d_available() -> bool:
    """True when ``import pytorch3d.renderer`` works (checked once per process)."""
    try:
        import pytorch3d.renderer  # noqa: F401
    except ImportError:
        return False
    return True


def rasterize_pytorch3d(projected: torch.Tensor, faces: torch.Tensor, settings: RasterSettings) -> Fragments:
    """Rasterize with pytorch3d's ``rasterize_meshes``, giving :func:`~facemotion.rendering.rasterizer.rasterize`'s
    buffers (see the module docstring for the conventions converted).

    Args:
        projected: (B, V, 3) float vertices in our NDC x, NDC y and depth (gradients flow, as in pytorch3d).
        faces: (F, 3) int64 vertex ids, shared by the batch.
        settings: :class:`~facemotion.rendering.rasterizer.RasterSettings` of a square image.

    Returns:
        :class:`~facemotion.rendering.rasterizer.Fragments` with (B, H, W, K) buffers.

    Raises:
        ValueError: for an image that is not square, or the shape errors of ``rasterize``.
        ImportError: pytorch3d is not installed.
    """
    check_mesh(projected, faces)
    height, width = settings.image_size
    if height != width:
        raise ValueError(f"the pytorch3d backend renders square images, got {settings.image_size}")
    from pytorch3d.renderer.mesh.rasterize_meshes import rasterize_meshes
    from pytorch3d.structures import Meshes

    batch = len(projected)
    mirrored = projected * projected.new_tensor([-1.0, 1.0, 1.0])
    meshes = Meshes(verts=mirrored, faces=faces.to(projected.device).expand(batch, -1, -1))
    pix_to_face, zbuf, bary, dists = rasterize_meshes(
        meshes,
        image_size=settings.image_size,
        blur_radius=settings.blur_radius,
        faces_per_pixel=settings.faces_per_pixel,
        perspective_correct=False,
        clip_barycentric_coords=settings.soft,
        cull_backfaces=False,
    )
    covered = pix_to_face >= 0
    first_face = torch.arange(batch, device=pix_to_face.device).view(batch, 1, 1, 1) * len(faces)
    pix_to_face = torch.where(covered, pix_to_face - first_face, pix_to_face)
    if not settings.soft:
        dists = torch.where(covered, torch.zeros_like(dists), dists)
    return Fragments(pix_to_face=pix_to_face, bary_coords=bary, zbuf=zbuf, dists=dists)
