"""The vectorised rasterizer against a naive per-pixel loop, and its buffers' invariants."""

import math

import pytest
import torch

from facemotion.rendering import Fragments, MeshRasterizer, OrthographicCamera, RasterSettings, rasterize


def naive_rasterize(projected: torch.Tensor, faces: torch.Tensor, settings: RasterSettings) -> Fragments:
    """Reference: every pixel against every face, in Python loops (float64 free of vectorisation)."""
    height, width = settings.image_size
    k = settings.faces_per_pixel
    batch = projected.shape[0]
    pix_to_face = torch.full((batch, height, width, k), -1, dtype=torch.long)
    bary_out = torch.full((batch, height, width, k, 3), -1.0)
    zbuf = torch.full((batch, height, width, k), -1.0)
    dists = torch.full((batch, height, width, k), -1.0)
    blur = settings.sigma * math.log(1 / 1e-4 - 1) if settings.soft else 0.0
    for b in range(batch):
        for i in range(height):
            for j in range(width):
                px = -1 + (2 * j + 1) / width
                py = 1 - (2 * i + 1) / height
                hits = []
                for f, (a, c, d) in enumerate(faces.tolist()):
                    (x0, y0, z0), (x1, y1, z1), (x2, y2, z2) = (projected[b, n].tolist() for n in (a, c, d))
                    area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0)
                    if area == 0:
                        continue
                    w0 = ((x2 - x1) * (py - y1) - (y2 - y1) * (px - x1)) / area
                    w1 = ((x0 - x2) * (py - y2) - (y0 - y2) * (px - x2)) / area
                    w2 = ((x1 - x0) * (py - y0) - (y1 - y0) * (px - x0)) / area
                    inside = min(w0, w1, w2) >= 0
                    d2 = min(_segment_d2(px, py, p, q) for p, q in
                             (((x0, y0), (x1, y1)), ((x1, y1), (x2, y2)), ((x2, y2), (x0, y0))))
                    if not (inside or (settings.soft and d2 <= blur)):
                        continue
                    w = [max(w0, 0.0), max(w1, 0.0), max(w2, 0.0)] if settings.soft else [w0, w1, w2]
                    w = [x / sum(w) for x in w] if settings.soft else w
                    z = w[0] * z0 + w[1] * z1 + w[2] * z2
                    hits.append((z, f, w, -d2 if inside else d2))
                for rank, (z, f, w, d) in enumerate(sorted(hits)[:k]):
                    pix_to_face[b, i, j, rank] = f
                    bary_out[b, i, j, rank] = torch.tensor(w)
                    zbuf[b, i, j, rank] = z
                    dists[b, i, j, rank] = d if settings.soft else 0.0
    return Fragments(pix_to_face, bary_out, zbuf, dists)


def _segment_d2(px, py, p, q):
    abx, aby = q[0] - p[0], q[1] - p[1]
    apx, apy = px - p[0], py - p[1]
    t = min(max((apx * abx + apy * aby) / max(abx * abx + aby * aby, 1e-20), 0.0), 1.0)
    return (apx - t * abx) ** 2 + (apy - t * aby) ** 2


@pytest.mark.parametrize("settings", [
    RasterSettings((9, 11)),
    RasterSettings((10, 8), faces_per_pixel=3),
    RasterSettings((8, 8), faces_per_pixel=2, soft=True, sigma=2e-3),
])
def test_vectorised_equals_naive_loop(settings, random_triangles):
    projected, faces = random_triangles(6)
    fast = rasterize(projected, faces, settings)
    slow = naive_rasterize(projected, faces, settings)
    assert (fast.pix_to_face >= 0).any() and (fast.pix_to_face == -1).any()
    assert torch.equal(fast.pix_to_face, slow.pix_to_face)
    assert torch.allclose(fast.bary_coords, slow.bary_coords.to(fast.bary_coords.dtype), atol=1e-9)
    assert torch.allclose(fast.zbuf, slow.zbuf.to(fast.zbuf.dtype), atol=1e-9)
    if settings.soft:
        assert torch.allclose(fast.dists, slow.dists.to(fast.dists.dtype), atol=1e-9)
        assert (fast.dists[fast.pix_to_face >= 0] > 0).any()  # faces near, not over, some pixels


def test_triangle_covers_known_pixels():
    # lower-left half of a 4x4 image: pixel (i, j) has x + y = (j - i) / 2, inside when j <= i
    projected = torch.tensor([[[-1.0, -1.0, 1.0], [1.0, -1.0, 1.0], [-1.0, 1.0, 1.0]]])
    fragments = rasterize(projected, torch.tensor([[0, 1, 2]]), RasterSettings((4, 4)))
    expected = torch.tril(torch.ones(4, 4, dtype=torch.bool))
    assert fragments.pix_to_face.shape == (1, 4, 4, 1)
    assert torch.equal(fragments.pix_to_face[0, :, :, 0] == 0, expected)
    assert torch.all(fragments.zbuf[0, :, :, 0][expected] == 1.0)
    assert torch.all(fragments.zbuf[0, :, :, 0][~expected] == -1.0)
    assert torch.all(fragments.bary_coords[0][~expected] == -1.0)


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_nearest_face_wins_on_overlap(order):
    near = [[-1.0, -1.0, 0.5], [1.0, -1.0, 0.5], [0.0, 1.0, 0.5]]
    far = [[-1.0, -1.0, 0.9], [1.0, -1.0, 0.9], [0.0, 1.0, 0.7]]
    triangles = [near, far]
    projected = torch.tensor([triangles[order[0]] + triangles[order[1]]])
    faces = torch.tensor([[0, 1, 2], [3, 4, 5]])
    fragments = rasterize(projected, faces, RasterSettings((6, 6), faces_per_pixel=2))
    covered = fragments.pix_to_face[..., 0] >= 0
    near_id = order.index(0)
    assert covered.sum() > 10
    assert torch.all(fragments.pix_to_face[..., 0][covered] == near_id)
    assert torch.all(fragments.pix_to_face[..., 1][covered] == 1 - near_id)
    assert torch.all(fragments.zbuf[..., 0][covered] < fragments.zbuf[..., 1][covered])


