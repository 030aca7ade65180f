"""Accuracy, mismatch detection and speed of forced alignment and phone recognition.

Ground truth comes from eSpeak NG's phoneme events (``benchmarks/espeak_speech.py``: exact timings, a stop's
closure counted as part of the stop); the inner boundary of an r-coloured vowel (``ɑːɹ``, two ARPAbet phones)
is unknown and not scored.

Scored boundaries are those between two consecutive speech phones that correspond in both sequences
(a minimum-edit alignment of the eSpeak and pocketsphinx phone strings, which can differ where eSpeak's
and CMUdict's pronunciations do); boundaries at pauses are not scored, their position being
ill-defined around stop closures.

The synthetic sentences are clean, as eSpeak NG writes them (no added noise: its default voices hold
stop closures and pauses at digital silence): 16 Harvard sentences, 4 voices (US ``en-us`` and its
``+f3`` variant, British ``en`` and its ``+m3`` variant), 3 rates (140, 175, 220 words per minute).

Tables: how often :func:`phonemes_for` falls back to phone recognition on these correct transcripts,
with and without the noise floor of :data:`~facemotion.text.alignment.NOISE_FLOOR_DB`; boundary error
of :func:`phonemes_for`'s segments by voice and rate; acoustic score per frame of correct and wrong
transcripts (the mismatch criterion, :data:`~facemotion.text.alignment.MIN_WINDOW_SCORE`; the 175 wpm
sentences); three-sentence passages with the middle sentence's transcript wrong, missing or extra
(what is aligned, what is recognised); agreement of :func:`recognize_phones` with the truth (synthetic)
and with the forced alignment (real clips); real-time factors; time and peak memory of aligning long
inputs (``--long``).

Measured: of the 192 correct transcripts, without the noise floor 73 found no alignment and fell back
whole (71 in the three voices whose closures are digital silence); with it none falls back whole, 8 (all
British voices) in part, 98.9 % of the speech aligned; median boundary error 7.1 ms (6.9 ms en-us). Passages
with a wrong middle sentence: 3 of 7 aligned in part, 4 of 7 still fall back whole (no alignment even with
the wide beam); an extra sentence in the transcript: 7 of 7 whole. Speeds in these tables were measured on
2 CPU cores shared with other jobs (align 0.12x real time, against 0.03x on an idle core).

Usage: ``PYTHONPATH=. python benchmarks/alignment_accuracy.py [--long]``. Needs libespeak-ng
(Debian package ``espeak-ng``) and ``../shared/data/speech``.
"""

import argparse
import resource
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from benchmarks.espeak_speech import ESpeak, synthetic_sentence
from facemotion.metrics.phone_error_rate import phone_error_rate
from facemotion.text import alignment
from facemotion.text.alignment import MIN_WINDOW_SCORE, AlignmentError, align, phonemes_for, recognize_phones
from facemotion.text.g2p import normalise_transcript
from facemotion.text.phonemes import SILENCE, PhonemeSegment

SPEECH_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"
REAL_CLIPS = {
    "arctic_a0007": "And you always want to see it in the superlative degree.",
    "LJ001-0001": "Printing, in the only sense with which we are at present concerned, differs from most if "
                  "not from all the arts and crafts represented in the Exhibition",
}
SENTENCES = (  # Harvard sentences (IEEE Recommended Practice for Speech Quality Measurements, 1969), lists 1-2
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.",
    "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.",
    "The hogs were fed chopped corn and garbage.",
    "Four hours of steady work faced us.",
    "A large size in stockings is hard to sell.",
    "The boy was there when the sun rose.",
    "A rod is used to catch pink salmon.",
    "The source of the huge river is the clear spring.",
    "Kick the ball straight and follow through.",
    "Help the woman get back to her feet.",
    "A pot of tea helps to pass the evening.",
)
VOICES = ("en-us", "en-us+f3", "en", "en+m3")
RATES = (140, 175, 220)
"""eSpeak NG speaking rates, words per minute (175 is its default)."""

VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}


def load_clip(name: str) -> np.ndarray:
    """A real clip as 16 kHz float32 mono."""
    waveform, rate = sf.read(SPEECH_DIR / f"{name}.wav", dtype="float32")
    return np.clip(soxr.resample(waveform, rate, alignment.SAMPLE_RATE), -1, 1).astype(np.float32)


