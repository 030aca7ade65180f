"""Quality of ARKit-52 curves against captured ones: lip error through the rig, channel errors, jaw correlation.

Blendshape curves are compared where they matter, on a face: both are posed on the same head
(:class:`~facemotion.face_models.arkit.ARKitRig`, the shipped ICT-FaceKit head by default) and the lip vertex
error is taken in millimetres over the LVE lip region, lip vertices that the jaw moves (:func:`lve_lip_region`). The per-channel
mean absolute error and the Pearson correlation of ``jawOpen`` read the curves themselves.
"""

from dataclasses import dataclass

import numpy as np
import torch

from facemotion.face_models.arkit import ARKitRig
from facemotion.face_models.landmarks import LIP_LANDMARKS
from facemotion.face_models.names import ARKIT_52
from facemotion.metrics.lip_vertex_error import MM_PER_M, max_lip_distances

JAW_OPEN = ARKIT_52.index("jawOpen")

CHUNK_FRAMES = 256
"""Frames posed on the rig at once: about 75 MB of vertices on the default head (24,591 vertices)."""


@dataclass(frozen=True)
class ARKitQuality:
    """How close predicted ARKit curves are to the captured ones (see :func:`arkit_quality`).

    Attributes:
        lip_lve_mm: :func:`arkit_lip_lve_mm`, millimetres.
        jaw_open_r: Pearson correlation of ``jawOpen`` over time (NaN when either curve is constant).
        mae: mean over the evaluated channels of :func:`channel_mae`, in weight units (0..1).
    """

    lip_lve_mm: float
    jaw_open_r: float
    mae: float


def lve_lip_region(rig: ARKitRig, radius_m: float = 0.012) -> np.ndarray:
    """The LVE lip region of a head, over which ARKit curves' lip vertex error and the lip losses are taken:
    vertices near the lip landmarks that ``jawOpen`` moves.

    A vertex belongs when its neutral position lies within ``radius_m`` of one of the 20 lip landmarks
    (:data:`~facemotion.face_models.landmarks.LIP_LANDMARKS`) and its ``jawOpen`` delta is non-zero. On the
    default head with 12 mm this is 2,381 vertices: both lips, the mouth corners and the inner lip surface,
    without the static cheeks around them. It is not the rig's ``"lips"`` region (``rig.region("lips")``, the
    lip surface as the head's asset marks it).

    Args:
        rig: the head the curves are posed on.
        radius_m: distance to the nearest lip landmark, metres, > 0.

    Returns:
        (L,) int64 vertex ids, ascending.

    Raises:
        ValueError: when ``radius_m`` is not > 0 or no vertex qualifies.
    """
    if not radius_m > 0:
        raise ValueError(f"radius_m must be > 0, got {radius_m}")
    neutral = rig.neutral.detach().cpu().double()
    landmarks = neutral[rig.landmark_vertex_ids[list(LIP_LANDMARKS)].cpu()]
    near = torch.cdist(neutral, landmarks).min(dim=1).values <= radius_m
    moved = rig.deltas[JAW_OPEN].detach().cpu().abs().amax(dim=1) > 0
    region = torch.nonzero(near & moved).flatten().numpy().astype(np.int64)
    if region.size == 0:
        raise ValueError(f"no vertex within {radius_m} m of the lip landmarks is moved by jawOpen")
    return region


def arkit_lip_lve_mm(pred_weights: np.ndarray, gt_weights: np.ndarray, rig: ARKitRig, region: np.ndarray) -> float:
    """Lip vertex error of ARKit curves posed on a head: mean over frames of the max lip-vertex distance, mm.

    Both curves drive ``rig`` (its generic identity), :data:`CHUNK_FRAMES` frames at a time; per frame the
    largest L2 distance over ``region`` (non-squared, MeshTalk's form), then the mean over frames.

    Args:
        pred_weights: (T, 52) float ARKit weights in Apple's order.
        gt_weights: (T, 52) float ARKit weights, the same T (crop beforehand: nothing is cut here).
        rig: the head; vertices in metres.
        region: (L,) integer vertex ids, e.g. :func:`lve_lip_region`.

    Returns:
        The error in millimetres.

    Raises:
        ValueError: for weights that are not both (T, 52) with T >= 1 or hold NaN/Inf, or ids outside the head.
    """
    pred, gt = _paired_curves(pred_weights, gt_weights)
    distances = []
    for start in range(0, len(gt), CHUNK_FRAMES):
        frames = slice(start, start + CHUNK_FRAMES)
        distances.append(max_lip_distances(rig(pred[frames]), rig(gt[frames]), region, squared=False))
    return MM_PER_M * float(np.concatenate(distances).mean())


