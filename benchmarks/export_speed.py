"""Export time per format for a 60 s animation at 60 fps (3,600 frames x 52 ARKit channels) on the default head.

Run: ``python benchmarks/export_speed.py``; prints the best of 3 runs per format (FBX: one run, it starts
Blender; skipped with a note when no Blender Python is set up, see ``make blender-env``). The USD point
cache is left out: 3,600 poses of the head are 1 GiB by nature.
"""

import tempfile
import time
from pathlib import Path

import numpy as np

from facemotion.animation import FaceAnimation
from facemotion.exporters import SUPPORTED_FORMATS, ExportOptions, export
from facemotion.face_models.arkit import ARKitRig


def best_time(animation: FaceAnimation, path: Path, options: ExportOptions, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        export(animation, path, options)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    mesh = ARKitRig.default().mesh
    weights = np.random.default_rng(1).uniform(0, 1, (3600, 52)).astype(np.float32)
    animation = FaceAnimation(fps=60.0, weights=weights)
    options = ExportOptions(mesh=mesh)
    print(f"default head: {mesh.n_vertices} vertices, {len(mesh.faces)} triangles; "
          f"animation: {animation.n_frames} frames at {animation.fps:g} fps")
    print(f"{'format':<8}{'seconds':>10}{'MiB':>10}")
    with tempfile.TemporaryDirectory() as folder:
        for suffix in SUPPORTED_FORMATS:
            path = Path(folder) / f"take{suffix}"
            try:
                seconds = best_time(animation, path, options, runs=1 if suffix == ".fbx" else 3)
            except RuntimeError as error:  # FBX without a Blender environment
                print(f"{suffix:<8}  skipped: {str(error).splitlines()[0]}")
                continue
            print(f"{suffix:<8}{seconds:>10.3f}{path.stat().st_size / 2**20:>10.2f}")


if __name__ == "__main__":
    main()
