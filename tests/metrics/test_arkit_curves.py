"""ARKit curve metrics on the shipped head: the lip region, lip error in mm through the rig, MAE, correlation."""

import warnings

import numpy as np
import pytest

from facemotion.face_models.arkit import ARKitRig
from facemotion.face_models.landmarks import LIP_LANDMARKS
from facemotion.face_models.names import ARKIT_INDEX
from facemotion.metrics import arkit_lip_lve_mm, arkit_quality, channel_mae, lve_lip_region, pearson
from facemotion.metrics.arkit_curves import CHUNK_FRAMES

JAW = ARKIT_INDEX["jawOpen"]


@pytest.fixture(scope="module")
def rig() -> ARKitRig:
    return ARKitRig.default()


@pytest.fixture(scope="module")
def region(rig) -> np.ndarray:
    return lve_lip_region(rig)


def test_lip_region_is_near_the_lip_landmarks_and_moved_by_the_jaw(rig, region):
    neutral = rig.neutral.numpy().astype(np.float64)
    landmarks = neutral[rig.landmark_vertex_ids.numpy()[list(LIP_LANDMARKS)]]
    assert 100 < len(region) < len(neutral) // 4
    assert region.dtype == np.int64 and np.all(np.diff(region) > 0)
    nearest = np.linalg.norm(neutral[region, None] - landmarks[None], axis=-1).min(axis=1)
    assert nearest.max() <= 0.012
    assert np.all(np.abs(rig.deltas[JAW].numpy()[region]).max(axis=1) > 0)
    assert set(rig.landmark_vertex_ids.numpy()[[57, 62, 66]]) <= set(region)  # the lips' middles move


def test_a_wider_radius_takes_more_vertices(rig, region):
    wider = lve_lip_region(rig, radius_m=0.02)
    assert set(region) < set(wider)
    with pytest.raises(ValueError, match="radius_m must be > 0"):
        lve_lip_region(rig, radius_m=0.0)


def test_lip_lve_is_zero_for_identical_curves(rig, region):
    curves = np.random.default_rng(0).uniform(0, 1, (5, 52)).astype(np.float32)
    assert arkit_lip_lve_mm(curves, curves, rig, region) == 0.0


def test_lip_lve_of_an_open_jaw_is_the_largest_jaw_displacement_in_the_region(rig, region):
    open_jaw, closed = np.zeros((3, 52), np.float32), np.zeros((3, 52), np.float32)
    open_jaw[:, JAW] = 1.0
    expected_mm = 1000 * np.linalg.norm(rig.deltas[JAW].numpy()[region].astype(np.float64), axis=1).max()
    assert 15 < expected_mm < 60  # an open jaw moves the lower lip by centimetres
    assert arkit_lip_lve_mm(open_jaw, closed, rig, region) == pytest.approx(expected_mm, rel=1e-5)


def test_lip_lve_over_several_chunks_matches_a_direct_computation(rig, region):
    rng = np.random.default_rng(1)
    n_frames = CHUNK_FRAMES + 7
    pred, gt = rng.uniform(0, 1, (2, n_frames, 52)).astype(np.float32)
    deltas = rig.deltas.numpy()[:, region].astype(np.float64)  # (52, L, 3)
    offsets = np.einsum("tk,klc->tlc", pred.astype(np.float64) - gt, deltas)
    expected_mm = 1000 * np.linalg.norm(offsets, axis=-1).max(axis=1).mean()
    assert arkit_lip_lve_mm(pred, gt, rig, region) == pytest.approx(expected_mm, rel=1e-4)


def test_lip_lve_rejects_unequal_or_bad_curves(rig, region):
    with pytest.raises(ValueError, match=r"both be \(T, 52\)"):
        arkit_lip_lve_mm(np.zeros((4, 52), np.float32), np.zeros((5, 52), np.float32), rig, region)
    with pytest.raises(ValueError, match="finite floats"):
        arkit_lip_lve_mm(np.full((4, 52), np.nan, np.float32), np.zeros((4, 52), np.float32), rig, region)


def test_channel_mae_per_channel_and_masked():
    pred, gt = np.zeros((4, 52)), np.zeros((4, 52))
    pred[:, JAW] = [0.0, 0.2, 0.4, 0.2]
    pred[:, 0] = 1.0
    mask = np.zeros(52, bool)
    mask[[JAW, 1]] = True
    errors = channel_mae(pred, gt, mask)
    assert errors.shape == (52,)
    assert errors[JAW] == pytest.approx(0.2) and errors[1] == 0.0
    assert np.isnan(errors[0]) and np.isnan(errors[~mask]).all()
    assert channel_mae(pred, gt)[0] == 1.0
    with pytest.raises(ValueError, match=r"mask must be \(52,\) bool"):
        channel_mae(pred, gt, np.ones(51, bool))


def test_pearson_matches_numpy_and_is_nan_for_a_still_curve():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=50), rng.normal(size=50)
    assert pearson(a, b) == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert pearson(a, 3 * a + 1) == pytest.approx(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(pearson(a, np.zeros(50)))
    with pytest.raises(ValueError, match=r"two \(T,\) arrays"):
        pearson(a, b[:-1])
    with pytest.raises(ValueError, match="finite"):
        pearson(a, np.full(50, np.inf))


def test_arkit_quality_combines_the_three(rig, region):
    gt = np.zeros((6, 52), np.float32)
    gt[:, JAW] = np.linspace(0, 0.6, 6)
    pred = gt * 0.5
    mask = np.zeros(52, bool)
    mask[[JAW, ARKIT_INDEX["mouthClose"]]] = True
    quality = arkit_quality(pred, gt, rig, region, mask)
    assert quality.jaw_open_r == pytest.approx(1.0)
    assert quality.mae == pytest.approx(np.mean([np.abs(gt[:, JAW] * 0.5).mean(), 0.0]))
    assert quality.lip_lve_mm == pytest.approx(arkit_lip_lve_mm(pred, gt, rig, region))
    assert quality.lip_lve_mm > 0
