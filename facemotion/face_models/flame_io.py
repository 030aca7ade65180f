"""Reading a user's FLAME files (FLAME 2020, FLAME 2023, FLAME 2023 Open) without running code from the pickles.

FLAME (Li et al., "Learning a model of facial shape and expression from 4D scans", SIGGRAPH Asia 2017;
https://flame.is.tue.mpg.de) is licensed and never shipped with facemotion: users register and download it.
Its files are Python pickles (FLAME 2020 written by Python 2 with chumpy objects and a scipy sparse matrix
inside). They are read with :mod:`facemotion.face_models.restricted_pickle`, which builds numpy data and
plain containers only (chumpy arrays and scipy sparse matrices become numpy arrays, torch tensors are left
unbuilt) and refuses any other global with a ``ValueError``.

File names accepted in a FLAME folder, first match wins:

- model: ``generic_model.pkl`` (FLAME 2020, also 2017/2019), ``flame2023.pkl``, ``flame2023_Open.pkl``,
  ``FLAME_NEUTRAL.pkl`` (the name the ``smplx`` package uses), then any other ``flame2023*.pkl`` when it is
  the only one (names compared case-insensitively);
- landmarks: ``landmark_embedding.npy`` (DECA's: its full 68-point embedding ``full_lmk_faces_idx`` /
  ``full_lmk_bary_coords`` when present, else its static 51), else ``flame_static_embedding.pkl``
  (``lmk_face_idx`` (51,), ``lmk_b_coords`` (51, 3): the inner 51 points, Multi-PIE 17-67). FLAME 2023 Open
  ships no landmark embedding; without one the model has no landmarks (pass a file explicitly).
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facemotion.face_models.restricted_pickle import load_npy, load_pickle

FLAME_URL = "https://flame.is.tue.mpg.de"
MODEL_NAMES = ("generic_model.pkl", "flame2023.pkl", "flame2023_open.pkl", "flame_neutral.pkl")
"""Model file names looked for, lower case, in order of preference (then a lone ``flame2023*.pkl``)."""
LANDMARK_NAMES = ("landmark_embedding.npy", "flame_static_embedding.pkl")
"""Landmark embedding file names looked for (lower case)."""
JOINT_NAMES = ("global", "neck", "jaw", "left_eye", "right_eye")
"""FLAME's 5 joints in the order of its pose vector and ``kintree_table``."""
FLAME_PARENTS = (-1, 0, 1, 1, 1)
"""Parent of each joint: the neck hangs from the root, the jaw and both eyes from the neck."""
N_SHAPE = 300
"""Identity components first in FLAME's ``shapedirs``; the expression components follow (100 in every release)."""
_KNOWN_RIGS = {24: "an SMPL body", 55: "an SMPL-X body", 16: "a MANO hand", 52: "an SMPL+H body"}


