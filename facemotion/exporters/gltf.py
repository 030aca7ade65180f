"""glTF 2.0 export: the head as a mesh with one morph target per blendshape, the weights as an animation.

Layout (Khronos glTF 2.0 specification, sections 3.7.2.2 "Morph Targets", 3.11 "Animations" and
3.6.2.3 "Sparse Accessors")::

    scene "Head"
        node "Face"                  mesh 0, no transform (the mesh is in metres, +Y up, +Z forward)
    mesh "Face"                      weights = K zeros; extras.targetNames = the K blendshape names
        primitive (TRIANGLES)        POSITION, NORMAL (smooth, area-weighted), indices; material "Skin"
            targets[k]               {POSITION: the blendshape's vertex offsets} (sparse by default)
    animation <take>                 one channel: node "Face", path "weights"
        sampler (LINEAR)             input: T frame times t / fps, output: T x K weights, frame-major

With head or eye rotations (:attr:`FaceAnimation.head_rotation`, :attr:`~FaceAnimation.eye_rotation`;
conventions in :mod:`facemotion.exporters.head_pose`), and only then, the head is skinned (3.7.3 "Skins")::

    scene "Head"                     nodes [0, 1]
        node "Face"                  mesh 0, skin 0
        node "Neck"                  translation = the neck pivot; children: the eyes
            node "LeftEye"           translation = left eyeball centre - neck pivot (with eye rotations)
            node "RightEye"          translation = right eyeball centre - neck pivot
    skin 0                           joints [Neck, LeftEye, RightEye], inverseBindMatrices = translations to
                                     each joint's rest position, undone
    primitive                        + JOINTS_0 (unsigned byte) / WEIGHTS_0: one joint per vertex, weight 1
    animation <take>                 + one channel per joint: path "rotation", LINEAR (slerp), T unit
                                     quaternions (x, y, z, w), each joint's rotation relative to its parent

``mesh.extras.targetNames`` names the morph targets: not normative, but the convention that an
implementation note of the specification's "Meshes" section describes (KhronosGroup/glTF issue #1036,
pull request #1631) and that the three.js, Blender, Babylon.js, UnityGLTF and glTFast importers read.
``.glb`` is the binary container (specification section 4, "GLB File Format Specification"); ``.gltf`` is
the JSON with its one buffer embedded as a base64 ``data:`` URI, so that a single file appears atomically.
"""

import base64
import os
from pathlib import Path

import numpy as np
import pygltflib as gl

from facemotion.animation import FaceAnimation
from facemotion.exporters.atomic import atomic_output
from facemotion.exporters.channels import mesh_weights
from facemotion.exporters.head_pose import HeadJoints, JointTracks, joint_tracks
from facemotion.face_models.base import BlendshapeMesh

GLTF_SUFFIXES: tuple[str, ...] = (".glb", ".gltf")
"""File suffixes :func:`export_gltf` writes: binary container and JSON with an embedded buffer."""

SKIN_COLOUR: tuple[float, float, float, float] = (0.80, 0.62, 0.52, 1.0)
"""Linear RGBA base colour of the material, so that the head shades as skin in any viewer."""


