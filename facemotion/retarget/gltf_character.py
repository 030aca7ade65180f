"""A user's glTF 2.0 character (``.glb``/``.gltf``): read its morph targets, write it back with a weights animation.

Reading (Khronos glTF 2.0 specification, 3.7.2.2 "Morph Targets"): every mesh whose primitives have
``targets`` is a blendshape mesh; its target names come from ``mesh.extras.targetNames`` (the convention of
the specification's implementation note, KhronosGroup/glTF #1036, that Blender, three.js, Babylon.js, UnityGLTF
and glTFast follow), or, failing that, from the first primitive's ``extras.targetNames`` (written by some older
exporters). A mesh whose targets have no names is skipped with a warning.

Writing (3.11 "Animations"): the file is copied and ONE animation is appended (named ``take``): for every
node whose mesh has at least one mapped target, a channel on the node's ``weights`` with a LINEAR sampler;
input: the T frame times ``t / fps`` (float32 seconds), output: T x K weights, frame-major, in the order of
the mesh's K targets. A target the mapping does not drive keeps its default weight (``node.weights``, else
``mesh.weights``, else 0) at every frame. Everything else of the file stays as it was: the JSON is edited as
a plain dictionary (never re-serialised through a schema, which would add default values), the existing
buffer bytes are kept, and the new data is appended: to the GLB's binary chunk (4-byte aligned) when the
GLB has one, otherwise as a new buffer with a base64 ``data:`` URI (so the output is a single new file).
Relative URIs of external buffers and images are rewritten relative to the output's folder, so they still
point at the same files. A ``.gltf`` output of a ``.glb`` input embeds the binary chunk as a ``data:`` URI.

GLB container: specification section 4 ("GLB File Format Specification": 12-byte header, a JSON chunk, an
optional BIN chunk, chunks 4-byte aligned; other chunk types are kept in order).
"""

import base64
import json
import os
import struct
import warnings
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import numpy as np

from facemotion.exporters.atomic import atomic_output
from facemotion.retarget.characters import Character, CharacterMesh

GLTF_CHARACTER_SUFFIXES: tuple[str, ...] = (".glb", ".gltf")
"""Suffixes of glTF characters: binary container and JSON."""

_GLB_MAGIC, _JSON_CHUNK, _BIN_CHUNK = 0x46546C67, 0x4E4F534A, 0x004E4942
_FLOAT, _SCALAR = 5126, "SCALAR"
_DATA_URI = "data:application/octet-stream;base64,"


def read_gltf_character(path: str | os.PathLike) -> Character:
    """The blendshape meshes of a glTF character.

    Args:
        path: a ``.glb`` or ``.gltf`` file.

    Returns:
        A :class:`Character` with one :class:`CharacterMesh` per glTF mesh that has named morph targets
        (``name``: the mesh's name, or ``mesh <index>``; ``key``: the mesh index).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not glTF 2.0, has no mesh ("no mesh"), no morph targets ("no blendshapes"),
            or a mesh whose target names disagree with its number of targets.
    """
    path = Path(path)
    document, _, _ = _load(path)
    return _character(path, document, warn=True)


def _character(path: Path, document: dict, warn: bool) -> Character:
    """The :class:`Character` of a parsed document (errors as :func:`read_gltf_character`)."""
    meshes = document.get("meshes") or []
    if not meshes:
        raise ValueError(f"{path}: the character has no mesh")
    found, unnamed = [], []
    for index, mesh in enumerate(meshes):
        label = mesh.get("name") or f"mesh {index}"
        counts = {len(primitive.get("targets") or []) for primitive in mesh.get("primitives") or []}
        n_targets = max(counts, default=0)
        if n_targets == 0:
            continue
        if len(counts) != 1:
            raise ValueError(f"{path}: primitives of mesh {label!r} have different numbers of morph targets {counts}")
        names = _target_names(mesh)
        if names is None:
            unnamed.append(label)
            continue
        if len(names) != n_targets or not all(isinstance(name, str) for name in names):
            raise ValueError(f"{path}: mesh {label!r} has {n_targets} morph targets but targetNames {names}")
        found.append(CharacterMesh(name=label, targets=tuple(names), key=index))
    if not found and not unnamed:
        raise ValueError(
            f"{path}: the character's meshes have no blendshapes (morph targets); animating a mesh without "
            "blendshapes needs deformation transfer, a later step"
        )
    if unnamed:
        message = f"{path}: morph targets of meshes {unnamed} have no names (mesh.extras.targetNames)"
        if not found:
            raise ValueError(f"{message}; name them in your modelling tool and export again")
        if warn:
            warnings.warn(f"{message}; they are left as they are", stacklevel=3)
    return Character(path=path, format="gltf", meshes=tuple(found))


