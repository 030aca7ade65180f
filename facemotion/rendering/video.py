"""Preview videos and contact sheets of an animation on the default head.

:func:`render_preview` renders every frame with hard fragments (full-face camera framed once from the neutral
head; on the CPU the compiled z-buffer, 512x512 at 30+ frames per second, ``benchmarks/preview_speed.py``) and
encodes H.264 (libx264, yuv420p) into an ``.mp4`` at the animation's frame rate, with the speech muxed in as
AAC from time 0. :func:`contact_sheet` writes a PNG grid of evenly spaced frames, encoded by FFmpeg's PNG
encoder (:func:`encode_png`). Both write atomically (:func:`~facemotion.exporters.atomic.atomic_output`): a
failure leaves no file.

Video and PNG encoding need PyAV (``av``, whose wheels bundle FFmpeg with libx264); it is imported only when a
file is written.
"""

from __future__ import annotations

import math
import os
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from facemotion.animation import FaceAnimation
from facemotion.audio.io import read_audio
from facemotion.exporters.atomic import atomic_output
from facemotion.exporters.head_pose import HeadJoints
from facemotion.face_models.arkit import ARKitRig
from facemotion.face_models.names import ARKIT_52, ARKIT_INDEX
from facemotion.rendering.backends import MeshRasterizer
from facemotion.rendering.cameras import full_face_camera
from facemotion.rendering.rasterizer import RasterSettings
from facemotion.rendering.renderer import MeshRenderer
from facemotion.rendering.shading import LambertShader, ShadingSettings

__all__ = [
    "MAX_SIZE",
    "check_size",
    "contact_sheet",
    "encode_png",
    "frame_rate",
    "preview_renderer",
    "render_frames",
    "render_preview",
    "to_uint8",
]

MAX_SIZE = 8192
"""Largest preview frame side, pixels (8K): a 8192 x 8192 frame is 200 MB of RGB floats while it is shaded."""

_BATCH = 8  # frames rendered at once: bounds memory (a 512x512 frame is ~1 MB of float32 RGB)
_AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)
_NTSC = (24, 30, 48, 60, 120, 240)  # nominal rates whose broadcast variants are n * 1000 / 1001


