"""The voice lines of a batch: a folder of speech files, or a manifest CSV.

A folder: every ``NAME.wav`` / ``.flac`` / ``.ogg`` / ``.mp3`` in it (not its sub-folders), with ``NAME.txt`` beside it
as its transcript when there is one; outputs are named ``NAME``. A manifest: a CSV with a header row and the
columns ``path`` (required; relative paths are read from the manifest's folder), ``transcript`` (the text itself;
empty: none), ``emotion`` and ``intensity`` (empty: neutral / the default), and ``output`` (the output name;
empty: the stem of ``path``). Paths may be local or fsspec URLs (``s3://``, ``gcs://``, ``file://``, ...).
"""

import csv
import io
import posixpath
from collections import Counter
from dataclasses import dataclass

import fsspec
from fsspec.core import url_to_fs

SPEECH_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")
"""Speech files a folder batch takes, by suffix (case-insensitive)."""

MANIFEST_COLUMNS = ("path", "transcript", "emotion", "intensity", "output")
"""The columns a manifest may have; ``path`` is required."""


@dataclass(frozen=True)
class VoiceLine:
    """One line of a batch.

    Attributes:
        name: the output name (its files are ``NAME.<format>``); unique in a batch.
        speech: the speech file, a local path or an fsspec URL.
        transcript: what is said, or None (recognised from the audio, or read from ``transcript_file``).
        transcript_file: a UTF-8 transcript file (folder batches), read when the line is animated.
        emotion: one of :data:`~facemotion.expression.emotion.EMOTIONS`; checked when the line is animated.
        intensity: the emotion's intensity in [0, 1], or None for the default.
    """

    name: str
    speech: str
    transcript: str | None = None
    transcript_file: str | None = None
    emotion: str = "neutral"
    intensity: float | None = None


def read_lines(inputs: str) -> list[VoiceLine]:
    """The voice lines of a folder or of a manifest ``.csv``, in a stable order (file name, manifest row).

    Raises:
        FileNotFoundError: nothing exists at ``inputs``.
        ValueError: ``inputs`` is neither a folder nor a ``.csv``; a manifest without a ``path`` column, with an
            unknown column, an intensity that is not a number; two lines with one output name, or a name that is
            not a plain file name; a folder without speech files.
    """
    fs, path = url_to_fs(inputs)
    if fs.isdir(path):
        lines = _folder_lines(fs, path)
        if not lines:
            raise ValueError(f"no speech files ({' '.join(SPEECH_SUFFIXES)}) in {inputs}")
    elif not fs.exists(path):
        raise FileNotFoundError(f"batch inputs not found: {inputs}")
    elif path.lower().endswith(".csv"):
        lines = _manifest_lines(inputs)
    else:
        raise ValueError(f"batch inputs must be a folder of speech files or a manifest .csv, got {inputs}")
    _check_names([line.name for line in lines], inputs)
    return lines


def _folder_lines(fs: fsspec.AbstractFileSystem, folder: str) -> list[VoiceLine]:
    files = sorted(fs.ls(folder, detail=False))
    texts = {posixpath.splitext(f)[0] for f in files if f.lower().endswith(".txt")}
    lines = []
    for file in files:
        stem, suffix = posixpath.splitext(file)
        if suffix.lower() in SPEECH_SUFFIXES:
            transcript = fs.unstrip_protocol(stem + ".txt") if stem in texts else None
            lines.append(VoiceLine(posixpath.basename(stem), fs.unstrip_protocol(file), transcript_file=transcript))
    return lines


def _manifest_lines(manifest: str) -> list[VoiceLine]:
    with fsspec.open(manifest, "rb") as file:
        text = file.read().decode("utf-8-sig")
    rows = csv.DictReader(io.StringIO(text))
    columns = [c.strip().lower() for c in rows.fieldnames or ()]
    unknown = sorted(set(columns) - set(MANIFEST_COLUMNS))
    if "path" not in columns or unknown:
        raise ValueError(f"manifest {manifest}: needs a 'path' column and only {', '.join(MANIFEST_COLUMNS)}; "
                         f"got {', '.join(columns) or 'no header'}")
    rows.fieldnames = columns
    base = manifest.rsplit("/", 1)[0] if "/" in manifest else "."
    return [_manifest_line(row, base, manifest, number) for number, row in enumerate(rows, start=2)]


def _manifest_line(row: dict, base: str, manifest: str, number: int) -> VoiceLine:
    path = (row.get("path") or "").strip()
    if not path:
        raise ValueError(f"manifest {manifest}, row {number}: no path")
    if "://" not in path and not posixpath.isabs(path):
        path = posixpath.join(base, path)
    intensity = (row.get("intensity") or "").strip()
    try:
        intensity = float(intensity) if intensity else None
    except ValueError:
        raise ValueError(f"manifest {manifest}, row {number}: intensity {intensity!r} is not a number") from None
    name = (row.get("output") or "").strip() or posixpath.splitext(posixpath.basename(path))[0]
    return VoiceLine(name, path, (row.get("transcript") or "").strip() or None,
                     emotion=(row.get("emotion") or "").strip() or "neutral", intensity=intensity)


def _check_names(names: list[str], inputs: str) -> None:
    unsafe = sorted(n for n in names if "/" in n or "\\" in n or n.startswith("."))
    if unsafe:
        raise ValueError(f"{inputs}: output names must be plain file names, got {', '.join(map(repr, unsafe))}")
    twice = sorted(name for name, count in Counter(names).items() if count > 1)
    if twice:
        raise ValueError(f"{inputs}: two lines would write the same output name: {', '.join(twice)}")
