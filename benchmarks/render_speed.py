"""Render time of the built-in rasterizer backends on the default head (jawOpen 0.5), median of 5 runs.

Rows: full-face hard renders (previews) and the 88x88 grey soft mouth crop (K=4, the lip-reading loss), alone
and in batches of 8, for each backend that runs on the device: the vectorised torch reference and the compiled
z-buffer on the CPU; torch, and pytorch3d where installed, on a GPU. Columns: milliseconds per call for the
forward pass and for forward + backward (the gradient of the image sum w.r.t. the vertices), and forward +
backward per frame. Run: ``python benchmarks/render_speed.py [--device cuda] [--threads 2]``.
"""

import argparse
import time

import torch

from facemotion.face_models.arkit import ARKitRig
from facemotion.face_models.names import ARKIT_INDEX
from facemotion.rendering import (
    LambertShader,
    MeshRasterizer,
    MeshRenderer,
    RasterSettings,
    ShadingSettings,
    full_face_camera,
    mouth_camera,
)
from facemotion.rendering.pytorch3d_backend import pytorch3d_available


def median_ms(renderer: MeshRenderer, vertices: torch.Tensor, faces: torch.Tensor, backward: bool) -> float:
    times = []
    for _ in range(6):  # the first run warms up (kernel compilation, CUDA context, allocator)
        x = vertices.clone().requires_grad_(backward)
        synchronize(x.device)
        start = time.perf_counter()
        image = renderer(x, faces)
        if backward:
            image.sum().backward()
        synchronize(x.device)
        times.append(time.perf_counter() - start)
    return 1000 * sorted(times[1:])[2]


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def cases(rig: ARKitRig, device: torch.device) -> list[tuple[str, MeshRenderer, int]]:
    """(label, renderer, batch) rows for the backends that run on ``device``."""
    face, lips = full_face_camera(rig.neutral), mouth_camera(rig.neutral[rig.region("lips")])
    grey = LambertShader(ShadingSettings(channels=1))
    soft = RasterSettings((88, 88), soft=True, faces_per_pixel=4)
    if device.type == "cpu":
        names = ("torch", "zbuffer")
    else:
        names = ("torch", "pytorch3d") if pytorch3d_available() else ("torch",)
    rows = []
    for size in (256, 512):
        settings = RasterSettings((size, size))
        rows += [(f"{size}x{size} hard, full face, {name}",
                  MeshRenderer(MeshRasterizer(face, settings, name), LambertShader()), 1) for name in names]
    for name in names:
        mouth = MeshRenderer(MeshRasterizer(lips, soft, name), grey)
        rows += [(f"88x88 soft K=4, mouth, {name}", mouth, 1), (f"88x88 soft K=4, mouth, {name}, batch 8", mouth, 8)]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    rig = ARKitRig.default().to(device)
    weights = torch.zeros(52, device=device)
    weights[ARKIT_INDEX["jawOpen"]] = 0.5
    vertices = rig(weights)[None].detach()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"default head: {rig.neutral.shape[0]} vertices, {rig.faces.shape[0]} triangles; {name}")
    print(f"{'render':<36}{'forward ms':>12}{'fwd+bwd ms':>12}{'fwd+bwd ms/frame':>18}")
    for label, renderer, batch in cases(rig, device):
        batched = vertices.expand(batch, -1, -1)
        forward = median_ms(renderer, batched, rig.faces, backward=False)
        both = median_ms(renderer, batched, rig.faces, backward=True)
        print(f"{label:<36}{forward:>12.1f}{both:>12.1f}{both / batch:>18.1f}")


if __name__ == "__main__":
    main()
