"""Write a blendshape head and its weight curves as FBX, inside Blender's Python (the ``bpy`` module).

Run by :func:`facemotion.exporters.fbx.export_fbx` as ``<blender python> -I write_fbx.py IN.npz OUT.fbx``.
This file runs in Blender's own environment: it imports neither facemotion nor anything outside Blender's
bundled packages (``bpy`` pins its numpy, 1.26 for bpy 5.0).

Input arrays of ``IN.npz`` (written by ``facemotion.exporters.fbx``):

- ``neutral`` (V, 3) float32 and ``deltas`` (K, V, 3) float32: metres, +Y up, +Z towards the viewer;
- ``faces`` (F, 3) int64 triangles; ``names`` (K,) unicode blendshape names;
- ``weights`` (T, K) float32 in [0, 1], one column per blendshape in the mesh's order;
- ``fps`` () float64 frames per second; ``scale`` () float64 file units per metre (1 m, 100 cm);
- only for a take with head or eye rotations (``facemotion.exporters.head_pose.JointTracks``): ``joint_names``
  (J,) unicode, ``joint_parents`` (J,) int64 (-1 for the root), ``joint_positions`` (J, 3) float64 rest positions,
  metres in our axes, ``joint_rotations`` (T, J, 4) float64 quaternions (x, y, z, w) relative to the parent and
  ``vertex_joints`` (V,) int32 the one joint each vertex follows.

What the scene holds when the exporter runs (the choices, and why):

- **Units**: the mesh is built in file units (metres times ``scale``) and ``unit_settings.scale_length`` is
  ``1 / scale``, so one Blender unit is one file unit. Exported with ``apply_unit_scale=True`` and
  ``apply_scale_options='FBX_SCALE_ALL'``, the vertex data stay in file units and the FBX header records
  ``UnitScaleFactor = 100 / scale`` (centimetres per file unit: 100 for metres, 1 for centimetres), with
  no scale on the node. Unreal's importer reads raw numbers as centimetres (its "Convert Scene Unit" is off
  by default), so ``scale=100`` imports at the right size there; unit-aware readers (Blender, Maya, the FBX
  SDK's ``FbxSystemUnit::ConvertScene``) get the right size at any scale.
- **Axes**: the head is turned into Blender's +Z up (x, y, z) -> (x, -z, y), and the exporter's
  ``axis_up='Y', axis_forward='-Z'`` with ``bake_space_transform=True`` turns it back inside the vertex
  data: the file holds our coordinates (+Y up, +Z front; FBX's default axis system) under an identity node
  transform instead of a -90 degree rotation on the node.
- **Time**: frame ``t`` of the animation is Blender frame ``t`` (``frame_start = 0``,
  ``frame_end = T - 1``), so FBX key ``t`` is at ``t / fps`` seconds, as in facemotion. ``render.fps`` is
  an integer and ``render.fps_base`` a float32; :func:`set_frame_rate` picks an exact pair where there is
  one (30000/1001 is 30000 / 1001). The exporter writes the FBX ``TimeMode`` of a standard rate (within
  1e-6, relative: 30000/1001 is NTSC's mode 9) and ``CustomFrameRate`` otherwise (29.97, 12.5, ...).
- **Shape keys**: a ``Basis`` key plus one relative key per blendshape, named as in the mesh; their values
  are keyed at every frame on the mesh's Key datablock through ``keyframe_points.add`` + ``foreach_set``
  (linear interpolation), with slider range [0, 1]. The exporter writes, per shape, only the vertices whose
  offset exceeds 1e-6 of their coordinate (``shape_difference_exclude_similar``); a shape that moves
  nothing keeps one zero offset on vertex 0.
- **Head and eye rotations** (only with the ``joint_*`` arrays): an armature object ``Skeleton`` with one bone
  per joint (``Neck`` at the neck pivot, carrying the head rotation, ``LeftEye`` and ``RightEye`` at the eyeball
  centres, children of ``Neck``), each bone pointing up (Blender +Z) with roll 0, so that its local axes are ours (+X the
  character's left, +Y up, +Z out of the face) and a pose bone's ``rotation_quaternion`` is the joint's
  rotation as facemotion writes it; the mesh is parented to the armature with an Armature modifier and one
  vertex group per bone (weight 1); each quaternion component is keyed at every frame (linear). The FBX holds
  the bones as LimbNodes with their animated ``Lcl Rotation`` and the mesh as a skin (Deformer/Cluster per bone).
- **Speed**: the object's ``show_only_shape_key`` (the pin) is on, with the Basis active. The exporter bakes
  by calling ``scene.frame_set`` at every frame and reading each key's ``value``; unpinned, every call also
  mixes all shape keys into the evaluated mesh, which it never reads (it writes the original mesh and key
  data). Pinned, the file is the same (compared element by element: equal apart from time stamps and
  object ids) and 3,600 frames on the default head export in 1.6 s instead of 23.4 s.

Exporter options that matter (Blender manual, "Import-Export: FBX", and ``io_scene_fbx/__init__.py``):

- ``bake_anim=True`` with ``bake_anim_use_nla_strips=False`` and ``bake_anim_use_all_actions=False``: the
  one global AnimStack, sampled over the scene's frame range, is the only path that writes shape-key
  animation here; the "All Actions" and "NLA Strips" paths only look at an *object's* animation data,
  while shape-key curves live on the Key datablock, so with either left at its default (True) the file has
  the shapes but no animation.
- ``bake_anim_step=1.0``: one key per frame; ``bake_anim_simplify_factor=0.0``: the default 1.0 keeps only
  keys whose value moves by more than about 0.1% of its magnitude from a neighbour's, so holds lose their
  keys (a 40-frame take with a 20-frame hold kept 22 keys per channel) and the file no longer has a key
  per frame.
- ``use_mesh_modifiers=False``: applying modifiers exports an evaluated copy of the mesh, without shape
  keys (the option's own warning); there are no modifiers here, and False keeps it so.
- ``object_types={'MESH'}`` (plus ``'ARMATURE'`` with rotations), ``add_leaf_bones=False``: only the head and
  its bones, no extra leaf bones.
- ``mesh_smooth_type='FACE'``: per-face smoothing of the smooth-shaded head, besides the normals; with
  "Normals Only" Unreal's importer warns that the file has no smoothing groups.

Prints one line ``facemotion-timing {...}`` (JSON seconds: ``import_bpy``, ``build``, ``export``) on stdout.
Exits 0 on success, 3 when ``bpy`` cannot be imported, 1 on any other failure (traceback on stderr).
"""

