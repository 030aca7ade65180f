"""What the viewer page shows: the takes' curves, phonemes and joint rotations, the character and the speech.

:func:`viewer_data` turns :class:`~facemotion.animation.FaceAnimation` takes into one :class:`ViewerData`: plain
JSON values plus binary buffers (``bytes``), the state that the notebook widget
(:class:`facemotion.viewer.widget.Viewer`) syncs to the browser and that ``facemotion view``
(:mod:`facemotion.viewer.server`) serves. The page (``facemotion/viewer/static/viewer.js``, built from ``viewer/src``)
reads it back:

- ``takes``: one dict per take: ``name``; ``fps``; ``frames`` T; ``channels`` the C blendshape names it drives;
  ``weights`` (T, C) float32 little-endian bytes, frame-major; ``joints`` {node name: (T, 4) float32 bytes}, unit
  quaternions (x, y, z, w) of the ``Neck`` / ``LeftEye`` / ``RightEye`` nodes (:mod:`facemotion.exporters.head_pose`,
  the joints the glTF export writes), only for a take with head or eye rotations; ``phonemes`` and ``words``,
  ``[label, start, end]`` in seconds.
- ``character``: a GLB (glTF 2.0 binary) holding the meshes whose morph targets the takes drive by name: the
  default head (ICT-FaceKit, with ARKit-52 morph targets and the neck and eye joints) or a user's character.
- ``audio``: the speech as a 16-bit PCM WAV, mono, at the file's own rate, decoded as the pipeline decodes it
  (:func:`facemotion.audio.io.read_audio`: an MP3's encoder delay dropped), so that its time 0 is the takes' time 0;
  or None, and the page keeps its own clock.
- ``channels``: the curves drawn under the heads.

The page shows frame ``t * fps`` at time ``t`` interpolated linearly between the two nearest frames (held at the
first and last frame), as the LINEAR sampler of the glTF export plays it; the joints by spherical interpolation.
"""

import functools
import io
import os
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facemotion.animation import FaceAnimation
from facemotion.exporters.head_pose import EYE_JOINTS, HEAD_JOINT, eye_rotations, head_rotations
from facemotion.inputs import input_file

MAX_TAKES = 4
"""Most takes shown side by side."""

DEFAULT_CURVES: tuple[str, ...] = ("jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthSmileLeft",
                                   "eyeBlinkLeft", "browInnerUp")
"""Curves drawn by default, those of them the first take has: the jaw, the lips' closure and rounding, the smile, a
blink and the brows. A take with none of them (a character's own names) shows the :data:`CURVES_SHOWN` channels
that move most (largest standard deviation)."""

CURVES_SHOWN = 6
"""How many curves a take without the :data:`DEFAULT_CURVES` shows by default."""


@dataclass(frozen=True)
class ViewerData:
    """The state of one viewer (the module docstring gives each field's layout).

    Attributes:
        takes: one dict per take, 1 to :data:`MAX_TAKES`.
        character: GLB bytes of the character.
        audio: WAV bytes of the speech, or None.
        channels: names of the curves drawn under the heads.
    """

    takes: tuple[dict, ...]
    character: bytes
    audio: bytes | None
    channels: tuple[str, ...]

    def state(self) -> dict:
        """The fields as one dict (JSON values and ``bytes``), as the widget syncs them."""
        return {"takes": list(self.takes), "character": self.character, "audio": self.audio,
                "channels": list(self.channels)}


def viewer_data(
    takes: FaceAnimation | Sequence[FaceAnimation],
    *,
    labels: Sequence[str] | None = None,
    audio: str | os.PathLike | None = None,
    character: str | os.PathLike | None = None,
    mapping=None,
    channels: Sequence[str] | None = None,
) -> ViewerData:
    """The viewer state of one take, or of up to :data:`MAX_TAKES` takes side by side under one speech clock.

    Args:
        takes: a take, or a sequence of 1 to :data:`MAX_TAKES` takes (e.g. procedural and learned, or a prediction
            and a capture of the same speech); each with T >= 1 frames at its own fps.
        labels: a caption per take; default ``"take 1"``, ``"take 2"``, ... (a single take: its speech file's stem).
        audio: the speech to play; default the first take's ``audio_path``, if it has one (a recorded path that no
            longer exists is skipped with a warning: pass ``audio`` then). Its time 0 is the takes' time 0.
        character: a ``.glb`` or ``.gltf`` character whose named morph targets the takes drive; default the
            default head (:meth:`facemotion.face_models.arkit.ARKitRig.default`).
        mapping: how ARKit curves drive the character's blendshapes (a
            :class:`~facemotion.retarget.mapping.ChannelMapping`, a shipped mapping's name or a YAML file), as
            ``facemotion retarget --mapping``; default: a take whose channels are all blendshapes of the character
            drives them as they are, otherwise ARKit names are matched ignoring case
            (:func:`~facemotion.retarget.mapping.auto_mapping`).
        channels: the curves to draw (names of the first take's channels); default :data:`DEFAULT_CURVES`.

    Returns:
        A :class:`ViewerData`.

    Raises:
        ValueError: no take or more than :data:`MAX_TAKES`, a take without frames, labels that do not match the
            takes, an audio file that is not readable audio, a character that is not glTF or has no blendshape
            the takes drive, a mapping with a character-less call, or a curve name that is not a channel.
        FileNotFoundError: ``audio``, ``character`` or the mapping file does not exist.
    """
    takes = [takes] if isinstance(takes, FaceAnimation) else list(takes)
    if not 1 <= len(takes) <= MAX_TAKES:
        raise ValueError(f"the viewer shows 1 to {MAX_TAKES} takes, got {len(takes)}")
    for take in takes:
        if not isinstance(take, FaceAnimation):
            raise TypeError(f"takes must be FaceAnimation, got {type(take).__name__}")
        if take.n_frames == 0:
            raise ValueError("a take without frames cannot be shown")
    audio_path = _audio_path(takes[0], audio)
    if labels is None:
        labels = [audio_path.stem] if len(takes) == 1 and audio_path else [f"take {k + 1}" for k in range(len(takes))]
    labels = [str(label) for label in labels]
    if len(labels) != len(takes):
        raise ValueError(f"{len(labels)} labels for {len(takes)} takes")
    if character is None:
        if mapping is not None:
            raise ValueError("a mapping applies to a character; the default head takes ARKit curves as they are")
        glb = default_head_glb()
    else:
        from facemotion.viewer.characters import character_glb, character_take

        glb = character_glb(character)
        takes = [character_take(take, character, mapping) for take in takes]
    shown = _channels(takes[0], channels)
    return ViewerData(
        takes=tuple(_take_state(take, label) for take, label in zip(takes, labels)),
        character=glb,
        audio=None if audio_path is None else wav_bytes(audio_path),
        channels=shown,
    )


