"""Lip vertex error (LVE) and upper-face dynamics deviation (FDD) of vertex animations, as published.

The reference is CodeTalker's evaluation script (Xing et al., CVPR 2023, ``main/cal_metric.py``), the
script behind the BIWI and VOCASET numbers of FaceFormer, CodeTalker and their successors:

- LVE: each prediction is cut to its ground truth's length; per frame, the **maximum squared** L2 distance
  over the lip vertices; the mean over all test frames pooled together (not a mean of per-sequence means).
  Its unit is the square of the mesh's unit (BIWI papers print it x1e-4, often mislabelled "mm").
- FDD: per sequence, each upper-face vertex's displacement from the template, its squared norm, the standard
  deviation of that over time (numpy's ``std``, ddof 0), averaged over the vertices; ground truth minus
  prediction; the mean over sequences. Signed: > 0 when the prediction moves the upper face less.

Variants are named for what they compute: :func:`lip_vertex_error_l2` takes the distance itself (no square),
:func:`lip_vertex_error_mm` is that distance in millimetres for meshes in metres. MeshTalk's lip error
(Richard et al., ICCV 2021: the maximal L2 error of the lip vertices per frame, averaged over frames, in mm)
is :func:`lip_vertex_error_mm` on meshes in metres. Descriptions that centre the lip vertices first do not
say on what (each frame's lip centroid, the template's), so no centring is applied here.

Computations run in float64 on the lip (or upper-face) vertices only.
"""

from collections.abc import Sequence

import numpy as np

MM_PER_M = 1000.0


def max_lip_distances(
    prediction: np.ndarray, ground_truth: np.ndarray, lip_vertex_ids: np.ndarray, squared: bool = True
) -> np.ndarray:
    """Per frame, the largest distance between predicted and true lip vertices (one sequence).

    Args:
        prediction: (T_p, V, 3) float vertices, T_p >= T; cut to the first T frames.
        ground_truth: (T, V, 3) float vertices, in the same unit.
        lip_vertex_ids: (L,) integer ids in [0, V), L >= 1.
        squared: return the squared distance (CodeTalker's LVE) or the distance itself.

    Returns:
        (T,) float64, in the mesh's unit (squared when ``squared``).

    Raises:
        ValueError: for arrays that are not (T, V, 3) with equal V, a prediction shorter than the ground
            truth, NaN/Inf values, or ids that are not 1-D integers in [0, V).
    """
    prediction, ground_truth = _paired_sequence(prediction, ground_truth)
    ids = _checked_ids(lip_vertex_ids, ground_truth.shape[1], "lip_vertex_ids")
    offsets = prediction[:, ids].astype(np.float64) - ground_truth[:, ids]
    distances = np.square(offsets).sum(axis=-1).max(axis=1)
    return distances if squared else np.sqrt(distances)


def lip_vertex_error(
    predictions: Sequence[np.ndarray], ground_truths: Sequence[np.ndarray], lip_vertex_ids: np.ndarray
) -> float:
    """LVE as CodeTalker's ``cal_metric.py``: mean over all frames of the max squared lip-vertex distance.

    Args:
        predictions: one (T_p, V, 3) float array per sequence, cut to its ground truth's length.
        ground_truths: the matching (T, V, 3) float arrays, same unit (BIWI: normalised units, VOCASET: m).
        lip_vertex_ids: (L,) integer ids in [0, V) (BIWI ``regions/lve.txt``, VOCASET
            ``FLAME_masks.pkl["lips"]``; see :func:`load_vertex_ids`).

    Returns:
        The LVE in the mesh's unit squared (m^2 for metres), frames of all sequences pooled.

    Raises:
        ValueError: for empty or unequal-length sequence lists, or any error of :func:`max_lip_distances`.
    """
    return _pooled_mean(predictions, ground_truths, lip_vertex_ids, squared=True)


def lip_vertex_error_l2(
    predictions: Sequence[np.ndarray], ground_truths: Sequence[np.ndarray], lip_vertex_ids: np.ndarray
) -> float:
    """LVE without the square: mean over all frames of the max L2 lip-vertex distance, in the mesh's unit.

    Arguments, pooling and errors as :func:`lip_vertex_error`.
    """
    return _pooled_mean(predictions, ground_truths, lip_vertex_ids, squared=False)


def lip_vertex_error_mm(
    predictions: Sequence[np.ndarray], ground_truths: Sequence[np.ndarray], lip_vertex_ids: np.ndarray
) -> float:
    """LVE in millimetres for meshes in metres: :func:`lip_vertex_error_l2` x 1000.

    MeshTalk's lip error (Richard et al., ICCV 2021, section 5: "the maximal L2 error of all lip vertices
    for each frame", averaged over frames, in mm). Arguments, pooling and errors as :func:`lip_vertex_error`;
    vertices must be in metres (VOCASET, FLAME, the ARKit rig), not BIWI's normalised units.
    """
    return MM_PER_M * lip_vertex_error_l2(predictions, ground_truths, lip_vertex_ids)


