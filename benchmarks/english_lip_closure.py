"""Lips on English speech: closure on /p b m/, bilabial and open-vowel gaps, and speed, for every input mode.

Data: the English evaluation set (``datasets/make_english_eval.py``; build it first): eSpeak NG Harvard
sentences with exact phoneme times and real LJ Speech / CMU ARCTIC clips with force-aligned true transcripts,
in a **held-out** split nobody tunes on and a **tuning** split, reported separately.

Input modes: with the transcript, and without one for each recogniser named by ``--recognizers`` (Whisper base,
the default, by default). Each clip is analysed once per input (:func:`~facemotion.pipelines.speech_analysis.
analyse_speech`, English), then every motion of ``--motions`` is made from that analysis
(:meth:`~facemotion.pipelines.speech_to_face.SpeechToFace.animate_analysis`, without the performance layer,
which leaves the mouth alone): ``procedural``, ``learned`` (the shipped model) or ``learned=FOLDER``.

Scoring (issue 13's, :func:`facemotion.metrics.lip_closure_score`): every animation at ``--fps`` (30) is posed
on the default head (``ARKitRig.default()``, ICT-FaceKit) and its inner-lip gap read
(``ARKitRig.inner_lip_gap``, metres); against the set's *reference* phonemes, not the ones the animation used:

- closed: /p b m/ whose gap falls below 2 mm at some frame inside the phoneme (count, and % of all);
  also split into eSpeak NG and real clips;
- bilabial gap: mean over /p b m/ of the smallest gap inside each, mm (lower is better; < 2 closes);
- open-vowel gap: mean over /aa ae ah ao/ of >= 2 frames of the largest gap inside each, mm (the mouth
  opening; the FACEGOOD captures' 90th percentile over speech frames is 17.1 mm);
- fallbacks: clips on which the analysis warned that it fell back to phone recognition, for the whole clip or a
  part (a transcript's alignment failed there, or Whisper left speech untranscribed), listed by speaker under
  the table;
- s/s: wall seconds of the analysis plus that motion (reading the file to the weights, models already loaded) per
  second of speech, in this process on this machine's CPU threads (torch's default); posing the head is not
  timed.

Usage: ``PYTHONPATH=. python benchmarks/english_lip_closure.py [--splits held-out,tuning]
[--recognizers phonetic,whisper] [--motions procedural,learned,learned=runs/x] [--limit N]``. A split (about 5.5
minutes of speech) takes about a minute per motion with the transcript, and about 20 minutes more for a Whisper
recognition pass on 2 CPU cores.
"""

import argparse
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np

from facemotion.data.english_eval import ReferenceClip, load_reference_clips
from facemotion.face_models.arkit import ARKitRig
from facemotion.metrics import LipClosureScore, lip_closure_score
from facemotion.motion.speech_motion import SpeechMotionModel
from facemotion.pipelines.motion import LearnedMotion, ProceduralMotion, default_motion_model
from facemotion.pipelines.speech_analysis import SpeechAnalysis, analyse_speech
from facemotion.pipelines.speech_to_face import SpeechToFace
from facemotion.text.recognition import DEFAULT_RECOGNIZER

DEFAULT_DATA = Path(__file__).resolve().parents[1] / "out" / "english_eval"
POSE_CHUNK = 512
"""Frames posed on the head at once (0.3 MB each)."""


@dataclass(frozen=True)
class Mode:
    """An input mode: ``recognizer`` None means the transcript is given; ``motion`` is ``procedural``, ``learned``
    (the shipped model) or ``learned=FOLDER`` (a trained model folder)."""

    recognizer: str | None
    motion: str

    @property
    def label(self) -> str:
        return "transcript" if self.recognizer is None else f"no transcript: {self.recognizer}"


def motion_strategy(name: str) -> ProceduralMotion | LearnedMotion:
    """The motion a ``--motions`` entry names."""
    kind, _, folder = name.partition("=")
    if kind == "procedural" and not folder:
        return ProceduralMotion()
    if kind != "learned":
        raise SystemExit(f"unknown motion {name!r}: procedural, learned or learned=FOLDER")
    return LearnedMotion(SpeechMotionModel.from_pretrained(folder) if folder else default_motion_model())


@dataclass
class Result:
    """Scores of one mode on one split, by source, with timing."""

    scores: dict[str, list[LipClosureScore]] = field(default_factory=dict)
    seconds: float = 0.0
    speech_seconds: float = 0.0
    fallbacks: dict[str, int] = field(default_factory=dict)

    def pooled(self, sources=None) -> LipClosureScore | None:
        """The clips of ``sources`` ("espeak", "real"; None: all) pooled; None when there are none."""
        chosen = [s for source, scores in self.scores.items() if sources is None or source in sources
                  for s in scores]
        return LipClosureScore.pooled(chosen) if chosen else None


def inner_lip_gaps(rig: ARKitRig, weights: np.ndarray) -> np.ndarray:
    """(T,) inner-lip gap in metres of (T, 52) ARKit weights posed on ``rig``, a chunk of frames at a time."""
    return np.concatenate([rig.inner_lip_gap(rig(weights[i: i + POSE_CHUNK]))
                           for i in range(0, len(weights), POSE_CHUNK)])