def _edit_path(reference: list[str], hypothesis: list[str]) -> list[tuple[int, int]]:
    """(i, j) pairs of corresponding phones on a minimum-edit path (substituting within vowels or consonants)."""
    def sub_cost(a: str, b: str) -> float:
        if a == b:
            return 0.0
        return 1.0 if (a in VOWELS) == (b in VOWELS) and SILENCE not in (a, b) else 3.0

    n, m = len(reference), len(hypothesis)
    cost = np.zeros((n + 1, m + 1))
    cost[:, 0], cost[0, :] = np.arange(n + 1), np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j] + 1, cost[i, j - 1] + 1,
                             cost[i - 1, j - 1] + sub_cost(reference[i - 1], hypothesis[j - 1]))
    pairs, i, j = [], n, m
    while i > 0 and j > 0:
        if cost[i, j] == cost[i - 1, j - 1] + sub_cost(reference[i - 1], hypothesis[j - 1]):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + 1:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def boundary_errors(truth, segments: list[PhonemeSegment]) -> np.ndarray:
    """Signed errors (s) of the scored boundaries: hypothesis start minus true start."""
    pairs = _edit_path([t[0] for t in truth], [s.phone for s in segments])
    errors = []
    for (i0, j0), (i1, j1) in zip(pairs[:-1], pairs[1:]):
        consecutive = i1 == i0 + 1 and j1 == j0 + 1
        speech = SILENCE not in (truth[i0][0], truth[i1][0], segments[j0].phone, segments[j1].phone)
        if consecutive and speech and truth[i1][3]:
            errors.append(segments[j1].start - truth[i1][1])
    return np.array(errors)


def frame_agreement(reference: list[tuple[str, float, float]], hypothesis: list[tuple[str, float, float]]) -> float:
    """Fraction of 10 ms frames whose labels (pauses included) agree."""
    def frames(spans):
        end = int(round(spans[-1][2] * 100))
        labels = np.empty(end, object)
        for phone, start, stop in spans:
            labels[int(round(start * 100)): int(round(stop * 100))] = phone
        return labels

    a, b = frames(reference), frames(hypothesis)
    n = min(a.size, b.size)
    return float(np.mean(a[:n] == b[:n]))


def alignment_scores(waveform: np.ndarray, transcript: str) -> tuple[float, float, float] | None:
    """Worst 1 s window and whole-alignment acoustic score per frame, and the fraction of speech phones
    at pocketsphinx's minimum duration (3 frames); None when there is no alignment."""
    try:
        spans = alignment._forced_alignment(waveform, normalise_transcript(transcript))
    except AlignmentError:
        return None
    mean = sum(s.score for s in spans) / sum(s.end - s.start for s in spans)
    shortest = np.mean([s.end - s.start <= 3 for s in spans if s.phone != SILENCE])
    return alignment._worst_window_score(spans), mean, shortest


def _row(cells, widths) -> str:
    return "  ".join(str(c).rjust(w) for c, w in zip(cells, widths))


def phonemes_with_fallback(waveform: np.ndarray, transcript: str) -> tuple[list[PhonemeSegment], str]:
    """:func:`phonemes_for`, and how it fell back: "" (not at all), "part" or "all" (from its warning)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        segments = phonemes_for(waveform, transcript)
    messages = [str(w.message) for w in caught if "forced alignment failed" in str(w.message)]
    return segments, "" if not messages else "part" if "failed in part" in messages[0] else "all"


def aligned_share(segments: list[PhonemeSegment]) -> float:
    """Fraction of the speech phones' time that carries a word (aligned rather than recognised)."""
    speech = [s for s in segments if s.phone != SILENCE]
    return sum(s.duration for s in speech if s.word is not None) / sum(s.duration for s in speech)


def time_shares(segments: list[PhonemeSegment], start: float, end: float) -> tuple[float, float, float]:
    """Shares of [start, end) s covered by aligned phones (with a word), recognised phones and pauses."""
    shares = np.zeros(3)
    for s in segments:
        overlap = min(s.end, end) - max(s.start, start)
        if overlap > 0:
            shares[0 if s.word is not None else 2 if s.phone == SILENCE else 1] += overlap
    return tuple(shares / (end - start))


