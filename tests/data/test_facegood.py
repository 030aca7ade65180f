import warnings

import numpy as np
import openpyxl
import pytest

from facemotion.data.facegood import (
    FACEGOOD_FPS,
    FACEGOOD_TRAIN,
    FACEGOOD_VALIDATION,
    UNMAPPED_CHANNEL_TERMS,
    ARKitMapping,
    load_facegood,
    read_arkit_mapping,
)
from facemotion.face_models.names import ARKIT_52, ARKIT_INDEX

# Rows in the real sheet's shape: ARKIT in column A, Voice2Face in C, Status in G, a blank row under the header.
SHEET = [
    ("ARKIT", None, "Voice2Face", None, None, None, "Status"),
    (None,) * 7,
    ("eyeBlinkLeft", None, "eye_blink2_l", None, None, None, "Invalid"),
    ("jawOpen", None, "mouth_stretch_c", None, None, None, "valid"),
    ("mouthFunnel", None, "max(mouth_funnel_dl, mouth_funnel_ur)", None, None, None, "valid"),
    ("mouthPucker", None, "max(mouth_pucker_l,mouth_pucker_r)", None, None, None, "valid"),
    ("MOUTHCLOSE", None, "mouth_chew_c", None, None, None, "valid"),
    ("browDownleft", None, "brow_lower_l", None, None, None, "Invalid"),
    ("tongueOut", None, None, None, None, None, "Invalid"),
    ("Note: 'max' means the max value between different blendshapes.", None, None, None, None, None, None),
]
RIG = (
    "brow_lower_l",
    "mouth_stretch_c",
    "mouth_oh_c",
    "mouth_oo_c",
    "mouth_funnel_dl",
    "mouth_funnel_ur",
    "mouth_pucker_l",
    "mouth_pucker_r",
    "mouth_chew_c",
    "eye_blink2_l",
)


def write_sheet(path, rows=SHEET):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.create_sheet("Sheet2")
    workbook.save(path)
    return path


@pytest.fixture
def synthetic_facegood(tmp_path, write_speech):
    """A FACEGOOD folder with the synthetic sheet and a 10-channel rig: 60 frames (2 s) of take ``t_01``."""
    root = tmp_path / "facegood"
    root.mkdir()
    write_sheet(root / "Voice2Face_blendshape2ARkit.xlsx")
    np.save(root / "shirley_1015_bs_name.npy", np.array(RIG))
    values = np.random.default_rng(3).uniform(0, 1, (60, len(RIG)))
    np.save(root / "bs_value_t_01.npy", values)
    write_speech(root / "t_01.wav", 2.0, rate=16_000)
    return root, values


