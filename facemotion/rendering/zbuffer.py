"""A compiled z-buffer: the K nearest faces of every pixel, found by loops compiled with numba.

The vectorised torch search of :func:`~facemotion.rendering.rasterizer.rasterize` materialises every
face-pixel pair and sorts them (about 0.2 s per 512x512 frame of the default head on one CPU core, 0.2 s per
88x88 soft mouth crop). This backend visits each face's pixel box in a loop compiled by numba (installed with
librosa) and keeps, per pixel, the K nearest faces by (depth, face id), with the reference's arithmetic in the
input's dtype: the same pixel boxes (``rasterizer._face_pixel_boxes``), edge functions at the pixel centres of
:func:`~facemotion.rendering.rasterizer.pixel_centres`, blur test on the squared distance to the face's
boundary, clipped barycentrics of soft mode and depth sum. So it finds the reference's ``pix_to_face`` except
where two faces' depths tie to the last bit. The buffers are then recomputed from the chosen faces by
:func:`~facemotion.rendering.rasterizer.fragments_for_faces`, exactly as the reference does, so gradients are
the reference's too; for hard fragments with one face per pixel (previews) without gradients, the loop's own
barycentrics and depths are returned instead, which saves that step. Frames of a batch are rasterized in
parallel threads (``torch.get_num_threads()`` of them; the loops release the GIL).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
import torch

from facemotion.rendering.rasterizer import (
    Fragments,
    RasterSettings,
    check_mesh,
    fragments_for_faces,
    pixel_centres,
)

__all__ = ["rasterize_zbuffer"]

# The compiled functions below take their constants from an array in the vertices' dtype, so that every
# operation stays in that dtype as in torch (numba would promote a float32 combined with a Python float to
# float64): 0, 1, 2, 0.5, W, H, the box padding in columns and rows, the blur radius, and the floors 1e-20 and
# 1e-12 of _squared_edge_distance and _clip_barycentric.
_ZERO, _ONE, _TWO, _HALF, _WIDTH, _HEIGHT, _PAD_COLS, _PAD_ROWS, _BLUR, _MIN_LENGTH2, _MIN_SUM = range(11)


def _constants(settings: RasterSettings, dtype: np.dtype) -> np.ndarray:
    height, width = settings.image_size
    blur = math.sqrt(settings.blur_radius)
    values = [0, 1, 2, 0.5, width, height, blur * width / 2, blur * height / 2, settings.blur_radius, 1e-20, 1e-12]
    return np.array(values, dtype)


@numba.njit(cache=True, nogil=True)
def _corners(vertices, faces, f):  # pragma: no cover - compiled
    a, b, c = faces[f, 0], faces[f, 1], faces[f, 2]
    return (vertices[a, 0], vertices[a, 1], vertices[a, 2], vertices[b, 0], vertices[b, 1], vertices[b, 2],
            vertices[c, 0], vertices[c, 1], vertices[c, 2])


@numba.njit(cache=True, nogil=True)
def _drawable(area, corners):  # pragma: no cover - compiled
    """_face_pixel_boxes' test: finite corners and a non-zero, finite screen area."""
    for value in corners:
        if not np.isfinite(value):
            return False
    return area != 0 and np.isfinite(area)


@numba.njit(cache=True, nogil=True)
def _pixel_box(x0, y0, x1, y1, x2, y2, constants):  # pragma: no cover - compiled
    """_face_pixel_boxes of one face: (first column, last column, first row, last row), inclusive."""
    one, two, half = constants[_ONE], constants[_TWO], constants[_HALF]
    width, height = constants[_WIDTH], constants[_HEIGHT]
    # NDC -> column / row coordinates, pixel j's centre at j + 0.5
    u0, u1, u2 = (x0 + one) * width / two - half, (x1 + one) * width / two - half, (x2 + one) * width / two - half
    v0, v1, v2 = (one - y0) * height / two - half, (one - y1) * height / two - half, (one - y2) * height / two - half
    c0 = int(min(max(np.ceil(min(u0, u1, u2) - constants[_PAD_COLS]), 0), width))
    c1 = int(max(min(np.floor(max(u0, u1, u2) + constants[_PAD_COLS]), width - one), -1))
    r0 = int(min(max(np.ceil(min(v0, v1, v2) - constants[_PAD_ROWS]), 0), height))
    r1 = int(max(min(np.floor(max(v0, v1, v2) + constants[_PAD_ROWS]), height - one), -1))
    return c0, c1, r0, r1


