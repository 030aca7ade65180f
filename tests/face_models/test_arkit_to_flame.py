"""Tests of the ARKit-to-FLAME fit on a synthetic FLAME built from the default head's landmarks (conftest.py)."""

import io

import numpy as np
import pytest
import torch

from facemotion.face_models.arkit import ARKitRig
from facemotion.face_models.arkit_to_flame import ARKitToFLAME, fit_arkit_to_flame
from facemotion.face_models.flame import FLAME
from facemotion.face_models.landmarks import LIP_LANDMARKS
from facemotion.face_models.names import ARKIT_52, ARKIT_INDEX

SCALE = 0.9
"""The synthetic FLAME head is 10% smaller than the ARKit head: the fit must normalise scale."""
EMBEDDED = ("mouthSmileLeft", "browInnerUp", "eyeBlinkRight")
"""ARKit shapes whose landmark motion (scaled) is FLAME expression component 0, 1, 2 of the synthetic model."""
JAW_LANDMARKS = [*range(5, 12), 56, 57, 58, 65, 66, 67]
"""Chin contour and lower lip: skinned to the jaw joint."""
MOUTH_CORNERS = [48, 54, 60, 64]


@pytest.fixture(scope="module")
def rig() -> ARKitRig:
    return ARKitRig.default()


def arkit_like_flame_arrays(rig: ARKitRig, seed: int = 0) -> dict:
    """A 72-vertex FLAME whose 68 landmarks are vertices placed at 0.9x the ARKit head's landmarks.

    Expression components 0-2 move the landmarks exactly as 0.9x the ARKit shapes of :data:`EMBEDDED`; the other
    97 are random (about 1 mm). The jaw joint sits 9 cm behind and 3 cm above the mouth; chin and lower lip follow
    it, the mouth corners half way. Landmark l lies at vertex l (barycentric (1, 0, 0)).
    """
    rng = np.random.default_rng(seed)
    ids = rig.landmark_vertex_ids.numpy()
    landmarks = SCALE * rig.neutral.numpy()[ids].astype(np.float64) + np.array([0.0, 0.02, -0.01])
    mouth = landmarks[list(LIP_LANDMARKS)].mean(0)
    extras = np.array([mouth + [0, 0.03, -0.09], mouth + [0, -0.05, -0.08], [0.0, 0.1, -0.1], [0.0, -0.1, -0.1]])
    v_template = np.concatenate([landmarks, extras])  # jaw hinge 68, neck 69, extras 70, 71
    n_vertices = len(v_template)
    exprdirs = np.zeros((n_vertices, 3, 100))
    for component, name in enumerate(EMBEDDED):
        exprdirs[:68, :, component] = SCALE * rig.deltas.numpy()[ARKIT_INDEX[name]][ids]
    exprdirs[:68, :, 3:] = rng.normal(0, 0.001, (68, 3, 97))
    regressor = np.zeros((5, n_vertices))
    regressor[0, [70, 71]] = 0.5
    regressor[1, 69] = 1.0
    regressor[2, 68] = 1.0
    regressor[3, 42:48] = 1 / 6
    regressor[4, 36:42] = 1 / 6
    weights = np.zeros((n_vertices, 5))
    weights[:, 1] = 1.0
    weights[JAW_LANDMARKS] = [0, 0, 1, 0, 0]
    weights[MOUTH_CORNERS] = [0, 0.5, 0.5, 0, 0]
    weights[[70, 71]] = [1, 0, 0, 0, 0]
    faces = np.array([[l, 70, 71] for l in range(68)] + [[68, 69, 70], [69, 70, 71]], dtype=np.uint32)
    return {
        "v_template": v_template,
        "f": faces,
        "shapedirs": np.concatenate([rng.normal(0, 0.002, (n_vertices, 3, 300)), exprdirs], axis=-1),
        "posedirs": rng.normal(0, 0.0002, (n_vertices, 3, 36)),
        "J_regressor": regressor,
        "weights": weights,
        "kintree_table": np.array([[2**32 - 1, 0, 1, 1, 1], [0, 1, 2, 3, 4]], dtype=np.int64),
        "lmk_face_idx": np.arange(68, dtype=np.uint32),
        "lmk_b_coords": np.tile([1.0, 0.0, 0.0], (68, 1)),
    }


