"""Training data: takes with their key motions, cut into random windows, with emotion laid over ARKit speech."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from facemotion.audio.vad import speech_spans
from facemotion.data.clip import MotionClip
from facemotion.expression.emotion import EMOTIONS, compose_emotion
from facemotion.motion.keymotion import KeyMotions, key_motions
from facemotion.motion.transformer import KeyMotionTokens
from facemotion.text.recognition import phones_in_spans
from facemotion.text.visemes import VisemeTable, load_viseme_table
from facemotion.timing import frame_samples

MIN_INTENSITY = 0.2
"""Lowest intensity drawn for an emotion laid over neutral speech."""


@dataclass(frozen=True)
class TrainingTake:
    """A clip cropped so that audio and motion end together, with its key motions and speaking-style id.

    Attributes:
        clip: the clip, :meth:`~facemotion.data.clip.MotionClip.cropped` (audio and motion end together).
        keys: key motions from the phones recognised in its audio, or None.
        style: speaking-style id (index of its subject).
    """

    clip: MotionClip
    keys: KeyMotions | None
    style: int


def prepare_takes(
    clips: Sequence[MotionClip], styles: Sequence[str], recognize: bool = True, visemes: VisemeTable | None = None
) -> list[TrainingTake]:
    """Crop each clip to its audio/motion overlap and recognise its phones for key motions.

    Args:
        clips: the dataset's clips.
        styles: subject names; a clip's style id is the index of its subject (unknown subjects get 0).
        recognize: recognise phones (English ARPAbet recogniser, any language) for key-motion tokens.
        visemes: the table that poses the key motions; None for the shipped ``assets/visemes.yaml``.

    Raises:
        ValueError: when a clip has no frame of overlapping audio.
    """
    table = load_viseme_table() if visemes is None else visemes
    takes = []
    for clip in clips:
        cropped = clip.cropped()
        audio = cropped.audio
        keys = key_motions(phones_in_spans(audio, speech_spans(audio)), table) if recognize else None
        style = styles.index(clip.subject) if clip.subject in styles else 0
        takes.append(TrainingTake(cropped, keys, style))
    return takes


class MotionWindows(torch.utils.data.Dataset):
    """Random windows of takes, drawn afresh at every access (seeded through torch's global generator).

    An item is a dict: ``waveform`` (S_w,) float32, ``motion`` (T_w, D) float32 target, ``speech`` (T_w, D)
    the take's own motion before any emotion is laid over it, ``mask`` (D,) bool valid channels, ``emotion``
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

    Raises:
        ValueError: for no takes, mixed fps, or a take shorter than a window.
    """

    def __init__(
        self,
        takes: Sequence[TrainingTake],
        window_frames: int,
        samples_per_epoch: int,
        emotion_augment: bool = True,
        key_dropout: float = 0.3,
    ):
        if not takes or len({t.clip.fps for t in takes}) != 1:
            raise ValueError("MotionWindows needs takes, all at one fps")
        short = [t.clip.name for t in takes if t.clip.n_frames < window_frames]
        if short:
            raise ValueError(f"takes shorter than a window of {window_frames} frames: {short}")
        self.takes = list(takes)
        self.window_frames = window_frames
        self.samples_per_epoch = samples_per_epoch
        self.emotion_augment = emotion_augment
        self.key_dropout = key_dropout
        lengths = np.array([t.clip.n_frames - window_frames + 1 for t in takes], np.float64)
        self.take_probabilities = lengths / lengths.sum()

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
            "waveform": clip.audio[frame_samples(start, end, fps)],
            "motion": motion,
            "speech": speech,
            "mask": mask,
            "emotion": emotion,
            "intensity": intensity,
            "style": take.style,
            "keys": take.keys.window(start / fps, end / fps) if use_keys else None,
        }


def collate_windows(items: Sequence[dict]) -> dict:
    """Batch :class:`MotionWindows` items: tensors stacked (waveforms cut to the shortest), keys as tokens."""
    n_samples = min(len(item["waveform"]) for item in items)
    batch = {
        "waveform": torch.from_numpy(np.stack([item["waveform"][:n_samples] for item in items])),
        "emotion": torch.tensor([item["emotion"] for item in items]),
        "intensity": torch.tensor([item["intensity"] for item in items], dtype=torch.float32),
        "style": torch.tensor([item["style"] for item in items]),
    }
    for name in ("motion", "speech", "mask"):
        batch[name] = torch.from_numpy(np.stack([item[name] for item in items]))
    keys = [item["keys"] for item in items]
    batch["tokens"] = None if all(k is None for k in keys) else KeyMotionTokens.from_keys(keys)
    return batch