def _audio_path(take: FaceAnimation, audio: str | os.PathLike | None) -> Path | None:
    """The speech to play: ``audio`` as given, else the take's own if it still exists."""
    if audio is not None:
        return input_file(audio, "audio file")
    if take.audio_path is None:
        return None
    if not Path(take.audio_path).is_file():
        warnings.warn(f"the take's audio file {take.audio_path} is missing; shown without sound (pass the audio)",
                      stacklevel=3)
        return None
    return Path(take.audio_path)


def _channels(take: FaceAnimation, channels: Sequence[str] | None) -> tuple[str, ...]:
    """The curves to draw: checked names, or :data:`DEFAULT_CURVES`, or the :data:`CURVES_SHOWN` that move most."""
    if channels is None:
        shown = tuple(name for name in DEFAULT_CURVES if name in take.channel_names)
        if shown:
            return shown
        spread = take.weights.std(axis=0)
        moving = np.argsort(-spread, kind="stable")[:CURVES_SHOWN]
        return tuple(take.channel_names[k] for k in sorted(moving) if spread[k] > 0)
    unknown = [name for name in channels if name not in take.channel_names]
    if unknown:
        raise ValueError(f"no channels {unknown} in the take; its channels are {list(take.channel_names)}")
    return tuple(channels)


def _take_state(take: FaceAnimation, label: str) -> dict:
    """One take as the page reads it (module docstring)."""
    joints = {}
    if take.head_rotation is not None:
        joints[HEAD_JOINT] = _quaternions(head_rotations(take.head_rotation).as_quat())
    if take.eye_rotation is not None:
        eyes = eye_rotations(take.eye_rotation).as_quat().reshape(take.n_frames, 2, 4)
        joints.update({name: _quaternions(eyes[:, e]) for e, name in enumerate(EYE_JOINTS)})
    return {
        "name": label,
        "fps": take.fps,
        "frames": take.n_frames,
        "channels": list(take.channel_names),
        "weights": np.ascontiguousarray(take.weights, "<f4").tobytes(),
        "joints": joints,
        "phonemes": [[p.phone, p.start, p.end] for p in take.phonemes],
        "words": [list(word) for word in take.words],
    }


def _quaternions(quaternions: np.ndarray) -> bytes:
    """(T, 4) quaternions as float32 little-endian bytes."""
    return np.ascontiguousarray(quaternions, "<f4").tobytes()


def wav_bytes(path: str | os.PathLike) -> bytes:
    """A speech file as a mono 16-bit PCM WAV at its own rate, decoded as the pipeline decodes it.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: it is not readable audio (:func:`facemotion.audio.io.read_audio`).
    """
    import soundfile as sf

    from facemotion.audio.io import read_audio

    samples, rate = read_audio(path)
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(samples.mean(axis=1), -1, 1), rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


@functools.lru_cache(maxsize=1)
def default_head_glb() -> bytes:
    """The default head as GLB bytes: ARKit-52 morph targets, skinned to the ``Neck``, ``LeftEye`` and ``RightEye``
    joints (:func:`facemotion.exporters.gltf.export_gltf` of one neutral frame; about 5.6 MB, made once)."""
    from facemotion.exporters.gltf import export_gltf
    from facemotion.face_models.names import ARKIT_52
    from facemotion.face_models.rig_file import default_head_mesh

    neutral = FaceAnimation(fps=30.0, weights=np.zeros((1, len(ARKIT_52)), np.float32),
                            head_rotation=np.zeros((1, 3), np.float32), eye_rotation=np.zeros((1, 2, 2), np.float32))
    with tempfile.TemporaryDirectory() as folder:
        path = export_gltf(neutral, Path(folder) / "head.glb", default_head_mesh(), take="rest")
        return path.read_bytes()
