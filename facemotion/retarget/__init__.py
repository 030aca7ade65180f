"""Retargeting: an ARKit-52 animation onto a user's own character, written back in the character's format.

::

    from facemotion.retarget import retarget
    report = retarget(animation, "my_head.glb", "my_head_talking.glb", mapping="lr_suffix")
    report.mapped, report.unmapped_targets, report.unused_channels

A :class:`~facemotion.retarget.mapping.ChannelMapping` says which ARKit channels drive which of the
character's blendshapes (shipped: ``arkit``, ``livelink``, ``lr_suffix``, ``vrm_visemes``; or a YAML file);
without one, blendshapes named like ARKit channels (exactly or ignoring case) are matched.

Characters, by suffix: ``.glb``/``.gltf`` (glTF 2.0 morph targets, :mod:`~facemotion.retarget.gltf_character`)
and ``.usd``/``.usda``/``.usdc`` (UsdSkel blend shapes, :mod:`~facemotion.retarget.usd_character`). FBX
characters are not read here: reading FBX needs Blender, which comes in a later step.
"""

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facemotion.animation import FaceAnimation
from facemotion.retarget.characters import USD_CHARACTER_SUFFIXES, Character, CharacterMesh
from facemotion.retarget.gltf_character import GLTF_CHARACTER_SUFFIXES, read_gltf_character, write_gltf_character
from facemotion.retarget.mapping import (
    SHIPPED_MAPPINGS,
    ChannelMapping,
    auto_mapping,
    load_mapping,
    mapping_path,
)

__all__ = [
    "CHARACTER_SUFFIXES",
    "SHIPPED_MAPPINGS",
    "ChannelMapping",
    "Character",
    "CharacterMesh",
    "RetargetReport",
    "auto_mapping",
    "load_mapping",
    "mapping_path",
    "read_character",
    "retarget",
]

Writer = Callable[[Path, Path, dict[str, np.ndarray], float, str], Path]


def _read_usd(path: Path) -> Character:  # USD (pxr) loads with the first USD character, not with this package
    from facemotion.retarget.usd_character import read_usd_character

    return read_usd_character(path)


def _write_usd(*args) -> Path:
    from facemotion.retarget.usd_character import write_usd_character

    return write_usd_character(*args)


_FORMATS: dict[str, tuple[str, Callable[[Path], Character], Writer, tuple[str, ...]]] = {
    **{s: ("glTF", read_gltf_character, write_gltf_character, GLTF_CHARACTER_SUFFIXES)
       for s in GLTF_CHARACTER_SUFFIXES},
    **{s: ("USD", _read_usd, _write_usd, USD_CHARACTER_SUFFIXES)
       for s in USD_CHARACTER_SUFFIXES},
}
"""Lower-case suffix -> (format name, reader, writer, the suffixes the animated character may be written as)."""

CHARACTER_SUFFIXES: tuple[str, ...] = tuple(_FORMATS)
"""Suffixes of the character files :func:`retarget` reads and writes."""

_FBX_MESSAGE = (
    "FBX characters are not read yet: reading FBX needs Blender and comes in a later step; export your "
    "character as glTF 2.0 (.glb) or USD from your modelling tool (in Blender: File > Export > glTF 2.0, "
    "with shape keys) and retarget that"
)


@dataclass(frozen=True)
class RetargetReport:
    """What :func:`retarget` did.

    Attributes:
        mapped: the character's blendshapes that now follow the animation, in file order (a name shared by
            several meshes, e.g. ``jawOpen`` on head and teeth, once).
        unmapped_targets: the character's blendshapes the mapping does not drive (or drives only from
            channels the animation lacks); they keep their default weight (glTF) or 0 (USD) in the new take.
        unused_channels: the animation's channels that no mapped blendshape reads.
        missing_targets: targets of the mapping the character does not have.
        mapping: the mapping's name (``"auto"`` for name matching).
        output: the file written.
    """

    mapped: tuple[str, ...]
    unmapped_targets: tuple[str, ...]
    unused_channels: tuple[str, ...]
    missing_targets: tuple[str, ...] = ()
    mapping: str = "auto"
    output: Path | None = None


def read_character(path: str | os.PathLike) -> Character:
    """The blendshape meshes of a character file, read by the module of its suffix (case-insensitive).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: an FBX file (read through Blender in a later step: convert it to glTF or USD), another
            unsupported suffix, a file with no mesh ("no mesh") or no blendshapes ("no blendshapes"), or an
            unreadable file.
    """
    path = Path(path)
    return _format(path)[1](path)