@dataclass(frozen=True, eq=False)
class FLAMEModelData:
    """The arrays of one FLAME model, as numpy, checked for consistency.

    Attributes:
        v_template: (V, 3) float32 template vertices in metres (V = 5023 for every release).
        faces: (F, 3) int64 triangles (F = 9976).
        shapedirs: (V, 3, 300) float32 identity blendshapes, metres per unit coefficient.
        exprdirs: (V, 3, E) float32 expression blendshapes (E = 100 in every release).
        posedirs: (V, 3, 36) float32 pose-corrective blendshapes, one per entry of ``R_j - I`` for the 4 joints
            after the root, each 3x3 matrix read row-major.
        j_regressor: (5, V) float32 joint regressor (dense).
        lbs_weights: (V, 5) float32 skinning weights.
        parents: (5,) int64 parent of each joint, ``-1`` for the root: :data:`FLAME_PARENTS`.
        landmark_faces: (L,) int64 triangle of each landmark, or None when no embedding was read.
        landmark_barycentric: (L, 3) float32 barycentric coordinates in those triangles, or None.
        landmark_indices: (L,) int64 index of each landmark in the Multi-PIE 68-point scheme (0..67 for a full
            embedding, 17..67 for FLAME's static 51), or None.
        version: ``"FLAME 2020"`` or ``"FLAME 2023"`` (the latter when the file has ``supr_expression_metadata``).
        source: where the model was read from (a path), for messages.

    Raises:
        ValueError: when a shape, the kinematic tree or a landmark entry is inconsistent, or arrays hold NaN/Inf.
    """

    v_template: np.ndarray
    faces: np.ndarray
    shapedirs: np.ndarray
    exprdirs: np.ndarray
    posedirs: np.ndarray
    j_regressor: np.ndarray
    lbs_weights: np.ndarray
    parents: np.ndarray
    landmark_faces: np.ndarray | None = None
    landmark_barycentric: np.ndarray | None = None
    landmark_indices: np.ndarray | None = None
    version: str = "FLAME 2020"
    source: str = ""

    def __post_init__(self) -> None:
        where = f" in {self.source}" if self.source else ""
        n = len(self.v_template)
        expected = {
            "v_template": (n, 3), "shapedirs": (n, 3, N_SHAPE), "exprdirs": (n, 3, self.exprdirs.shape[-1]),
            "posedirs": (n, 3, 36), "j_regressor": (5, n), "lbs_weights": (n, 5), "parents": (5,),
        }
        for name, shape in expected.items():
            array = getattr(self, name)
            if array.shape != shape:
                raise ValueError(f"FLAME {name}{where} must be {shape}, got {array.shape}")
            if name != "parents" and (array.dtype != np.float32 or not np.isfinite(array).all()):
                raise ValueError(f"FLAME {name}{where} must be finite float32")
        if self.exprdirs.ndim != 3 or self.exprdirs.shape[-1] < 1:
            raise ValueError(f"FLAME{where} has no expression components")
        if self.faces.ndim != 2 or self.faces.shape[1] != 3 or self.faces.dtype != np.int64:
            raise ValueError(f"FLAME faces{where} must be (F, 3) int64, got {self.faces.shape} {self.faces.dtype}")
        if self.faces.size and (self.faces.min() < 0 or self.faces.max() >= n):
            raise ValueError(f"FLAME faces{where} index vertices outside [0, {n})")
        if tuple(self.parents.tolist()) != FLAME_PARENTS:
            raise ValueError(f"FLAME kinematic tree{where} must have parents {FLAME_PARENTS}, got {self.parents}")
        landmarks = (self.landmark_faces, self.landmark_barycentric, self.landmark_indices)
        if any(item is None for item in landmarks) != all(item is None for item in landmarks):
            raise ValueError("landmark_faces, landmark_barycentric and landmark_indices go together")
        if self.landmark_faces is not None:
            count = len(self.landmark_faces)
            if self.landmark_faces.shape != (count,) or self.landmark_faces.dtype != np.int64:
                raise ValueError(f"landmark_faces{where} must be (L,) int64")
            if count and (self.landmark_faces.min() < 0 or self.landmark_faces.max() >= len(self.faces)):
                raise ValueError(f"landmark_faces{where} index triangles outside [0, {len(self.faces)})")
            bary = self.landmark_barycentric
            if bary.shape != (count, 3) or bary.dtype != np.float32 or not np.isfinite(bary).all():
                raise ValueError(f"landmark_barycentric{where} must be ({count}, 3) finite float32")
            if self.landmark_indices.shape != (count,) or count not in (51, 68):
                raise ValueError(f"a FLAME landmark embedding{where} has 51 or 68 points, got {count}")

    @property
    def n_vertices(self) -> int:
        """Number of vertices V."""
        return len(self.v_template)

    @property
    def n_expression(self) -> int:
        """Number of expression components E."""
        return self.exprdirs.shape[-1]


