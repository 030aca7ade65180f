"""Import an FBX or USD file into an empty Blender scene and dump what Blender sees, as JSON.

Run inside Blender's Python (the ``bpy`` module; it imports nothing from facemotion)::

    <blender python> -I read_scene.py IN.fbx|IN.usda|IN.usdc|IN.usdz OUT.json \
        [--first F] [--count N] [--vertices]

The file is read by Blender's own importers, the consumers an artist would use: ``import_scene.fbx``
(``anim_offset=0``: FBX time 0 becomes frame 0, where the importer's default puts it at frame 1) or
``wm.usd_import`` (``set_frame_range=True``: the scene takes the stage's start and end time codes; Blender
5.0 keeps the scene's frame rate, 24 in a new scene). Then, for frames ``F .. F+N-1`` (default: the scene's
frame range), the scene is evaluated (``scene.frame_set``) and every shape key's evaluated ``value`` is read,
as an animation player would show it.

``OUT.json`` holds::

    scene:   fps (render.fps / render.fps_base), render_fps, fps_base, frame_start, frame_end,
             unit_system, scale_length, frames (the sampled frames)
    meshes:  one record per mesh object: name, n_vertices, n_polygons, matrix_world (4x4 rows),
             local_min/local_max (raw vertex data), world_min/world_max (world-space box, metres),
             shape_keys (names, Basis first), relative, values (frames x keys, evaluated),
             keyframes ({data path: [[frame, value], ...]} of the action on the Key, if any; the path of
             a shape key's value is ``key_blocks["<name>"].value``), modifiers ([name, type]), parent,
             vertices (frames x V x 3 evaluated world-space positions, with --vertices)
    armatures: one record per armature object: name, bones (names), rest (bones x 4x4 rows: each bone's rest
             frame in world space, ``matrix_world @ bone.matrix_local``), pose (frames x bones x 4x4: the
             evaluated pose frames, ``matrix_world @ pose_bone.matrix``); translations in Blender units
    objects: [name, type] of every object in the scene
    fbx:     (FBX only) the file as Blender's parser reads it: global_settings (UnitScaleFactor, TimeMode,
             CustomFrameRate, UpAxis, ...), ktime (FBX ticks per second) and channels ({BlendShapeChannel
             name: {times: [ticks], values: [DeformPercent]}}); None for USD

Exits 0 on success, 3 when ``bpy`` cannot be imported, 1 on any other failure (traceback on stderr).
"""

import argparse
import json
import sys

EXIT_NO_BPY = 3

try:
    import bpy
except ImportError as error:
    print(f"facemotion: cannot import bpy: {error}", file=sys.stderr)
    sys.exit(EXIT_NO_BPY)
import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--first", type=int, default=None)
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--vertices", action="store_true")
    args = parser.parse_args()

    bpy.ops.wm.read_factory_settings(use_empty=True)
    suffix = args.source.lower().rsplit(".", 1)[-1]
    if suffix == "fbx":
        result = bpy.ops.import_scene.fbx(filepath=args.source, anim_offset=0.0, use_anim=True)
    elif suffix in ("usd", "usda", "usdc", "usdz"):
        result = bpy.ops.wm.usd_import(filepath=args.source, set_frame_range=True, import_blendshapes=True)
    else:
        raise ValueError(f"cannot import {args.source}: not .fbx or .usd*")
    if result != {"FINISHED"}:
        raise RuntimeError(f"Blender's importer returned {result}")

    scene = bpy.context.scene
    first = scene.frame_start if args.first is None else args.first
    count = scene.frame_end - scene.frame_start + 1 if args.count is None else args.count
    frames = list(range(first, first + count))
    meshes = [obj for obj in scene.objects if obj.type == "MESH"]
    records = [describe(obj) for obj in meshes]
    for record in records:
        record["values"] = []
        record["vertices"] = [] if args.vertices else None
    armatures = [obj for obj in scene.objects if obj.type == "ARMATURE"]
    skeletons = [describe_armature(obj) for obj in armatures]
    depsgraph = bpy.context.evaluated_depsgraph_get()
    for frame in frames:
        scene.frame_set(frame)
        for obj, record in zip(meshes, records):
            keys = obj.data.shape_keys
            record["values"].append([block.value for block in keys.key_blocks] if keys else [])
            if args.vertices:
                evaluated = obj.evaluated_get(depsgraph)
                co = np.empty(len(evaluated.data.vertices) * 3, np.float64)
                evaluated.data.vertices.foreach_get("co", co)
                record["vertices"].append(to_world(evaluated, co.reshape(-1, 3)).tolist())
        for obj, record in zip(armatures, skeletons):
            record["pose"].append([matrix_rows(obj.matrix_world @ bone.matrix) for bone in obj.pose.bones])

    render = scene.render
    dump = {
        "scene": {
            "fps": render.fps / render.fps_base, "render_fps": render.fps, "fps_base": render.fps_base,
            "frame_start": scene.frame_start, "frame_end": scene.frame_end, "frames": frames,
            "unit_system": scene.unit_settings.system, "scale_length": scene.unit_settings.scale_length,
        },
        "meshes": records,
        "armatures": skeletons,
        "objects": [[obj.name, obj.type] for obj in scene.objects],
        "fbx": read_fbx_records(args.source) if suffix == "fbx" else None,
    }
    with open(args.target, "w", encoding="utf-8") as f:
        json.dump(dump, f)


