"""Preview videos and contact sheets, checked by decoding them back with PyAV."""

from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
import soundfile as sf

from facemotion.animation import FaceAnimation
from facemotion.face_models.arkit import ARKitRig
from facemotion.face_models.names import ARKIT_INDEX
from facemotion.rendering import full_face_camera
from facemotion.rendering.video import contact_sheet, encode_png, frame_rate, render_frames, render_preview

av = pytest.importorskip("av")

SIZE = 64


def talking(fps: float, n_frames: int = 12, seed: int = 0) -> FaceAnimation:
    """Random small weights; jaw closed in the first half and fully open in the second."""
    weights = np.random.default_rng(seed).uniform(0, 0.1, (n_frames, 52)).astype(np.float32)
    weights[:, ARKIT_INDEX["jawOpen"]] = 0.0
    weights[n_frames // 2:, ARKIT_INDEX["jawOpen"]] = 1.0
    return FaceAnimation(fps, weights)


def decode(path):
    """(frames (T, H, W, 3) uint8, video stream facts, audio duration in s or None, container metadata)."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        facts = {"rate": video.average_rate, "width": video.width, "height": video.height,
                 "codec": video.codec_context.name, "pix_fmt": video.codec_context.pix_fmt}
        audio = container.streams.audio[0] if container.streams.audio else None
        audio_duration = None if audio is None else float(audio.duration * audio.time_base)
        audio_start = None if audio is None else float(audio.start_time * audio.time_base)
        metadata = dict(container.metadata)
        frames = np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)])
    return frames, facts, (audio_start, audio_duration), metadata


def mouth_box(rig: ARKitRig, size: int) -> tuple[slice, slice]:
    """Pixel rows and columns around the neutral lips (grown by half their height for the open jaw)."""
    camera = full_face_camera(rig.neutral)
    ndc = camera.project(rig.neutral[rig.region("lips")][None])[0, :, :2]
    cols = ((ndc[:, 0] + 1) / 2 * size).numpy()
    rows = ((1 - ndc[:, 1]) / 2 * size).numpy()
    grow = rows.max() - rows.min()
    return slice(int(rows.min()), int(np.ceil(rows.max() + grow))), slice(int(cols.min()), int(np.ceil(cols.max())))


def write_speech(path, seconds: float = 1.0, sample_rate: int = 16000):
    samples = np.random.default_rng(1).normal(0, 0.1, int(seconds * sample_rate)).astype(np.float32)
    sf.write(str(path), samples, sample_rate)
    return path


@pytest.fixture(scope="module")
def preview_25fps(rig, tmp_path_factory):
    """12 frames at 25 fps with 1 s of speech (trimmed to 0.48 s): (folder, decoded)."""
    folder = tmp_path_factory.mktemp("preview")
    animation = replace(talking(25.0), audio_path=write_speech(folder / "speech.wav"))
    return folder, decode(render_preview(animation, folder / "preview.mp4", rig=rig, size=SIZE))


def check_stream(decoded, n_frames: int, fps: float, rate: Fraction) -> None:
    frames, facts, (audio_start, audio_duration), _ = decoded
    assert frames.shape == (n_frames, SIZE, SIZE, 3)
    assert facts == {"rate": rate, "width": SIZE, "height": SIZE, "codec": "h264", "pix_fmt": "yuv420p"}
    assert audio_start == 0.0
    assert abs(audio_duration - n_frames / rate) < 1 / fps


def test_preview_decodes_to_every_frame_at_the_rate_with_the_speech(preview_25fps):
    folder, decoded = preview_25fps
    check_stream(decoded, 12, 25.0, Fraction(25))
    assert sorted(p.name for p in folder.iterdir()) == ["preview.mp4", "speech.wav"]  # no temporary left


def test_a_29_97_fps_preview_has_the_ntsc_rate_and_the_speech(rig, tmp_path):
    animation = replace(talking(29.97, n_frames=6), audio_path=write_speech(tmp_path / "speech.wav"))
    check_stream(decode(render_preview(animation, tmp_path / "ntsc.mp4", rig=rig, size=SIZE)),
                 6, 29.97, Fraction(30000, 1001))


def test_the_mouth_area_changes_when_the_jaw_opens_and_the_forehead_does_not(rig, preview_25fps):
    frames = preview_25fps[1][0]
    closed, opened = frames[0].astype(float), frames[-1].astype(float)
    rows, cols = mouth_box(rig, SIZE)
    mouth = np.abs(opened[rows, cols] - closed[rows, cols]).mean()
    forehead = np.abs(opened[: SIZE // 5] - closed[: SIZE // 5]).mean()
    assert mouth > 15 and forehead < 3, (mouth, forehead)


def test_side_by_side_doubles_the_width_and_carries_the_labels(rig, tmp_path, write_audio):
    speech = write_audio("speech.wav", np.zeros((4000, 3), np.float32), 8000)  # short: padded; 3 channels
    animation, other = talking(25.0, n_frames=6), talking(25.0, n_frames=6, seed=2)
    out = render_preview(animation, tmp_path / "compare.mp4", rig=rig, audio=speech, size=SIZE,
                         compare=other, labels=("ours", "ground truth"))
    frames, facts, (_, audio_duration), metadata = decode(out)
    scale_bar = 8  # 8 * max(1, 64 // 128) pixels of label bar on top
    assert frames.shape == (6, SIZE + scale_bar, 2 * SIZE, 3)
    assert (facts["width"], facts["height"]) == (2 * SIZE, SIZE + scale_bar)
    assert metadata["title"] == "ours | ground truth"
    assert frames[:, :scale_bar].max() > 200  # the label text is drawn
    assert abs(audio_duration - 6 / 25) < 1 / 25


def test_a_perspective_preview_frames_the_head_as_the_orthographic_one_does(rig):
    animation = talking(25.0, n_frames=1)
    orthographic = next(render_frames(animation, rig, 64))[0]
    perspective = next(render_frames(animation, rig, 64, fov_degrees=30.0))[0]
    assert perspective.shape == orthographic.shape and not np.array_equal(perspective, orthographic)
    def face(image):  # share of lit pixels (the background is 0.12 * 255 = 31)
        return (image.max(-1) > 40).mean()

    assert 0.5 * face(orthographic) < face(perspective) < 1.5 * face(orthographic)


def test_contact_sheet_is_a_png_grid_of_the_requested_size(rig, tmp_path):
    out = contact_sheet(talking(30.0, n_frames=30), tmp_path / "sheet.png", columns=3, rows=2, size=32, rig=rig)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with av.open(str(out)) as container:
        image = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert image.shape == (2 * 32, 3 * 32, 3)
    first, last = image[:32, :32].astype(float), image[32:, 64:].astype(float)
    assert np.abs(first - last).mean() > 1  # the first (closed) and last (open) frames differ


@pytest.mark.parametrize("shape, pixel_format", [((5, 7, 3), "rgb24"), ((5, 7), "gray"), ((5, 7, 1), "gray")])
def test_png_bytes_decode_to_the_same_pixels(shape, pixel_format, tmp_path):
    image = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    data = encode_png(image)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    (tmp_path / "x.png").write_bytes(data)
    with av.open(str(tmp_path / "x.png")) as container:
        frame = next(container.decode(video=0))
    assert frame.format.name == pixel_format
    assert np.array_equal(frame.to_ndarray(format=pixel_format), image.reshape(frame.height, frame.width, -1).squeeze())
    with pytest.raises(ValueError, match="uint8"):
        encode_png(image.astype(np.float32))


def test_frame_rate_is_rational():
    assert frame_rate(29.97) == Fraction(30000, 1001)
    assert frame_rate(23.976) == Fraction(24000, 1001)
    assert frame_rate(59.94) == Fraction(60000, 1001)
    assert frame_rate(30.0) == 30 and frame_rate(12.5) == Fraction(25, 2)


@pytest.mark.parametrize("name, kwargs, match", [
    ("preview.mov", {}, r"\.mp4"),
    ("preview.mp4", {"size": 63}, "even"),
    ("preview.mp4", {"compare": talking(25.0, n_frames=10)}, "compare must match"),
    ("preview.mp4", {"compare": talking(30.0)}, "compare must match"),
    ("preview.mp4", {"labels": ("a", "b")}, "labels need"),
    ("preview.mp4", {"audio": "missing.wav"}, "audio file not found"),
    ("preview.mp4", {"fov_degrees": 180.0}, "fov_degrees"),
])
def test_bad_preview_inputs_raise_and_write_nothing(name, kwargs, match, rig, tmp_path):
    with pytest.raises((ValueError, FileNotFoundError), match=match):
        render_preview(talking(25.0), tmp_path / name, rig=rig, **{"size": SIZE, **kwargs})
    assert list(tmp_path.iterdir()) == []


def test_zero_frames_unwritable_paths_and_bad_sheets_raise_and_write_nothing(rig, tmp_path):
    empty = FaceAnimation(25.0, np.zeros((0, 52), np.float32))
    with pytest.raises(ValueError, match="zero frames"):
        render_preview(empty, tmp_path / "empty.mp4", rig=rig, size=SIZE)
    with pytest.raises(FileNotFoundError, match="output folder does not exist"):
        render_preview(talking(25.0), tmp_path / "no" / "p.mp4", rig=rig, size=SIZE)
    with pytest.raises(ValueError, match=r"\.png"):
        contact_sheet(talking(25.0), tmp_path / "sheet.jpg", rig=rig)
    with pytest.raises(ValueError, match="zero frames"):
        contact_sheet(empty, tmp_path / "sheet.png", rig=rig)
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_encoding_leaves_no_file(rig, tmp_path, monkeypatch):
    from facemotion.rendering import video

    def broken(*args, **kwargs):
        yield np.zeros((1, SIZE, SIZE, 3), np.uint8)
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(video, "render_frames", broken)
    (tmp_path / "old.mp4").write_bytes(b"keep")
    with pytest.raises(RuntimeError, match="renderer failed"):
        render_preview(talking(25.0), tmp_path / "old.mp4", rig=rig, size=SIZE)
    assert [p.name for p in tmp_path.iterdir()] == ["old.mp4"] and (tmp_path / "old.mp4").read_bytes() == b"keep"


def test_an_abandoned_frame_generator_leaves_gradients_on():
    import torch

    from facemotion.face_models.arkit import ARKitRig
    from facemotion.rendering.video import render_frames
    from facemotion.testing import random_animation

    frames = render_frames(random_animation(frames=4), ARKitRig.default(), 16, batch_size=2)
    next(frames)
    assert torch.is_grad_enabled()


# ---------------------------------------------------------------------------------------- head and eye rotations


def turned(head=None, eyes=None) -> FaceAnimation:
    """A still neutral face, one frame per row of ``head`` (degrees) or ``eyes``."""
    frames = len(head if head is not None else eyes)
    head, eyes = (None if angles is None else np.array(angles, np.float32) for angles in (head, eyes))
    return FaceAnimation(25.0, np.zeros((frames, 52), np.float32), head_rotation=head, eye_rotation=eyes)


def foreground(image: np.ndarray) -> np.ndarray:
    """(H, W) bool: the pixels of the head (brighter than the 0.12 background by more than 10 levels)."""
    return image.max(axis=-1) > round(0.12 * 255) + 10


def test_the_preview_turns_the_head_the_way_the_convention_says(rig):
    """Positive pitch nods the chin down (the head, above the neck pivot, drops in the frame), positive roll tilts
    the head to the character's right shoulder (the viewer's left: the upper head moves left in the image), yaw
    turns the face."""
    size = 96
    frames = np.concatenate(list(render_frames(
        turned(head=[[0, 0, 0], [15, 0, 0], [-15, 0, 0], [0, 0, 15], [0, 0, -15], [0, 20, 0]]), rig, size)))
    masks = [foreground(frame) for frame in frames]
    mean_row = [np.nonzero(mask)[0].mean() for mask in masks]
    upper_x = [np.nonzero(mask[: size // 3])[1].mean() for mask in masks]
    assert mean_row[1] > mean_row[0] + 2 and mean_row[2] < mean_row[0] - 1  # chin down: the head drops; up: rises
    assert upper_x[3] < upper_x[0] - 2 < upper_x[4] - 4  # roll to the right shoulder: the top goes to image left
    assert (frames[5] != frames[0]).any()
    np.testing.assert_array_equal(frames[0], next(render_frames(turned(head=[[0, 0, 0]]), rig, size))[0])


def test_the_preview_turns_the_eyes_and_nothing_else(rig):
    size = 96
    still, looking = np.concatenate(list(render_frames(turned(eyes=[[[0, 0], [0, 0]], [[10, 25], [10, 25]]]),
                                                       rig, size)))
    changed = (still != looking).any(axis=-1)
    ndc = full_face_camera(rig.neutral).project(rig.neutral[rig.region("eyes")][None])[0, :, :2].numpy()
    cols, rows = (ndc[:, 0] + 1) / 2 * size, (1 - ndc[:, 1]) / 2 * size
    inside = np.zeros_like(changed)
    inside[int(rows.min()) - 2:int(np.ceil(rows.max())) + 2, int(cols.min()) - 2:int(np.ceil(cols.max())) + 2] = True
    assert changed.sum() > 10 and not (changed & ~inside).any()


def test_a_contact_sheet_shows_the_turned_frames(rig, tmp_path):
    animation = turned(head=[[0, 0, 0], [0, 0, 20]])
    sheet = contact_sheet(animation, tmp_path / "sheet.png", columns=2, rows=1, size=48, rig=rig)
    tiles = np.concatenate(list(render_frames(animation, rig, 48)))
    with av.open(str(sheet)) as container:
        image = next(container.decode(video=0)).to_ndarray(format="rgb24")
    np.testing.assert_array_equal(image, np.concatenate(list(tiles), axis=1))