def test_barycentrics_sum_to_one_and_interpolate_depth(random_triangles):
    projected, faces = random_triangles(20, seed=1)
    fragments = rasterize(projected, faces, RasterSettings((16, 16), faces_per_pixel=2))
    valid = fragments.pix_to_face >= 0
    sums = fragments.bary_coords.sum(-1)[valid]
    assert torch.allclose(sums, torch.ones_like(sums), atol=1e-9)
    assert (fragments.bary_coords[valid] >= 0).all()
    corners = projected[:, faces][torch.arange(2).view(2, 1, 1, 1), fragments.pix_to_face.clamp_min(0)]
    depth = (fragments.bary_coords[..., None] * corners).sum(-2)[..., 2]
    assert torch.allclose(depth[valid], fragments.zbuf[valid])


def test_barycentrics_carry_gradients_to_the_vertices(random_triangles):
    projected, faces = random_triangles(4, batch=1, seed=2)
    projected = projected.float().requires_grad_()
    fragments = rasterize(projected, faces, RasterSettings((12, 12)))
    (fragments.zbuf * (fragments.pix_to_face >= 0)).sum().backward()
    assert torch.isfinite(projected.grad).all() and projected.grad[..., 2].abs().sum() > 0


def test_chunking_gives_the_same_buffers(monkeypatch, random_triangles):
    import facemotion.rendering.rasterizer as module

    projected, faces = random_triangles(30, seed=3)
    settings = RasterSettings((24, 20), faces_per_pixel=2)
    whole = rasterize(projected, faces, settings)
    monkeypatch.setattr(module, "_CHUNK_CANDIDATES", 7)
    chunked = rasterize(projected, faces, settings)
    assert torch.equal(whole.pix_to_face, chunked.pix_to_face)
    assert torch.equal(whole.zbuf, chunked.zbuf)


def test_offscreen_and_degenerate_faces_draw_nothing():
    projected = torch.tensor([[[2.0, 2.0, 1.0], [3.0, 2.0, 1.0], [2.0, 3.0, 1.0], [0.0, 0.0, 1.0]]])
    faces = torch.tensor([[0, 1, 2], [3, 3, 3]])
    fragments = rasterize(projected, faces, RasterSettings((5, 5)))
    assert torch.all(fragments.pix_to_face == -1)


def test_bad_inputs_raise(random_triangles):
    projected, faces = random_triangles(2, batch=1)
    with pytest.raises(ValueError, match="projected"):
        rasterize(projected[0], faces, RasterSettings((4, 4)))
    with pytest.raises(ValueError, match="int64"):
        rasterize(projected, faces.int(), RasterSettings((4, 4)))
    with pytest.raises(ValueError, match="face ids"):
        rasterize(projected, faces + 10, RasterSettings((4, 4)))
    with pytest.raises(ValueError, match="image_size"):
        RasterSettings((0, 4))
    with pytest.raises(ValueError, match="aspect"):
        MeshRasterizer(OrthographicCamera((0, 0, 0), 1.0), RasterSettings((4, 8)))


def overlapping_pair() -> tuple[torch.Tensor, torch.Tensor]:
    """Two float64 triangles of opposite windings, the second behind and partly under the first."""
    projected = torch.tensor([[[-0.71, -0.62, 1.1], [0.58, -0.49, 1.3], [-0.05, 0.66, 1.2],
                               [-0.33, -0.81, 1.6], [-0.52, 0.47, 1.7], [0.79, 0.12, 1.5]]], dtype=torch.float64)
    return projected, torch.tensor([[0, 1, 2], [3, 4, 5]])


@pytest.mark.parametrize("settings", [
    RasterSettings((10, 10), soft=True, faces_per_pixel=2, sigma=1e-2),
    RasterSettings((9, 11), faces_per_pixel=2),
])
def test_gradients_match_finite_differences(settings):
    projected, faces = overlapping_pair()

    def buffers(x):
        fragments = rasterize(x, faces, settings)
        return fragments.bary_coords, fragments.zbuf, fragments.dists

    fragments = rasterize(projected, faces, settings)
    assert (fragments.pix_to_face[..., 1] >= 0).sum() > 3  # the faces overlap on some pixels
    if settings.soft:
        assert (fragments.dists[fragments.pix_to_face >= 0] > 0).sum() > 3  # pixels outside a face, in its blur
    assert torch.autograd.gradcheck(buffers, (projected.requires_grad_(),), eps=1e-6, atol=1e-7, rtol=1e-5)
