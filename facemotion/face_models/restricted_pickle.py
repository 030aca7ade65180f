"""Unpickling without running code: numpy arrays, dtypes, scalars and plain containers only.

Research model files (FLAME, DECA's landmark embedding) are Python pickles, some written by Python 2 with
chumpy objects and scipy sparse matrices inside. :class:`RestrictedUnpickler` builds only numpy data and
plain containers: a ``chumpy.ch.Ch`` array becomes its numpy value and a scipy sparse matrix a dense numpy
array, without importing chumpy and without calling scipy's unpickling code; torch tensors are replaced by
:data:`OMITTED` unbuilt. Any other global (``os.system``, ``builtins.eval``, ...) makes the read fail with a
``ValueError`` (the approach of Python's documentation, "Restricting Globals").
"""

import io
import pickle
from pathlib import Path
from typing import ClassVar

import numpy as np


class _Omitted:
    """Marker for a pickled object the reader refuses to build (torch tensors); never used as data."""

    def __repr__(self) -> str:
        return "OMITTED"


OMITTED = _Omitted()
"""What a torch tensor inside a pickle reads as: nothing of it is built."""


def _omit(*args, **kwargs) -> _Omitted:
    return OMITTED


class _StandIn:
    """Base of the inert objects built in place of third-party classes; their state is kept, nothing runs."""

    state: object = None

    def __setstate__(self, state) -> None:
        self.state = state


class _ChumpyArray(_StandIn):
    """Stand-in for a ``chumpy`` object: a plain ``chumpy.ch.Ch`` keeps its value in ``state['x']``."""

    chumpy_class = "chumpy.ch.Ch"

    def to_numpy(self) -> np.ndarray | _Omitted:
        if self.chumpy_class == "chumpy.ch.Ch" and isinstance(self.state, dict) and "x" in self.state:
            return np.asarray(_plain(self.state["x"]))
        return OMITTED


class _SparseMatrix(_StandIn):
    """Stand-in for a scipy sparse matrix (csc, csr or coo); becomes a dense numpy array."""

    sparse_format = "csc"

    def to_numpy(self) -> np.ndarray:
        import scipy.sparse

        state = self.state if isinstance(self.state, dict) else {}
        shape = tuple(int(n) for n in state.get("_shape", state.get("shape", ())))
        try:
            if self.sparse_format in ("csc", "csr"):
                parts = (np.asarray(state["data"]), np.asarray(state["indices"]), np.asarray(state["indptr"]))
                matrix = getattr(scipy.sparse, f"{self.sparse_format}_matrix")(parts, shape=shape)
            else:
                rows, cols = state["coords"] if "coords" in state else (state["row"], state["col"])
                matrix = scipy.sparse.coo_matrix((np.asarray(state["data"]), (rows, cols)), shape=shape)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"unreadable sparse {self.sparse_format} matrix in the pickle: {error}") from None
        return matrix.toarray()


def _reconstructor(cls, base, state):
    """``copyreg._reconstructor`` limited to the stand-in classes (old pickle protocols build objects with it)."""
    if not (isinstance(cls, type) and issubclass(cls, _StandIn)) or base is not object:
        raise pickle.UnpicklingError(f"refusing to rebuild {cls!r} on {base!r}")
    return object.__new__(cls)


def _numpy_globals() -> dict[tuple[str, str], object]:
    try:
        from numpy._core import multiarray, numeric
    except ImportError:  # numpy < 2
        from numpy.core import multiarray, numeric
    allowed = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for module in ("numpy.core", "numpy._core"):
        allowed[(f"{module}.multiarray", "_reconstruct")] = multiarray._reconstruct
        allowed[(f"{module}.multiarray", "scalar")] = multiarray.scalar
        allowed[(f"{module}.numeric", "_frombuffer")] = numeric._frombuffer
    return allowed


