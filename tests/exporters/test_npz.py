import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from facemotion.animation import FaceAnimation
from facemotion.exporters.npz import export_npz, read_npz
from facemotion.text.phonemes import PhonemeSegment


def make_animation(**kwargs):
    weights = np.random.default_rng(0).uniform(0, 1, (12, 3)).astype(np.float32)
    names = ("jawOpen", "mouthClose", "tongueOut")
    return FaceAnimation(fps=29.97, weights=weights, channel_names=names, **kwargs)


def test_round_trip_with_phonemes_and_audio(tmp_path):
    phonemes = (
        PhonemeSegment("SIL", 0.0, 0.1),
        PhonemeSegment("HH", 0.1, 0.15, "hello"),
        PhonemeSegment("OW", 0.15, 0.3, "a-rather-long-word-" * 5),
    )
    animation = make_animation(phonemes=phonemes, audio_path=Path("speech/hello.wav"))
    back = read_npz(export_npz(animation, tmp_path / "take.npz"))
    assert back.fps == animation.fps
    assert back.channel_names == animation.channel_names
    assert back.phonemes == phonemes
    assert back.audio_path == Path("speech/hello.wav")
    np.testing.assert_array_equal(back.weights, animation.weights)
    assert back.weights.dtype == np.float32
    assert os.listdir(tmp_path) == ["take.npz"]


def test_round_trip_without_phonemes_or_audio(tmp_path):
    back = read_npz(export_npz(make_animation(), tmp_path / "take.npz"))
    assert back.phonemes == () and back.audio_path is None


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="NPZ take not found"):
        read_npz(tmp_path / "missing.npz")


@pytest.mark.parametrize("corrupt", ["garbage", "truncated", "foreign", "pickled"])
def test_a_corrupt_file_gives_a_one_line_value_error(tmp_path, corrupt):
    path = tmp_path / "take.npz"
    if corrupt == "garbage":
        path.write_bytes(os.urandom(500))
    elif corrupt == "truncated":
        data = export_npz(make_animation(), path).read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif corrupt == "foreign":
        np.savez(path, something=np.zeros(3))
    else:
        np.savez(path, weights=np.array([object()]), fps=1.0, channel_names=[], phonemes=[], audio_path="")
    with pytest.raises(ValueError, match="cannot read .* not a facemotion take") as error:
        read_npz(path)
    assert "\n" not in str(error.value) and "allow_pickle" not in str(error.value)


@pytest.mark.parametrize("content", [b"just text\n", pickle.dumps({"weights": [0.0]}), np.zeros(3).tobytes()])
def test_a_file_that_is_no_npz_is_not_a_take_and_no_pickle_advice(tmp_path, content):
    path = tmp_path / "take.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not a facemotion take .*not an .npz archive") as error:
        read_npz(path)
    assert "pickle" not in str(error.value)


def test_a_folder_or_a_pipe_is_named_as_what_it_is(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder"):
        read_npz(tmp_path)
    os.mkfifo(tmp_path / "pipe.npz")
    with pytest.raises(ValueError, match=r"is a named pipe \(FIFO\)"):
        read_npz(tmp_path / "pipe.npz")


def test_a_missing_folder_writes_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match="output folder does not exist"):
        export_npz(make_animation(), tmp_path / "missing" / "take.npz")
    assert os.listdir(tmp_path) == []


def test_flame_parameters_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    animation = FaceAnimation(
        fps=25.0,
        weights=rng.uniform(0, 1, (4, 52)).astype(np.float32),
        flame_expression=rng.normal(size=(4, 50)).astype(np.float32),
        flame_jaw_pose=rng.normal(0, 0.1, (4, 3)).astype(np.float32),
    )
    back = read_npz(export_npz(animation, tmp_path / "take.npz"))
    np.testing.assert_array_equal(back.flame_expression, animation.flame_expression)
    np.testing.assert_array_equal(back.flame_jaw_pose, animation.flame_jaw_pose)


def test_rotations_round_trip(tmp_path, turning):
    animation = turning(make_animation())
    back = read_npz(export_npz(animation, tmp_path / "take.npz"))
    np.testing.assert_array_equal(back.head_rotation, animation.head_rotation)
    np.testing.assert_array_equal(back.eye_rotation, animation.eye_rotation)
    assert back.head_rotation.dtype == np.float32


def test_a_take_without_rotations_stores_none(tmp_path):
    path = export_npz(make_animation(), tmp_path / "take.npz")
    with np.load(path) as archive:
        assert "head_rotation" not in archive.files and "eye_rotation" not in archive.files
    back = read_npz(path)
    assert back.head_rotation is None and back.eye_rotation is None


def test_rotations_of_the_wrong_shape_are_not_a_take(tmp_path):
    path = tmp_path / "take.npz"
    export_npz(make_animation(), path)
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    np.savez(path, **arrays, head_rotation=np.zeros((5, 3), np.float32))
    with pytest.raises(ValueError, match=r"not a facemotion take.*head_rotation must be .* shape \(12, 3\)"):
        read_npz(path)
