"""Vertex id lists of the published evaluation regions, read from the files users download themselves.

- FLAME's ``FLAME_masks.pkl`` (MPI, FLAME licence): a latin1 pickle of ``{region: (N,) int array}`` with
  ``lips`` (254 ids), ``forehead``, ``eye_region``, ``face``, ... on FLAME's 5,023 vertices (VOCASET).
- CodeTalker's ``BIWI/regions/lve.txt`` and ``fdd.txt``: the ids as text, ``", "``-separated on one line
  (CodeTalker reads them with ``f.read().split(", ")``), on BIWI's 23,370 vertices.

None of these files is shipped; see ``DATA_FORMATS.md``.
"""

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from facemotion.face_models.restricted_pickle import load_pickle

PICKLE_SUFFIXES = (".pkl", ".pickle")


def load_vertex_ids(path: str | Path, key: str | Sequence[str] | None = None) -> np.ndarray:
    """Read vertex ids from a mask pickle (``FLAME_masks.pkl``) or a text file of ids (BIWI ``lve.txt``).

    Args:
        path: a ``.pkl``/``.pickle`` file holding a dict of integer arrays, or a text file of non-negative
            integers separated by commas and/or whitespace (newlines included).
        key: for a pickle, the region to read (``"lips"``), or several whose ids are concatenated in the
            given order (``("forehead", "eye_region")``, the upper face of VOCASET's FDD); None for a text file.
            Read safely: nothing but numpy data and plain containers is built from the pickle.

    Returns:
        (N,) int64 ids, N >= 1, in file order (the range [0, V) is checked by the metrics, which know V).

    Raises:
        FileNotFoundError: when the path does not exist.
        ValueError: for a pickle without ``key``, with an unknown key (the message lists those present) or a
            value that is not a 1-D integer array; a text file with ``key`` or with a token that is not a
            non-negative integer; no ids at all.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no vertex id file at {path}")
    if path.suffix.lower() in PICKLE_SUFFIXES:
        ids = _ids_from_pickle(path, key)
    elif key is not None:
        raise ValueError(f"{path.name} is a text file of ids; key={key!r} only applies to a mask pickle")
    else:
        ids = _ids_from_text(path)
    if ids.size == 0:
        raise ValueError(f"{path.name} holds no vertex ids")
    if ids.min() < 0:
        raise ValueError(f"{path.name} holds negative vertex ids")
    return ids


def _ids_from_pickle(path: Path, key: str | Sequence[str] | None) -> np.ndarray:
    masks = load_pickle(path)
    if not isinstance(masks, dict):
        raise ValueError(f"{path.name} must hold a dict of id arrays, got {type(masks).__name__}")  # noqa: TRY004
    if key is None:
        raise ValueError(f"{path.name} holds several regions; pass key= one of {sorted(masks)}")
    keys = (key,) if isinstance(key, str) else tuple(key)
    missing = [name for name in keys if name not in masks]
    if missing or not keys:
        raise ValueError(f"{path.name} has no region {missing or keys!r}; it has {sorted(masks)}")
    arrays = [np.asarray(masks[name]) for name in keys]
    for name, array in zip(keys, arrays):
        if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"{path.name}[{name!r}] must be a 1-D integer array, got {array.shape} {array.dtype}")
    return np.concatenate(arrays).astype(np.int64)


def _ids_from_text(path: Path) -> np.ndarray:
    tokens = [token for token in re.split(r"[,\s]+", path.read_text(encoding="ascii", errors="replace")) if token]
    bad = [token for token in tokens if not token.isdigit()]
    if bad:
        raise ValueError(f"{path.name} must hold non-negative integers separated by commas or spaces, got {bad[0]!r}")
    return np.array([int(token) for token in tokens], np.int64)
