"""Fixtures of the dataset tests: speech files and small synthetic corpora written in exactly their layouts."""

import pickle
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


@pytest.fixture
def write_speech():
    """write_speech(path, seconds, rate=22050) -> path: a mono 16-bit wav of a 220 Hz tone plus noise."""

    def write(path: Path, seconds: float, rate: int = 22_050) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        t = np.arange(round(seconds * rate)) / rate
        noise = np.random.default_rng(len(t)).normal(0, 0.01, len(t))
        sf.write(str(path), 0.3 * np.sin(2 * np.pi * 220 * t) + noise, rate, subtype="PCM_16")
        return path

    return write


@pytest.fixture
def write_vertex_corpus(tmp_path, write_speech):
    """Write the FaceFormer/CodeTalker layout: ``wav/<name>.wav``, ``vertices_npy/<name>.npy``, ``templates.pkl``.

    write_vertex_corpus(names, n_vertices, frames, fps, skip=()) -> (root, templates, vertices): each sequence
    ``<subject>_<sentence>`` gets ``frames`` random (T, V * 3) float32 positions near its subject's template and
    a wav of the same duration at 22,050 Hz; sequences in ``skip`` get no files. ``templates.pkl`` is a protocol
    2 pickle, as Python 2 wrote it.
    """

    def write(names, n_vertices: int, frames: int, fps: float, skip=()):
        root = tmp_path / "corpus"
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
            write_speech(root / "wav" / f"{name}.wav", frames / fps)
        with open(root / "templates.pkl", "wb") as f:
            pickle.dump(templates, f, protocol=2)
        return root, templates, vertices

    return write
