"""How wide the procedural mouth opens, against the FACEGOOD captures: issue 13's mouth-opening calibration.

The measure is the inner-lip gap of the shipped head (:meth:`ARKitRig.inner_lip_gap`: the smallest vertical
opening between the inner-lip landmark pairs, mm) over speech frames, summarised by its 50th, 90th and 99th
percentiles and its maximum, with the same percentiles of jawOpen. Rows:

- ``captured``: the FACEGOOD curves mapped to ARKit by :func:`facemotion.data.facegood.load_facegood` (the
  project's mapping, ``mouth_oh_c`` included), over the frames inside Silero voice activity of each take's own
  audio (:func:`benchmarks.facegood_takes.speech_frames`); the five training takes (``fit``) and the held-out
  take 1114_3_15 (``check``) apart;
- ``procedural, FACEGOOD audio``: the procedural path on the same audio (no transcript: the speech is Mandarin,
  so English phones are recognised, :func:`recognised`), over the same frames: the same-speech comparison;
- ``procedural, English``: the procedural path on the English clips of ``../shared/data/speech`` (the 30 LJ
  Speech clips of ``ljspeech/`` and arctic_a0007, force-aligned to their transcripts), over the frames inside
  its voice activity. Another language and speaker than the capture: compare distributions, not frames.

``before`` is the table and jaw gain the shipped model was trained with (the model folder's ``visemes.yaml``,
a snapshot of ``assets/visemes.yaml`` before the calibration, and :data:`BEFORE_PROSODY`); ``after`` is what
ships now (``assets/visemes.yaml``, ``ProsodySettings()``). A last table checks that the calibration keeps the
lips closing: on the English clips, the share of aligned /p b m/ whose gap falls below 2 mm at some frame of the
phoneme, and the median over open vowels (AA AE AH AO) of their widest gap.

``--fit`` repeats the two fits the shipped numbers come from, on the five training takes only (the held-out
take and the English clips are checks). 1, the jaw gain: how much the captured jaw opens at each loudness
(:func:`jaw_loudness_profile`) gives the slope of the gain line, hence ``min_gain`` at the unchanged
``range_db``. 2, the open vowels: with that gain, the open-vowel visemes' (:data:`OPEN_VOWEL_VISEMES`) jaw and
lower-lip channels (:data:`SCALED_CHANNELS`) of ``before`` are multiplied by the scale (:data:`SCALES`) whose
procedural gap on the takes' audio best matches their captured 90th and 99th percentiles.

Usage: ``python -m benchmarks.mouth_opening [--fit] [--data DIR] [--speech DIR]`` from the repository root;
needs ``../shared/data/facegood`` and ``../shared/data/speech``. Several minutes on 2 CPU cores (phone
recognition of 10 minutes of FACEGOOD audio, alignment of 3.6 minutes of English).
"""

import argparse
import csv
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.facegood_takes import speech_frames
from benchmarks.motion_quality import DATA
from facemotion.audio.features import LOUDNESS_HOP, pool_to_frames
from facemotion.audio.io import SAMPLE_RATE
from facemotion.data.clip import MotionClip
from facemotion.data.facegood import FACEGOOD_TRAIN, FACEGOOD_VALIDATION, load_facegood
from facemotion.face_models.arkit import ARKitRig
from facemotion.face_models.base import BlendshapeMesh
from facemotion.face_models.names import ARKIT_INDEX
from facemotion.motion.prosody import ProsodySettings
from facemotion.motion.speech_motion import VISEMES_FILE
from facemotion.pipelines.motion import ProceduralMotion
from facemotion.pipelines.speech_analysis import SpeechAnalysis, analyse_speech, span_mask
from facemotion.pipelines.speech_to_face import SpeechToFace
from facemotion.text.recognition import PHONETIC
from facemotion.text.visemes import VisemeTable, load_viseme_table
from facemotion.timing import frames_covering

SPEECH = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"
BEFORE_VISEMES = Path(__file__).resolve().parents[1] / "assets" / "weights" / "facegood" / VISEMES_FILE
"""The viseme table before the calibration (the shipped model's snapshot of it)."""

BEFORE_PROSODY = ProsodySettings(reference_percentile=90.0, range_db=30.0, min_gain=0.35, rest_ramp_s=0.12)
"""The jaw gain before the calibration."""

OPEN_VOWEL_VISEMES: tuple[str, ...] = ("aa", "E", "oh")
"""The visemes whose opening the fit scales (open and mid vowels; the close vowels ih and ou are left alone)."""

