"""Retargeting onto glTF characters: the weights read back by pygltflib, and the rest of the file kept intact."""

import base64
import json
import shutil
import struct
import subprocess
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pygltflib as gl
import pytest
from pygltflib import validator

from facemotion.exporters.gltf import export_gltf
from facemotion.exporters.livelink_csv import LIVELINK_BLENDSHAPES
from facemotion.face_models.names import ARKIT_52
from facemotion.retarget import read_character, retarget
from facemotion.retarget.mapping import load_mapping
from facemotion.testing import grid_mesh, random_animation

FPS = 30.0
BROWSER = Path(__file__).resolve().parents[1] / "browser"  # node_modules with the Khronos gltf-validator
LR_NAMES = tuple(load_mapping("lr_suffix").targets)
FACE_NAMES = LR_NAMES[:-1] + ("extraShape",)  # no tongueOut, one unrelated shape
EXTRA_REST_WEIGHT = 0.25

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*(not driven|not on the character|drive no blendshape)", "ignore:pygltf.utils.validator is a provisional"
)


def read_glb(path):
    """The JSON document and binary chunk of a GLB, parsed by hand (no schema, no defaults added)."""
    data = path.read_bytes()
    json_length = struct.unpack_from("<I", data, 12)[0]
    document = json.loads(data[20:20 + json_length])
    blob_length = struct.unpack_from("<I", data, 20 + json_length)[0]
    return document, data[28 + json_length:28 + json_length + blob_length]


def write_glb(path, document, blob):
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    blob += b"\0" * (-len(blob) % 4)
    body = struct.pack("<II", len(text), 0x4E4F534A) + text + struct.pack("<II", len(blob), 0x004E4942) + blob
    path.write_bytes(struct.pack("<III", 0x46546C67, 2, 12 + len(body)) + body)


def make_character(path):
    """A GLB character: mesh "Face" (lr_suffix names + "extraShape" at rest weight 0.25, sparse targets) and a
    teeth mesh with a "jawOpen" target under a "Jaw" joint node; a skin, a material extension, extras and two
    animations of its own (the face's weights, the jaw's rotation)."""
    mesh = grid_mesh(FACE_NAMES)
    export_gltf(random_animation(FACE_NAMES, seed=7), path, mesh, take="idle")
    document, blob = read_glb(path)
    face = document["meshes"][0]
    face["weights"][-1] = EXTRA_REST_WEIGHT
    primitive = face["primitives"][0]
    document["meshes"].append({
        "name": "Teeth", "weights": [0.0], "extras": {"targetNames": ["jawOpen"]},
        "primitives": [{"attributes": dict(primitive["attributes"]), "indices": primitive["indices"],
                        "targets": [primitive["targets"][FACE_NAMES.index("jawOpen")]]}],
    })
    document["nodes"][0]["children"] = [1]
    document["nodes"].append({"name": "Jaw", "children": [2], "translation": [0, -0.01, 0], "extras": {"bone": True}})
    document["nodes"].append({"name": "Teeth", "mesh": 1})
    document["skins"] = [{"name": "Rig", "joints": [1]}]
    document["materials"][0]["extensions"] = {"KHR_materials_emissive_strength": {"emissiveStrength": 2.0}}
    document["extensionsUsed"] = ["KHR_materials_emissive_strength"]
    document["extras"] = {"author": "test"}

    times = np.array([0.0, 0.5], np.float32)
    rotations = np.array([[0, 0, 0, 1], [0.2588190, 0, 0, 0.9659258]], np.float32)
    accessors = []
    for values, kind in ((times, "SCALAR"), (rotations, "VEC4")):
        document["bufferViews"].append({"buffer": 0, "byteOffset": len(blob), "byteLength": values.nbytes})
        blob += values.tobytes()
        accessor = {"bufferView": len(document["bufferViews"]) - 1, "componentType": 5126, "count": len(values),
                    "type": kind}
        if kind == "SCALAR":
            accessor.update(min=[0.0], max=[0.5])
        document["accessors"].append(accessor)
        accessors.append(len(document["accessors"]) - 1)
    document["animations"].append({
        "name": "jawTurn", "samplers": [{"input": accessors[0], "output": accessors[1]}],
        "channels": [{"sampler": 0, "target": {"node": 1, "path": "rotation"}}],
    })
    document["buffers"][0]["byteLength"] = len(blob)
    write_glb(path, document, blob)
    return path