@pytest.fixture(scope="module")
def real_take(shared_facegood):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clip = load_facegood(shared_facegood, FACEGOOD_VALIDATION[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        names = [str(n) for n in np.load(shared_facegood / "shirley_1015_bs_name.npy")]
        values = np.load(shared_facegood / f"bs_value_{FACEGOOD_VALIDATION[0]}.npy")
    return clip, {name: values[:, i] for i, name in enumerate(names)}, caught


def test_sheet_rows_parse_to_max_terms(tmp_path):
    mapping = read_arkit_mapping(write_sheet(tmp_path / "map.xlsx"), extra_terms={})
    assert mapping.terms == {
        "jawOpen": (("mouth_stretch_c", 1.0),),
        "mouthFunnel": (("mouth_funnel_dl", 1.0), ("mouth_funnel_ur", 1.0)),
        "mouthPucker": (("mouth_pucker_l", 1.0), ("mouth_pucker_r", 1.0)),
        "mouthClose": (("mouth_chew_c", 1.0),),
    }
    assert np.flatnonzero(mapping.mask).tolist() == sorted(ARKIT_INDEX[n] for n in mapping.terms)


def test_extra_terms_join_their_rows(tmp_path):
    mapping = read_arkit_mapping(write_sheet(tmp_path / "map.xlsx"))
    assert mapping.terms["jawOpen"] == (("mouth_stretch_c", 1.0), ("mouth_oh_c", 0.4))
    assert mapping.terms["mouthFunnel"][-1] == ("mouth_oh_c", 0.6)
    assert mapping.terms["mouthPucker"][-1] == ("mouth_oo_c", 1.0)
    assert set(UNMAPPED_CHANNEL_TERMS) == {"jawOpen", "mouthFunnel", "mouthPucker"}


def test_apply_takes_the_maximum_and_zeroes_invalid_rows(tmp_path):
    mapping = read_arkit_mapping(write_sheet(tmp_path / "map.xlsx"))
    values = np.random.default_rng(0).uniform(0, 1, (40, len(RIG)))
    column = {name: values[:, i] for i, name in enumerate(RIG)}
    weights, mask = mapping.apply(values, RIG)
    assert weights.shape == (40, 52) and weights.dtype == np.float32 and mask.dtype == bool
    np.testing.assert_allclose(
        weights[:, ARKIT_INDEX["jawOpen"]], np.maximum(column["mouth_stretch_c"], 0.4 * column["mouth_oh_c"]), rtol=1e-6
    )
    np.testing.assert_allclose(
        weights[:, ARKIT_INDEX["mouthFunnel"]],
        np.max([column["mouth_funnel_dl"], column["mouth_funnel_ur"], 0.6 * column["mouth_oh_c"]], axis=0),
        rtol=1e-6,
    )
    for invalid in ("eyeBlinkLeft", "browDownLeft", "tongueOut"):
        assert not mask[ARKIT_INDEX[invalid]] and not weights[:, ARKIT_INDEX[invalid]].any()


def test_arkit_names_match_case_insensitively(tmp_path):
    rows = [*SHEET[:2], ("browDownleft", None, "brow_lower_l", None, None, None, "valid")]
    mapping = read_arkit_mapping(write_sheet(tmp_path / "map.xlsx", rows), extra_terms={})
    assert mapping.terms == {"browDownLeft": (("brow_lower_l", 1.0),)}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("jawOpen", None, "mouth_stretch_c", None, None, None, "maybe"), "status"),
        (("jawOpn", None, "mouth_stretch_c", None, None, None, "valid"), "not an ARKit-52 name"),
        (("mouthLeft", None, "min(a,b)", None, None, None, "valid"), "max"),
        (("mouthRight", None, None, None, None, None, "valid"), "max"),
        (("jawOpen", None, "mouth_oh_c", None, None, None, "valid"), "second valid row"),
    ],
)
def test_malformed_rows_are_refused_with_their_row_number(tmp_path, row, message):
    path = write_sheet(tmp_path / "map.xlsx", [*SHEET, row])
    with pytest.raises(ValueError, match=f"row {len(SHEET) + 1}.*{message}"):
        read_arkit_mapping(path)


def test_bad_workbooks_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.xlsx"):
        read_arkit_mapping(tmp_path / "absent.xlsx")
    (tmp_path / "text.xlsx").write_text("ARKIT,Voice2Face,Status\n")
    with pytest.raises(ValueError, match="not a readable xlsx"):
        read_arkit_mapping(tmp_path / "text.xlsx")
    with pytest.raises(ValueError, match="no header row"):
        read_arkit_mapping(write_sheet(tmp_path / "headless.xlsx", SHEET[2:]))
    rows = [row for row in SHEET if row[0] != "mouthPucker"]
    with pytest.raises(ValueError, match="mouthPucker.*no valid row"):
        read_arkit_mapping(write_sheet(tmp_path / "map.xlsx", rows))


