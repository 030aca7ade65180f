"""Synthetic FLAME models written in the real file formats (FLAME's own files are licensed and never in the repo).

``write_flame(arrays, variant=..., landmarks=...)`` writes a folder as a user would have it:

- ``"2020"``: ``generic_model.pkl`` as Python 2 wrote it (pickle protocol 2, ``copy_reg``/``__builtin__`` names,
  ``numpy.core.multiarray`` and ``scipy.sparse.csc`` globals), ``shapedirs`` a ``chumpy.ch.Ch`` object and
  ``J_regressor`` a csc sparse matrix; ``"2020-protocol0"``: the same in the text protocol;
- ``"2023"``: ``flame2023.pkl`` (protocol 4, today's numpy/scipy names, no chumpy) with
  ``supr_expression_metadata``;
- landmarks ``"static"`` (``flame_static_embedding.pkl``, 51 points), ``"deca"`` (``landmark_embedding.npy``:
  a pickled dict with the full 68-point embedding and torch tensors for the dynamic contour), or ``None``.
"""

import pickle
import sys
import types
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
import torch

PARENTS = np.array([-1, 0, 1, 1, 1])


def synthetic_flame_arrays(n_vertices: int = 20, n_landmarks: int = 51, seed: int = 0) -> dict:
    """Arrays of a small random FLAME in the real key layout: trailing dims 400, 36 and 5 as in FLAME.

    Returns:
        ``v_template`` (V, 3), ``f`` (F, 3), ``shapedirs`` (V, 3, 400), ``posedirs`` (V, 3, 36),
        ``J_regressor`` (5, V) dense, ``weights`` (V, 5), ``kintree_table`` (2, 5), ``lmk_face_idx`` (L,) and
        ``lmk_b_coords`` (L, 3). Units: metres; blendshapes of a few millimetres per unit coefficient.
    """
    rng = np.random.default_rng(seed)
    v_template = rng.uniform(-0.08, 0.08, (n_vertices, 3))
    faces = np.stack([rng.choice(n_vertices, 3, replace=False) for _ in range(2 * n_vertices)])
    regressor = np.zeros((5, n_vertices))
    for joint in range(5):
        regressor[joint, rng.choice(n_vertices, 3, replace=False)] = 1 / 3
    weights = rng.uniform(0, 1, (n_vertices, 5)) ** 3
    weights /= weights.sum(1, keepdims=True)
    bary = rng.uniform(0.05, 1, (n_landmarks, 3))
    return {
        "v_template": v_template,
        "f": faces.astype(np.uint32),
        "shapedirs": rng.normal(0, 0.002, (n_vertices, 3, 400)),
        "posedirs": rng.normal(0, 0.0005, (n_vertices, 3, 36)),
        "J_regressor": regressor,
        "weights": weights,
        "kintree_table": np.array([[2**32 - 1, 0, 1, 1, 1], [0, 1, 2, 3, 4]], dtype=np.int64),
        "lmk_face_idx": rng.choice(len(faces), n_landmarks).astype(np.uint32),
        "lmk_b_coords": bary / bary.sum(1, keepdims=True),
    }


@contextmanager
def _fake_modules(modules: dict[str, types.ModuleType]):
    """Put modules in ``sys.modules`` for the time of a pickling, then restore what was there."""
    saved = {name: sys.modules.get(name) for name in modules}
    sys.modules.update(modules)
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _chumpy_module() -> types.ModuleType:
    """A stand-in ``chumpy.ch`` whose ``Ch`` pickles like chumpy's: ``__dict__`` without its weak caches."""

    class Ch:
        def __init__(self, x):
            self.x = x
            self.dterms = ["x"]
            self.terms = []
            self._dirty_vars = set()
            self._parents = object()  # unpicklable in chumpy (a WeakKeyDictionary): dropped by __getstate__

        def __getstate__(self):
            state = dict(self.__dict__)
            del state["_parents"]
            return state

    module = types.ModuleType("chumpy.ch")
    Ch.__module__, Ch.__qualname__ = "chumpy.ch", "Ch"
    module.Ch = Ch
    return module


