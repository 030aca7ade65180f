"""Fixtures of the dataset tests: speech files and small synthetic corpora written in exactly their layouts."""

import pytest

from facemotion import testing


@pytest.fixture
def write_speech():
    """write_speech(path, seconds, rate=22050) -> path: a mono 16-bit wav of a 220 Hz tone plus noise."""
    return testing.write_tone


@pytest.fixture
def write_vertex_corpus(tmp_path):
    """Write the FaceFormer/CodeTalker layout under tmp_path/corpus (:func:`facemotion.testing.write_vertex_corpus`).

    write_vertex_corpus(names, n_vertices, frames, fps, skip=()) -> (root, templates, vertices).
    """

    def write(names, n_vertices: int, frames: int, fps: float, skip=()):
        return testing.write_vertex_corpus(tmp_path / "corpus", names, n_vertices, frames, fps, skip)

    return write
