"""Export time per format for a 60 s animation at 60 fps (3,600 frames x 52 ARKit channels).

The head is the default one (``ARKitRig.default().mesh``) when it loads, otherwise a synthetic 25k-vertex
grid whose 52 blendshapes each move a random patch of about a tenth of the vertices.
Run: ``PYTHONPATH=. python benchmarks/export_speed.py``; prints the best of 3 runs per format.
"""

import tempfile
import time
from pathlib import Path

import numpy as np

from facemotion.animation import FaceAnimation
from facemotion.exporters import SUPPORTED_FORMATS, export
from facemotion.face_models.base import BlendshapeMesh
from facemotion.face_models.names import ARKIT_52


def synthetic_head(side: int = 158, seed: int = 0) -> BlendshapeMesh:
    """A side x side vertex grid (25k for 158) with 52 sparse-ish blendshapes, in metres."""
    rng = np.random.default_rng(seed)
    x, y = np.meshgrid(np.linspace(-0.1, 0.1, side), np.linspace(-0.1, 0.1, side))
    neutral = np.stack([x.ravel(), y.ravel(), np.zeros(side * side)], 1).astype(np.float32)
    quad = (np.arange(side - 1)[:, None] * side + np.arange(side - 1)[None, :]).ravel()
    faces = np.concatenate([
        np.stack([quad, quad + 1, quad + side + 1], 1), np.stack([quad, quad + side + 1, quad + side], 1)
    ])
    centres = neutral[rng.choice(len(neutral), 52)]
    near = np.linalg.norm(neutral[None] - centres[:, None], axis=2) < 0.036  # about 10% of the grid each
    deltas = np.where(near[..., None], rng.normal(0, 0.003, (52, len(neutral), 3)), 0).astype(np.float32)
    return BlendshapeMesh(neutral=neutral, faces=faces.astype(np.int64), deltas=deltas, names=ARKIT_52)


def main() -> None:
    try:
        from facemotion.face_models.arkit import ARKitRig

        mesh, head = ARKitRig.default().mesh, "default head"
    except (ImportError, FileNotFoundError):
        mesh, head = synthetic_head(), "synthetic grid"
    weights = np.random.default_rng(1).uniform(0, 1, (3600, 52)).astype(np.float32)
    animation = FaceAnimation(fps=60.0, weights=weights)
    moved = int((mesh.deltas != 0).any(axis=2).sum())
    print(f"{head}: {mesh.n_vertices} vertices, {len(mesh.faces)} triangles, {moved} moved vertex offsets; "
          f"animation: {animation.n_frames} frames at {animation.fps:g} fps")
    print(f"{'format':<8}{'seconds':>10}{'MiB':>10}")
    with tempfile.TemporaryDirectory() as folder:
        for suffix in SUPPORTED_FORMATS:
            path = Path(folder) / f"take{suffix}"
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                export(animation, path, mesh=mesh)
                runs.append(time.perf_counter() - start)
            print(f"{suffix:<8}{min(runs):>10.3f}{path.stat().st_size / 2**20:>10.2f}")


if __name__ == "__main__":
    main()
