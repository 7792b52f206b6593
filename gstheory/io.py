"""Atomic file output and writable-directory checks, shared by every writer in the package.

A result or document is written to a temporary file in the same directory and moved into
place with :func:`os.replace`, so an interrupted run never leaves a half-written file
behind, and a directory is proved writable *before* any expensive work starts.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def to_jsonable(obj: Any, *, allow_nonfinite: bool = False) -> Any:
    """Plain JSON types from numpy arrays/scalars, tuples, mpmath numbers and objects with
    ``to_dict()``.

    Arguments:
        obj: what to convert (dicts and sequences recursively).
        allow_nonfinite: keep NaN/inf floats (e.g. a configuration's ``inf`` bound);
            by default they raise, because gstheory never reports a NaN as a result.

    Raises:
        ValueError: a non-finite float when ``allow_nonfinite`` is False.

    Paper: none (the JSON form of every result file and ``--json`` output).
    """
    def conv(o: Any) -> Any:
        if isinstance(o, dict):
            return {str(k): conv(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [conv(v) for v in o]
        if hasattr(o, "tolist") and hasattr(o, "dtype"):  # numpy array or scalar
            return conv(o.tolist())
        if isinstance(o, bool):
            return o
        if isinstance(o, int):
            return int(o)
        if isinstance(o, float):
            if not allow_nonfinite and not math.isfinite(o):
                raise ValueError(f"refusing to emit a non-finite number ({o}) as a result")
            return float(o)
        if hasattr(o, "_mpf_"):  # mpmath real
            return conv(float(o))
        if hasattr(o, "to_dict"):
            return conv(o.to_dict())
        return o

    return conv(obj)


def atomic_write(path: str | os.PathLike, write: Callable[[IO[Any]], object], *,
                 binary: bool = False) -> Path:
    """Call ``write(fh)`` on a temporary file next to ``path``, then move it into place.

    Arguments:
        path: destination; its parent directory is created if missing.
        write: writes the content to the open file handle.
        binary: open the temporary file in binary mode.

    Returns:
        The destination path.

    Paper: none (file output that survives interruption; no equation).
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    try:
        mode = "wb" if binary else "w"
        kwargs: dict[str, Any] = {} if binary else {"encoding": "utf-8", "newline": "\n"}
        with os.fdopen(fd, mode, **kwargs) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return dest


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically.

    Paper: none (file output; no equation).
    """
    return atomic_write(path, lambda fh: fh.write(text))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically.

    Paper: none (file output; no equation).
    """
    return atomic_write(path, lambda fh: fh.write(data), binary=True)


def atomic_write_json(path: str | os.PathLike, obj: Any, *, indent: int = 1) -> Path:
    """Write ``obj`` (already JSON-able) to ``path`` atomically.

    Paper: none (file output; no equation).
    """
    return atomic_write_text(path, json.dumps(obj, indent=indent) + "\n")


def ensure_writable_dir(path: str | os.PathLike, name: str = "out") -> Path:
    """Create ``path`` if needed and prove it writable, or raise ``ValueError``.

    Raises:
        ValueError: ``path`` exists and is not a directory, or cannot be created or
            written; the message names the parameter ``name``.

    Paper: none (file output; no equation).
    """
    directory = Path(path)
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"{name}={str(directory)!r}: exists and is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=directory)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ValueError(f"{name}={str(directory)!r}: directory is not writable "
                         f"({exc.strerror or exc})") from None
    return directory


def save_figure(fig: Any, path: str | os.PathLike, **savefig_kwargs: Any) -> Path:
    """Save a matplotlib figure as PNG to ``path`` atomically (``fig.savefig`` kwargs).

    Paper: none (the figures of Sec. 4's experiments are written through it).
    """
    return atomic_write(path, lambda fh: fig.savefig(fh, format="png", **savefig_kwargs),
                        binary=True)
