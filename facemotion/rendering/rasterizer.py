"""A z-buffer triangle rasterizer in plain torch, with pytorch3d's buffers and SoftRas's soft fragments.

The output follows pytorch3d's ``rasterize_meshes`` (``pytorch3d/renderer/mesh/rasterizer.py``): for every
pixel the ``K`` nearest faces, their barycentric coordinates, depth and signed squared distance. Faces are
found without gradients (bounding-box binning: each face is tested only against the pixels of its bounding
box, faces processed in chunks to bound memory), then barycentrics, depth and distances are recomputed with
torch ops from the selected faces' projected vertices, so gradients flow to the vertices through the hard
path as in pytorch3d. Soft mode keeps faces within a blur radius outside their edge too, for the
sigmoid-of-distance silhouette of SoftRas (Liu et al., "Soft Rasterizer", ICCV 2019).

This vectorised path is the reference of the package: the compiled z-buffer
(:mod:`~facemotion.rendering.zbuffer`) and the pytorch3d backend (:mod:`~facemotion.rendering.pytorch3d_backend`)
are tested against it, and :class:`~facemotion.rendering.backends.MeshRasterizer` chooses among them.

Pixel (row i, column j) of an (H, W) image is sampled at its centre, NDC x = -1 + (2j + 1) / W,
y = 1 - (2i + 1) / H: row 0 is the top of the image, +x right, +y up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

__all__ = [
    "Fragments",
    "RasterSettings",
    "check_mesh",
    "fragments_for_faces",
    "pixel_centres",
    "rasterize",
]

_CHUNK_CANDIDATES = 1 << 21  # (face, pixel) pairs tested at once: about 100 MB of temporaries


@dataclass(frozen=True)
class RasterSettings:
    """How to rasterize.

    Attributes:
        image_size: (H, W) pixels.
        sigma: soft silhouette sharpness, in squared NDC units: a pixel at signed squared distance ``d`` from
            a face edge is covered with probability ``sigmoid(-d / sigma)`` (SoftRas; pytorch3d BlendParams).
        gamma: depth-blending temperature of the soft path (normalised depth units, SoftRas's gamma).
        faces_per_pixel: K, the number of nearest faces kept per pixel.
        soft: False: a face covers a pixel when the pixel centre is inside it (hard z-buffer). True: faces
            whose edge is within the blur radius ``sigma * log(1 / 1e-4 - 1)`` (squared NDC; where the
            coverage probability falls below 1e-4, as pytorch3d's ``blur_radius``) are kept as well, and
            barycentrics are clipped to the face (pytorch3d ``clip_barycentric_coords``).

    Raises:
        ValueError: for a non-positive size, sigma, gamma or K.
    """

    image_size: tuple[int, int]
    sigma: float = 1e-4
    gamma: float = 1e-4
    faces_per_pixel: int = 1
    soft: bool = False

    def __post_init__(self):
        size = tuple(int(s) for s in self.image_size)
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f"image_size must be (H, W) >= 1, got {self.image_size}")
        object.__setattr__(self, "image_size", size)
        if not (self.sigma > 0 and self.gamma > 0 and self.faces_per_pixel >= 1):
            raise ValueError(f"sigma and gamma must be > 0 and faces_per_pixel >= 1, got {self}")

    @property
    def blur_radius(self) -> float:
        """Squared NDC distance outside a face still kept in soft mode (0 in hard mode)."""
        return self.sigma * math.log(1.0 / 1e-4 - 1.0) if self.soft else 0.0


@dataclass(frozen=True)
class Fragments:
    """What the rasterizer found for every pixel, nearest face first (pytorch3d's ``Fragments``).

    Attributes:
        pix_to_face: (B, H, W, K) int64 index into the ``faces`` given to :func:`rasterize` (the same for
            every batch item; not packed like pytorch3d), -1 where fewer than k+1 faces cover the pixel.
        bary_coords: (B, H, W, K, 3) float barycentric coordinates of the pixel centre in the face (sum 1;
            clipped to [0, 1] and renormalised in soft mode), -1 for background; differentiable w.r.t.
            the projected vertices.
        zbuf: (B, H, W, K) float depth in metres (camera units) at the pixel, -1 for background.
        dists: (B, H, W, K) float signed squared distance in NDC from the pixel centre to the face's
            boundary, negative inside, positive outside (only in soft mode), -1 for background.
    """

    pix_to_face: torch.Tensor
    bary_coords: torch.Tensor
    zbuf: torch.Tensor
    dists: torch.Tensor


def pixel_centres(image_size: tuple[int, int], device=None, dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """NDC x of the W columns and y of the H rows of pixel centres: ((W,), (H,)), y decreasing downwards."""
    height, width = image_size
    xs = -1 + (2 * torch.arange(width, device=device, dtype=dtype) + 1) / width
    ys = 1 - (2 * torch.arange(height, device=device, dtype=dtype) + 1) / height
    return xs, ys


def _edge(ax, ay, bx, by, px, py):
    """Twice the signed area of triangle (a, b, p): > 0 when p is left of a -> b."""
    return (bx - ax) * (py - ay) - (by - ay) * (px - ax)


def _barycentric(tri: torch.Tensor, px: torch.Tensor, py: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Barycentrics (N, 3) of points (N,) in triangles (N, 3, 3) and twice their signed areas (N,)."""
    x0, y0, x1, y1, x2, y2 = (tri[:, i, j] for i in range(3) for j in range(2))
    area = _edge(x0, y0, x1, y1, x2, y2)
    safe = torch.where(area == 0, torch.ones_like(area), area)
    w0 = _edge(x1, y1, x2, y2, px, py) / safe
    w1 = _edge(x2, y2, x0, y0, px, py) / safe
    w2 = _edge(x0, y0, x1, y1, px, py) / safe
    return torch.stack([w0, w1, w2], dim=-1), area


def _squared_edge_distance(tri: torch.Tensor, px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    """Squared distance (N,) from points (N,) to the boundary of triangles (N, 3, 3), in x/y."""
    best = None
    for i in range(3):
        a, b = tri[:, i, :2], tri[:, (i + 1) % 3, :2]
        ab = b - a
        ap = torch.stack([px, py], dim=-1) - a
        length2 = (ab * ab).sum(-1)
        t = ((ap * ab).sum(-1) / length2.clamp_min(1e-20)).clamp(0, 1)
        d = ap - t[:, None] * ab
        d2 = (d * d).sum(-1)
        best = d2 if best is None else torch.minimum(best, d2)
    return best


def _clip_barycentric(bary: torch.Tensor) -> torch.Tensor:
    clipped = bary.clamp_min(0)
    return clipped / clipped.sum(-1, keepdim=True).clamp_min(1e-12)


def _face_pixel_boxes(tris: torch.Tensor, settings: RasterSettings) -> torch.Tensor:
    """The pixels each face may cover: its screen bounding box grown by the blur radius, clipped to the image.

    Args:
        tris: (..., F, 3, 3) float face corners in NDC x, NDC y and depth.
        settings: gives the image size and the blur radius.

    Returns:
        (..., F, 4) int64 ``(first column, last column, first row, last row)``, inclusive; an empty box
        (last < first) for a face off the image, with a non-finite corner, or with a zero or overflowing
        (non-finite) screen area.
    """
    height, width = settings.image_size
    blur = math.sqrt(settings.blur_radius)
    xs, ys = tris[..., 0], tris[..., 1]
    # NDC -> continuous column / row coordinates, the pixel j centre at j + 0.5
    cols = (xs + 1) * width / 2 - 0.5
    rows = (1 - ys) * height / 2 - 0.5
    pad_c, pad_r = blur * width / 2, blur * height / 2
    c0 = torch.ceil(cols.min(-1).values - pad_c).clamp(0, width).long()
    c1 = torch.floor(cols.max(-1).values + pad_c).clamp(-1, width - 1).long()
    r0 = torch.ceil(rows.min(-1).values - pad_r).clamp(0, height).long()
    r1 = torch.floor(rows.max(-1).values + pad_r).clamp(-1, height - 1).long()
    area = _edge(xs[..., 0], ys[..., 0], xs[..., 1], ys[..., 1], xs[..., 2], ys[..., 2])
    drawable = torch.isfinite(tris).all(-1).all(-1) & (area != 0) & torch.isfinite(area)
    empty = torch.tensor([0, -1, 0, -1], device=tris.device)
    return torch.where(drawable[..., None], torch.stack([c0, c1, r0, r1], dim=-1), empty)


def _candidates(tris: torch.Tensor, settings: RasterSettings):
    """(face, pixel, depth) of every face-pixel pair that passes the coverage test, without gradients."""
    height, width = settings.image_size
    c0, c1, r0, r1 = _face_pixel_boxes(tris, settings).unbind(-1)
    w = (c1 - c0 + 1).clamp_min(0)
    h = (r1 - r0 + 1).clamp_min(0)
    counts = w * h
    faces = torch.nonzero(counts > 0).squeeze(-1)
    counts = counts[faces]
    out_face, out_pixel, out_depth = [], [], []
    start = 0
    ends = torch.cumsum(counts, 0)
    while start < len(faces):
        # a chunk of faces with about _CHUNK_CANDIDATES pairs in all (at least one face)
        done = int(ends[start - 1]) if start > 0 else 0
        stop = int(torch.searchsorted(ends, done + _CHUNK_CANDIDATES, right=True))
        stop = max(stop, start + 1)
        chunk, n = faces[start:stop], counts[start:stop]
        offsets = torch.cumsum(n, 0) - n
        local = torch.arange(int(n.sum()), device=tris.device) - torch.repeat_interleave(offsets, n)
        face = torch.repeat_interleave(chunk, n)
        fw = w[face]
        col = c0[face] + local % fw
        row = r0[face] + torch.div(local, fw, rounding_mode="floor")
        px = -1 + (2 * col.to(tris.dtype) + 1) / width
        py = 1 - (2 * row.to(tris.dtype) + 1) / height
        tri = tris[face]
        bary, _ = _barycentric(tri, px, py)
        inside = (bary >= 0).all(-1)
        if settings.soft:
            keep = inside | (_squared_edge_distance(tri, px, py) <= settings.blur_radius)
            bary = _clip_barycentric(bary)
        else:
            keep = inside
        depth = (bary * tri[..., 2]).sum(-1)
        out_face.append(face[keep])
        out_pixel.append((row * width + col)[keep])
        out_depth.append(depth[keep])
        start = stop
    if not out_face:
        empty = torch.zeros(0, dtype=torch.long, device=tris.device)
        return empty, empty, torch.zeros(0, dtype=tris.dtype, device=tris.device)
    return torch.cat(out_face), torch.cat(out_pixel), torch.cat(out_depth)


def _nearest_k(face, pixel, depth, n_pixels: int, k: int) -> torch.Tensor:
    """(n_pixels, k) int64 faces: the k nearest candidates of each pixel (ties: lower face id), -1 if fewer."""
    result = torch.full((n_pixels, k), -1, dtype=torch.long, device=face.device)
    if len(face) == 0:
        return result
    order = torch.argsort(face, stable=True)
    order = order[torch.argsort(depth[order], stable=True)]
    order = order[torch.argsort(pixel[order], stable=True)]
    pixel, face = pixel[order], face[order]
    _, counts = torch.unique_consecutive(pixel, return_counts=True)
    first = torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts)
    rank = torch.arange(len(pixel), device=pixel.device) - first
    keep = rank < k
    result[pixel[keep], rank[keep]] = face[keep]
    return result


def rasterize(projected: torch.Tensor, faces: torch.Tensor, settings: RasterSettings) -> Fragments:
    """Rasterize triangles given in screen space (the vectorised reference backend, any device).

    Args:
        projected: (B, V, 3) float vertices in NDC x, NDC y and depth (e.g. a camera's ``project``);
            gradients flow to them through barycentrics, depth and distances. Faces with a non-finite vertex
            or a zero or non-finite screen area are skipped; both windings are drawn (no back-face culling).
        faces: (F, 3) int64 vertex ids, shared by the batch.
        settings: :class:`RasterSettings`.

    Returns:
        :class:`Fragments` with (B, H, W, K) buffers. Memory is bounded by chunks of 2M face-pixel pairs plus
        the covered pairs (about H * W * depth complexity); for times see ``benchmarks/render_speed.py``.

    Raises:
        ValueError: when the shapes or dtypes are not as above or a face id is out of range.
    """
    check_mesh(projected, faces)
    height, width = settings.image_size
    with torch.no_grad():
        pix_to_face = torch.stack([
            _nearest_k(*_candidates(tris, settings), height * width, settings.faces_per_pixel)
            for tris in projected.detach()[:, faces]
        ]).view(len(projected), height, width, settings.faces_per_pixel)
    return fragments_for_faces(projected, faces, pix_to_face, settings)


def check_mesh(projected: torch.Tensor, faces: torch.Tensor) -> None:
    """Raise ValueError unless ``projected`` is float (B, V, 3) and ``faces`` int64 (F, 3) ids into V."""
    if projected.ndim != 3 or projected.shape[-1] != 3 or not projected.is_floating_point():
        raise ValueError(f"projected must be a float (B, V, 3) tensor, got {tuple(projected.shape)}")
    if faces.ndim != 2 or faces.shape[-1] != 3 or faces.dtype != torch.long:
        raise ValueError(f"faces must be an int64 (F, 3) tensor, got {tuple(faces.shape)} {faces.dtype}")
    if len(faces) and (int(faces.min()) < 0 or int(faces.max()) >= projected.shape[1]):
        raise ValueError(f"face ids must lie in [0, {projected.shape[1]})")


def fragments_for_faces(
    projected: torch.Tensor, faces: torch.Tensor, pix_to_face: torch.Tensor, settings: RasterSettings
) -> Fragments:
    """The differentiable buffers of faces already chosen per pixel: barycentrics, depth and distances.

    Any face search (this module's, the compiled z-buffer's) ends here, so every backend that only picks
    faces gives the same buffers and the same gradients as :func:`rasterize`.

    Args:
        projected: (B, V, 3) float screen-space vertices (NDC x, NDC y, depth); gradients flow to them.
        faces: (F, 3) int64.
        pix_to_face: (B, H, W, K) int64 face per pixel and rank, -1 for none (H, W, K as in ``settings``).
        settings: :class:`RasterSettings` (``soft`` decides clipping and distances).

    Returns:
        :class:`Fragments` holding ``pix_to_face`` and the buffers computed from it.
    """
    batch, height, width, k = pix_to_face.shape
    valid = pix_to_face >= 0
    b_idx = torch.arange(batch, device=projected.device).view(batch, 1, 1, 1).expand_as(pix_to_face)[valid]
    pix = torch.arange(height * width, device=projected.device).view(1, height, width, 1).expand_as(pix_to_face)[valid]
    xs, ys = pixel_centres(settings.image_size, projected.device, projected.dtype)
    px, py = xs[pix % width], ys[torch.div(pix, width, rounding_mode="floor")]
    tri = projected[b_idx[:, None], faces[pix_to_face[valid]]]  # (N, 3, 3)
    bary, _ = _barycentric(tri, px, py)
    if settings.soft:
        inside = (bary >= 0).all(-1)
        d2 = _squared_edge_distance(tri, px, py)
        dist = torch.where(inside, -d2, d2)
        bary = _clip_barycentric(bary)
    else:
        dist = torch.zeros_like(px)
    depth = (bary * tri[..., 2]).sum(-1)
    shape = (batch, height, width, k)
    bary_buffer = projected.new_full((*shape, 3), -1.0).masked_scatter(valid[..., None].expand(*shape, 3), bary)
    zbuf = projected.new_full(shape, -1.0).masked_scatter(valid, depth)
    dists = projected.new_full(shape, -1.0).masked_scatter(valid, dist)
    return Fragments(pix_to_face=pix_to_face, bary_coords=bary_buffer, zbuf=zbuf, dists=dists)