def export_gltf(
    animation: FaceAnimation,
    path: str | os.PathLike,
    mesh: BlendshapeMesh,
    *,
    sparse: bool = True,
    take: str | None = None,
    joints: HeadJoints | None = None,
) -> Path:
    """Write a head mesh with one morph target per blendshape and the animation's weight curves as glTF 2.0.

    The format follows the suffix: ``.glb`` (binary) or ``.gltf`` (JSON with the buffer embedded as a
    ``data:`` URI). The mesh keeps the head's units and axes, which are glTF's: metres, +Y up, +Z forward.
    Each of the K blendshapes becomes a morph target holding its POSITION offsets; with ``sparse`` (the
    default) only the vertices the blendshape moves are stored (a sparse accessor, specification 3.6.2.3;
    a shape that moves nothing keeps one zero offset on vertex 0, as the USD export does), otherwise all V
    offsets. Smooth vertex normals of the neutral mesh are written so that the head shades in viewers; the
    targets carry no normal offsets. Target names go to ``mesh.extras.targetNames`` and the default
    ``mesh.weights`` are zeros.

    The animation, named ``take`` (the file's stem by default), has one LINEAR sampler on the node's
    ``weights``: input the T frame times ``t / fps`` in seconds (float32), output the T x K weights in the
    mesh's blendshape order, frame-major (specification 3.11, "Animations"; weights channels take K
    outputs per keyframe). A player therefore shows the animation's exact weights at frame times and the
    linear interpolation between neighbouring frames in between; the clip lasts ``(T - 1) / fps`` seconds.
    A blendshape the animation has no channel for gets weight 0. A take with head or eye rotations also gets
    a skin and a rotation channel per joint (module docstring), sampled at the same frame times. The file
    appears only when complete (:func:`atomic_output`).

    Args:
        animation: T >= 1 frames of weights (T, C) float32 in [0, 1] at ``animation.fps``.
        path: output file ending in ``.glb`` or ``.gltf``.
        mesh: the head: neutral (V, 3) float32 metres, faces (F, 3) int64, deltas (K, V, 3) float32 metres.
        sparse: store each morph target as a sparse accessor (smaller) instead of V dense offsets.
        take: the animation's name; ``None`` takes the stem of ``path``.
        joints: where the head and eyes turn (neck pivot, eyeballs) for a take with rotations; None takes
            :meth:`HeadJoints.for_mesh` (the default head's eyeballs, or no eyes on another mesh: its eye
            rotations are then dropped with a warning).

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: for another suffix, an animation without frames, channels the mesh has no blendshape
            for (named in the message), or a mesh without triangles or without blendshapes.
        FileNotFoundError, IsADirectoryError, PermissionError: the output folder is missing, ``path`` is a
            folder, or the folder is not writable.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in GLTF_SUFFIXES:
        raise ValueError(f"glTF output must end in one of {GLTF_SUFFIXES}, got {path.name!r}")
    weights = mesh_weights(animation, mesh)
    if len(mesh.faces) == 0:
        raise ValueError("the mesh has no triangles")
    if len(mesh.names) == 0:
        raise ValueError("the mesh has no blendshapes")

    tracks = joint_tracks(animation, mesh, joints)
    gltf, blob = _build(mesh, weights, animation.fps, take if take is not None else path.stem, sparse, tracks)
    with atomic_output(path) as tmp, open(tmp, "wb") as file:
        if suffix == ".glb":
            gltf.set_binary_blob(blob)
            file.writelines(gltf.save_to_bytes())
        else:
            gltf.buffers[0].uri = gl.DATA_URI_HEADER + base64.b64encode(blob).decode("ascii")
            file.write(gltf.gltf_to_json(separators=(",", ":"), indent=None).encode("utf-8"))
    return path


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Smooth per-vertex normals: the area-weighted sum of the adjacent triangles' normals, made unit length.

    Args:
        vertices: (V, 3) float positions.
        faces: (F, 3) int triangle vertex indices, counter-clockwise seen from outside.

    Returns:
        (V, 3) float32 unit normals; a vertex in no triangle (or only in degenerate ones) gets +Z.
    """
    v = vertices.astype(np.float64)
    face_normals = np.cross(v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]])  # 2 x area
    sums = np.stack([
        np.bincount(faces.ravel(), np.repeat(face_normals[:, axis], 3), minlength=len(v)) for axis in range(3)
    ], 1)
    length = np.linalg.norm(sums, axis=1, keepdims=True)
    normals = np.where(length > 0, sums / np.where(length > 0, length, 1), [0.0, 0.0, 1.0])
    return normals.astype(np.float32)


class _Buffer:
    """The one binary buffer of the file, filled view by view at 4-byte aligned offsets."""

    def __init__(self, gltf: gl.GLTF2) -> None:
        self.gltf = gltf
        self.parts: list[bytes] = []
        self.size = 0

    def view(self, array: np.ndarray, target: int | None = None) -> int:
        """Append ``array`` (C order, little endian) as a new bufferView; returns its index."""
        data = np.ascontiguousarray(array).tobytes()
        self.gltf.bufferViews.append(
            gl.BufferView(buffer=0, byteOffset=self.size, byteLength=len(data), target=target)
        )
        padding = -len(data) % 4
        self.parts += [data, b"\0" * padding]
        self.size += len(data) + padding
        return len(self.gltf.bufferViews) - 1

    def accessor(self, accessor: gl.Accessor) -> int:
        """Append ``accessor`` to the file; returns its index."""
        self.gltf.accessors.append(accessor)
        return len(self.gltf.accessors) - 1

    def blob(self) -> bytes:
        return b"".join(self.parts)


def _floats(values: np.ndarray) -> list[float]:
    """float32 values as JSON numbers that read back to the same float32."""
    return [float(x) for x in np.asarray(values, np.float32)]


def _sparse_index_type(count: int) -> tuple[int, type]:
    """The smallest glTF component type (and numpy dtype) of sparse indices in [0, count)."""
    if count <= 0x100:
        return gl.UNSIGNED_BYTE, np.uint8
    if count <= 0x10000:
        return gl.UNSIGNED_SHORT, np.uint16
    return gl.UNSIGNED_INT, np.uint32


