"""Build facemotion's English evaluation set: speech with reference phoneme times, in a tuning and a held-out split.

Usage, from the repository root (needs Debian's ``espeak-ng`` and ``../shared/data/speech``; about a minute)::

    PYTHONPATH=. python datasets/make_english_eval.py [OUT]      # OUT defaults to out/english_eval (gitignored)

Contents (fixed; the same on every machine with eSpeak NG 1.51):

- **eSpeak NG speech** (``benchmarks/espeak_speech.py``): Harvard sentences (IEEE Recommended Practice for
  Speech Quality Measurements, 1969) lists 3-10, which ``benchmarks/alignment_accuracy.py`` (lists 1-2) does not
  use. Each sentence is spoken by two voice settings of its split (sentence i by settings i mod 4 and
  (i + 1) mod 4), with 0.3 s of silence and -66 dBFS noise around it, at 16 kHz. Reference phonemes: eSpeak's
  own phoneme events (exact; a stop's closure counted as part of the stop).
- **Real speech**: the 30 LJ Speech 1.1 clips of ``../shared/data/speech/ljspeech`` (one female US reader,
  public domain) and CMU ARCTIC ``arctic_a0007`` (a male Scottish speaker). Reference phonemes: forced
  alignment of the true transcript (:func:`facemotion.text.alignment.align`, the mismatch check off, so that
  every clip has a reference). These are the same phonemes the transcript path of the pipeline uses, so on real
  clips the transcript path is scored against its own alignment; the recognisers are scored against it.

The split (nobody tunes on HELD-OUT; issue 15 trains and selects on TUNING only):

============  ================================================  ===============================================
split         eSpeak NG (voice+variant, rate wpm, pitch 0-100)   real clips
============  ================================================  ===============================================
tuning        Harvard lists 3-6 (40 sentences) by en-us 175 50,   LJ001-0001, 0003-0007, 0009-0017 (15 clips),
              en-us+f3 150 65, en+m2 (British) 200 40,            arctic_a0007 (both already used by the tests
              en-GB-x-rp+f1 165 55; 80 clips                      and alignment_accuracy)
held-out      Harvard lists 7-10 (40 sentences) by                LJ001-0018..0032 (15 clips; the LJ reader is
              en-US-nyc+f2 160 60, en-GB-scotland+m7 190 35,       also in tuning: only her sentences are held
              en-029+f4 (Caribbean) 140 70,                        out, there being no second LJ speaker)
              en-GB-x-gbcwmd+m4 (West Midlands) 220 45; 80 clips
============  ================================================  ===============================================

The held-out voices share no accent, variant, rate or pitch with the tuning voices, and no sentence with
either split or with ``alignment_accuracy``. MBROLA voices (Debian ``mbrola-us1`` etc.) are not part of the
set: Debian ships them in ``contrib``/``non-free``, which a default installation cannot reach.

Written to OUT: ``audio/<id>.wav`` (eSpeak clips, 16 kHz PCM16 mono) and ``manifest.json``::

    {"format": 1, "clips": [{"id": "espeak-h07-01-en-US-nyc+f2", "split": "held-out" | "tuning",
      "source": "espeak" | "ljspeech" | "arctic", "voice": "en-US-nyc+f2" | null, "rate": 160 | null,
      "pitch": 60 | null, "text": "...", "audio": "audio/....wav" (relative to OUT) or an absolute path,
      "duration": 2.41, "phonemes": [["SIL", 0.0, 0.31], ["DH", 0.31, 0.36], ...]}, ...]}

``phonemes`` are ARPAbet (no stress) or ``SIL``, with start and end in seconds from the start of the audio,
contiguous and covering the whole clip (eSpeak's leading and trailing padding are ``SIL``).
"""

import argparse
import json
from pathlib import Path

import soundfile as sf

from benchmarks.espeak_speech import ESpeak, synthetic_sentence
from facemotion.audio.io import SAMPLE_RATE, load_audio
from facemotion.text.alignment import align
from facemotion.text.phonemes import SILENCE

FORMAT = 1
SPEECH_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "out" / "english_eval"
SPLITS = ("tuning", "held-out")

