"""glTF export time and file size for a 60 s animation at 60 fps (3,600 frames x 52 ARKit channels).

Morph targets stored sparse (the default: only the vertices each blendshape moves) or dense (all V offsets),
in a ``.glb`` or a ``.gltf`` with its buffer embedded as base64. The head is the default one
(``ARKitRig.default().mesh``); its loading is not timed. Run: ``PYTHONPATH=. python benchmarks/export_gltf_speed.py``;
prints the best of 5 runs per variant.
"""

import tempfile
import time
from pathlib import Path

import numpy as np

from facemotion.animation import FaceAnimation
from facemotion.exporters.gltf import export_gltf
from facemotion.face_models.arkit import ARKitRig


def main() -> None:
    mesh = ARKitRig.default().mesh
    weights = np.random.default_rng(1).uniform(0, 1, (3600, 52)).astype(np.float32)
    animation = FaceAnimation(fps=60.0, weights=weights)
    moved = int((mesh.deltas != 0).any(axis=2).sum())
    print(f"default head: {mesh.n_vertices} vertices, {len(mesh.faces)} triangles, {len(mesh.names)} blendshapes "
          f"moving {moved} vertex offsets in all; animation: {animation.n_frames} frames at {animation.fps:g} fps")
    print(f"{'targets':<9}{'file':<7}{'seconds':>9}{'MiB':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for sparse in (True, False):
            for suffix in (".glb", ".gltf"):
                path = Path(folder) / f"take{suffix}"
                runs = []
                for _ in range(5):
                    start = time.perf_counter()
                    export_gltf(animation, path, mesh, sparse=sparse)
                    runs.append(time.perf_counter() - start)
                kind = "sparse" if sparse else "dense"
                print(f"{kind:<9}{suffix:<7}{min(runs):>9.3f}{path.stat().st_size / 2**20:>9.2f}")


if __name__ == "__main__":
    main()
