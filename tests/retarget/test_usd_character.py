"""Retargeting onto USD characters: the weights every mesh gets, read back through UsdSkel.Cache."""

import numpy as np
import pytest
from pxr import Gf, Sdf, Usd, UsdGeom, UsdSkel, Vt

from facemotion.exporters.usd import export_usd
from facemotion.retarget import read_character, retarget
from facemotion.retarget.mapping import load_mapping
from facemotion.testing import grid_mesh, random_animation

FPS = 30.0
LR = load_mapping("lr_suffix")
FACE_NAMES = tuple(LR.targets)[:-1] + ("extraShape",)  # no tongueOut, one unrelated shape

pytestmark = pytest.mark.filterwarnings("ignore:.*(not driven|not on the character|drive no blendshape)")


def mesh_weights(stage, mesh_path, t):
    """{blend shape: weight} of one mesh at time code t, as UsdSkel resolves them (0 for shapes not animated)."""
    prim = stage.GetPrimAtPath(mesh_path)
    root = UsdSkel.Root.Find(prim)
    cache = UsdSkel.Cache()
    cache.Populate(root, Usd.PrimDefaultPredicate)
    for binding in cache.ComputeSkelBindings(root, Usd.PrimDefaultPredicate):
        for skinning in binding.GetSkinningTargets():
            if skinning.GetPrim().GetPath() == prim.GetPath():
                query = cache.GetSkelQuery(binding.GetSkeleton()).GetAnimQuery()
                weights = skinning.GetBlendShapeMapper().Remap(query.ComputeBlendShapeWeights(Usd.TimeCode(t)),
                                                               None, 1, None)
                return dict(zip(skinning.GetBlendShapeOrder(), np.asarray(weights)))
    raise AssertionError(f"{mesh_path} is bound to no skeleton")


def expected(animation, mapping, target, t):
    return sum(w * animation.channel(s)[t] for s, w in mapping.targets[target])


def define_blendshape_mesh(stage, path, names, seed=0):
    """A grid Mesh with one BlendShape per name (all vertices, offsets from grid_mesh)."""
    mesh = grid_mesh(names, seed=seed)
    prim = UsdGeom.Mesh.Define(stage, path)
    prim.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(mesh.neutral))
    prim.CreateFaceVertexCountsAttr(Vt.IntArray([3] * len(mesh.faces)))
    prim.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(mesh.faces.astype(np.int32).ravel()))
    binding = UsdSkel.BindingAPI.Apply(prim.GetPrim())
    binding.CreateBlendShapesAttr(Vt.TokenArray(names))
    shapes = []
    for name, delta in zip(names, mesh.deltas):
        shape = UsdSkel.BlendShape.Define(stage, prim.GetPath().AppendChild(name))
        shape.CreateOffsetsAttr(Vt.Vec3fArray.FromNumpy(delta))
        shapes.append(shape.GetPath())
    binding.CreateBlendShapeTargetsRel().SetTargets(shapes)
    return mesh


@pytest.fixture
def exported(tmp_path):
    """Our own UsdSkel export with renamed shapes: SkelRoot /Head, mesh Face, a joint-less Skeleton and Animation."""
    path = tmp_path / "character.usda"
    export_usd(random_animation(FACE_NAMES, seed=5), path, grid_mesh(FACE_NAMES))
    return path


