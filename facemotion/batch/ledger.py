"""The ledger of a batch: one JSON line per finished voice line, so that an interrupted batch resumes.

Each entry records the line's name, its key (a hash of everything that decides its outputs: the line, the batch
settings, the facemotion version and the speech and transcript files' fsspec ``ukey``, which changes when a
file does) and the files written. A line is skipped when its last entry has the current key and every output
exists. Entries are appended and flushed to disk one by one: a batch killed at any point loses at most the line
in flight, whose outputs are written atomically and simply redone.
"""

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from fsspec.core import url_to_fs

from facemotion import __version__
from facemotion.batch.lines import VoiceLine


def line_key(line: VoiceLine, settings: object) -> str:
    """A SHA-256 hex digest of what decides a line's outputs (see the module docstring).

    Args:
        line: the voice line.
        settings: the batch settings, a dataclass.

    Raises:
        FileNotFoundError: the speech (or transcript) file is missing.
    """
    files = [line.speech] + ([line.transcript_file] if line.transcript_file else [])
    stamps = []
    for url in files:
        fs, path = url_to_fs(url)
        stamps.append(fs.ukey(path))
    record = {"line": asdict(line), "settings": asdict(settings), "files": stamps, "version": __version__}
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()


class Ledger:
    """The finished lines of a batch, kept in a local JSON-lines file.

    Args:
        path: the ledger file; created on the first entry.

    Raises:
        ValueError: for a ledger file that is not one (a line that is not a JSON entry), naming the line.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.entries: dict[str, dict] = {}
        if self.path.is_file():
            for number, text in enumerate(self.path.read_text().splitlines(), start=1):
                if text.strip():
                    self._load(text, number)

    def _load(self, text: str, number: int) -> None:
        try:
            entry = json.loads(text)
            self.entries[entry["name"]] = {"key": entry["key"], "outputs": list(entry["outputs"])}
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{self.path}, line {number}: not a facemotion batch ledger entry") from None

    def finished(self, name: str, key: str) -> bool:
        """Whether ``name`` was finished with this key and all its outputs still exist."""
        entry = self.entries.get(name)
        if entry is None or entry["key"] != key:
            return False
        return all(_exists(url) for url in entry["outputs"])

    def record(self, name: str, key: str, outputs: list[str]) -> None:
        """Append a finished line and flush it to disk."""
        self.entries[name] = {"key": key, "outputs": outputs}
        with self.path.open("a") as file:
            file.write(json.dumps({"name": name, "key": key, "outputs": outputs}) + "\n")
            file.flush()
            os.fsync(file.fileno())


def _exists(url: str) -> bool:
    fs, path = url_to_fs(url)
    return fs.exists(path)
