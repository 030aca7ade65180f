"""Tiny synthetic heads, takes and dataset folders for tests (yours and ours), like ``numpy.testing``.

The dataset writers lay out random motion with speech-like tones in exactly the layouts the loaders of
:mod:`facemotion.data` read (VOCASET and BIWI in FaceFormer's layout, MEAD pseudo-ground-truth in EMOTE's), so a
loader or a training run can be tested without the licensed data.
"""

import pickle
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import soundfile as sf

from facemotion.animation import FaceAnimation
from facemotion.data.flame_sequences import MEAD_FPS
from facemotion.face_models.base import BlendshapeMesh
from facemotion.face_models.names import ARKIT_52


def grid_mesh(names: tuple[str, ...] = ARKIT_52, seed: int = 0, relief: bool = True) -> BlendshapeMesh:
    """A 3 x 3 vertex grid, 2 cm wide, facing +Z, with random relief in z (flat without ``relief``), 8 triangles.

    Every blendshape but the last moves 2 random vertices by a few millimetres; the last moves none
    (as ``tongueOut`` on the default head), so exporters meet an empty shape.

    Returns:
        A :class:`BlendshapeMesh` with 9 vertices in metres and ``len(names)`` blendshapes.
    """
    rng = np.random.default_rng(seed)
    x, y = np.meshgrid(np.arange(3), np.arange(3))
    neutral = np.stack([x.ravel(), y.ravel(), np.zeros(9)], 1).astype(np.float32) * 0.01
    neutral[:, 2] = rng.uniform(-0.005, 0.005, 9) if relief else 0.0
    corners = [r * 3 + c for r in range(2) for c in range(2)]
    faces = np.array([[i, i + 1, i + 4] for i in corners] + [[i, i + 4, i + 3] for i in corners], np.int64)
    deltas = np.zeros((len(names), 9, 3), np.float32)
    for k in range(len(names) - 1):
        deltas[k, rng.choice(9, 2, replace=False)] = rng.normal(0, 0.005, (2, 3))
    return BlendshapeMesh(neutral=neutral, faces=faces, deltas=deltas, names=tuple(names))


def random_animation(
    names: tuple[str, ...] = ARKIT_52, frames: int = 5, fps: float = 30.0, seed: int = 1
) -> FaceAnimation:
    """``frames`` frames of uniform random weights in [0, 1] on the channels ``names``."""
    weights = np.random.default_rng(seed).uniform(0, 1, (frames, len(names))).astype(np.float32)
    return FaceAnimation(fps=fps, weights=weights, channel_names=tuple(names))


def write_tone(path: str | Path, seconds: float, rate: int = 22_050) -> Path:
    """Write a mono 16-bit wav of a 220 Hz tone plus a little noise (seeded by its length); folders are created.

    Returns:
        ``Path(path)``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(round(seconds * rate)) / rate
    noise = np.random.default_rng(len(t)).normal(0, 0.01, len(t))
    sf.write(str(path), 0.3 * np.sin(2 * np.pi * 220 * t) + noise, rate, subtype="PCM_16")
    return path


def write_vertex_corpus(
    root: str | Path, names: Iterable[str], n_vertices: int, frames: int, fps: float, skip: Iterable[str] = ()
) -> tuple[Path, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Write FaceFormer's VOCASET/BIWI layout: ``wav/<name>.wav``, ``vertices_npy/<name>.npy``, ``templates.pkl``.

    Each sequence ``<subject>_<sentence>`` gets ``frames`` random (T, V * 3) float32 positions near its subject's
    template and a wav of the same duration at 22,050 Hz; sequences in ``skip`` get no files. ``templates.pkl``
    is a protocol 2 pickle, as Python 2 wrote it.

    Returns:
        ``(root, templates {subject: (V, 3) float64}, vertices {name: (T, V * 3) float32})``.
    """
    root, names, skip = Path(root), list(names), set(skip)
    (root / "vertices_npy").mkdir(parents=True)
    (root / "wav").mkdir()
    rng = np.random.default_rng(0)
    subjects = sorted({name.rsplit("_", 1)[0] for name in names})
    templates = {subject: rng.normal(0, 0.1, (n_vertices, 3)) for subject in subjects}
    vertices = {}
    for name in names:
        if name in skip:
            continue
        template = templates[name.rsplit("_", 1)[0]]
        offsets = rng.normal(0, 0.002, (frames, n_vertices * 3))
        vertices[name] = (template.reshape(1, -1) + offsets).astype(np.float32)
        np.save(root / "vertices_npy" / f"{name}.npy", vertices[name])
        write_tone(root / "wav" / f"{name}.wav", frames / fps)
    with open(root / "templates.pkl", "wb") as f:
        pickle.dump(templates, f, protocol=2)
    return root, templates, vertices


def write_flame_sequence(path: str | Path, frames: int = 50, n_exp: int = 50, seed: int = 0, **extra) -> dict:
    """Write an EMOTE-style FLAME sequence ``.npz``: expression (T, n_exp), jaw_pose (T, 3), shape (100,) and the
    ``extra`` arrays (e.g. ``fps=np.array(25.0)``); folders are created.

    Returns:
        The arrays written, by name.
    """
    rng = np.random.default_rng(seed)
    arrays = dict(
        expression=rng.normal(0, 1, (frames, n_exp)),
        jaw_pose=rng.normal(0, 0.1, (frames, 3)),
        shape=rng.normal(0, 1, 100),
        **extra,
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return arrays


def write_mead_corpus(
    root: str | Path, sequences: Sequence[tuple[str, str, int, str, float | None]], frames: int = 30, n_exp: int = 50
) -> Path:
    """Write MEAD pseudo-ground-truth in the layout ``<root>/<subject>/<emotion>/level_<k>/<NNN>.npz + .wav``.

    Args:
        root: the folder to create.
        sequences: ``(subject, emotion, level, number, fps)`` each; ``fps`` None stores none (the loader assumes
            :data:`~facemotion.data.flame_sequences.MEAD_FPS`).
        frames, n_exp: frames and FLAME expression coefficients of each sequence.

    Returns:
        ``Path(root)``.
    """
    root = Path(root)
    for subject, emotion, level, number, fps in sequences:
        folder = root / subject / emotion / f"level_{level}"
        extra = {} if fps is None else {"fps": np.array(fps)}
        write_flame_sequence(folder / f"{number}.npz", frames=frames, n_exp=n_exp, **extra)
        write_tone(folder / f"{number}.wav", frames / (fps or MEAD_FPS))
    return root


def browser_tools_or_skip(node_modules: Path, packages: Sequence[str]) -> tuple[str, str]:
    """(node, chromium) executables for the headless-browser tests, with ``packages`` installed in ``node_modules``
    (``npm ci --prefix tests/browser``); otherwise ``pytest.skip`` naming what is missing. Chromium is
    ``/usr/bin/chromium`` or the first ``chromium`` on the PATH."""
    import shutil

    import pytest

    node = shutil.which("node")
    chromium = "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else shutil.which("chromium")
    if chromium is None:
        pytest.skip("no chromium: apt-get install -y chromium")
    if node is None:
        pytest.skip("no node: apt-get install -y nodejs npm")
    for package in packages:
        if not (node_modules / package / "package.json").is_file():
            pytest.skip(f"{node_modules.relative_to(node_modules.parents[2])}/{package} is missing: "
                        f"npm ci --prefix {node_modules.parent.relative_to(node_modules.parents[2])}")
    return node, chromium