def describe(obj) -> dict:
    """Geometry, shape keys and keyframes of a mesh object (before any frame is evaluated)."""
    mesh = obj.data
    co = np.empty(len(mesh.vertices) * 3, np.float64)
    mesh.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    world = to_world(obj, co)
    keys = mesh.shape_keys
    keyframes = {}
    if keys is not None and keys.animation_data is not None and keys.animation_data.action is not None:
        anim = keys.animation_data
        for layer in anim.action.layers:
            for strip in layer.strips:
                channelbag = strip.channelbag(anim.action_slot)
                if channelbag is None:
                    continue
                for curve in channelbag.fcurves:
                    points = np.empty(len(curve.keyframe_points) * 2, np.float64)
                    curve.keyframe_points.foreach_get("co", points)
                    keyframes[curve.data_path] = points.reshape(-1, 2).tolist()
    return {
        "name": obj.name,
        "n_vertices": len(mesh.vertices),
        "n_polygons": len(mesh.polygons),
        "matrix_world": [list(row) for row in obj.matrix_world],
        "local_min": co.min(0).tolist() if len(co) else None,
        "local_max": co.max(0).tolist() if len(co) else None,
        "world_min": world.min(0).tolist() if len(co) else None,
        "world_max": world.max(0).tolist() if len(co) else None,
        "shape_keys": [block.name for block in keys.key_blocks] if keys else [],
        "relative": bool(keys.use_relative) if keys else None,
        "keyframes": keyframes,
        "modifiers": [[m.name, m.type] for m in obj.modifiers],
        "parent": obj.parent.name if obj.parent else None,
    }


def describe_armature(obj) -> dict:
    """Name, bone names and world-space rest frames of an armature object (``pose`` is filled frame by frame)."""
    return {
        "name": obj.name,
        "bones": [bone.name for bone in obj.pose.bones],
        "rest": [matrix_rows(obj.matrix_world @ bone.bone.matrix_local) for bone in obj.pose.bones],
        "pose": [],
    }


def matrix_rows(matrix) -> list:
    """A mathutils matrix as a list of rows."""
    return [list(row) for row in matrix]


def read_fbx_records(path: str) -> dict:
    """The raw FBX data a test checks, read with Blender's FBX parser (``io_scene_fbx.parse_fbx``).

    Returns ``{"global_settings": {name: value}, "ktime": FBX ticks per second, "channels": {name:
    {"times": [ticks], "values": [DeformPercent]}}}``, one channel per BlendShapeChannel that has an
    animation curve (AnimationCurve -> AnimationCurveNode ``DeformPercent`` -> BlendShapeChannel).
    """
    from io_scene_fbx import parse_fbx
    from io_scene_fbx.fbx_utils import FBX_KTIME

    root, _version = parse_fbx.parse(path)
    sections = {element.id: element for element in root.elems}
    settings = {}
    for group in sections[b"GlobalSettings"].elems:
        for prop in group.elems:
            if prop.id == b"P":
                value = prop.props[4:]
                settings[prop.props[0].decode()] = value[0] if len(value) == 1 else value
    settings = {k: v.decode() if isinstance(v, bytes) else v for k, v in settings.items()}
    objects = {element.props[0]: element for element in sections[b"Objects"].elems}
    links = {}  # child uid -> (parent uid, property) for object-property connections
    for connection in sections[b"Connections"].elems:
        if connection.props[0] == b"OP":
            links[connection.props[1]] = (connection.props[2], connection.props[3])
    channels = {}
    for uid, element in objects.items():
        if element.id != b"AnimationCurve" or links.get(uid, (None, None))[1] != b"d|DeformPercent":
            continue
        node, _ = links[uid]
        parent, prop = links.get(node, (None, None))
        if prop != b"DeformPercent" or parent not in objects:
            continue
        name = objects[parent].props[1].split(b"\x00\x01")[0].decode()
        arrays = {child.id: child.props[0] for child in element.elems if child.props}
        times, values = list(arrays[b"KeyTime"]), list(arrays[b"KeyValueFloat"])
        channels[name] = {"times": times, "values": values}
    return {"global_settings": settings, "ktime": FBX_KTIME, "channels": channels}


def to_world(obj, co: np.ndarray) -> np.ndarray:
    """(V, 3) object-space points in world space, in metres (Blender units times ``scale_length``)."""
    matrix = np.array(obj.matrix_world, np.float64)
    scale_length = bpy.context.scene.unit_settings.scale_length
    return (co @ matrix[:3, :3].T + matrix[:3, 3]) * scale_length


if __name__ == "__main__":
    main()
