"""FBX export through Blender, run as a subprocess in its own environment (architecture decision 5).

FBX is a closed format; the writer that engines and DCC tools are known to read is Blender's
``io_scene_fbx``. Blender's Python module ``bpy`` pins its own Python (3.11 for bpy 5.0) and numpy (< 2),
so it lives in a separate environment, by default ``.venv-blender`` in the repository (``make
blender-env``), and this module talks to it through files only: it writes the head and the weights to an
``.npz`` in a temporary folder, runs ``<blender python> -I blender_scripts/write_fbx.py IN.npz OUT.fbx``
and moves the result onto the output path (:func:`atomic_output`). ``write_fbx.py`` documents the scene it
builds and the exporter options that keep the shape-key animation.

The file holds one mesh ``Face`` with a ``Basis`` shape key and one shape key per blendshape (FBX
BlendShapeChannels, named as in the mesh), one AnimStack with a key per frame on every channel
(``DeformPercent`` = 100 x weight) at ``t / fps`` seconds, the frame rate (FBX ``TimeMode`` or
``CustomFrameRate``), +Y up, +Z front, and the unit in ``UnitScaleFactor`` (centimetres per file unit).
A take with head or eye rotations (:attr:`FaceAnimation.head_rotation`, :attr:`~FaceAnimation.eye_rotation`;
conventions in :mod:`facemotion.exporters.head_pose`) also gets an armature ``Skeleton`` with the bones ``Neck``
(at the neck pivot, carrying the head rotation) and ``LeftEye``, ``RightEye`` (at the eyeball centres), whose local axes are ours, keyed at
every frame, and the mesh skinned to it rigidly (one bone per vertex); a take without rotations is written as
before.

Checked by re-import (``tests/exporters/test_fbx.py``): Blender's FBX importer reads back every weight of
every frame, the frame rate, the shape-key names and the posed vertices. One limitation of that importer
(Blender 5.0.1) shows at rates that are not whole numbers: it turns FBX time into frames with the integer
``render.fps``, so at 29.97 fps key ``t`` lands on frame ``1.001 t`` although the file holds ``t / fps``.
"""

import logging
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from facemotion.animation import FaceAnimation
from facemotion.exporters.atomic import atomic_output
from facemotion.exporters.channels import mesh_weights
from facemotion.exporters.head_pose import HeadJoints, joint_tracks
from facemotion.face_models.base import BlendshapeMesh

log = logging.getLogger(__name__)

BLENDER_PYTHON_ENV = "FACEMOTION_BLENDER_PYTHON"
"""Environment variable naming the Python interpreter that can ``import bpy``."""

BLENDER_SCRIPTS = Path(__file__).resolve().parent / "blender_scripts"
"""Scripts run inside Blender's Python: ``write_fbx.py`` (export) and ``read_scene.py`` (import + dump)."""

SETUP_HINT = (
    "run `make blender-env` in the facemotion repository (it creates .venv-blender with `pip install bpy`, "
    f"Python 3.11), or set {BLENDER_PYTHON_ENV} to a Python interpreter that can `import bpy`"
)

EXIT_NO_BPY = 3
"""Exit status of the Blender scripts when ``bpy`` cannot be imported."""

MAX_NAME_BYTES = 63
"""Longest shape-key name Blender keeps, in UTF-8 bytes (``MAX_NAME`` 64 with the terminating zero)."""

_STDERR_LINES = 20


class BlenderNotFoundError(RuntimeError):
    """No Python interpreter that can ``import bpy`` was found; the message says how to set one up."""


class BlenderError(RuntimeError):
    """Blender ran but failed or timed out; the message ends with the last lines of its stderr."""


