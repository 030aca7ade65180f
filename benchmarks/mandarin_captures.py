"""Mandarin phones on the FACEGOOD captures: the procedural path with English phones, with Whisper's Mandarin.

The FACEGOOD takes (``../shared/data/facegood``, one Mandarin speaker, :func:`facemotion.data.facegood.load_facegood`)
come without transcripts. Each take's audio (cropped to its motion, as ``benchmarks/motion_quality.py`` does) is
animated by the procedural pipeline (:func:`facemotion.animate`, ``performance=None``: the performance layer leaves
the mouth alone; 30 fps, the captures' rate) in each of these input modes (``--modes``):

- ``phonetic``: pocketsphinx's English all-phone recognition, no transcript (``recognizer="phonetic"``; what the
  FACEGOOD benchmarks used before languages: English phones read into Mandarin speech);
- ``hama``: hama's IPA phone recognition, no transcript (``recognizer="hama"``, the fallback recogniser);
- ``zh``: ``language="zh"`` without a transcript: Whisper base's Mandarin transcript (pypinyin and pinyin-to-ipa
  phones), cross-lingually force-aligned in pieces of Whisper's segments, as
  :func:`facemotion.text.recognition.recognize_speech` does;
- ``zh+transcript``: the same Whisper transcript (its segments' text joined) passed as the transcript, with
  ``language="zh"``: the whole take force-aligned at once (:func:`facemotion.text.alignment.phonemes_for`).

Whisper runs once per take (:func:`facemotion.text.recognition.transcribe`, greedy, told ``zh``); its
transcription is cached in ``out/mandarin_captures/`` (gitignored) and reused by both ``zh`` modes (the
``zh`` mode gets it in place of the call :func:`~facemotion.text.recognition.recognize_speech` would make, so
both modes see the same text).

Scores against the capture, on the default head (``ARKitRig.default()``, ICT-FaceKit), every frame of the take:

- ``jawOpen r``: Pearson correlation of the predicted and captured jawOpen curves;
- ``gap r``: Pearson correlation of the inner-lip gaps (``ARKitRig.inner_lip_gap`` of both curves posed on the
  head), which sees the lips as well as the jaw;
- ``LVE mm``: lip vertex error (:func:`facemotion.metrics.arkit_quality` over
  :func:`facemotion.metrics.lve_lip_region`: per frame the largest lip-vertex distance, mean over frames, mm).

The procedural path learns nothing from the captures (its mouth-opening gain was calibrated on the five training
takes 1114_2_01..05, ``benchmarks/mouth_opening.py``); 1114_3_15 is the held-out take of the learned path.
Diagnostics per mode: the share of speech-phone time whose phones came from Mandarin words (the rest was
recognised: passages the aligner rejected, or all of it for the phone recognisers), facemotion's warnings, and the
wall seconds of the animation per second of speech (without Whisper, whose transcription is cached).

Usage: ``PYTHONPATH=. python benchmarks/mandarin_captures.py [--takes 1114_3_15] [--modes phonetic,zh]`` from the
repository root. Whisper and the CPU libraries use the threads of the process's CPU affinity: run it under
``taskset -c 0`` for one thread.
"""

import argparse
import json
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from unittest import mock

import numpy as np
import soundfile as sf
import torch

from benchmarks.english_lip_closure import inner_lip_gaps
from facemotion import animate
from facemotion.audio.io import SAMPLE_RATE
from facemotion.data.clip import MotionClip
from facemotion.data.facegood import FACEGOOD_TRAIN, FACEGOOD_VALIDATION, load_facegood
from facemotion.face_models.arkit import ARKitRig
from facemotion.metrics import arkit_quality, lve_lip_region, pearson
from facemotion.text import recognition
from facemotion.text.phonemes import SILENCE, PhonemeSegment
from facemotion.text.recognition import Transcription, TranscriptSegment

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "facegood"
OUT = Path(__file__).resolve().parents[1] / "out" / "mandarin_captures"
TAKES = FACEGOOD_TRAIN + FACEGOOD_VALIDATION
LANGUAGE = "zh"