def frame_rate(fps: float) -> Fraction:
    """The rational frame rate a video stream is written at.

    NTSC-style rates within 1e-3 of ``n * 1000 / 1001`` (23.976, 29.97, 59.94, ...) become exactly
    ``n * 1000 / 1001`` (29.97 -> 30000/1001, as in SMPTE timecode); any other rate is the nearest fraction
    with a denominator <= 1000 (25 -> 25/1, 12.5 -> 25/2).

    Raises:
        ValueError: for fps that is not a finite number > 0.
    """
    if not (math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a finite number > 0, got {fps}")
    for nominal in _NTSC:
        if abs(fps - nominal * 1000 / 1001) < 1e-3:
            return Fraction(nominal * 1000, 1001)
    return Fraction(fps).limit_denominator(1000)


def check_size(size: int, even: bool = True) -> int:
    """``size``, checked to be a frame side :func:`render_preview` can encode.

    Args:
        size: frame height and width, pixels.
        even: require an even size (H.264 with yuv420p halves the chroma planes).

    Raises:
        TypeError: for a size that is not an integer.
        ValueError: for a size below 16, above :data:`MAX_SIZE`, or odd when ``even``.
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"size must be an integer, got {type(size).__name__}")
    if not 16 <= size <= MAX_SIZE or (even and size % 2):
        parity = "an even number" if even else "a number"
        raise ValueError(f"size must be {parity} in [16, {MAX_SIZE}] pixels (H.264 yuv420p), got {size}")
    return int(size)


def render_frames(
    animation: FaceAnimation,
    rig: ARKitRig | None = None,
    size: int = 512,
    batch_size: int = _BATCH,
    fov_degrees: float | None = None,
):
    """Yield the animation rendered on the head, batch by batch.

    The renderer is :func:`preview_renderer`, its camera fixed for the whole animation (framed on the neutral
    head). Head and eye rotations, where the animation has them, turn the posed mesh
    (:meth:`~facemotion.exporters.head_pose.HeadJoints.pose`: the eyeballs about their centres when the rig has
    the ``"eyes"`` region, then the whole head about the neck pivot), as every exporter writes them.

    Args:
        animation: ARKit channels (any subset of the 52 names; missing channels count as 0), optionally with
            ``head_rotation`` (T, 3) and ``eye_rotation`` (T, 2, 2) degrees.
        rig: the head; default :meth:`ARKitRig.default`.
        size: image height and width in pixels.
        batch_size: frames rendered at once (memory ~ batch_size * size^2 * 40 bytes).
        fov_degrees: None for the orthographic camera, else a perspective one with this vertical field of view.

    Yields:
        (b, size, size, 3) uint8 RGB numpy arrays, row 0 at the top, b <= batch_size, in frame order.

    Raises:
        ValueError: when a channel is not an ARKit-52 name, or for a field of view outside (0, 180).
    """
    rig = ARKitRig.default() if rig is None else rig
    weights = torch.from_numpy(_arkit_weights(animation))
    renderer = preview_renderer(rig, size, fov_degrees)
    head, eyes = animation.head_rotation, animation.eye_rotation
    joints = None if head is None and eyes is None else HeadJoints.from_rig(rig)
    for start in range(0, animation.n_frames, batch_size):
        part = slice(start, start + batch_size)
        with torch.no_grad():  # never yield inside: an abandoned generator would leave gradients off
            vertices = rig(weights[part].to(rig.neutral.dtype))
            if joints is not None:
                vertices = joints.pose(vertices, _rows(head, part), _rows(eyes, part))
            images = to_uint8(renderer(vertices, rig.faces))
        yield images


def preview_renderer(rig: ARKitRig, size: int, fov_degrees: float | None = None) -> MeshRenderer:
    """The renderer of previews: :func:`~facemotion.rendering.cameras.full_face_camera` of the rig's neutral
    head (orthographic, or perspective with ``fov_degrees``), hard ``size`` x ``size`` fragments (the compiled
    z-buffer on the CPU, ``backend="auto"``) and the default grey
    :class:`~facemotion.rendering.shading.LambertShader` on a dark background."""
    camera = full_face_camera(rig.neutral.detach(), fov_degrees=fov_degrees)
    return MeshRenderer(
        MeshRasterizer(camera, RasterSettings((size, size))),
        LambertShader(ShadingSettings(background=0.12)),
    )


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(B, H, W, C) float images in [0, 1] -> (B, H, W, C) uint8 numpy array, rounded to the nearest level."""
    return (images.detach().clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()


def render_preview(
    animation: FaceAnimation,
    path: str | os.PathLike,
    *,
    rig: ARKitRig | None = None,
    audio: str | os.PathLike | None = None,
    size: int = 512,
    compare: FaceAnimation | None = None,
    labels: tuple[str, str] | None = None,
    progress: bool = False,
    fov_degrees: float | None = None,
) -> Path:
    """Render the animation on the head to an H.264 ``.mp4`` with its speech.

    Video: every frame rendered (:func:`render_frames`), encoded with libx264 (CRF 20, yuv420p, ``faststart``)
    at :func:`frame_rate` of ``animation.fps`` (time base 1 / rate: 29.97 fps -> 1001/30000 s per frame),
    ``size`` x ``size`` pixels, or ``2 * size`` wide with ``compare`` side by side (``animation`` left). With
    ``labels``, a dark bar of ``8 * max(1, size // 128)`` pixels on top carries each label in a built-in
    3x5 bitmap font (A-Z, 0-9, ``- _ . : ( ) + / #``; other characters become ``?``), and the labels are
    also written as the file's title metadata ("left | right").

    Audio: ``audio`` or else ``animation.audio_path`` (skipped with a warning when that file is gone),
    decoded with soundfile, mono or stereo (more channels: the first two), resampled to 48 kHz when its rate
    is not an AAC rate, trimmed or zero-padded to the video's duration ``n_frames / rate`` and encoded AAC
    starting at time 0.

    Args:
        animation: ARKit-52 curves (a subset of names is fine), at least one frame.
        path: the ``.mp4`` to write; written atomically.
        rig: the head; default :meth:`ARKitRig.default`.
        audio: speech file (wav, flac, ogg, ...), overriding ``animation.audio_path``.
        size: frame height and width in pixels, even, in [16, :data:`MAX_SIZE`].
        compare: a second animation at the same fps with as many frames, shown on the right.
        labels: two captions (left, right); needs ``compare``.
        progress: show a tqdm progress bar of rendered frames.
        fov_degrees: None for the orthographic full-face camera, else a perspective camera with this vertical
            field of view in degrees, in (0, 180), framing the same box.

    Returns:
        ``Path(path)``.

    Raises:
        ValueError: a suffix other than ``.mp4``, zero frames, an odd, too small or too large size, ``compare`` at
            another fps or length, labels without compare or not two strings, non-ARKit channels, a field of
            view outside (0, 180), or an unreadable audio file.
        FileNotFoundError: ``audio`` does not exist, or the output folder does not exist.
        PermissionError, IsADirectoryError: from :func:`~facemotion.exporters.atomic.atomic_output`.
        ImportError: PyAV is not installed.
    """
    path = Path(path)
    _check_suffix(path, ".mp4")
    _check_frames(animation)
    check_size(size)
    animations = [animation]
    if compare is not None:
        _check_frames(compare)
        if compare.n_frames != animation.n_frames or not math.isclose(compare.fps, animation.fps, rel_tol=1e-9):
            raise ValueError(f"compare must match the animation: {animation.n_frames} frames at {animation.fps:g} "
                             f"fps, got {compare.n_frames} frames at {compare.fps:g} fps")
        animations.append(compare)
    if labels is not None:
        if compare is None:
            raise ValueError("labels need a compare animation")
        if len(labels) != 2 or not all(isinstance(label, str) for label in labels):
            raise ValueError(f"labels must be two strings (left, right), got {labels!r}")
    for a in animations:
        _arkit_weights(a)  # fail on unknown channels before any file is created
    sound = _read_audio(audio, animation)
    import av  # optional dependency: fails loudly here, before the output file is created

    rig = ARKitRig.default() if rig is None else rig
    rate = frame_rate(animation.fps)
    scale = max(1, size // 128)
    bar = None if labels is None else _label_bar(labels, size, scale)
    height = size + (0 if bar is None else len(bar))
    width = size * len(animations)
    with atomic_output(path) as tmp, av.open(str(tmp), mode="w", format="mp4",
                                             options={"movflags": "+faststart"}) as container:
        if labels is not None:
            container.metadata["title"] = " | ".join(labels)
        video = container.add_stream("libx264", rate=rate)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.time_base = 1 / rate
        video.options = {"crf": "20", "preset": "veryfast"}
        encoder = None if sound is None else _AudioEncoder(container, *sound, animation.n_frames / rate)
        bar_progress = _progress(animation.n_frames, progress)
        try:
            index = 0
            streams = [render_frames(a, rig, size, fov_degrees=fov_degrees) for a in animations]
            for batches in zip(*streams):
                images = np.concatenate(batches, axis=2)  # side by side along the width
                if bar is not None:
                    images = np.concatenate([np.broadcast_to(bar, (len(images), *bar.shape)), images], axis=1)
                for image in images:
                    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
                    frame.pts = index
                    container.mux(video.encode(frame))
                    index += 1
                if encoder is not None:
                    encoder.encode_until(index / rate)
                bar_progress.update(len(images))
            container.mux(video.encode(None))
            if encoder is not None:
                encoder.finish()
        finally:
            bar_progress.close()
    return path


def contact_sheet(
    animation: FaceAnimation,
    path: str | os.PathLike,
    *,
    columns: int = 6,
    rows: int = 4,
    size: int = 128,
    rig: ARKitRig | None = None,
) -> Path:
    """Write a PNG grid of ``columns * rows`` evenly spaced frames (first and last included), row by row.

    Frame indices are ``round(linspace(0, T - 1, columns * rows))`` (repeats when T is smaller than the grid).
    The image is ``rows * size`` pixels high and ``columns * size`` wide, 8-bit RGB.

    Raises:
        ValueError: a suffix other than ``.png``, zero frames, columns/rows < 1, size < 1 or above
            :data:`MAX_SIZE`, a sheet wider or higher than ``MAX_SIZE`` pixels, non-ARKit channels.
        FileNotFoundError, PermissionError, IsADirectoryError: from
            :func:`~facemotion.exporters.atomic.atomic_output`.
        ImportError: PyAV is not installed.
    """
    path = Path(path)
    _check_suffix(path, ".png")
    _check_frames(animation)
    if columns < 1 or rows < 1 or size < 1:
        raise ValueError(f"columns, rows and size must be >= 1, got {columns}, {rows}, {size}")
    if max(columns, rows) * size > MAX_SIZE:
        raise ValueError(f"a contact sheet is at most {MAX_SIZE} pixels wide and high, got "
                         f"{columns * size} x {rows * size}")
    picks = np.round(np.linspace(0, animation.n_frames - 1, columns * rows)).astype(int)
    chosen = animation.select_frames(picks)
    tiles = np.concatenate(list(render_frames(chosen, rig, size)))
    grid = tiles.reshape(rows, columns, size, size, 3).transpose(0, 2, 1, 3, 4).reshape(rows * size, columns * size, 3)
    data = encode_png(grid)
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)
    return path


def encode_png(image: np.ndarray) -> bytes:
    """The bytes of an 8-bit PNG of an image, written by FFmpeg's PNG encoder through PyAV.

    Args:
        image: (H, W, 3) uint8 RGB, or (H, W) / (H, W, 1) uint8 grey, row 0 at the top.

    Returns:
        The PNG file's bytes (RGB or grey, as given).

    Raises:
        ValueError: for another shape or dtype.
        ImportError: PyAV is not installed.
    """
    if image.dtype != np.uint8 or not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (1, 3))):
        raise ValueError(f"image must be uint8 (H, W, 3) or (H, W[, 1]), got {image.dtype} {image.shape}")
    import av

    pixel_format = "rgb24" if image.ndim == 3 and image.shape[2] == 3 else "gray"
    pixels = np.ascontiguousarray(image if pixel_format == "rgb24" else image.reshape(image.shape[:2]))
    encoder = av.CodecContext.create("png", "w")
    encoder.width, encoder.height, encoder.pix_fmt = image.shape[1], image.shape[0], pixel_format
    packets = encoder.encode(av.VideoFrame.from_ndarray(pixels, format=pixel_format)) + encoder.encode(None)
    return b"".join(bytes(packet) for packet in packets)


