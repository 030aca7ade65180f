"""Done means: real speech to a USD file on the default head that UsdSkel reads back exactly."""

import numpy as np
import pytest
from pxr import Gf, Usd, UsdGeom, UsdSkel

from facemotion import ARKitRig, animate, export
from facemotion.exporters.head_pose import HeadJoints


@pytest.fixture(scope="module")
def stage_and_animation(speech_clips, tmp_path_factory):
    path, text = next((p, t) for p, t in speech_clips.items() if p.name.startswith("arctic"))
    animation = animate(path, text, fps=30.0)
    out = export(animation, tmp_path_factory.mktemp("usd") / "arctic.usdc")
    return Usd.Stage.Open(str(out)), animation


def test_weights_read_back_through_usdskel(stage_and_animation):
    stage, animation = stage_and_animation
    cache = UsdSkel.Cache()
    root = UsdSkel.Root(stage.GetDefaultPrim())
    cache.Populate(root, Usd.PrimDefaultPredicate)
    (binding,) = cache.ComputeSkelBindings(root, Usd.PrimDefaultPredicate)
    query = cache.GetSkelQuery(binding.GetSkeleton()).GetAnimQuery()
    assert stage.GetTimeCodesPerSecond() == 30.0 and stage.GetEndTimeCode() == animation.n_frames - 1
    order = [animation.channel_names.index(name) for name in query.GetBlendShapeOrder()]
    for t in range(animation.n_frames):
        read = np.array(query.ComputeBlendShapeWeights(Usd.TimeCode(t)))
        np.testing.assert_allclose(read, animation.weights[t, order], atol=1e-5)


def test_rig_points_match_baked_usdskel_points(stage_and_animation):
    stage, animation = stage_and_animation
    baked = Usd.Stage.Open(stage.Flatten())
    frames = [0, 23, 40, 71]  # rest, vowels, the /p/ of "superlative"
    assert UsdSkel.BakeSkinning(baked.Traverse(), Gf.Interval(0, max(frames)))
    points = next(UsdGeom.Mesh(p) for p in baked.Traverse() if p.IsA(UsdGeom.Mesh)).GetPointsAttr()
    rig = ARKitRig.default()
    head, eyes = animation.head_rotation[frames], animation.eye_rotation[frames]
    expected = HeadJoints.from_rig(rig).pose(rig(animation.weights[frames]), head, eyes)  # the performance's head
    for i, t in enumerate(frames):
        np.testing.assert_allclose(np.array(points.Get(Usd.TimeCode(t))), expected[i], atol=1e-5)
