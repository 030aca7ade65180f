"""The registered-mesh corpus layout of FaceFormer and CodeTalker: ``wav/``, ``vertices_npy/``, ``templates.pkl``.

VOCASET and BIWI are both distributed to research code in this layout (FaceFormer's ``process_voca_data.py``,
CodeTalker's BIWI preprocessing): ``<root>/wav/<name>.wav``, ``<root>/vertices_npy/<name>.npy`` holding (T, V * 3)
vertex positions per frame, and ``<root>/templates.pkl``, a latin1 pickle ``{subject: (V, 3) neutral vertices}``.
A sequence ``<name>`` is ``<subject>_<sentence>``.
"""

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from facemotion.data.clip import MotionClip
from facemotion.data.files import read_array, read_speech, read_templates


def sequence_names(subjects: Iterable[str], sentences: Iterable[str]) -> tuple[str, ...]:
    """``<subject>_<sentence>`` for every subject and sentence, subject-major."""
    sentences = tuple(sentences)
    return tuple(f"{subject}_{sentence}" for subject in subjects for sentence in sentences)


def load_vertex_corpus(
    root: str | Path, names: Iterable[str], source_fps: float, stride: int, missing: frozenset[str] = frozenset()
) -> list[MotionClip]:
    """Load sequences of the FaceFormer/CodeTalker layout as ``"vertices"`` clips.

    Args:
        root: the corpus folder holding ``wav/``, ``vertices_npy/`` and ``templates.pkl``.
        names: the sequences ``<subject>_<sentence>`` to load, in this order.
        source_fps: the frame rate of the ``.npy`` files.
        stride: keep every ``stride``-th frame (clip fps = ``source_fps / stride``).
        missing: sequences known to lack a file in the release; they are left out without error when a file
            is absent.

    Returns:
        One :class:`MotionClip` per loaded sequence: motion (T, V * 3) float32 offsets from the subject's
        template, in the units of the files; ``template`` (V, 3) float32; ``subject`` the name before the last
        ``_``.

    Raises:
        FileNotFoundError: ``root``, ``wav/``, ``vertices_npy/`` or ``templates.pkl`` is missing, or a file
            of a sequence not in ``missing`` is (named).
        ValueError: a subject has no template, a vertex file is not (T, V * 3) for its template's V, or audio
            and motion lengths differ by more than 1 s (the files are named).
    """
    root = Path(root)
    for folder in (root / "wav", root / "vertices_npy"):
        if not folder.is_dir():
            raise FileNotFoundError(
                f"missing folder {folder} (expected the FaceFormer layout wav/, vertices_npy/, templates.pkl)"
            )
    templates = read_templates(root / "templates.pkl")
    clips = []
    for name in names:
        wav, npy = root / "wav" / f"{name}.wav", root / "vertices_npy" / f"{name}.npy"
        if name in missing and not (wav.is_file() and npy.is_file()):
            continue
        clips.append(_load_sequence(name, wav, npy, templates, source_fps, stride))
    return clips


def _load_sequence(
    name: str, wav: Path, npy: Path, templates: dict[str, np.ndarray], source_fps: float, stride: int
) -> MotionClip:
    subject = name.rsplit("_", 1)[0]
    if subject not in templates:
        raise ValueError(f"templates.pkl has no template for subject {subject!r} (needed by {npy})")
    template = templates[subject]
    vertices = read_array(npy)
    if vertices.ndim != 2 or vertices.shape[1] != template.size:
        raise ValueError(
            f"{npy} has shape {vertices.shape}, expected (T, {template.size}) for the "
            f"{len(template)} template vertices of {subject}"
        )
    motion = vertices[::stride].astype(np.float32) - template.reshape(1, -1)
    fps = source_fps / stride
    audio = read_speech(wav, len(motion), fps, npy)
    return MotionClip(
        name=name, audio=audio, fps=fps, motion=motion, representation="vertices", subject=subject, template=template
    )
