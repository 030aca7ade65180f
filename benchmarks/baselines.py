"""Two audio-to-ARKit baselines for the motion-quality benchmark, fitted on training clips only.

- :class:`LoudnessJawBaseline`: ``jawOpen = a * loudness + b`` (loudness in dBFS per frame), least squares over
  the training frames, clipped to [0, 1]; every other channel stays 0, so it measures what loudness alone
  explains about the mouth.
- :class:`RidgeMelBaseline`: ridge regression from a window of log-mel frames (80 bins, 10 ms hop, pooled to the
  animation frame rate, +-10 frames of context) to the ARKit channels the capture holds, clipped to [0, 1];
  its regularisation is picked on the last training clip, held out, then refitted on all of them.

Both read :class:`~facemotion.data.clip.MotionClip` objects with ARKit motion whose audio covers the motion.
Usage: ``fitted = RidgeMelBaseline.fit(train_clips); weights = fitted.predict(test_clip)``.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import librosa
import numpy as np
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler

from facemotion.audio.features import LOUDNESS_HOP, loudness_db, pool_to_frames
from facemotion.audio.io import SAMPLE_RATE
from facemotion.data.clip import MotionClip
from facemotion.face_models.names import ARKIT_52, ARKIT_INDEX

N_MELS = 80
N_FFT = 400
"""25 ms analysis windows at 16 kHz."""
MEL_HOP = 160
"""10 ms hop: 100 log-mel frames per second."""
CONTEXT_FRAMES = 10
"""Animation frames of context on each side of the predicted one (+-333 ms at 30 fps)."""
LOG_FLOOR = 1e-10
"""Mel power floor before the logarithm (-100 dB)."""
RIDGE_ALPHAS = (10.0, 100.0, 1e3, 1e4, 1e5, 1e6)
"""Regularisation strengths tried on the held-out training clip."""


def _check_clips(clips: Sequence[MotionClip], at_least: int) -> None:
    if len(clips) < at_least:
        raise ValueError(f"need at least {at_least} training clips, got {len(clips)}")
    for clip in clips:
        if clip.representation != "arkit":
            raise ValueError(f"{clip.name}: the baselines fit ARKit motion, got {clip.representation!r}")


def _frame_loudness(clip: MotionClip) -> np.ndarray:
    """(T,) float64 loudness of each animation frame, dBFS."""
    return pool_to_frames(loudness_db(clip.audio), SAMPLE_RATE / LOUDNESS_HOP, clip.fps, clip.n_frames).astype(
        np.float64
    )


@dataclass(frozen=True)
class LoudnessJawBaseline:
    """``jawOpen = clip(slope * loudness_db + intercept, 0, 1)``, all other channels 0.

    Attributes:
        slope: jawOpen per dB.
        intercept: jawOpen at 0 dBFS.
    """

    slope: float
    intercept: float

    @classmethod
    def fit(cls, clips: Sequence[MotionClip]) -> "LoudnessJawBaseline":
        """Least squares of jawOpen on frame loudness over all frames of ``clips`` (ARKit motion).

        Raises:
            ValueError: for no clips or a clip whose motion is not ARKit.
        """
        _check_clips(clips, 1)
        loudness = np.concatenate([_frame_loudness(clip) for clip in clips])
        jaw = np.concatenate([clip.motion[:, ARKIT_INDEX["jawOpen"]] for clip in clips])
        design = np.stack([loudness, np.ones_like(loudness)], axis=1)
        (slope, intercept), *_ = np.linalg.lstsq(design, jaw, rcond=None)
        return cls(float(slope), float(intercept))

    def predict(self, clip: MotionClip) -> np.ndarray:
        """(T, 52) float32 ARKit weights for the clip's audio, T = ``clip.n_frames``."""
        weights = np.zeros((clip.n_frames, len(ARKIT_52)), np.float32)
        weights[:, ARKIT_INDEX["jawOpen"]] = np.clip(self.slope * _frame_loudness(clip) + self.intercept, 0.0, 1.0)
        return weights


