import numpy as np
import pytest

from facemotion.data.vertex_corpus import load_vertex_corpus
from facemotion.data.vocaset import VOCASET_MISSING, VOCASET_SPLITS, load_vocaset

MISSING = "FaceTalk_170809_00138_TA_sentence32"


def subjects(split):
    return {name.rsplit("_", 1)[0] for name in VOCASET_SPLITS[split]}


def test_faceformer_splits():
    assert {k: len(v) for k, v in VOCASET_SPLITS.items()} == {"train": 320, "val": 40, "test": 40}
    assert len(subjects("train")) == 8 and len(subjects("val")) == 2 and len(subjects("test")) == 2
    assert not subjects("train") & subjects("val") and not subjects("val") & subjects("test")
    assert VOCASET_SPLITS["train"][0] == "FaceTalk_170728_03272_TA_sentence01"
    assert VOCASET_SPLITS["val"][0] == "FaceTalk_170811_03275_TA_sentence21"
    assert VOCASET_SPLITS["test"][-1] == "FaceTalk_170731_00024_TA_sentence40"
    assert VOCASET_MISSING == {MISSING} and MISSING in VOCASET_SPLITS["test"]


@pytest.fixture
def test_split(write_vertex_corpus):
    return write_vertex_corpus(VOCASET_SPLITS["test"], n_vertices=6, frames=9, fps=60.0, skip={MISSING})


def test_test_split_keeps_every_second_frame(test_split):
    root, templates, vertices = test_split
    clips = load_vocaset(root, "test")
    assert [clip.name for clip in clips] == [name for name in VOCASET_SPLITS["test"] if name != MISSING]
    clip = clips[0]
    assert clip.subject == "FaceTalk_170809_00138_TA" and clip.representation == "vertices"
    assert clip.fps == 30.0 and clip.motion.shape == (5, 18) and clip.template.shape == (6, 3)
    expected = vertices[clip.name][::2] - templates[clip.subject].astype(np.float32).reshape(1, -1)
    np.testing.assert_allclose(clip.motion, expected, atol=1e-7)
    np.testing.assert_array_equal(clip.template, templates[clip.subject].astype(np.float32))
    assert len(clip.audio) == round(9 / 60 * 16_000)


def test_60_fps_keeps_every_frame_and_other_rates_are_refused(test_split):
    root, _, _ = test_split
    clip = load_vocaset(root, "test", fps=60.0)[0]
    assert clip.fps == 60.0 and clip.n_frames == 9
    with pytest.raises(ValueError, match="fps"):
        load_vocaset(root, "test", fps=25.0)
    with pytest.raises(ValueError, match="split"):
        load_vocaset(root, "validation")


def test_missing_files_outside_the_known_gap_are_errors(test_split):
    root, _, _ = test_split
    (root / "vertices_npy" / "FaceTalk_170731_00024_TA_sentence25.npy").unlink()
    with pytest.raises(FileNotFoundError, match="FaceTalk_170731_00024_TA_sentence25.npy"):
        load_vocaset(root, "test")
    with pytest.raises(FileNotFoundError, match="wav"):
        load_vocaset(root.parent / "empty", "test")
    (root / "templates.pkl").unlink()
    with pytest.raises(FileNotFoundError, match="templates.pkl"):
        load_vocaset(root, "test")


def test_malformed_sequences_are_refused(test_split, write_speech):
    root, _, vertices = test_split
    name = VOCASET_SPLITS["test"][0]
    np.save(root / "vertices_npy" / f"{name}.npy", vertices[name][:, :15])
    with pytest.raises(ValueError, match=rf"{name}.npy has shape \(9, 15\), expected \(T, 18\)"):
        load_vocaset(root, "test")
    np.save(root / "vertices_npy" / f"{name}.npy", vertices[name])
    write_speech(root / "wav" / f"{name}.wav", 2.0)
    with pytest.raises(ValueError, match=rf"{name}.wav lasts 2.00 s"):
        load_vocaset(root, "test")


def test_a_subject_without_template_is_refused(write_vertex_corpus):
    root, _, _ = write_vertex_corpus(VOCASET_SPLITS["val"], n_vertices=3, frames=4, fps=60.0)
    with pytest.raises(ValueError, match="no template for subject 'FaceTalk_170809_00138_TA'"):
        load_vocaset(root, "test")


def test_real_vertex_count(write_vertex_corpus):
    name = VOCASET_SPLITS["train"][0]
    root, _, _ = write_vertex_corpus([name], n_vertices=5023, frames=4, fps=60.0)
    (clip,) = load_vertex_corpus(root, [name], source_fps=60.0, stride=2)
    assert clip.motion.shape == (2, 15069) and clip.template.shape == (5023, 3)
    assert np.abs(clip.motion).max() < 0.02  # metres: offsets of millimetres, far below the template's spread