def write_model_pickle(path: Path, arrays: dict, variant: str = "2020") -> Path:
    """Write a FLAME model pickle (see the module doc for the variants); returns the path."""
    model = {key: arrays[key] for key in ("v_template", "f", "posedirs", "weights", "kintree_table")}
    model["J_regressor"] = scipy.sparse.csc_matrix(arrays["J_regressor"])
    model["J"] = arrays["J_regressor"] @ arrays["v_template"]
    model["bs_style"], model["bs_type"] = "lbs", "lrotmin"
    if variant.startswith("2020"):
        chumpy = _chumpy_module()
        with _fake_modules({"chumpy": types.ModuleType("chumpy"), "chumpy.ch": chumpy}):
            model["shapedirs"] = chumpy.Ch(arrays["shapedirs"])
            data = pickle.dumps(model, protocol=0 if variant.endswith("protocol0") else 2)
        for new, old in ((b"numpy._core.", b"numpy.core."), (b"scipy.sparse._csc", b"scipy.sparse.csc")):
            data = data.replace(new, old)
    elif variant == "2023":
        model["shapedirs"] = arrays["shapedirs"]
        n_exp = arrays["shapedirs"].shape[-1] - 300
        model["supr_expression_metadata"] = {"n_expr": n_exp, "expr_components": "last_100", "note": "synthetic"}
        data = pickle.dumps(model, protocol=4)
    else:
        raise ValueError(f"unknown variant {variant}")
    path.write_bytes(data)
    return path


def write_landmarks(directory: Path, arrays: dict, kind: str | None) -> Path | None:
    """Write ``flame_static_embedding.pkl`` (51) or DECA's ``landmark_embedding.npy`` (68 + 51); returns the path."""
    faces, bary = arrays["lmk_face_idx"], arrays["lmk_b_coords"]
    if kind is None:
        return None
    if kind == "static":
        path = directory / "flame_static_embedding.pkl"
        path.write_bytes(pickle.dumps({"lmk_face_idx": faces, "lmk_b_coords": bary}, protocol=2))
        return path
    if kind == "deca":
        if len(faces) != 68:
            raise ValueError("a DECA embedding needs 68 landmarks")
        path = directory / "landmark_embedding.npy"
        embedding = {
            "static_lmk_faces_idx": faces[17:].astype(np.int64),
            "static_lmk_bary_coords": bary[17:],
            "dynamic_lmk_faces_idx": torch.zeros(79, 17, dtype=torch.long),
            "dynamic_lmk_bary_coords": torch.zeros(79, 17, 3),
            "full_lmk_faces_idx": faces[None].astype(np.int64),
            "full_lmk_bary_coords": bary[None],
        }
        np.save(path, np.array(embedding, dtype=object), allow_pickle=True)
        return path
    raise ValueError(f"unknown landmark kind {kind}")


MODEL_FILE = {"2020": "generic_model.pkl", "2020-protocol0": "generic_model.pkl", "2023": "flame2023.pkl"}


@pytest.fixture
def flame_arrays() -> dict:
    """A 20-vertex random FLAME with 51 landmarks (see :func:`synthetic_flame_arrays`)."""
    return synthetic_flame_arrays()


@pytest.fixture
def flame_arrays_68() -> dict:
    """A 40-vertex random FLAME with a full 68-point landmark embedding."""
    return synthetic_flame_arrays(n_vertices=40, n_landmarks=68, seed=1)


@pytest.fixture(scope="session")
def write_flame(tmp_path_factory):
    """``write_flame(arrays, variant="2020", landmarks="static", name="flame") -> folder``, a new folder each call."""

    def write(arrays: dict, variant: str = "2020", landmarks: str | None = "static", name: str = "flame") -> Path:
        directory = tmp_path_factory.mktemp(name)
        write_model_pickle(directory / MODEL_FILE[variant], arrays, variant)
        write_landmarks(directory, arrays, landmarks)
        return directory

    return write
