r"""A results folder owned by one run at a time: the lock and the stale temporary files.

:func:`claim` takes an exclusive, non-blocking ``fcntl.flock`` on ``<dir>/.lock`` for
the lifetime of a run. A second run into the same folder is refused at once with a
message naming the folder and the process holding it (the lock dies with its process, so
a killed run never leaves the folder locked). Once the lock is held, the temporary files
that an interrupted atomic write left behind (``.<name>.<random>.tmp``, see
:func:`gstheory.io.atomic_write`) are removed: no live writer can own them.

Example::

    >>> import tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> with claim(d) as removed:
    ...     removed
    []

Paper: none (run infrastructure).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

#: name of the lock file inside a results folder.
LOCK_FILE = ".lock"


class FolderBusyError(ValueError):
    """Another live run holds the results folder (reported as one line, exit status 2)."""


def stale_temporaries(directory: Path) -> list[Path]:
    """The leftovers of interrupted atomic writes in ``directory`` (``.*.tmp`` files)."""
    return sorted(p for p in Path(directory).glob(".*.tmp") if p.is_file())


@contextlib.contextmanager
def claim(directory: Path) -> Iterator[list[Path]]:
    """Hold ``directory`` for one run; yield the stale temporary files removed.

    Raises:
        FolderBusyError: another process holds the folder (the message names it and
            the holder's process id).
    """
    directory = Path(directory)
    path = directory / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise FolderBusyError(
                f"out={str(directory)!r}: another run (pid {holder}) is writing to this "
                "results folder; wait for it to finish or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        removed = []
        for p in stale_temporaries(directory):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
                removed.append(p)
        try:
            yield removed
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


__all__ = ["LOCK_FILE", "FolderBusyError", "claim", "stale_temporaries"]
