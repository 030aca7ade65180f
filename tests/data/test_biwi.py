import numpy as np
import pytest

from facemotion.data.biwi import BIWI_SPLITS, load_biwi


def test_faceformer_splits():
    assert {k: len(v) for k, v in BIWI_SPLITS.items()} == {"train": 192, "val": 24, "test_a": 24, "test_b": 32}
    seen = {name.split("_")[0] for name in BIWI_SPLITS["train"]}
    assert seen == {"F2", "F3", "F4", "M3", "M4", "M5"}
    assert not seen & {name.split("_")[0] for name in BIWI_SPLITS["test_b"]}
    assert {name.split("_")[1] for name in BIWI_SPLITS["test_a"]} == {"e37", "e38", "e39", "e40"}
    assert BIWI_SPLITS["val"][:4] == ("F2_e33", "F2_e34", "F2_e35", "F2_e36")
    assert not set(BIWI_SPLITS["train"]) & set(BIWI_SPLITS["val"])


def test_test_a_at_25_fps(write_vertex_corpus):
    root, templates, vertices = write_vertex_corpus(BIWI_SPLITS["test_a"], n_vertices=4, frames=5, fps=25.0)
    clips = load_biwi(root, "test_a")
    assert [clip.name for clip in clips] == list(BIWI_SPLITS["test_a"])
    clip = clips[-1]
    assert clip.name == "M5_e40" and clip.subject == "M5" and clip.fps == 25.0 and clip.motion.shape == (5, 12)
    expected = vertices["M5_e40"] - templates["M5"].astype(np.float32).reshape(1, -1)
    np.testing.assert_allclose(clip.motion, expected, atol=1e-7)
    assert len(clip.audio) == 3200


def test_unknown_split_and_missing_sequence(write_vertex_corpus):
    root, _, _ = write_vertex_corpus(BIWI_SPLITS["test_b"], n_vertices=2, frames=3, fps=25.0, skip={"M6_e40"})
    with pytest.raises(ValueError, match="test_a"):
        load_biwi(root, "test")
    with pytest.raises(FileNotFoundError, match="M6_e40"):
        load_biwi(root, "test_b")
