"""Training data: takes with their speech features and key motions, cut into random windows, with emotion laid over
ARKit speech."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from facemotion.audio.vad import speech_spans
from facemotion.data.clip import MotionClip
from facemotion.expression.emotion import EMOTIONS, compose_emotion
from facemotion.motion.keymotion import KeyMotions, key_motions
from facemotion.motion.transformer import KeyMotionTokens
from facemotion.text.phonemes import PhonemeSegment
from facemotion.text.recognition import PHONETIC, recognize_speech
from facemotion.text.visemes import VisemeTable, load_viseme_table
from facemotion.timing import frame_features

MIN_INTENSITY = 0.2
"""Lowest intensity drawn for an emotion laid over neutral speech."""


@dataclass(frozen=True)
class TrainingTake:
    """A clip cropped so that audio and motion end together, with its speech features, key motions and style.

    Attributes:
        clip: the clip, :meth:`~facemotion.data.clip.MotionClip.cropped` (audio and motion end together).
        features: (T_a, C) float32 speech features of the whole take at ``feature_rate``
            (:func:`~facemotion.motion.windows.take_features` of the model's encoder).
        feature_rate: features per second.
        keys: key motions from the take's phonemes (recognised, or known), or None.
        style: speaking-style id (index of its subject).
    """

    clip: MotionClip
    features: np.ndarray
    feature_rate: float
    keys: KeyMotions | None
    style: int


def prepare_takes(
    clips: Sequence[MotionClip],
    styles: Sequence[str],
    encode: Callable[[np.ndarray], np.ndarray],
    feature_rate: float,
    phonemes: Sequence[Sequence[PhonemeSegment] | None],
    visemes: VisemeTable | None = None,
) -> list[TrainingTake]:
    """Crop each clip to its audio/motion overlap, encode its speech and pose the key motions of its phonemes.

    Args:
        clips: the dataset's clips.
        styles: subject names; a clip's style id is the index of its subject (unknown subjects get 0).
        encode: (S,) float32 16 kHz speech -> (T_a, C) float32 features at ``feature_rate`` (the model's encoder
            over the whole take, :func:`~facemotion.motion.windows.take_features`, perhaps cached).
        feature_rate: features per second.
        phonemes: per clip, its phonemes (recognised or known, seconds from its start), or None for no key motions.
        visemes: the table that poses the key motions; None for the shipped ``assets/visemes.yaml``.

    Raises:
        ValueError: when a clip has no frame of overlapping audio, or ``phonemes`` is not one per clip.
    """
    if len(phonemes) != len(clips):
        raise ValueError(f"{len(clips)} clips but {len(phonemes)} phoneme sequences")
    table = load_viseme_table() if visemes is None else visemes
    takes = []
    for clip, clip_phonemes in zip(clips, phonemes):
        cropped = clip.cropped()
        keys = None if clip_phonemes is None else key_motions(clip_phonemes, table)
        style = styles.index(clip.subject) if clip.subject in styles else 0
        takes.append(TrainingTake(cropped, encode(cropped.audio), feature_rate, keys, style))
    return takes


def recognized_phonemes(audio: np.ndarray, recognizer: str = PHONETIC,
                        language: str | None = None) -> list[PhonemeSegment]:
    """Phones of (S,) float32 16 kHz speech as inference recognises them without a transcript
    (:func:`~facemotion.text.recognition.recognize_speech` in its voice activity): by default pocketsphinx's English
    phones (ARPAbet, any language); with a Whisper ``recognizer``, its transcript in ``language`` (None: detected)
    aligned. Raises ValueError for an unknown recogniser or language."""
    return list(recognize_speech(audio, speech_spans(audio), recognizer, language).phonemes)


class MotionWindows(torch.utils.data.Dataset):
    """Random windows of takes, drawn afresh at every access (seeded through torch's global generator).

    An item is a dict: ``features`` (T_a_w, C) float32 speech features of the window
    (:func:`~facemotion.timing.frame_features`: the first within half a feature frame of its start), ``motion``
    (T_w, D) float32 target, ``speech`` (T_w, D) the take's own motion before any emotion is laid over it, ``mask`` (D,) bool valid channels, ``emotion``
    (index into EMOTIONS), ``intensity``, ``style`` and ``keys`` (KeyMotions re-timed to the window, or None).

    Args:
        takes: the takes, all of one representation and fps.
        window_frames: T_w, frames per window (takes shorter than that are used whole... and must be >= it).
        samples_per_epoch: windows in one epoch.
        emotion_augment: on ARKit takes, lay a random emotion (half of the time) at a random intensity
            in [MIN_INTENSITY, 1] over the speech (:func:`~facemotion.expression.emotion.compose_emotion`).
            The channels such a take did not capture (``channel_mask`` False: e.g. brows and eyes of a
            mouth-only capture) are then supervised too, as at rest (0) under the emotion's recipe: the model
            learns a still upper face for neutral speech and the recipe for an emotion.
        key_dropout: probability of giving a window no key motions (the model must work without a transcript).
        weights: per take, how much more often its windows are drawn than its length alone says (a window starts
            at a frame of take i with probability proportional to ``weights[i]``); None: all 1.

    Raises:
        ValueError: for no takes, mixed fps, a take shorter than a window, or weights not one per take and > 0.
    """

    def __init__(
        self,
        takes: Sequence[TrainingTake],
        window_frames: int,
        samples_per_epoch: int,
        emotion_augment: bool = True,
        key_dropout: float = 0.3,
        weights: Sequence[float] | None = None,
    ):
        if not takes or len({t.clip.fps for t in takes}) != 1:
            raise ValueError("MotionWindows needs takes, all at one fps")
        short = [t.clip.name for t in takes if t.clip.n_frames < window_frames]
        if short:
            raise ValueError(f"takes shorter than a window of {window_frames} frames: {short}")
        weights = np.ones(len(takes)) if weights is None else np.asarray(weights, np.float64)
        if weights.shape != (len(takes),) or not np.all(weights > 0):
            raise ValueError("MotionWindows needs one weight > 0 per take")
        self.takes = list(takes)
        self.window_frames = window_frames
        self.samples_per_epoch = samples_per_epoch
        self.emotion_augment = emotion_augment
        self.key_dropout = key_dropout
        lengths = np.array([t.clip.n_frames - window_frames + 1 for t in takes], np.float64)
        self.take_probabilities = lengths * weights / (lengths * weights).sum()

    def __len__(self) -> int:
        return self.samples_per_epoch

    def __getitem__(self, index: int) -> dict:
        rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, ())))
        take = self.takes[rng.choice(len(self.takes), p=self.take_probabilities)]
        clip, fps = take.clip, take.clip.fps
        start = int(rng.integers(0, clip.n_frames - self.window_frames + 1))
        end = start + self.window_frames
        speech = clip.motion[start:end]
        emotion, intensity = EMOTIONS.index(clip.emotion), clip.intensity
        motion = speech
        augmented = self.emotion_augment and clip.representation == "arkit"
        if augmented and clip.emotion == "neutral" and rng.random() < 0.5:
            emotion = int(rng.integers(1, len(EMOTIONS)))
            intensity = float(rng.uniform(MIN_INTENSITY, 1.0))
            motion = compose_emotion(speech, EMOTIONS[emotion], intensity)
        use_keys = take.keys is not None and rng.random() >= self.key_dropout
        mask = np.ones(clip.motion.shape[1], bool) if clip.channel_mask is None or augmented else clip.channel_mask
        return {
            "features": take.features[frame_features(start, end, fps, take.feature_rate, len(take.features))],
            "motion": motion,
            "speech": speech,
            "mask": mask,
            "emotion": emotion,
            "intensity": intensity,
            "style": take.style,
            "keys": take.keys.window(start / fps, end / fps) if use_keys else None,
        }


def collate_windows(items: Sequence[dict]) -> dict:
    """Batch :class:`MotionWindows` items: tensors stacked (features cut to the shortest), keys as tokens."""
    n_features = min(len(item["features"]) for item in items)
    batch = {
        "features": torch.from_numpy(np.stack([item["features"][:n_features] for item in items])),
        "emotion": torch.tensor([item["emotion"] for item in items]),
        "intensity": torch.tensor([item["intensity"] for item in items], dtype=torch.float32),
        "style": torch.tensor([item["style"] for item in items]),
    }
    for name in ("motion", "speech", "mask"):
        batch[name] = torch.from_numpy(np.stack([item[name] for item in items]))
    keys = [item["keys"] for item in items]
    batch["tokens"] = None if all(k is None for k in keys) else KeyMotionTokens.from_keys(keys)
    return batch


def teaching_weights(
    takes: Sequence[TrainingTake], n_teaching: int, fraction: float, window: int
) -> list[float] | None:
    """Per-take weights for :class:`MotionWindows` of ``window`` frames that draw
    ``fraction`` of the windows from the first ``n_teaching`` takes and the rest from the others, each group's
    windows spread over its takes by their number of window starts; None without teaching takes."""
    if not n_teaching:
        return None
    starts = np.array([take.clip.n_frames - window + 1 for take in takes], np.float64)
    taught, others = starts[:n_teaching].sum(), starts[n_teaching:].sum()
    return [fraction / taught] * n_teaching + [(1.0 - fraction) / others] * (len(takes) - n_teaching)