HARVARD_LISTS: dict[int, tuple[str, ...]] = {
    3: ("The small pup gnawed a hole in the sock.", "The fish twisted and turned on the bent hook.",
        "Press the pants and sew a button on the vest.", "The swan dive was far short of perfect.",
        "The beauty of the view stunned the young boy.", "Two blue fish swam in the tank.",
        "Her purse was full of useless trash.", "The colt reared and threw the tall rider.",
        "It snowed, rained, and hailed the same morning.", "Read verse out loud for pleasure."),
    4: ("Hoist the load to your left shoulder.", "Take the winding path to reach the lake.",
        "Note closely the size of the gas tank.", "Wipe the grease off his dirty face.",
        "Mend the coat before you go out.", "The wrist was badly strained and hung limp.",
        "The stray cat gave birth to kittens.", "The young girl gave no clear response.",
        "The meal was cooked before the bell rang.", "What joy there is in living."),
    5: ("A king ruled the state in the early days.", "The ship was torn apart on the sharp reef.",
        "Sickness kept him home the third week.", "The wide road shimmered in the hot sun.",
        "The lazy cow lay in the cool grass.", "Lift the square stone over the fence.",
        "The rope will bind the seven books at once.", "Hop over the fence and plunge in.",
        "The friendly gang left the drug store.", "Mesh wire keeps chicks inside."),
    6: ("The frosty air passed through the coat.", "The crooked maze failed to fool the mouse.",
        "Adding fast leads to wrong sums.", "The show was a flop from the very start.",
        "A saw is a tool used for making boards.", "The wagon moved on well oiled wheels.",
        "March the soldiers past the next hill.", "A cup of sugar makes sweet fudge.",
        "Place a rosebush near the porch steps.", "Both lost their lives in the raging storm."),
    7: ("We talked of the side show in the circus.", "Use a pencil to write the first draft.",
        "He ran half way to the hardware store.", "The clock struck to mark the third period.",
        "A small creek cut across the field.", "Cars and busses stalled in snow drifts.",
        "The set of china hit the floor with a crash.", "This is a grand season for hikes on the road.",
        "The dune rose from the edge of the water.", "Those words were the cue for the actor to leave."),
    8: ("A yacht slid around the point into the bay.", "The two met while playing on the sand.",
        "The ink stain dried on the finished page.", "The walled town was seized without a fight.",
        "The lease ran out in sixteen weeks.", "A tame squirrel makes a nice pet.",
        "The horn of the car woke the sleeping cop.", "The heart beat strongly and with firm strokes.",
        "The pearl was worn in a thin silver ring.", "The fruit peel was cut in thick slices."),
    9: ("The Navy attacked the big task force.", "See the cat glaring at the scared mouse.",
        "There are more than two factors here.", "The hat brim was wide and too droopy.",
        "The lawyer tried to lose his case.", "The grass curled around the fence post.",
        "Cut the pie into large parts.", "Men strive but seldom get rich.",
        "Always close the barn door tight.", "He lay prone and hardly moved a limb."),
    10: ("The slush lay deep along the street.", "A wisp of cloud hung in the blue air.",
         "A pound of sugar costs more than eggs.", "The fin was sharp and cut the clear water.",
         "The play seems dull and quite stupid.", "Bail the boat to stop it from sinking.",
         "The term ended in late June that year.", "A tusk is used to make costly gifts.",
         "Ten pins were set in order.", "The bill was paid every third week."),
}
"""Harvard sentences lists 3-10 (IEEE 1969, Appendix C)."""

HARVARD_SPLIT = {"tuning": (3, 4, 5, 6), "held-out": (7, 8, 9, 10)}

VOICES: dict[str, tuple[tuple[str, int, int], ...]] = {
    "tuning": (("en-us", 175, 50), ("en-us+f3", 150, 65), ("en+m2", 200, 40), ("en-GB-x-rp+f1", 165, 55)),
    "held-out": (("en-US-nyc+f2", 160, 60), ("en-GB-scotland+m7", 190, 35), ("en-029+f4", 140, 70),
                 ("en-GB-x-gbcwmd+m4", 220, 45)),
}
"""eSpeak NG (voice+variant, rate in words per minute, pitch 0..100) of each split."""

