"""Recognisers for speech without a transcript, side by side: phone error rate, frame agreement, lip closure, speed.

Candidates (issue 13, item 1):

- ``phonetic``: pocketsphinx all-phone recognition in Silero VAD's speech spans
  (:func:`facemotion.text.recognition.phones_in_spans`), the package's ``recognizer="phonetic"``;
- ``hama``: hama's IPA CTC phone recogniser, greedy decoding, IPA -> ARPAbet
  (:func:`facemotion.text.hama_phones.hama_phonemes` on the whole clip; the package's ``recognizer="hama"`` decodes
  Silero VAD's spans with 0.25 s of context, :func:`~facemotion.text.hama_phones.hama_phones_in_spans`);
- ``whisper-tiny.en`` and ``whisper`` (base): Whisper's transcript force-aligned
  (:func:`facemotion.text.recognition.recognize_speech`).

Reference: the forced alignment of the true transcript (:func:`facemotion.text.alignment.align`) of each clip
of ``../shared/data/speech/ljspeech`` (LJ Speech, one US-English reader) and of ``arctic_a0007`` (CMU ARCTIC).
That reference uses pocketsphinx's acoustic model and CMUdict, as the Whisper rows do after transcription: when
Whisper's words are right, their phones are the reference's phones by construction, and their boundaries come
from the same aligner, so PER and frame agreement favour the Whisper rows; hama and pocketsphinx all-phone are
scored against another system's idea of the phones and their timing.

Columns:

- PER: Levenshtein distance between the recognised and the reference phone strings (pauses removed), summed
  over clips, over the reference length (``facemotion.metrics.phone_error_rate``);
- frames: share of 10 ms frames whose labels agree, pauses included (gaps between VAD spans count as pauses);
- closure: share of the reference's /p b m/ where the procedural motion made from the recognised phonemes
  (``SpeechToFace().animate_analysis`` on the analysis of ``analyse_speech``, its phonemes replaced) brings the inner-lip
  gap of the default head below 2 mm at some frame inside the phone (:func:`facemotion.metrics.lip_closure_score`,
  30 fps); also the mean bilabial gap and open-vowel gap in mm;
- wall and CPU seconds per second of audio of the recogniser alone (models loaded beforehand, VAD included for
  the rows that use it; CPU = ``time.process_time``, all threads of the process). The machine is shared: wall
  times are noisy.

Per-clip times penalise Whisper on short clips (it pads every input to a 30 s window); ``--minute-only`` times
each recogniser on about 60 s of LJ Speech in one piece instead.

Usage: ``FACEMOTION_CACHE=... PYTHONPATH=. python -m benchmarks.recognizers [--clips N] [--fps 30] [--minute-only]``.
"""

import argparse
import csv
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from benchmarks.alignment_accuracy import frame_agreement
from facemotion.audio.vad import speech_spans
from facemotion.face_models.arkit import ARKitRig
from facemotion.metrics import LipClosureScore, lip_closure_score, phone_error_rate
from facemotion.pipelines.speech_analysis import analyse_speech
from facemotion.pipelines.speech_to_face import SpeechToFace
from facemotion.text.alignment import AlignmentError, align
from facemotion.text.hama_phones import hama_model, hama_phonemes
from facemotion.text.phonemes import SILENCE, PhonemeSegment
from facemotion.text.recognition import phones_in_spans, recognize_speech, whisper_model

SPEECH_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"
ARCTIC = ("arctic_a0007", SPEECH_DIR / "arctic_a0007.wav", "And you always want to see it in the superlative degree.")
RATE = 16000
POSE_CHUNK = 512

Recognizer = Callable[[np.ndarray, list[tuple[float, float]]], list[PhonemeSegment]]


def _whisper(name: str) -> Recognizer:
    def run(waveform: np.ndarray, spans: list[tuple[float, float]]) -> list[PhonemeSegment]:
        return list(recognize_speech(waveform, spans, name).phonemes)
    return run


RECOGNIZERS: dict[str, tuple[Recognizer, bool]] = {
    "phonetic (pocketsphinx all-phone)": (lambda w, spans: phones_in_spans(w, spans), True),
    "hama (IPA CTC, greedy)": (lambda w, spans: list(hama_phonemes(w).phonemes), False),
    "whisper-tiny.en + alignment": (_whisper("whisper-tiny.en"), True),
    "whisper base + alignment": (_whisper("whisper-base"), True),
}
"""Row label -> (recogniser, whether it needs Silero VAD's spans)."""