@pytest.fixture
def character(tmp_path):
    path = make_character(tmp_path / "character.glb")
    validator.validate(gl.GLTF2.load(str(path)))
    return path


def buffer_data(gltf, index, folder):
    uri = gltf.buffers[index].uri
    if uri is None:
        return gltf.binary_blob()
    if uri.startswith("data:"):
        return base64.b64decode(uri.split(",", 1)[1])
    return (folder / unquote(uri)).read_bytes()


def read_floats(gltf, index, folder, width=1):
    """A dense float32 accessor, decoded as the specification says (3.6.2)."""
    accessor = gltf.accessors[index]
    view = gltf.bufferViews[accessor.bufferView]
    data = buffer_data(gltf, view.buffer, folder)
    start = (view.byteOffset or 0) + (accessor.byteOffset or 0)
    return np.frombuffer(data, np.float32, accessor.count * width, start).reshape(accessor.count, width)


def new_take(gltf, folder, name="facemotion"):
    """{node name: (times (T,), weights (T, K))} of the animation ``name``."""
    (clip,) = [a for a in gltf.animations if a.name == name]
    result = {}
    for channel in clip.channels:
        assert channel.target.path == "weights"
        sampler = clip.samplers[channel.sampler]
        assert sampler.interpolation == "LINEAR"
        times = read_floats(gltf, sampler.input, folder)[:, 0]
        n_targets = len(gltf.meshes[gltf.nodes[channel.target.node].mesh].extras["targetNames"])
        result[gltf.nodes[channel.target.node].name] = (times, read_floats(gltf, sampler.output, folder).reshape(
            len(times), n_targets))
    return result


@pytest.mark.parametrize("suffix", [".glb", ".gltf"])
def test_mapped_weights_read_back_at_every_frame(character, tmp_path, suffix):
    animation = random_animation(frames=8)
    out = tmp_path / f"talking{suffix}"
    report = retarget(animation, character, out, mapping="lr_suffix")
    assert report.output == out and report.mapping == "lr_suffix"
    assert report.mapped == LR_NAMES[:-1]
    assert report.unmapped_targets == ("extraShape",)
    assert report.unused_channels == ("tongueOut",)
    assert report.missing_targets == ("tongueOut",)

    gltf = gl.GLTF2.load(str(out))
    validator.validate(gltf)
    take = new_take(gltf, tmp_path)
    assert set(take) == {"Face", "Teeth"}
    expected_times = (np.arange(8) / FPS).astype(np.float32)
    face_times, face = take["Face"]
    np.testing.assert_array_equal(face_times, expected_times)
    mapping = load_mapping("lr_suffix")
    for k, name in enumerate(FACE_NAMES[:-1]):
        ((source, _),) = mapping.targets[name]
        np.testing.assert_allclose(face[:, k], animation.channel(source), atol=1e-6, err_msg=name)
    np.testing.assert_array_equal(face[:, -1], EXTRA_REST_WEIGHT)  # the unmapped shape stays at its rest weight
    teeth_times, teeth = take["Teeth"]
    np.testing.assert_array_equal(teeth_times, expected_times)
    np.testing.assert_allclose(teeth[:, 0], animation.channel("jawOpen"), atol=1e-6)