import json
import sys
import time

EXIT_NO_BPY = 3

_start = time.perf_counter()
try:
    import bpy
except ImportError as error:
    print(f"facemotion: cannot import bpy: {error}", file=sys.stderr)
    sys.exit(EXIT_NO_BPY)
import numpy as np
from bpy_extras import anim_utils


def main(source: str, target: str) -> None:
    timing = {"import_bpy": time.perf_counter() - _start}
    start = time.perf_counter()
    with np.load(source, allow_pickle=False) as archive:
        data = {key: archive[key] for key in archive.files}
    scale = float(data["scale"])
    names = [str(name) for name in data["names"]]

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.unit_settings.system = "METRIC"
    scene.unit_settings.scale_length = 1.0 / scale
    scene.unit_settings.length_unit = "CENTIMETERS" if scale == 100.0 else "METERS"
    set_frame_rate(scene, float(data["fps"]))
    weights = data["weights"]
    scene.frame_start, scene.frame_end = 0, len(weights) - 1
    scene.frame_current = 0

    obj = build_mesh(data["neutral"] * scale, data["faces"], data["deltas"] * scale, names)
    scene.collection.objects.link(obj)
    # Pin the Basis ("Shape Key Lock"): the exporter evaluates the scene at every frame only to read the
    # keys' values, and unpinned that mixes every shape key into the mesh each time (14x slower, see above).
    obj.show_only_shape_key = True
    obj.active_shape_key_index = 0
    key_shapes(obj.data.shape_keys, names, weights)
    rotated = "joint_names" in data
    if rotated:
        skeleton = build_armature(
            scene, [str(name) for name in data["joint_names"]], data["joint_parents"], data["joint_positions"], scale
        )
        bind_to_armature(obj, skeleton, data["vertex_joints"])
        key_bones(skeleton, data["joint_rotations"])
    timing["build"] = time.perf_counter() - start

    start = time.perf_counter()
    result = bpy.ops.export_scene.fbx(
        filepath=target,
        check_existing=False,
        use_selection=False,
        use_visible=False,
        use_active_collection=False,
        object_types={"MESH", "ARMATURE"} if rotated else {"MESH"},
        global_scale=1.0,
        apply_unit_scale=True,
        apply_scale_options="FBX_SCALE_ALL",
        axis_forward="-Z",
        axis_up="Y",
        use_space_transform=True,
        bake_space_transform=True,
        use_mesh_modifiers=False,
        mesh_smooth_type="FACE",
        colors_type="NONE",
        use_tspace=False,
        use_custom_props=False,
        add_leaf_bones=False,
        bake_anim=True,
        bake_anim_use_all_bones=False,
        bake_anim_use_nla_strips=False,
        bake_anim_use_all_actions=False,
        bake_anim_force_startend_keying=True,
        bake_anim_step=1.0,
        bake_anim_simplify_factor=0.0,
        path_mode="AUTO",
        embed_textures=False,
        batch_mode="OFF",
    )
    if result != {"FINISHED"}:
        raise RuntimeError(f"Blender's FBX exporter returned {result}")
    timing["export"] = time.perf_counter() - start
    print("facemotion-timing " + json.dumps(timing), flush=True)