def export_fbx(
    animation: FaceAnimation,
    path: str | os.PathLike,
    mesh: BlendshapeMesh,
    *,
    scale: float = 1.0,
    blender_python: str | os.PathLike | None = None,
    timeout: float = 600.0,
    joints: HeadJoints | None = None,
) -> Path:
    """Write a head mesh with its blendshapes and the animation's weight curves as binary FBX (7.4).

    Blender's FBX exporter writes the file (``write_fbx.py`` lists the options and why). The mesh keeps
    the vertex order and triangles of ``mesh``; every blendshape becomes a shape key of the same name; the
    animation is keyed at every frame ``t`` at time ``t / fps`` (frame 0 at time 0) with no simplification;
    a blendshape the animation has no channel for is keyed at 0. The file appears only when complete
    (:func:`atomic_output`); a failure leaves nothing at ``path``.

    Args:
        animation: T >= 1 frames of weights (T, C) float32 in [0, 1] at ``animation.fps``.
        path: the output ``.fbx`` file; its folder must exist.
        mesh: the head: neutral (V, 3) float32 metres, faces (F, 3) int64, deltas (K, V, 3) float32 metres.
        scale: file units per metre (1 for metres, 100 for centimetres, as :class:`ExportOptions.scale`),
            > 0; vertex data are written in file units and ``UnitScaleFactor`` is ``100 / scale``. Unreal
            reads raw numbers as centimetres: use 100 there.
        blender_python: the interpreter that can ``import bpy``; by default the environment variable
            ``FACEMOTION_BLENDER_PYTHON``, then ``.venv-blender/bin/python`` in the repository or in the
            working folder (:func:`find_blender_python`).
        timeout: seconds Blender may run before it is stopped.
        joints: where the head and eyes turn (neck pivot, eyeballs) for a take with rotations; None takes
            :meth:`HeadJoints.for_mesh` (the default head's eyeballs, or no eyes on another mesh: its eye
            rotations are then dropped with a warning).

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: for a suffix other than ``.fbx``, an animation without frames, channels the mesh has
            no blendshape for (named), blendshape names that are repeated, empty, longer than 63 UTF-8
            bytes or ``Basis`` (Blender would rename them), or a scale that is not a finite number > 0.
        FileNotFoundError, PermissionError: the output folder is missing or not writable.
        BlenderNotFoundError: no interpreter that can ``import bpy`` (the message says how to set one up).
        BlenderError: Blender failed or ran past ``timeout`` (with the end of its stderr).
    """
    path = Path(path)
    if path.suffix.lower() != ".fbx":
        raise ValueError(f"FBX output must end in .fbx, got {path.name!r}")
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a finite number > 0, got {scale}")
    weights = mesh_weights(animation, mesh)
    bad = sorted({n for n in mesh.names if not 0 < len(n.encode()) <= MAX_NAME_BYTES or n == "Basis"})
    if bad or len(set(mesh.names)) != len(mesh.names):
        raise ValueError(
            f"blendshape names must be unique, 1 to {MAX_NAME_BYTES} UTF-8 bytes long (Blender's limit) and "
            f"not 'Basis', got {bad or sorted({n for n in mesh.names if mesh.names.count(n) > 1})}"
        )

    python = find_blender_python(blender_python)
    with tempfile.TemporaryDirectory(prefix="facemotion-fbx-") as folder:
        source = Path(folder) / "head.npz"
        np.savez(
            source, neutral=mesh.neutral, faces=mesh.faces, deltas=mesh.deltas,
            names=np.array(mesh.names, dtype=str), weights=weights,
            fps=np.float64(animation.fps), scale=np.float64(scale), **_joint_arrays(animation, mesh, joints),
        )
        with atomic_output(path) as tmp:
            run_blender_script(python, "write_fbx.py", [source, tmp], timeout=timeout)
            if tmp.stat().st_size == 0:
                raise BlenderError(f"Blender wrote no FBX data to {tmp}")
    return path


def _joint_arrays(animation: FaceAnimation, mesh: BlendshapeMesh, joints: HeadJoints | None) -> dict:
    """The ``joint_*`` and ``vertex_joints`` arrays ``write_fbx.py`` reads, or none for a take without rotations."""
    tracks = joint_tracks(animation, mesh, joints)
    if tracks is None:
        return {}
    return {
        "joint_names": np.array(tracks.names, dtype=str), "joint_parents": np.array(tracks.parents, np.int64),
        "joint_positions": tracks.positions, "joint_rotations": tracks.rotations,
        "vertex_joints": tracks.vertex_joints,
    }


