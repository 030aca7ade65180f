"""English teaching data: speech whose phonemes are known exactly, with the transcript path's curves as targets.

The FACEGOOD captures are one speaker's Mandarin: English bilabials, rounding and the opening of English vowels
have to be learned from elsewhere. The tuning split of the English evaluation set
(:mod:`facemotion.data.english_eval`: eSpeak NG voices with eSpeak's own phoneme events, LJ Speech and CMU ARCTIC
clips force-aligned to their true transcripts) gives speech with exact phonemes; its targets are what the
procedural transcript path makes of those phonemes (key motions, coarticulation, lip closure on /p b m/, the
calibrated opening), neutral and without the performance layer. The clips of one speaker are joined into one take,
so that training windows of several seconds fit. The held-out split is never read here.
"""

import itertools
from dataclasses import replace

import numpy as np

from facemotion.audio.features import loudness_db
from facemotion.audio.io import audio_info, load_audio
from facemotion.audio.vad import speech_spans
from facemotion.data.clip import MotionClip
from facemotion.data.english_eval import ReferenceClip, load_reference_clips
from facemotion.pipelines.speech_analysis import SpeechAnalysis
from facemotion.pipelines.speech_to_face import SpeechToFace
from facemotion.text.phonemes import PhonemeSegment
from facemotion.timing import SAMPLE_RATE, frame_sample, frames_within

TEACHING_SPLIT = "tuning"
"""The split of the English evaluation set that teaches; ``held-out`` stays unread."""


def teaching_takes(root: str, fps: float) -> list[tuple[MotionClip, tuple[PhonemeSegment, ...]]]:
    """One ARKit take per speaker of the set's tuning split, with its reference phonemes.

    Args:
        root: the English evaluation set's folder (``datasets/make_english_eval.py``).
        fps: the motion frame rate.

    Returns:
        (clip, phonemes) per speaker: the clip's ``subject`` is the speaker (an eSpeak NG voice or the real clips'
        source), its motion the transcript path's (T, 52) float32 curves; the phonemes are timed on the joined take.

    Raises:
        FileNotFoundError, ValueError: as :func:`~facemotion.data.english_eval.load_reference_clips`.
    """
    clips = sorted(load_reference_clips(root, TEACHING_SPLIT), key=lambda clip: (clip.speaker, clip.id))
    return [_joined(speaker, [_taught(clip, fps) for clip in group], fps)
            for speaker, group in itertools.groupby(clips, key=lambda clip: clip.speaker)]


def _taught(clip: ReferenceClip, fps: float) -> tuple[np.ndarray, np.ndarray, tuple[PhonemeSegment, ...]]:
    """A clip's audio and the transcript path's curves, both cut to its whole frames, and its phonemes."""
    waveform = load_audio(clip.audio)
    analysis = SpeechAnalysis(audio_info(clip.audio), clip.phonemes, tuple(speech_spans(waveform)),
                              loudness_db(waveform), waveform, "en")
    weights = SpeechToFace(performance=None).animate_analysis(analysis, fps).weights
    n_frames = frames_within(len(waveform), fps)
    return waveform[: frame_sample(n_frames, fps)], weights[:n_frames], clip.phonemes


def _joined(speaker: str, pieces: list, fps: float) -> tuple[MotionClip, tuple[PhonemeSegment, ...]]:
    """The pieces of one speaker end to end: one clip, its phonemes shifted to their piece's start."""
    phonemes, offset = [], 0.0
    for audio, _, piece_phonemes in pieces:
        phonemes += [replace(p, start=p.start + offset, end=p.end + offset) for p in piece_phonemes]
        offset += len(audio) / SAMPLE_RATE
    clip = MotionClip(
        name=f"english-{speaker}",
        audio=np.concatenate([audio for audio, _, _ in pieces]),
        fps=fps,
        motion=np.concatenate([motion for _, motion, _ in pieces]),
        representation="arkit",
        subject=speaker,
    )
    return clip, tuple(phonemes)
