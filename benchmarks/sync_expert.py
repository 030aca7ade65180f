"""The shipped sync expert on the held-out FACEGOOD take 1114_3_15 (never trained on), and the cost of its losses.

Tables:
1. In-sync vs 200 ms-shifted accuracy (:func:`~facemotion.lipreading.evaluation.shifted_sync_accuracy`) for clips
   of 5, 15 and 30 frames: pairwise (in-sync clip scored above its shifted twin) and balanced (logit > 0 read as
   "in sync").
2. LSE-D / LSE-C (:mod:`facemotion.metrics.lipsync`) of the captured curves, and of the same curves 200 ms late
   and 200 ms early against the audio; with the best offset and the scores at offset 0.
3. Forward + backward time of the lip-reading loss and the sync loss per 88x88 soft mouth-crop frame (median of
   5 runs after a warm-up), and of the soft render alone.

Run: ``python benchmarks/sync_expert.py [--threads 2] [--device cpu]``.
"""

import argparse
import time
from pathlib import Path

import torch

from facemotion.data.facegood import FACEGOOD_VALIDATION, load_facegood
from facemotion.lipreading import MouthCropRenderer, default_sync_expert, shifted_sync_accuracy
from facemotion.lipreading.sync_data import render_take
from facemotion.losses.lip_reading import LipReadingLoss, SyncLoss
from facemotion.metrics.lipsync import lip_sync_error

FACEGOOD = Path(__file__).resolve().parents[2] / "shared" / "data" / "facegood"
SHIFT = 6  # frames: 200 ms at 30 fps


def accuracy_table(expert, take) -> None:
    print(f"\nheld-out {take.name}: in sync vs audio shifted by +-{SHIFT} frames (200 ms)")
    print(f"{'clip frames':>12}{'clips':>8}{'pairwise':>10}{'balanced':>10}")
    for frames in (5, 15, 30):
        result = shifted_sync_accuracy(expert, take, clip_frames=frames, shift_frames=SHIFT)
        print(f"{frames:>12}{result.n_clips:>8}{result.pairwise:>10.3f}{result.balanced:>10.3f}")


def lse_table(expert, weights: torch.Tensor, waveform: torch.Tensor) -> None:
    late = torch.cat([weights[:1].expand(SHIFT, -1), weights[:-SHIFT]])
    early = torch.cat([weights[SHIFT:], weights[-1:].expand(SHIFT, -1)])
    print("\nLSE on the held-out take (distances of normalised embeddings, in [0, 2]; D lower, C higher is better)")
    print(f"{'curves':<24}{'LSE-D':>8}{'LSE-C':>8}{'offset':>8}{'D at 0':>8}{'C at 0':>8}")
    for label, curves in (("captured", weights), ("200 ms late", late), ("200 ms early", early)):
        s = lip_sync_error(curves, waveform, expert)
        print(
            f"{label:<24}{s.lse_d:>8.3f}{s.lse_c:>8.3f}{s.offset:>8d}{s.distance_at_zero:>8.3f}"
            f"{s.confidence_at_zero:>8.3f}"
        )


def median_ms(step) -> float:
    times = []
    for _ in range(6):  # the first run warms up (numba compilation, allocator)
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return 1000 * sorted(times[1:])[2]


def timing_table(expert, weights: torch.Tensor, waveform: torch.Tensor, device: torch.device) -> None:
    renderer = MouthCropRenderer(soft=True).to(device)
    lip, sync = LipReadingLoss(expert.visual, renderer).to(device), SyncLoss(expert, renderer).to(device)
    print(
        f"\nloss forward + backward per 88x88 soft mouth-crop frame (K = 4), {device}, "
        f"{torch.get_num_threads()} threads"
    )
    print(f"{'batch':<12}{'render ms/frame':>18}{'lip-reading ms/frame':>22}{'sync ms/frame':>16}")
    for batch, frames in ((1, 8), (4, 8)):
        w = weights[None, 100 : 100 + frames].expand(batch, -1, -1).to(device)
        target = weights[None, 110 : 110 + frames].expand(batch, -1, -1).to(device)
        audio = waveform[None, round(100 / 30 * 16000) :][:, : round(frames / 30 * 16000)].expand(batch, -1)
        audio = audio.to(device)

        n = batch * frames
        render = median_ms(lambda w=w: renderer(w.clone().requires_grad_()).sum().backward()) / n
        lip_ms = median_ms(lambda w=w, t=target: lip(w.clone().requires_grad_(), t).backward()) / n
        sync_ms = median_ms(lambda w=w, a=audio: sync(w.clone().requires_grad_(), a).backward()) / n
        print(f"{batch} x {frames:<8}{render:>18.1f}{lip_ms:>22.1f}{sync_ms:>16.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch CPU threads")
    parser.add_argument("--device", default="cpu", help="device of the loss timings (cpu or cuda)")
    parser.add_argument("--root", type=Path, default=FACEGOOD, help="the FACEGOOD folder")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    expert = default_sync_expert()
    clip = load_facegood(args.root, FACEGOOD_VALIDATION[0])
    take = render_take(clip, MouthCropRenderer())
    weights = torch.from_numpy(clip.motion[: take.n_frames])
    accuracy_table(expert, take)
    lse_table(expert, weights, take.audio)
    timing_table(expert.to(args.device), weights, take.audio, torch.device(args.device))


if __name__ == "__main__":
    main()
