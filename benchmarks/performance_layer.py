"""Cost of the performance layer (blinks, gaze, brows, head motion, breathing) per minute of speech, and its share
of ``facemotion.animate``'s time on the same speech.

On the shipped minute of LJ Speech (``tests/fixtures/speech/ljspeech_minute.flac``, 61.4 s, with its transcript),
analysed once by ``analyse_speech``, prints in seconds per minute of speech the warm wall time (best of
``--repeats``) of the F0 track the analysis adds for it (YIN, :func:`facemotion.audio.features.pitch_hz`), of
``perform`` at 30 and 60 fps, of the speech cues alone (prominence) and of each behaviour alone on ready cues; then
the time of ``facemotion.animate`` on the minute with its transcript, with and without the layer (models loaded),
and the layer's share; then the one-time cost a new process pays on its first F0 track after the pipeline's own
imports (importing ``scipy.fft``).

Run: ``python -m benchmarks.performance_layer [--repeats 5]``.
"""

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from facemotion.audio.features import pitch_hz
from facemotion.expression.blinks import blink_schedule, blink_weights
from facemotion.expression.breathing import breath_weights, breaths
from facemotion.expression.brows import brow_raises, brow_weights
from facemotion.expression.cues import SpeechCues, speech_cues
from facemotion.expression.gaze import eye_look_weights, gaze_angles, saccade_schedule
from facemotion.expression.head_motion import head_rotation
from facemotion.expression.performance import PerformanceSettings, perform
from facemotion.pipelines.speech_analysis import analyse_speech
from facemotion.pipelines.speech_to_face import animate
from facemotion.timing import frames_covering

MINUTE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "speech" / "ljspeech_minute.flac"


def best_seconds(call, repeats: int) -> float:
    """Best wall time of ``call()`` over ``repeats`` runs, after one warm-up run."""
    call()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def first_call_seconds() -> float:
    """Seconds of the first F0 track in a new process that has imported the pipeline (best of 3): its imports and
    one call on half a second of a 150 Hz tone."""
    code = (
        "import time, numpy as np, facemotion.pipelines.speech_to_face\n"
        "start = time.perf_counter()\n"
        "from facemotion.audio.features import pitch_hz\n"
        "pitch_hz((0.1 * np.sin(np.arange(8000) * 2 * np.pi * 150 / 16000)).astype(np.float32))\n"
        "print(time.perf_counter() - start)"
    )
    runs = [subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True) for _ in range(3)]
    return min(float(run.stdout) for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    transcript = MINUTE.with_suffix(".txt").read_text(encoding="utf-8").strip()
    analysis = analyse_speech(MINUTE, transcript, keep_waveform=True, pitch=True)
    seconds = analysis.info.duration
    per_minute = 60.0 / seconds
    print(
        f"{seconds:.1f} s of speech (LJ Speech, {len(analysis.phonemes)} phonemes); seconds per minute of speech, "
        f"warm, best of {args.repeats}"
    )
    print("| step | 30 fps s/min | 60 fps s/min |\n|---|---|---|")
    rows: dict[str, list[float]] = {}
    for fps in (30.0, 60.0):
        inputs = analysis_inputs(analysis, fps)
        cues = speech_cues(*inputs)
        steps = {"F0 track (YIN, in the analysis)": partial(pitch_hz, analysis.waveform),
                 "speech cues (prominence)": partial(speech_cues, *inputs), **behaviours(cues)}
        steps["**perform, every layer**"] = partial(perform, *inputs)
        for label, step in steps.items():
            rows.setdefault(label, []).append(best_seconds(step, args.repeats))
    for label, values in rows.items():
        print(f"| {label} | " + " | ".join(f"{value * per_minute:.3f}" for value in values) + " |")
    with_layer, without = (best_seconds(partial(animate, MINUTE, transcript, performance=p), 1)
                           for p in (PerformanceSettings(), None))
    print(
        f"\nfacemotion.animate on the minute with its transcript, 30 fps, models loaded: {with_layer:.2f} s with the "
        f"layer, {without:.2f} s without: the layer adds {with_layer - without:.2f} s, "
        f"{100 * (with_layer - without) / without:.1f} % (F0 {rows['F0 track (YIN, in the analysis)'][0]:.2f} s and "
        f"perform {rows['**perform, every layer**'][0]:.2f} s of it)"
    )
    cold = first_call_seconds()
    print(f"once per process: the first F0 track (imports included) takes {cold:.2f} s")


def behaviours(cues: SpeechCues) -> dict[str, Callable[[], object]]:
    """Each behaviour of ``perform`` on ready cues: schedule and curves."""
    fps, n_frames, rng = cues.fps, cues.n_frames, np.random.default_rng(0)
    return {
        "blinks": lambda: blink_weights(blink_schedule(cues, rng), fps, n_frames),
        "gaze (eye rotations and eyeLook)": lambda: eye_look_weights(
            np.repeat(gaze_angles(saccade_schedule(cues, rng), fps, n_frames, rng)[:, None], 2, axis=1)
        ),
        "brows": lambda: brow_weights(brow_raises(cues), fps, n_frames),
        "head motion": lambda: head_rotation(cues, rng),
        "breathing": lambda: breath_weights(breaths(cues), fps, n_frames),
    }


def analysis_inputs(analysis, fps: float) -> tuple:
    """The positional arguments of ``perform`` for an analysed take at ``fps``."""
    n_frames = frames_covering(analysis.info.duration, fps)
    return analysis.phonemes, analysis.speech_spans, analysis.loudness_db, analysis.pitch_hz, fps, n_frames


if __name__ == "__main__":
    main()