@pytest.fixture(scope="module")
def flame(rig, write_flame) -> FLAME:
    return FLAME.from_files(write_flame(arkit_like_flame_arrays(rig), landmarks="deca"))


@pytest.fixture(scope="module")
def mapping(flame, rig) -> ARKitToFLAME:
    return fit_arkit_to_flame(flame, rig)


def test_output_shapes_and_finite_residuals(mapping):
    assert mapping.expression.shape == (52, 100) and mapping.expression.dtype == np.float32
    assert mapping.jaw_pose.shape == (52, 3)
    assert mapping.residual_mm.shape == (52,) and np.isfinite(mapping.residual_mm).all()
    assert (mapping.residual_mm >= 0).all()
    assert mapping.n_landmarks == 68 and mapping.flame_version == "FLAME 2020"
    assert mapping.settings["scale"] == pytest.approx(SCALE, rel=1e-5)


@pytest.mark.parametrize(("name", "component"), [(name, i) for i, name in enumerate(EMBEDDED)])
def test_shapes_the_flame_can_express_are_recovered(mapping, name, component):
    k = ARKIT_INDEX[name]
    expected = np.zeros(100)
    expected[component] = 1.0
    np.testing.assert_allclose(mapping.expression[k], expected, atol=0.03)
    assert np.abs(mapping.jaw_pose[k]).max() < 0.01
    assert mapping.residual_mm[k] < 0.05 * mapping.target_mm[k]


def test_jaw_open_is_a_positive_jaw_rotation_that_opens_the_mouth(mapping, flame):
    k = ARKIT_INDEX["jawOpen"]
    pitch, yaw, roll = mapping.jaw_pose[k]
    assert 0.1 < pitch < 0.6 and abs(yaw) < 0.05 and abs(roll) < 0.05  # random components break the symmetry
    expression, jaw_pose = mapping.apply(np.eye(52, dtype=np.float32)[[k]])
    with torch.no_grad():
        neutral = flame(None, torch.zeros(100), torch.zeros(3)).landmarks
        opened = flame(None, torch.from_numpy(expression[0]), torch.from_numpy(jaw_pose[0])).landmarks
    gap = (opened[62, 1] - opened[66, 1]) - (neutral[62, 1] - neutral[66, 1])
    assert gap > 0.015  # metres; the ARKit head opens its inner lips by about 28 mm (25 mm at 0.9x)
    assert mapping.residual_mm[k] < 0.5 * mapping.target_mm[k]


def test_residuals_are_those_of_the_flame_model(mapping, flame, rig):
    """The reported residual equals the landmark error recomputed with FLAME.forward and the rig's deltas."""
    ids = rig.landmark_vertex_ids
    with torch.no_grad():
        neutral = flame(None, torch.zeros(100), torch.zeros(3)).landmarks.double()
        posed = flame(None, torch.from_numpy(mapping.expression), torch.from_numpy(mapping.jaw_pose)).landmarks
    target = mapping.settings["scale"] * rig.deltas[:, ids].double()
    error_mm = 1000 * (posed.double() - neutral - target)
    np.testing.assert_allclose(error_mm.square().sum(-1).mean(-1).sqrt().numpy(), mapping.residual_mm, atol=2e-3)


def test_a_shape_without_landmark_motion_maps_to_nothing(mapping):
    k = ARKIT_INDEX["tongueOut"]  # moves no landmark on the default head
    assert mapping.target_mm[k] == 0
    assert np.abs(mapping.expression[k]).max() < 1e-6 and np.abs(mapping.jaw_pose[k]).max() < 1e-6