@dataclass(frozen=True)
class Mode:
    """An input mode: the recogniser, the language given, and whether Whisper's transcript is passed."""

    name: str
    recognizer: str
    language: str | None
    transcript: bool
    label: str


MODES: dict[str, Mode] = {mode.name: mode for mode in (
    Mode("phonetic", "phonetic", None, False, "English phones (phonetic), before"),
    Mode("hama", "hama", None, False, "IPA phone recognition (hama)"),
    Mode("zh", "whisper", LANGUAGE, False, "`language=\"zh\"`, no transcript"),
    Mode("zh+transcript", "whisper", LANGUAGE, True, "Whisper's transcript given, `zh`"),
)}


@dataclass(frozen=True)
class Score:
    """One animation against the capture: jawOpen r, inner-lip-gap r, lip LVE mm, and diagnostics."""

    jaw_open_r: float
    gap_r: float
    lve_mm: float
    aligned: float
    warnings: tuple[str, ...]
    seconds: float


def whisper_transcription(clip: MotionClip, out: Path = OUT) -> Transcription:
    """Whisper base's Mandarin transcription of a take, cached in ``out`` (keyed by the take and its length)."""
    path = out / f"whisper-{clip.name}-{LANGUAGE}-{clip.audio.size}.json"
    if path.is_file():
        saved = json.loads(path.read_text(encoding="utf-8"))
        return Transcription(saved["language"], saved["language_probability"],
                             tuple(TranscriptSegment(**segment) for segment in saved["segments"]))
    transcription = recognition.transcribe(clip.audio, "whisper", LANGUAGE)
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(transcription), ensure_ascii=False, indent=1), encoding="utf-8")
    return transcription


@contextmanager
def cached_whisper(transcription: Transcription, n_samples: int) -> Iterator[None]:
    """Within the block, :func:`facemotion.text.recognition.recognize_speech` gets ``transcription`` instead of
    running Whisper on the take (a waveform of ``n_samples``, told :data:`LANGUAGE`); Whisper runs on anything else
    (a stretch heard in another language)."""
    whisper = recognition.transcribe

    def transcribe(waveform: np.ndarray, recognizer: str = "whisper", language: str | None = None) -> Transcription:
        if waveform.size != n_samples or language != LANGUAGE:
            return whisper(waveform, recognizer, language)
        return transcription

    with mock.patch.object(recognition, "transcribe", transcribe):
        yield


def aligned_share(phonemes: Sequence[PhonemeSegment]) -> float:
    """The share of speech-phone time (not silence) whose phones belong to a word (aligned text), in [0, 1]."""
    speech = [p for p in phonemes if p.phone != SILENCE]
    total = sum(p.end - p.start for p in speech)
    return sum(p.end - p.start for p in speech if p.word is not None) / total if total else float("nan")


def animate_take(clip: MotionClip, mode: Mode, transcription: Transcription | None, wav: Path):
    """The procedural animation of a take in a mode, its warnings, and its wall seconds."""
    transcript = " ".join(s.text for s in transcription.segments) if mode.transcript else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        if mode.recognizer == "whisper" and not mode.transcript:
            with cached_whisper(transcription, clip.audio.size):
                animation = animate(wav, transcript, fps=clip.fps, recognizer=mode.recognizer, performance=None,
                                    language=mode.language)
        else:
            animation = animate(wav, transcript, fps=clip.fps, recognizer=mode.recognizer, performance=None,
                                language=mode.language)
        seconds = time.perf_counter() - start
    # pocketsphinx's own DeprecationWarning (importlib.resources.path) is not facemotion's to count
    return animation, tuple(str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)), seconds