def channel_mae(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Mean absolute error of each ARKit channel over time.

    Args:
        pred: (T, 52) float predicted weights.
        gt: (T, 52) float captured weights.
        mask: (52,) bool, the channels the capture holds (e.g. ``MotionClip.channel_mask``); None for all.

    Returns:
        (52,) float64 in weight units; NaN for channels outside ``mask``.

    Raises:
        ValueError: for curves that are not both (T, 52) with T >= 1, NaN/Inf values, or a mask that is
            not (52,) bool.
    """
    pred, gt = _paired_curves(pred, gt)
    errors = np.abs(pred - gt).mean(axis=0)
    errors[~_channel_mask(mask)] = np.nan
    return errors


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two curves over time.

    A constant curve (a face that does not move) has no correlation: the answer is NaN, without a
    warning, so that a table of methods can show it; a real failure (bad shapes) raises.

    Args:
        a: (T,) float values, T >= 2.
        b: (T,) float values.

    Returns:
        r in [-1, 1], or NaN when either curve is constant.

    Raises:
        ValueError: for arrays that are not both (T,) with T >= 2, or NaN/Inf values.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 1 or a.shape != b.shape or len(a) < 2:
        raise ValueError(f"pearson needs two (T,) arrays with T >= 2, got {a.shape} and {b.shape}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("pearson needs finite values")
    a, b = a - a.mean(), b - b.mean()
    scale = np.sqrt(np.dot(a, a) * np.dot(b, b))
    return float(np.clip(np.dot(a, b) / scale, -1.0, 1.0)) if scale > 0 else float("nan")


def arkit_quality(
    pred: np.ndarray, gt: np.ndarray, rig: ARKitRig, region: np.ndarray, mask: np.ndarray | None = None
) -> ARKitQuality:
    """Lip error on the rig, ``jawOpen`` correlation and masked channel error of predicted ARKit curves.

    Args:
        pred: (T, 52) float predicted weights.
        gt: (T, 52) float captured weights, the same T.
        rig: the head both are posed on.
        region: (L,) lip vertex ids (:func:`lve_lip_region`).
        mask: (52,) bool channels the capture holds, for the MAE; None for all.

    Returns:
        An :class:`ARKitQuality`.

    Raises:
        ValueError: as :func:`arkit_lip_lve_mm`, :func:`channel_mae` and :func:`pearson`.
    """
    errors = channel_mae(pred, gt, mask)
    return ARKitQuality(
        lip_lve_mm=arkit_lip_lve_mm(pred, gt, rig, region),
        jaw_open_r=pearson(pred[:, JAW_OPEN], gt[:, JAW_OPEN]),
        mae=float(np.nanmean(errors)),
    )


def _paired_curves(pred, gt) -> tuple[np.ndarray, np.ndarray]:
    """Two validated (T, 52) float32 arrays."""
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.ndim != 2 or pred.shape != gt.shape or pred.shape[1] != len(ARKIT_52) or len(pred) == 0:
        raise ValueError(f"ARKit curves must both be (T, 52) with T >= 1, got {pred.shape} and {gt.shape}")
    for name, array in (("pred", pred), ("gt", gt)):
        if not np.issubdtype(array.dtype, np.floating) or not np.isfinite(array).all():
            raise ValueError(f"{name} must hold finite floats")
    return pred.astype(np.float32), gt.astype(np.float32)


def _channel_mask(mask) -> np.ndarray:
    if mask is None:
        return np.ones(len(ARKIT_52), bool)
    mask = np.asarray(mask)
    if mask.shape != (len(ARKIT_52),) or mask.dtype != bool or not mask.any():
        raise ValueError(f"mask must be (52,) bool with at least one True, got {mask.shape} {mask.dtype}")
    return mask