def test_apply_is_linear_and_tensors_agree_with_arrays(mapping):
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 1, (2, 7, 52)).astype(np.float32)
    expression, jaw_pose = mapping.apply(2.0 * a + 0.5 * b)
    np.testing.assert_allclose(expression, 2.0 * mapping.apply(a)[0] + 0.5 * mapping.apply(b)[0], atol=1e-5)
    np.testing.assert_allclose(jaw_pose, 2.0 * mapping.apply(a)[1] + 0.5 * mapping.apply(b)[1], atol=1e-6)
    assert expression.shape == (7, 100) and jaw_pose.shape == (7, 3) and expression.dtype == np.float32
    weights = torch.from_numpy(a).requires_grad_()
    tensor_expression, tensor_jaw = mapping.apply(weights)
    np.testing.assert_allclose(tensor_expression.detach().numpy(), mapping.apply(a)[0], atol=1e-6)
    (tensor_expression.sum() + tensor_jaw.sum()).backward()
    assert torch.isfinite(weights.grad).all()
    np.testing.assert_array_equal(mapping.apply(np.zeros((3, 52)))[1], np.zeros((3, 3)))


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (np.zeros((4, 51), np.float32), r"weights must be \(\.\.\., 52\)"),
        (np.zeros((4, 52), np.int64), "weights must be a float array or tensor"),
        (np.full((4, 52), np.nan, np.float32), "weights must be finite"),
        ([0.0] * 52, "weights must be a float array or tensor"),
    ],
)
def test_apply_rejects_bad_weights(mapping, weights, match):
    with pytest.raises(ValueError, match=match):
        mapping.apply(weights)


def test_save_load_round_trip(mapping, tmp_path):
    buffer = io.BytesIO()
    mapping.save(buffer)
    buffer.seek(0)
    for loaded in (ARKitToFLAME.load(buffer), _save_and_load(mapping, tmp_path / "arkit_to_flame.npz")):
        for name in ("expression", "jaw_pose", "residual_mm", "target_mm"):
            np.testing.assert_array_equal(getattr(loaded, name), getattr(mapping, name))
        assert loaded.settings == mapping.settings and loaded.n_landmarks == 68
        assert loaded.flame_version == mapping.flame_version


def _save_and_load(mapping: ARKitToFLAME, path) -> ARKitToFLAME:
    mapping.save(path)
    return ARKitToFLAME.load(path)


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no ARKit-to-FLAME map at"):
        ARKitToFLAME.load(tmp_path / "absent.npz")
    np.savez(tmp_path / "bad.npz", expression=np.zeros((52, 10), np.float32))
    with pytest.raises(ValueError, match=r"lacks \['jaw_pose'"):
        ARKitToFLAME.load(tmp_path / "bad.npz")
    with pytest.raises(ValueError, match=r"jaw_pose must be \(52, 3\)"):
        ARKitToFLAME(np.zeros((52, 10), np.float32), np.zeros((51, 3), np.float32), np.zeros(52, np.float32),
                     np.zeros(52, np.float32))


def test_inner_51_landmarks_are_enough(rig, write_flame):
    arrays = arkit_like_flame_arrays(rig)
    arrays["lmk_face_idx"], arrays["lmk_b_coords"] = arrays["lmk_face_idx"][17:], arrays["lmk_b_coords"][17:]
    flame = FLAME.from_files(write_flame(arrays, variant="2023", landmarks="static"))
    mapping = fit_arkit_to_flame(flame, rig, n_expression=50)
    assert mapping.n_landmarks == 51 and mapping.expression.shape == (52, 50)
    assert mapping.expression[ARKIT_INDEX["mouthSmileLeft"], 0] == pytest.approx(1.0, abs=0.03)
    assert mapping.jaw_pose[ARKIT_INDEX["jawOpen"], 0] > 0.1


