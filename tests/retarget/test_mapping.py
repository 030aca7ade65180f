"""Channel mappings: the shipped files, YAML loading, the clipped linear combination, automatic name matching."""

import numpy as np
import pytest

from facemotion.animation import FaceAnimation
from facemotion.exporters.livelink_csv import LIVELINK_BLENDSHAPES
from facemotion.face_models.names import ARKIT_52
from facemotion.retarget.mapping import (
    SHIPPED_MAPPINGS,
    ChannelMapping,
    auto_mapping,
    load_mapping,
    mapping_path,
)
from facemotion.testing import random_animation


@pytest.mark.parametrize("name", SHIPPED_MAPPINGS)
def test_every_shipped_mapping_loads(name):
    mapping = load_mapping(name)
    assert mapping.name == name and mapping_path(name).parent.name == "mappings"
    assert set(mapping.sources) <= set(ARKIT_52)
    weights = mapping.apply(random_animation(frames=3), list(mapping.targets))
    assert weights.shape == (3, len(mapping.targets)) and weights.dtype == np.float32


def test_arkit_is_the_identity():
    assert load_mapping("arkit") == ChannelMapping.identity()


def test_livelink_targets_are_the_app_names_in_the_app_order():
    mapping = load_mapping("livelink")
    assert tuple(mapping.targets) == LIVELINK_BLENDSHAPES
    for target, terms in mapping.targets.items():
        assert terms == ((target[0].lower() + target[1:], 1.0),)
    assert mapping.targets["JawLeft"] == (("jawLeft", 1.0),)  # the app swaps the column order, not the meaning


def test_lr_suffix_splits_sides_and_the_symmetric_shapes():
    mapping = load_mapping("lr_suffix")
    assert mapping.targets["eyeBlink_L"] == (("eyeBlinkLeft", 1.0),)
    assert mapping.targets["mouthSmile_R"] == (("mouthSmileRight", 1.0),)
    for shape in ("browInnerUp", "cheekPuff"):
        assert mapping.targets[f"{shape}_L"] == mapping.targets[f"{shape}_R"] == ((shape, 1.0),)
        assert shape not in mapping.targets
    for direction in ("jawLeft", "jawRight", "mouthLeft", "mouthRight"):  # directions, not sides
        assert mapping.targets[direction] == ((direction, 1.0),)
    assert mapping.sources == ARKIT_52
    assert len(mapping.targets) == 54


def test_lr_suffix_names_every_ict_facekit_expression(shared_ict_facekit):
    stems = {p.stem for p in (shared_ict_facekit / "FaceXModel").glob("*.obj")}
    expressions = {s for s in stems if not s.startswith(("identity", "generic", "cheekRaiser", "PupilDilate"))}
    targets = set(load_mapping("lr_suffix").targets)
    assert expressions == targets - {"tongueOut"}  # ICT-FaceKit has no tongue shape


def test_vrm_vowels_are_the_documented_clipped_combinations():
    channels = ("jawOpen", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthStretchLeft", "mouthStretchRight",
                "mouthSmileLeft", "mouthSmileRight", "mouthPucker", "mouthFunnel", "eyeBlinkLeft", "eyeBlinkRight")
    frames = np.array([
        [0.6, 0.2, 0.2, 0, 0, 0, 0, 0, 0, 0, 0],           # an "ah"
        [0.1, 0, 0, 0.4, 0.4, 0.3, 0.3, 0, 0, 1.0, 0],      # an "ee" with a left wink
        [0.3, 0, 0, 0, 0, 0, 0, 0.8, 0.6, 0, 0.5],          # rounded lips
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],  # everything: sums clip at 1
    ], np.float32)
    animation = FaceAnimation(fps=30.0, weights=frames, channel_names=channels)
    vowels = ("aa", "ih", "ou", "ee", "oh", "blinkLeft", "blinkRight")
    got = load_mapping("vrm_visemes").apply(animation, vowels)
    x = {name: frames[:, i].astype(np.float64) for i, name in enumerate(channels)}
    expected = np.stack([
        x["jawOpen"] + 0.25 * (x["mouthLowerDownLeft"] + x["mouthLowerDownRight"]),
        0.5 * (x["mouthStretchLeft"] + x["mouthStretchRight"] + x["mouthSmileLeft"] + x["mouthSmileRight"]),
        x["mouthPucker"],
        0.5 * (x["mouthStretchLeft"] + x["mouthStretchRight"] + x["jawOpen"]),
        x["mouthFunnel"] + 0.5 * x["jawOpen"],
        x["eyeBlinkLeft"],
        x["eyeBlinkRight"],
    ], 1).clip(0, 1)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert got[0, 0] == pytest.approx(0.7) and got[1, 1] == pytest.approx(0.7) and got[2, 4] == pytest.approx(0.75)
    assert got[3].tolist() == [1.0] * 7


