"""Stopping cleanly: SIGTERM as an exception, so that every ``finally`` (temporary files among them) runs.

Python turns SIGINT (Ctrl-C) into :class:`KeyboardInterrupt`; SIGTERM (``kill``, a job scheduler, a container
stopping) ends the process at once by default, leaving temporary files behind. :func:`terminate_cleanly` makes
it raise :class:`Terminated` instead. Standard library only, so the command line can import it first.
"""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Terminated(BaseException):
    """SIGTERM arrived while :func:`terminate_cleanly` was in force (a ``BaseException``, as KeyboardInterrupt
    for SIGINT, so that ``except Exception`` does not swallow it and every ``finally`` cleans up)."""


def _raise_terminated(signum: int, frame) -> None:
    raise Terminated(f"stopped by signal {signal.Signals(signum).name}")


@contextmanager
def terminate_cleanly() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread instead of killing the process.

    Nothing changes outside the main thread, or when SIGTERM already has a handler other than the default
    (an enclosing block, or the application's own). The handler runs between Python bytecodes: a long C++ call
    (USD writing a layer) finishes first, then the exception cleans up. The default comes back on leaving.
    """
    main_thread = threading.current_thread() is threading.main_thread()
    if not main_thread or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