def analysed(audio: Path, text: str | None, recognizer: str) -> tuple[SpeechAnalysis, float, bool]:
    """A clip's English analysis with ``text`` as the transcript, or recognised by ``recognizer``; the seconds it
    took and whether it warned that it fell back to phone recognition."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        analysis = analyse_speech(audio, text, keep_waveform=True, recognizer=recognizer, language="en")
        seconds = time.perf_counter() - start
    return analysis, seconds, any("fall" in str(w.message).lower() for w in caught)


def run_input(recognizer: str | None, motions: list[str], clips: list[ReferenceClip], rig: ARKitRig,
              fps: float, analyse=analysed) -> dict[Mode, Result]:
    """Analyse every clip once with the transcript (``recognizer`` None) or the recogniser (``analyse``:
    :func:`analysed`, perhaps cached), make each motion of it (no performance layer: it leaves the mouth alone),
    and score each against the clip's reference phonemes."""
    pipelines = {motion: SpeechToFace(motion_strategy(motion), performance=None) for motion in motions}
    results = {Mode(recognizer, motion): Result() for motion in motions}
    for index, clip in enumerate([clips[0], *clips]):  # the first pass warms up
        analysis, seconds, fell_back = analyse(clip.audio, clip.text if recognizer is None else None,
                                               recognizer or DEFAULT_RECOGNIZER)
        for motion, pipeline in pipelines.items():
            start = time.perf_counter()
            animation = pipeline.animate_analysis(analysis, fps)
            if not index:
                continue
            result = results[Mode(recognizer, motion)]
            result.seconds += seconds + time.perf_counter() - start
            result.speech_seconds += clip.duration
            if fell_back:
                result.fallbacks[clip.speaker] = result.fallbacks.get(clip.speaker, 0) + 1
            score = lip_closure_score(inner_lip_gaps(rig, animation.weights), clip.phonemes, fps)
            result.scores.setdefault("espeak" if clip.source == "espeak" else "real", []).append(score)
    return results


def _row(cells, widths) -> str:
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def _percent(score: LipClosureScore | None) -> str:
    return f"{100 * score.closure_rate:.1f}" if score is not None and score.bilabials else "-"


def print_table(split: str, clips: list[ReferenceClip], results: dict[Mode, Result], fps: float) -> None:
    sources = {s: sum(c.source == s for c in clips) for s in ("espeak", "ljspeech", "arctic")}
    bilabials = sum(p.phone in ("P", "B", "M") for c in clips for p in c.phonemes)
    print(f"\n{split} split: {len(clips)} clips, {sum(c.duration for c in clips):.0f} s of speech "
          f"({sources['espeak']} eSpeak NG, {sources['ljspeech']} LJ Speech, {sources['arctic']} ARCTIC), "
          f"{bilabials} reference /p b m/; lips closed below 2 mm at {fps:g} fps on the default head")
    widths = (24, 10, 9, 6, 9, 7, 16, 18, 9, 6)
    print(_row(("input", "motion", "closed", "%", "eSpeak %", "real %", "bilabial gap mm", "open-vowel gap mm",
                "fallbacks", "s/s"), widths))
    for mode, result in results.items():
        everything = result.pooled()
        print(_row((mode.label, mode.motion, f"{everything.closed}/{everything.bilabials}", _percent(everything),
                    _percent(result.pooled({"espeak"})), _percent(result.pooled({"real"})),
                    f"{everything.mean_bilabial_gap_mm:.2f}", f"{everything.mean_open_vowel_gap_mm:.1f}",
                    sum(result.fallbacks.values()), f"{result.seconds / result.speech_seconds:.3f}"), widths),
              flush=True)
    for mode, result in results.items():
        if result.fallbacks:
            speakers = {c.speaker: sum(d.speaker == c.speaker for d in clips) for c in clips}
            print(f"  fallbacks of {mode.label}, {mode.motion}, by speaker: "
                  + ", ".join(f"{k} {n}/{speakers[k]}" for k, n in sorted(result.fallbacks.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"the set's folder (default {DEFAULT_DATA})")
    parser.add_argument("--splits", default="held-out,tuning", help="comma-separated: held-out, tuning")
    parser.add_argument("--recognizers", default=DEFAULT_RECOGNIZER,
                        help="comma-separated recognisers for the no-transcript rows, e.g. phonetic,whisper")
    parser.add_argument("--motions", default="procedural,learned",
                        help="comma-separated: procedural, learned (the shipped model), learned=FOLDER")
    parser.add_argument("--no-transcript-rows", action="store_true", help="skip the rows with the transcript")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--limit", type=int, default=None, help="first N clips of each split (a quick look)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="keep each clip's analysis here (joblib) and reuse it, s/s included, on later runs with "
                             "other motions; delete it when the analysis code changes")
    args = parser.parse_args()
    clips = load_reference_clips(args.data)
    recognizers = ([] if args.no_transcript_rows else [None]) + [r for r in args.recognizers.split(",") if r]
    motions = args.motions.split(",")
    analyse = analysed if args.cache is None else joblib.Memory(args.cache, verbose=0).cache(analysed)
    rig = ARKitRig.default()
    started = time.perf_counter()
    for split in args.splits.split(","):
        chosen = [c for c in clips if c.split == split][: args.limit]
        if not chosen:
            raise SystemExit(f"no clips in split {split!r}")
        results = {}
        for recognizer in recognizers:
            results |= run_input(recognizer, motions, chosen, rig, args.fps, analyse)
            print(f"{split}: {Mode(recognizer, '').label} done ({time.perf_counter() - started:.0f} s)",
                  file=sys.stderr, flush=True)
        print_table(split, chosen, results, args.fps)
    print(f"\ntotal wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
