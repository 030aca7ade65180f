"""Golden images of the two camera presets on the default head: the preview's full face (128x128 RGB, hard,
compiled z-buffer) and the lip reader's mouth crop (88x88 grey, soft, K=4), neutral and with the jaw open.

After an intended change of the renderer or of the head, regenerate them with
``FACEMOTION_UPDATE_GOLDEN=1 python -m pytest tests/rendering/test_golden.py`` (each test then writes its PNG
under ``tests/rendering/golden/`` and skips), look at them, and commit them.
"""

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from facemotion.rendering import (
    LambertShader,
    MeshRasterizer,
    MeshRenderer,
    RasterSettings,
    ShadingSettings,
    mouth_camera,
)
from facemotion.rendering.video import encode_png, preview_renderer, to_uint8

av = pytest.importorskip("av")

GOLDEN = Path(__file__).parent / "golden"
POSES = {"neutral": {}, "jaw_open": {"jawOpen": 0.6}}


def full_face(rig, vertices: torch.Tensor) -> np.ndarray:
    """(128, 128, 3) uint8: the preview renderer."""
    return to_uint8(preview_renderer(rig, 128)(vertices[None], rig.faces))[0]


def mouth(rig, vertices: torch.Tensor) -> np.ndarray:
    """(88, 88) uint8: the soft grey mouth crop of the lip-reading loss."""
    settings = RasterSettings((88, 88), soft=True, faces_per_pixel=4)
    renderer = MeshRenderer(MeshRasterizer(mouth_camera(rig.neutral[rig.region("lips")]), settings),
                            LambertShader(ShadingSettings(channels=1)))
    return to_uint8(renderer(vertices[None], rig.faces))[0, ..., 0]


PRESETS = {"full_face": full_face, "mouth": mouth}


def read_png(path: Path) -> np.ndarray:
    """(H, W, 3) uint8 for an RGB PNG, (H, W) for a grey one."""
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format=frame.format.name)


@pytest.mark.parametrize("pose_name", POSES)
@pytest.mark.parametrize("preset", PRESETS)
def test_render_matches_the_golden_image(preset, pose_name, rig, pose):
    with torch.no_grad():
        image = PRESETS[preset](rig, pose(**POSES[pose_name]))
    path = GOLDEN / f"{preset}_{pose_name}.png"
    if os.environ.get("FACEMOTION_UPDATE_GOLDEN") == "1":
        path.write_bytes(encode_png(image))
        pytest.skip(f"wrote {path}")
    golden = read_png(path)
    assert golden.shape == image.shape and golden.dtype == np.uint8
    diff = np.abs(image.astype(int) - golden.astype(int))
    # a few edge pixels may flip between faces on another CPU / BLAS; nothing else may move
    assert diff.mean() < 0.5 and (diff > 2).mean() < 0.005, (diff.mean(), (diff > 2).sum())


@pytest.mark.parametrize("preset", PRESETS)
def test_the_golden_images_tell_an_open_jaw_from_a_closed_one(preset):
    closed, opened = (read_png(GOLDEN / f"{preset}_{name}.png").astype(int) for name in POSES)
    assert (np.abs(opened - closed) > 2).mean() > 0.01  # far beyond the tolerance above