@dataclass
class Tally:
    """Pooled scores of one recogniser."""

    edits: float = 0.0
    reference_phones: int = 0
    agree_frames: float = 0.0
    frames: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    closures: list[LipClosureScore] = field(default_factory=list)
    warnings: int = 0


def clips(limit: int | None) -> list[tuple[str, Path, str]]:
    """(name, path, transcript) of the LJ Speech clips (metadata order, at most ``limit``) and the ARCTIC clip."""
    with (SPEECH_DIR / "ljspeech" / "metadata.csv").open(encoding="utf-8") as f:
        lj = [(row[0], SPEECH_DIR / "ljspeech" / f"{row[0]}.flac", row[1]) for row in csv.reader(f, delimiter="|")]
    return (lj[:limit] if limit else lj) + [ARCTIC]


def contiguous(segments: list[PhonemeSegment], duration: float) -> list[tuple[str, float, float]]:
    """(phone, start, end) covering [0, duration] s: gaps between segments become pauses."""
    spans, t = [], 0.0
    for s in segments:
        if s.start > t + 1e-6:
            spans.append((SILENCE, t, s.start))
        spans.append((s.phone, s.start, s.end))
        t = s.end
    if duration > t + 1e-6:
        spans.append((SILENCE, t, duration))
    return spans


def inner_lip_gaps(rig: ARKitRig, weights: np.ndarray) -> np.ndarray:
    """(T,) inner-lip gap in metres of (T, 52) ARKit weights posed on ``rig``."""
    return np.concatenate([rig.inner_lip_gap(rig(weights[i: i + POSE_CHUNK]))
                           for i in range(0, len(weights), POSE_CHUNK)])


def closure(analysis, phonemes, reference, rig: ARKitRig, face: SpeechToFace, fps: float) -> LipClosureScore:
    """Lip closure of the procedural motion made from ``phonemes``, scored on the ``reference`` segments."""
    weights = face.animate_analysis(replace(analysis, phonemes=tuple(phonemes)), fps).weights
    return lip_closure_score(inner_lip_gaps(rig, weights), reference, fps)


def warm_up(waveform: np.ndarray, spans) -> dict[str, float]:
    """Load every model once (outside the timings); seconds each first call took."""
    loads = {}
    for label, (run, _) in RECOGNIZERS.items():
        start = time.perf_counter()
        if "whisper base" in label:
            whisper_model("whisper-base")
        elif "tiny" in label:
            whisper_model("whisper-tiny.en")
        elif "hama" in label:
            hama_model()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run(waveform, spans)
        loads[label] = time.perf_counter() - start
    return loads


def _row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def print_table(title: str, tallies: dict[str, Tally], transcript: list[LipClosureScore], audio: float) -> None:
    print(f"\n{title}: {audio:.1f} s of audio\n")
    print(_row(("recogniser", "PER %", "frames agree %", "lips close on /p b m/", "bilabial gap mm",
                "open-vowel gap mm", "wall s / s audio", "CPU s / s audio", "warnings")))
    print(_row(["---"] * 9))
    pooled = LipClosureScore.pooled(transcript)
    print(_row(("(true transcript, aligned: the reference)", "0", "100",
                f"{pooled.closed} / {pooled.bilabials} ({100 * pooled.closure_rate:.0f} %)",
                f"{pooled.mean_bilabial_gap_mm:.2f}", f"{pooled.mean_open_vowel_gap_mm:.1f}", "-", "-", "-")))
    for label, t in tallies.items():
        c = LipClosureScore.pooled(t.closures)
        print(_row((label, f"{100 * t.edits / t.reference_phones:.1f}", f"{100 * t.agree_frames / t.frames:.1f}",
                    f"{c.closed} / {c.bilabials} ({100 * c.closure_rate:.0f} %)", f"{c.mean_bilabial_gap_mm:.2f}",
                    f"{c.mean_open_vowel_gap_mm:.1f}", f"{t.wall / audio:.3f}", f"{t.cpu / audio:.3f}",
                    t.warnings)))


