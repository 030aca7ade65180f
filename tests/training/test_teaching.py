"""English teaching data: the transcript path's curves on speech with known phonemes, one take per speaker."""

import json
from pathlib import Path

import numpy as np
import pytest

from facemotion.audio.io import load_audio
from facemotion.data.english_eval import load_reference_clips
from facemotion.face_models.arkit import ARKitRig
from facemotion.text.alignment import align
from facemotion.timing import SAMPLE_RATE, frame_sample
from facemotion.training.data import MotionWindows, TrainingTake, teaching_weights
from facemotion.training.teaching import teaching_takes

SAMPLE = Path(__file__).resolve().parents[2] / "assets" / "samples" / "LJ001-0001"
BILABIALS = {"P", "B", "M"}


@pytest.fixture(scope="module")
def english_set(tmp_path_factory) -> Path:
    """A two-speaker tuning split and a held-out clip, all the bundled sample, its phonemes force-aligned."""
    root = tmp_path_factory.mktemp("english_eval")
    text = SAMPLE.with_suffix(".txt").read_text().strip()
    audio = SAMPLE.with_suffix(".flac")
    phonemes = [[p.phone, p.start, p.end] for p in align(load_audio(audio), text)]
    clip = {"source": "ljspeech", "voice": None, "rate": None, "pitch": None, "text": text, "audio": str(audio),
            "duration": len(load_audio(audio)) / SAMPLE_RATE, "phonemes": phonemes}
    clips = [{**clip, "id": "a", "split": "tuning", "voice": "voice-a"},
             {**clip, "id": "b", "split": "tuning", "voice": "voice-b"},
             {**clip, "id": "c", "split": "tuning", "voice": "voice-b"},
             {**clip, "id": "d", "split": "held-out", "voice": "voice-c"}]
    (root / "manifest.json").write_text(json.dumps({"format": 1, "clips": clips}))
    return root


def test_one_take_per_tuning_speaker_and_the_held_out_split_unread(english_set):
    takes = teaching_takes(english_set, 30.0)
    assert [clip.subject for clip, _ in takes] == ["voice-a", "voice-b"]
    (one, one_phonemes), (two, two_phonemes) = takes
    assert two.n_frames == 2 * one.n_frames and len(two.audio) == 2 * len(one.audio)
    assert len(one.audio) == frame_sample(one.n_frames, 30.0)  # audio and motion end together
    shift = len(one.audio) / SAMPLE_RATE
    first = len(one_phonemes)
    assert two_phonemes[first].start == pytest.approx(one_phonemes[0].start + shift)
    assert [p.phone for p in two_phonemes[first:]] == [p.phone for p in one_phonemes]


def test_the_targets_are_the_transcript_path_closing_the_lips(english_set):
    clip, phonemes = teaching_takes(english_set, 30.0)[0]
    rig = ARKitRig.default()
    gaps = rig.inner_lip_gap(rig(clip.motion))
    bilabials = [p for p in phonemes if p.phone in BILABIALS]
    assert bilabials
    for p in bilabials:
        frames = gaps[int(p.start * 30): int(np.ceil(p.end * 30))]
        assert frames.min() < 0.002, p
    assert gaps.max() > 0.008  # and the vowels open the mouth
    assert np.all(clip.motion[:, :8] == 0)  # no performance: the eyes and brows stay still (neutral)


def test_the_english_set_reader_refuses_a_missing_set_and_unknown_splits(tmp_path, english_set):
    with pytest.raises(FileNotFoundError, match="make_english_eval"):
        load_reference_clips(tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_reference_clips(english_set, "test")
    assert [c.id for c in load_reference_clips(english_set, "held-out")] == ["d"]


def test_teaching_weights_draw_the_asked_share_of_windows(english_set):
    clips = [clip for clip, _ in teaching_takes(english_set, 30.0)]
    takes = [TrainingTake(clip, np.zeros((10, 4), np.float32), 100.0, None, 0) for clip in clips]
    window = 60
    windows = MotionWindows(takes, window, 10, weights=teaching_weights(takes, 1, 0.3, window))
    assert windows.take_probabilities[0] == pytest.approx(0.3)
    assert teaching_weights(takes, 0, 0.3, window) is None
    with pytest.raises(ValueError, match="weight"):
        MotionWindows(takes, window, 10, weights=[1.0, 0.0])
