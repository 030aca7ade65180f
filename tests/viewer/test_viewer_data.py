"""What the viewer shows (facemotion.viewer.data), the widget's traits and a take's notebook display."""

import io
import sys
from dataclasses import replace
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from facemotion.audio.io import read_audio
from facemotion.exporters.gltf import export_gltf
from facemotion.exporters.head_pose import eye_rotations, head_rotations
from facemotion.testing import grid_mesh, random_animation
from facemotion.text.phonemes import PhonemeSegment
from facemotion.viewer.data import DEFAULT_CURVES, MAX_TAKES, viewer_data, wav_bytes

SPEECH = Path(str(files("facemotion.assets") / "samples" / "LJ001-0001.flac"))


def turning_take(frames: int = 6):
    rng = np.random.default_rng(2)
    phonemes = (PhonemeSegment("M", 0.0, 0.1, "me"), PhonemeSegment("IY", 0.1, 0.2, "me"))
    return replace(random_animation(frames=frames), phonemes=phonemes, audio_path=SPEECH,
                   head_rotation=rng.uniform(-20, 20, (frames, 3)).astype(np.float32),
                   eye_rotation=rng.uniform(-25, 25, (frames, 2, 2)).astype(np.float32))


def test_a_take_travels_as_float32_curves_quaternions_and_tracks():
    take = turning_take()
    data = viewer_data(take)
    (state,) = data.takes
    assert state["name"] == "LJ001-0001" and state["fps"] == 30.0 and state["frames"] == 6
    assert state["channels"] == list(take.channel_names)
    np.testing.assert_array_equal(np.frombuffer(state["weights"], "<f4").reshape(6, 52), take.weights)
    quaternions = {name: np.frombuffer(data, "<f4").reshape(6, 4) for name, data in state["joints"].items()}
    np.testing.assert_allclose(quaternions["Neck"], head_rotations(take.head_rotation).as_quat(), atol=1e-7)
    eyes = eye_rotations(take.eye_rotation).as_quat().reshape(6, 2, 4)
    np.testing.assert_allclose(quaternions["LeftEye"], eyes[:, 0], atol=1e-7)
    np.testing.assert_allclose(quaternions["RightEye"], eyes[:, 1], atol=1e-7)
    assert state["phonemes"] == [["M", 0.0, 0.1], ["IY", 0.1, 0.2]] and state["words"] == [["me", 0.0, 0.2]]
    assert data.channels == DEFAULT_CURVES
    assert data.character[:4] == b"glTF"


def test_the_speech_is_a_wav_of_what_the_pipeline_decodes():
    samples, rate = read_audio(SPEECH)
    wav, wav_rate = sf.read(io.BytesIO(wav_bytes(SPEECH)), dtype="float32")
    assert wav_rate == rate and wav.shape == (len(samples),)
    np.testing.assert_allclose(wav, samples.mean(axis=1), atol=1.5 / 32768)


def test_a_missing_recorded_audio_file_warns_and_an_absent_given_one_fails(tmp_path):
    take = replace(random_animation(), audio_path=tmp_path / "gone.wav")
    with pytest.warns(UserWarning, match="gone.wav is missing"):
        assert viewer_data(take).audio is None
    with pytest.raises(FileNotFoundError, match="audio file not found"):
        viewer_data(take, audio=tmp_path / "nothing.wav")
    (tmp_path / "text.wav").write_text("not audio")
    with pytest.raises(ValueError, match="not a readable audio file"):
        viewer_data(take, audio=tmp_path / "text.wav")


def test_bad_takes_labels_and_channels_are_refused():
    take = random_animation()
    with pytest.raises(ValueError, match=f"1 to {MAX_TAKES} takes, got 0"):
        viewer_data([])
    with pytest.raises(ValueError, match=f"1 to {MAX_TAKES} takes, got 5"):
        viewer_data([take] * 5)
    with pytest.raises(ValueError, match="without frames"):
        viewer_data(take.select_frames(slice(0, 0)))
    with pytest.raises(ValueError, match="1 labels for 2 takes"):
        viewer_data([take, take], labels=["one"])
    with pytest.raises(ValueError, match=r"no channels \['jaw'\]"):
        viewer_data(take, channels=["jaw"])
    with pytest.raises(ValueError, match="a mapping applies to a character"):
        viewer_data(take, mapping="arkit")
    with pytest.raises(TypeError, match="FaceAnimation"):
        viewer_data([take.weights])


def test_a_character_is_driven_by_its_own_names_through_the_mapping(tmp_path):
    names = ("JawOpen", "eyeBlink_L", "eyeBlink_R", "smile")
    character = export_gltf(random_animation(names), tmp_path / "character.glb", grid_mesh(names))
    take = random_animation(frames=4)
    data = viewer_data(take, character=character)  # ARKit names ignoring case: JawOpen only
    assert data.takes[0]["channels"] == ["JawOpen"] and data.channels == ("JawOpen",)
    np.testing.assert_array_equal(np.frombuffer(data.takes[0]["weights"], "<f4"), take.channel("jawOpen"))
    assert data.character == character.read_bytes()
    suffixed = viewer_data(take, character=character, mapping="lr_suffix")
    assert suffixed.takes[0]["channels"] == ["eyeBlink_L", "eyeBlink_R"]
    with pytest.raises(ValueError, match="none of the blendshapes"):
        viewer_data(take, character=export_gltf(random_animation(("a", "b")), tmp_path / "ab.glb",
                                                grid_mesh(("a", "b"))))
    (tmp_path / "fake.glb").write_bytes(b"not a glb")
    with pytest.raises(ValueError, match="not a GLB file"):
        viewer_data(take, character=tmp_path / "fake.glb")


def test_a_gltf_character_with_an_embedded_buffer_is_packed_into_one_glb(tmp_path):
    names = ("jawOpen", "smile")
    character = export_gltf(random_animation(names), tmp_path / "character.gltf", grid_mesh(names))
    data = viewer_data(random_animation(names), character=character)
    assert data.character[:4] == b"glTF" and data.takes[0]["channels"] == list(names)


def test_the_widget_syncs_the_state_and_checks_the_curves():
    from traitlets import TraitError

    from facemotion.viewer.widget import Viewer

    take = turning_take()
    viewer = Viewer(take, take, labels=["a", "b"], channels=["jawOpen"])
    assert [t["name"] for t in viewer.takes] == ["a", "b"] and viewer.channels == ["jawOpen"]
    assert viewer.audio[:4] == b"RIFF" and viewer.character[:4] == b"glTF"
    viewer.channels = ["mouthClose", "browInnerUp"]
    with pytest.raises(TraitError, match="no channels"):
        viewer.channels = ["jaw"]
    assert "three.js" in (Path(__file__).parents[2] / "facemotion/viewer/static/three.LICENSE").read_text()


def test_a_take_displays_itself_as_the_viewer_in_a_kernel_and_as_text_elsewhere(monkeypatch):
    kernel = pytest.importorskip("ipykernel")
    monkeypatch.delitem(sys.modules, "ipykernel")
    assert set(turning_take()._repr_mimebundle_()[0]) == {"text/plain"}  # a terminal IPython: no widget built
    monkeypatch.setitem(sys.modules, "ipykernel", kernel)
    data, _ = turning_take()._repr_mimebundle_()
    assert data["text/plain"] == ("FaceAnimation: 6 frames at 30 fps (0.20 s), 52 channels, 2 phonemes, "
                                  "speech LJ001-0001.flac")
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"]
