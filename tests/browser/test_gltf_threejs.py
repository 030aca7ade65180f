"""The glTF export as its consumers read it: three.js's GLTFLoader in headless Chromium, and the Khronos validator.

Needs Debian's ``chromium`` (``/usr/bin/chromium``), ``node`` and ``npm ci --prefix tests/browser`` (three,
playwright-core, gltf-validator); each test skips with the reason when one is absent. The page and the files
are served from 127.0.0.1 by a thread of this process; nothing is fetched from elsewhere.
"""

import functools
import json
import shutil
import subprocess
import threading
from dataclasses import replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from facemotion.animation import FaceAnimation
from facemotion.exporters.gltf import export_gltf
from facemotion.exporters.head_pose import HeadJoints, rotation_angles
from facemotion.face_models.names import ARKIT_52
from facemotion.testing import browser_tools_or_skip

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
FPS = 30.0
OPEN_MOUTH_FRAME = 2
SCREENSHOT_COPY = Path("/tmp/gltf_threejs.png")


def tool_or_skip() -> tuple[str, str]:
    """(node, chromium) executables, or a skip naming what is missing."""
    return browser_tools_or_skip(NODE_MODULES, ("three", "playwright-core", "gltf-validator"))


def take(frames: int = 5) -> FaceAnimation:
    """ARKit-52 weights: random moderate frames around an open-mouth frame (jaw open, lips apart)."""
    weights = np.random.default_rng(3).uniform(0, 0.4, (frames, 52)).astype(np.float32)
    weights[OPEN_MOUTH_FRAME] = 0
    for name, value in {"jawOpen": 0.9, "mouthFunnel": 0.2, "mouthUpperUpLeft": 0.3, "mouthUpperUpRight": 0.3,
                        "browInnerUp": 0.4}.items():
        weights[OPEN_MOUTH_FRAME, ARKIT_52.index(name)] = value
    return FaceAnimation(fps=FPS, weights=weights)


def turning_take(frames: int = 5) -> FaceAnimation:
    """:func:`take` with the head (+-20 degrees) and the eyes (+-25 degrees) turning."""
    rng = np.random.default_rng(4)
    return replace(take(frames), head_rotation=rng.uniform(-20, 20, (frames, 3)).astype(np.float32),
                   eye_rotation=rng.uniform(-25, 25, (frames, 2, 2)).astype(np.float32))


@pytest.fixture(scope="module")
def tools() -> tuple[str, str]:
    """(node, chromium); skips the module's tests before any work when a tool is missing."""
    return tool_or_skip()


@pytest.fixture(scope="module")
def head(tools):
    from facemotion.face_models.arkit import ARKitRig

    return ARKitRig.default().mesh


@pytest.fixture(scope="module")
def files(head, tmp_path_factory):
    """The default head with :func:`take`, as sparse .glb and dense .gltf: {name: path}."""
    folder = tmp_path_factory.mktemp("gltf")
    animation = take()
    return {
        "sparse.glb": export_gltf(animation, folder / "sparse.glb", head),
        "dense.gltf": export_gltf(animation, folder / "dense.gltf", head, sparse=False),
        "turning.glb": export_gltf(turning_take(), folder / "turning.glb", head),
    }


@pytest.fixture(scope="module")
def server(files):
    """http://127.0.0.1:PORT serving tests/browser at / and the exported files at /data/."""
    data = next(iter(files.values())).parent

    class Handler(SimpleHTTPRequestHandler):
        def translate_path(self, path):
            if path.startswith("/data/"):
                return str(data / Path(path.split("?")[0]).name)
            return super().translate_path(path)

        def log_message(self, *args):
            pass

    Handler.extensions_map = {**Handler.extensions_map, ".mjs": "text/javascript", ".js": "text/javascript"}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(HERE)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def frame_and_mid_times(frames: int) -> np.ndarray:
    """The frame times t / fps as the file stores them (float32), then two times between frames."""
    times = (np.arange(frames) / FPS).astype(np.float32).astype(np.float64)
    return np.concatenate([times, [0.25 / FPS, 2.6 / FPS]])


def expected_weights(animation: FaceAnimation, times: np.ndarray) -> np.ndarray:
    """(len(times), 52): the animation's weights, linearly interpolated between frames (the LINEAR sampler)."""
    frame_times = (np.arange(animation.n_frames) / animation.fps).astype(np.float32).astype(np.float64)
    return np.stack([np.interp(times, frame_times, column) for column in animation.weights.T], 1)


