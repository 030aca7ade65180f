"""Datasets of speech with face motion, loaded as :class:`MotionClip` records (audio at 16 kHz + motion at its fps).

- :mod:`~facemotion.data.facegood`: the real FACEGOOD captures (116-channel rig mapped to ARKit-52).
- :mod:`~facemotion.data.livelink`: Live Link Face CSV takes (ARKit-52) with their speech.
- :mod:`~facemotion.data.vocaset`, :mod:`~facemotion.data.biwi`: registered meshes in FaceFormer/CodeTalker's
  layout, with the standard FaceFormer splits.
- :mod:`~facemotion.data.flame_sequences`: FLAME expression + jaw pose sequences, and EMOTE-style MEAD
  pseudo-ground-truth with emotion and intensity labels.

The licensed corpora (VOCASET, BIWI, MEAD, FLAME) are never shipped; users point the loaders at their own copies.
"""

from facemotion.data.biwi import BIWI_FPS, BIWI_SPLITS, load_biwi
from facemotion.data.clip import EMOTIONS, REPRESENTATIONS, MotionClip
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

__all__ = [
    "BIWI_FPS",
    "BIWI_SPLITS",
    "EMOTIONS",
    "FACEGOOD_FPS",
    "FACEGOOD_TRAIN",
    "FACEGOOD_VALIDATION",
    "MEAD_FPS",
    "REPRESENTATIONS",
    "UNMAPPED_CHANNEL_TERMS",
    "VOCASET_FPS",
    "VOCASET_MISSING",
    "VOCASET_SPLITS",
    "ARKitMapping",
    "MotionClip",
    "load_biwi",
    "load_facegood",
    "load_flame_sequence",
    "load_livelink_take",
    "load_mead_pseudo_gt",
    "load_vocaset",
    "read_arkit_mapping",
]
