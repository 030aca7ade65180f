"""Motion quality on real captures: speech-to-ARKit methods scored on FACEGOOD's held-out take.

Every method is fitted on the five training takes (``FACEGOOD_TRAIN``, 1114_2_01..05, about 9 minutes) and
scored on ``1114_3_15`` (49 s), which no fitting step sees: a take of another recording session. ``--test
1114_2_05`` (or another training take) is the within-session check: the methods fit on the four other training
takes (the learned row takes that take's fold). Audio and motion of each take are cropped to the shorter of the
two. Columns, from :func:`facemotion.metrics.arkit_quality` on the shipped ICT-FaceKit head:

- ``jawOpen r``: Pearson correlation of the predicted and captured jawOpen curves (nan for a still jaw);
- ``lip LVE mm``: both curves posed on the head; per frame the largest distance over the lip region
  (vertices within 12 mm of the 20 lip landmarks that jawOpen moves), mean over frames, millimetres;
- ``MAE``: mean absolute weight error over the ARKit channels the capture holds (its ``channel_mask``);
- ``LSE-D`` / ``D at 0`` / ``offset``: lip sync of the prediction's mouth renders against the speech, judged by
  the shipped sync expert (:func:`facemotion.metrics.lipsync.lip_sync_error`; lower distances are better): the
  best distance over +-15 frames as LSE-D is published, the distance at offset 0, and the best offset in frames
  (the captured curves score LSE-D 0.85 here; the expert was trained on renders of the training takes);
- ``fit s`` / ``predict s``: wall time of fitting on the training takes and of predicting the test take.

The speech is Mandarin and no transcript is given: the pipelines' phones come from Whisper's Mandarin
transcription and pinyin (issue 19), the key motions of both the procedural and the learned row. The learned row is
the pipeline with a model trained by ``configs/facegood_motion.yaml`` without the test take: by default the fold of
``make folds`` (``runs/folds/default/<TEST>``; the shipped model of ``make weights`` is trained on all six takes,
the test take among them), or the model folder given with ``--model``; its ``fit s`` is 0 because it is trained
beforehand. Methods are ``(name, fit)`` entries of :data:`METHODS` with ``fit(train_clips) -> predict`` and
``predict(clip) -> (T, 52)`` ARKit weights.

Usage: ``python -m benchmarks.motion_quality [--data DIR] [--model DIR] [--test TAKE] [--official-rows]`` from the
repository root; needs ``../shared/data/facegood``. ``--official-rows`` maps the captures as issue 4 measured its
reference numbers (the spreadsheet's valid rows alone).
"""

import argparse
import functools
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from benchmarks.baselines import LoudnessJawBaseline, RidgeMelBaseline
from facemotion.audio.io import SAMPLE_RATE
from facemotion.data.clip import MotionClip
from facemotion.data.facegood import FACEGOOD_TRAIN, FACEGOOD_VALIDATION, UNMAPPED_CHANNEL_TERMS, load_facegood
from facemotion.face_models.arkit import ARKitRig
from facemotion.face_models.names import ARKIT_52
from facemotion.lipreading import default_sync_expert
from facemotion.metrics import ARKitQuality, arkit_quality, lve_lip_region
from facemotion.metrics.lipsync import LipSyncScores, lip_sync_error
from facemotion.motion.speech_motion import SpeechMotionModel
from facemotion.pipelines.motion import LearnedMotion
from facemotion.pipelines.speech_to_face import SpeechToFace
from facemotion.text.recognition import DEFAULT_RECOGNIZER

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "facegood"
FOLDS = Path(__file__).resolve().parents[1] / "runs" / "folds"
"""``<variant>/<take>``: stage-2 models trained without that take (``benchmarks/facegood_folds.py``)."""

Predict = Callable[[MotionClip], np.ndarray]
Fit = Callable[[Sequence[MotionClip]], Predict]


def no_motion(train_clips: Sequence[MotionClip]) -> Predict:
    """The neutral face throughout: the error a method must beat."""
    return lambda clip: np.zeros((clip.n_frames, len(ARKIT_52)), np.float32)


def procedural(recognizer: str = DEFAULT_RECOGNIZER) -> Fit:
    """The procedural pipeline (:class:`SpeechToFace`, no transcript: phones of ``recognizer``); it learns nothing."""
    return lambda train_clips: functools.partial(_pipeline_predict, SpeechToFace(recognizer=recognizer))


def learned(model: Path, recognizer: str = DEFAULT_RECOGNIZER) -> Fit:
    """The learned pipeline (no transcript: key motions of ``recognizer``'s phones) with a model folder of
    ``facemotion train``; trained beforehand."""

    def fit(train_clips: Sequence[MotionClip]) -> Predict:
        trained = SpeechMotionModel.from_pretrained(model)
        return functools.partial(_pipeline_predict, SpeechToFace(LearnedMotion(trained), recognizer=recognizer))

    return fit


