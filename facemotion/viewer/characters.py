"""A user's glTF character in the viewer: the file as one GLB, and a take's curves on its blendshapes.

The page loads the character with three.js's GLTFLoader from bytes, so a ``.gltf`` with external buffers or images
is packed into one GLB first (pygltflib). The takes drive the character's morph targets by name (glTF
``mesh.extras.targetNames``, read by :func:`facemotion.retarget.gltf_character.read_gltf_character`); ARKit curves
reach other names through a channel mapping, exactly as ``facemotion retarget`` writes them.
"""

import os
import struct
from dataclasses import replace
from pathlib import Path

from facemotion.animation import FaceAnimation
from facemotion.inputs import input_file

_GLB_MAGIC = b"glTF"


def character_glb(path: str | os.PathLike) -> bytes:
    """A glTF character as GLB bytes: a ``.glb`` as it is, a ``.gltf`` with its buffers and images packed in.

    Raises:
        FileNotFoundError: ``path`` (or a buffer or image a ``.gltf`` names) does not exist.
        ValueError: another suffix, or a file that is not glTF 2.0.
    """
    path = input_file(path, "glTF character")
    suffix = path.suffix.lower()
    if suffix == ".glb":
        data = path.read_bytes()
        if data[:4] != _GLB_MAGIC:
            raise ValueError(f"{path} is not a GLB file (glTF binary): it does not start with 'glTF'")
        return data
    if suffix != ".gltf":
        raise ValueError(f"the viewer shows glTF characters (.glb, .gltf), got {path.name!r}")
    import pygltflib as gl

    try:
        gltf = gl.GLTF2.load(str(path))
        if gltf is None:
            raise ValueError("not a glTF 2.0 JSON file")
        gltf.convert_images(gl.ImageFormat.BUFFERVIEW)
        gltf.convert_buffers(gl.BufferFormat.BINARYBLOB)
    except FileNotFoundError as error:
        raise FileNotFoundError(f"{path}: a file it refers to is missing: {error.filename or error}") from None
    except (ValueError, KeyError, TypeError, AttributeError, struct.error) as error:
        raise ValueError(f"cannot read {path} as glTF 2.0: {error}") from None
    return b"".join(gltf.save_to_bytes())


def character_take(take: FaceAnimation, character: str | os.PathLike, mapping=None) -> FaceAnimation:
    """``take`` with one channel per blendshape of the character that it drives.

    A take whose channels are all blendshape names of the character (e.g. read back from the character's own
    glTF) is returned as it is when no mapping is given. Otherwise the mapping combines the take's ARKit channels
    into the character's targets (:meth:`facemotion.retarget.mapping.ChannelMapping.apply`, clipped to [0, 1]).

    Args:
        take: a take with T >= 1 frames.
        character: a ``.glb`` / ``.gltf`` with named morph targets.
        mapping: a :class:`~facemotion.retarget.mapping.ChannelMapping`, a shipped mapping's name or a YAML file;
            None matches ARKit names ignoring case (:func:`~facemotion.retarget.mapping.auto_mapping`).

    Returns:
        The take with ``weights`` (T, K) float32 and ``channel_names`` the K driven targets, in the character's
        order; fps, phonemes, audio and rotations unchanged.

    Raises:
        FileNotFoundError: the character or the mapping file does not exist.
        ValueError: a character that is not glTF or has no named blendshapes, an invalid mapping, or no blendshape
            of the character driven by the take's channels.
    """
    from facemotion.retarget.gltf_character import read_gltf_character
    from facemotion.retarget.mapping import SHIPPED_MAPPINGS, auto_mapping, load_mapping

    path = input_file(character, "glTF character")
    if path.suffix.lower() not in (".glb", ".gltf"):
        raise ValueError(f"the viewer shows glTF characters (.glb, .gltf), got {path.name!r}")
    names = read_gltf_character(path).target_names
    if mapping is None and set(take.channel_names) <= set(names):
        return take
    chosen = load_mapping(mapping) if mapping is not None else auto_mapping(names)
    if chosen is None:
        raise ValueError(f"{Path(path)}: none of the blendshapes {list(names)[:8]} carries an ARKit name (even "
                         f"ignoring case); pass a mapping: one of {list(SHIPPED_MAPPINGS)} or a YAML file")
    channels = set(take.channel_names)
    driven = [t for t in names if t in chosen.targets and any(s in channels for s, _ in chosen.targets[t])]
    if not driven:
        raise ValueError(f"{path}: mapping {chosen.name!r} drives none of the character's blendshapes "
                         f"{list(names)[:8]} from the take's channels")
    return replace(take, weights=chosen.apply(take, driven), channel_names=tuple(driven))
