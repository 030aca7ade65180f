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
