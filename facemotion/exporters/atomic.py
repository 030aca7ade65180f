"""Write an output file all at once or not at all, also when the disk fills up or the process is stopped."""

import errno
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from facemotion.interrupts import terminate_cleanly

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""``errno`` values of a write that failed for lack of room: disk full, quota exceeded, file too large."""


@contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Give a writer a temporary file next to ``path`` and move it onto ``path`` when the block succeeds.

    The temporary file ``.<stem>.<random>.tmp<suffix>`` is created empty in the folder of ``path`` (the same
    filesystem, so the final ``os.replace`` is atomic) and keeps the suffix of ``path``, because writers
    such as USD choose the file format from it; the writer may overwrite or replace it. When the block
    raises (any exception, ``KeyboardInterrupt`` included, and :class:`~facemotion.interrupts.Terminated` on
    SIGTERM, which the block runs under :func:`~facemotion.interrupts.terminate_cleanly`), the temporary file
    is deleted and the exception propagates: a failed or interrupted export leaves neither a partial file nor a
    temporary one, and an existing file at ``path`` stays as it was.

    Args:
        path: the file to write.

    Yields:
        The temporary path to write to.

    Raises:
        FileNotFoundError: the output folder does not exist.
        IsADirectoryError: ``path`` is a folder.
        PermissionError: no file can be created in the output folder, or ``path`` cannot be replaced
            (immutable or append-only); the message names ``path``, never the temporary file.
        OSError: the disk is full (``errno`` in :data:`DISK_FULL_ERRNOS`), one line naming ``path``.
    """
    path = Path(path)
    tmp = _create_temporary(path)
    try:
        with terminate_cleanly():
            yield tmp
            _replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        if error.errno in DISK_FULL_ERRNOS:
            raise OSError(error.errno, f"{os.strerror(error.errno)}: cannot write {path}") from None
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_writable(path: str | os.PathLike) -> None:
    """Fail now, as :func:`atomic_output` would later, when ``path`` cannot be written; leaves nothing behind.

    Checks that a file can be created in the folder and that an existing ``path`` is not immutable or
    append-only (``chattr +i`` / ``+a``: even root cannot replace it).

    Raises:
        FileNotFoundError, IsADirectoryError, PermissionError: as :func:`atomic_output`.
    """
    path = Path(path)
    _create_temporary(path).unlink()
    if path.is_file():
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        except PermissionError as error:
            if error.errno == errno.EPERM:  # EACCES (mode bits) does not stop a rename; EPERM (attributes) does
                raise _cannot_replace(path, error) from None


def _replace(tmp: Path, path: Path) -> None:
    """``os.replace(tmp, path)``; a refusal names ``path``."""
    try:
        os.replace(tmp, path)
    except PermissionError as error:
        raise _cannot_replace(path, error) from None


def _cannot_replace(path: Path, error: OSError) -> PermissionError:
    return PermissionError(
        error.errno, f"cannot replace {path}: {error.strerror} (is it immutable or append-only? see lsattr)")


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