@numba.njit(cache=True, nogil=True)
def _edges(x0, y0, x1, y1, x2, y2, px, py):  # pragma: no cover - compiled
    """The edge functions of _barycentric (barycentrics times twice the signed area)."""
    return ((x2 - x1) * (py - y1) - (y2 - y1) * (px - x1),
            (x0 - x2) * (py - y2) - (y0 - y2) * (px - x2),
            (x1 - x0) * (py - y0) - (y1 - y0) * (px - x0))


@numba.njit(cache=True, nogil=True)
def _segment_distance2(ax, ay, bx, by, px, py, constants):  # pragma: no cover - compiled
    """One edge of _squared_edge_distance: squared distance from p to the segment a-b."""
    abx, aby, apx, apy = bx - ax, by - ay, px - ax, py - ay
    length2 = max(abx * abx + aby * aby, constants[_MIN_LENGTH2])
    t = min(max((apx * abx + apy * aby) / length2, constants[_ZERO]), constants[_ONE])
    dx, dy = apx - t * abx, apy - t * aby
    return dx * dx + dy * dy


@numba.njit(cache=True, nogil=True)
def _nearest(vertices, faces, xs, ys, constants, pix_to_face, zbuf, bary):  # pragma: no cover - compiled
    """Hard, K = 1: fills (H, W) pix_to_face / zbuf and (H, W, 3) bary of one frame."""
    for f in range(faces.shape[0]):
        corners = _corners(vertices, faces, f)
        x0, y0, z0, x1, y1, z1, x2, y2, z2 = corners
        area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0)
        if not _drawable(area, corners):
            continue
        c0, c1, r0, r1 = _pixel_box(x0, y0, x1, y1, x2, y2, constants)
        positive = area > 0
        for row in range(r0, r1 + 1):
            for col in range(c0, c1 + 1):
                e0, e1, e2 = _edges(x0, y0, x1, y1, x2, y2, xs[col], ys[row])
                # inside when every edge function has the sign of the area (w = edge / area >= 0; NaN fails)
                if not ((e0 >= 0 and e1 >= 0 and e2 >= 0) if positive else (e0 <= 0 and e1 <= 0 and e2 <= 0)):
                    continue
                w0, w1, w2 = e0 / area, e1 / area, e2 / area
                depth = w0 * z0 + w1 * z1 + w2 * z2
                if pix_to_face[row, col] < 0 or depth < zbuf[row, col]:
                    pix_to_face[row, col] = f
                    zbuf[row, col] = depth
                    bary[row, col, 0], bary[row, col, 1], bary[row, col, 2] = w0, w1, w2


@numba.njit(cache=True, nogil=True)
def _k_nearest(vertices, faces, xs, ys, constants, soft, pix_to_face, zbuf):  # pragma: no cover - compiled
    """Any settings: fills (H, W, K) pix_to_face / zbuf of one frame, nearest first, ties to the lower face id."""
    k = pix_to_face.shape[2]
    zero, blur, min_sum = constants[_ZERO], constants[_BLUR], constants[_MIN_SUM]
    for f in range(faces.shape[0]):
        corners = _corners(vertices, faces, f)
        x0, y0, z0, x1, y1, z1, x2, y2, z2 = corners
        area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0)
        if not _drawable(area, corners):
            continue
        c0, c1, r0, r1 = _pixel_box(x0, y0, x1, y1, x2, y2, constants)
        for row in range(r0, r1 + 1):
            for col in range(c0, c1 + 1):
                px, py = xs[col], ys[row]
                e0, e1, e2 = _edges(x0, y0, x1, y1, x2, y2, px, py)
                w0, w1, w2 = e0 / area, e1 / area, e2 / area
                if not (w0 >= 0 and w1 >= 0 and w2 >= 0):
                    if not soft:
                        continue
                    d2 = min(_segment_distance2(x0, y0, x1, y1, px, py, constants),
                             _segment_distance2(x1, y1, x2, y2, px, py, constants),
                             _segment_distance2(x2, y2, x0, y0, px, py, constants))
                    if not d2 <= blur:
                        continue
                if soft:  # clipped to the face as _clip_barycentric
                    w0, w1, w2 = max(w0, zero), max(w1, zero), max(w2, zero)
                    total = max(w0 + w1 + w2, min_sum)
                    w0, w1, w2 = w0 / total, w1 / total, w2 / total
                depth = w0 * z0 + w1 * z1 + w2 * z2
                # rank: behind every kept face as near or nearer (kept faces have lower ids)
                rank = 0
                while rank < k and pix_to_face[row, col, rank] >= 0 and zbuf[row, col, rank] <= depth:
                    rank += 1
                if rank == k:
                    continue
                for j in range(k - 1, rank, -1):
                    pix_to_face[row, col, j], zbuf[row, col, j] = pix_to_face[row, col, j - 1], zbuf[row, col, j - 1]
                pix_to_face[row, col, rank], zbuf[row, col, rank] = f, depth