@pytest.fixture
def rigged(tmp_path):
    """A character with a jaw joint animated at 24 time codes per second, a head and a teeth mesh."""
    path = tmp_path / "rig.usda"
    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    UsdGeom.SetStageMetersPerUnit(stage, 0.01)
    stage.SetTimeCodesPerSecond(24)
    root = UsdSkel.Root.Define(stage, "/Char")
    stage.SetDefaultPrim(root.GetPrim())
    skeleton = UsdSkel.Skeleton.Define(stage, "/Char/Skel")
    joints = Vt.TokenArray(["root", "root/jaw"])
    identity = Gf.Matrix4d(1)
    skeleton.CreateJointsAttr(joints)
    skeleton.CreateBindTransformsAttr(Vt.Matrix4dArray([identity, identity]))
    skeleton.CreateRestTransformsAttr(Vt.Matrix4dArray([identity, identity]))
    anim = UsdSkel.Animation.Define(stage, "/Char/Skel/Anim")
    anim.CreateJointsAttr(joints)
    anim.CreateTranslationsAttr(Vt.Vec3fArray([Gf.Vec3f(0), Gf.Vec3f(0, -1, 0)]))
    anim.CreateScalesAttr(Vt.Vec3hArray([Gf.Vec3h(1), Gf.Vec3h(1)]))
    rotations = anim.CreateRotationsAttr()
    rotations.Set(Vt.QuatfArray([Gf.Quatf(1), Gf.Quatf(1)]), 0)
    rotations.Set(Vt.QuatfArray([Gf.Quatf(1), Gf.Quatf(0.9659258, 0.2588190, 0, 0)]), 24)
    anim.CreateBlendShapesAttr(Vt.TokenArray(["jawOpen"]))
    anim.CreateBlendShapeWeightsAttr(Vt.FloatArray([0.9]))
    UsdSkel.BindingAPI.Apply(skeleton.GetPrim()).CreateAnimationSourceRel().SetTargets([anim.GetPath()])
    UsdSkel.BindingAPI.Apply(root.GetPrim()).CreateSkeletonRel().SetTargets([skeleton.GetPath()])  # inherited
    define_blendshape_mesh(stage, "/Char/Head", ("eyeBlink_L", "jawOpen", "extraShape"))
    define_blendshape_mesh(stage, "/Char/Teeth", ("jawOpen",), seed=1)
    stage.Save()
    return path


@pytest.mark.parametrize("suffix", [".usda", ".usdc", ".usd"])
def test_mapped_weights_read_back_through_usdskel(exported, tmp_path, suffix):
    animation = random_animation(frames=7)
    original = exported.read_bytes()
    out = tmp_path / f"talking{suffix}"
    report = retarget(animation, exported, out, "lr_suffix")
    assert report.mapped == FACE_NAMES[:-1] and report.unmapped_targets == ("extraShape",)
    assert report.unused_channels == report.missing_targets == ("tongueOut",)
    assert exported.read_bytes() == original
    stage = Usd.Stage.Open(str(out))
    assert stage.GetTimeCodesPerSecond() == stage.GetFramesPerSecond() == FPS
    assert (stage.GetStartTimeCode(), stage.GetEndTimeCode()) == (0, 6)
    assert stage.GetDefaultPrim().GetPath() == "/Head" and UsdGeom.GetStageUpAxis(stage) == "Y"
    for t in range(7):
        weights = mesh_weights(stage, "/Head/Face", t)
        for name in FACE_NAMES[:-1]:
            assert weights[name] == pytest.approx(expected(animation, LR, name, t), abs=1e-6), (name, t)
        assert weights["extraShape"] == 0.0  # not driven: UsdSkel's weight of a shape outside the animation


def test_baked_points_are_the_blendshape_sum(exported, tmp_path):
    animation = random_animation(frames=3)
    retarget(animation, exported, tmp_path / "out.usda", "lr_suffix")
    stage = Usd.Stage.Open(str(tmp_path / "out.usda"))
    assert UsdSkel.BakeSkinning(stage.Traverse())
    mesh = grid_mesh(FACE_NAMES)
    weights = LR.apply(animation, FACE_NAMES[:-1])
    points = UsdGeom.Mesh(stage.GetPrimAtPath("/Head/Face")).GetPointsAttr()
    for t in range(3):
        pose = mesh.neutral + np.einsum("k,kvc->vc", weights[t], mesh.deltas[:-1])
        np.testing.assert_allclose(np.asarray(points.Get(t)), pose, atol=1e-6)


