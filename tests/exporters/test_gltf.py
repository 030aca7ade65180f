import json
import os
import struct

import numpy as np
import pygltflib as gl
import pytest
from pygltflib import validator
from scipy.spatial.transform import Rotation

from facemotion.animation import FaceAnimation
from facemotion.exporters.gltf import export_gltf, vertex_normals
from facemotion.exporters.head_pose import rotation_angles
from facemotion.face_models.base import BlendshapeMesh
from facemotion.face_models.names import ARKIT_52
from facemotion.testing import grid_mesh, random_animation

FPS = 30.0
DTYPES = {gl.UNSIGNED_BYTE: np.uint8, gl.UNSIGNED_SHORT: np.uint16, gl.UNSIGNED_INT: np.uint32, gl.FLOAT: np.float32}
WIDTHS = {gl.SCALAR: 1, gl.VEC3: 3, gl.VEC4: 4, gl.MAT4: 16}


def load(path):
    """The document and its buffer, read back by pygltflib."""
    gltf = gl.GLTF2.load(str(path))
    blob = gltf.binary_blob() if path.suffix == ".glb" else gltf.get_data_from_buffer_uri(gltf.buffers[0].uri)
    return gltf, blob


def read_view(gltf, blob, view_index, byte_offset, component_type, count):
    view = gltf.bufferViews[view_index]
    start = view.byteOffset + (byte_offset or 0)
    return np.frombuffer(blob, DTYPES[component_type], count, start)


def read_accessor(gltf, blob, index):
    """Decode an accessor as the specification says (3.6.2): dense data or zeros, then the sparse values."""
    accessor = gltf.accessors[index]
    width = WIDTHS[accessor.type]
    if accessor.bufferView is None:
        data = np.zeros(accessor.count * width, DTYPES[accessor.componentType])
    else:
        data = read_view(gltf, blob, accessor.bufferView, accessor.byteOffset, accessor.componentType,
                         accessor.count * width).copy()
    data = data.reshape(accessor.count, width)
    if accessor.sparse is not None:
        sparse = accessor.sparse
        indices = read_view(gltf, blob, sparse.indices.bufferView, sparse.indices.byteOffset,
                            sparse.indices.componentType, sparse.count)
        assert np.all(np.diff(indices.astype(np.int64)) > 0)  # strictly increasing, as required
        data[indices] = read_view(gltf, blob, sparse.values.bufferView, sparse.values.byteOffset,
                                  accessor.componentType, sparse.count * width).reshape(-1, width)
    return data


@pytest.mark.filterwarnings("ignore:pygltf.utils.validator is a provisional function")
@pytest.mark.parametrize("sparse", [True, False], ids=["sparse", "dense"])
@pytest.mark.parametrize("suffix", [".glb", ".gltf"])
def test_round_trip_through_pygltflib(tmp_path, suffix, sparse):
    mesh, animation = grid_mesh(relief=False), random_animation(ARKIT_52[::-1])  # mesh order differs from channel order
    path = export_gltf(animation, tmp_path / f"take{suffix}", mesh, sparse=sparse)
    assert os.listdir(tmp_path) == [path.name]  # a .gltf embeds its buffer: no sidecar .bin
    gltf, blob = load(path)
    validator.validate(gltf)
    assert gltf.asset.version == "2.0"

    (node,) = gltf.nodes
    assert gltf.scenes[gltf.scene].nodes == [0] and node.mesh == 0
    (primitive,) = gltf.meshes[0].primitives
    assert primitive.mode == gl.TRIANGLES
    np.testing.assert_array_equal(read_accessor(gltf, blob, primitive.attributes.POSITION), mesh.neutral)
    np.testing.assert_array_equal(read_accessor(gltf, blob, primitive.indices).reshape(-1, 3), mesh.faces)
    normals = read_accessor(gltf, blob, primitive.attributes.NORMAL)
    np.testing.assert_allclose(normals, np.tile([0, 0, 1], (9, 1)), atol=1e-6)  # a flat grid facing +Z

    assert gltf.meshes[0].extras["targetNames"] == list(mesh.names)
    assert gltf.meshes[0].weights == [0.0] * 52
    assert len(primitive.targets) == 52
    for target, delta in zip(primitive.targets, mesh.deltas):
        np.testing.assert_array_equal(read_accessor(gltf, blob, target["POSITION"]), delta)

    (clip,) = gltf.animations
    assert clip.name == "take"
    (channel,) = clip.channels
    assert (channel.target.node, channel.target.path) == (0, "weights")
    sampler = clip.samplers[channel.sampler]
    assert sampler.interpolation == "LINEAR"
    times = read_accessor(gltf, blob, sampler.input)[:, 0]
    np.testing.assert_array_equal(times, (np.arange(5) / FPS).astype(np.float32))
    assert (gltf.accessors[sampler.input].min, gltf.accessors[sampler.input].max) == ([0.0], [float(times[-1])])
    weights = read_accessor(gltf, blob, sampler.output).reshape(5, 52)
    for t in range(animation.n_frames):
        np.testing.assert_allclose(weights[t], animation.weights[t, ::-1], atol=1e-6)


