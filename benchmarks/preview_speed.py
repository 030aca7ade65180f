"""Time of a preview video: 10 s of speech-like motion at 30 fps (300 frames), with 10 s of audio.

Rows: rendering alone (:func:`render_frames`), H.264 + AAC encoding alone (pre-rendered frames), and the whole
:func:`render_preview`, at 256x256 and 512x512. Run: ``python benchmarks/preview_speed.py [--size 512]``.
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
from facemotion.rendering.video import frame_rate, render_frames, render_preview

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, nargs="*", default=[256, 512])
    sizes = parser.parse_args().size
    rig = ARKitRig.default()
    animation_frames = SECONDS * FPS
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        speech = folder / "speech.wav"
        sf.write(str(speech), np.random.default_rng(1).normal(0, 0.1, SECONDS * 16000).astype(np.float32), 16000)
        animation = FaceAnimation(FPS, speech_like(animation_frames), audio_path=speech)
        print(f"{SECONDS} s at {FPS} fps ({animation_frames} frames), PyAV {av.__version__}, "
              f"FFmpeg {av.ffmpeg_version_info}, torch threads {torch.get_num_threads()}")
        print(f"{'size':<10}{'render s':>10}{'encode s':>10}{'preview s':>11}{'x realtime':>12}{'MB':>7}")
        for size in sizes:
            start = time.perf_counter()
            frames = [image for batch in render_frames(animation, rig, size) for image in batch]
            render = time.perf_counter() - start
            start = time.perf_counter()
            encode_only(frames, folder / "encode.mp4")
            encode = time.perf_counter() - start
            start = time.perf_counter()
            out = render_preview(animation, folder / "preview.mp4", rig=rig, size=size)
            total = time.perf_counter() - start
            print(f"{f'{size}x{size}':<10}{render:>10.2f}{encode:>10.2f}{total:>11.2f}{SECONDS / total:>12.2f}"
                  f"{out.stat().st_size / 1e6:>7.2f}")


if __name__ == "__main__":
    main()