class _AudioEncoder:
    """AAC encoding of a (N, C) float32 signal, fed in step with the video so the muxer can interleave."""

    def __init__(self, container, samples: np.ndarray, sample_rate: int, duration: Fraction):
        import av

        n = round(duration * sample_rate)
        samples = samples[:n]
        if len(samples) < n:
            samples = np.concatenate([samples, np.zeros((n - len(samples), samples.shape[1]), np.float32)])
        self.layout = "mono" if samples.shape[1] == 1 else "stereo"
        target = sample_rate if sample_rate in _AAC_RATES else 48000
        self.container, self.samples, self.rate, self.sent = container, samples, sample_rate, 0
        self.stream = container.add_stream("aac", rate=target)
        self.stream.layout = self.layout
        self.stream.codec_context.time_base = Fraction(1, target)
        self.resampler = av.AudioResampler(format="fltp", layout=self.layout, rate=target)
        self.out_pts = 0

    def encode_until(self, seconds: Fraction) -> None:
        import av

        end = min(len(self.samples), round(seconds * self.rate))
        if end <= self.sent:
            return
        planar = np.ascontiguousarray(self.samples[self.sent:end].T)
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout=self.layout)
        frame.sample_rate, frame.pts, frame.time_base = self.rate, self.sent, Fraction(1, self.rate)
        self.sent = end
        self._encode(self.resampler.resample(frame))

    def finish(self) -> None:
        self.encode_until(Fraction(len(self.samples), self.rate))
        self._encode(self.resampler.resample(None))
        self.container.mux(self.stream.encode(None))

    def _encode(self, frames) -> None:
        for frame in frames:
            frame.pts = self.out_pts
            self.out_pts += frame.samples
            self.container.mux(self.stream.encode(frame))


