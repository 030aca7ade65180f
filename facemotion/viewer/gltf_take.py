"""A take read back from a glTF file's animation: the morph target weights and the neck and eye rotations.

What ``facemotion animate -o take.glb`` (:func:`facemotion.exporters.gltf.export_gltf`) and ``facemotion retarget``
(:func:`facemotion.retarget.gltf_character.write_gltf_character`) write (Khronos glTF 2.0, 3.11 "Animations"): an
animation whose ``weights`` channels key each mesh's morph targets (named by ``mesh.extras.targetNames``) at the
frame times ``t / fps``, and, for a take with head or eye rotations, ``rotation`` channels on the ``Neck``,
``LeftEye`` and ``RightEye`` nodes (:mod:`facemotion.exporters.head_pose`).
"""

import os
import struct
from pathlib import Path

import numpy as np

from facemotion.animation import FaceAnimation
from facemotion.exporters.head_pose import EYE_JOINTS, HEAD_JOINT, rotation_angles
from facemotion.inputs import input_file

_COMPONENTS = {5126: ("<f4", None), 5121: ("<u1", 255.0), 5123: ("<u2", 65535.0)}
"""Component types of animation outputs (glTF 2.0, 3.11: float, or normalised unsigned byte and short): numpy dtype,
and the divisor of a normalised integer."""

_WIDTH = {"SCALAR": 1, "VEC4": 4}

STILL_FPS = 30.0
"""Frame rate given to a take of a single keyframe (the file has no interval to tell it)."""


def read_gltf_take(path: str | os.PathLike) -> FaceAnimation:
    """The take of a glTF file: its last animation that keys morph target weights.

    Every morph target the animation keys becomes a channel (a name keyed on several meshes, e.g. ``jawOpen`` on
    the head and the teeth, once: the first mesh's curve). Rotations of nodes named ``Neck``, ``LeftEye`` and
    ``RightEye`` become ``head_rotation`` (T, 3) and ``eye_rotation`` (T, 2, 2), degrees, as
    :class:`~facemotion.animation.FaceAnimation` defines them.

    Args:
        path: a ``.glb`` or ``.gltf`` file.

    Returns:
        A :class:`FaceAnimation`: weights (T, C) float32, fps from the key interval (:data:`STILL_FPS` for a single
        key), no phonemes and no audio.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: not glTF 2.0, no animation of morph target weights, unnamed morph targets, keys that do not
            start at 0 or are not evenly spaced (or differ between channels), accessors that are sparse or of
            another type, or weights outside [0, 1]. The message names the file.
    """
    if Path(path).suffix.lower() not in (".glb", ".gltf"):
        raise ValueError(f"a glTF take ends in .glb or .gltf, got {Path(path).name!r}")
    path = input_file(path, "glTF take")
    import pygltflib as gl

    try:
        gltf = gl.GLTF2.load(str(path))
        if gltf is None:
            raise ValueError("not a glTF 2.0 file")
        gltf.convert_buffers(gl.BufferFormat.BINARYBLOB)
        return _take(gltf, gltf.binary_blob() or b"")
    except FileNotFoundError as error:
        raise FileNotFoundError(f"{path}: a buffer it refers to is missing: {error.filename or error}") from None
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, struct.error) as error:
        raise ValueError(f"cannot read a take from {Path(path)}: {str(error).splitlines()[0]}") from None


def _take(gltf, blob: bytes) -> FaceAnimation:
    """The take of a loaded document whose buffers are all in ``blob``."""
    keyed = [a for a in gltf.animations if any(c.target.path == "weights" for c in a.channels)]
    if not keyed:
        raise ValueError("it has no animation of morph target weights (export a take as .glb first)")
    animation = keyed[-1]
    times, curves, rotations = None, {}, {}
    for channel in animation.channels:
        sampler = animation.samplers[channel.sampler]
        keys = _accessor(gltf, blob, sampler.input, "SCALAR")
        if times is None:
            times = keys
        elif not np.array_equal(keys, times):
            raise ValueError("its channels are keyed at different times")
        node = gltf.nodes[channel.target.node]
        if channel.target.path == "weights":
            names = _target_names(gltf.meshes[node.mesh])
            values = _accessor(gltf, blob, sampler.output, "SCALAR").reshape(len(keys), len(names))
            for k, name in enumerate(names):
                curves.setdefault(name, values[:, k])
        elif channel.target.path == "rotation" and node.name in (HEAD_JOINT, *EYE_JOINTS):
            rotations[node.name] = _accessor(gltf, blob, sampler.output, "VEC4")
    fps = _fps(times)
    weights = np.stack(list(curves.values()), axis=1).astype(np.float32)
    return FaceAnimation(fps=fps, weights=weights, channel_names=tuple(curves), **_angles(rotations, len(times)))


def _angles(rotations: dict[str, np.ndarray], frames: int) -> dict[str, np.ndarray]:
    """``head_rotation`` and ``eye_rotation`` (degrees) of the joints' (T, 4) quaternions (x, y, z, w)."""
    from scipy.spatial.transform import Rotation

    angles = {}
    if HEAD_JOINT in rotations:
        angles["head_rotation"] = rotation_angles(Rotation.from_quat(rotations[HEAD_JOINT])).astype(np.float32)
    if all(name in rotations for name in EYE_JOINTS):
        eyes = [rotation_angles(Rotation.from_quat(rotations[name]))[:, :2] for name in EYE_JOINTS]
        angles["eye_rotation"] = np.stack(eyes, axis=1).astype(np.float32).reshape(frames, 2, 2)
    return angles


def _fps(times: np.ndarray) -> float:
    """The frame rate of keys at ``t / fps``: checked to start at 0 and to be evenly spaced (to 0.1 % of a frame)."""
    if len(times) == 1:
        return STILL_FPS
    step = (times[-1] - times[0]) / (len(times) - 1)
    if step <= 0 or abs(times[0]) > 1e-3 * step or np.abs(np.diff(times) - step).max() > 1e-3 * step:
        raise ValueError("its keys are not frames: they must start at 0 s and be evenly spaced")
    return float(1.0 / step)


def _target_names(mesh) -> list[str]:
    """A mesh's morph target names (``mesh.extras.targetNames``, else its first primitive's)."""
    names = (mesh.extras or {}).get("targetNames") or (mesh.primitives[0].extras or {}).get("targetNames")
    if not names:
        raise ValueError(f"the morph targets of mesh {mesh.name!r} have no names (mesh.extras.targetNames)")
    return list(names)


def _accessor(gltf, blob: bytes, index: int, kind: str) -> np.ndarray:
    """A dense accessor as float64: (count,) for SCALAR, (count, 4) for VEC4."""
    accessor = gltf.accessors[index]
    if accessor.type != kind or accessor.componentType not in _COMPONENTS or accessor.sparse is not None:
        raise ValueError(f"accessor {index} is not a dense {kind} of floats or normalised unsigned integers")
    dtype, divisor = _COMPONENTS[accessor.componentType]
    view = gltf.bufferViews[accessor.bufferView]
    width = _WIDTH[kind]
    item = np.dtype(dtype).itemsize * width
    stride = view.byteStride or item
    start = (view.byteOffset or 0) + (accessor.byteOffset or 0)
    rows = np.ndarray((accessor.count, width), dtype, blob, start, (stride, np.dtype(dtype).itemsize))
    values = rows.astype(np.float64) / (divisor or 1.0)
    return values[:, 0] if kind == "SCALAR" else values