def _build(
    mesh: BlendshapeMesh, weights: np.ndarray, fps: float, take: str, sparse: bool, tracks: JointTracks | None
) -> tuple[gl.GLTF2, bytes]:
    """The glTF document of :func:`export_gltf` and its binary buffer; weights (T, K) follow ``mesh.names``."""
    gltf = gl.GLTF2(asset=gl.Asset(generator="facemotion"))
    buffer = _Buffer(gltf)
    n_vertices = mesh.n_vertices

    position = buffer.accessor(gl.Accessor(
        bufferView=buffer.view(mesh.neutral, gl.ARRAY_BUFFER), byteOffset=None, componentType=gl.FLOAT,
        normalized=None, count=n_vertices, type=gl.VEC3,
        min=_floats(mesh.neutral.min(0)), max=_floats(mesh.neutral.max(0)),
    ))
    normal = buffer.accessor(gl.Accessor(
        bufferView=buffer.view(vertex_normals(mesh.neutral, mesh.faces), gl.ARRAY_BUFFER), byteOffset=None,
        componentType=gl.FLOAT, normalized=None, count=n_vertices, type=gl.VEC3,
    ))
    # 16-bit triangle indices up to index 0xFFFE: the type's maximum value is reserved for primitive
    # restart (specification 3.7.2.1); 8-bit ones are legal but poorly supported by engines.
    index_type, index_dtype = (gl.UNSIGNED_SHORT, np.uint16) if n_vertices <= 0xFFFF else (gl.UNSIGNED_INT, np.uint32)
    indices = buffer.accessor(gl.Accessor(
        bufferView=buffer.view(mesh.faces.astype(index_dtype), gl.ELEMENT_ARRAY_BUFFER), byteOffset=None,
        componentType=index_type, normalized=None, count=mesh.faces.size, type=gl.SCALAR,
    ))

    targets = [gl.Attributes(POSITION=_morph_target(buffer, delta, sparse)) for delta in mesh.deltas]

    gltf.materials.append(gl.Material(
        name="Skin", doubleSided=True,
        pbrMetallicRoughness=gl.PbrMetallicRoughness(
            baseColorFactor=list(SKIN_COLOUR), metallicFactor=0.0, roughnessFactor=0.6
        ),
    ))
    gltf.meshes.append(gl.Mesh(
        name="Face",
        primitives=[gl.Primitive(
            attributes=gl.Attributes(POSITION=position, NORMAL=normal), indices=indices, material=0,
            mode=gl.TRIANGLES, targets=targets,
        )],
        weights=[0.0] * len(mesh.names),
        extras={"targetNames": list(mesh.names)},
    ))
    gltf.nodes.append(gl.Node(name="Face", mesh=0))
    gltf.scenes.append(gl.Scene(name="Head", nodes=[0]))
    gltf.scene = 0
    joint_nodes = None if tracks is None else _skin(gltf, buffer, tracks)

    times = (np.arange(len(weights)) / fps).astype(np.float32)
    times_accessor = buffer.accessor(gl.Accessor(
        bufferView=buffer.view(times), byteOffset=None, componentType=gl.FLOAT, normalized=None,
        count=len(times), type=gl.SCALAR, min=_floats(times[:1]), max=_floats(times[-1:]),
    ))
    weights_accessor = buffer.accessor(gl.Accessor(
        bufferView=buffer.view(weights), byteOffset=None, componentType=gl.FLOAT, normalized=None,
        count=weights.size, type=gl.SCALAR,
    ))
    gltf.animations.append(gl.Animation(
        name=take,
        samplers=[gl.AnimationSampler(input=times_accessor, output=weights_accessor, interpolation=gl.ANIM_LINEAR)],
        channels=[gl.AnimationChannel(sampler=0, target=gl.AnimationChannelTarget(node=0, path=gl.WEIGHTS))],
    ))
    if tracks is not None:
        _rotation_channels(gltf.animations[0], buffer, tracks, times_accessor, joint_nodes)

    blob = buffer.blob()
    gltf.buffers.append(gl.Buffer(byteLength=len(blob)))
    return gltf, blob


