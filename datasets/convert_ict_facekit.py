"""Convert ICT-FaceKit's generic head into facemotion's default head asset.

Usage, from the repository root with the package importable (``pip install -e .`` or ``PYTHONPATH=.``)::

    python datasets/convert_ict_facekit.py ../shared/assets/ict-facekit assets/ict_head.npz

Source: ICT-FaceKit (USC Institute for Creative Technologies, MIT licence), github ICT-VGL/ICT-FaceKit
@ da5f95a, folder ``FaceXModel/``: ``generic_neutral_mesh.obj`` (26,719 vertices, quads and triangles,
centimetres, +Y up, the face looking down +Z) and one OBJ per expression with the same vertex order.

Conversion:

- Vertices ``[0:24591)`` are kept: ICT geometries #0-#8 (face, head and neck, mouth socket, eye sockets,
  gums and tongue, teeth, eyeballs), which make a closed-looking head with a mouth interior. Lacrimal
  fluid, eye blend, eye occlusion and eyelash geometry (#9-#16) are dropped. The kept vertices are a prefix
  of ICT's order, so vertex ids (and ICT's landmark ids) are unchanged.
- Polygons are fan-triangulated (``a b c d`` -> ``a b c``, ``a c d``), keeping ICT's counter-clockwise,
  outward winding (checked: normals at the nose tip point +Z).
- Centimetres become metres.
- Expressions become the 52 ARKit channels (Apple's order): ICT's ``_L``/``_R`` are the subject's left and
  right (checked on the data: ``eyeBlink_L`` moves vertices at +X, the subject's left when the face looks
  down +Z), so ``eyeBlink_L`` -> ``eyeBlinkLeft``. ``browInnerUp`` and ``cheekPuff`` are the sums of ICT's
  ``_L`` and ``_R`` halves; ``tongueOut`` has no ICT shape and gets zero offsets; ICT's ``cheekRaiser_L/R``
  and ``PupilDilate_L/R`` are not ARKit channels and are dropped.

The ``.npz`` written (``np.load(path)`` needs no pickles):

- ``neutral``: (V, 3) float32, rest pose in metres.
- ``faces``: (F, 3) int32 triangles, counter-clockwise seen from outside.
- ``deltas``: (52, V, 3) float16 blendshape offsets in metres, rows in ARKit-52 order. Offsets shorter than
  :data:`NOISE_M` (0.01 mm: the rounding noise of ICT's OBJ text, not motion) are set to zero, so exporters
  that store sparse offsets (UsdSkel) keep only the vertices a shape really moves.
- ``names``: (52,) str, the ARKit-52 names.
- ``landmark_vertex_ids``: (68,) int32, the Multi-PIE 68 landmark vertices (ICT ``vertex_indices.json``,
  ``idx_to_landmark_verts``).
- ``lip_vertex_ids``: (L,) int32 sorted, the lip region: face-area vertices (ICT geometry #0) whose neutral
  (x, y) lies inside the outer lip contour (Multi-PIE landmarks 48-59) seen from the front, plus the 20 lip
  landmarks 48-67. It holds the vermilion and the inner lip surface down to where the mouth socket begins.
- ``upper_face_vertex_ids``: (U,) int32 sorted, face-area vertices above the nose tip (Multi-PIE landmark 30):
  brows, eyelids, forehead, upper cheeks; the region upper-face dynamics deviation (FDD) looks at.
- ``eye_vertex_ids``: (E,) int32, the eyeballs (ICT geometries #7-#8).
- ``identity_deltas``: (10, V, 3) float16 metres, ``identityNNN.obj - generic_neutral_mesh.obj`` for ICT's
  ten identity shapes (principal components of ICT's light-stage scans; coefficients of order 1, as in
  ICT's ``sample_identity_coeffs.json``). Expressions are added on top unchanged, as ICT's own model does.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from facemotion.face_models.names import ARKIT_52

N_KEPT_VERTICES = 24591
"""ICT geometries #0-#8 occupy vertex ids [0, 24591) (ICT-FaceKit README, "Face Model Topology")."""

N_IDENTITIES = 10
"""ICT-FaceKit's light model ships identity000..009.obj: its first ten identity principal components."""