def test_position_bounds_hold_every_value(tmp_path):
    """min/max are required on POSITION accessors, morph targets included, and must be exact."""
    mesh = grid_mesh()
    gltf, blob = load(export_gltf(random_animation(), tmp_path / "take.glb", mesh))
    (primitive,) = gltf.meshes[0].primitives
    for index in [primitive.attributes.POSITION] + [target["POSITION"] for target in primitive.targets]:
        values = read_accessor(gltf, blob, index)
        assert gltf.accessors[index].min == values.min(0).tolist()
        assert gltf.accessors[index].max == values.max(0).tolist()


def test_sparse_targets_store_only_the_moved_vertices(tmp_path):
    mesh, animation = grid_mesh(), random_animation()
    sparse = export_gltf(animation, tmp_path / "sparse.glb", mesh)
    dense = export_gltf(animation, tmp_path / "dense.glb", mesh, sparse=False)
    gltf, blob = load(sparse)
    (primitive,) = gltf.meshes[0].primitives
    for name, target in zip(mesh.names, primitive.targets):
        accessor = gltf.accessors[target["POSITION"]]
        assert accessor.bufferView is None and accessor.count == 9
        if name == "tongueOut":  # moves nothing: one zero offset on vertex 0
            assert accessor.sparse.count == 1
            assert not read_accessor(gltf, blob, target["POSITION"]).any()
        else:
            assert accessor.sparse.count == 2
    sparse_bytes, dense_bytes = gltf.buffers[0].byteLength, load(dense)[0].buffers[0].byteLength
    assert sparse_bytes < dense_bytes - 51 * 9 * 12 / 2  # the 9-vertex offsets of 51 shapes, halved at least


def test_channels_subset_and_take_name(tmp_path):
    names = ("jaw open", "mouthClose", "3d")
    mesh, animation = grid_mesh(names), random_animation(names[:2], frames=1)
    gltf, blob = load(export_gltf(animation, tmp_path / "t.gltf", mesh, take="Take 7"))
    assert gltf.meshes[0].extras["targetNames"] == list(names)
    (clip,) = gltf.animations
    assert clip.name == "Take 7"
    np.testing.assert_array_equal(read_accessor(gltf, blob, clip.samplers[0].input)[:, 0], [0.0])
    np.testing.assert_array_equal(read_accessor(gltf, blob, clip.samplers[0].output)[:, 0],
                                  [*animation.weights[0], 0.0])


def test_glb_is_one_json_and_one_binary_chunk(tmp_path):
    path = export_gltf(random_animation(), tmp_path / "take.glb", grid_mesh())
    data = path.read_bytes()
    magic, version, length = struct.unpack("<4sII", data[:12])
    assert (magic, version, length) == (b"glTF", 2, len(data))
    json_length, json_kind = struct.unpack("<I4s", data[12:20])
    assert json_kind == b"JSON" and json_length % 4 == 0
    document = json.loads(data[20:20 + json_length])
    bin_length, bin_kind = struct.unpack("<I4s", data[20 + json_length:28 + json_length])
    assert bin_kind == b"BIN\0" and document["buffers"] == [{"byteLength": bin_length}]


def test_vertex_normals_equal_a_naive_loop():
    rng = np.random.default_rng(2)
    vertices = rng.normal(0, 0.1, (30, 3)).astype(np.float32)
    faces = rng.integers(0, 29, (40, 3))  # vertex 29 is in no triangle
    expected = np.zeros((30, 3))
    for a, b, c in faces:
        area_normal = np.cross(vertices[b] - vertices[a], vertices[c] - vertices[a])
        for v in (a, b, c):
            expected[v] += area_normal
    lengths = np.linalg.norm(expected, axis=1, keepdims=True)
    expected = np.where(lengths > 0, expected / np.maximum(lengths, 1e-30), [0, 0, 1])
    normals = vertex_normals(vertices, faces)
    assert normals.dtype == np.float32
    np.testing.assert_allclose(normals, expected, atol=1e-5)
    np.testing.assert_array_equal(normals[29], [0, 0, 1])


def test_channels_missing_from_the_mesh_are_named(tmp_path):
    mesh = grid_mesh(ARKIT_52[:51])
    with pytest.raises(ValueError, match="no blendshapes for the animation channels.*tongueOut"):
        export_gltf(random_animation(), tmp_path / "take.glb", mesh)
    assert os.listdir(tmp_path) == []


