"""Input files checked before any work: a missing file, a folder or a pipe is named as what it is."""

import os
import stat
from pathlib import Path

_KINDS = {
    stat.S_ISFIFO: "a named pipe (FIFO)",
    stat.S_ISSOCK: "a socket",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
}


def input_file(path: str | os.PathLike, what: str) -> Path:
    """``path`` as a :class:`~pathlib.Path`, checked to be an existing regular file (symbolic links followed).

    Args:
        path: the file.
        what: what it should be, for the messages (e.g. ``"audio file"``, ``"transcript file"``).

    Returns:
        ``Path(path)``.

    Raises:
        TypeError: ``path`` is not a str or os.PathLike.
        FileNotFoundError: nothing exists at ``path``.
        IsADirectoryError: ``path`` is a folder.
        ValueError: ``path`` is a named pipe, socket or device, not a file.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"the {what} must be a path (str or os.PathLike), got {type(path).__name__}")
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} not found: {path}") from None
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"{what} {path} is a folder, not a file")
    for test, kind in _KINDS.items():
        if test(mode):
            raise ValueError(f"{what} {path} is {kind}, not a regular file")
    return path


def read_transcript(path: str | os.PathLike) -> str:
    """The text of a UTF-8 transcript file.

    Raises:
        FileNotFoundError, IsADirectoryError, TypeError: as :func:`input_file`.
        ValueError: the file is not a regular file, or not UTF-8 text; the message names the file and the byte.
    """
    return decode_transcript(input_file(path, "transcript file").read_bytes(), path)


def decode_transcript(data: bytes, name: str | os.PathLike) -> str:
    """The text of a transcript's bytes, UTF-8.

    Raises:
        ValueError: the bytes are not UTF-8; the message names ``name`` (the file or URL) and the byte.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"transcript file {name} is not UTF-8 text ({error.reason} at byte {error.start})") from None
