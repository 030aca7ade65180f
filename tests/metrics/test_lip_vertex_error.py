"""LVE and FDD against a plain loop that follows CodeTalker's ``cal_metric.py`` step by step."""

import numpy as np
import pytest

from facemotion.metrics import (
    lip_vertex_error,
    lip_vertex_error_l2,
    lip_vertex_error_mm,
    max_lip_distances,
    upper_face_dynamics_deviation,
)

LIPS = np.array([1, 3, 4])
UPPER = np.array([0, 2, 5])


def reference_lve(predictions, ground_truths, lips, squared=True) -> float:
    """Frames of all sequences pooled; per frame the max over lip vertices of the (squared) distance."""
    per_frame = []
    for prediction, truth in zip(predictions, ground_truths):
        for t in range(len(truth)):
            worst = 0.0
            for v in lips:
                d2 = sum((float(prediction[t, v, k]) - float(truth[t, v, k])) ** 2 for k in range(3))
                worst = max(worst, d2 if squared else d2**0.5)
            per_frame.append(worst)
    return sum(per_frame) / len(per_frame)


def reference_fdd(predictions, ground_truths, templates, upper) -> float:
    """Per sequence: mean over vertices of std over time of |x - template|^2, truth minus prediction."""
    differences = []
    for prediction, truth, template in zip(predictions, ground_truths, templates):
        stds = {}
        for name, sequence in (("gt", truth), ("pred", prediction[: len(truth)])):
            per_vertex = []
            for v in upper:
                values = [float(np.sum((sequence[t, v] - template[v]) ** 2)) for t in range(len(truth))]
                mean = sum(values) / len(values)
                per_vertex.append((sum((x - mean) ** 2 for x in values) / len(values)) ** 0.5)
            stds[name] = sum(per_vertex) / len(per_vertex)
        differences.append(stds["gt"] - stds["pred"])
    return sum(differences) / len(differences)


def random_sequences(seed=0, lengths=(4, 7, 1), n_vertices=6, extra=(2, 0, 3)):
    rng = np.random.default_rng(seed)
    truths = [rng.normal(size=(n, n_vertices, 3)).astype(np.float32) for n in lengths]
    predictions = [rng.normal(size=(n + e, n_vertices, 3)).astype(np.float32) for n, e in zip(lengths, extra)]
    return predictions, truths


def test_lve_matches_the_published_loop_with_pooled_frames_and_truncation():
    predictions, truths = random_sequences()
    expected = reference_lve(predictions, truths, LIPS)
    assert lip_vertex_error(predictions, truths, LIPS) == pytest.approx(expected, rel=1e-9)
    assert lip_vertex_error_l2(predictions, truths, LIPS) == pytest.approx(
        reference_lve(predictions, truths, LIPS, squared=False), rel=1e-9
    )


def test_lve_by_hand():
    truth = np.zeros((2, 3, 3))
    prediction = np.zeros((3, 3, 3))  # one frame longer: cut away, its huge error must not count
    prediction[0, 0] = [3.0, 4.0, 0.0]  # vertex 0 is not a lip vertex: ignored
    prediction[0, 1] = [0.0, 0.0, 2.0]  # squared distance 4
    prediction[0, 2] = [1.0, 0.0, 0.0]  # 1: the max of frame 0 is 4
    prediction[1, 2] = [0.0, 1.0, 1.0]  # frame 1: 2
    prediction[2] = 100.0
    lips = np.array([1, 2])
    assert lip_vertex_error([prediction], [truth], lips) == pytest.approx((4.0 + 2.0) / 2)
    assert lip_vertex_error_l2([prediction], [truth], lips) == pytest.approx((2.0 + 2.0**0.5) / 2)
    assert lip_vertex_error_mm([prediction], [truth], lips) == pytest.approx(1000 * (2.0 + 2.0**0.5) / 2)
    np.testing.assert_allclose(max_lip_distances(prediction, truth, lips), [4.0, 2.0])


def test_lve_pools_frames_rather_than_averaging_sequences():
    short_truth, long_truth = np.zeros((1, 2, 3)), np.zeros((3, 2, 3))
    short_prediction = short_truth.copy()
    short_prediction[0, 0, 0] = 2.0  # one frame with squared error 4; three perfect frames
    lve = lip_vertex_error([short_prediction, long_truth.copy()], [short_truth, long_truth], np.array([0]))
    assert lve == pytest.approx(4.0 / 4)  # a mean of sequence means would say 2.0


def test_fdd_matches_the_published_loop():
    predictions, truths = random_sequences(seed=1)
    rng = np.random.default_rng(2)
    templates = [rng.normal(size=(6, 3)) for _ in truths]
    expected = reference_fdd(predictions, truths, templates, UPPER)
    assert upper_face_dynamics_deviation(predictions, truths, templates, UPPER) == pytest.approx(expected, rel=1e-9)


def test_fdd_is_positive_for_a_still_upper_face_and_zero_for_the_truth():
    _, truths = random_sequences(seed=3)
    template = np.zeros((6, 3))
    still = [np.zeros_like(truth) for truth in truths]
    assert upper_face_dynamics_deviation(still, truths, template, UPPER) > 0
    assert upper_face_dynamics_deviation(truths, truths, template, UPPER) == 0.0


@pytest.mark.parametrize(
    ("prediction", "truth", "ids", "match"),
    [
        (np.zeros((2, 6, 3)), np.zeros((3, 6, 3)), LIPS, "shorter than its ground truth"),
        (np.zeros((3, 5, 3)), np.zeros((3, 6, 3)), LIPS, "differ in vertices"),
        (np.full((3, 6, 3), np.nan), np.zeros((3, 6, 3)), LIPS, "finite floats"),
        (np.zeros((3, 18)), np.zeros((3, 6, 3)), LIPS, r"\(T, V, 3\)"),
        (np.zeros((3, 6, 3)), np.zeros((3, 6, 3)), np.array([1, 6]), r"lie in \[0, 6\)"),
        (np.zeros((3, 6, 3)), np.zeros((3, 6, 3)), np.array([-1]), r"lie in \[0, 6\)"),
        (np.zeros((3, 6, 3)), np.zeros((3, 6, 3)), np.array([], np.int64), "non-empty 1-D integer"),
        (np.zeros((3, 6, 3)), np.zeros((3, 6, 3)), np.array([1.0]), "non-empty 1-D integer"),
    ],
)
def test_lve_rejects_bad_inputs(prediction, truth, ids, match):
    with pytest.raises(ValueError, match=match):
        lip_vertex_error([prediction], [truth], ids)


def test_sequence_lists_must_pair_up():
    truth = np.zeros((2, 6, 3))
    with pytest.raises(ValueError, match="as many predictions"):
        lip_vertex_error([truth, truth], [truth], LIPS)
    with pytest.raises(ValueError, match="as many predictions"):
        lip_vertex_error([], [], LIPS)
    with pytest.raises(ValueError, match=r"must be \(T, V, 3\)"):  # one sequence instead of a list of them
        lip_vertex_error(truth, truth, LIPS)
    with pytest.raises(ValueError, match="one template per sequence"):
        upper_face_dynamics_deviation([truth], [truth], [np.zeros((6, 3))] * 2, UPPER)
    with pytest.raises(ValueError, match="template must be finite"):
        upper_face_dynamics_deviation([truth], [truth], np.zeros((5, 3)), UPPER)