def test_bad_inputs_are_refused(tmp_path):
    with pytest.raises(ValueError, match="must end in one of"):
        export_gltf(random_animation(), tmp_path / "take.gltf.bin", grid_mesh())
    empty = FaceAnimation(fps=FPS, weights=np.zeros((0, 52), np.float32))
    with pytest.raises(ValueError, match="no frames"):
        export_gltf(empty, tmp_path / "take.glb", grid_mesh())
    mesh = grid_mesh()
    no_faces = BlendshapeMesh(mesh.neutral, np.zeros((0, 3), np.int64), mesh.deltas, mesh.names)
    with pytest.raises(ValueError, match="no triangles"):
        export_gltf(random_animation(), tmp_path / "take.glb", no_faces)
    no_shapes = BlendshapeMesh(mesh.neutral, mesh.faces, np.zeros((0, 9, 3), np.float32), ())
    with pytest.raises(ValueError, match="no blendshapes"):
        export_gltf(random_animation(()), tmp_path / "take.glb", no_shapes)
    assert os.listdir(tmp_path) == []


def test_a_missing_output_folder_writes_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match="output folder does not exist"):
        export_gltf(random_animation(), tmp_path / "missing" / "take.glb", grid_mesh())
    assert os.listdir(tmp_path) == []


def test_an_error_mid_write_leaves_no_file(tmp_path, monkeypatch):
    def failing_chunks(self):
        yield b"glTF"  # part of the file is written, then the disk fills
        raise OSError("disk full")

    target = tmp_path / "take.glb"
    target.write_bytes(b"old")
    monkeypatch.setattr(gl.GLTF2, "save_to_bytes", failing_chunks)
    with pytest.raises(OSError, match="disk full"):
        export_gltf(random_animation(), target, grid_mesh())
    assert os.listdir(tmp_path) == [target.name]
    assert target.read_bytes() == b"old"


def test_an_error_while_encoding_json_leaves_no_file(tmp_path, monkeypatch):
    def failing_json(self, *args, **kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr(gl.GLTF2, "gltf_to_json", failing_json)
    with pytest.raises(MemoryError, match="out of memory"):
        export_gltf(random_animation(), tmp_path / "take.gltf", grid_mesh())
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------------------- head and eye rotations


@pytest.mark.filterwarnings("ignore:pygltf.utils.validator is a provisional function")
@pytest.mark.parametrize("suffix", [".glb", ".gltf"])
def test_joint_rotations_read_back_through_pygltflib(tmp_path, suffix, turning, grid_joints):
    mesh = grid_mesh()
    animation, joints = turning(random_animation(frames=6)), grid_joints(mesh)
    gltf, blob = load(export_gltf(animation, tmp_path / f"take{suffix}", mesh, joints=joints))
    validator.validate(gltf)
    names = [node.name for node in gltf.nodes]
    assert names == ["Face", "Neck", "LeftEye", "RightEye"] and gltf.scenes[0].nodes == [0, 1]
    assert gltf.nodes[1].children == [2, 3] and gltf.nodes[0].skin == 0
    np.testing.assert_allclose(gltf.nodes[1].translation, joints.neck, atol=1e-7)
    np.testing.assert_allclose(gltf.nodes[2].translation, joints.eye_centres[0] - joints.neck, atol=1e-7)
    (skin,) = gltf.skins
    assert skin.joints == [1, 2, 3]
    inverse_bind = read_accessor(gltf, blob, skin.inverseBindMatrices).reshape(3, 4, 4).transpose(0, 2, 1)
    np.testing.assert_allclose(inverse_bind[:, :3, 3], -np.vstack([joints.neck, joints.eye_centres]), atol=1e-7)
    attributes = gltf.meshes[0].primitives[0].attributes
    assert read_accessor(gltf, blob, attributes.JOINTS_0)[:, 0].tolist() == [2, 0, 1, 2, 0, 1, 0, 0, 0]
    np.testing.assert_array_equal(read_accessor(gltf, blob, attributes.WEIGHTS_0), [[1, 0, 0, 0]] * 9)

    (clip,) = gltf.animations
    rotations = {}
    for channel in clip.channels[1:]:
        sampler = clip.samplers[channel.sampler]
        assert channel.target.path == "rotation" and sampler.interpolation == gl.ANIM_LINEAR
        times = read_accessor(gltf, blob, sampler.input)[:, 0]
        np.testing.assert_allclose(times, np.arange(6) / FPS, atol=1e-7)
        rotations[names[channel.target.node]] = Rotation.from_quat(read_accessor(gltf, blob, sampler.output))
    np.testing.assert_allclose(rotation_angles(rotations["Neck"]), animation.head_rotation, atol=1e-3)  # degrees
    for e, name in enumerate(["LeftEye", "RightEye"]):
        np.testing.assert_allclose(rotation_angles(rotations[name])[:, :2], animation.eye_rotation[:, e], atol=1e-3)


def test_a_take_without_rotations_has_no_skin_and_one_channel(tmp_path):
    gltf, _ = load(export_gltf(random_animation(), tmp_path / "take.glb", grid_mesh()))
    assert [node.name for node in gltf.nodes] == ["Face"] and gltf.skins == []
    assert gltf.meshes[0].primitives[0].attributes.JOINTS_0 is None
    assert len(gltf.animations[0].channels) == 1
