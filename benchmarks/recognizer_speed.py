"""What each way to phonemes costs, measured as a user runs it: ``facemotion animate`` as a whole process.

On about 60 s of real English speech (LJ Speech clips of ``../shared/data/speech/ljspeech`` joined with 0.3 s
pauses; without ``../shared``, the bundled LJ001-0001 repeated), prints for the transcript and for each recogniser
the wall time of ``facemotion animate SPEECH [--text ...] [--recognizer R] -o take.npz -q`` (start-up, model
loading, analysis, export; best of ``--repeats``) and its real-time factor (audio seconds / wall seconds), then,
in one warm process, the time of Whisper's transcription alone for each Whisper recogniser.

Run: ``python -m benchmarks.recognizer_speed [--repeats 2]``.
"""

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

ROOT = Path(__file__).resolve().parents[1]
LJSPEECH = ROOT.parent / "shared" / "data" / "speech" / "ljspeech"
SAMPLE = ROOT / "assets" / "samples" / "LJ001-0001.flac"
RATE = 16000


def minute_of_speech(folder: Path, seconds: float = 60.0) -> tuple[np.ndarray, str]:
    """(S,) float32 16 kHz speech of at least ``seconds`` (whole clips joined by 0.3 s of silence) and its text."""
    if (folder / "metadata.csv").is_file():
        with (folder / "metadata.csv").open(encoding="utf-8") as f:
            clips = [(folder / f"{row[0]}.flac", row[1]) for row in csv.reader(f, delimiter="|")]
    else:
        clips = [(SAMPLE, SAMPLE.with_suffix(".txt").read_text(encoding="utf-8").strip())] * 7
    pieces, texts, total = [], [], 0.0
    for path, text in clips:
        samples, rate = sf.read(str(path), dtype="float32")
        pieces += [soxr.resample(samples, rate, RATE).astype(np.float32), np.zeros(int(0.3 * RATE), np.float32)]
        texts.append(text)
        total += len(pieces[-2]) / RATE + 0.3
        if total >= seconds:
            break
    return np.concatenate(pieces), " ".join(texts)


def whole_process(speech: Path, extra: list[str], repeats: int) -> float:
    """Best wall time in seconds of ``facemotion animate`` in a new Python process."""
    best = float("inf")
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "facemotion", "animate", str(speech), *extra, "-o", f"{folder}/take.npz",
                   "-q"]
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    from facemotion.text.recognition import RECOGNIZERS, transcribe, whisper_model, whisper_recognizers

    waveform, text = minute_of_speech(LJSPEECH)
    duration = waveform.size / RATE
    with tempfile.TemporaryDirectory() as folder:
        speech = Path(folder) / "minute.wav"
        sf.write(str(speech), waveform, RATE)
        print(f"{duration:.1f} s of speech; whole process `facemotion animate ... -o take.npz -q`, best of "
              f"{args.repeats}")
        print("| input | wall s | real-time factor |\n|---|---|---|")
        modes = [("transcript (--text)", ["--text", text])]
        modes += [(f"--recognizer {name}", ["--recognizer", name]) for name in RECOGNIZERS]
        for label, extra in modes:
            wall = whole_process(speech, extra, args.repeats)
            print(f"| {label} | {wall:.2f} | {duration / wall:.1f}x |", flush=True)
    print("\nWhisper transcription alone, warm, in one process (int8, greedy):")
    print("| recogniser | load s | transcribe s | real-time factor |\n|---|---|---|---|")
    for name in whisper_recognizers():
        start = time.perf_counter()
        whisper_model(name)
        load = time.perf_counter() - start
        start = time.perf_counter()
        transcribe(waveform, name)
        took = time.perf_counter() - start
        print(f"| {name} | {load:.2f} | {took:.2f} | {duration / took:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