def test_an_animation_drives_flame(mapping, flame):
    weights = np.random.default_rng(1).uniform(0, 1, (10, len(ARKIT_52))).astype(np.float32)
    expression, jaw_pose = mapping.apply(weights)
    out = flame(torch.zeros(300), torch.from_numpy(expression), torch.from_numpy(jaw_pose))
    assert out.vertices.shape == (10, 72, 3) and torch.isfinite(out.vertices).all()


def test_fit_needs_landmarks_and_valid_settings(rig, flame, write_flame):
    no_landmarks = FLAME.from_files(write_flame(arkit_like_flame_arrays(rig), landmarks=None, name="bare"))
    with pytest.raises(ValueError, match="no landmark embedding: put landmark_embedding.npy"):
        fit_arkit_to_flame(no_landmarks, rig)
    with pytest.raises(ValueError, match=r"n_expression must be in \[1, 100\]"):
        fit_arkit_to_flame(flame, rig, n_expression=101)
    with pytest.raises(ValueError, match="must be >= 0"):
        fit_arkit_to_flame(flame, rig, lip_weight=-1.0)
    with pytest.raises(ValueError, match="expression_regularization must be > 0"):
        fit_arkit_to_flame(flame, rig, expression_regularization=0.0)
    with pytest.raises(ValueError, match=r"shape must be \(n_shape,\)"):
        fit_arkit_to_flame(flame, rig, shape=torch.zeros(2, 300))


def test_speech_drives_flame_open_on_vowels_closed_on_bilabials(mapping, flame, speech_clips):
    from facemotion import animate

    for path, text in speech_clips.items():
        animation = animate(path, text, fps=30.0).to_flame(mapping)
        assert animation.flame_expression.shape == (animation.n_frames, 100)
        assert animation.flame_jaw_pose.shape == (animation.n_frames, 3)
        with torch.no_grad():
            landmarks = flame(None, torch.from_numpy(animation.flame_expression),
                              torch.from_numpy(animation.flame_jaw_pose)).landmarks.numpy()
        gap = landmarks[:, 62, 1] - landmarks[:, 66, 1]

        def widest(phones, held=0.0):
            return [gap[round(p.start * animation.fps):round(p.end * animation.fps) + 1].max()
                    for p in animation.phonemes if p.phone in phones and p.duration >= held]

        def narrowest(phones):
            return [gap[round(p.start * animation.fps):round(p.end * animation.fps) + 1].min()
                    for p in animation.phonemes if p.phone in phones]

        rest = gap[0]
        assert max(narrowest({"P", "B", "M"})) < rest + 0.001, path.name  # lips back together on /p b m/
        assert min(widest({"AA", "AE", "AO"}, held=2 / animation.fps)) > rest + 0.004, path.name  # open vowels


def test_cli_animate_with_flame_writes_parameters(rig, write_flame, speech_clips, tmp_path, capsys):
    from facemotion import cli
    from facemotion.exporters import read_npz

    folder = write_flame(arkit_like_flame_arrays(rig), landmarks="deca")
    path, text = next((p, t) for p, t in speech_clips.items() if p.name.startswith("arctic"))
    out = tmp_path / "take.npz"
    assert cli.main(["animate", str(path), "--text", text, "--flame", str(folder), "-o", str(out)]) == 0
    assert "landmark residual per blendshape" in capsys.readouterr().out
    take = read_npz(out)
    assert take.flame_expression.shape == (take.n_frames, 100) and take.flame_jaw_pose.shape == (take.n_frames, 3)
    assert cli.main(["animate", str(path), "--flame", str(folder), "-o", str(tmp_path / "take.usda")]) == 2
    assert cli.main(["animate", str(path), "--flame", str(tmp_path / "none"), "-o", str(tmp_path / "b.npz")]) == 2
    assert "flame.is.tue.mpg.de" in capsys.readouterr().err