def find_flame_files(directory: str | Path) -> tuple[Path, Path | None]:
    """The model file and the landmark embedding file (or None) in a FLAME folder (names in the module doc).

    Raises:
        FileNotFoundError: when the folder does not exist or holds no model file; the message lists the names
            looked for and where FLAME is downloaded.
        ValueError: when several ``flame2023*.pkl`` files and none of the preferred names are there.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(
            f"no FLAME folder at {directory}; FLAME is licensed and not shipped: register at {FLAME_URL} and "
            f"download FLAME 2020 (generic_model.pkl) or FLAME 2023 (flame2023.pkl / flame2023_Open.pkl)"
        )
    files = {path.name.lower(): path for path in sorted(directory.iterdir()) if path.is_file()}
    model = next((files[name] for name in MODEL_NAMES if name in files), None)
    if model is None:
        others = [path for name, path in files.items() if name.startswith("flame2023") and name.endswith(".pkl")]
        if len(others) > 1:
            raise ValueError(
                f"several FLAME 2023 models in {directory}: {[path.name for path in others]}; "
                "pass the model file itself"
            )
        model = others[0] if others else None
    if model is None:
        raise FileNotFoundError(
            f"no FLAME model in {directory}: looked for generic_model.pkl (FLAME 2020), flame2023.pkl or "
            f"flame2023_Open.pkl (FLAME 2023), FLAME_NEUTRAL.pkl; FLAME is licensed and not shipped: register at "
            f"{FLAME_URL} and download it there"
        )
    return model, _find_landmarks(directory)


def _find_landmarks(directory: Path) -> Path | None:
    """The landmark embedding file in a folder, or None (names in :data:`LANDMARK_NAMES`, case-insensitive)."""
    files = {path.name.lower(): path for path in sorted(directory.iterdir()) if path.is_file()}
    return next((files[name] for name in LANDMARK_NAMES if name in files), None)


def read_flame_model(path: str | Path) -> dict[str, np.ndarray | str]:
    """The arrays of a FLAME model pickle, converted and checked (a dict of :class:`FLAMEModelData` fields).

    Returns:
        ``v_template``, ``faces``, ``shapedirs``, ``exprdirs``, ``posedirs``, ``j_regressor``, ``lbs_weights``,
        ``parents``, ``version`` and ``source``.

    Raises:
        FileNotFoundError: when the file does not exist.
        ValueError: when the pickle is refused, is not a FLAME model (keys missing, another body model such as
            SMPL, wrong shapes), or uses a blend skinning other than FLAME's (``bs_style`` lbs, ``bs_type``
            lrotmin).
    """
    path = Path(path)
    model = load_pickle(path)
    if not isinstance(model, dict):
        raise ValueError(f"{path} is not a FLAME model: it holds a {type(model).__name__}, not a dict")  # noqa: TRY004
    required = ("v_template", "f", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table")
    missing = [key for key in required if key not in model]
    if missing:
        raise ValueError(f"{path} is not a FLAME model: it lacks {missing}")
    arrays = {}
    for key in required:
        if not isinstance(model[key], np.ndarray) or model[key].dtype == object:
            raise ValueError(f"{path}: {key} is not a numeric array (an unsupported chumpy expression?)")
        arrays[key] = model[key]
    n_joints = arrays["weights"].shape[-1] if arrays["weights"].ndim == 2 else -1
    if n_joints != 5 or arrays["kintree_table"].shape != (2, 5):
        known = f" (it looks like {_KNOWN_RIGS[n_joints]} model)" if n_joints in _KNOWN_RIGS else ""
        raise ValueError(
            f"{path} is not a FLAME model: FLAME has 5 joints ({', '.join(JOINT_NAMES)}), this file has "
            f"{n_joints}{known}"
        )
    for key, value in (("bs_style", "lbs"), ("bs_type", "lrotmin")):
        if key in model and model[key] != value:
            raise ValueError(f"{path}: {key} is {model[key]!r}, FLAME uses {value!r}")
    shapedirs = arrays["shapedirs"]
    metadata = model.get("supr_expression_metadata")
    n_total = shapedirs.shape[-1] if shapedirs.ndim == 3 else 0
    n_expression = n_total - N_SHAPE
    if isinstance(metadata, dict) and "n_expr" in metadata and (
        int(metadata["n_expr"]) != n_expression or metadata.get("expr_components", "last_100") != "last_100"
    ):
        raise ValueError(f"{path}: supr_expression_metadata {metadata} does not match shapedirs {shapedirs.shape}")
    if n_expression < 1:
        raise ValueError(
            f"{path}: shapedirs must be (V, 3, {N_SHAPE} + E) with {N_SHAPE} identity and E expression components "
            f"(400 in every FLAME release), got {shapedirs.shape}"
        )
    parents = arrays["kintree_table"][0].astype(np.int64)
    parents[0] = -1
    faces = arrays["f"]
    if not np.issubdtype(faces.dtype, np.integer):
        raise ValueError(f"{path}: f must hold integer vertex ids, got {faces.dtype}")
    return {
        "v_template": arrays["v_template"].astype(np.float32),
        "faces": faces.astype(np.int64),
        "shapedirs": shapedirs[..., :N_SHAPE].astype(np.float32),
        "exprdirs": shapedirs[..., N_SHAPE:].astype(np.float32),
        "posedirs": arrays["posedirs"].astype(np.float32),
        "j_regressor": np.asarray(arrays["J_regressor"], dtype=np.float32),
        "lbs_weights": arrays["weights"].astype(np.float32),
        "parents": parents,
        "version": "FLAME 2023" if "supr_expression_metadata" in model else "FLAME 2020",
        "source": str(path),
    }


def read_landmark_embedding(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A FLAME landmark embedding: the triangle and barycentric coordinates of each landmark.

    Reads ``flame_static_embedding.pkl`` (``lmk_face_idx`` (51,), ``lmk_b_coords`` (51, 3)) or DECA's
    ``landmark_embedding.npy`` (a pickled dict; its ``full_lmk_faces_idx`` (1, 68) / ``full_lmk_bary_coords``
    (1, 68, 3) are preferred, else ``static_lmk_faces_idx`` / ``static_lmk_bary_coords``; the dynamic contour
    tables, stored as torch tensors, are skipped unbuilt).

    Returns:
        ``faces`` (L,) int64, ``barycentric`` (L, 3) float32 and ``indices`` (L,) int64: the Multi-PIE 68
        index of each point (``arange(68)`` for a full embedding, ``arange(17, 68)`` for the inner 51).

    Raises:
        FileNotFoundError: when the file does not exist.
        ValueError: when the file is refused or holds no embedding of 51 or 68 points.
    """
    path = Path(path)
    data = load_npy(path) if path.suffix.lower() == ".npy" else load_pickle(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a FLAME landmark embedding: it holds a {type(data).__name__}")  # noqa: TRY004
    for faces_key, bary_key in (
        ("full_lmk_faces_idx", "full_lmk_bary_coords"),
        ("lmk_face_idx", "lmk_b_coords"),
        ("static_lmk_faces_idx", "static_lmk_bary_coords"),
    ):
        if faces_key not in data or bary_key not in data:
            continue
        faces, bary = data[faces_key], data[bary_key]
        if not (isinstance(faces, np.ndarray) and isinstance(bary, np.ndarray)):
            raise ValueError(f"{path}: {faces_key} and {bary_key} must be numeric arrays")  # noqa: TRY004
        faces, bary = faces.reshape(-1), bary.reshape(-1, 3) if bary.size % 3 == 0 else bary
        if not np.issubdtype(faces.dtype, np.integer) or bary.shape != (len(faces), 3) or len(faces) not in (51, 68):
            raise ValueError(
                f"{path}: {faces_key} / {bary_key} must be (51,) or (68,) triangle ids with (L, 3) barycentric "
                f"coordinates, got {data[faces_key].shape} / {data[bary_key].shape}"
            )
        indices = np.arange(68 - len(faces), 68, dtype=np.int64)
        return faces.astype(np.int64), bary.astype(np.float32), indices
    raise ValueError(
        f"{path} is not a FLAME landmark embedding: it has none of lmk_face_idx/lmk_b_coords, "
        f"full_lmk_faces_idx/full_lmk_bary_coords, static_lmk_faces_idx/static_lmk_bary_coords"
    )


def read_flame(path: str | Path, landmark_embedding: str | Path | None = None) -> FLAMEModelData:
    """Read a FLAME model from its folder (or its model file) with the landmark embedding found beside it.

    Args:
        path: a folder holding a model file (names in the module doc) or the model ``.pkl`` itself.
        landmark_embedding: a landmark file to use instead of the one found beside the model.

    Returns:
        The checked :class:`FLAMEModelData`; its landmark fields are None when no embedding was found.

    Raises:
        FileNotFoundError: for a missing folder, model file or named landmark file (the message says where
            FLAME is downloaded).
        ValueError: for a file that is not a FLAME model or landmark embedding, or a landmark embedding that
            indexes triangles the model does not have.
    """
    path = Path(path)
    if path.is_file():
        model_path, found = path, _find_landmarks(path.parent)
    elif path.suffix.lower() == ".pkl" and not path.exists():
        raise FileNotFoundError(f"no FLAME model file at {path}; FLAME is licensed and not shipped: see {FLAME_URL}")
    else:
        model_path, found = find_flame_files(path)
    landmark_path = Path(landmark_embedding) if landmark_embedding is not None else found
    if landmark_path is not None and not landmark_path.is_file():
        raise FileNotFoundError(f"no landmark embedding at {landmark_path}")
    fields = read_flame_model(model_path)
    if landmark_path is not None:
        faces, bary, indices = read_landmark_embedding(landmark_path)
        if faces.max() >= len(fields["faces"]):
            raise ValueError(f"{landmark_path} indexes triangle {faces.max()}, {model_path} has {len(fields['faces'])}")
        fields.update(landmark_faces=faces, landmark_barycentric=bary, landmark_indices=indices)
    return FLAMEModelData(**fields)