_BUILTINS = {name: getattr(__import__("builtins"), name) for name in (
    "object", "set", "frozenset", "list", "dict", "tuple", "complex", "slice", "bytearray", "bytes", "str",
    "int", "float", "bool",
)}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds numpy data and plain containers only, for FLAME's latin1 pickles.

    Allowed globals: numpy ``ndarray``/``dtype``/``_reconstruct``/``scalar``/``_frombuffer``, ``_codecs.encode``,
    benign builtins (``object``, ``set``, ``list``, ...), ``collections.OrderedDict``, ``copyreg._reconstructor``
    for the stand-ins only; ``chumpy.*`` classes and ``scipy.sparse`` csc/csr/coo matrices map to inert
    stand-ins (see :func:`load_pickle`); ``torch.*`` globals map to a function returning :data:`OMITTED`.
    Everything else raises ``pickle.UnpicklingError``.
    """

    _allowed: ClassVar[dict[tuple[str, str], object]] = {
        **_numpy_globals(),
        ("_codecs", "encode"): __import__("codecs").encode,
        ("collections", "OrderedDict"): __import__("collections").OrderedDict,
        ("copy_reg", "_reconstructor"): _reconstructor,
        ("copyreg", "_reconstructor"): _reconstructor,
        **{(module, name): value for module in ("builtins", "__builtin__") for name, value in _BUILTINS.items()},
    }

    def find_class(self, module: str, name: str):
        if (module, name) in self._allowed:
            return self._allowed[(module, name)]
        if module == "chumpy" or module.startswith("chumpy."):
            return type(f"Chumpy_{name}", (_ChumpyArray,), {"chumpy_class": f"{module}.{name}"})
        if module.startswith("scipy.sparse"):
            sparse_format = name.split("_")[0]
            if name in (f"{sparse_format}_matrix", f"{sparse_format}_array") and sparse_format in ("csc", "csr", "coo"):
                return type(f"Sparse_{name}", (_SparseMatrix,), {"sparse_format": sparse_format})
        if module == "torch" or module.startswith("torch."):
            return _omit
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a FLAME file")


def _plain(value):
    """Replace the stand-ins inside a loaded structure by numpy arrays (or :data:`OMITTED`)."""
    if isinstance(value, (_ChumpyArray, _SparseMatrix)):
        return value.to_numpy()
    if isinstance(value, _StandIn):
        return OMITTED
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(item) for item in value)
    if isinstance(value, np.ndarray) and value.dtype == object:
        out = np.empty(value.shape, dtype=object)
        for index, item in np.ndenumerate(value):
            out[index] = _plain(item)
        return out
    return value


def load_pickle(file: str | Path | io.BufferedIOBase):
    """Read a latin1 pickle (Python 2 or 3) with :class:`RestrictedUnpickler`; stand-ins become numpy arrays.

    Args:
        file: a path, or a binary file object positioned at the pickle.

    Returns:
        The unpickled object, with every ``chumpy.ch.Ch`` replaced by its value (``np.ndarray``), every scipy
        sparse matrix by a dense ``np.ndarray``, and torch tensors or chumpy expressions other than a plain
        ``Ch`` by :data:`OMITTED`.

    Raises:
        FileNotFoundError: when the path does not exist.
        ValueError: when the file is not a pickle, or it names a global outside the allowed set.
    """
    if isinstance(file, (str, Path)):
        if not Path(file).is_file():
            raise FileNotFoundError(f"no file at {file}")
        with open(file, "rb") as stream:
            return load_pickle(stream)
    name = getattr(file, "name", "the pickle")
    try:
        loaded = RestrictedUnpickler(file, encoding="latin1").load()
    except pickle.UnpicklingError as error:
        raise ValueError(f"{name}: {error}") from None
    except (EOFError, AttributeError, ImportError, IndexError, TypeError, KeyError) as error:
        raise ValueError(f"{name} is not a readable pickle: {type(error).__name__}: {error}") from None
    return _plain(loaded)


def load_npy(path: str | Path):
    """Read a ``.npy`` file; an object array (a pickled dict, as DECA's landmark file) goes through :func:`load_pickle`.

    Returns:
        The array; a 0-d object array is unwrapped to the object it holds.

    Raises:
        FileNotFoundError: when the path does not exist.
        ValueError: when the file is not a ``.npy`` file or its pickle is refused.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no file at {path}")
    with open(path, "rb") as stream:
        try:
            version = np.lib.format.read_magic(stream)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"unsupported .npy format version {version}")
            header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            _, _, dtype = header(stream)
        except ValueError as error:
            raise ValueError(f"{path} is not a .npy file: {error}") from None
        if not dtype.hasobject:
            stream.seek(0)
            return np.load(stream, allow_pickle=False)
        array = load_pickle(stream)
    if isinstance(array, np.ndarray) and array.shape == () and array.dtype == object:
        return array.item()
    return array
