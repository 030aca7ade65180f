"""Speed of a preview video: 10 s of speech-like motion at 30 fps (300 frames) on the default head, 10 s of audio.

For each size, milliseconds per frame of each stage over the whole clip, in batches as :func:`render_frames`
runs them: the rig (ARKit weights -> vertices), rasterizing (the backend the preview picks; and, on one batch,
the vectorised torch reference it replaces), shading, conversion to uint8 RGB, and H.264 encoding of the
rendered frames; then the whole :func:`render_preview` (render + encode + AAC + mux) in frames per second.

Run: ``python benchmarks/preview_speed.py [--size 256 512] [--threads 2]``. Wall-clock times: on a machine
shared with other jobs they vary; compare rows of one run.
"""

import argparse
import tempfile
import time
from pathlib import Path

import av
import numpy as np
import soundfile as sf
import torch

from facemotion.animation import FaceAnimation
from facemotion.face_models.arkit import ARKitRig
from facemotion.face_models.names import ARKIT_INDEX
from facemotion.rendering import choose_backend, rasterize
from facemotion.rendering.video import _BATCH, frame_rate, preview_renderer, render_preview, to_uint8

SECONDS, FPS = 10, 30


def speech_like(n_frames: int) -> np.ndarray:
    """(T, 52) weights: a 4 Hz syllable rhythm on the jaw and lips, small noise elsewhere."""
    t = np.arange(n_frames) / FPS
    weights = np.random.default_rng(0).uniform(0, 0.05, (n_frames, 52))
    weights[:, ARKIT_INDEX["jawOpen"]] = 0.4 * (1 + np.sin(2 * np.pi * 4 * t)) / 2
    weights[:, ARKIT_INDEX["mouthFunnel"]] = 0.3 * (1 + np.cos(2 * np.pi * 1.5 * t)) / 2
    return weights.astype(np.float32)


def encode_only(frames: list[np.ndarray], path: Path) -> None:
    """libx264 as render_preview sets it up, on frames already rendered (no audio)."""
    rate = frame_rate(FPS)
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        stream.codec_context.time_base = 1 / rate
        stream.options = {"crf": "20", "preset": "veryfast"}
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


class Stopwatch:
    """Sums wall-clock seconds per stage name."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def time(self, name: str, function, *args):
        start = time.perf_counter()
        result = function(*args)
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
        return result


def stage_times(rig: ARKitRig, weights: torch.Tensor, size: int, folder: Path) -> tuple[dict[str, float], str]:
    """Seconds per stage over all frames, and the name of the rasterizer backend used."""
    renderer = preview_renderer(rig, size)
    rasterizer, shader = renderer.rasterizer, renderer.shader
    clock, frames = Stopwatch(), []
    with torch.no_grad():
        for start in range(0, len(weights), _BATCH):
            vertices = clock.time("rig", rig, weights[start:start + _BATCH])
            fragments = clock.time("rasterize", rasterizer, vertices, rig.faces)
            images = clock.time("shade", shader, fragments, vertices, rig.faces, rasterizer.settings,
                                rasterizer.camera)
            frames.extend(clock.time("uint8", to_uint8, images))
        projected = rasterizer.camera.project(rig(weights[:_BATCH]))
        clock.time("reference", rasterize, projected, rig.faces, rasterizer.settings)
    clock.time("encode", encode_only, frames, folder / "encode.mp4")
    backend = choose_backend(rasterizer.backend, rasterizer.settings, vertices.device)
    return clock.seconds, backend


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, nargs="*", default=[256, 512])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rig = ARKitRig.default()
    n_frames = SECONDS * FPS
    weights = torch.from_numpy(speech_like(n_frames))
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        speech = folder / "speech.wav"
        sf.write(str(speech), np.random.default_rng(1).normal(0, 0.1, SECONDS * 16000).astype(np.float32), 16000)
        animation = FaceAnimation(FPS, weights.numpy(), audio_path=speech)
        render_preview(animation, folder / "warm.mp4", rig=rig, size=16)  # compile the z-buffer outside timings
        print(f"{SECONDS} s at {FPS} fps ({n_frames} frames), default head {len(rig.neutral)} vertices "
              f"{len(rig.faces)} triangles, torch threads {torch.get_num_threads()}, PyAV {av.__version__}")
        print(f"{'size':<9}{'backend':>9}{'rig':>7}{'raster':>8}{'(torch)':>9}{'shade':>7}{'uint8':>7}{'encode':>8}"
              f"{'preview fps':>13}{'x realtime':>12}")
        print(f"{'':<9}{'':>9}{'ms per frame':>38}")
        for size in args.size:
            seconds, backend = stage_times(rig, weights, size, folder)
            ms = {name: 1000 * value / n_frames for name, value in seconds.items()}
            ms["reference"] = 1000 * seconds["reference"] / _BATCH
            start = time.perf_counter()
            render_preview(animation, folder / "preview.mp4", rig=rig, size=size)
            total = time.perf_counter() - start
            print(f"{f'{size}x{size}':<9}{backend:>9}{ms['rig']:>7.1f}{ms['rasterize']:>8.1f}{ms['reference']:>9.0f}"
                  f"{ms['shade']:>7.1f}{ms['uint8']:>7.1f}{ms['encode']:>8.1f}{n_frames / total:>13.1f}"
                  f"{SECONDS / total:>12.2f}")


if __name__ == "__main__":
    main()