LJ_HELD_OUT_FIRST = 18
"""LJ001-0018 and later are held out; earlier LJ clips are tuning."""
ARCTIC = ("arctic_a0007", "And you always want to see it in the superlative degree.")


def espeak_clips(espeak: ESpeak, split: str, out: Path) -> list[dict]:
    """Synthesise the split's sentences into ``out/audio``; their manifest entries."""
    sentences = [(n, k, text) for n in HARVARD_SPLIT[split] for k, text in enumerate(HARVARD_LISTS[n], 1)]
    voices = VOICES[split]
    entries = []
    for i, (number, k, text) in enumerate(sentences):
        for voice, rate, pitch in (voices[i % len(voices)], voices[(i + 1) % len(voices)]):
            clip_id = f"espeak-h{number:02d}-{k:02d}-{voice}"
            waveform, truth = synthetic_sentence(espeak, text, voice, seed=len(entries), rate=rate, pitch=pitch)
            path = out / "audio" / f"{clip_id}.wav"
            sf.write(path, waveform, SAMPLE_RATE, subtype="PCM_16")
            duration = waveform.size / SAMPLE_RATE
            spans = [(SILENCE, 0.0, truth[0][1])] + [t[:3] for t in truth]
            if spans[-1][0] == SILENCE:  # eSpeak's final pause runs on into the padding
                spans[-1] = (SILENCE, spans[-1][1], duration)
            else:
                spans.append((SILENCE, spans[-1][2], duration))
            phonemes = [[phone, round(start, 5), round(end, 5)] for phone, start, end in spans if end > start]
            entries.append(dict(id=clip_id, split=split, source="espeak", voice=voice, rate=rate, pitch=pitch,
                                text=text, audio=str(path.relative_to(out)), duration=duration,
                                phonemes=phonemes))
    return entries


def real_clips() -> list[dict]:
    """Manifest entries of the real clips, their phonemes force-aligned to the true transcripts."""
    lines = (SPEECH_DIR / "ljspeech" / "metadata.csv").read_text(encoding="utf-8").splitlines()
    clips = [("ljspeech", clip_id, text, SPEECH_DIR / "ljspeech" / f"{clip_id}.flac")
             for clip_id, text in (line.split("|", 1) for line in lines if line.strip())]
    clips.append(("arctic", ARCTIC[0], ARCTIC[1], SPEECH_DIR / f"{ARCTIC[0]}.wav"))
    entries = []
    for source, clip_id, text, path in clips:
        held_out = source == "ljspeech" and int(clip_id.split("-")[1]) >= LJ_HELD_OUT_FIRST
        waveform = load_audio(path)
        phonemes = [[s.phone, round(s.start, 5), round(s.end, 5)] for s in align(waveform, text, min_window_score=None)]
        entries.append(dict(id=clip_id, split="held-out" if held_out else "tuning", source=source, voice=None,
                            rate=None, pitch=None, text=text, audio=str(path.resolve()),
                            duration=waveform.size / SAMPLE_RATE, phonemes=phonemes))
    return entries


def build(out: Path) -> list[dict]:
    """Write the set to ``out`` (audio and ``manifest.json``); its clips, tuning first."""
    (out / "audio").mkdir(parents=True, exist_ok=True)
    espeak = ESpeak()
    clips = real_clips()
    for split in SPLITS:
        clips += espeak_clips(espeak, split, out)
    clips.sort(key=lambda c: SPLITS.index(c["split"]))
    (out / "manifest.json").write_text(json.dumps(dict(format=FORMAT, clips=clips), indent=1), encoding="utf-8")
    return clips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT, help=f"folder (default {DEFAULT_OUT})")
    out = parser.parse_args().out
    clips = build(out)
    print(f"{out / 'manifest.json'}: {len(clips)} clips")
    for split in SPLITS:
        for source in ("espeak", "ljspeech", "arctic"):
            chosen = [c for c in clips if c["split"] == split and c["source"] == source]
            phones = [p[0] for c in chosen for p in c["phonemes"]]
            print(f"  {split:8s} {source:8s} {len(chosen):3d} clips {sum(c['duration'] for c in chosen):6.1f} s "
                  f"{sum(p in ('P', 'B', 'M') for p in phones):4d} /p b m/")


if __name__ == "__main__":
    main()