def _read_audio(audio, animation: FaceAnimation) -> tuple[np.ndarray, int] | None:
    """(N, C<=2) float32 samples and the sample rate of the speech, or None without one."""
    if audio is None:
        if animation.audio_path is None:
            return None
        if not Path(animation.audio_path).is_file():
            warnings.warn(f"the animation's audio {animation.audio_path} is missing; the preview is silent",
                          stacklevel=3)
            return None
        audio = animation.audio_path
    samples, sample_rate = read_audio(audio)  # an MP3 without a delay header starts on time too
    if samples.shape[1] == 0:
        raise ValueError(f"audio {audio} has no channels")
    return np.ascontiguousarray(samples[:, :2]), int(sample_rate)


def _rows(track: np.ndarray | None, part: slice) -> np.ndarray | None:
    """``track[part]``, or None for no track."""
    return None if track is None else track[part]


def _arkit_weights(animation: FaceAnimation) -> np.ndarray:
    """(T, 52) float32 weights in Apple's order; channels the animation lacks are 0."""
    unknown = [name for name in animation.channel_names if name not in ARKIT_INDEX]
    if unknown:
        raise ValueError(f"only ARKit-52 channels can be rendered on the head, got {unknown}")
    if tuple(animation.channel_names) == ARKIT_52:
        return animation.weights
    weights = np.zeros((animation.n_frames, len(ARKIT_52)), np.float32)
    weights[:, [ARKIT_INDEX[name] for name in animation.channel_names]] = animation.weights
    return weights


