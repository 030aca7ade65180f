"""Write an output file all at once or not at all."""

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Give a writer a temporary file next to ``path`` and move it onto ``path`` when the block succeeds.

    The temporary file ``.<stem>.<random>.tmp<suffix>`` is created empty in the folder of ``path`` (the same
    filesystem, so the final ``os.replace`` is atomic) and keeps the suffix of ``path``, because writers
    such as USD choose the file format from it; the writer may overwrite or replace it. When the block
    raises (any exception, ``KeyboardInterrupt`` included), the temporary file is deleted and the exception
    propagates: a failed export leaves neither a partial file nor a temporary one, and an existing file at
    ``path`` stays as it was.

    Args:
        path: the file to write.

    Yields:
        The temporary path to write to.

    Raises:
        FileNotFoundError: the output folder does not exist.
        IsADirectoryError: ``path`` is a folder.
        PermissionError: no file can be created in the output folder.
    """
    tmp = _create_temporary(Path(path))
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_writable(path: str | os.PathLike) -> None:
    """Fail now, as :func:`atomic_output` would later, when ``path`` cannot be written; leaves nothing behind.

    Raises:
        FileNotFoundError, IsADirectoryError, PermissionError: as :func:`atomic_output`.
    """
    _create_temporary(Path(path)).unlink()


def _create_temporary(path: Path) -> Path:
    """Create the empty temporary file ``.<stem>.<random>.tmp<suffix>`` beside ``path``."""
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"output folder does not exist: {folder}")
    if path.is_dir():
        raise IsADirectoryError(f"output path is a folder: {path}")
    tmp = folder / f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}"
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as e:
        raise PermissionError(f"output folder is not writable: {folder} ({e.strerror})") from None
    return tmp