def write_gltf_character(
    character_path: str | os.PathLike,
    output_path: str | os.PathLike,
    targets: dict[str, np.ndarray],
    fps: float,
    take: str,
) -> Path:
    """Copy a glTF character to ``output_path`` with one more animation driving its morph target weights.

    Args:
        character_path: the ``.glb``/``.gltf`` character.
        output_path: the ``.glb`` or ``.gltf`` to write (either, whatever the input); its folder must exist.
        targets: target name -> (T,) float32 weights in [0, 1]; every target of every mesh with that name
            follows the curve. All curves have the same T >= 1.
        fps: frames per second, > 0; frame ``t`` is keyed at ``t / fps`` seconds.
        take: the new animation's name.

    Returns:
        ``output_path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: for another output suffix, no node showing a mesh with one of ``targets``, or a node
            whose default weights disagree with its mesh's number of targets.
        FileNotFoundError, PermissionError: the output folder is missing or not writable.
    """
    character_path, output_path = Path(character_path), Path(output_path)
    suffix = output_path.suffix.lower()
    if suffix not in GLTF_CHARACTER_SUFFIXES:
        raise ValueError(f"a glTF character is written as one of {GLTF_CHARACTER_SUFFIXES}, got {output_path.name!r}")
    document, blob, extra_chunks = _load(character_path)
    blendshape_meshes = {mesh.key: mesh.targets for mesh in _character(character_path, document, warn=False).meshes}
    n_frames = len(next(iter(targets.values())))
    new = _Appender(document, blob)

    times = (np.arange(n_frames) / fps).astype(np.float32)
    time_accessor = new.accessor(times, minmax=True)
    samplers, channels, cache = [], [], {}
    for node_index, node in enumerate(document.get("nodes") or []):
        mesh_index = node.get("mesh")
        names = blendshape_meshes.get(mesh_index, ())
        if not any(name in targets for name in names):
            continue
        mesh = document["meshes"][mesh_index]
        defaults = tuple(node.get("weights") or mesh.get("weights") or [0.0] * len(names))
        if len(defaults) != len(names):
            raise ValueError(
                f"{character_path}: node {node_index} has {len(defaults)} default weights for {len(names)} targets"
            )
        key = (mesh_index, defaults)
        if key not in cache:
            weights = np.tile(np.asarray(defaults, np.float32), (n_frames, 1))
            for k, name in enumerate(names):
                if name in targets:
                    weights[:, k] = targets[name]
            cache[key] = len(samplers)
            samplers.append({"input": time_accessor, "interpolation": "LINEAR", "output": new.accessor(weights)})
        channels.append({"sampler": cache[key], "target": {"node": node_index, "path": "weights"}})
    if not channels:
        raise ValueError(f"{character_path}: no node shows a mesh with the mapped blendshapes")
    document.setdefault("animations", []).append({"name": take, "samplers": samplers, "channels": channels})

    blob = new.finish(glb=suffix == ".glb")
    _rebase_uris(document, character_path.parent, output_path.parent)
    with atomic_output(output_path) as tmp:
        tmp.write_bytes(_glb_bytes(document, blob, extra_chunks) if suffix == ".glb" else _json_bytes(document))
    return output_path


def _target_names(mesh: dict) -> list | None:
    """``mesh.extras.targetNames``, else the first primitive's ``extras.targetNames``, else None."""
    for holder in (mesh, *(mesh.get("primitives") or [])[:1]):
        extras = holder.get("extras")
        if isinstance(extras, dict) and isinstance(extras.get("targetNames"), list):
            return extras["targetNames"]
    return None


def _load(path: Path) -> tuple[dict, bytes | None, list[tuple[int, bytes]]]:
    """The JSON document, the GLB binary chunk (None for .gltf or a GLB without one) and other GLB chunks."""
    if not path.is_file():
        raise FileNotFoundError(f"no such character file: {path}")
    data = path.read_bytes()
    blob, extra_chunks = None, []
    if data[:4] == b"glTF":
        text, blob, extra_chunks = _parse_glb(path, data)
    else:
        text = data
    try:
        document = json.loads(text.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"{path} is not a glTF file (neither GLB nor JSON)") from None
    version = str((document.get("asset") or {}).get("version", "")) if isinstance(document, dict) else ""
    if not version.startswith("2."):
        raise ValueError(f"{path} is not glTF 2.0 (asset.version {version!r})")
    return document, blob, extra_chunks