@pytest.fixture(scope="module")
def threejs(tools, files, server, tmp_path_factory):
    """Run gltf_threejs.html in headless Chromium: {"files": {name: sample result}, "render": ..., "png": Path}."""
    node, chromium = tools
    folder = tmp_path_factory.mktemp("threejs")
    times = frame_and_mid_times(take().n_frames)
    config = {
        "chromium": chromium,
        "userDataDir": str(folder / "profile"),
        "pageUrl": f"{server}/gltf_threejs.html",
        "files": [{"url": f"{server}/data/{name}", "times": times.tolist(), "vertices": watched_vertices().tolist()}
                  for name in files],
        "render": {"url": f"{server}/data/sparse.glb", "time": OPEN_MOUTH_FRAME / FPS, "width": 640,
                   "height": 640, "png": str(folder / "open_mouth.png")},
        "output": str(folder / "results.json"),
    }
    (folder / "config.json").write_text(json.dumps(config))
    run = subprocess.run([node, str(HERE / "run_threejs.mjs"), str(folder / "config.json")], cwd=HERE,
                         check=False, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-4000:]
    results = json.loads((folder / "results.json").read_text())
    shutil.copyfile(folder / "open_mouth.png", SCREENSHOT_COPY)
    return {"files": dict(zip(files, results["files"])), "render": results["render"], "console": results["console"],
            "times": times, "png": folder / "open_mouth.png"}


def watched_vertices() -> np.ndarray:
    """Vertex ids whose posed positions three.js reports: the nose tip, the chin (Multi-PIE landmarks 30, 8) and
    the front-most vertex of each eyeball (its cornea)."""
    from facemotion.face_models.arkit import ARKitRig

    rig = ARKitRig.default()
    eyes = HeadJoints.from_rig(rig).eye_vertex_ids
    corneas = [int(ids[np.argmax(rig.neutral.numpy()[ids, 2])]) for ids in eyes]
    return np.array([int(rig.landmark_vertex_ids[30]), int(rig.landmark_vertex_ids[8]), *corneas])


@pytest.mark.parametrize("name", ["sparse.glb", "dense.gltf", "turning.glb"])
def test_threejs_plays_our_weights(threejs, head, name):
    result = threejs["files"][name]
    animation = take()
    assert result["morphTargetCount"] == len(head.names) == 52
    assert result["morphTargetDictionary"] == {shape: k for k, shape in enumerate(head.names)}
    assert result["vertexCount"] == head.n_vertices
    assert result["clipName"] == Path(name).stem
    rotations = [f"{joint}.quaternion" for joint in ("Neck", "LeftEye", "RightEye")] if name == "turning.glb" else []
    assert result["tracks"] == ["Face.morphTargetInfluences", *rotations]
    assert result["duration"] == pytest.approx((animation.n_frames - 1) / FPS, abs=1e-6)
    played = np.array(result["influences"])
    np.testing.assert_allclose(played, expected_weights(animation, threejs["times"]), atol=1e-4)
    frames = animation.n_frames
    np.testing.assert_allclose(played[:frames], animation.weights, atol=1e-6)  # exact at frame times


def test_threejs_turns_the_head_and_eyes_as_facemotion_does(threejs, head):
    """The joints' quaternions after AnimationMixer.setTime(t / fps) give back the take's angles, and the skinned
    mesh (morph targets, then the skin) puts the nose, the chin and the corneas where facemotion's pose does."""
    result, animation = threejs["files"]["turning.glb"], turning_take()
    assert result["skinned"]
    frames = animation.n_frames
    played = {name: Rotation.from_quat(np.array(result["joints"][name])[:frames]) for name in result["joints"]}
    np.testing.assert_allclose(rotation_angles(played["Neck"]), animation.head_rotation, atol=1e-3)  # degrees
    for e, name in enumerate(["LeftEye", "RightEye"]):
        np.testing.assert_allclose(rotation_angles(played[name])[:, :2], animation.eye_rotation[:, e], atol=1e-3)
    joints = HeadJoints.for_mesh(head)
    rest = head.neutral[None].repeat(frames, 0)
    rest = rest + np.einsum("tk,kvc->tvc", animation.weights, head.deltas)
    expected = joints.pose(rest, animation.head_rotation, animation.eye_rotation)[:, watched_vertices()]
    np.testing.assert_allclose(np.array(result["positions"])[:frames], expected, atol=2e-6)


def test_threejs_renders_the_open_mouth_frame(threejs):
    """The screenshot (also copied to /tmp/gltf_threejs.png) shows a lit head, not an empty canvas."""
    assert threejs["render"]["webgl"] == 2
    np.testing.assert_allclose(threejs["render"]["influences"], take().weights[OPEN_MOUTH_FRAME], atol=1e-6)
    assert not [line for line in threejs["console"] if line.startswith(("error", "pageerror"))]
    assert threejs["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = threejs["render"]["pixels"]
    assert 0.15 < pixels["coverage"] < 0.9  # the head fills a good part of the frame
    red, _, blue = pixels["meanRgb"]
    assert red > blue + 20  # lit skin, not black or background


def test_khronos_validator_reports_nothing(tools, files):
    node, _ = tools
    run = subprocess.run([node, str(HERE / "validate_gltf.mjs"), *map(str, files.values())], cwd=HERE,
                         check=False, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-4000:]
    for report in json.loads(run.stdout):
        assert report["issues"]["messages"] == [], report["uri"]
        assert report["info"]["hasMorphTargets"] and report["info"]["animationCount"] == 1
