"""FaceAnimation: the one record every pipeline returns and every exporter reads."""

import importlib.util
import math
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from facemotion.face_models.names import ARKIT_52, ARKIT_INDEX
from facemotion.text.phonemes import PhonemeSegment

if TYPE_CHECKING:
    from facemotion.face_models.arkit_to_flame import ARKitToFLAME

MAX_FPS = 1000.0
"""Highest frame rate facemotion makes frames at, frames per second: far above any capture or engine rate (ARKit
records 60, high-speed face capture 240-960), and a bound on the memory a typo such as ``--fps 1e9`` asks for."""


def check_fps(fps: float) -> float:
    """``fps`` as a float, checked to be a frame rate facemotion can make frames at.

    Raises:
        TypeError: for a value that is not a real number.
        ValueError: for a frame rate that is not finite, <= 0 or above :data:`MAX_FPS`.
    """
    if isinstance(fps, bool) or not isinstance(fps, (int, float, np.integer, np.floating)):
        raise TypeError(f"fps must be a number, got {type(fps).__name__}")
    fps = float(fps)
    if not (math.isfinite(fps) and 0 < fps <= MAX_FPS):
        raise ValueError(f"fps must be a number in (0, {MAX_FPS:g}], got {fps:g}")
    return fps


@dataclass(frozen=True)
class FaceAnimation:
    """Blendshape weight curves sampled at a fixed frame rate.

    Frame ``t`` covers ``[t / fps, (t + 1) / fps)`` seconds.

    Attributes:
        fps: frames per second, finite and > 0.
        weights: (T, C) float32 weights in [0, 1], one column per channel.
        channel_names: C channel names; ARKit-52 in Apple's order by default.
        phonemes: the phoneme segments the animation was posed from (may be empty).
        audio_path: the speech file the animation belongs to, if any (it starts at time 0).
        flame_expression: (T, n_exp) float32 FLAME expression coefficients, when the animation was
            mapped to a user's FLAME model (:meth:`facemotion.face_models.arkit_to_flame.ARKitToFLAME.apply`).
        flame_jaw_pose: (T, 3) float32 FLAME jaw pose, axis-angle in radians; given with ``flame_expression``.
        language: ISO 639-1 code of the speech (``"en"`` for an English transcript, Whisper's detected language
            without one), or None when unknown.
        head_rotation: (T, 3) float32 head rotation in degrees, columns (pitch, yaw, roll), or None for a head
            that does not turn. Right-handed rotations about the head's +X, +Y, +Z axes in the rig frame of the
            default head (+X the character's left, +Y up, +Z out of the face towards the viewer): positive pitch
            nods the chin down, positive yaw turns the face to the character's left, positive roll tilts the head
            towards the character's right shoulder. The rotation matrix is ``R = Ry(yaw) @ Rx(pitch) @ Rz(roll)``
            (roll first, then pitch, then yaw, in the fixed rig frame; scipy's
            ``Rotation.from_euler("YXZ", [yaw, pitch, roll], degrees=True)``), applied about the neck pivot of
            :func:`facemotion.exporters.head_pose.neck_pivot` (on the default head (0, -0.109, -0.010) m,
            mid-neck below the chin). Zero is the rest pose of the mesh.
        eye_rotation: (T, 2, 2) float32 eye rotations in degrees, ``eye_rotation[t, e] = (pitch, yaw)`` of eye
            ``e`` (0 the character's left eye, 1 the right eye), same axes and signs as the head (positive pitch
            looks down, positive yaw looks to the character's left), ``R = Ry(yaw) @ Rx(pitch)`` about the
            eyeball's centre (:class:`facemotion.exporters.head_pose.HeadJoints`), in the head's frame (the eyes
            turn with the head); or None for eyes that do not turn.

    Raises:
        ValueError: for fps <= 0, weights that are not (T, C) finite values in [0, 1], a channel count
            that differs from ``len(channel_names)``, FLAME parameters that are not both given as
            finite float32 arrays of T rows, or rotations that are not finite float32 arrays of shape (T, 3)
            (head) or (T, 2, 2) (eyes).
    """

    fps: float
    weights: np.ndarray
    channel_names: tuple[str, ...] = ARKIT_52
    phonemes: tuple[PhonemeSegment, ...] = field(default=())
    audio_path: Path | None = None
    flame_expression: np.ndarray | None = None
    flame_jaw_pose: np.ndarray | None = None
    language: str | None = None
    head_rotation: np.ndarray | None = None
    eye_rotation: np.ndarray | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"fps must be a finite number > 0, got {self.fps}")
        w = self.weights
        if not isinstance(w, np.ndarray) or w.ndim != 2 or w.dtype != np.float32:
            raise ValueError("weights must be a (T, C) float32 numpy array")
        if w.shape[1] != len(self.channel_names):
            raise ValueError(f"weights have {w.shape[1]} channels but {len(self.channel_names)} names")
        if len(set(self.channel_names)) != len(self.channel_names):
            raise ValueError("channel names must be unique")
        if not np.isfinite(w).all():
            raise ValueError("weights contain NaN or Inf")
        if w.size and (w.min() < 0.0 or w.max() > 1.0):
            raise ValueError(f"weights must lie in [0, 1], got [{w.min():.4g}, {w.max():.4g}]")
        self._check_flame()
        self._check_rotation("head_rotation", self.head_rotation, (3,))
        self._check_rotation("eye_rotation", self.eye_rotation, (2, 2))

    def _check_rotation(self, name: str, angles: np.ndarray | None, shape: tuple[int, ...]) -> None:
        """Check a rotation track: None, or a finite float32 array of shape (T, *shape) in degrees."""
        if angles is None:
            return
        expected = (self.n_frames, *shape)
        if not isinstance(angles, np.ndarray) or angles.dtype != np.float32 or angles.shape != expected:
            got = f"{angles.dtype} {angles.shape}" if isinstance(angles, np.ndarray) else type(angles).__name__
            raise ValueError(f"{name} must be a float32 numpy array of shape {expected} (degrees), got {got}")
        if not np.isfinite(angles).all():
            raise ValueError(f"{name} contains NaN or Inf")

    def _check_flame(self) -> None:
        expression, jaw = self.flame_expression, self.flame_jaw_pose
        if expression is None and jaw is None:
            return
        if expression is None or jaw is None:
            raise ValueError("flame_expression and flame_jaw_pose go together")
        if any(not isinstance(a, np.ndarray) or a.dtype != np.float32 or a.ndim != 2 for a in (expression, jaw)):
            raise ValueError("FLAME parameters must be 2-D float32 numpy arrays")
        if len(expression) != self.n_frames or jaw.shape != (self.n_frames, 3):
            raise ValueError(f"FLAME parameters need {self.n_frames} rows and a (T, 3) jaw pose, "
                             f"got {expression.shape} and {jaw.shape}")
        if not (np.isfinite(expression).all() and np.isfinite(jaw).all()):
            raise ValueError("FLAME parameters contain NaN or Inf")

    @property
    def n_frames(self) -> int:
        """Number of frames T."""
        return len(self.weights)

    @property
    def words(self) -> tuple[tuple[str, float, float], ...]:
        """``(word, start, end)`` of each aligned word in time order, seconds: consecutive phonemes of the same word
        (two identical words with no pause between them read as one)."""
        words: list[tuple[str, float, float]] = []
        previous = None
        for phoneme in self.phonemes:
            if phoneme.word is not None and previous is not None and phoneme.word == previous.word:
                words[-1] = (phoneme.word, words[-1][1], phoneme.end)
            elif phoneme.word is not None:
                words.append((phoneme.word, phoneme.start, phoneme.end))
            previous = phoneme
        return tuple(words)

    @property
    def duration(self) -> float:
        """Length in seconds, ``n_frames / fps``."""
        return self.n_frames / self.fps

    @property
    def times(self) -> np.ndarray:
        """(T,) float64 start time of each frame in seconds."""
        return np.arange(self.n_frames) / self.fps

    def channel(self, name: str) -> np.ndarray:
        """(T,) float32 curve of one channel.

        Raises:
            KeyError: when the animation has no channel of that name.
        """
        try:
            return self.weights[:, self.channel_names.index(name)]
        except ValueError:
            raise KeyError(f"no channel {name!r} in this animation") from None

    def _repr_mimebundle_(self, include=None, exclude=None) -> tuple[dict, dict]:
        """IPython's rich display: in a Jupyter kernel with anywidget (the ``notebooks`` extra), the take in the
        notebook viewer (:class:`facemotion.viewer.widget.Viewer`) on the default head, with its speech when
        ``audio_path`` exists; elsewhere (a terminal IPython, no anywidget) ``text/plain`` alone, which says what
        the take holds.

        Returns:
            (data, metadata) of the display.
        """
        audio = f", speech {Path(self.audio_path).name}" if self.audio_path else ""
        summary = (f"FaceAnimation: {self.n_frames} frames at {self.fps:g} fps ({self.duration:.2f} s), "
                   f"{len(self.channel_names)} channels, {len(self.phonemes)} phonemes{audio}")
        if "ipykernel" not in sys.modules or importlib.util.find_spec("anywidget") is None:
            return {"text/plain": summary}, {}
        from facemotion.viewer.widget import Viewer

        data, metadata = Viewer(self)._repr_mimebundle_(include=include, exclude=exclude)
        return {**data, "text/plain": summary}, metadata

    def to_flame(self, mapping: "ARKitToFLAME") -> "FaceAnimation":
        """This animation with FLAME expression and jaw pose sequences, through a fitted ARKit-to-FLAME map.

        Args:
            mapping: the linear map fitted to the user's FLAME
                (:func:`facemotion.face_models.arkit_to_flame.fit_arkit_to_flame`).

        Returns:
            A copy with ``flame_expression`` (T, n_exp) and ``flame_jaw_pose`` (T, 3) float32 set; ARKit channels
            the animation lacks count as 0.

        Raises:
            ValueError: when a channel is not an ARKit-52 name.
        """
        unknown = [name for name in self.channel_names if name not in ARKIT_INDEX]
        if unknown:
            raise ValueError(f"only ARKit-52 channels map to FLAME, got {unknown}")
        weights = np.zeros((self.n_frames, len(ARKIT_52)), np.float32)
        weights[:, [ARKIT_INDEX[name] for name in self.channel_names]] = self.weights
        expression, jaw_pose = mapping.apply(weights)
        return replace(self, flame_expression=expression, flame_jaw_pose=jaw_pose)

    def select_frames(self, frames: slice | np.ndarray) -> "FaceAnimation":
        """The animation at some of its frames: a crop with a slice, a pick with an array of frame indices.

        Every per-frame array (weights, FLAME parameters, head and eye rotations) keeps the same rows; fps,
        channels, phonemes, audio and language are kept as they are (the phoneme times still count from the
        original frame 0).

        Raises:
            IndexError: for indices outside [-T, T).
        """
        def rows(track: np.ndarray | None) -> np.ndarray | None:
            return None if track is None else np.ascontiguousarray(track[frames])

        return replace(
            self,
            weights=rows(self.weights),
            flame_expression=rows(self.flame_expression),
            flame_jaw_pose=rows(self.flame_jaw_pose),
            head_rotation=rows(self.head_rotation),
            eye_rotation=rows(self.eye_rotation),
        )

    def resample(self, fps: float) -> "FaceAnimation":
        """The same motion at another frame rate, by linear interpolation of every channel (and FLAME parameter).

        The new animation has ``ceil(n_frames * fps / self.fps)`` frames (the same duration, rounded up
        to whole frames); frame ``t`` takes the curves' value at ``t / fps`` seconds, interpolated
        linearly between the two nearest source frames and held at the last one past the end. Linear
        interpolation keeps every weight inside [0, 1] and adds no overshoot; fast closures shorter than
        a target frame can be softened when going down in rate. Head and eye rotations are interpolated
        the same way, angle by angle in degrees (no wrap at +-180: head and eye angles stay far inside it).

        Raises:
            ValueError: for fps outside (0, :data:`MAX_FPS`].
            TypeError: for fps that is not a number.
        """
        fps = check_fps(fps)
        if self.n_frames == 0:
            return replace(self, fps=fps)
        n_frames = math.ceil(self.n_frames * fps / self.fps - 1e-9)
        source = np.arange(n_frames) / fps * self.fps
        frames = np.arange(self.n_frames)

        def interpolate(track: np.ndarray | None) -> np.ndarray | None:
            if track is None:
                return None
            columns = track.reshape(len(track), -1).T
            values = np.stack([np.interp(source, frames, column) for column in columns], axis=1)
            return values.reshape(n_frames, *track.shape[1:]).astype(np.float32)

        return replace(
            self,
            fps=fps,
            weights=interpolate(self.weights),
            flame_expression=interpolate(self.flame_expression),
            flame_jaw_pose=interpolate(self.flame_jaw_pose),
            head_rotation=interpolate(self.head_rotation),
            eye_rotation=interpolate(self.eye_rotation),
        )
