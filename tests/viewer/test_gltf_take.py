"""A take read back from a glTF file: what `animate -o take.glb` and `retarget` write."""

from dataclasses import replace

import numpy as np
import pytest

from facemotion.exporters.gltf import export_gltf
from facemotion.exporters.head_pose import HeadJoints
from facemotion.retarget import retarget
from facemotion.testing import grid_mesh, random_animation
from facemotion.viewer.gltf_take import STILL_FPS, read_gltf_take


def test_an_exported_take_reads_back_with_its_rotations(tmp_path):
    rng = np.random.default_rng(0)
    take = replace(random_animation(frames=7, fps=24.0),
                   head_rotation=rng.uniform(-20, 20, (7, 3)).astype(np.float32),
                   eye_rotation=rng.uniform(-25, 25, (7, 2, 2)).astype(np.float32))
    eyes = HeadJoints(neck=np.zeros(3), eye_vertex_ids=(np.array([2]), np.array([0])),
                      eye_centres=np.array([[0.02, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    path = export_gltf(take, tmp_path / "take.glb", grid_mesh(), joints=eyes)
    back = read_gltf_take(path)
    assert back.channel_names == take.channel_names and back.fps == pytest.approx(24.0, rel=1e-6)
    np.testing.assert_array_equal(back.weights, take.weights)
    np.testing.assert_allclose(back.head_rotation, take.head_rotation, atol=1e-3)  # degrees
    np.testing.assert_allclose(back.eye_rotation, take.eye_rotation, atol=1e-3)
    assert back.phonemes == () and back.audio_path is None


@pytest.mark.filterwarnings("ignore:blendshapes of the character not driven", "ignore:animation channels that drive")
def test_a_retargeted_character_reads_back_with_its_own_names(tmp_path):
    names = ("JawOpen", "smile")
    character = export_gltf(random_animation(names, frames=1), tmp_path / "character.glb", grid_mesh(names))
    take = random_animation(frames=5)
    retarget(take, character, tmp_path / "animated.glb")
    back = read_gltf_take(tmp_path / "animated.glb")  # the last animation: the retargeted take
    assert back.channel_names == ("JawOpen", "smile") and back.n_frames == 5 and back.fps == pytest.approx(30)
    np.testing.assert_array_equal(back.channel("JawOpen"), take.channel("jawOpen"))


def test_a_single_key_is_a_still_and_bad_files_are_named(tmp_path):
    still = read_gltf_take(export_gltf(random_animation(frames=1), tmp_path / "still.gltf", grid_mesh()))
    assert still.n_frames == 1 and still.fps == STILL_FPS
    (tmp_path / "broken.glb").write_bytes(b"glTF\x02\x00\x00\x00garbage")
    with pytest.raises(ValueError, match="broken.glb"):
        read_gltf_take(tmp_path / "broken.glb")
    with pytest.raises(FileNotFoundError, match="glTF take not found"):
        read_gltf_take(tmp_path / "missing.glb")
    with pytest.raises(ValueError, match="ends in .glb or .gltf"):
        read_gltf_take(tmp_path / "broken.usd")