def retarget(
    animation: FaceAnimation,
    character_path: str | os.PathLike,
    output_path: str | os.PathLike,
    mapping: "ChannelMapping | str | os.PathLike | None" = None,
    *,
    take: str = "facemotion",
) -> RetargetReport:
    """Animate a user's character with an ARKit-52 animation and write it, in the character's format.

    Each of the character's blendshapes that the mapping drives gets, at frame ``t`` (time ``t / fps``
    seconds), ``clip(sum_j w_j * channel_j(t), 0, 1)`` over its sources (a source the animation lacks counts
    as 0); every mesh with a blendshape of that name follows it. glTF: the file is copied intact with one more
    animation named ``take`` on the weights of every node whose mesh has a mapped target
    (:func:`~facemotion.retarget.gltf_character.write_gltf_character`). USD: a new stage sublayers the
    character and binds a SkelAnimation ``take`` to its Skeleton(s)
    (:func:`~facemotion.retarget.usd_character.write_usd_character`). The file appears only when complete.

    Warnings (:mod:`warnings`, also returned in the report): blendshapes left undriven, mapping targets the
    character lacks (explicit mappings only), animation channels nothing reads, mapping sources the
    animation lacks.

    Args:
        animation: T >= 1 frames of weights (T, C) float32 in [0, 1]; ARKit channel names.
        character_path: ``.glb``, ``.gltf``, ``.usd``, ``.usda`` or ``.usdc`` with named blendshapes.
        output_path: where to write: a glTF suffix for a glTF character, a USD suffix for a USD one;
            not the character file; its folder must exist.
        mapping: a :class:`ChannelMapping`, a shipped mapping's name (:data:`SHIPPED_MAPPINGS`), a YAML
            file, or ``None`` to match ARKit names exactly or ignoring case (:func:`auto_mapping`).
        take: the name of the new animation.

    Returns:
        A :class:`RetargetReport`.

    Raises:
        FileNotFoundError: the character or mapping file does not exist, or the output folder is missing.
        ValueError: an FBX or other unsupported character, an output suffix of another format, the output
            path equal to the character's, an animation without frames, a character with no mesh or no
            blendshapes, an invalid mapping (e.g. source channels that are not ARKit-52, named), or no
            blendshape driven at all (with ``mapping=None``: none carries an ARKit name).
        PermissionError: the output folder is not writable.
    """
    character_path, output_path = Path(character_path), Path(output_path)
    kind, _, writer, output_suffixes = _format(character_path)
    if output_path.suffix.lower() not in output_suffixes:
        raise ValueError(f"a {kind} character is written back as {kind} {output_suffixes}, got {output_path.name!r}")
    if output_path.resolve() == character_path.resolve():
        raise ValueError(f"the output must not overwrite the character file {character_path}")
    if animation.n_frames == 0:
        raise ValueError("the animation has no frames")
    explicit = mapping is not None
    mapping = load_mapping(mapping) if explicit else None
    character = read_character(character_path)
    names = character.target_names
    if mapping is None:
        mapping = auto_mapping(names)
        if mapping is None:
            raise ValueError(
                f"{character_path}: none of the blendshapes {_short(names)} carries an ARKit name (even ignoring "
                f"case); pass a mapping: one of {list(SHIPPED_MAPPINGS)} or a YAML file"
            )

    channels = set(animation.channel_names)
    mapped = tuple(t for t in names if t in mapping.targets and any(s in channels for s, _ in mapping.targets[t]))
    if not mapped:
        raise ValueError(
            f"{character_path}: mapping {mapping.name!r} drives none of the character's blendshapes "
            f"{_short(names)} from the animation's channels"
        )
    used = {source for target in mapped for source, _ in mapping.targets[target]}
    report = RetargetReport(
        mapped=mapped,
        unmapped_targets=tuple(t for t in names if t not in mapped),
        unused_channels=tuple(c for c in animation.channel_names if c not in used),
        missing_targets=tuple(t for t in mapping.targets if t not in names) if explicit else (),
        mapping=mapping.name,
        output=output_path,
    )
    weights = mapping.apply(animation, mapped)
    writer(character_path, output_path, {name: weights[:, k] for k, name in enumerate(mapped)}, animation.fps, take)

    absent = sorted(used - channels)
    for items, message in (
        (report.unmapped_targets, "blendshapes of the character not driven (they keep their rest weight)"),
        (report.missing_targets, f"targets of mapping {mapping.name!r} not on the character"),
        (report.unused_channels, "animation channels that drive no blendshape of the character"),
        (absent, f"channels read by mapping {mapping.name!r} missing from the animation (they count as 0)"),
    ):
        if items:
            warnings.warn(f"{message}: {', '.join(items)}", stacklevel=2)
    return report


def _format(path: Path) -> tuple[str, Callable[[Path], Character], Writer, tuple[str, ...]]:
    suffix = path.suffix.lower()
    if suffix == ".fbx":
        raise ValueError(f"{path.name}: {_FBX_MESSAGE}")
    if suffix not in _FORMATS:
        raise ValueError(f"unsupported character file {path.name!r}; expected one of {CHARACTER_SUFFIXES}")
    return _FORMATS[suffix]


def _short(names: tuple[str, ...], n: int = 8) -> str:
    return str(list(names[:n]))[:-1] + (f", ... ({len(names)} in all)]" if len(names) > n else "]")