def test_everything_else_of_the_file_is_kept(character, tmp_path):
    before, blob_before = read_glb(character)
    out = retarget(random_animation(frames=4), character, tmp_path / "out.glb", "lr_suffix").output
    after, blob_after = read_glb(out)
    assert blob_after[:len(blob_before)] == blob_before
    assert after["buffers"][0]["byteLength"] == len(blob_after) > len(blob_before)
    for key in set(before) | set(after):
        if key == "buffers":
            assert after[key][1:] == before[key][1:]
        elif key in ("accessors", "bufferViews", "animations"):
            assert after[key][:len(before[key])] == before[key], key
        else:
            assert after[key] == before[key], key
    assert [a["name"] for a in after["animations"]] == ["idle", "jawTurn", "facemotion"]
    sparse = [a for a in after["accessors"] if "sparse" in a]
    assert sparse and all("bufferView" not in a and "byteOffset" not in a for a in sparse)


def test_the_character_file_is_not_touched_and_the_output_can_be_retargeted_again(character, tmp_path):
    original = character.read_bytes()
    first = retarget(random_animation(frames=3), character, tmp_path / "one.glb", "lr_suffix").output
    second = retarget(random_animation(frames=5, seed=4), first, tmp_path / "two.glb", "lr_suffix", take="second")
    assert character.read_bytes() == original
    gltf = gl.GLTF2.load(str(second.output))
    assert [a.name for a in gltf.animations] == ["idle", "jawTurn", "facemotion", "second"]
    assert len(new_take(gltf, tmp_path, "second")["Face"][0]) == 5


