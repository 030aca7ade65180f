"""In-sync vs shifted accuracy: its checks, and the shipped expert on the held-out FACEGOOD take."""

import pytest
import torch

from facemotion.data.clip import MotionClip
from facemotion.data.facegood import load_facegood
from facemotion.lipreading.evaluation import shifted_sync_accuracy
from facemotion.lipreading.expert import SyncExpert, SyncExpertConfig, default_sync_expert
from facemotion.lipreading.mouth_crops import MouthCropRenderer
from facemotion.lipreading.sync_data import SyncTake, render_take


def test_clips_must_fit_and_rates_agree():
    expert = SyncExpert(
        SyncExpertConfig(
            image_size=16, stem_channels=2, trunk_channels=(2, 2, 2), n_mels=8, hidden_dim=4, embedding_dim=4
        )
    ).eval()
    take = SyncTake("short", torch.zeros(20, 16, 16, dtype=torch.uint8), torch.zeros(20 * 534), 30.0)
    assert shifted_sync_accuracy(expert, take, clip_frames=8, shift_frames=6).n_clips == 1
    with pytest.raises(ValueError, match="hold no clip"):
        shifted_sync_accuracy(expert, take, clip_frames=9, shift_frames=6)
    with pytest.raises(ValueError, match="25.0 fps"):
        shifted_sync_accuracy(expert, SyncTake("pal", take.crops, take.audio, 25.0), clip_frames=4)


def test_the_shipped_expert_separates_held_out_clips_from_200_ms_shifts(shared_facegood):
    clip = load_facegood(shared_facegood, "1114_3_15")  # never trained on
    n = 480
    clip = MotionClip(**{**vars(clip), "motion": clip.motion[:n], "audio": clip.audio[: n * 16000 // 30 + 1]})
    take = render_take(clip, MouthCropRenderer())
    accuracy = shifted_sync_accuracy(default_sync_expert(), take, clip_frames=15, shift_frames=6)
    assert accuracy.n_clips == 31  # clips start at 6, 21, ..., 456
    assert accuracy.pairwise > 0.8 and accuracy.balanced > 0.7, accuracy