def _parse_glb(path: Path, data: bytes) -> tuple[bytes, bytes | None, list[tuple[int, bytes]]]:
    """Split a GLB into its JSON chunk, BIN chunk (or None) and any further chunks."""
    if len(data) < 20:
        raise ValueError(f"{path} is a truncated GLB file")
    magic, version, length = struct.unpack_from("<III", data, 0)
    if magic != _GLB_MAGIC or version != 2 or length > len(data):
        raise ValueError(f"{path} is not a GLB 2.0 file (version {version}, length {length} of {len(data)} bytes)")
    chunks, offset = [], 12
    while offset + 8 <= length:
        size, kind = struct.unpack_from("<II", data, offset)
        chunks.append((kind, data[offset + 8: offset + 8 + size]))
        offset += 8 + size
    if not chunks or chunks[0][0] != _JSON_CHUNK:
        raise ValueError(f"{path}: a GLB file must start with a JSON chunk")
    blob = chunks[1][1] if len(chunks) > 1 and chunks[1][0] == _BIN_CHUNK else None
    rest = chunks[2:] if blob is not None else chunks[1:]
    return chunks[0][1], blob, rest


class _Appender:
    """Appends float32 accessors to the document: into the GLB binary chunk, or one new data-URI buffer."""

    def __init__(self, document: dict, blob: bytes | None) -> None:
        self.document = document
        buffers = document.setdefault("buffers", [])
        self.in_glb = blob is not None and bool(buffers) and "uri" not in buffers[0]
        self.data = bytearray(blob if self.in_glb else b"")
        if self.in_glb:
            self.data += b"\0" * (-len(self.data) % 4)
            self.buffer = 0
        else:
            self.buffer = len(buffers)
            buffers.append({"byteLength": 0})

    def accessor(self, values: np.ndarray, minmax: bool = False) -> int:
        """Append float32 ``values`` as a SCALAR accessor (min/max when asked); returns its index."""
        raw = np.ascontiguousarray(values, "<f4").tobytes()
        views = self.document.setdefault("bufferViews", [])
        views.append({"buffer": self.buffer, "byteOffset": len(self.data), "byteLength": len(raw)})
        self.data += raw + b"\0" * (-len(raw) % 4)
        accessor = {"bufferView": len(views) - 1, "componentType": _FLOAT, "count": values.size, "type": _SCALAR}
        if minmax:
            accessor.update(min=[float(values.min())], max=[float(values.max())])
        accessors = self.document.setdefault("accessors", [])
        accessors.append(accessor)
        return len(accessors) - 1

    def finish(self, glb: bool) -> bytes | None:
        """Close the buffer; returns the GLB binary chunk to write (None when the output has none)."""
        buffer = self.document["buffers"][self.buffer]
        buffer["byteLength"] = len(self.data)
        if self.in_glb and glb:
            return bytes(self.data)
        buffer["uri"] = _DATA_URI + base64.b64encode(bytes(self.data)).decode("ascii")
        return None


def _rebase_uris(document: dict, source: Path, target: Path) -> None:
    """Rewrite relative file URIs of buffers and images so that they resolve from ``target`` as from ``source``."""
    if source.resolve() == target.resolve():
        return
    for item in (document.get("buffers") or []) + (document.get("images") or []):
        uri = item.get("uri")
        if not isinstance(uri, str) or urlsplit(uri).scheme or uri.startswith("/"):
            continue
        absolute = (source / unquote(uri)).resolve()
        item["uri"] = quote(Path(os.path.relpath(absolute, target.resolve())).as_posix())


def _json_bytes(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _glb_bytes(document: dict, blob: bytes | None, extra_chunks: list[tuple[int, bytes]]) -> bytes:
    """A GLB container: the JSON chunk (space-padded), the BIN chunk (zero-padded) if any, the other chunks."""
    text = _json_bytes(document)
    chunks = [(_JSON_CHUNK, text + b" " * (-len(text) % 4))]
    if blob is not None:
        chunks.append((_BIN_CHUNK, blob + b"\0" * (-len(blob) % 4)))
    chunks += [(kind, data + b"\0" * (-len(data) % 4)) for kind, data in extra_chunks]
    body = b"".join(struct.pack("<II", len(data), kind) + data for kind, data in chunks)
    return struct.pack("<III", _GLB_MAGIC, 2, 12 + len(body)) + body