def test_apply_refuses_curves_it_cannot_map(tmp_path):
    mapping = read_arkit_mapping(write_sheet(tmp_path / "map.xlsx"))
    with pytest.raises(ValueError, match="mouth_oo_c"):
        mapping.apply(np.zeros((3, len(RIG) - 1)), [n for n in RIG if n != "mouth_oo_c"])
    with pytest.raises(ValueError, match=r"\(T, 10\)"):
        mapping.apply(np.zeros((3, 9)), RIG)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        mapping.apply(np.full((3, 10), 1.2), RIG)
    with pytest.raises(ValueError, match="ARKit-52 name"):
        ARKitMapping({"jaw_open": (("mouth_stretch_c", 1.0),)})


def test_load_a_synthetic_take(synthetic_facegood):
    root, values = synthetic_facegood
    clip = load_facegood(root, "t_01")
    assert clip.representation == "arkit" and clip.fps == FACEGOOD_FPS and clip.subject == "facegood"
    assert clip.motion.shape == (60, 52) and clip.audio.shape == (32_000,)
    np.testing.assert_allclose(
        clip.motion[:, ARKIT_INDEX["mouthClose"]], values[:, RIG.index("mouth_chew_c")], rtol=1e-6
    )
    assert clip.channel_mask.sum() == 4
    jaw = ARKIT_INDEX["jawOpen"]
    stretch, oh = values[:, RIG.index("mouth_stretch_c")], values[:, RIG.index("mouth_oh_c")]
    np.testing.assert_allclose(clip.motion[:, jaw], np.maximum(stretch, 0.4 * oh), rtol=1e-6)
    official = load_facegood(root, "t_01", extra_terms={})  # the spreadsheet's valid rows alone
    np.testing.assert_allclose(official.motion[:, jaw], stretch, rtol=1e-6)
    np.testing.assert_array_equal(official.channel_mask, clip.channel_mask)


def test_load_errors_name_the_file(synthetic_facegood, write_speech):
    root, values = synthetic_facegood
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_facegood(root / "nowhere", "t_01")
    with pytest.raises(FileNotFoundError, match="bs_value_t_02.npy"):
        load_facegood(root, "t_02")
    np.save(root / "bs_value_t_02.npy", values[:, :-1])
    with pytest.raises(ValueError, match=r"bs_value_t_02.npy has shape \(60, 9\)"):
        load_facegood(root, "t_02")
    np.save(root / "bs_value_t_02.npy", values)
    with pytest.raises(FileNotFoundError, match="t_02.wav"):
        load_facegood(root, "t_02")
    write_speech(root / "t_02.wav", 3.5)
    with pytest.raises(ValueError, match="t_02.wav lasts 3.50 s.*bs_value_t_02.npy lasts 2.00 s"):
        load_facegood(root, "t_02")


def test_real_take_maps_mouth_and_jaw_only(real_take):
    clip, _, caught = real_take
    assert clip.name == "1114_3_15" and clip.motion.shape == (1472, 52) and clip.motion.dtype == np.float32
    masked = [ARKIT_52[i] for i in np.flatnonzero(clip.channel_mask)]
    assert len(masked) == 27 and all(name.startswith(("jaw", "mouth")) for name in masked)
    assert not clip.motion[:, ~clip.channel_mask].any()
    assert not [w for w in caught if "Python 2" in str(w.message)]


def test_real_jaw_open_follows_the_rig_jaw(real_take):
    clip, rig, _ = real_take
    jaw_open = clip.motion[:, ARKIT_INDEX["jawOpen"]]
    assert np.corrcoef(jaw_open, rig["mouth_stretch_c"])[0, 1] > 0.8
    np.testing.assert_allclose(jaw_open, np.maximum(rig["mouth_stretch_c"], 0.4 * rig["mouth_oh_c"]), rtol=1e-6)


def test_real_audio_lasts_as_long_as_the_motion(real_take):
    clip, _, _ = real_take
    assert abs(len(clip.audio) / 16_000 - clip.duration) < 0.1


def test_every_named_take_is_in_the_shared_folder(shared_facegood):
    for name in FACEGOOD_TRAIN + FACEGOOD_VALIDATION:
        assert (shared_facegood / f"bs_value_{name}.npy").is_file() and (shared_facegood / f"{name}.wav").is_file()
