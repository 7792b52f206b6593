"""Shared pieces of the subcommands: one-line errors, JSON output, list parsing."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

from ..io import to_jsonable


class CliError(Exception):
    """A user error reported as one line (``gstheory CMD: error: ...``), exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument gives one line naming it, not usage plus a message."""

    def error(self, message: str) -> NoReturn:
        raise CliError(message)


@contextlib.contextmanager
def fail_cleanly(prog: str) -> Iterator[None]:
    """Turn CliError/ValueError into ``prog: error: message`` and exit status 2.

    ValueError is what every public function of gstheory raises on bad input, with a
    message that names the parameter and its allowed range; no traceback is shown.
    """
    try:
        yield
    except (CliError, ValueError) as exc:
        msg = " ".join(str(exc).split())
        print(f"{prog}: error: {msg}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        raise SystemExit(130) from None


def emit_json(obj: Any) -> None:
    """Print ``obj`` as one JSON document on stdout."""
    print(json.dumps(to_jsonable(obj), indent=2, sort_keys=False))


def float_list(name: str, text: str) -> list[float]:
    """Parse ``"36,4"`` into ``[36.0, 4.0]``; a bad entry names the argument."""
    try:
        vals = [float(t) for t in text.split(",") if t.strip() != ""]
    except ValueError:
        raise CliError(f"argument {name}: expected comma-separated numbers, got {text!r}") \
            from None
    if not vals:
        raise CliError(f"argument {name}: expected at least one number, got {text!r}")
    return vals


def interval(name: str, text: str) -> tuple[float, float]:
    """Parse ``"LO,HI"`` with ``LO < HI``, both finite."""
    vals = float_list(name, text)
    if len(vals) != 2:
        raise CliError(f"argument {name}: expected LO,HI, got {text!r}")
    lo, hi = vals
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise CliError(f"argument {name}: bounds must be finite, got {text!r}")
    if not lo < hi:
        raise CliError(f"argument {name}: empty or inverted interval {text!r} (need LO < HI)")
    return lo, hi
