"""Evaluation metrics: LVE and FDD as published, the quality of ARKit-52 curves on a head, lip closure on
bilabials and the phone error rate of recognisers."""

from facemotion.metrics.arkit_curves import (
    ARKitQuality,
    arkit_lip_lve_mm,
    arkit_quality,
    channel_mae,
    lve_lip_region,
    pearson,
)
from facemotion.metrics.lip_closure import LipClosureScore, frames_inside, lip_closure_score
from facemotion.metrics.lip_vertex_error import (
    lip_vertex_error,
    lip_vertex_error_l2,
    lip_vertex_error_mm,
    max_lip_distances,
    upper_face_dynamics_deviation,
)
from facemotion.metrics.phone_error_rate import phone_error_rate
from facemotion.metrics.region_files import load_vertex_ids

__all__ = [
    "ARKitQuality",
    "LipClosureScore",
    "arkit_lip_lve_mm",
    "arkit_quality",
    "channel_mae",
    "frames_inside",
    "lip_closure_score",
    "lip_vertex_error",
    "lip_vertex_error_l2",
    "lip_vertex_error_mm",
    "load_vertex_ids",
    "lve_lip_region",
    "max_lip_distances",
    "pearson",
    "phone_error_rate",
    "upper_face_dynamics_deviation",
]
