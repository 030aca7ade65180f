"""The English evaluation set: speech clips with reference phoneme times, in a tuning and a held-out split.

Built by ``datasets/make_english_eval.py`` (eSpeak NG Harvard sentences with eSpeak's own phoneme events, and the
LJ Speech / CMU ARCTIC clips of ``../shared`` force-aligned to their true transcripts); read by the English
benchmarks and, its tuning split only, by training as English teaching data (:mod:`facemotion.training.teaching`).
"""

import json
from dataclasses import dataclass
from pathlib import Path

from facemotion.text.phonemes import PhonemeSegment

FORMAT = 1
"""The manifest format this module reads."""
SPLITS = ("tuning", "held-out")
"""The splits: nobody tunes, trains or selects on ``held-out``."""


@dataclass(frozen=True)
class ReferenceClip:
    """One clip of the set.

    Attributes:
        id: the clip's name, e.g. ``"espeak-h07-01-en-US-nyc+f2"``.
        split: one of :data:`SPLITS`.
        source: ``"espeak"``, ``"ljspeech"`` or ``"arctic"``.
        speaker: the eSpeak NG voice, or the real clip's source.
        text: the transcript.
        audio: path of the audio file.
        duration: seconds.
        phonemes: reference ARPAbet phonemes (or ``SIL``), seconds, contiguous over the whole clip.
    """

    id: str
    split: str
    source: str
    speaker: str
    text: str
    audio: Path
    duration: float
    phonemes: tuple[PhonemeSegment, ...]


def load_reference_clips(root: str | Path, split: str | None = None) -> list[ReferenceClip]:
    """The clips of ``root/manifest.json`` (format 1), those of ``split`` only when given.

    Raises:
        FileNotFoundError: when the set has not been built (the message says how to build it).
        ValueError: for another manifest format or an unknown split.
    """
    root = Path(root)
    manifest = root / "manifest.json"
    if not manifest.is_file():
        raise FileNotFoundError(f"{manifest} not found: build the set with "
                                "`PYTHONPATH=. python datasets/make_english_eval.py`")
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    data = json.loads(manifest.read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{manifest}: unknown format {data.get('format')!r}; rebuild the set")
    clips = [
        ReferenceClip(c["id"], c["split"], c["source"], c["voice"] or c["source"], c["text"], root / c["audio"],
                      c["duration"], tuple(PhonemeSegment(phone, start, end) for phone, start, end in c["phonemes"]))
        for c in data["clips"]
    ]
    return [clip for clip in clips if split is None or clip.split == split]
