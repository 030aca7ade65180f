import json

import numpy as np
import pytest

from facemotion.animation import FaceAnimation
from facemotion.exporters import export
from facemotion.exporters.json_curves import export_json_curves, read_json_curves

WEIGHTS = np.random.default_rng(2).uniform(0, 1, (7, 52)).astype(np.float32)


def test_round_trip_keeps_every_key(tmp_path):
    animation = FaceAnimation(fps=29.97, weights=WEIGHTS, audio_path=tmp_path / "speech.wav")
    back = read_json_curves(export(animation, tmp_path / "take.json"))
    np.testing.assert_allclose(back.weights, WEIGHTS, atol=1e-6)
    assert (back.fps, back.channel_names, back.audio_path) == (29.97, animation.channel_names, animation.audio_path)


def test_layout_a_script_can_read(tmp_path):
    document = json.loads(export_json_curves(FaceAnimation(fps=60.0, weights=WEIGHTS), tmp_path / "c.json").read_text())
    jaw = next(c for c in document["channels"] if c["name"] == "jawOpen")
    assert jaw["times"][:3] == [0.0, 0.016667, 0.033333]
    assert document["frame_count"] == 7 and len(jaw["values"]) == 7 and document["audio"] is None


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_json_curves(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="cannot read"):
        read_json_curves(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match="is not facemotion.curves"):
        read_json_curves(tmp_path / "other.json")


def test_rotations_round_trip_and_read_as_curves(tmp_path, turning):
    animation = turning(FaceAnimation(fps=30.0, weights=WEIGHTS))
    path = export_json_curves(animation, tmp_path / "take.json")
    back = read_json_curves(path)
    np.testing.assert_allclose(back.head_rotation, animation.head_rotation, atol=1e-6)  # degrees; asked: 0.1
    np.testing.assert_allclose(back.eye_rotation, animation.eye_rotation, atol=1e-6)
    curves = {curve["name"]: curve for curve in json.loads(path.read_text())["rotations"]}
    assert sorted(curves) == ["Head", "LeftEye", "RightEye"]
    assert sorted(curves["Head"]) == ["name", "pitch", "roll", "times", "yaw"] and "roll" not in curves["LeftEye"]
    assert curves["Head"]["yaw"][2] == pytest.approx(float(animation.head_rotation[2, 1]), abs=1e-6)
    assert curves["RightEye"]["times"][:2] == [0.0, 0.033333]


def test_no_rotations_key_without_rotations(tmp_path):
    path = export_json_curves(FaceAnimation(fps=30.0, weights=WEIGHTS), tmp_path / "take.json")
    assert "rotations" not in json.loads(path.read_text())
    back = read_json_curves(path)
    assert back.head_rotation is None and back.eye_rotation is None


def test_rotations_of_the_wrong_length_are_refused(tmp_path, turning):
    path = export_json_curves(turning(FaceAnimation(fps=30.0, weights=WEIGHTS)), tmp_path / "take.json")
    document = json.loads(path.read_text())
    document["rotations"][0]["yaw"] = document["rotations"][0]["yaw"][:3]
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="every rotation must hold frame_count = 7 angles"):
        read_json_curves(path)