def fallback_table(corpus) -> None:
    print("\nCorrect transcripts of clean eSpeak NG speech: how often phonemes_for falls back to phone recognition")
    widths = (10, 5, 5, 20, 10, 10, 16)
    print(_row(("voice", "rate", "n", "no floor: no align", "whole", "in part", "speech aligned %"), widths))
    for voice in VOICES + ("all",):
        for rate in RATES + ("all",):
            items = [c for c in corpus if voice in ("all", c["voice"]) and rate in ("all", c["rate"])]
            if (voice == "all") != (rate == "all"):
                continue
            print(_row((voice, rate, len(items), sum(c["unfloored_none"] for c in items),
                        sum(c["fallback"] == "all" for c in items), sum(c["fallback"] == "part" for c in items),
                        f"{100 * np.mean([c['aligned'] for c in items]):.1f}"), widths))


def accuracy_table(corpus) -> None:
    print("\nphonemes_for vs eSpeak NG phoneme events (|error| of boundaries between speech phones, clean speech)")
    widths = (10, 5, 9, 10, 11, 9, 8, 8, 12, 9)
    print(_row(("voice", "rate", "sentences", "boundaries", "median ms", "mean ms", "p90 ms", "bias ms",
                "<=20 ms %", "RTF"), widths))
    groups = [(voice, "all") for voice in VOICES] + [("all", rate) for rate in RATES] + [("all", "all")]
    for voice, rate in groups:
        items = [c for c in corpus if voice in ("all", c["voice"]) and rate in ("all", c["rate"])]
        errors = np.concatenate([c["errors"] for c in items]) * 1000
        rtf = sum(c["align_s"] for c in items) / sum(c["waveform"].size / 16000 for c in items)
        print(_row((voice, rate, len(items), errors.size, f"{np.median(np.abs(errors)):.1f}",
                    f"{np.mean(np.abs(errors)):.1f}", f"{np.percentile(np.abs(errors), 90):.1f}",
                    f"{np.mean(errors):+.1f}", f"{100 * np.mean(np.abs(errors) <= 20):.1f}", f"{rtf:.3f}"), widths))


def passage_table(corpus) -> None:
    print("\nThree sentences (en-us, 175 wpm) whose middle one's transcript is wrong, missing or extra: fallback, "
          "share of the outer sentences' speech aligned, shares of the middle one's speech aligned / recognised / "
          "silent, RTF")
    items = [c for c in corpus if c["voice"] == "en-us" and c["rate"] == 175]
    widths = (18, 3, 6, 8, 5, 15, 24, 6)
    print(_row(("middle transcript", "n", "whole", "in part", "none", "outer aligned %",
                "middle al./rec./sil. %", "RTF"), widths))
    for case in ("correct", "another sentence", "missing", "extra sentence"):
        outcomes, outer, middle, seconds, audio = [], [], [], 0.0, 0.0
        for k in range(0, len(items) - 2, 2):
            first, second, third = items[k: k + 3]
            waveform = np.concatenate([c["waveform"] for c in (first, second, third)])
            bounds = np.cumsum([0] + [c["waveform"].size / 16000 for c in (first, second, third)])
            spoken = {"correct": [second["text"]], "another sentence": [items[(k + 8) % len(items)]["text"]],
                      "missing": [], "extra sentence": [second["text"], items[(k + 8) % len(items)]["text"]]}[case]
            start = time.perf_counter()
            segments, fallback = phonemes_with_fallback(waveform, " ".join([first["text"], *spoken, third["text"]]))
            seconds, audio = seconds + time.perf_counter() - start, audio + bounds[-1]
            outcomes.append(fallback or "none")
            speech = [(c["truth"][0][1] + shift, c["truth"][-1][2] + shift)  # first to last phone of each sentence
                      for c, shift in zip((first, second, third), bounds)]
            outer.append(np.mean([time_shares(segments, *speech[i])[0] for i in (0, 2)]))
            middle.append(time_shares(segments, *speech[1]))
        middle_shares = "/".join(f"{100 * share:.0f}" for share in np.mean(middle, axis=0))
        print(_row((case, len(outcomes), outcomes.count("all"), outcomes.count("part"), outcomes.count("none"),
                    f"{100 * np.mean(outer):.0f}", middle_shares, f"{seconds / audio:.3f}"), widths))


