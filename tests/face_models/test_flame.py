"""Tests of the FLAME model and its file reader on synthetic models written in FLAME's formats (conftest.py)."""

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from facemotion.face_models.flame import FLAME, FLAMEOutput
from facemotion.face_models.flame_io import read_flame
from facemotion.face_models.lbs import batch_rodrigues
from facemotion.face_models.restricted_pickle import OMITTED, load_npy, load_pickle

REPO = Path(__file__).parents[2]


def random_parameters(batch: tuple[int, ...], seed: int = 0, dtype=torch.float64) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)

    def draw(*size, scale=1.0):
        return torch.randn(*batch, *size, generator=generator, dtype=dtype) * scale

    return {
        "shape": draw(300), "expression": draw(100), "jaw_pose": draw(3, scale=0.3),
        "neck_pose": draw(3, scale=0.3), "eye_pose": draw(6, scale=0.3), "global_orient": draw(3, scale=0.5),
        "transl": draw(3, scale=0.1),
    }


def naive_flame(arrays: dict, params: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """FLAME for one pose, written out loop by loop in float64 from the paper's equations (no shared code)."""
    v_template, shapedirs = arrays["v_template"], arrays["shapedirs"]
    n_vertices = len(v_template)
    coefficients = np.concatenate([params["shape"], params["expression"]])
    shaped = v_template.copy()
    for k, c in enumerate(coefficients):
        shaped += c * shapedirs[:, :, k]
    rest_joints = arrays["J_regressor"] @ shaped
    axis_angles = [params["global_orient"], params["neck_pose"], params["jaw_pose"], *np.split(params["eye_pose"], 2)]
    local = [Rotation.from_rotvec(aa).as_matrix() for aa in axis_angles]
    feature = np.concatenate([(r - np.eye(3)).ravel() for r in local[1:]])
    posed = shaped + np.einsum("p,vcp->vc", feature, arrays["posedirs"])
    world = []
    for j, parent in enumerate([-1, 0, 1, 1, 1]):
        transform = np.eye(4)
        transform[:3, :3] = local[j]
        transform[:3, 3] = rest_joints[j] - (rest_joints[parent] if parent >= 0 else 0)
        world.append(transform if parent < 0 else world[parent] @ transform)
    vertices = np.zeros((n_vertices, 3))
    for v in range(n_vertices):
        blended = np.zeros((4, 4))
        for j in range(5):
            undo_rest = np.eye(4)
            undo_rest[:3, 3] = -rest_joints[j]
            blended += arrays["weights"][v, j] * (world[j] @ undo_rest)
        vertices[v] = (blended @ np.append(posed[v], 1.0))[:3] + params["transl"]
    joints = np.array([w[:3, 3] for w in world]) + params["transl"]
    return vertices, joints


@pytest.fixture
def flame(flame_arrays, write_flame) -> FLAME:
    return FLAME.from_files(write_flame(flame_arrays)).double()


@pytest.mark.parametrize("variant", ["2020", "2020-protocol0", "2023"])
def test_reads_every_file_variant_to_the_written_arrays(flame_arrays, write_flame, variant):
    data = read_flame(write_flame(flame_arrays, variant=variant))
    assert data.version == ("FLAME 2023" if variant == "2023" else "FLAME 2020")
    np.testing.assert_allclose(data.v_template, flame_arrays["v_template"], rtol=1e-6)
    np.testing.assert_allclose(data.shapedirs, flame_arrays["shapedirs"][..., :300], rtol=1e-6)
    np.testing.assert_allclose(data.exprdirs, flame_arrays["shapedirs"][..., 300:], rtol=1e-6)
    np.testing.assert_allclose(data.j_regressor, flame_arrays["J_regressor"], rtol=1e-6)
    np.testing.assert_array_equal(data.faces, flame_arrays["f"])
    np.testing.assert_array_equal(data.parents, [-1, 0, 1, 1, 1])
    np.testing.assert_array_equal(data.landmark_faces, flame_arrays["lmk_face_idx"])
    np.testing.assert_array_equal(data.landmark_indices, np.arange(17, 68))
    assert "chumpy" not in sys.modules  # the chumpy objects were read without chumpy


def test_deca_landmark_file_gives_68_points_and_skips_its_torch_tensors(flame_arrays_68, write_flame):
    directory = write_flame(flame_arrays_68, variant="2023", landmarks="deca")
    embedding = load_npy(directory / "landmark_embedding.npy")
    assert embedding["dynamic_lmk_faces_idx"] is OMITTED  # a torch tensor: never built
    flame = FLAME.from_files(directory)
    assert flame.n_landmarks == 68
    np.testing.assert_array_equal(flame.landmark_indices.numpy(), np.arange(68))
    np.testing.assert_array_equal(flame.landmark_faces.numpy(), flame_arrays_68["lmk_face_idx"])
    assert flame(None, torch.zeros(100), torch.zeros(3)).landmarks.shape == (68, 3)


def test_matches_smplx_linear_blend_skinning(flame):
    lbs = pytest.importorskip("smplx.lbs")
    params = random_parameters((6,))
    out = flame(**params)
    n_vertices = flame.n_vertices
    vertices, joints = lbs.lbs(
        torch.cat([params["shape"], params["expression"]], -1),
        torch.cat([params["global_orient"], params["neck_pose"], params["jaw_pose"], params["eye_pose"]], -1),
        flame.v_template, torch.cat([flame.shapedirs, flame.exprdirs], -1),
        flame.posedirs.reshape(n_vertices * 3, 36).T, flame.j_regressor, torch.tensor([-1, 0, 1, 1, 1]),
        flame.lbs_weights,
    )
    transl = params["transl"][:, None]
    torch.testing.assert_close(out.vertices, vertices + transl, rtol=0, atol=1e-8)
    torch.testing.assert_close(out.joints, joints + transl, rtol=0, atol=1e-8)


def test_vectorised_matches_naive_loop(flame, flame_arrays):
    # the module holds float32 buffers (cast to float64 here): the reference uses the same rounded numbers
    flame_arrays = {
        key: value.astype(np.float32).astype(np.float64) if value.dtype == np.float64 else value
        for key, value in flame_arrays.items()
    }
    params = random_parameters((2, 3), seed=1)
    out = flame(**params)
    for index in np.ndindex(2, 3):
        vertices, joints = naive_flame(flame_arrays, {k: v[index].numpy() for k, v in params.items()})
        np.testing.assert_allclose(out.vertices[index].numpy(), vertices, rtol=0, atol=1e-10)
        np.testing.assert_allclose(out.joints[index].numpy(), joints, rtol=0, atol=1e-10)
        corners = out.vertices[index].numpy()[flame_arrays["f"][flame_arrays["lmk_face_idx"]]]
        landmarks = (flame_arrays["lmk_b_coords"][..., None] * corners).sum(1)
        np.testing.assert_allclose(out.landmarks[index].numpy(), landmarks, rtol=0, atol=1e-12)


@pytest.mark.parametrize("batch", [(), (4,), (2, 3)])
def test_shape_contract(flame, batch):
    out = flame(torch.zeros(*batch, 300), torch.zeros(*batch, 100), torch.zeros(*batch, 3))
    assert isinstance(out, FLAMEOutput)
    assert out.vertices.shape == (*batch, 20, 3)
    assert out.joints.shape == (*batch, 5, 3)
    assert out.landmarks.shape == (*batch, 51, 3)
    assert out.vertices.dtype == torch.float64


def test_one_identity_broadcasts_over_frames(flame):
    shape = torch.randn(300, dtype=torch.float64)
    params = random_parameters((5,), seed=2)
    out = flame(shape, params["expression"], params["jaw_pose"])
    frame = flame(shape, params["expression"][3], params["jaw_pose"][3])
    assert out.vertices.shape == (5, 20, 3)
    torch.testing.assert_close(out.vertices[3], frame.vertices)


def test_fewer_components_are_the_leading_ones(flame):
    shape, expression = torch.randn(10, dtype=torch.float64), torch.randn(50, dtype=torch.float64)
    jaw = torch.tensor([0.2, 0.0, 0.0], dtype=torch.float64)
    padded = flame(torch.cat([shape, torch.zeros(290)]), torch.cat([expression, torch.zeros(50)]), jaw)
    torch.testing.assert_close(flame(shape, expression, jaw).vertices, padded.vertices)
    torch.testing.assert_close(flame(None, expression, jaw).vertices, flame(torch.zeros(300), expression, jaw).vertices)


def test_zero_parameters_give_the_template(flame, flame_arrays):
    out = flame(None, torch.zeros(100), torch.zeros(3))
    np.testing.assert_allclose(out.vertices.numpy(), flame_arrays["v_template"], atol=1e-12)


def test_gradients_are_finite_including_at_the_rest_pose(flame):
    for jaw in (torch.zeros(4, 3), torch.randn(4, 3) * 0.3):
        expression = torch.randn(4, 100, dtype=torch.float64, requires_grad=True)
        jaw_pose = jaw.double().requires_grad_()
        out = flame(None, expression, jaw_pose)
        (out.vertices.square().sum() + out.landmarks.square().sum()).backward()
        assert torch.isfinite(expression.grad).all() and torch.isfinite(jaw_pose.grad).all()
        assert jaw_pose.grad.abs().sum() > 0


def test_rodrigues_matches_scipy_and_is_exact_near_zero():
    axis_angles = torch.cat([torch.randn(50, 3, dtype=torch.float64), torch.randn(5, 3, dtype=torch.float64) * 1e-6])
    expected = Rotation.from_rotvec(axis_angles.numpy()).as_matrix()
    np.testing.assert_allclose(batch_rodrigues(axis_angles).numpy(), expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(batch_rodrigues(torch.zeros(3)).numpy(), np.eye(3))


def test_float32_module_and_device_move(flame_arrays, write_flame):
    flame = FLAME.from_files(write_flame(flame_arrays))
    assert flame.v_template.dtype == torch.float32
    assert dict(flame.state_dict()) == {}  # the licensed data never goes into a checkpoint
    out = flame(None, torch.zeros(2, 100), torch.zeros(2, 3))
    assert out.vertices.dtype == torch.float32
    assert "FLAME 2020" in repr(flame)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"expression": torch.zeros(101)}, "expression has 101 components, this FLAME has 100"),
        ({"shape": torch.zeros(301)}, "shape has 301 components"),
        ({"jaw_pose": torch.zeros(2)}, r"jaw_pose must be \(\.\.\., 3\)"),
        ({"eye_pose": torch.zeros(3)}, r"eye_pose must be \(\.\.\., 6\)"),
        ({"jaw_pose": torch.tensor([float("nan"), 0, 0])}, "jaw_pose must be finite"),
        ({"expression": torch.zeros(100, dtype=torch.long)}, "expression must be a floating torch tensor"),
        ({"expression": np.zeros(100)}, "expression must be a floating torch tensor"),
        ({"jaw_pose": None}, "jaw_pose is required"),
        ({"expression": torch.zeros(4, 100), "jaw_pose": torch.zeros(3, 3)}, "do not broadcast"),
    ],
)
def test_bad_parameters_raise(flame, kwargs, match):
    params = {"shape": None, "expression": torch.zeros(100), "jaw_pose": torch.zeros(3), **kwargs}
    with pytest.raises(ValueError, match=match):
        flame(**params)