EYEBALL_VERTICES = (21451, 24591)
"""ICT geometries #7-#8, the eyeballs, occupy vertex ids [21451, 24591)."""

NOISE_M = 1e-5
"""Offsets shorter than this (metres) are ICT's OBJ rounding noise and are stored as zero."""

FACE_AREA_VERTICES = 9409
"""ICT geometry #0, the face, occupies vertex ids [0, 9409)."""

SUMMED = ("browInnerUp", "cheekPuff")
"""ARKit channels that ICT splits into ``_L`` and ``_R`` halves."""

UNSIDED = ("jawLeft", "jawRight", "mouthLeft", "mouthRight")
"""ARKit names ending in Left/Right that are single ICT shapes of the same name."""

NO_ICT_SHAPE = ("tongueOut",)
"""ARKit channels without an ICT shape; their offsets are zero."""

DROPPED = ("cheekRaiser_L", "cheekRaiser_R", "PupilDilate_L", "PupilDilate_R")
"""ICT expression OBJs that are not ARKit channels."""


def ict_sources(arkit_name: str) -> tuple[str, ...]:
    """Names of the ICT expression OBJs whose offsets sum to one ARKit channel (empty: zero offsets)."""
    if arkit_name in NO_ICT_SHAPE:
        return ()
    if arkit_name in SUMMED:
        return (f"{arkit_name}_L", f"{arkit_name}_R")
    if arkit_name not in UNSIDED:
        for side, suffix in (("Left", "_L"), ("Right", "_R")):
            if arkit_name.endswith(side):
                return (arkit_name[: -len(side)] + suffix,)
    return (arkit_name,)


def read_obj(path: Path) -> tuple[np.ndarray, list[list[int]]]:
    """Read the ``v`` and ``f`` lines of an OBJ, keeping the file's vertex order.

    Returns:
        vertices: (N, 3) float64 positions in the file's unit.
        polygons: 0-based vertex ids of each face (texture and normal ids are dropped).
    """
    lines = path.read_text().splitlines()
    coords = " ".join(line[2:] for line in lines if line.startswith("v "))
    vertices = np.array(coords.split(), dtype=np.float64).reshape(-1, 3)
    polygons = [
        [int(token.split("/")[0]) - 1 for token in line.split()[1:]]
        for line in lines
        if line.startswith("f ")
    ]
    return vertices, polygons


def triangulate(polygons: list[list[int]], n_vertices: int) -> np.ndarray:
    """Fan-triangulate the polygons that use only vertices ``[0, n_vertices)``; (F, 3) int32.

    Raises:
        ValueError: when a polygon mixes kept and dropped vertices, or a kept vertex is unused.
    """
    triangles = []
    for polygon in polygons:
        kept = [v < n_vertices for v in polygon]
        if any(kept) and not all(kept):
            raise ValueError(f"polygon {polygon} straddles the kept vertex range")
        if all(kept):
            triangles += [(polygon[0], polygon[k], polygon[k + 1]) for k in range(1, len(polygon) - 1)]
    faces = np.array(triangles, dtype=np.int32)
    if len(np.unique(faces)) != n_vertices:
        raise ValueError("some kept vertices belong to no polygon")
    return faces


def points_in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Even-odd test of (N, 2) points against a closed (M, 2) polygon; (N,) bool."""
    x, y = points[:, :1], points[:, 1:]
    x1, y1 = polygon[None, :, 0], polygon[None, :, 1]
    x2, y2 = np.roll(polygon[:, 0], -1)[None], np.roll(polygon[:, 1], -1)[None]
    straddles = (y1 > y) != (y2 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing_x = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
    return (straddles & (x < crossing_x)).sum(axis=1) % 2 == 1


def lip_vertex_ids(neutral: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The lip region (see the module docstring): (L,) int32 sorted vertex ids.

    Args:
        neutral: (V, 3) rest pose, the face looking down +Z.
        landmarks: (68,) Multi-PIE landmark vertex ids.
    """
    face = neutral[:FACE_AREA_VERTICES, :2]
    inside = np.nonzero(points_in_polygon(face, neutral[landmarks[48:60], :2]))[0]
    return np.union1d(inside, landmarks[48:68]).astype(np.int32)


