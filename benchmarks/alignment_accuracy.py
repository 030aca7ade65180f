"""Accuracy, mismatch detection and speed of forced alignment and phone recognition.

Ground truth comes from eSpeak NG (https://github.com/espeak-ng/espeak-ng): its library reports every
phoneme while it synthesises (``espeak_SetSynthCallback`` with ``espeakINITIALIZE_PHONEME_EVENTS``;
``espeakEVENT_PHONEME`` events carry the phoneme in IPA and its sample position), so the synthesised
sentences have exact phoneme timings. Two conventions are adjusted: eSpeak writes the closure of a
voiceless stop or affricate as silence (or breath noise) *before* the phoneme's event, at its
release; the closure is counted here as part of the stop, as in TIMIT-style labels; and
its r-coloured vowels (``ɑːɹ``) are two ARPAbet phones whose inner boundary is unknown and not scored.

Scored boundaries are those between two consecutive speech phones that correspond in both sequences
(a minimum-edit alignment of the eSpeak and pocketsphinx phone strings, which can differ where eSpeak's
and CMUdict's pronunciations do); boundaries at pauses are not scored, their position being
ill-defined around stop closures.

Tables: boundary error of :func:`align` on the synthetic sentences (two voices); acoustic score per
frame of correct and wrong transcripts (the mismatch criterion of :func:`phonemes_for`); agreement of
:func:`recognize_phones` with the truth (synthetic) and with the forced alignment (real clips);
real-time factors; time and peak memory of aligning long inputs (``--long``).

Usage: ``PYTHONPATH=. python benchmarks/alignment_accuracy.py [--long]``. Needs libespeak-ng
(Debian package ``espeak-ng``) and ``../shared/data/speech``.
"""

import argparse
import ctypes
import ctypes.util
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from facemotion.text import alignment
from facemotion.text.alignment import MIN_WINDOW_SCORE, AlignmentError, align, recognize_phones
from facemotion.text.g2p import IPA_TO_ARPABET, normalise_transcript
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
VOICES = ("en-us", "en-us+f3")
PAD_SECONDS = 0.3
"""Silence added before and after each synthetic sentence."""

ESPEAK_IPA_TO_ARPABET: dict[str, tuple[str, ...]] = {
    "ɜ": ("ER",), "ɐ": ("AH",), "ᵻ": ("IH",), "ɾ": ("T",), "o": ("OW",), "e": ("EY",), "ɒ": ("AA",),
    "ɑɹ": ("AA", "R"), "ɔɹ": ("AO", "R"), "oɹ": ("AO", "R"), "ɛɹ": ("EH", "R"), "ɪɹ": ("IH", "R"),
    "ʊɹ": ("UH", "R"), "aɪɚ": ("AY", "ER"), "aʊɚ": ("AW", "ER"), "əl": ("AH", "L"), "n̩": ("AH", "N"),
}
"""eSpeak NG's US English IPA symbols that :data:`IPA_TO_ARPABET` lacks (reduced vowels, flap ``ɾ``,
r-coloured vowels) → ARPAbet; ``ᵻ`` and ``ɐ`` are eSpeak's reduced vowels, CMUdict's IH0/AH0."""

STOPS = {"P", "B", "T", "D", "K", "G", "CH", "JH"}
CLOSURE_RMS = 300
"""int16 RMS (-40 dBFS) under which audio before a stop's event is its closure: digital silence for
eSpeak's default voice, breath noise for the ``+f3`` variant."""

VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}


class _ESpeak:
    """Minimal ctypes binding of libespeak-ng: synthesis with phoneme events (speak_lib.h, API 12)."""

    class Event(ctypes.Structure):
        _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                    ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                    ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8)]

    SYNCHRONOUS, PHONEME_EVENTS, PHONEME_IPA, DONT_EXIT = 2, 0x1, 0x2, 0x8000
    EVENT_PHONEME, POS_CHARACTER, CHARS_UTF8 = 7, 1, 1

    def __init__(self) -> None:
        name = ctypes.util.find_library("espeak-ng")
        if name is None:
            raise FileNotFoundError("libespeak-ng not found: install the Debian package espeak-ng")
        self.lib = ctypes.CDLL(name)
        self.sample_rate = self.lib.espeak_Initialize(
            self.SYNCHRONOUS, 0, None, self.PHONEME_EVENTS | self.PHONEME_IPA | self.DONT_EXIT)
        callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                         ctypes.POINTER(self.Event))
        self.callback = callback_type(self._on_synth)  # kept referenced while the library holds it
        self.lib.espeak_SetSynthCallback(self.callback)
        self.audio: list[np.ndarray] = []
        self.events: list[tuple[int, str]] = []

    def _on_synth(self, wav, n_samples, events) -> int:
        if n_samples > 0:
            self.audio.append(np.ctypeslib.as_array(wav, (n_samples,)).copy())
        i = 0
        while events[i].type != 0:
            if events[i].type == self.EVENT_PHONEME:
                self.events.append((events[i].sample, events[i].id.decode("utf-8", "replace")))
            i += 1
        return 0

    def synthesize(self, text: str, voice: str) -> tuple[np.ndarray, list[tuple[int, str]]]:
        """int16 samples at :attr:`sample_rate`, and (sample, IPA phoneme or "" for a pause) events."""
        self.audio, self.events = [], []
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"eSpeak NG has no voice {voice!r}")
        data = text.encode()
        self.lib.espeak_Synth(data, len(data) + 1, 0, self.POS_CHARACTER, 0, self.CHARS_UTF8, None, None)
        self.lib.espeak_Synchronize()
        return np.concatenate(self.audio), self.events


