"""Speed of the learned model step: motion_in_windows on 60 s of speech, as a multiple of real time.

The model step only (log-mel, key-motion transformer, prior decoder, 8 s windows cross-faded), not phoneme
alignment or file reading; key motions every 80 ms as a transcript would give. Usage:
``python benchmarks/learned_speed.py [--model DIR] [--seconds 60] [--threads N]``.
"""

import argparse
import time

import numpy as np
import torch

from facemotion.audio.io import SAMPLE_RATE
from facemotion.motion.keymotion import key_motions
from facemotion.motion.speech_motion import SpeechMotionModel
from facemotion.motion.windows import motion_in_windows
from facemotion.pipelines.motion import default_motion_model
from facemotion.text.phonemes import PhonemeSegment
from facemotion.text.visemes import load_viseme_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a model folder (default: the shipped one)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = default_motion_model() if args.model is None else SpeechMotionModel.from_pretrained(args.model)
    rng = np.random.default_rng(0)
    waveform = (0.1 * rng.standard_normal(round(args.seconds * SAMPLE_RATE))).astype(np.float32)
    phones = ["M", "AA", "P", "IY", "S", "OW"]
    times = np.arange(0.0, args.seconds - 0.08, 0.08)
    keys = key_motions([PhonemeSegment(phones[i % 6], t, t + 0.08) for i, t in enumerate(times)], load_viseme_table())
    motion_in_windows(model, waveform[: 2 * SAMPLE_RATE], keys.window(0, 2))  # warm-up
    print(f"{'audio s':>8} {'threads':>7} {'keys':>6} {'model s':>8} {'x real time':>11}")
    for with_keys in (keys, None):
        start = time.perf_counter()
        motion_in_windows(model, waveform, with_keys)
        elapsed = time.perf_counter() - start
        label = "yes" if with_keys is not None else "no"
        print(f"{args.seconds:>8.0f} {args.threads:>7d} {label:>6} {elapsed:>8.2f} {args.seconds / elapsed:>11.0f}")


if __name__ == "__main__":
    main()
