"""LSE-D / LSE-C from the sync expert: against a naive loop, offsets found, and real curves in and out of sync."""

import numpy as np
import pytest
import torch

from facemotion.data.facegood import load_facegood
from facemotion.metrics.lipsync import lip_sync_error, lip_sync_scores, offset_distances


def test_offset_distances_equal_a_naive_loop():
    generator = torch.Generator().manual_seed(0)
    visual, audio = torch.randn(20, 4, generator=generator), torch.randn(20, 4, generator=generator)
    distances = offset_distances(visual, audio, max_offset=3)
    for k in range(-3, 4):
        naive = np.mean(
            [
                np.linalg.norm(
                    visual[t].numpy() / np.linalg.norm(visual[t].numpy())
                    - audio[t + k].numpy() / np.linalg.norm(audio[t + k].numpy())
                )
                for t in range(3, 17)
            ]
        )
        assert distances[k + 3] == pytest.approx(naive, abs=1e-6)


def test_scores_find_a_delay_and_penalise_it_at_zero_offset_only():
    generator = torch.Generator().manual_seed(1)
    audio = torch.randn(60, 8, generator=generator)
    in_sync = lip_sync_scores(audio.clone(), audio, max_offset=5)
    assert in_sync.offset == 0 and in_sync.lse_d == pytest.approx(0, abs=1e-6)
    assert in_sync.lse_c == pytest.approx(np.median(in_sync.distances)) and in_sync.distances.shape == (11,)
    lagging = torch.cat([torch.randn(3, 8, generator=generator), audio[:-3]])  # the mouth 3 frames late
    late = lip_sync_scores(lagging, audio, max_offset=5)
    assert late.offset == -3 and late.lse_d == pytest.approx(0, abs=1e-6)
    assert late.distance_at_zero > in_sync.distance_at_zero + 0.5
    assert late.confidence_at_zero < late.lse_c
    with pytest.raises(ValueError, match="T > 2"):
        lip_sync_scores(audio[:10], audio[:10], max_offset=5)
    with pytest.raises(ValueError, match="one shape"):
        offset_distances(audio, audio[:-1])


def test_held_out_curves_in_sync_beat_the_same_curves_200_ms_late(shared_facegood):
    clip = load_facegood(shared_facegood, "1114_3_15")
    weights = torch.from_numpy(clip.motion[:300])
    waveform = torch.from_numpy(clip.audio[: 300 * 16000 // 30])
    late = torch.cat([weights[:1].expand(6, -1), weights[:-6]])  # 6 frames = 200 ms
    truth, shifted = lip_sync_error(weights, waveform), lip_sync_error(late, waveform)
    assert truth.distance_at_zero < shifted.distance_at_zero
    assert truth.confidence_at_zero > shifted.confidence_at_zero
    assert abs(truth.offset) <= 1 and shifted.offset in (-7, -6, -5)
