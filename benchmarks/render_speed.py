"""Render time of the built-in PyTorch rasterizer on the default head (jawOpen 0.5), median of 5 runs.

Rows: a full-face hard render (previews) and the soft 88x88 grayscale mouth crop (the lip-reading loss),
forward and forward + backward. Run: ``python benchmarks/render_speed.py``.
"""

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


def median_ms(renderer: MeshRenderer, vertices: torch.Tensor, faces: torch.Tensor, backward: bool) -> float:
    times = []
    for _ in range(5):
        x = vertices.clone().requires_grad_(backward)
        start = time.perf_counter()
        image = renderer(x, faces)
        if backward:
            image.sum().backward()
        times.append(time.perf_counter() - start)
    return 1000 * sorted(times)[2]


def main() -> None:
    rig = ARKitRig.default()
    weights = torch.zeros(52)
    weights[ARKIT_INDEX["jawOpen"]] = 0.5
    vertices = rig(weights)[None].detach()
    lips = rig.neutral[rig.region("lips")]
    gray = LambertShader(ShadingSettings(channels=1))
    cases = [
        ("256x256 hard, full face", MeshRenderer(MeshRasterizer(full_face_camera(rig.neutral),
                                                                RasterSettings((256, 256))), LambertShader()), 1),
        ("512x512 hard, full face", MeshRenderer(MeshRasterizer(full_face_camera(rig.neutral),
                                                                RasterSettings((512, 512))), LambertShader()), 1),
        ("88x88 hard, mouth", MeshRenderer(MeshRasterizer(mouth_camera(lips), RasterSettings((88, 88))), gray), 1),
        ("88x88 soft K=4, mouth", MeshRenderer(MeshRasterizer(
            mouth_camera(lips), RasterSettings((88, 88), soft=True, faces_per_pixel=4)), gray), 1),
        ("88x88 soft K=4, mouth, batch 8", MeshRenderer(MeshRasterizer(
            mouth_camera(lips), RasterSettings((88, 88), soft=True, faces_per_pixel=4)), gray), 8),
    ]
    print(f"default head: {rig.neutral.shape[0]} vertices, {rig.faces.shape[0]} triangles; threads "
          f"{torch.get_num_threads()}")
    print(f"{'render':<34}{'forward ms':>12}{'fwd+bwd ms':>12}")
    for label, renderer, batch in cases:
        batched = vertices.expand(batch, -1, -1)
        forward = median_ms(renderer, batched, rig.faces, backward=False)
        both = median_ms(renderer, batched, rig.faces, backward=True)
        print(f"{label:<34}{forward:>12.0f}{both:>12.0f}")


if __name__ == "__main__":
    main()
