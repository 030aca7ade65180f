"""BIWI 3D Audiovisual Corpus of Affective Communication (Fanelli et al., IEEE TMM 2010) in CodeTalker's layout.

The research licence of BIWI forbids redistribution: users obtain it from ETH and preprocess it as FaceFormer and
CodeTalker do into ``<root>/wav/<subject>_<eNN>.wav``, ``<root>/vertices_npy/<subject>_<eNN>.npy``
((T, 70110) = 23,370 vertices at 25 fps) and ``<root>/templates.pkl`` (latin1 pickle ``{subject: (23370, 3)}``).
The meshes are normalised (centred and scaled by surface area), so positions, offsets and the lip vertex error
(LVE) computed on them are in **dataset units, not metres or millimetres**.
See :mod:`facemotion.data.vertex_corpus`.
"""

from pathlib import Path

from facemotion.data.clip import MotionClip
from facemotion.data.vertex_corpus import load_vertex_corpus, sequence_names

BIWI_FPS = 25.0
"""Frame rate of BIWI's registered meshes."""

_SEEN = ("F2", "F3", "F4", "M3", "M4", "M5")
_UNSEEN = ("F1", "F5", "F6", "F7", "F8", "M1", "M2", "M6")


def _sentences(first: int, last: int) -> tuple[str, ...]:
    return tuple(f"e{k:02d}" for k in range(first, last + 1))


BIWI_SPLITS: dict[str, tuple[str, ...]] = {
    "train": sequence_names(_SEEN, _sentences(1, 32)),
    "val": sequence_names(_SEEN, _sentences(33, 36)),
    "test_a": sequence_names(_SEEN, _sentences(37, 40)),
    "test_b": sequence_names(_UNSEEN, _sentences(37, 40)),
}
"""FaceFormer's BIWI splits (Fan et al., CVPR 2022; used by CodeTalker): sequence names ``<subject>_<eNN>``.
Train: F2 F3 F4 M3 M4 M5 x e01-e32 (192); val: the same six x e33-e36 (24); test_a: the same six x e37-e40 (24,
the split of published LVE/FDD numbers); test_b: the eight unseen subjects F1 F5 F6 F7 F8 M1 M2 M6 x e37-e40 (32)."""


def load_biwi(root: str | Path, split: str) -> list[MotionClip]:
    """Load one FaceFormer/CodeTalker split of BIWI at its 25 fps.

    Args:
        root: the folder holding ``wav/``, ``vertices_npy/`` and ``templates.pkl``.
        split: ``"train"``, ``"val"``, ``"test_a"`` or ``"test_b"`` (:data:`BIWI_SPLITS`).

    Returns:
        Clips in split order: ``"vertices"`` motion (T, 70110) float32 offsets from the subject template in
        dataset units (not metres), ``template`` (23370, 3) float32, audio (S,) float32 at 16 kHz, ``subject``
        e.g. ``"F2"``, name e.g. ``"F2_e01"``.

    Raises:
        ValueError: an unknown split, or malformed files (see :func:`facemotion.data.vertex_corpus.load_vertex_corpus`).
        FileNotFoundError: the layout or a file of the split is missing (named).
    """
    if split not in BIWI_SPLITS:
        raise ValueError(f"BIWI split must be one of {tuple(BIWI_SPLITS)}, got {split!r}")
    return load_vertex_corpus(root, BIWI_SPLITS[split], BIWI_FPS, stride=1)