def upper_face_dynamics_deviation(
    predictions: Sequence[np.ndarray],
    ground_truths: Sequence[np.ndarray],
    templates: np.ndarray | Sequence[np.ndarray],
    upper_face_vertex_ids: np.ndarray,
) -> float:
    """FDD as CodeTalker's ``cal_metric.py``: how much less the prediction moves the upper face than the truth.

    Per sequence and upper-face vertex, ``std_t |x_t - template|^2`` (ddof 0); its mean over the vertices;
    ground truth minus prediction; the mean over sequences.

    Args:
        predictions: one (T_p, V, 3) float array per sequence, cut to its ground truth's length.
        ground_truths: the matching (T, V, 3) float arrays.
        templates: one (V, 3) neutral face per sequence (the subject's template), or one (V, 3) array for all.
        upper_face_vertex_ids: (U,) integer ids in [0, V) (BIWI ``regions/fdd.txt``; VOCASET
            ``FLAME_masks.pkl`` "forehead" + "eye_region", see :func:`load_vertex_ids`).

    Returns:
        The FDD in the mesh's unit squared, signed (> 0: the prediction's upper face moves less).

    Raises:
        ValueError: for templates that are not finite (V, 3), one per sequence, or any error of
            :func:`lip_vertex_error` (for the upper-face ids).
    """
    pairs = _paired_sequences(predictions, ground_truths)
    if isinstance(templates, np.ndarray) and templates.ndim == 2:
        templates = [templates] * len(pairs)
    if len(templates) != len(pairs):
        raise ValueError(f"need one template per sequence ({len(pairs)}), got {len(templates)}")
    deviations = []
    for (prediction, ground_truth), template in zip(pairs, templates):
        template = np.asarray(template)
        if template.shape != ground_truth.shape[1:] or not np.isfinite(template).all():
            raise ValueError(f"a template must be finite {ground_truth.shape[1:]}, got {template.shape}")
        ids = _checked_ids(upper_face_vertex_ids, ground_truth.shape[1], "upper_face_vertex_ids")
        deviations.append(_motion_std(ground_truth, template, ids) - _motion_std(prediction, template, ids))
    return float(np.mean(deviations))


def _motion_std(vertices: np.ndarray, template: np.ndarray, ids: np.ndarray) -> float:
    """Mean over ``ids`` of the std over time of the squared displacement from the template."""
    displacement = vertices[:, ids].astype(np.float64) - template[ids]
    return float(np.square(displacement).sum(axis=-1).std(axis=0).mean())


def _pooled_mean(predictions, ground_truths, lip_vertex_ids, squared: bool) -> float:
    distances = [
        max_lip_distances(prediction, ground_truth, lip_vertex_ids, squared)
        for prediction, ground_truth in _paired_sequences(predictions, ground_truths)
    ]
    return float(np.concatenate(distances).mean())


def _paired_sequences(predictions, ground_truths) -> list[tuple[np.ndarray, np.ndarray]]:
    """Validated (prediction cut to T, ground truth) pairs of (T, V, 3) arrays."""
    if len(predictions) == 0 or len(predictions) != len(ground_truths):
        raise ValueError(
            f"need as many predictions as ground truths (>= 1), got {len(predictions)} and {len(ground_truths)}"
        )
    return [_paired_sequence(p, g) for p, g in zip(predictions, ground_truths)]


def _paired_sequence(prediction, ground_truth) -> tuple[np.ndarray, np.ndarray]:
    """(prediction[:T], ground_truth) after checking shapes and values."""
    prediction, ground_truth = np.asarray(prediction), np.asarray(ground_truth)
    for name, array in (("prediction", prediction), ("ground truth", ground_truth)):
        if array.ndim != 3 or array.shape[2] != 3 or array.shape[0] == 0:
            raise ValueError(f"a {name} must be (T, V, 3) with T >= 1, got {array.shape}")
        if not np.issubdtype(array.dtype, np.floating) or not np.isfinite(array).all():
            raise ValueError(f"a {name} must hold finite floats")
    if prediction.shape[1] != ground_truth.shape[1]:
        raise ValueError(f"prediction and ground truth differ in vertices: {prediction.shape} vs {ground_truth.shape}")
    if len(prediction) < len(ground_truth):
        raise ValueError(f"a prediction is shorter than its ground truth: {len(prediction)} < {len(ground_truth)}")
    return prediction[: len(ground_truth)], ground_truth


def _checked_ids(ids, n_vertices: int, name: str) -> np.ndarray:
    """(L,) int64 ids, checked to be 1-D integers in [0, n_vertices), L >= 1."""
    array = np.asarray(ids)
    if array.ndim != 1 or array.size == 0 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must be a non-empty 1-D integer array, got {array.shape} {array.dtype}")
    if array.min() < 0 or array.max() >= n_vertices:
        raise ValueError(f"{name} must lie in [0, {n_vertices}), got [{array.min()}, {array.max()}]")
    return array.astype(np.int64)
