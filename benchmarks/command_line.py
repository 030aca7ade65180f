"""Whole-process speed from the command line, start-up included, as a user runs it (issue 17's table).

Rows: ``facemotion --help``; ``animate`` on a short line and on a minute of speech, with and without a transcript;
``batch`` on N short lines with one job (in process) and with two (a two-worker Dask ``LocalCluster``). Each row is
the best of ``--repeats`` runs of a fresh process; x real time is seconds of speech over wall seconds. Speech: the
repository's own clips (``tests/fixtures/speech``: arctic_a0007, 4.0 s; ljspeech_minute, LJ Speech, 61.4 s).
Run: ``python -m benchmarks.command_line [--lines 100] [--repeats 3]``.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT / "tests" / "fixtures" / "speech"
SHORT, MINUTE = SPEECH / "arctic_a0007.wav", SPEECH / "ljspeech_minute.flac"
FACEMOTION = [sys.executable, "-m", "facemotion"]


def best_of(command: list[str], repeats: int, before=lambda: None) -> float:
    """The shortest wall time of ``repeats`` runs of ``command`` (``before`` runs untimed ahead of each)."""
    best = float("inf")
    for _ in range(repeats):
        before()
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def batch_folder(folder: Path, n_lines: int) -> float:
    """Write ``n_lines`` copies of the short clip with its transcript; returns their total seconds of speech."""
    for i in range(n_lines):
        shutil.copy(SHORT, folder / f"line{i:04d}.wav")
        shutil.copy(SHORT.with_suffix(".txt"), folder / f"line{i:04d}.txt")
    return n_lines * sf.info(str(SHORT)).duration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100, help="voice lines in the batch rows")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = [("facemotion --help", 0.0, best_of([*FACEMOTION, "--help"], args.repeats))]
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        for clip in (SHORT, MINUTE):
            seconds = sf.info(str(clip)).duration
            for label, text in (("transcript", ["--transcript", str(clip.with_suffix(".txt"))]), ("Whisper", [])):
                command = [*FACEMOTION, "animate", str(clip), *text, "-q", "-o", str(work / "take.csv")]
                rows.append((f"animate {seconds:.0f} s, {label}", seconds, best_of(command, args.repeats)))
        (work / "lines").mkdir()
        speech = batch_folder(work / "lines", args.lines)
        for jobs in (1, 2):
            out = work / f"out{jobs}"
            command = [*FACEMOTION, "batch", str(work / "lines"), "-o", str(out), "--format", "csv", "-q",
                       "--jobs", str(jobs)]
            fresh = lambda out=out: (shutil.rmtree(out, ignore_errors=True), out.mkdir())
            engine = "in process" if jobs == 1 else "Dask LocalCluster"
            rows.append((f"batch {args.lines} lines, {jobs} job(s), {engine}", speech,
                         best_of(command, min(args.repeats, 2), fresh)))
    print(f"{'command (whole process)':<44} {'speech s':>9} {'wall s':>8} {'x real time':>12}")
    for name, seconds, wall in rows:
        speed = f"{seconds / wall:.1f}" if seconds else "-"
        print(f"{name:<44} {seconds:>9.1f} {wall:>8.2f} {speed:>12}")


if __name__ == "__main__":
    main()
