"""The head rig file (``.npz`` written by ``datasets/convert_ict_facekit.py``) read with numpy alone.

:class:`~facemotion.face_models.arkit.ARKitRig` (torch) is built from it; the exporters, which only need the
mesh, read it here without importing torch (about 2 s of a command's start-up).
"""

from functools import cache
from importlib import resources
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np

from facemotion.face_models.base import BlendshapeMesh

REGION_KEYS = {"lips": "lip_vertex_ids", "upper_face": "upper_face_vertex_ids", "eyes": "eye_vertex_ids"}
"""Region name -> its array in a rig file."""


class RigFile(NamedTuple):
    """A rig file's contents.

    Attributes:
        mesh: the blendshape mesh (float32 metres, int64 faces, the file's blendshape names and order).
        landmark_vertex_ids: (68,) vertex ids of the 68 facial landmarks, as stored.
        regions: region name (of :data:`REGION_KEYS`) -> its vertex ids, for the regions the file has.
        identity_deltas: (N, V, 3) float32 identity shapes in metres, or None.
    """

    mesh: BlendshapeMesh
    landmark_vertex_ids: np.ndarray
    regions: dict[str, np.ndarray]
    identity_deltas: np.ndarray | None


def read_rig_file(file: str | Path | BinaryIO) -> RigFile:
    """Read a rig file: ``neutral`` (V, 3) metres, ``faces`` (F, 3), ``deltas`` (K, V, 3) metres (float16
    allowed), ``names`` (K,) str, ``landmark_vertex_ids`` and ``lip_vertex_ids``, and optionally
    ``upper_face_vertex_ids``, ``eye_vertex_ids`` and ``identity_deltas`` (N, V, 3) metres.

    Raises:
        FileNotFoundError: when the path does not exist.
        ValueError: when an entry is missing or malformed.
    """
    if isinstance(file, (str, Path)) and not Path(file).is_file():
        raise FileNotFoundError(f"no rig file at {file}")
    with np.load(file) as data:
        missing = {"neutral", "faces", "deltas", "names", "lip_vertex_ids", "landmark_vertex_ids"} - set(data.files)
        if missing:
            raise ValueError(f"rig file lacks {sorted(missing)}")
        mesh = BlendshapeMesh(
            neutral=data["neutral"].astype(np.float32),
            faces=data["faces"].astype(np.int64),
            deltas=data["deltas"].astype(np.float32),
            names=tuple(str(name) for name in data["names"]),
        )
        regions = {name: data[key] for name, key in REGION_KEYS.items() if key in data.files}
        identity = data["identity_deltas"].astype(np.float32) if "identity_deltas" in data.files else None
        return RigFile(mesh, data["landmark_vertex_ids"], regions, identity)


@cache
def default_rig_file() -> RigFile:
    """The shipped head, read once per process (its arrays are read-only): ICT-FaceKit's generic head (MIT),
    24,591 vertices, 48,836 triangles, the 52 blendshapes in ARKit-52 order, with the eyeball region. Source:
    ``assets/ict_head.npz`` (package ``facemotion.assets``), made by ``datasets/convert_ict_facekit.py`` from
    ICT-FaceKit @ da5f95a; see ``assets/README.md``."""
    with (resources.files("facemotion.assets") / "ict_head.npz").open("rb") as file:
        rig = read_rig_file(file)
    arrays = (rig.mesh.neutral, rig.mesh.faces, rig.mesh.deltas, rig.landmark_vertex_ids, *rig.regions.values(),
              rig.identity_deltas)
    for array in arrays:
        if array is not None:
            array.setflags(write=False)
    return rig


def default_head_mesh() -> BlendshapeMesh:
    """The shipped head's mesh (:func:`default_rig_file`): neutral (24591, 3) float32 m, faces (48836, 3) int64,
    deltas (52, 24591, 3) float32 m, ARKit-52; read-only arrays."""
    return default_rig_file().mesh