def _pipeline_predict(pipeline: SpeechToFace, clip: MotionClip) -> np.ndarray:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{clip.name}.wav"
        sf.write(path, clip.audio, SAMPLE_RATE, subtype="FLOAT")
        weights = pipeline(path, fps=clip.fps).weights
    if len(weights) < clip.n_frames:
        raise ValueError(f"{clip.name}: the pipeline gave {len(weights)} frames for {clip.n_frames}")
    return weights[: clip.n_frames]


METHODS: list[tuple[str, Fit]] = [
    ("no motion", no_motion),
    ("loudness baseline", lambda clips: LoudnessJawBaseline.fit(clips).predict),
    ("ridge baseline", lambda clips: RidgeMelBaseline.fit(clips).predict),
    ("procedural", procedural()),
]
"""``(name, fit)`` of each method in the table; ``main`` appends the learned model."""


def evaluate(
    fit: Fit, train: Sequence[MotionClip], test: MotionClip, rig: ARKitRig, region: np.ndarray
) -> tuple[ARKitQuality, LipSyncScores, float, float]:
    """Fit on ``train``, predict ``test``; the quality, the lip sync, the fit seconds and the predict seconds."""
    if test.name in {clip.name for clip in train}:
        raise ValueError(f"{test.name} is both a training and the test take")
    start = time.perf_counter()
    predict = fit(train)
    fitted = time.perf_counter()
    weights = predict(test)
    predicted = time.perf_counter()
    if weights.shape != test.motion.shape:
        raise ValueError(f"a method returned {weights.shape} for {test.motion.shape} frames")
    sync = lip_sync_error(torch.from_numpy(weights), torch.from_numpy(test.audio), _sync_expert())
    return arkit_quality(weights, test.motion, rig, region, test.channel_mask), sync, fitted - start, predicted - fitted


@functools.cache
def _sync_expert():
    return default_sync_expert()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the FACEGOOD folder (default: %(default)s)")
    parser.add_argument("--model", type=Path,
                        help=f"a model folder of `facemotion train` trained without the test take (default: "
                        f"{FOLDS.relative_to(FOLDS.parents[1])}/default/TEST, made by `make folds`)")
    parser.add_argument(
        "--official-rows",
        action="store_true",
        help="map the captures through the spreadsheet's valid rows alone, without the mouth_oh_c / mouth_oo_c "
        "terms (issue 4's protocol); the baselines are fitted so, the learned model stays as trained",
    )
    parser.add_argument(
        "--test",
        default=FACEGOOD_VALIDATION[0],
        choices=FACEGOOD_TRAIN + FACEGOOD_VALIDATION,
        help="the take scored (default: %(default)s); the methods fit on the training takes other than it",
    )
    args = parser.parse_args(argv)
    model = FOLDS / "default" / args.test if args.model is None else args.model
    if not (model / "model.safetensors").is_file():
        parser.error(f"no model in {model}: run `make folds` or give --model, a model trained without {args.test}")
    torch.set_num_threads(1)
    extra_terms = {} if args.official_rows else UNMAPPED_CHANNEL_TERMS
    train = [load_facegood(args.data, name, extra_terms).cropped() for name in FACEGOOD_TRAIN if name != args.test]
    test = load_facegood(args.data, args.test, extra_terms).cropped()
    rig = ARKitRig.default()
    region = lve_lip_region(rig)
    print(
        f"train: {', '.join(clip.name for clip in train)} ({sum(clip.n_frames for clip in train)} frames); "
        f"test: {test.name} ({test.n_frames} frames at {test.fps:g} fps); lip region: {len(region)} vertices"
    )
    print(
        f"{'method':<20} {'jawOpen r':>9} {'lip LVE mm':>10} {'MAE':>7} {'LSE-D':>6} {'D at 0':>6} {'offset':>6} "
        f"{'fit s':>7} {'predict s':>9}"
    )
    for name, fit in [*METHODS, ("learned", learned(model))]:
        quality, sync, fit_s, predict_s = evaluate(fit, train, test, rig, region)
        print(
            f"{name:<20} {quality.jaw_open_r:>9.3f} {quality.lip_lve_mm:>10.2f} {quality.mae:>7.4f} "
            f"{sync.lse_d:>6.3f} {sync.distance_at_zero:>6.3f} {sync.offset:>6d} {fit_s:>7.1f} {predict_s:>9.1f}"
        )


if __name__ == "__main__":
    main()