def mismatch_table(corpus, clips) -> None:
    print(f"\nAcoustic score per frame of forced alignments: worst {alignment.MISMATCH_WINDOW_SECONDS:g} s window "
          f"(rejected below {MIN_WINDOW_SCORE}) and whole alignment; 'none' = pocketsphinx found no alignment")
    rng = np.random.default_rng(0)
    cases: dict[str, list] = {k: [] for k in ("correct, synthetic 175 wpm", "correct, real",
                                              "correct, real +noise 20 dB", "correct, real +noise 10 dB",
                                              "other sentence", "first half only", "extra sentence appended",
                                              "unrelated, real")}
    n = len(corpus)
    for k, c in enumerate(corpus):
        other = corpus[(k + 3) % n]["text"]
        words = c["text"].split()
        cases["correct, synthetic 175 wpm"].append(alignment_scores(c["waveform"], c["text"]))
        cases["other sentence"].append(alignment_scores(c["waveform"], other))
        cases["first half only"].append(alignment_scores(c["waveform"], " ".join(words[: len(words) // 2])))
        cases["extra sentence appended"].append(alignment_scores(c["waveform"], c["text"] + " " + other))
    names = list(clips)
    for k, name in enumerate(names):
        waveform, text = clips[name]
        cases["correct, real"].append(alignment_scores(waveform, text))
        power = np.mean(waveform ** 2)
        for snr in (20, 10):
            noisy = waveform + rng.normal(0, np.sqrt(power / 10 ** (snr / 10)), waveform.size).astype(np.float32)
            cases[f"correct, real +noise {snr} dB"].append(alignment_scores(np.clip(noisy, -1, 1), text))
        cases["unrelated, real"].append(alignment_scores(waveform, clips[names[(k + 1) % len(names)]][1]))
        cases["unrelated, real"] += [alignment_scores(waveform, s) for s in SENTENCES[:3]]
    widths = (28, 4, 5, 22, 22, 16, 11)
    print(_row(("transcript", "n", "none", "window min/med/max", "mean min/med/max", "3-frame % med", "rejected %"),
               widths))
    for name, scores in cases.items():
        found = np.array([s for s in scores if s is not None]).reshape(-1, 3)
        rejected = len(scores) - len(found) + np.sum(found[:, 0] < MIN_WINDOW_SCORE)
        stats = [" ".join(f"{f(found[:, i]):.1f}" for f in (np.min, np.median, np.max)) if len(found) else "-"
                 for i in (0, 1)]
        shortest = f"{100 * np.median(found[:, 2]):.0f}" if len(found) else "-"
        print(_row((name, len(scores), len(scores) - len(found), *stats, shortest,
                    f"{100 * rejected / len(scores):.0f}"), widths))


def recognition_table(corpus, clips) -> None:
    print("\nPhone recognition (recognize_phones): phone error rate and 10 ms frame agreement")
    widths = (26, 10, 8, 9, 7)
    print(_row(("audio", "reference", "PER %", "frames %", "RTF"), widths))
    pers, agreements = [], []
    for c in corpus:
        recognised = recognize_phones(c["waveform"])
        truth = [(p, s, e) for p, s, e, _ in c["truth"]]
        pers.append(phone_error_rate([t[0] for t in truth], [s.phone for s in recognised]))
        padded = [(SILENCE, 0.0, truth[0][1])] + truth + [(SILENCE, truth[-1][2], c["waveform"].size / 16000)]
        agreements.append(frame_agreement(padded, [(s.phone, s.start, s.end) for s in recognised]))
    print(_row((f"synthetic ({len(corpus)})", "eSpeak", f"{100 * np.mean(pers):.1f}",
                f"{100 * np.mean(agreements):.1f}", "-"), widths))
    for name, (waveform, text) in clips.items():
        start = time.perf_counter()
        recognised = recognize_phones(waveform)
        rtf = (time.perf_counter() - start) / (waveform.size / 16000)
        aligned = align(waveform, text)
        per = phone_error_rate([s.phone for s in aligned], [s.phone for s in recognised])
        agreement = frame_agreement([(s.phone, s.start, s.end) for s in aligned],
                                    [(s.phone, s.start, s.end) for s in recognised])
        print(_row((name, "align()", f"{100 * per:.1f}", f"{100 * agreement:.1f}", f"{rtf:.3f}"), widths))


def speed_table(clips) -> None:
    print("\nSpeed on real clips (best of 3, decoders already created; one CPU thread)")
    widths = (14, 8, 10, 14)
    print(_row(("clip", "seconds", "align RTF", "recognize RTF"), widths))
    for name, (waveform, text) in clips.items():
        duration = waveform.size / 16000
        times = []
        for function, args in ((align, (waveform, text)), (recognize_phones, (waveform,))):
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                function(*args)
                runs.append(time.perf_counter() - start)
            times.append(min(runs) / duration)
        print(_row((name, f"{duration:.1f}", f"{times[0]:.3f}", f"{times[1]:.3f}"), widths))


def _timed_long_run(repeats: int, function: str) -> tuple[float, float, float, int]:
    """In a fresh process: (audio s, wall s, peak RSS growth MiB, segments) of one long run."""
    clips = {name: (load_clip(name), text) for name, text in REAL_CLIPS.items()}
    waveform = np.concatenate([w for w, _ in clips.values()] * repeats)
    transcript = " ".join([t for _, t in clips.values()] * repeats)
    align(*clips["arctic_a0007"]), recognize_phones(clips["arctic_a0007"][0])  # create both decoders
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    segments = align(waveform, transcript) if function == "align" else recognize_phones(waveform)
    seconds = time.perf_counter() - start
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return waveform.size / 16000, seconds, growth, len(segments)


def long_input_table() -> None:
    print("\nLong inputs (real clips concatenated), each in a fresh process")
    widths = (18, 9, 8, 6, 16, 9)
    print(_row(("function", "audio s", "wall s", "RTF", "peak RSS +MiB", "segments"), widths))
    for function, repeats in (("align", 4), ("align", 22), ("align", 43), ("recognize_phones", 13),
                              ("recognize_phones", 43)):
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            audio, seconds, growth, count = pool.submit(_timed_long_run, repeats, function).result()
        print(_row((function, f"{audio:.0f}", f"{seconds:.1f}", f"{seconds / audio:.3f}", f"{growth:.0f}", count),
                   widths))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", action="store_true", help="also time inputs of 1 to 10 minutes (about 3 min)")
    args = parser.parse_args()
    espeak = ESpeak()
    clips = {name: (load_clip(name), text) for name, text in REAL_CLIPS.items()}
    align(*clips["arctic_a0007"])  # create the decoder and load gruut outside the timings
    corpus = []
    for voice in VOICES:
        for rate in RATES:
            for k, text in enumerate(SENTENCES):
                waveform, truth = synthetic_sentence(espeak, text, voice, seed=k, rate=rate, noise=0.0)
                start = time.perf_counter()
                segments, fallback = phonemes_with_fallback(waveform, text)
                corpus.append(dict(voice=voice, rate=rate, text=text, waveform=waveform, truth=truth,
                                   align_s=time.perf_counter() - start, errors=boundary_errors(truth, segments),
                                   fallback=fallback, aligned=aligned_share(segments)))
    floor = alignment.NOISE_FLOOR_DB
    alignment.NOISE_FLOOR_DB = -np.inf  # the PCM as it was before the noise floor: digital silence stays
    for c in corpus:
        c["unfloored_none"] = alignment_scores(c["waveform"], c["text"]) is None
    alignment.NOISE_FLOOR_DB = floor
    fallback_table(corpus)
    accuracy_table(corpus)
    default_rate = [c for c in corpus if c["rate"] == 175]
    mismatch_table(default_rate, clips)
    passage_table(corpus)
    recognition_table(default_rate, clips)
    speed_table(clips)
    if args.long:
        long_input_table()


if __name__ == "__main__":
    main()
