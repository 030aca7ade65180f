"""MotionClip: one recorded utterance, its speech and its face motion, as every dataset loader returns it."""

import math
from dataclasses import dataclass, replace

import numpy as np

from facemotion.expression.emotion import emotion_intensity
from facemotion.face_models.names import ARKIT_52
from facemotion.timing import frame_sample, frames_within

REPRESENTATIONS: tuple[str, ...] = ("arkit", "flame", "vertices")
"""How ``MotionClip.motion`` is parameterised: ARKit-52 weights, FLAME expression + jaw pose, or vertex offsets."""


@dataclass(frozen=True)
class MotionClip:
    """A speech recording with the face motion captured on it.

    Audio and motion both start at time 0; frame ``t`` covers ``[t / fps, (t + 1) / fps)`` seconds. Their
    lengths are kept as in the files (loaders refuse a disagreement over 1 s); callers crop to the shorter.

    Attributes:
        name: the sequence name of its dataset, e.g. ``"1114_2_01"``, ``"FaceTalk_170725_00137_TA_sentence01"``,
            ``"F2_e01"``.
        audio: (S,) float32 mono waveform at 16 kHz (:data:`facemotion.audio.io.SAMPLE_RATE`).
        fps: motion frame rate in frames per second, finite and > 0.
        motion: (T, D) float32, by ``representation``: ``"arkit"``: D = 52 weights in [0, 1] in Apple's order
            (:data:`~facemotion.face_models.names.ARKIT_52`); ``"flame"``: D = n_expression + 3, the FLAME
            expression coefficients then the jaw pose (axis-angle, radians); ``"vertices"``: D = V * 3 offsets
            from ``template`` (vertex-major, x y z), in the dataset's units (metres for VOCASET).
        representation: one of :data:`REPRESENTATIONS`.
        subject: speaker id of the dataset ("" when unknown).
        emotion: one of :data:`~facemotion.expression.emotion.EMOTIONS`.
        intensity: emotion intensity in [0, 1]; MEAD levels 1, 2, 3 map to 1/3, 2/3, 1; always 0 for neutral.
        template: (V, 3) float32 neutral vertices of the subject; required for, and only for, ``"vertices"``.
        channel_mask: (D,) bool, True on the channels whose ground truth is valid; ``None`` means all are.

    Raises:
        ValueError: for any field outside the contract above (wrong dtype or shape, NaN or Inf, unknown
            representation or emotion, intensity outside [0, 1] or non-zero for neutral, ARKit weights outside
            [0, 1], a template missing, misplaced or of the wrong vertex count).
    """

    name: str
    audio: np.ndarray
    fps: float
    motion: np.ndarray
    representation: str
    subject: str = ""
    emotion: str = "neutral"
    intensity: float = 0.0
    template: np.ndarray | None = None
    channel_mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a MotionClip needs a name")
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"{self.name}: fps must be a finite number > 0, got {self.fps}")
        _check_float32(self.audio, 1, f"{self.name}: audio", "(S,)")
        _check_float32(self.motion, 2, f"{self.name}: motion", "(T, D)")
        if self.representation not in REPRESENTATIONS:
            raise ValueError(
                f"{self.name}: representation must be one of {REPRESENTATIONS}, got {self.representation!r}"
            )
        self._check_motion()
        self._check_emotion()
        if self.channel_mask is not None:
            mask = self.channel_mask
            if not isinstance(mask, np.ndarray) or mask.dtype != bool or mask.shape != (self.motion.shape[1],):
                raise ValueError(f"{self.name}: channel_mask must be a ({self.motion.shape[1]},) bool array")

    def _check_motion(self) -> None:
        dims = self.motion.shape[1]
        if self.representation == "arkit":
            if dims != len(ARKIT_52):
                raise ValueError(f"{self.name}: ARKit motion has 52 channels, got {dims}")
            if self.motion.size and (self.motion.min() < 0.0 or self.motion.max() > 1.0):
                raise ValueError(
                    f"{self.name}: ARKit weights must lie in [0, 1], "
                    f"got [{self.motion.min():.4g}, {self.motion.max():.4g}]"
                )
        elif self.representation == "flame" and dims < 4:
            raise ValueError(f"{self.name}: FLAME motion is n_expression + 3 >= 4 channels, got {dims}")
        if self.representation != "vertices":
            if self.template is not None:
                raise ValueError(f"{self.name}: a template belongs to vertices motion only")
            return
        if self.template is None:
            raise ValueError(f"{self.name}: vertices motion needs the template it is offset from")
        _check_float32(self.template, 2, f"{self.name}: template", "(V, 3)")
        if self.template.shape[1] != 3 or self.template.size != dims:
            raise ValueError(f"{self.name}: template {self.template.shape} does not match {dims} motion channels")

    def _check_emotion(self) -> None:
        try:
            emotion_intensity(self.emotion, self.intensity)
        except (TypeError, ValueError) as error:
            raise type(error)(f"{self.name}: {error}") from None

    @property
    def n_frames(self) -> int:
        """Number of motion frames T."""
        return len(self.motion)

    @property
    def duration(self) -> float:
        """Length of the motion in seconds, ``n_frames / fps``."""
        return self.n_frames / self.fps

    def cropped(self, n_frames: int | None = None) -> "MotionClip":
        """The clip cut so that motion and audio end together.

        Args:
            n_frames: frames to keep; None keeps every frame whose speech is complete,
                ``min(T, frames_within(S, fps))`` (:func:`~facemotion.timing.frames_within`).

        Returns:
            A clip of ``n_frames`` frames and their ``frame_sample(n_frames, fps)`` samples of audio.

        Raises:
            ValueError: when no frame is left, or ``n_frames`` exceeds the frames whose speech is complete.
        """
        complete = min(self.n_frames, frames_within(len(self.audio), self.fps))
        n_frames = complete if n_frames is None else n_frames
        if not 1 <= n_frames <= complete:
            raise ValueError(f"{self.name}: cannot crop to {n_frames} frames: {complete} have motion and speech")
        return replace(self, motion=self.motion[:n_frames], audio=self.audio[: frame_sample(n_frames, self.fps)])


def _check_float32(array: object, ndim: int, what: str, shape: str) -> None:
    if not isinstance(array, np.ndarray) or array.dtype != np.float32 or array.ndim != ndim:
        raise ValueError(f"{what} must be a {shape} float32 numpy array")
    if not np.isfinite(array).all():
        raise ValueError(f"{what} contains NaN or Inf")