def test_apply_equals_a_naive_loop_with_negative_weights_and_clipping():
    rng = np.random.default_rng(0)
    targets = {f"t{k}": [(str(s), float(rng.uniform(-1, 1.5))) for s in rng.choice(ARKIT_52, 4, replace=False)]
               for k in range(10)}
    mapping = ChannelMapping(targets)
    animation = random_animation(ARKIT_52[5:], frames=7)  # some sources are missing: they count as 0
    got = mapping.apply(animation, list(targets))
    for t in range(7):
        for k, terms in enumerate(targets.values()):
            total = sum(w * animation.weights[t, animation.channel_names.index(s)]
                        for s, w in terms if s in animation.channel_names)
            assert got[t, k] == pytest.approx(min(max(total, 0.0), 1.0), abs=1e-6)


def test_one_source_of_weight_one_is_copied_exactly():
    animation = random_animation(frames=9)
    got = load_mapping("lr_suffix").apply(animation, ["eyeBlink_L", "browInnerUp_R"])
    np.testing.assert_array_equal(got[:, 0], animation.channel("eyeBlinkLeft"))
    np.testing.assert_array_equal(got[:, 1], animation.channel("browInnerUp"))


def test_auto_mapping_matches_exact_and_case_insensitive_names_only():
    mapping = auto_mapping(["JawOpen", "eyeblinkleft", "mouthSmileLeft", "ARKit_jawOpen", "jawOpen_L", "hat"])
    assert dict(mapping.targets) == {
        "JawOpen": (("jawOpen", 1.0),), "eyeblinkleft": (("eyeBlinkLeft", 1.0),),
        "mouthSmileLeft": (("mouthSmileLeft", 1.0),),
    }
    assert mapping.name == "auto"
    assert auto_mapping(["hat", "ARKit_jawOpen"]) is None


def test_a_source_that_is_not_an_arkit_channel_is_named():
    with pytest.raises(ValueError, match=r"not ARKit-52 channels: 'jawOpn' \(in aa\), 'JawOpen' \(in oh\)"):
        ChannelMapping({"aa": [("jawOpn", 1.0)], "oh": [("JawOpen", 0.5), ("mouthFunnel", 1.0)]})


def test_a_yaml_file_with_a_bad_source_is_refused(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("targets:\n  Blink_L: eyeBlinkLeft\n  Smile: {mouthSmile: 1.0}\n")
    with pytest.raises(ValueError, match=r"mapping 'mine' .*'mouthSmile' \(in Smile\)"):
        load_mapping(path)


@pytest.mark.parametrize("text, message", [
    ("- a\n- b\n", "must be a YAML table with a 'targets' table"),
    ("targets: {}\nname: x\n", r"unknown keys \['name'\]"),
    ("targets: {}\n", "has no targets"),
    ("targets: [a, b]\n", "'targets' must be a table"),
    ("targets:\n  a: [jawOpen]\n", "must map to an ARKit channel name or a table"),
    ("targets:\n  a: {jawOpen: high}\n", "must be a finite number, got 'high'"),
    ("targets:\n  a: {jawOpen: .nan}\n", "must be a finite number"),
    ("targets:\n  a: {jawOpen: true}\n", "must be a finite number, got True"),
    ("targets:\n  a: {}\n", "target 'a' has no source channels"),
    ("targets: {a: [}\n", "not readable YAML"),
])
def test_malformed_mapping_files_say_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        ChannelMapping.from_yaml(path)


def test_load_mapping_by_name_path_or_object(tmp_path):
    path = tmp_path / "jaw.yml"
    path.write_text("description: only the jaw\ntargets:\n  Jaw: jawOpen\n")
    assert load_mapping(path) == load_mapping(str(path)) == ChannelMapping({"Jaw": [("jawOpen", 1)]}, name="jaw")
    mapping = load_mapping("vrm_visemes")
    assert load_mapping(mapping) is mapping
    with pytest.raises(ValueError, match=r"unknown mapping 'vrm'; shipped mappings are \['arkit'"):
        load_mapping("vrm")
    with pytest.raises(FileNotFoundError, match="no such mapping file"):
        load_mapping(tmp_path / "missing.yaml")


def test_a_mapping_is_read_only():
    mapping = load_mapping("arkit")
    with pytest.raises(TypeError):
        mapping.targets["jawOpen"] = (("mouthClose", 1.0),)
    with pytest.raises(AttributeError):
        mapping.name = "other"
