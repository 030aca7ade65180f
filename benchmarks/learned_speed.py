"""Speed of the learned model step on 60 s of speech, as a multiple of real time: the speech features apart.

Two parts of :func:`~facemotion.motion.windows.motion_in_windows`, timed apart: the speech features of the take
(:func:`~facemotion.motion.windows.take_features`: log-mel, or a pretrained encoder such as Whisper's) and the model
step (key-motion transformer and prior decoder over 8 s windows cross-faded); not phoneme alignment or file reading.
Key motions every 80 ms as a transcript would give. Usage:
``python benchmarks/learned_speed.py [--model DIR] [--seconds 60] [--threads N]``.
"""

import argparse
import time

import numpy as np
import torch

from facemotion.audio.io import SAMPLE_RATE
from facemotion.motion.keymotion import key_motions
from facemotion.motion.speech_motion import SpeechMotionModel
from facemotion.motion.windows import motion_from_features, motion_in_windows, take_features
from facemotion.pipelines.motion import default_motion_model
from facemotion.text.phonemes import PhonemeSegment
from facemotion.text.visemes import load_viseme_table
from facemotion.timing import frames_covering


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
    n_frames = frames_covering(args.seconds, model.fps)
    print(f"{'audio s':>8} {'threads':>7} {'keys':>6} {'features s':>10} {'model s':>8} {'model x real time':>17} "
          f"{'both x real time':>16}")
    for with_keys in (keys, None):
        start = time.perf_counter()
        features = take_features(model.transformer.audio, waveform)
        encoded = time.perf_counter()
        motion_from_features(model, features, n_frames, with_keys)
        done = time.perf_counter()
        label = "yes" if with_keys is not None else "no"
        print(f"{args.seconds:>8.0f} {args.threads:>7d} {label:>6} {encoded - start:>10.2f} {done - encoded:>8.2f} "
              f"{args.seconds / (done - encoded):>17.0f} {args.seconds / (done - start):>16.0f}")


if __name__ == "__main__":
    main()
