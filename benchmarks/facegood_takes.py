"""How predictable each FACEGOOD take is from its speech: why the held-out take scores lower than the others.

For every take the table gives how much of it is speech (Silero voice activity, :func:`speech_spans`), its mean
captured jawOpen within speech and mouthFunnel overall, and how well the ridge baseline of
:mod:`benchmarks.motion_quality` predicts it: jawOpen Pearson r over all frames and within speech only, the
standard deviation of the predicted jawOpen over the captured one (below 1: the prediction moves less than the
capture), and the lip LVE in mm (:func:`facemotion.metrics.arkit_lip_lve_mm`, the quality table's). A training
take is predicted by a ridge fitted on the four other training takes (leave one out); the held-out take 1114_3_15
by one fitted on all five, as in the quality table. The overall r rewards getting silence right, so a take that is
mostly speech scores lower at the same within-speech r. A last line tells how much of the held-out take's lip error
is the jaw's: the ridge's lip LVE with its own jawOpen and with the captured one in its place.

Usage: ``python -m benchmarks.facegood_takes [--data DIR]`` from the repository root; needs
``../shared/data/facegood``.
"""

import argparse
from pathlib import Path

import numpy as np

from benchmarks.baselines import RidgeMelBaseline
from benchmarks.motion_quality import DATA
from facemotion.audio.vad import speech_spans
from facemotion.data.clip import MotionClip
from facemotion.data.facegood import FACEGOOD_TRAIN, FACEGOOD_VALIDATION, load_facegood
from facemotion.face_models.arkit import ARKitRig
from facemotion.face_models.names import ARKIT_INDEX
from facemotion.metrics import arkit_lip_lve_mm, lve_lip_region
from facemotion.pipelines.speech_analysis import span_mask


def speech_frames(clip: MotionClip) -> np.ndarray:
    """(T,) bool: the clip's frames inside Silero voice activity of its own audio (the pipeline's span mask)."""
    return span_mask(speech_spans(clip.audio), clip.fps, clip.n_frames)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the FACEGOOD folder (default: %(default)s)")
    args = parser.parse_args(argv)
    clips = {name: load_facegood(args.data, name).cropped() for name in FACEGOOD_TRAIN + FACEGOOD_VALIDATION}
    jaw, funnel = ARKIT_INDEX["jawOpen"], ARKIT_INDEX["mouthFunnel"]
    print(f"{'take':<10} {'ridge fitted on':<16} {'speech':>6} {'jaw in speech':>13} {'funnel':>6}", end=" ")
    print(f"{'r':>6} {'r in speech':>11} {'std ratio':>9} {'lip LVE mm':>10}")
    rig = ARKitRig.default()
    region = lve_lip_region(rig)
    ridge = {}
    for name, clip in clips.items():
        others = [c for n, c in clips.items() if n != name and n in FACEGOOD_TRAIN]
        ridge[name] = RidgeMelBaseline.fit(others).predict(clip)
        speech = speech_frames(clip)
        predicted, captured = ridge[name][:, jaw], clip.motion[:, jaw]
        print(
            f"{name:<10} {f'{len(others)} train takes':<16} {speech.mean():>6.0%} {captured[speech].mean():>13.3f} "
            f"{clip.motion[:, funnel].mean():>6.3f} {np.corrcoef(predicted, captured)[0, 1]:>6.3f} "
            f"{np.corrcoef(predicted[speech], captured[speech])[0, 1]:>11.3f} {predicted.std() / captured.std():>9.2f} "
            f"{arkit_lip_lve_mm(ridge[name], clip.motion, rig, region):>10.2f}"
        )
    held_out = clips[FACEGOOD_VALIDATION[0]]
    weights = ridge[held_out.name]
    with_captured_jaw = weights.copy()
    with_captured_jaw[:, jaw] = held_out.motion[:, jaw]
    print(
        f"{held_out.name}: ridge lip LVE {arkit_lip_lve_mm(weights, held_out.motion, rig, region):.2f} mm, "
        f"{arkit_lip_lve_mm(with_captured_jaw, held_out.motion, rig, region):.2f} mm with the captured jawOpen"
    )


if __name__ == "__main__":
    main()
