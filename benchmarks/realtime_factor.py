"""Real-time factor of `facemotion.animate`, with and without a transcript.

Prints one row per clip and mode: audio seconds / wall seconds (higher is faster; 20 means twenty times
faster than real time). The first call of each mode loads models (pocketsphinx, Silero VAD) and is
reported apart as "cold". Run: `python benchmarks/realtime_factor.py` (uses the bundled sample and, when
present, ../shared/data/speech).
"""

import time
from pathlib import Path

import soundfile as sf
import torch

from facemotion.pipelines.speech_to_face import animate

ROOT = Path(__file__).resolve().parents[1]
CLIPS = {
    ROOT / "assets/samples/LJ001-0001.flac": (ROOT / "assets/samples/LJ001-0001.txt").read_text().strip(),
    ROOT.parent / "shared/data/speech/arctic_a0007.wav": "And you always want to see it in the superlative degree.",
}


def seconds(clip: Path, transcript: str | None, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        animate(clip, transcript, fps=30.0)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    print(f"torch threads: {torch.get_num_threads()}")
    print(f"{'clip':<22} {'mode':<14} {'audio s':>8} {'cold s':>8} {'warm s':>8} {'RTF x':>7}")
    for clip, text in CLIPS.items():
        if not clip.is_file():
            continue
        duration = sf.info(str(clip)).duration
        for mode, transcript in (("transcript", text), ("no transcript", None)):
            cold = seconds(clip, transcript, 1)
            warm = seconds(clip, transcript, 3)
            print(f"{clip.name:<22} {mode:<14} {duration:>8.2f} {cold:>8.3f} {warm:>8.3f} {duration / warm:>7.1f}")


if __name__ == "__main__":
    main()