def test_external_buffer_of_a_gltf_is_still_found_from_another_folder(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    export_gltf(random_animation(LR_NAMES), source / "head.gltf", grid_mesh(LR_NAMES), sparse=False)
    gltf = gl.GLTF2.load(str(source / "head.gltf"))
    (source / "head data.bin").write_bytes(gltf.get_data_from_buffer_uri(gltf.buffers[0].uri))
    gltf.buffers[0].uri = "head%20data.bin"
    gltf.save(str(source / "head.gltf"))
    (tmp_path / "out").mkdir()

    out = retarget(random_animation(frames=3), source / "head.gltf", tmp_path / "out" / "a.gltf", "lr_suffix").output
    result = gl.GLTF2.load(str(out))
    assert result.buffers[0].uri == "../src/head%20data.bin"
    assert result.buffers[1].uri.startswith("data:application/octet-stream;base64,")
    positions = read_floats(result, result.meshes[0].primitives[0].attributes.POSITION, out.parent, 3)
    np.testing.assert_array_equal(positions, grid_mesh(LR_NAMES).neutral)
    assert len(new_take(result, out.parent)["Face"][0]) == 3


def test_pascal_case_names_need_no_mapping(tmp_path):
    path = export_gltf(random_animation(LIVELINK_BLENDSHAPES), tmp_path / "mh.glb", grid_mesh(LIVELINK_BLENDSHAPES))
    animation = random_animation(ARKIT_52[::-1], frames=6)  # channel order differs from the mesh's
    report = retarget(animation, path, tmp_path / "out.glb")
    assert report.mapping == "auto" and report.mapped == LIVELINK_BLENDSHAPES
    assert report.unmapped_targets == report.unused_channels == report.missing_targets == ()
    _, weights = new_take(gl.GLTF2.load(str(tmp_path / "out.glb")), tmp_path)["Face"]
    for k, name in enumerate(LIVELINK_BLENDSHAPES):
        np.testing.assert_array_equal(weights[:, k], animation.channel(name[0].lower() + name[1:]))


def test_vrm_vowels_on_a_character_named_after_the_presets(tmp_path):
    names = ("aa", "ih", "ou", "ee", "oh", "blink", "blinkLeft", "blinkRight", "happy")
    path = export_gltf(random_animation(names), tmp_path / "avatar.glb", grid_mesh(names))
    animation = random_animation(frames=5)
    report = retarget(animation, path, tmp_path / "out.glb", "vrm_visemes")
    assert report.mapped == ("aa", "ih", "ou", "ee", "oh", "blinkLeft", "blinkRight")
    assert report.unmapped_targets == ("blink", "happy")
    assert "jawOpen" not in report.unused_channels and "browInnerUp" in report.unused_channels
    _, weights = new_take(gl.GLTF2.load(str(tmp_path / "out.glb")), tmp_path)["Face"]
    c = animation.channel
    np.testing.assert_allclose(weights[:, 0], np.clip(c("jawOpen") + 0.25 * (c("mouthLowerDownLeft")
                                                      + c("mouthLowerDownRight")), 0, 1), atol=1e-6)
    np.testing.assert_allclose(weights[:, 4], np.clip(c("mouthFunnel") + 0.5 * c("jawOpen"), 0, 1), atol=1e-6)
    np.testing.assert_array_equal(weights[:, 5], 0.0)  # blink is not driven


def test_reading_a_character_lists_its_blendshape_meshes(character):
    read = read_character(character)
    assert read.format == "gltf"
    assert [(m.name, m.key) for m in read.meshes] == [("Face", 0), ("Teeth", 1)]
    assert read.meshes[0].targets == FACE_NAMES
    assert read.target_names == FACE_NAMES  # jawOpen of the teeth is the face's jawOpen


def test_target_names_on_the_primitive_are_read_too(tmp_path, character):
    document, blob = read_glb(character)
    for mesh in document["meshes"]:
        mesh["primitives"][0]["extras"] = mesh.pop("extras")
    write_glb(tmp_path / "old.glb", document, blob)
    assert read_character(tmp_path / "old.glb").target_names == FACE_NAMES


def test_unnamed_morph_targets_are_refused_or_skipped(tmp_path, character):
    document, blob = read_glb(character)
    del document["meshes"][1]["extras"]
    write_glb(tmp_path / "one.glb", document, blob)
    with pytest.warns(UserWarning, match=r"morph targets of meshes \['Teeth'\] have no names"):
        assert [m.name for m in read_character(tmp_path / "one.glb").meshes] == ["Face"]
    del document["meshes"][0]["extras"]
    write_glb(tmp_path / "none.glb", document, blob)
    with pytest.raises(ValueError, match="have no names .*name them in your modelling tool"):
        retarget(random_animation(), tmp_path / "none.glb", tmp_path / "out.glb")
    assert not (tmp_path / "out.glb").exists()


def test_a_mapping_that_drives_nothing_on_the_character_writes_nothing(character, tmp_path):
    with pytest.raises(ValueError, match="mapping 'vrm_visemes' drives none of the character's blendshapes"):
        retarget(random_animation(), character, tmp_path / "out.glb", "vrm_visemes")
    with pytest.raises(ValueError, match="none of the blendshapes .* carries an ARKit name"):
        retarget(random_animation(), make_lr_only(tmp_path), tmp_path / "out.glb")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["character.glb", "lr.glb"]


def make_lr_only(folder: Path) -> Path:
    names = ("eyeBlink_L", "eyeBlink_R")
    return export_gltf(random_animation(names), folder / "lr.glb", grid_mesh(names))


def test_the_khronos_validator_finds_no_new_issue(character, tmp_path):
    node = shutil.which("node")
    if node is None or not (BROWSER / "node_modules" / "gltf-validator" / "package.json").is_file():
        pytest.skip("needs node and `npm ci --prefix tests/browser` (gltf-validator)")
    outputs = [retarget(random_animation(frames=4), character, tmp_path / f"out{suffix}", "lr_suffix").output
               for suffix in (".glb", ".gltf")]
    done = subprocess.run([node, "validate_gltf.mjs", str(character), *map(str, outputs)], cwd=BROWSER,
                          capture_output=True, text=True, check=True, timeout=120)
    reports = json.loads(done.stdout)
    issues = [sorted((m["code"], m.get("pointer")) for m in r["issues"]["messages"]) for r in reports]
    assert [r["issues"]["numErrors"] for r in reports] == [0, 0, 0]
    assert issues[1] == issues[2] == issues[0]  # the input's own remarks (an unused skin), nothing more