def rasterize_zbuffer(projected: torch.Tensor, faces: torch.Tensor, settings: RasterSettings) -> Fragments:
    """:func:`~facemotion.rendering.rasterizer.rasterize` on the CPU with the faces found by compiled loops
    (times: ``benchmarks/render_speed.py``).

    Args:
        projected: (B, V, 3) float32 or float64 CPU vertices in NDC x, NDC y and depth (gradients flow).
        faces: (F, 3) int64 vertex ids, shared by the batch.
        settings: :class:`~facemotion.rendering.rasterizer.RasterSettings`, hard or soft, any K.

    Returns:
        :class:`~facemotion.rendering.rasterizer.Fragments` with (B, H, W, K) buffers, those of ``rasterize``.
        For hard settings with K = 1 when no gradient is wanted (gradients disabled, or ``projected`` not
        requiring them), the compiled loop's barycentrics and depths, equal to the reference's; ``dists`` is 0
        on covered pixels as there.

    Raises:
        ValueError: for a tensor not float32/float64 on the CPU, or the shape errors of ``rasterize``.
    """
    check_mesh(projected, faces)
    if projected.device.type != "cpu" or projected.dtype not in (torch.float32, torch.float64):
        raise ValueError(f"the z-buffer backend needs float32/float64 CPU tensors, got {projected.dtype} "
                         f"on {projected.device}")
    batch, (height, width), k = len(projected), settings.image_size, settings.faces_per_pixel
    vertices = projected.detach().contiguous().numpy()
    face_ids = np.ascontiguousarray(faces.cpu().numpy())
    xs, ys = (centres.numpy() for centres in pixel_centres(settings.image_size, dtype=projected.dtype))
    constants = _constants(settings, vertices.dtype)
    pix_to_face = np.full((batch, height, width, k), -1, np.int64)
    zbuf = np.full((batch, height, width, k), -1, vertices.dtype)
    fast = not settings.soft and k == 1 and not (torch.is_grad_enabled() and projected.requires_grad)
    bary = np.full((batch, height, width, 1, 3), -1, vertices.dtype) if fast else None

    def frame(b: int) -> None:
        if fast:
            _nearest(vertices[b], face_ids, xs, ys, constants, pix_to_face[b, ..., 0], zbuf[b, ..., 0],
                     bary[b, ..., 0, :])
        else:
            _k_nearest(vertices[b], face_ids, xs, ys, constants, settings.soft, pix_to_face[b], zbuf[b])

    workers = min(batch, torch.get_num_threads())
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(frame, range(batch)))
    else:
        for b in range(batch):
            frame(b)
    pix_to_face = torch.from_numpy(pix_to_face)
    if not fast:
        return fragments_for_faces(projected, faces, pix_to_face, settings)
    dists = torch.where(pix_to_face >= 0, 0.0, -1.0).to(projected.dtype)
    return Fragments(pix_to_face=pix_to_face, bary_coords=torch.from_numpy(bary), zbuf=torch.from_numpy(zbuf),
                     dists=dists)