SCALED_CHANNELS: tuple[str, ...] = ("jawOpen", "mouthLowerDownLeft", "mouthLowerDownRight")
"""The channels the fit scales: the jaw and the lower lip."""

FPS = 30.0
PERCENTILES = (50, 90, 99)
FIT_PERCENTILES = (90, 99)
"""The gap percentiles the fit matches: the open mouth (90th) and its upper tail (99th)."""
SCALES = tuple(round(1.0 + 0.05 * i, 2) for i in range(17))
"""The open-vowel scales tried: 1 to 1.8."""
LOUDNESS_BINS = (-30.0, -25.0, -20.0, -15.0, -10.0, -5.0, 0.0)
"""dB relative to the reference level: the bins of the jaw-gain fit (below -30 dB the frames are pauses)."""
BILABIALS = {"P", "B", "M"}
OPEN_VOWELS = {"AA", "AE", "AH", "AO"}
CLOSED_MM = 2.0


@dataclass(frozen=True)
class Take:
    """One input of the procedural path: its analysis, frame count and speech frames (T,) bool."""

    name: str
    analysis: SpeechAnalysis
    n_frames: int
    speech: np.ndarray


def landmark_rig(rig: ARKitRig) -> ARKitRig:
    """``rig`` cut to its 68 landmark vertices (no faces): the same :meth:`ARKitRig.inner_lip_gap`, as each vertex
    moves on its own in a linear blendshape rig, at 1/360 of the work on the default head."""
    mesh, ids = rig.mesh, rig.landmark_vertex_ids.cpu().numpy()
    small = BlendshapeMesh(mesh.neutral[ids], np.zeros((0, 3), np.int64), mesh.deltas[:, ids], mesh.names)
    return ARKitRig(small, np.arange(len(ids)), {"lips": np.arange(len(ids))})


def lip_gap_mm(weights: np.ndarray, rig: ARKitRig) -> np.ndarray:
    """(T,) float64 inner-lip gap in mm of (T, 52) ARKit weights posed on ``rig`` (:func:`landmark_rig`)."""
    return rig.inner_lip_gap(rig(weights)).astype(np.float64) * 1000.0


def summary(gaps: np.ndarray, jaw: np.ndarray) -> list[float]:
    """Percentiles and maximum of the gap (mm), then of jawOpen."""
    return [*np.percentile(gaps, PERCENTILES), gaps.max(), *np.percentile(jaw, PERCENTILES), jaw.max()]


def scaled_table(table: VisemeTable, scale: float) -> VisemeTable:
    """``table`` with :data:`SCALED_CHANNELS` of :data:`OPEN_VOWEL_VISEMES` multiplied by ``scale`` (clipped to 1)."""
    channels = [ARKIT_INDEX[name] for name in SCALED_CHANNELS]
    poses = dict(table.poses)
    for viseme in OPEN_VOWEL_VISEMES:
        pose = poses[viseme].copy()
        pose[channels] = np.minimum(pose[channels] * np.float32(scale), 1.0)
        poses[viseme] = pose
    return dataclasses.replace(table, poses=poses)


def procedural(takes: Sequence[Take], table: VisemeTable, prosody: ProsodySettings) -> list[np.ndarray]:
    """The procedural (T, 52) weights of each take with this table and jaw gain."""
    pipeline = SpeechToFace(ProceduralMotion(table, prosody))
    return [pipeline.animate_analysis(take.analysis, FPS).weights[: take.n_frames] for take in takes]


def pooled(takes: Sequence[Take], weights: Sequence[np.ndarray], rig: ARKitRig) -> tuple[np.ndarray, np.ndarray]:
    """Gap (mm) and jawOpen over the speech frames of all takes, pooled."""
    gaps = np.concatenate([lip_gap_mm(w[t.speech], rig) for t, w in zip(takes, weights)])
    jaw = np.concatenate([w[t.speech, ARKIT_INDEX["jawOpen"]] for t, w in zip(takes, weights)])
    return gaps, jaw


def recognised(path: Path) -> SpeechAnalysis:
    """The analysis of speech without a transcript, its phones from the phone recogniser (pocketsphinx all-phone,
    English ARPAbet on any language: Whisper would only detect Mandarin and fall back to it)."""
    return analyse_speech(path, recognizer=PHONETIC)


