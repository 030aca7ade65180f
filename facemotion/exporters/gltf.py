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
    A blendshape the animation has no channel for gets weight 0. The file appears only when complete
    (:func:`atomic_output`).

    Args:
        animation: T >= 1 frames of weights (T, C) float32 in [0, 1] at ``animation.fps``.
        path: output file ending in ``.glb`` or ``.gltf``.
        mesh: the head: neutral (V, 3) float32 metres, faces (F, 3) int64, deltas (K, V, 3) float32 metres.
        sparse: store each morph target as a sparse accessor (smaller) instead of V dense offsets.
        take: the animation's name; ``None`` takes the stem of ``path``.

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

    gltf, blob = _build(mesh, weights, animation.fps, take if take is not None else path.stem, sparse)
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
    mesh: BlendshapeMesh, weights: np.ndarray, fps: float, take: str, sparse: bool
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

    blob = buffer.blob()
    gltf.buffers.append(gl.Buffer(byteLength=len(blob)))
    return gltf, blob


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