def speed_on_a_minute() -> None:
    """Wall and CPU time of each recogniser on about 60 s of LJ Speech (clips joined by 0.3 s pauses), warm."""
    from benchmarks.recognizer_speed import LJSPEECH, minute_of_speech

    waveform, _ = minute_of_speech(LJSPEECH)
    duration = waveform.size / RATE
    start, cpu = time.perf_counter(), time.process_time()
    spans = speech_spans(waveform)
    vad = time.perf_counter() - start, time.process_time() - cpu
    warm_up(waveform[: 5 * RATE], speech_spans(waveform[: 5 * RATE]))
    print(f"\nSpeed on {duration:.1f} s of speech in one piece (models loaded; Silero VAD {vad[0]:.2f} s wall, "
          f"{vad[1]:.2f} s CPU, included where used)\n")
    print(_row(("recogniser", "wall s", "CPU s", "wall s / s audio", "CPU s / s audio", "x real time (wall)")))
    print(_row(["---"] * 6))
    for label, (run, uses_vad) in RECOGNIZERS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start, cpu = time.perf_counter(), time.process_time()
            run(waveform, spans)
            wall, used = time.perf_counter() - start, time.process_time() - cpu
        if uses_vad:
            wall, used = wall + vad[0], used + vad[1]
        print(_row((label, f"{wall:.2f}", f"{used:.2f}", f"{wall / duration:.3f}", f"{used / duration:.3f}",
                    f"{duration / wall:.1f}x")), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=None, help="at most this many LJ Speech clips (default all)")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--minute-only", action="store_true", help="only the speed table on a minute of speech")
    args = parser.parse_args()
    if args.minute_only:
        speed_on_a_minute()
        return
    rig, face = ARKitRig.default(), SpeechToFace()
    sets = {"LJ Speech": {}, "arctic_a0007": {}}
    totals = {name: {label: Tally() for label in RECOGNIZERS} for name in sets}
    transcript_scores: dict[str, list[LipClosureScore]] = {name: [] for name in sets}
    audio = {name: 0.0 for name in sets}
    skipped = []
    loads = None
    for name, path, text in clips(args.clips):
        group = "arctic_a0007" if name == ARCTIC[0] else "LJ Speech"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            analysis = analyse_speech(path, recognizer="phonetic", keep_waveform=True)
        waveform = analysis.waveform
        duration = waveform.size / RATE
        try:
            reference = align(waveform, text)
        except AlignmentError as error:
            skipped.append(f"{name} ({error})")
            continue
        ref_phones = [s.phone for s in reference]
        ref_spans = [(s.phone, s.start, s.end) for s in reference]
        start, cpu = time.perf_counter(), time.process_time()
        spans = speech_spans(waveform)
        vad_wall, vad_cpu = time.perf_counter() - start, time.process_time() - cpu
        if loads is None:
            loads = warm_up(waveform, spans)
        audio[group] += duration
        transcript_scores[group].append(closure(analysis, reference, reference, rig, face, args.fps))
        line = [f"{name} {duration:.1f} s:"]
        for label, (run, uses_vad) in RECOGNIZERS.items():
            tally = totals[group][label]
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                start, cpu = time.perf_counter(), time.process_time()
                found = run(waveform, spans)
                tally.wall += time.perf_counter() - start + (vad_wall if uses_vad else 0.0)
                tally.cpu += time.process_time() - cpu + (vad_cpu if uses_vad else 0.0)
            tally.warnings += len(caught)
            n_ref = sum(p != SILENCE for p in ref_phones)
            per = phone_error_rate(ref_phones, [s.phone for s in found])
            tally.edits += per * n_ref
            tally.reference_phones += n_ref
            n_frames = int(round(duration * 100))
            tally.agree_frames += frame_agreement(ref_spans, contiguous(found, duration)) * n_frames
            tally.frames += n_frames
            tally.closures.append(closure(analysis, found, reference, rig, face, args.fps))
            line.append(f"{label.split()[0]} PER {100 * per:.0f}%")
        print(" ".join(line), flush=True)
    print("\nModel load + first call (s, wall):", ", ".join(f"{k}: {v:.1f}" for k, v in (loads or {}).items()))
    if skipped:
        print("Skipped (the true transcript did not align):", "; ".join(skipped))
    print("Timing: 2 CPU cores shared with other jobs; wall times are noisy, CPU times less so.")
    for group in sets:
        if audio[group]:
            print_table(group, totals[group], transcript_scores[group], audio[group])
    pooled = {label: Tally() for label in RECOGNIZERS}
    for group in sets:
        for label, t in totals[group].items():
            p = pooled[label]
            p.edits += t.edits
            p.reference_phones += t.reference_phones
            p.agree_frames += t.agree_frames
            p.frames += t.frames
            p.wall += t.wall
            p.cpu += t.cpu
            p.closures += t.closures
            p.warnings += t.warnings
    print_table("All clips", pooled, [s for g in sets for s in transcript_scores[g]], sum(audio.values()))


if __name__ == "__main__":
    main()
