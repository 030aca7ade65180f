"""VOCASET (Cudeiro et al., "Capture, Learning, and Synthesis of 3D Speaking Styles", CVPR 2019) in FaceFormer's layout.

The research licence of VOCASET forbids redistribution: users register with MPI, download it, and convert it with
FaceFormer's ``process_voca_data.py`` into ``<root>/wav/<subject>_<sentenceNN>.wav``,
``<root>/vertices_npy/<subject>_<sentenceNN>.npy`` ((T, 15069) = 5023 FLAME-topology vertices at 60 fps, metres)
and ``<root>/templates.pkl`` (latin1 pickle ``{subject: (5023, 3)}``). See :mod:`facemotion.data.vertex_corpus`.
"""

from pathlib import Path

from facemotion.data.clip import MotionClip
from facemotion.data.vertex_corpus import load_vertex_corpus, sequence_names

VOCASET_FPS = 60.0
"""Frame rate of VOCASET's registered meshes."""


def _sentences(first: int, last: int) -> tuple[str, ...]:
    return tuple(f"sentence{k:02d}" for k in range(first, last + 1))


def _subjects(*ids: str) -> tuple[str, ...]:
    return tuple(f"FaceTalk_{i}_TA" for i in ids)


VOCASET_SPLITS: dict[str, tuple[str, ...]] = {
    "train": sequence_names(
        _subjects(
            "170728_03272",
            "170904_00128",
            "170725_00137",
            "170915_00223",
            "170811_03274",
            "170913_03279",
            "170904_03276",
            "170912_03278",
        ),
        _sentences(1, 40),
    ),
    "val": sequence_names(_subjects("170811_03275", "170908_03277"), _sentences(21, 40)),
    "test": sequence_names(_subjects("170809_00138", "170731_00024"), _sentences(21, 40)),
}
"""FaceFormer's VOCASET splits (Fan et al., CVPR 2022, and its ``vocaset`` data loader): sequence names
``<subject>_<sentenceNN>``. Train: 8 subjects x sentences 1-40 (320); val and test: 2 subjects x sentences 21-40
(40 each; test has 39 with ground truth, see :data:`VOCASET_MISSING`)."""

VOCASET_MISSING: frozenset[str] = frozenset({"FaceTalk_170809_00138_TA_sentence32"})
"""Sequences of the splits without ground truth in the VOCASET release; skipped when their files are absent."""


def load_vocaset(root: str | Path, split: str, fps: float = 30.0) -> list[MotionClip]:
    """Load one FaceFormer split of VOCASET.

    Every ``60 / fps``-th frame is kept: at the default 30 fps every second frame, as FaceFormer trains and
    evaluates. Sequences of :data:`VOCASET_MISSING` are skipped when their files are absent; any other missing
    file is an error. The vertex count is taken from ``templates.pkl`` (5023 for VOCASET).

    Args:
        root: the folder holding ``wav/``, ``vertices_npy/`` and ``templates.pkl``.
        split: ``"train"``, ``"val"`` or ``"test"`` (:data:`VOCASET_SPLITS`).
        fps: output frame rate; 60 divided by it must be a whole number (60, 30, 20, 15, ...).

    Returns:
        Clips in split order: ``"vertices"`` motion (T, 15069) float32 offsets from the subject template in
        metres, ``template`` (5023, 3) float32, audio (S,) float32 at 16 kHz, ``subject`` e.g.
        ``"FaceTalk_170725_00137_TA"``, name e.g. ``"FaceTalk_170725_00137_TA_sentence01"``.

    Raises:
        ValueError: an unknown split, an fps that does not divide 60, or malformed files
            (see :func:`facemotion.data.vertex_corpus.load_vertex_corpus`).
        FileNotFoundError: the layout or a file of the split is missing (named).
    """
    if split not in VOCASET_SPLITS:
        raise ValueError(f"VOCASET split must be one of {tuple(VOCASET_SPLITS)}, got {split!r}")
    stride = round(VOCASET_FPS / fps) if fps > 0 else 0
    if stride < 1 or stride * fps != VOCASET_FPS:
        raise ValueError(f"fps must divide VOCASET's {VOCASET_FPS:g} fps into whole strides, got {fps}")
    return load_vertex_corpus(root, VOCASET_SPLITS[split], VOCASET_FPS, stride, VOCASET_MISSING)
