"""FBX export time for a 60 s animation at 60 fps (3,600 frames x 52 ARKit channels) on the default head.

FBX is written by Blender in a subprocess (``facemotion.exporters.fbx``), so the time splits into: starting
Blender's Python and importing ``bpy`` (measured alone as ``python -I -c "import bpy"``), building the scene
(mesh, 52 shape keys, 187,200 keyframes) and Blender's FBX exporter; the rest is our side (the input
``.npz``, starting the subprocess, moving the file). The Blender-side parts come from the timing line that
``write_fbx.py`` prints. Needs ``make blender-env`` (or ``FACEMOTION_BLENDER_PYTHON``).

Run: ``PYTHONPATH=. python benchmarks/export_fbx_speed.py [--runs 3]``; prints the best of the runs.
"""

import argparse
import json
import logging
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from facemotion.animation import FaceAnimation
from facemotion.exporters.fbx import export_fbx, find_blender_python
from facemotion.face_models.arkit import ARKitRig


class TimingLines(logging.Handler):
    """Collects the ``facemotion-timing {...}`` line of each Blender run from the exporter's debug log."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.runs: list[dict[str, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        for line in record.getMessage().splitlines():
            if line.startswith("facemotion-timing "):
                self.runs.append(json.loads(line.split(" ", 1)[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--fps", type=float, default=60.0)
    args = parser.parse_args()

    python = find_blender_python()
    mesh = ARKitRig.default().mesh
    frames = round(args.seconds * args.fps)
    weights = np.random.default_rng(1).uniform(0, 1, (frames, len(mesh.names))).astype(np.float32)
    animation = FaceAnimation(fps=args.fps, weights=weights, channel_names=mesh.names)
    print(f"default head: {mesh.n_vertices} vertices, {len(mesh.faces)} triangles, {len(mesh.names)} shapes; "
          f"animation: {frames} frames at {args.fps:g} fps; Blender Python: {python}")

    startup = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run([str(python), "-I", "-c", "import bpy"], check=True, capture_output=True)
        startup.append(time.perf_counter() - start)

    timing = TimingLines()
    logger = logging.getLogger("facemotion.exporters.fbx")
    logger.addHandler(timing)
    logger.setLevel(logging.DEBUG)
    totals = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "take.fbx"
        for _ in range(args.runs):
            start = time.perf_counter()
            export_fbx(animation, path, mesh, blender_python=python)
            totals.append(time.perf_counter() - start)
        size = path.stat().st_size / 2**20
    best = int(np.argmin(totals))
    inside = timing.runs[best]
    rows = [
        ("Blender start-up (python -I -c 'import bpy')", min(startup)),
        ("  import bpy inside write_fbx.py", inside["import_bpy"]),
        ("  build scene: mesh, shape keys, keyframes", inside["build"]),
        ("  Blender FBX exporter (bake + write)", inside["export"]),
        ("  our side and process start/exit", totals[best] - sum(inside.values())),
        ("export_fbx total", totals[best]),
    ]
    print(f"{'step':<48}{'seconds':>10}")
    for name, seconds in rows:
        print(f"{name:<48}{seconds:>10.3f}")
    print(f"file: {size:.2f} MiB; best of {args.runs} runs")


if __name__ == "__main__":
    main()