def set_frame_rate(scene, fps: float) -> None:
    """Set ``render.fps`` (int <= 32767) and ``render.fps_base`` (float32) so that their ratio is ``fps``.

    A base exact in float32 that makes ``fps * base`` a whole number is taken when there is one:
    30000/1001 -> 30000 / 1001, 60000/1001 -> 30000 / 500.5, 12.5 -> 25 / 2, 29.97 -> 2997 / 100;
    otherwise ``round(fps) / (round(fps) / fps)``, exact to 6e-8 (relative). The exporter computes key
    times from this ratio, so an exact one keeps FBX key ``t`` within one tick (1/46186158000 s) of
    ``t / fps``.
    """
    for base in (1.0, 1001.0, 500.5, 250.25, 2.0, 4.0, 10.0, 100.0, 1000.0):
        whole = round(fps * base)
        if 1 <= whole <= 32767 and abs(whole / base - fps) <= 1e-12 * fps:
            scene.render.fps, scene.render.fps_base = whole, base
            return
    scene.render.fps = min(max(1, round(fps)), 32767)
    scene.render.fps_base = scene.render.fps / fps


def build_mesh(neutral, faces, deltas, names):
    """A mesh object from (V, 3) vertices, (F, 3) triangles and (K, V, 3) offsets in our axes (+Y up).

    Vertices go to Blender's axes (x, y, z) -> (x, -z, y); the shape keys ``Basis`` and ``names`` follow.
    """
    to_blender = np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]], np.float32)  # row vector @ matrix
    neutral = neutral.astype(np.float32) @ to_blender
    mesh = bpy.data.meshes.new("Face")
    mesh.vertices.add(len(neutral))
    mesh.vertices.foreach_set("co", neutral.ravel())
    mesh.loops.add(faces.size)
    mesh.loops.foreach_set("vertex_index", faces.astype(np.int32).ravel())
    mesh.polygons.add(len(faces))
    mesh.polygons.foreach_set("loop_start", np.arange(0, faces.size, 3, dtype=np.int32))
    mesh.update()
    mesh.shade_smooth()
    obj = bpy.data.objects.new("Face", mesh)
    obj.shape_key_add(name="Basis", from_mix=False)
    for name, delta in zip(names, deltas):
        key = obj.shape_key_add(name=name, from_mix=False)
        key.slider_min, key.slider_max = 0.0, 1.0
        key.points.foreach_set("co", (neutral + delta.astype(np.float32) @ to_blender).ravel())
    mesh.shape_keys.use_relative = True
    return obj


