"""``facemotion view`` in headless Chromium: the heads show the takes' weights at the audio element's time.

Two takes of the bundled LJ Speech sample (neutral and happy, procedural, with head and eye motion) are served by
``facemotion view neutral.npz --compare happy.npz --no-browser``; the page is sought to two times and played at
half speed. The screenshot is the README's (``docs/images/viewer.png``, rewritten with
``FACEMOTION_WRITE_SCREENSHOTS=1``; always copied to ``/tmp/facemotion_viewer.png``).
"""

import os
import shutil
import signal
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation, Slerp

from facemotion.exporters import export
from facemotion.exporters.head_pose import head_rotations

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "images" / "viewer.png"
SCREENSHOT_COPY = Path("/tmp/facemotion_viewer.png")
SAMPLES = Path(str(files("facemotion.assets") / "samples"))


@pytest.fixture(scope="module")
def takes(tmp_path_factory):
    """{"neutral": take, "happy": take} of the sample, also saved as NPZ in takes["folder"]."""
    import facemotion

    folder = tmp_path_factory.mktemp("takes")
    transcript = (SAMPLES / "LJ001-0001.txt").read_text()
    result = {"folder": folder}
    for emotion in ("neutral", "happy"):
        take = facemotion.animate(SAMPLES / "LJ001-0001.flac", transcript, fps=30, emotion=emotion)
        export(take, folder / f"{emotion}.npz")
        result[emotion] = take
    return result


@pytest.fixture(scope="module")
def viewer_url(takes):
    """The page of ``facemotion view neutral.npz --compare happy.npz --no-browser``; the server stops after."""
    folder = takes["folder"]
    server = subprocess.Popen(
        [sys.executable, "-m", "facemotion", "view", str(folder / "neutral.npz"), "--compare",
         str(folder / "happy.npz"), "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    try:
        assert "viewer at http://127.0.0.1:" in line, line + server.stderr.read()
        yield line.split("viewer at ")[1].split()[0]
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0  # Ctrl-C is how a server stops: exit 0


@pytest.fixture(scope="module")
def played(takes, viewer_url, run_in_chromium, tmp_path_factory):
    """The page sought to an open-mouth time and a time between frames, played at half speed, then screenshot."""
    neutral = takes["neutral"]
    open_mouth = (int(np.argmax(neutral.channel("jawOpen"))) + 0.37) / neutral.fps
    png = tmp_path_factory.mktemp("screenshot") / "viewer.png"
    results = run_in_chromium(viewer_url, seekTimes=[open_mouth, 2.2345], play={"from": 3.0, "rate": 0.5, "ms": 2500},
                              screenshot={"time": open_mouth, "png": str(png)}, width=1100, height=820)
    shutil.copyfile(png, SCREENSHOT_COPY)
    if os.environ.get("FACEMOTION_WRITE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, SCREENSHOT)
    return {**results, "png": png}


def shown_weights(take, t: float) -> dict[str, float]:
    """The take's weights at time t, linearly interpolated between frames, held at both ends."""
    frames = np.arange(take.n_frames) / take.fps
    return {name: float(np.interp(t, frames, take.weights[:, c])) for c, name in enumerate(take.channel_names)}


def shown_neck(take, t: float) -> np.ndarray:
    """The Neck quaternion (x, y, z, w) at time t: spherical interpolation between the frames' head rotations."""
    frames = np.arange(take.n_frames) / take.fps
    return Slerp(frames, head_rotations(take.head_rotation))(np.clip(t, 0, frames[-1])).as_quat()


def assert_pose(state: dict, takes: dict) -> None:
    """Both heads show their take's weights (within 1e-4) and head rotation at the frame's time."""
    for k, name in enumerate(["neutral", "happy"]):
        take, pose = takes[name], state["poses"][k]
        expected = shown_weights(take, state["frameTime"])
        assert set(pose["influences"]) == set(expected)
        np.testing.assert_allclose([pose["influences"][c] for c in expected], list(expected.values()), atol=1e-4)
        angle = (Rotation.from_quat(pose["joints"]["Neck"]).inv() * Rotation.from_quat(shown_neck(take, state[
            "frameTime"]))).magnitude()
        assert angle < 1e-4  # radians


def test_the_heads_show_the_takes_at_the_sought_times(played, takes):
    assert played["info"]["audio"] and played["info"]["labels"] == ["neutral", "happy"]
    assert played["info"]["duration"] == pytest.approx(takes["neutral"].duration, abs=0.02)
    assert len(played["seeks"]) == 2
    for state in played["seeks"]:
        assert state["frameTime"] == state["clockTime"]  # the frame is the audio element's time
        assert_pose(state, takes)
    jaw = [state["poses"][0]["influences"]["jawOpen"] for state in played["seeks"]]
    assert jaw[0] > 0.3 and jaw[0] != pytest.approx(jaw[1], abs=0.05)  # two different frames, the mouth open


def test_the_audio_clock_drives_the_frame(played, takes):
    """Played at half speed, the frame follows audio.currentTime (half the wall clock), and stops with it."""
    samples = np.array(played["play"]["samples"])  # (wall ms, audio time, frame time), read in animation frames
    assert len(samples) >= 3
    lag = samples[:, 1] - samples[:, 2]  # the audio clock runs on while the frame renders (slow in SwiftShader)
    assert (lag >= 0).all() and lag.max() < 0.25
    wall, audio, frame = (samples[-1] - samples[1]).T
    assert audio > 0.2
    assert 0.3 < frame / (wall / 1000) < 0.7  # the audio's rate (0.5), not the wall clock's (1)
    final = played["play"]["final"]
    assert final["frameTime"] == final["clockTime"] > samples[-1, 2] - 0.05
    assert_pose(final, takes)


def test_the_screenshot_shows_both_heads_and_the_timeline(played):
    assert played["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert all(0.1 < coverage < 0.9 for coverage in played["coverage"])  # a head drawn in each canvas
    assert played["info"]["legend"][:3] == ["jawOpen", "mouthClose", "mouthFunnel"]
    assert not [line for line in played["console"] if line.startswith(("error", "pageerror"))]
