"""Leave-one-take-out cross-validation on the six FACEGOOD takes: every method fitted on five, scored on the sixth.

Issue 15's table: for each take of ``FACEGOOD_TRAIN + FACEGOOD_VALIDATION`` (1114_2_01..05 from one recording
session, 1114_3_15 from another), each method is fitted on the five others and scored on it; the mean over the six
folds comes last. Methods: the ridge baseline (log-mel context, ``benchmarks/baselines.py``), the procedural
pipeline (it learns nothing) and the learned pipeline with a model trained by ``configs/facegood_motion.yaml``
without that take (``--train`` trains the missing folds into ``runs/folds/<variant>/<take>``; a fold whose folder
exists is not trained again). Both pipelines run without a transcript; their key motions are posed at the phones of
``--recognizer``: Whisper's (default: it hears Mandarin, the phones are pinyin's, issue 19) or ``phonetic``
(English phone recognition in the Mandarin speech, as the learned model's training sees it). Every fold starts from
one motion prior (``--prior``, by default the folder of ``configs/facegood_prior.yaml``'s run): the prior only lays
the emotion over the speech, and a neutral take (intensity 0) is exactly the speech (tested), so it does not enter
these scores.

Columns (per take and mean; :func:`facemotion.metrics.arkit_quality` on the shipped ICT-FaceKit head):
``jawOpen r``; ``lip-gap r``, the Pearson correlation of the inner-lip gap (:meth:`ARKitRig.inner_lip_gap`) of
prediction and capture; ``lip LVE mm`` (largest lip-region distance per frame, mean over frames).

Usage: ``python -m benchmarks.facegood_folds [--train] [--variant NAME --set KEY=VALUE ...] [--takes T1,T2]
[--methods ridge,procedural,learned] [--recognizer phonetic]`` from the repository root; needs
``../shared/data/facegood`` and, for teaching data (``--set data.teaching=...``), the English evaluation set
(``datasets/make_english_eval.py``).
"""

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from benchmarks.english_lip_closure import inner_lip_gaps
from benchmarks.motion_quality import DATA, FOLDS, learned, procedural
from facemotion.data.clip import MotionClip
from facemotion.data.facegood import FACEGOOD_TRAIN, FACEGOOD_VALIDATION, load_facegood
from facemotion.face_models.arkit import ARKitRig
from facemotion.metrics import arkit_quality, lve_lip_region
from facemotion.metrics.arkit_curves import pearson
from facemotion.text.recognition import DEFAULT_RECOGNIZER

ROOT = Path(__file__).resolve().parents[1]
TAKES = FACEGOOD_TRAIN + FACEGOOD_VALIDATION
"""The six takes, each held out once."""
CONFIG = ROOT / "configs" / "facegood_motion.yaml"
PRIOR = ROOT / "runs" / "facegood_prior"


def train_fold(take: str, variant: str, overrides: Sequence[str], prior: Path) -> Path:
    """Train ``configs/facegood_motion.yaml`` on the five takes other than ``take`` (validated on it) into
    ``runs/folds/<variant>/<take>``, unless that folder already holds a model; returns the folder."""
    from facemotion.training.train import load_training_config, train

    output = FOLDS / variant / take
    if (output / "model.safetensors").is_file():
        return output
    others = [t for t in TAKES if t != take]
    quoted = lambda names: "[" + ",".join(f'"{n}"' for n in names) + "]"
    config = load_training_config(CONFIG, [
        f"data.train={quoted(others)}", f"data.validation={quoted([take])}", f"trainer.output={output}",
        f"prior_checkpoint={prior.resolve()}", "trainer.progress_bar=false", *overrides,
    ])
    return train(config)


def ridge(train_clips: Sequence[MotionClip]) -> Callable[[MotionClip], np.ndarray]:
    from benchmarks.baselines import RidgeMelBaseline

    return RidgeMelBaseline.fit(train_clips).predict


def scores(weights: np.ndarray, clip: MotionClip, rig: ARKitRig, region: np.ndarray) -> tuple[float, float, float]:
    """(jawOpen r, inner-lip-gap r, lip LVE mm) of a prediction against the capture."""
    quality = arkit_quality(weights, clip.motion, rig, region, clip.channel_mask)
    gap_r = pearson(inner_lip_gaps(rig, weights), inner_lip_gaps(rig, clip.motion))
    return quality.jaw_open_r, gap_r, quality.lip_lve_mm


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", action="store_true", help="train the missing learned folds first")
    parser.add_argument("--variant", default="default", help="runs/folds/<variant>: one learned configuration")
    parser.add_argument("--set", nargs="+", action="extend", default=[],
                        help="overrides of configs/facegood_motion.yaml (KEY=VALUE ...; may be repeated)")
    parser.add_argument("--prior", type=Path, default=PRIOR)
    parser.add_argument("--takes", default=",".join(TAKES))
    parser.add_argument("--methods", default="ridge,procedural,learned")
    parser.add_argument("--recognizer", default=DEFAULT_RECOGNIZER,
                        help="the phones of the pipelines (no transcript; default %(default)s: Mandarin, pinyin)")
    args = parser.parse_args(argv)
    takes = args.takes.split(",")
    methods = [method for method in args.methods.split(",") if method]
    if args.train:
        for take in takes:
            train_fold(take, args.variant, args.set, args.prior)
    if not methods:
        return
    clips = {take: load_facegood(DATA, take).cropped() for take in TAKES}
    rig = ARKitRig.default()
    region = lve_lip_region(rig)
    rows: dict[str, list[tuple[float, float, float]]] = {m: [] for m in methods}
    for take in takes:
        train_clips = [clips[t] for t in TAKES if t != take]
        fits = {"ridge": ridge, "procedural": procedural(args.recognizer),
                "learned": learned(FOLDS / args.variant / take, args.recognizer)}
        for method in methods:
            weights = fits[method](train_clips)(clips[take])
            rows[method].append(scores(weights, clips[take], rig, region))
            print(f"{take} {method}: jawOpen r {rows[method][-1][0]:.3f}, lip-gap r {rows[method][-1][1]:.3f}, "
                  f"lip LVE {rows[method][-1][2]:.2f} mm", flush=True)
    print_table(takes, rows, f"learned: runs/folds/{args.variant}; phones: {args.recognizer}")


def print_table(takes: Sequence[str], rows: dict[str, list[tuple[float, float, float]]], title: str) -> None:
    print(f"\nLeave-one-take-out ({title}); jawOpen r / lip-gap r / lip LVE mm\n")
    print("| method | " + " | ".join(takes) + " | mean |")
    print("|---|" + "---|" * (len(takes) + 1))
    for method, values in rows.items():
        cells = [f"{j:.3f} / {g:.3f} / {lve:.2f}" for j, g, lve in values]
        mean = np.mean(np.array(values), axis=0)
        cells.append("**" + " / ".join(f"{m:.3f}" if i < 2 else f"{m:.2f}" for i, m in enumerate(mean)) + "**")
        print(f"| {method} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