def espeak_phones(ipa: str) -> tuple[str, ...]:
    """One eSpeak IPA phoneme → ARPAbet phones; "" (a pause) → SIL."""
    bare = ipa.replace("ː", "").replace("ˈ", "").replace("ˌ", "")
    if not bare:
        return (SILENCE,)
    if bare in ESPEAK_IPA_TO_ARPABET:
        return ESPEAK_IPA_TO_ARPABET[bare]
    return (IPA_TO_ARPABET[bare],)


def _closure_start(samples: np.ndarray, release: int, previous: int, rate: int) -> int:
    """Where the quiet stretch (1 ms blocks under -40 dBFS RMS, at most 60 ms) before a stop's event begins."""
    block, start = rate // 1000, release
    while start - block >= max(previous, release - 60 * block):
        if np.sqrt(np.mean(samples[start - block: start].astype(np.float64) ** 2)) >= CLOSURE_RMS:
            break
        start -= block
    return start


def synthetic_sentence(espeak: _ESpeak, text: str, voice: str, seed: int = 0):
    """A synthesised sentence at 16 kHz with its true phones.

    Returns:
        waveform (S,) float32 with :data:`PAD_SECONDS` of silence (plus noise at -66 dBFS) at both ends,
        and the truth as (phone, start s, end s, start is a scored boundary) tuples.
    """
    samples, events = espeak.synthesize(text, voice)
    starts = [sample for sample, _ in events]
    for k in range(1, len(events)):
        if espeak_phones(events[k][1])[0] in STOPS and espeak_phones(events[k - 1][1]) != (SILENCE,):
            starts[k] = _closure_start(samples, starts[k], starts[k - 1], espeak.sample_rate)
    truth = []
    for k, (_, ipa) in enumerate(events[:-1]):
        start, end = starts[k] / espeak.sample_rate + PAD_SECONDS, starts[k + 1] / espeak.sample_rate + PAD_SECONDS
        phones = espeak_phones(ipa)
        if end > start:
            step = (end - start) / len(phones)
            truth += [(phone, start + i * step, start + (i + 1) * step, i == 0) for i, phone in enumerate(phones)]
    speech = soxr.resample(samples.astype(np.float32) / 32768.0, espeak.sample_rate, alignment.SAMPLE_RATE)
    pad = np.zeros(int(PAD_SECONDS * alignment.SAMPLE_RATE), np.float32)
    waveform = np.concatenate([pad, speech, pad])
    waveform += np.random.default_rng(seed).normal(0, 5e-4, waveform.size).astype(np.float32)
    return np.clip(waveform, -1, 1).astype(np.float32), truth


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


def phone_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    """Levenshtein distance between the phone strings (pauses removed) over the reference length."""
    ref = [p for p in reference if p != SILENCE]
    hyp = [p for p in hypothesis if p != SILENCE]
    row = np.arange(len(hyp) + 1)
    for i, phone in enumerate(ref, 1):
        previous, row = row, np.empty_like(row)
        row[0] = i
        for j, other in enumerate(hyp, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (phone != other))
    return row[-1] / len(ref)


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


def accuracy_table(corpus) -> None:
    print("\nForced alignment vs eSpeak NG phoneme events (|error| of boundaries between speech phones)")
    widths = (10, 9, 10, 11, 9, 8, 8, 12, 9)
    print(_row(("voice", "sentences", "boundaries", "median ms", "mean ms", "p90 ms", "bias ms", "<=20 ms %",
                "RTF"), widths))
    totals = []
    for voice in VOICES + ("all",):
        items = [c for c in corpus if voice in ("all", c["voice"])]
        errors = np.concatenate([c["errors"] for c in items]) * 1000
        totals.append(errors)
        rtf = sum(c["align_s"] for c in items) / sum(c["waveform"].size / 16000 for c in items)
        print(_row((voice, len(items), errors.size, f"{np.median(np.abs(errors)):.1f}",
                    f"{np.mean(np.abs(errors)):.1f}", f"{np.percentile(np.abs(errors), 90):.1f}",
                    f"{np.mean(errors):+.1f}", f"{100 * np.mean(np.abs(errors) <= 20):.1f}", f"{rtf:.3f}"), widths))


def mismatch_table(corpus, clips) -> None:
    print(f"\nAcoustic score per frame of forced alignments: worst {alignment.MISMATCH_WINDOW_SECONDS:g} s window "
          f"(rejected below {MIN_WINDOW_SCORE}) and whole alignment; 'none' = pocketsphinx found no alignment")
    rng = np.random.default_rng(0)
    cases: dict[str, list] = {k: [] for k in ("correct, synthetic", "correct, real", "correct, real +noise 20 dB",
                                              "correct, real +noise 10 dB", "other sentence", "first half only",
                                              "extra sentence appended", "unrelated, real")}
    n = len(corpus)
    for k, c in enumerate(corpus):
        other = corpus[(k + 3) % n]["text"]
        words = c["text"].split()
        cases["correct, synthetic"].append(alignment_scores(c["waveform"], c["text"]))
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
    espeak = _ESpeak()
    clips = {name: (load_clip(name), text) for name, text in REAL_CLIPS.items()}
    align(*clips["arctic_a0007"])  # create the decoder and load gruut outside the timings
    corpus = []
    for voice in VOICES:
        for k, text in enumerate(SENTENCES):
            waveform, truth = synthetic_sentence(espeak, text, voice, seed=k)
            start = time.perf_counter()
            segments = align(waveform, text)
            corpus.append(dict(voice=voice, text=text, waveform=waveform, truth=truth,
                               align_s=time.perf_counter() - start, errors=boundary_errors(truth, segments)))
    accuracy_table(corpus)
    mismatch_table(corpus, clips)
    recognition_table(corpus, clips)
    speed_table(clips)
    if args.long:
        long_input_table()


if __name__ == "__main__":
    main()
