"""Shading of rasterized fragments: smooth normals, a Lambert headlight, and SoftRas's soft blending.

The shader turns :class:`~facemotion.rendering.rasterizer.Fragments` into an image (B, H, W, C) in [0, 1].
The lighting is deliberately simple, enough to make the lip shape and the mouth opening visible: ambient
plus Lambert diffuse from one directional light placed at the camera (shining down -Z), on normals
interpolated from smooth (area-weighted) vertex normals. Hard mode takes the nearest face of each pixel;
soft mode blends the K nearest faces with pytorch3d's ``softmax_rgb_blend`` (SoftRas: Liu et al., "Soft
Rasterizer", ICCV 2019), so that the image is differentiable w.r.t. the vertices at silhouette edges too.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from facemotion.rendering.cameras import Camera
from facemotion.rendering.rasterizer import Fragments, RasterSettings

__all__ = ["LambertShader", "ShadingSettings", "interpolate_face_attributes", "softmax_rgb_blend", "vertex_normals"]


def vertex_normals(vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """Smooth unit vertex normals: the sum of the (area-weighted) normals of the faces around each vertex.

    Args:
        vertices: (B, V, 3) float in metres (differentiable).
        faces: (F, 3) int64, counter-clockwise seen from the outside (the normal points out).

    Returns:
        (B, V, 3) unit normals; a vertex on no face (or on degenerate faces only) gets (0, 0, 0).
    """
    batch, n_vertices, _ = vertices.shape
    tri = vertices.index_select(1, faces.reshape(-1)).view(batch, -1, 3, 3)  # (B, F, 3 corners, 3)
    face_normals = torch.linalg.cross(tri[:, :, 1] - tri[:, :, 0], tri[:, :, 2] - tri[:, :, 0])  # (B, F, 3)
    per_face = face_normals.transpose(0, 1)  # (F, B, 3): summed along dim 0, the fast layout for index_add
    normals = vertices.new_zeros(n_vertices, batch, 3)
    for corner in range(3):
        normals = normals.index_add(0, faces[:, corner], per_face)
    return torch.nn.functional.normalize(normals.transpose(0, 1), dim=-1, eps=1e-12).contiguous()


def interpolate_face_attributes(fragments: Fragments, faces: torch.Tensor, attributes: torch.Tensor) -> torch.Tensor:
    """Barycentric interpolation of per-vertex attributes (pytorch3d's ``interpolate_face_attributes``).

    Args:
        fragments: from the rasterizer, (B, H, W, K) buffers.
        faces: (F, 3) int64, the faces that were rasterized.
        attributes: (B, V, D) float per-vertex values.

    Returns:
        (B, H, W, K, D), zero where ``pix_to_face`` is -1.
    """
    pix = fragments.pix_to_face
    batch = pix.shape[0]
    ids = faces[pix.clamp_min(0)]  # (B, H, W, K, 3)
    b = torch.arange(batch, device=pix.device).view(batch, 1, 1, 1, 1)
    values = attributes[b, ids]  # (B, H, W, K, 3, D)
    out = (fragments.bary_coords[..., None] * values).sum(-2)
    return out * (pix >= 0)[..., None]


def softmax_rgb_blend(
    colours: torch.Tensor,
    fragments: Fragments,
    background: torch.Tensor,
    sigma: float,
    gamma: float,
    znear: float,
    zfar: float,
) -> torch.Tensor:
    """Blend K fragment colours per pixel as SoftRas / pytorch3d's ``softmax_rgb_blend``.

    Each fragment covers the pixel with probability ``p = sigmoid(-dists / sigma)`` and weighs
    ``p * exp((z_inv - z_inv_max) / gamma)`` with ``z_inv = (zfar - z) / (zfar - znear)``; the background
    weighs ``exp((eps - z_inv_max) / gamma)``, eps = 1e-10.

    Args:
        colours: (B, H, W, K, C) fragment colours in [0, 1].
        fragments: soft fragments (``dists`` signed squared NDC distance, ``zbuf`` depth in metres).
        background: (C,) colour in [0, 1].
        sigma, gamma: see :class:`~facemotion.rendering.rasterizer.RasterSettings`.
        znear, zfar: depth range in metres for normalising depth.

    Returns:
        (B, H, W, C) in [0, 1].
    """
    eps = 1e-10
    mask = (fragments.pix_to_face >= 0).to(colours.dtype)
    prob = torch.sigmoid(-fragments.dists / sigma) * mask
    z_inv = (zfar - fragments.zbuf) / (zfar - znear) * mask
    z_inv_max = z_inv.max(dim=-1, keepdim=True).values.clamp_min(eps)
    weights = prob * torch.exp((z_inv - z_inv_max) / gamma)
    delta = torch.exp((eps - z_inv_max) / gamma).clamp_min(eps)
    denominator = weights.sum(dim=-1, keepdim=True) + delta
    numerator = (weights[..., None] * colours).sum(dim=-2) + delta * background
    return numerator / denominator


@dataclass(frozen=True)
class ShadingSettings:
    """Lighting and output of :class:`LambertShader`.

    Attributes:
        albedo: surface grey level in [0, 1].
        ambient: ambient light in [0, 1].
        diffuse: strength of the Lambert light from the camera (direction +Z towards the viewer).
        background: background grey level in [0, 1] (or (C,) colour).
        channels: 3 for RGB, 1 for grayscale (e.g. lip-reading crops).
        two_sided: light back faces with their flipped normal (|n . l|), so inside surfaces are not black.

    Raises:
        ValueError: for values outside [0, 1] or channels not 1 or 3.
    """

    albedo: float = 0.8
    ambient: float = 0.15
    diffuse: float = 0.85
    background: float | tuple[float, ...] = 0.0
    channels: int = 3
    two_sided: bool = False

    def __post_init__(self):
        background = self.background if isinstance(self.background, tuple) else (float(self.background),)
        if self.channels not in (1, 3) or len(background) not in (1, self.channels):
            raise ValueError(f"channels must be 1 or 3 and background 1 or {self.channels} values, got {self}")
        if not all(0 <= x <= 1 for x in (self.albedo, self.ambient, self.diffuse, *background)):
            raise ValueError(f"albedo, ambient, diffuse and background must lie in [0, 1], got {self}")


class LambertShader(torch.nn.Module):
    """Smooth-normal Lambert shading with a headlight, hard or soft blended (pytorch3d's shader role).

    Args:
        settings: :class:`ShadingSettings`.
    """

    def __init__(self, settings: ShadingSettings = ShadingSettings()):
        super().__init__()
        self.settings = settings

    def forward(
        self,
        fragments: Fragments,
        vertices: torch.Tensor,
        faces: torch.Tensor,
        raster_settings: RasterSettings,
        camera: Camera,
    ) -> torch.Tensor:
        """Shade fragments.

        Args:
            fragments: from :class:`~facemotion.rendering.backends.MeshRasterizer` with these vertices.
            vertices: (B, V, 3) world vertices in metres (normals are computed from them, differentiably).
            faces: (F, 3) int64.
            raster_settings: gives ``soft``, ``sigma`` and ``gamma``.
            camera: gives ``znear`` / ``zfar`` for soft blending. The light shines down the world's -Z axis, the
                view direction of the camera presets.

        Returns:
            (B, H, W, C) float image in [0, 1], C = ``settings.channels``.
        """
        s = self.settings
        normals = vertex_normals(vertices, faces)
        background = torch.as_tensor(s.background, dtype=vertices.dtype, device=vertices.device).expand(s.channels)
        if raster_settings.soft:
            shade = self._lambert(interpolate_face_attributes(fragments, faces, normals))  # (B, H, W, K)
            colours = shade[..., None].expand(*shade.shape, s.channels)
            return softmax_rgb_blend(colours, fragments, background, raster_settings.sigma,
                                     raster_settings.gamma, camera.znear, camera.zfar)
        # hard: the nearest face only, shaded on the covered pixels alone (flat ids over batch, rows, columns)
        batch, height, width, _ = fragments.pix_to_face.shape
        nearest = fragments.pix_to_face[..., 0].reshape(-1)
        covered = nearest >= 0
        pixels = covered.nonzero().squeeze(1)
        first_vertex = torch.div(pixels, height * width, rounding_mode="floor") * vertices.shape[1]
        corner_ids = (faces[nearest[pixels]] + first_vertex[:, None]).reshape(-1)
        corners = normals.reshape(-1, 3).index_select(0, corner_ids).view(-1, 3, 3)  # (N, 3 corners, 3)
        bary = fragments.bary_coords[..., 0, :].reshape(-1, 3).index_select(0, pixels)
        shade = self._lambert(torch.einsum("nk,nkd->nd", bary, corners))
        shade = shade.new_zeros(len(nearest)).index_copy(0, pixels, shade)
        return torch.where(covered[:, None], shade[:, None], background).view(batch, height, width, s.channels)

    def _lambert(self, normals: torch.Tensor) -> torch.Tensor:
        """(..., 3) interpolated normals -> (...,) grey level of the headlit surface in [0, 1]."""
        s = self.settings
        cosine = torch.nn.functional.normalize(normals, dim=-1, eps=1e-12)[..., 2]  # light (0, 0, 1)
        cosine = cosine.abs() if s.two_sided else cosine.clamp_min(0)
        return (s.albedo * (s.ambient + s.diffuse * cosine)).clamp(0, 1)