def key_shapes(shape_keys, names, weights) -> None:
    """Key every shape key's ``value`` at frames 0 .. T-1 to ``weights[:, k]`` (one action on the Key)."""
    channelbag = new_channelbag(shape_keys, "FaceAnimation", "KEY", "Face")
    for k, name in enumerate(names):
        key_curve(channelbag, f'key_blocks["{escape(name)}"].value', 0, weights[:, k])


def new_channelbag(owner, action_name: str, id_type: str, slot_name: str):
    """A new action assigned to ``owner`` (through one slot), and its channel bag for new F-curves."""
    action = bpy.data.actions.new(action_name)
    slot = action.slots.new(id_type=id_type, name=slot_name)
    owner.animation_data_create()
    owner.animation_data.action = action
    owner.animation_data.action_slot = slot
    return anim_utils.action_ensure_channelbag_for_slot(action, slot)


def key_curve(channelbag, path: str, index: int, values) -> None:
    """An F-curve of ``path[index]`` keyed at frames 0 .. T-1 to ``values`` (T,), LINEAR between keys."""
    linear = bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items["LINEAR"].value
    co = np.stack([np.arange(len(values)), values], axis=1).astype(np.float32)
    curve = channelbag.fcurves.new(path, index=index)
    curve.keyframe_points.add(len(values))
    curve.keyframe_points.foreach_set("co", co.ravel())
    curve.keyframe_points.foreach_set("interpolation", np.full(len(values), linear, np.uint8))
    curve.update()


def build_armature(scene, names, parents, positions, scale: float):
    """An armature object ``Skeleton`` with one bone per joint at ``positions`` (J, 3) metres in our axes.

    Every bone points up (Blender +Z, ``BONE_LENGTH`` long) with roll 0: its local X, Y, Z axes are our +X, +Y, +Z.
    """
    armature = bpy.data.armatures.new("Skeleton")
    obj = bpy.data.objects.new("Skeleton", armature)
    scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    bones = []
    for name, parent, position in zip(names, parents, positions):
        x, y, z = (float(c) * scale for c in position)
        bone = armature.edit_bones.new(name)
        bone.head, bone.tail, bone.roll = (x, -z, y), (x, -z, y + BONE_LENGTH * scale), 0.0
        if parent >= 0:
            bone.parent, bone.use_connect = bones[parent], False
        bones.append(bone)
    bpy.ops.object.mode_set(mode="OBJECT")
    return obj


BONE_LENGTH = 0.02
"""Length of each bone, metres: any length works (bones only carry a frame); 2 cm is an eyeball's size."""


def bind_to_armature(obj, skeleton, vertex_joints) -> None:
    """Parent the mesh to the armature with an Armature modifier, one vertex group per bone with weight 1."""
    obj.parent = skeleton
    for j, bone in enumerate(skeleton.data.bones):  # in creation order, the order of vertex_joints
        group = obj.vertex_groups.new(name=bone.name)
        group.add([int(v) for v in np.flatnonzero(vertex_joints == j)], 1.0, "REPLACE")
    modifier = obj.modifiers.new("Armature", "ARMATURE")
    modifier.object = skeleton


def key_bones(skeleton, rotations) -> None:
    """Key each pose bone's ``rotation_quaternion`` (w, x, y, z) at frames 0 .. T-1 from (T, J, 4) (x, y, z, w)."""
    channelbag = new_channelbag(skeleton, "HeadRotation", "OBJECT", "Skeleton")
    for j, bone in enumerate(skeleton.pose.bones):  # in creation order, the order of rotations' joints
        bone.rotation_mode = "QUATERNION"
        path = f'pose.bones["{escape(bone.name)}"].rotation_quaternion'
        for component, column in enumerate((3, 0, 1, 2)):  # Blender's w, x, y, z
            key_curve(channelbag, path, component, rotations[:, j, column])


def escape(name: str) -> str:
    """``name`` quoted for a Blender data path (``bpy.utils.escape_identifier``)."""
    return bpy.utils.escape_identifier(name)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: write_fbx.py IN.npz OUT.fbx", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2])
