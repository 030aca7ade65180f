"""Takes for the sync expert: rendering, audio windows in frames, random windows."""

import numpy as np
import pytest
import torch

from facemotion.data.clip import MotionClip
from facemotion.lipreading.mouth_crops import MouthCropRenderer
from facemotion.lipreading.sync_data import SyncTake, audio_window, render_take, sample_windows


def ramp_take(name: str = "ramp", n_frames: int = 100, fps: float = 30.0) -> SyncTake:
    """A take whose crops hold their frame index and whose audio holds its sample index."""
    crops = torch.arange(n_frames, dtype=torch.uint8)[:, None, None].expand(n_frames, 4, 4).clone()
    audio = torch.arange(round(n_frames / fps * 16000) + 1, dtype=torch.float32)
    return SyncTake(name, crops, audio, fps)


def test_audio_windows_start_at_their_frame_with_one_length():
    take = ramp_take()
    lengths = {len(audio_window(take, start, 7)) for start in range(90)}
    assert lengths == {round(7 / 30 * 16000)}
    assert audio_window(take, 10, 7)[0] == round(10 / 30 * 16000)
    assert len(audio_window(take, 93, 7)) == 3733  # the last window of the take fits
    with pytest.raises(ValueError, match="leave its audio"):
        audio_window(take, 94, 7)
    with pytest.raises(ValueError, match="leave its audio"):
        audio_window(take, -1, 7)


def test_random_windows_come_in_shifted_pairs_with_their_audio():
    takes = [ramp_take("a"), ramp_take("short", n_frames=29)]
    batch = sample_windows(takes, pairs=8, n_frames=10, max_shift=10, generator=np.random.default_rng(0))
    assert batch.crops.shape == (16, 10, 4, 4) and batch.crops.max() <= 1 and batch.audio.shape == (16, 5333)
    assert (batch.take == 0).all()  # the short take holds no pair of 10 frames shifted by up to 10
    shifts = batch.start[1::2] - batch.start[0::2]
    assert shifts.abs().max() <= 10 and len(set(shifts.tolist())) > 3
    for b in range(16):
        start = int(batch.start[b])
        assert 0 <= start <= 100 - 10
        assert torch.allclose(batch.crops[b, :, 0, 0] * 255, torch.arange(start, start + 10).float())
        assert batch.audio[b, 0] == round(start / 30 * 16000)
    with pytest.raises(ValueError, match="no take"):
        sample_windows(takes, 2, n_frames=81, max_shift=10, generator=np.random.default_rng(0))


def test_render_take_keeps_the_frames_its_audio_holds():
    motion = np.zeros((6, 52), np.float32)
    motion[:, 17] = np.linspace(0, 1, 6)  # jawOpen
    clip = MotionClip("opening", np.zeros(2700, np.float32), 30.0, motion, "arkit")  # 5.06 frames of audio
    take = render_take(clip, MouthCropRenderer(image_size=32), chunk=2)
    assert take.crops.shape == (5, 32, 32) and take.crops.dtype == torch.uint8
    assert take.n_frames == 5 and len(audio_window(take, 0, 5)) <= len(take.audio)
    assert (take.crops[4].float() - take.crops[0].float()).abs().mean() > 5  # the jaw opened
    with pytest.raises(ValueError, match="ARKit"):
        render_take(
            MotionClip(
                "v",
                np.zeros(2700, np.float32),
                30.0,
                np.zeros((6, 9), np.float32),
                "vertices",
                template=np.zeros((3, 3), np.float32),
            ),
            MouthCropRenderer(image_size=32),
        )