def english_takes(folder: Path) -> list[Take]:
    """The LJ Speech clips of ``folder/ljspeech`` (metadata.csv) and arctic_a0007, force-aligned."""
    with open(folder / "ljspeech" / "metadata.csv", newline="") as file:
        clips = [(folder / "ljspeech" / f"{row[0]}.flac", row[1]) for row in csv.reader(file, delimiter="|")]
    clips.append((folder / "arctic_a0007.wav", "And you always want to see it in the superlative degree."))
    takes = []
    for path, text in clips:
        analysis = analyse_speech(path, text)
        n_frames = frames_covering(analysis.info.duration, FPS)
        takes.append(Take(path.stem, analysis, n_frames, span_mask(analysis.speech_spans, FPS, n_frames)))
    return takes


def closure_check(takes: Sequence[Take], weights: Sequence[np.ndarray], rig: ARKitRig) -> tuple[str, str]:
    """Closed /p b m/ out of all, and the median widest gap (mm) of the open vowels, on aligned takes."""
    closed = total = 0
    vowel_peaks = []
    for take, w in zip(takes, weights):
        gaps = lip_gap_mm(w, rig)
        for phone in take.analysis.phonemes:
            inside = np.arange(math.ceil(phone.start * FPS), math.floor(phone.end * FPS) + 1)
            inside = inside[inside < take.n_frames]
            if not len(inside):
                inside = np.array([min(round(0.5 * (phone.start + phone.end) * FPS), take.n_frames - 1)])
            if phone.phone in BILABIALS:
                total += 1
                closed += gaps[inside].min() < CLOSED_MM
            elif phone.phone in OPEN_VOWELS:
                vowel_peaks.append(gaps[inside].max())
    return f"{closed}/{total}", f"{np.median(vowel_peaks):.1f}"


def jaw_loudness_profile(clips: Sequence[MotionClip], takes: Sequence[Take]) -> tuple[list[tuple], float]:
    """How the captured jaw follows loudness, and the jaw gain's slope that fits it.

    Speech frames are binned by their level relative to the take's reference (the ``reference_percentile`` of its
    speech frames' level, as :func:`~facemotion.motion.prosody.jaw_gain` takes it) in :data:`LOUDNESS_BINS`; in each
    bin the 90th percentile of captured jawOpen, over that of the frames at or above the reference, is the gain
    the capture shows. The slope ``k`` (gain lost per dB) of a line through gain 1 at the reference is fitted to
    the bins by least squares weighted by their frame counts.

    Returns:
        rows ``(low dB, high dB, frames, jawOpen p90, relative gain)`` and the slope ``k`` in 1/dB.
    """
    level, jaw = [], []
    for clip, take in zip(clips, takes):
        loudness = pool_to_frames(take.analysis.loudness_db, SAMPLE_RATE / LOUDNESS_HOP, FPS, take.n_frames)
        reference = np.percentile(loudness[take.speech], BEFORE_PROSODY.reference_percentile)
        level.append(loudness[take.speech] - reference)
        jaw.append(clip.motion[take.speech, ARKIT_INDEX["jawOpen"]])
    level, jaw = np.concatenate(level), np.concatenate(jaw)
    full = np.percentile(jaw[level >= 0], 90)
    rows = []
    for low, high in zip(LOUDNESS_BINS[:-1], LOUDNESS_BINS[1:]):
        inside = jaw[(level >= low) & (level < high)]
        rows.append((low, high, len(inside), np.percentile(inside, 90), np.percentile(inside, 90) / full))
    drop = np.array([-0.5 * (low + high) for low, high, *_ in rows])
    lost = np.array([1.0 - gain for *_, gain in rows])
    counts = np.array([n for _, _, n, *_ in rows])
    return rows, float(np.sum(counts * drop * lost) / np.sum(counts * drop**2))


def fit_scale(
    takes: Sequence[Take], target: np.ndarray, table: VisemeTable, prosody: ProsodySettings, rig: ARKitRig
) -> tuple[float, np.ndarray]:
    """The open-vowel scale (:data:`SCALES`) whose gap percentiles :data:`FIT_PERCENTILES` best match ``target``
    (least squared relative error, each percentile weighted alike), and those percentiles."""
    rows = []
    for scale in SCALES:
        gaps, _ = pooled(takes, procedural(takes, scaled_table(table, scale), prosody), rig)
        percentiles = np.percentile(gaps, FIT_PERCENTILES)
        rows.append((float(np.sum(((percentiles - target) / target) ** 2)), scale, percentiles))
    _, scale, percentiles = min(rows, key=lambda row: row[0])
    return scale, percentiles