def find_blender_python(blender_python: str | os.PathLike | None = None) -> Path:
    """The Python interpreter that runs the Blender scripts, checked to ``import bpy``.

    Looked up in order: ``blender_python``; the environment variable ``FACEMOTION_BLENDER_PYTHON``;
    ``.venv-blender/bin/python`` in the repository that holds this package, then in the working folder.
    The first one given (or present, for the folders) is the one used: an explicit choice that does not
    work is an error, never silently replaced. The check (``python -I -c "import bpy"``, 0.6 s warm, 20 s
    and more the first time after boot) runs until it succeeds once per interpreter and process.

    Returns:
        The interpreter's path.

    Raises:
        BlenderNotFoundError: none is given or present, or the chosen one is missing or cannot import
            ``bpy``; the message names it and says how to set one up.
    """
    if blender_python is not None:
        candidate, origin = Path(blender_python), "blender_python"
    elif os.environ.get(BLENDER_PYTHON_ENV):
        candidate, origin = Path(os.environ[BLENDER_PYTHON_ENV]), BLENDER_PYTHON_ENV
    else:
        found = [env for env in _default_environments() if env.is_dir()]
        if not found:
            raise BlenderNotFoundError(f"no Blender Python found for the FBX export: {SETUP_HINT}")
        candidate, origin = found[0] / "bin" / "python", "the default environment"
    problem = _check_bpy(str(candidate))
    if problem:
        raise BlenderNotFoundError(f"{candidate} ({origin}) cannot run Blender: {problem}; {SETUP_HINT}")
    return candidate


def _default_environments() -> list[Path]:
    """``.venv-blender`` in the repository holding this package, then in the working folder."""
    folders = (Path(__file__).resolve().parents[2], Path.cwd())
    return list(dict.fromkeys(folder / ".venv-blender" for folder in folders))


_WORKING: set[str] = set()
"""Interpreters that imported ``bpy`` in this process (a failure is checked again next time)."""


def _check_bpy(python: str) -> str | None:
    """Why ``python`` cannot ``import bpy`` (a short reason), or None when it can."""
    if python in _WORKING:
        return None
    try:
        done = subprocess.run(
            [python, "-I", "-c", "import bpy"], check=False, capture_output=True, text=True, timeout=300
        )
    except FileNotFoundError:
        return "no such file"
    except PermissionError:
        return "not executable"
    except (OSError, subprocess.SubprocessError) as error:
        return str(error)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return f"`import bpy` failed ({lines[-1] if lines else f'exit status {done.returncode}'})"
    _WORKING.add(python)
    return None


def run_blender_script(
    python: str | os.PathLike, script: str, args: list, *, timeout: float = 600.0
) -> subprocess.CompletedProcess:
    """Run ``<python> -I blender_scripts/<script> *args`` and return the finished process (text output).

    ``-I`` (isolated mode) keeps the caller's ``PYTHON*`` variables, user site-packages and working folder
    out of Blender's Python, so it never sees this environment's numpy 2. Blender's stdout is logged at DEBUG.

    Raises:
        BlenderNotFoundError: ``python`` cannot be started or cannot import ``bpy``.
        BlenderError: the script failed (non-zero exit) or ran past ``timeout`` seconds; the message ends
            with the last lines of its stderr.
    """
    command = [str(python), "-I", str(BLENDER_SCRIPTS / script), *map(str, args)]
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise BlenderNotFoundError(f"{python} does not exist; {SETUP_HINT}") from None
    except PermissionError:
        raise BlenderNotFoundError(f"{python} is not executable; {SETUP_HINT}") from None
    except subprocess.TimeoutExpired as error:
        raise BlenderError(f"Blender ran past {timeout:g} s on {script}{_tail(error.stderr)}") from None
    log.debug("%s stdout:\n%s", script, done.stdout)
    if done.returncode == EXIT_NO_BPY:
        raise BlenderNotFoundError(f"{python} cannot import bpy{_tail(done.stderr)}\n{SETUP_HINT}")
    if done.returncode != 0:
        raise BlenderError(f"Blender failed on {script} (exit status {done.returncode}){_tail(done.stderr)}")
    return done


def _tail(stderr: str | bytes | None) -> str:
    """The last lines of a process's stderr, as a message suffix."""
    if isinstance(stderr, bytes):
        stderr = stderr.decode(errors="replace")
    lines = (stderr or "").strip().splitlines()[-_STDERR_LINES:]
    return (":\n" + "\n".join(lines)) if lines else ""