def score_take(clip: MotionClip, modes: Sequence[Mode], rig: ARKitRig, region: np.ndarray,
               out: Path = OUT) -> dict[str, Score]:
    """Every mode's animation of one take scored against its capture."""
    transcription = whisper_transcription(clip, out) if any(m.language == LANGUAGE for m in modes) else None
    captured_gap = inner_lip_gaps(rig, clip.motion)
    scores = {}
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / f"{clip.name}.wav"
        sf.write(wav, clip.audio, SAMPLE_RATE, subtype="FLOAT")
        for mode in modes:
            animation, caught, seconds = animate_take(clip, mode, transcription, wav)
            if len(animation.weights) < clip.n_frames:
                raise ValueError(f"{clip.name}: {len(animation.weights)} frames for {clip.n_frames}")
            weights = animation.weights[: clip.n_frames]
            quality = arkit_quality(weights, clip.motion, rig, region, clip.channel_mask)
            gap_r = pearson(inner_lip_gaps(rig, weights), captured_gap)
            scores[mode.name] = Score(quality.jaw_open_r, gap_r, quality.lip_lve_mm,
                                      aligned_share(animation.phonemes), caught, seconds)
    return scores


def print_tables(takes: Sequence[MotionClip], modes: Sequence[Mode], scores: dict[str, dict[str, Score]]) -> None:
    """The markdown table of scores (take rows, one column per mode) and the diagnostics per mode."""
    print("\njawOpen r / inner-lip-gap r / lip LVE mm of the procedural path against the capture:\n")
    print("| take | s | " + " | ".join(m.label for m in modes) + " |")
    print("|---|---|" + "---|" * len(modes))
    for clip in takes:
        cells = [f"{s.jaw_open_r:.3f} / {s.gap_r:.3f} / {s.lve_mm:.2f}"
                 for s in (scores[clip.name][m.name] for m in modes)]
        held_out = " (held out)" if clip.name in FACEGOOD_VALIDATION else ""
        print(f"| {clip.name}{held_out} | {clip.duration:.0f} | " + " | ".join(cells) + " |")
    if len(takes) > 1:
        cells = []
        for mode in modes:
            chosen = [scores[clip.name][mode.name] for clip in takes]
            cells.append(" / ".join(f"{np.mean([getattr(s, a) for s in chosen]):.{d}f}"
                                    for a, d in (("jaw_open_r", 3), ("gap_r", 3), ("lve_mm", 2))))
        print(f"| **mean of {len(takes)}** | {sum(c.duration for c in takes):.0f} | " + " | ".join(cells) + " |")
    print("\n| mode | phone time from Mandarin words | warnings | s per s of speech |")
    print("|---|---|---|---|")
    duration = sum(c.duration for c in takes)
    for mode in modes:
        chosen = [scores[clip.name][mode.name] for clip in takes]
        aligned = np.nansum([s.aligned * c.duration for s, c in zip(chosen, takes)]) / duration
        print(f"| {mode.label} | {100 * aligned:.0f} % | {sum(len(s.warnings) for s in chosen)} | "
              f"{sum(s.seconds for s in chosen) / duration:.3f} |")
    for clip in takes:
        for mode in modes:
            for message in scores[clip.name][mode.name].warnings:
                print(f"  warning, {clip.name}, {mode.name}: {message[:200]}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the FACEGOOD folder (default: %(default)s)")
    parser.add_argument("--takes", default=",".join(TAKES), help="comma-separated takes (default: all six)")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modes.split(",") if m not in MODES]
    if unknown:
        parser.error(f"unknown modes {unknown}: choose from {', '.join(MODES)}")
    modes = [MODES[m] for m in args.modes.split(",")]
    torch.set_num_threads(1)
    rig = ARKitRig.default()
    region = lve_lip_region(rig)
    takes, scores = [], {}
    started = time.perf_counter()
    for name in args.takes.split(","):
        clip = load_facegood(args.data, name).cropped()
        takes.append(clip)
        scores[name] = score_take(clip, modes, rig, region)
        print(f"{name} done ({time.perf_counter() - started:.0f} s): "
              + ", ".join(f"{m}: r {s.jaw_open_r:.3f}" for m, s in scores[name].items()), flush=True)
    print_tables(takes, modes, scores)
    print(f"\ntotal wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