def print_table(title: str, rows: Sequence[tuple[str, list[float]]]) -> None:
    print(f"\n{title}")
    head = [f"gap p{p}" for p in PERCENTILES] + ["gap max"] + [f"jaw p{p}" for p in PERCENTILES] + ["jaw max"]
    print(f"{'':<44}" + "".join(f"{h:>9}" for h in head))
    for label, values in rows:
        print(f"{label:<44}" + "".join(f"{v:>9.1f}" for v in values[:4]) + "".join(f"{v:>9.2f}" for v in values[4:]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the FACEGOOD folder (default: %(default)s)")
    parser.add_argument("--speech", type=Path, default=SPEECH, help="English speech folder (default: %(default)s)")
    parser.add_argument("--fit", action="store_true", help="repeat the grid fit on the training takes")
    args = parser.parse_args(argv)
    rig = landmark_rig(ARKitRig.default())
    settings = {
        "before": (load_viseme_table(BEFORE_VISEMES), BEFORE_PROSODY),
        "after": (load_viseme_table(), ProsodySettings()),
    }
    groups = {"fit": FACEGOOD_TRAIN, "check": FACEGOOD_VALIDATION}
    captured, audio_takes, clips_of = {}, {}, {}
    for group, names in groups.items():
        clips = clips_of[group] = [load_facegood(args.data, name).cropped() for name in names]
        takes = [Take(c.name, recognised(args.data / f"{c.name}.wav"), c.n_frames, speech_frames(c)) for c in clips]
        captured[group] = pooled(takes, [c.motion for c in clips], rig)
        audio_takes[group] = takes
    english = english_takes(args.speech)

    rows = []
    for group, names in groups.items():
        label = f"captured, {group} ({', '.join(n[-4:] for n in names)})"
        rows.append((label, summary(*captured[group])))
    for when, (table, prosody) in settings.items():
        for group in groups:
            gaps = pooled(audio_takes[group], procedural(audio_takes[group], table, prosody), rig)
            rows.append((f"procedural, FACEGOOD audio {group}, {when}", summary(*gaps)))
    for when, (table, prosody) in settings.items():
        rows.append((f"procedural, English ({len(english)} clips), {when}",
                     summary(*pooled(english, procedural(english, table, prosody), rig))))
    print_table("Inner-lip gap (mm) and jawOpen over speech frames", rows)

    print(f"\nLip closure on the English clips (aligned /p b m/ with a gap < {CLOSED_MM:g} mm; open-vowel peak gap)")
    print(f"{'':<12}{'/p b m/ closed':>16}{'open-vowel peak mm':>20}")
    for when, (table, prosody) in settings.items():
        closed, peak = closure_check(english, procedural(english, table, prosody), rig)
        print(f"{when:<12}{closed:>16}{peak:>20}")

    if args.fit:
        rows, slope = jaw_loudness_profile(clips_of["fit"], audio_takes["fit"])
        print("\nFit 1, the jaw gain: captured jawOpen against loudness, training takes' speech frames")
        print(f"{'level re reference (dB)':<26}{'frames':>8}{'jawOpen p90':>13}{'gain':>7}")
        for low, high, count, p90, gain in rows:
            print(f"{f'{low:g} .. {high:g}':<26}{count:>8}{p90:>13.3f}{gain:>7.2f}")
        min_gain = round(1.0 - slope * BEFORE_PROSODY.range_db, 2)
        print(f"least-squares slope {slope:.4f} per dB: min_gain = 1 - slope * range_db "
              f"({BEFORE_PROSODY.range_db:g} dB) = {min_gain:.2f}")
        prosody = dataclasses.replace(BEFORE_PROSODY, min_gain=min_gain)
        target = np.percentile(captured["fit"][0], FIT_PERCENTILES)
        scale, percentiles = fit_scale(audio_takes["fit"], target, settings["before"][0], prosody, rig)
        named = lambda values: ", ".join(f"p{p} {v:.1f}" for p, v in zip(FIT_PERCENTILES, values))  # noqa: E731
        print(f"\nFit 2, the open vowels, with that jaw gain: captured gap {named(target)} mm on the training takes;")
        print(f"open-vowel jaw scale {scale:.2f}: procedural gap on their audio {named(percentiles)} mm")


if __name__ == "__main__":
    main()