def _check_suffix(path: Path, suffix: str) -> None:
    if path.suffix.lower() != suffix:
        raise ValueError(f"expected a {suffix} output path, got {path.name!r}")


def _check_frames(animation: FaceAnimation) -> None:
    if animation.n_frames == 0:
        raise ValueError("the animation has zero frames; nothing to render")


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="frame", desc="rendering preview", disable=not enabled)


# A 3x5 bitmap font: each glyph is 5 rows of 3 bits, top row first.
_FONT = {
    "A": "010101111101101", "B": "110101110101110", "C": "011100100100011", "D": "110101101101110",
    "E": "111100110100111", "F": "111100110100100", "G": "011100101101011", "H": "101101111101101",
    "I": "111010010010111", "J": "001001001101010", "K": "101101110101101", "L": "100100100100111",
    "M": "101111111101101", "N": "110101101101101", "O": "010101101101010", "P": "110101110100100",
    "Q": "010101101110011", "R": "110101110101101", "S": "011100010001110", "T": "111010010010010",
    "U": "101101101101111", "V": "101101101101010", "W": "101101111111101", "X": "101101010101101",
    "Y": "101101010010010", "Z": "111001010100111", "0": "111101101101111", "1": "010110010010111",
    "2": "110001010100111", "3": "110001010001110", "4": "101101111001001", "5": "111100110001110",
    "6": "011100111101111", "7": "111001010010010", "8": "111101111101111", "9": "111101111001110",
    " ": "000000000000000", "-": "000000111000000", "_": "000000000000111", ".": "000000000000010",
    ":": "000010000010000", "(": "010100100100010", ")": "010001001001010", "+": "000010111010000",
    "/": "001001010100100", "#": "101111101111101", "?": "110001010000010",
}


def _label_bar(labels: tuple[str, str], size: int, scale: int) -> np.ndarray:
    """(8 * scale, 2 * size, 3) uint8: a dark bar with each label left-aligned over its half."""
    bar = np.full((8 * scale, 2 * size, 3), 30, np.uint8)
    max_chars = max(0, (size - 2 * scale) // (4 * scale))
    for half, label in enumerate(labels):
        x = half * size + 2 * scale
        for char in label.upper()[:max_chars]:
            bits = np.array([int(b) for b in _FONT.get(char, _FONT["?"])], bool).reshape(5, 3)
            glyph = np.kron(bits, np.ones((scale, scale), bool))
            bar[int(1.5 * scale):int(1.5 * scale) + 5 * scale, x:x + 3 * scale][glyph] = 235
            x += 4 * scale
    return bar