def log_mel_context(clip: MotionClip, context: int = CONTEXT_FRAMES) -> np.ndarray:
    """Log-mel features of each animation frame with the frames around it.

    80-bin mel power (librosa, 16 kHz, 25 ms Hann windows starting every 10 ms, ``center=False``), natural log
    above :data:`LOG_FLOOR`, averaged over each animation frame (:func:`pool_to_frames`); frame ``t`` is then
    described by frames ``t - context .. t + context``, the first and last frames repeated beyond the ends.

    Returns:
        (T, (2 * context + 1) * 80) float32, T = ``clip.n_frames``.

    Raises:
        ValueError: for audio shorter than one 25 ms window.
    """
    if len(clip.audio) < N_FFT:
        raise ValueError(f"{clip.name}: audio shorter than one {N_FFT}-sample window")
    mel = librosa.feature.melspectrogram(
        y=clip.audio, sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=MEL_HOP, n_mels=N_MELS, center=False
    )
    log_mel = np.log(np.maximum(mel, LOG_FLOOR)).T
    frames = pool_to_frames(log_mel, SAMPLE_RATE / MEL_HOP, clip.fps, clip.n_frames)
    padded = np.concatenate([frames[:1].repeat(context, 0), frames, frames[-1:].repeat(context, 0)])
    return np.concatenate([padded[shift : shift + clip.n_frames] for shift in range(2 * context + 1)], axis=1)


@dataclass(frozen=True)
class RidgeMelBaseline:
    """Ridge regression from log-mel context windows to the captured ARKit channels.

    Attributes:
        scaler: standardisation of the features, fitted on the training frames.
        ridge: the regression to the channels of ``channels``.
        channels: (52,) bool, the ARKit channels predicted (the training clips' ``channel_mask``); others are 0.
        alpha: the regularisation picked on the held-out training clip.
    """

    scaler: StandardScaler
    ridge: Ridge
    channels: np.ndarray
    alpha: float

    @classmethod
    def fit(cls, clips: Sequence[MotionClip], alphas: Sequence[float] = RIDGE_ALPHAS) -> "RidgeMelBaseline":
        """Pick alpha by mean squared error on the last clip after fitting the others, then refit on all clips.

        Raises:
            ValueError: for fewer than two clips, non-ARKit motion, or clips whose channel masks differ.
        """
        _check_clips(clips, 2)
        masks = {tuple(_channels(clip)) for clip in clips}
        if len(masks) != 1:
            raise ValueError("the training clips hold different ARKit channels (channel_mask)")
        channels = np.array(masks.pop())
        features = [log_mel_context(clip) for clip in clips]
        targets = [clip.motion[:, channels] for clip in clips]
        alpha = _pick_alpha(features, targets, alphas)
        return cls(*_fit_ridge(features, targets, alpha), channels, alpha)

    def predict(self, clip: MotionClip) -> np.ndarray:
        """(T, 52) float32 ARKit weights for the clip's audio, T = ``clip.n_frames``."""
        weights = np.zeros((clip.n_frames, len(ARKIT_52)), np.float32)
        weights[:, self.channels] = self.ridge.predict(self.scaler.transform(log_mel_context(clip))).clip(0.0, 1.0)
        return weights


def _channels(clip: MotionClip) -> np.ndarray:
    return np.ones(len(ARKIT_52), bool) if clip.channel_mask is None else clip.channel_mask


def _fit_ridge(features: list[np.ndarray], targets: list[np.ndarray], alpha: float) -> tuple[StandardScaler, Ridge]:
    """A scaler and a ridge regression fitted on the frames of all the given clips."""
    x = np.concatenate(features)
    scaler = StandardScaler().fit(x)
    return scaler, Ridge(alpha=alpha).fit(scaler.transform(x), np.concatenate(targets))


def _pick_alpha(features: list[np.ndarray], targets: list[np.ndarray], alphas: Sequence[float]) -> float:
    """The alpha whose fit on all clips but the last has the least squared error (clipped) on the last."""
    errors = []
    for alpha in alphas:
        scaler, ridge = _fit_ridge(features[:-1], targets[:-1], alpha)
        prediction = ridge.predict(scaler.transform(features[-1])).clip(0.0, 1.0)
        errors.append(np.mean(np.square(prediction - targets[-1])))
    return float(alphas[int(np.argmin(errors))])