def test_joint_animation_kept_in_seconds_and_every_mesh_driven(rigged, tmp_path):
    animation = random_animation(frames=31)  # one second at 30 fps
    report = retarget(animation, rigged, tmp_path / "out.usda", "lr_suffix")
    assert report.mapped == ("eyeBlink_L", "jawOpen") and report.unmapped_targets == ("extraShape",)
    stage = Usd.Stage.Open(str(tmp_path / "out.usda"))
    assert UsdGeom.GetStageUpAxis(stage) == "Z" and UsdGeom.GetStageMetersPerUnit(stage) == 0.01
    for t in (0, 12, 30):
        head, teeth = mesh_weights(stage, "/Char/Head", t), mesh_weights(stage, "/Char/Teeth", t)
        assert head["jawOpen"] == teeth["jawOpen"] == pytest.approx(animation.channel("jawOpen")[t], abs=1e-6)
        assert head["eyeBlink_L"] == pytest.approx(animation.channel("eyeBlinkLeft")[t], abs=1e-6)
        assert head["extraShape"] == 0.0

    source = Usd.Stage.Open(str(rigged))
    cache_in, cache_out = UsdSkel.Cache(), UsdSkel.Cache()
    for cache, s in ((cache_in, source), (cache_out, stage)):
        cache.Populate(UsdSkel.Root(s.GetPrimAtPath("/Char")), Usd.PrimDefaultPredicate)
    query_in = cache_in.GetSkelQuery(UsdSkel.Skeleton(source.GetPrimAtPath("/Char/Skel"))).GetAnimQuery()
    query_out = cache_out.GetSkelQuery(UsdSkel.Skeleton(stage.GetPrimAtPath("/Char/Skel"))).GetAnimQuery()
    assert query_out.GetPrim().GetPath() == "/Char/Skel/facemotion"
    for seconds in (0.0, 0.5, 1.0):  # the jaw turns as before, in seconds: 24 codes/s in, 30 out
        before = query_in.ComputeJointLocalTransforms(Usd.TimeCode(24 * seconds))
        after = query_out.ComputeJointLocalTransforms(Usd.TimeCode(30 * seconds))
        np.testing.assert_allclose(np.array(after), np.array(before), atol=1e-6)


def test_a_mesh_bound_to_no_skeleton_gets_one(tmp_path):
    path = tmp_path / "bare.usda"
    stage = Usd.Stage.CreateNew(str(path))
    UsdSkel.Root.Define(stage, "/Face")
    define_blendshape_mesh(stage, "/Face/Head", ("JawOpen", "EyeBlinkLeft"))
    define_blendshape_mesh(stage, "/Face/Tongue", ("TongueOut",), seed=2)
    stage.Save()
    animation = random_animation(frames=4)
    report = retarget(animation, path, tmp_path / "out.usdc")  # PascalCase: matched without a mapping
    assert report.mapped == ("JawOpen", "EyeBlinkLeft", "TongueOut")
    out = Usd.Stage.Open(str(tmp_path / "out.usdc"))
    assert out.GetPrimAtPath("/Face/FacemotionSkeleton").IsA(UsdSkel.Skeleton)
    for t in range(4):
        assert mesh_weights(out, "/Face/Head", t)["JawOpen"] == pytest.approx(animation.channel("jawOpen")[t])
        assert mesh_weights(out, "/Face/Tongue", t)["TongueOut"] == pytest.approx(animation.channel("tongueOut")[t])


def test_the_character_is_found_from_another_folder(exported, tmp_path):
    (tmp_path / "takes").mkdir()
    out = retarget(random_animation(frames=2), exported, tmp_path / "takes" / "a.usda", "lr_suffix").output
    layer = Sdf.Layer.FindOrOpen(str(out))
    assert list(layer.subLayerPaths) == ["../character.usda"]
    assert Usd.Stage.Open(str(out)).GetPrimAtPath("/Head/Face").IsA(UsdGeom.Mesh)


def test_a_blendshape_mesh_outside_a_skelroot_is_refused(tmp_path):
    path = tmp_path / "loose.usda"
    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.Xform.Define(stage, "/World")
    define_blendshape_mesh(stage, "/World/Head", ("jawOpen",))
    stage.Save()
    with pytest.raises(ValueError, match="/World/Head has blend shapes but is not under a SkelRoot"):
        retarget(random_animation(), path, tmp_path / "out.usda")
    assert not (tmp_path / "out.usda").exists()


def test_reading_a_usd_character(rigged):
    character = read_character(rigged)
    assert character.format == "usd"
    assert [(m.name, m.targets) for m in character.meshes] == [
        ("/Char/Head", ("eyeBlink_L", "jawOpen", "extraShape")), ("/Char/Teeth", ("jawOpen",))]
    assert character.target_names == ("eyeBlink_L", "jawOpen", "extraShape")
