import numpy as np
import pytest
import yaml

from facemotion.face_models.names import ARKIT_INDEX
from facemotion.text.phonemes import ARPABET, SILENCE
from facemotion.text.visemes import VISEMES, default_viseme_table_path, load_viseme_table


def test_shipped_table_covers_every_phoneme_and_viseme():
    table = load_viseme_table()
    assert set(table.phoneme_to_viseme) == {*ARPABET, SILENCE}
    assert set(table.poses) == set(VISEMES) == set(table.dominance)
    assert all(pose.shape == (52,) and pose.dtype == np.float32 for pose in table.poses.values())


def test_standard_groups():
    mapping = load_viseme_table().phoneme_to_viseme
    assert {mapping[p] for p in ("P", "B", "M")} == {"PP"}
    assert {mapping[p] for p in ("F", "V")} == {"FF"}
    assert mapping[SILENCE] == "sil"


def test_open_vowels_open_the_jaw_more_than_bilabials():
    poses = load_viseme_table().poses
    jaw = ARKIT_INDEX["jawOpen"]
    assert poses["aa"][jaw] > 3 * poses["PP"][jaw]
    assert not poses["sil"].any()


def edited_table(tmp_path, edit):
    raw = yaml.safe_load(default_viseme_table_path().read_text())
    edit(raw)
    path = tmp_path / "visemes.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_unknown_channel_is_rejected(tmp_path):
    path = edited_table(tmp_path, lambda raw: raw["poses"]["aa"].update(mouthOpen=0.5))
    with pytest.raises(ValueError, match="'mouthOpen' is not an ARKit-52 blendshape"):
        load_viseme_table(path)


def test_weight_out_of_range_is_rejected(tmp_path):
    path = edited_table(tmp_path, lambda raw: raw["poses"]["aa"].update(jawOpen=1.5))
    with pytest.raises(ValueError, match="outside"):
        load_viseme_table(path)


def test_missing_phoneme_is_rejected(tmp_path):
    path = edited_table(tmp_path, lambda raw: raw["phoneme_to_viseme"].pop("ZH"))
    with pytest.raises(ValueError, match="phoneme_to_viseme must map exactly"):
        load_viseme_table(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="viseme table not found"):
        load_viseme_table(tmp_path / "none.yaml")
