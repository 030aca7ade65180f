"""Datasets of speech with face motion, loaded as :class:`MotionClip` records (audio at 16 kHz + motion at its fps).

- :mod:`~facemotion.data.facegood`: the real FACEGOOD captures (116-channel rig mapped to ARKit-52).
- :mod:`~facemotion.data.livelink`: Live Link Face CSV takes (ARKit-52) with their speech.
- :mod:`~facemotion.data.vocaset`, :mod:`~facemotion.data.biwi`: registered meshes in FaceFormer/CodeTalker's
  layout, with the standard FaceFormer splits.
- :mod:`~facemotion.data.flame_sequences`: FLAME expression + jaw pose sequences, and EMOTE-style MEAD
  pseudo-ground-truth with emotion and intensity labels.

The licensed corpora (VOCASET, BIWI, MEAD, FLAME) are never shipped; users point the loaders at their own copies.
The loaders load on first use (PEP 562): the inference path imports :mod:`~facemotion.data.clip` alone.
"""

from importlib import import_module
from typing import TYPE_CHECKING

_PUBLIC = {
    **dict.fromkeys(("BIWI_FPS", "BIWI_SPLITS", "load_biwi"), "facemotion.data.biwi"),
    "EMOTIONS": "facemotion.expression.emotion",
    **dict.fromkeys(("REPRESENTATIONS", "MotionClip"), "facemotion.data.clip"),
    **dict.fromkeys(
        ("FACEGOOD_FPS", "FACEGOOD_TRAIN", "FACEGOOD_VALIDATION", "UNMAPPED_CHANNEL_TERMS", "ARKitMapping",
         "load_facegood", "read_arkit_mapping"),
        "facemotion.data.facegood",
    ),
    **dict.fromkeys(("MEAD_FPS", "load_flame_sequence", "load_mead_pseudo_gt"), "facemotion.data.flame_sequences"),
    "load_livelink_take": "facemotion.data.livelink",
    **dict.fromkeys(("VOCASET_FPS", "VOCASET_MISSING", "VOCASET_SPLITS", "load_vocaset"), "facemotion.data.vocaset"),
}
"""Public name -> the module that defines it."""

__all__ = list(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from facemotion.data.biwi import BIWI_FPS, BIWI_SPLITS, load_biwi
    from facemotion.data.clip import REPRESENTATIONS, MotionClip
    from facemotion.data.facegood import (
        FACEGOOD_FPS,
        FACEGOOD_TRAIN,
        FACEGOOD_VALIDATION,
        UNMAPPED_CHANNEL_TERMS,
        ARKitMapping,
        load_facegood,
        read_arkit_mapping,
    )
    from facemotion.data.flame_sequences import MEAD_FPS, load_flame_sequence, load_mead_pseudo_gt
    from facemotion.data.livelink import load_livelink_take
    from facemotion.data.vocaset import VOCASET_FPS, VOCASET_MISSING, VOCASET_SPLITS, load_vocaset
    from facemotion.expression.emotion import EMOTIONS