def test_missing_folder_or_model_says_where_to_get_flame(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no FLAME folder .*flame\.is\.tue\.mpg\.de"):
        FLAME.from_files(tmp_path / "absent")
    (tmp_path / "flame_static_embedding.pkl").write_bytes(pickle.dumps({}))
    with pytest.raises(FileNotFoundError, match=r"generic_model\.pkl .*flame2023\.pkl.*flame\.is\.tue\.mpg\.de"):
        FLAME.from_files(tmp_path)


def test_model_file_path_and_model_without_landmarks(flame_arrays, write_flame):
    directory = write_flame(flame_arrays, variant="2023", landmarks=None)
    flame = FLAME.from_files(directory / "flame2023.pkl")
    assert flame.n_landmarks == 0
    assert flame(None, torch.zeros(100), torch.zeros(3)).landmarks is None
    with pytest.raises(FileNotFoundError, match="no landmark embedding at"):
        FLAME.from_files(directory, landmark_embedding=directory / "absent.pkl")


def test_several_flame_2023_files_are_ambiguous(flame_arrays, write_flame):
    directory = write_flame(flame_arrays, variant="2023")
    (directory / "flame2023.pkl").rename(directory / "flame2023_no_jaw.pkl")
    (directory / "flame2023_other.pkl").write_bytes((directory / "flame2023_no_jaw.pkl").read_bytes())
    with pytest.raises(ValueError, match="several FLAME 2023 models"):
        FLAME.from_files(directory)


def test_another_body_model_is_named(flame_arrays, write_flame, tmp_path):
    smpl = dict(flame_arrays, weights=np.full((20, 24), 1 / 24), kintree_table=np.zeros((2, 24), np.int64))
    with pytest.raises(ValueError, match=r"FLAME has 5 joints .*24 \(it looks like an SMPL body model\)"):
        FLAME.from_files(write_flame(smpl))
    path = tmp_path / "generic_model.pkl"
    path.write_bytes(pickle.dumps({"v_template": np.zeros((4, 3)), "f": np.zeros((1, 3), np.int64)}, protocol=2))
    with pytest.raises(ValueError, match=r"is not a FLAME model: it lacks \['shapedirs'"):
        FLAME.from_files(path)


def test_wrong_array_shapes_are_named(flame_arrays, write_flame):
    with pytest.raises(ValueError, match=r"shapedirs must be \(V, 3, 300 \+ E\)"):
        FLAME.from_files(write_flame(dict(flame_arrays, shapedirs=flame_arrays["shapedirs"][..., :300]), name="a"))
    with pytest.raises(ValueError, match=r"posedirs .* must be \(20, 3, 36\)"):
        FLAME.from_files(write_flame(dict(flame_arrays, posedirs=flame_arrays["posedirs"][..., :9]), name="b"))
    with pytest.raises(ValueError, match="indexes triangle"):
        FLAME.from_files(write_flame(dict(flame_arrays, lmk_face_idx=flame_arrays["lmk_face_idx"] + 1000), name="c"))


class _Exploit:
    def __init__(self, target: Path):
        self.target = target

    def __reduce__(self):
        return (subprocess.call, (["touch", str(self.target)],))


def test_pickled_code_is_refused_and_never_run(tmp_path):
    target = tmp_path / "pwned"
    path = tmp_path / "generic_model.pkl"
    path.write_bytes(pickle.dumps({"v_template": _Exploit(target)}, protocol=2))
    with pytest.raises(ValueError, match=r"global \w+\.call is not allowed"):
        FLAME.from_files(tmp_path)
    assert not target.exists()
    path.write_bytes(b"not a pickle at all")
    with pytest.raises(ValueError, match="not a readable pickle|generic_model.pkl"):
        load_pickle(path)


def test_no_flame_file_is_tracked_in_the_repository():
    try:
        tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    names = {Path(line).name.lower() for line in tracked.splitlines()}
    flame_names = {"generic_model.pkl", "flame_static_embedding.pkl", "landmark_embedding.npy", "flame_masks.pkl"}
    assert not names & flame_names
    assert not [name for name in names if name.startswith(("flame2023", "flame_neutral"))]
