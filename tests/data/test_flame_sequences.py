import numpy as np
import pytest

from facemotion.data.flame_sequences import load_flame_sequence, load_mead_pseudo_gt
from facemotion.testing import write_flame_sequence as write_npz
from facemotion.testing import write_mead_corpus


def test_a_sequence_is_expression_then_jaw_pose(tmp_path, write_speech):
    arrays = write_npz(tmp_path / "seq.npz", frames=60, fps=np.array(30.0))
    clip = load_flame_sequence(tmp_path / "seq.npz", write_speech(tmp_path / "seq.wav", 2.0))
    assert clip.name == "seq" and clip.representation == "flame" and clip.fps == 30.0
    assert clip.motion.shape == (60, 53) and clip.motion.dtype == np.float32
    np.testing.assert_allclose(clip.motion[:, :50], arrays["expression"], rtol=1e-6)
    np.testing.assert_allclose(clip.motion[:, 50:], arrays["jaw_pose"], rtol=1e-6)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({}, "has no fps"),
        ({"fps": np.array([25.0, 30.0])}, "scalar"),
        ({"fps": np.array(-1.0)}, "scalar > 0"),
        ({"fps": np.array(25.0), "jaw_pose": np.zeros((49, 3))}, r"jaw_pose \(T, 3\)"),
        ({"fps": np.array(25.0), "expression": np.zeros(50)}, r"expression must be \(T, n_exp\)"),
    ],
)
def test_malformed_sequences_are_refused(tmp_path, write_speech, changes, message):
    arrays = {**write_npz(tmp_path / "seq.npz"), **changes}
    np.savez(tmp_path / "seq.npz", **arrays)
    with pytest.raises(ValueError, match=message):
        load_flame_sequence(tmp_path / "seq.npz", write_speech(tmp_path / "seq.wav", 2.0))


def test_missing_and_unreadable_files(tmp_path, write_speech):
    wav = write_speech(tmp_path / "seq.wav", 2.0)
    with pytest.raises(FileNotFoundError, match="absent.npz"):
        load_flame_sequence(tmp_path / "absent.npz", wav)
    (tmp_path / "text.npz").write_text("expression")
    with pytest.raises(ValueError, match="not a readable .npz"):
        load_flame_sequence(tmp_path / "text.npz", wav)
    write_npz(tmp_path / "seq.npz", fps=np.array(25.0))
    with pytest.raises(ValueError, match="seq.wav lasts 4.00 s.*seq.npz lasts 2.00 s"):
        load_flame_sequence(tmp_path / "seq.npz", write_speech(tmp_path / "seq.wav", 4.0))


MEAD_SEQUENCES = (
    ("W009", "happy", 2, "001", None),
    ("M003", "neutral", 1, "001", 25.0),
    ("M003", "angry", 3, "012", 30.0),
)
"""Three sequences in our MEAD layout; one stores no fps (25 is assumed), one stores 30."""


@pytest.fixture
def mead(tmp_path):
    return write_mead_corpus(tmp_path / "mead", MEAD_SEQUENCES)


def test_mead_layout_labels_emotion_and_intensity(mead):
    clips = load_mead_pseudo_gt(mead)
    assert [clip.name for clip in clips] == [
        "M003_angry_level_3_012",
        "M003_neutral_level_1_001",
        "W009_happy_level_2_001",
    ]
    labels = [(clip.subject, clip.emotion, clip.intensity, clip.fps) for clip in clips]
    assert labels == [
        ("M003", "angry", 1.0, 30.0),
        ("M003", "neutral", 0.0, 25.0),
        ("W009", "happy", pytest.approx(2 / 3), 25.0),
    ]
    assert all(clip.motion.shape == (30, 53) and clip.representation == "flame" for clip in clips)


def test_mead_layout_errors(mead, tmp_path, write_speech):
    (mead / "M003" / "angry" / "level_3" / "012.wav").unlink()
    with pytest.raises(FileNotFoundError, match="012.wav"):
        load_mead_pseudo_gt(mead)
    write_speech(mead / "M003" / "angry" / "level_3" / "012.wav", 1.0)
    write_npz(mead / "M003" / "angry" / "level_4" / "001.npz", frames=25)
    with pytest.raises(ValueError, match="level_4"):
        load_mead_pseudo_gt(mead)
    (mead / "M003" / "angry" / "level_4" / "001.npz").unlink()
    write_npz(mead / "M003" / "joy" / "level_1" / "001.npz", frames=25)
    with pytest.raises(ValueError, match="joy"):
        load_mead_pseudo_gt(mead)
    (mead / "M003" / "joy" / "level_1" / "001.npz").unlink()
    write_npz(mead / "M005" / "sad" / "level_1" / "001.npz", frames=25, n_exp=100)
    write_speech(mead / "M005" / "sad" / "level_1" / "001.wav", 1.0)
    with pytest.raises(ValueError, match=r"disagree on n_exp \+ 3: \[53, 103\]"):
        load_mead_pseudo_gt(mead)
    with pytest.raises(FileNotFoundError, match="no <subject>"):
        load_mead_pseudo_gt(tmp_path / "mead" / "W009" / "happy")
    with pytest.raises(FileNotFoundError, match="absent"):
        load_mead_pseudo_gt(tmp_path / "absent")