def _skin(gltf: gl.GLTF2, buffer: _Buffer, tracks: JointTracks) -> list[int]:
    """Joint nodes under the scene, skin 0 on node 0 and JOINTS_0 / WEIGHTS_0 on its primitive; returns the
    joints' node indices, in ``tracks.names`` order."""
    first = len(gltf.nodes)
    for j, name in enumerate(tracks.names):
        children = [first + c for c, parent in enumerate(tracks.parents) if parent == j]
        gltf.nodes.append(gl.Node(name=name, translation=_floats(tracks.translations[j]), children=children))
    gltf.scenes[0].nodes.append(first)
    inverse_bind = np.tile(np.eye(4, dtype=np.float32), (len(tracks.names), 1, 1))
    inverse_bind[:, 3, :3] = -tracks.positions  # column-major storage: the translation is the last column
    matrices = buffer.accessor(gl.Accessor(
        bufferView=buffer.view(inverse_bind), byteOffset=None, componentType=gl.FLOAT, normalized=None,
        count=len(tracks.names), type=gl.MAT4,
    ))
    gltf.skins.append(gl.Skin(joints=list(range(first, first + len(tracks.names))), inverseBindMatrices=matrices,
                              skeleton=first))
    gltf.nodes[0].skin = 0
    n_vertices = len(tracks.vertex_joints)
    joint_ids = np.zeros((n_vertices, 4), np.uint8)
    joint_ids[:, 0] = tracks.vertex_joints
    joint_weights = np.zeros((n_vertices, 4), np.float32)
    joint_weights[:, 0] = 1.0
    attributes = gltf.meshes[0].primitives[0].attributes
    attributes.JOINTS_0 = buffer.accessor(gl.Accessor(
        bufferView=buffer.view(joint_ids, gl.ARRAY_BUFFER), byteOffset=None, componentType=gl.UNSIGNED_BYTE,
        normalized=None, count=n_vertices, type=gl.VEC4,
    ))
    attributes.WEIGHTS_0 = buffer.accessor(gl.Accessor(
        bufferView=buffer.view(joint_weights, gl.ARRAY_BUFFER), byteOffset=None, componentType=gl.FLOAT,
        normalized=None, count=n_vertices, type=gl.VEC4,
    ))
    return gltf.skins[0].joints


def _rotation_channels(
    animation: gl.Animation, buffer: _Buffer, tracks: JointTracks, times: int, nodes: list[int]
) -> None:
    """One LINEAR sampler and ``rotation`` channel per joint node, keys at the frame times ``times``."""
    for j, node in enumerate(nodes):
        rotations = buffer.accessor(gl.Accessor(
            bufferView=buffer.view(tracks.rotations[:, j].astype(np.float32)), byteOffset=None,
            componentType=gl.FLOAT, normalized=None, count=len(tracks.rotations), type=gl.VEC4,
        ))
        animation.samplers.append(gl.AnimationSampler(input=times, output=rotations, interpolation=gl.ANIM_LINEAR))
        animation.channels.append(gl.AnimationChannel(
            sampler=len(animation.samplers) - 1, target=gl.AnimationChannelTarget(node=node, path=gl.ROTATION),
        ))


def _morph_target(buffer: _Buffer, delta: np.ndarray, sparse: bool) -> int:
    """Write one blendshape's (V, 3) float32 offsets as a POSITION accessor; returns its index.

    The specification requires min and max on POSITION accessors, also on morph targets and after the
    sparse substitution (so a sparse target's bounds include the zero offsets of the vertices it skips).
    """
    n_vertices = len(delta)
    if not sparse:
        return buffer.accessor(gl.Accessor(
            bufferView=buffer.view(delta, gl.ARRAY_BUFFER), byteOffset=None, componentType=gl.FLOAT,
            normalized=None, count=n_vertices, type=gl.VEC3, min=_floats(delta.min(0)), max=_floats(delta.max(0)),
        ))
    moved = np.flatnonzero(np.any(delta != 0, axis=1))
    if len(moved) == 0:
        moved = np.zeros(1, np.int64)
    values = delta[moved]
    low, high = values.min(0), values.max(0)
    if len(moved) < n_vertices:
        low, high = np.minimum(low, 0), np.maximum(high, 0)
    index_type, index_dtype = _sparse_index_type(n_vertices)
    return buffer.accessor(gl.Accessor(
        bufferView=None, byteOffset=None, componentType=gl.FLOAT, normalized=None, count=n_vertices,
        type=gl.VEC3, min=_floats(low), max=_floats(high),
        sparse=gl.Sparse(
            count=len(moved),
            indices=gl.AccessorSparseIndices(
                bufferView=buffer.view(moved.astype(index_dtype)), byteOffset=None, componentType=index_type
            ),
            values=gl.AccessorSparseValues(bufferView=buffer.view(values), byteOffset=None),
        ),
    ))