def upper_face_vertex_ids(neutral: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The upper face (see the module docstring): (U,) int32 sorted vertex ids."""
    return np.nonzero(neutral[:FACE_AREA_VERTICES, 1] > neutral[landmarks[30], 1])[0].astype(np.int32)


def convert(ict_dir: Path) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Build the asset arrays (see the module docstring) from an ICT-FaceKit checkout.

    Returns:
        arrays: the ``.npz`` entries by name.
        deltas: (52, V, 3) float64 offsets in metres before noise removal and float16 rounding, to measure
            the error of both.
    """
    model_dir = ict_dir / "FaceXModel"
    all_neutral_cm, polygons = read_obj(model_dir / "generic_neutral_mesh.obj")
    neutral_cm = all_neutral_cm[:N_KEPT_VERTICES]
    faces = triangulate(polygons, N_KEPT_VERTICES)
    landmarks = np.array(
        json.loads((model_dir / "vertex_indices.json").read_text())["idx_to_landmark_verts"], dtype=np.int32
    )
    if landmarks.shape != (68,) or landmarks.max() >= N_KEPT_VERTICES:
        raise ValueError("expected 68 landmark vertices inside the kept head")

    sources = {source for name in ARKIT_52 for source in ict_sources(name)}
    found = {p.stem for p in model_dir.glob("*.obj")} - {"generic_neutral_mesh"}
    identities = [f"identity{i:03d}" for i in range(N_IDENTITIES)]
    if not set(identities) <= found:
        raise ValueError(f"missing ICT identity shapes: {sorted(set(identities) - found)}")
    found -= set(identities)
    expected = sources | set(DROPPED)
    if found != expected:
        raise ValueError(f"unexpected or missing ICT expressions: {sorted(found ^ expected)}")

    deltas_cm = np.zeros((len(ARKIT_52), N_KEPT_VERTICES, 3))
    for k, name in enumerate(ARKIT_52):
        for source in ict_sources(name):
            shape_cm, _ = read_obj(model_dir / f"{source}.obj")
            if shape_cm.shape != all_neutral_cm.shape:
                raise ValueError(f"{source}.obj has {len(shape_cm)} vertices, not {len(all_neutral_cm)}")
            deltas_cm[k] += shape_cm[:N_KEPT_VERTICES] - neutral_cm
    identity_cm = np.stack([read_obj(model_dir / f"{name}.obj")[0][:N_KEPT_VERTICES] for name in identities])
    neutral = (neutral_cm / 100.0).astype(np.float32)
    deltas_m = deltas_cm / 100.0
    deltas_m *= np.linalg.norm(deltas_m, axis=-1, keepdims=True) >= NOISE_M
    return {
        "neutral": neutral,
        "faces": faces,
        "deltas": deltas_m.astype(np.float16),
        "names": np.array(ARKIT_52),
        "landmark_vertex_ids": landmarks,
        "lip_vertex_ids": lip_vertex_ids(neutral, landmarks),
        "upper_face_vertex_ids": upper_face_vertex_ids(neutral, landmarks),
        "eye_vertex_ids": np.arange(*EYEBALL_VERTICES, dtype=np.int32),
        "identity_deltas": ((identity_cm - neutral_cm) / 100.0).astype(np.float16),
    }, deltas_cm / 100.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("ict_dir", type=Path, help="ICT-FaceKit checkout (holding FaceXModel/)")
    parser.add_argument("output", type=Path, help="the .npz to write, e.g. assets/ict_head.npz")
    args = parser.parse_args()
    if not (args.ict_dir / "FaceXModel" / "generic_neutral_mesh.obj").is_file():
        raise FileNotFoundError(f"no FaceXModel/generic_neutral_mesh.obj under {args.ict_dir}")

    arrays, deltas_m = convert(args.ict_dir)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.output, **arrays)
    error_mm = np.abs(arrays["deltas"].astype(np.float64) - deltas_m).max() * 1000.0
    print(
        f"wrote {args.output}: V={len(arrays['neutral'])} F={len(arrays['faces'])} "
        f"lip vertices={len(arrays['lip_vertex_ids'])} size={args.output.stat().st_size / 1e6:.2f} MB, "
        f"offset error (noise removal + float16) <= {error_mm:.4f} mm"
    )


if __name__ == "__main__":
    main()
