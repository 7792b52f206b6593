r"""Hyper-parameters declared once per experiment: name, default, allowed range.

Every experiment configuration (a frozen dataclass, :class:`gstheory.empirical.harness.Config`)
declares the allowed values of its fields in a class attribute ``RANGES`` (merged along
the class hierarchy, so a shared recipe declares its fields once), in the spirit of
DomainBed's ``hparams_registry.py``. From that one declaration come

* the validation of every preset and every ``--set key=value`` override, before any work
  (:func:`check_config`; a value outside its range is a ``ValueError`` naming the field
  and the range), including an upper bound on every size (steps, widths, sample counts),
  so that ``--set steps=99999999999999999999`` is refused instead of exhausting memory;
* the tables of docs/experiments.md (:func:`markdown_table`): every field, its type, its
  allowed range and its value in each preset.

:func:`gstheory.empirical.harness.register` refuses an experiment whose configuration has a field
without a declared range (booleans need none).

Example::

    >>> from gstheory.empirical.hparams import Range, positive
    >>> Range(1, 10).text()
    '[1, 10]'
    >>> positive(100).text()
    '(0, 100]'

Paper: none (infrastructure of the experiments of Sec. 1 and Sec. 4).
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gstheory import validation as check

#: longest tuple any field accepts (a grid or a list of variants).
MAX_ITEMS = 64


@dataclass(frozen=True)
class Range:
    """A numeric interval ``[lo, hi]`` (open at an end where ``lo_open``/``hi_open``).

    A tuple-valued field is checked element by element and may hold at most
    ``max_items`` entries.
    """

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    max_items: int = MAX_ITEMS

    def text(self) -> str:
        """The interval in the usual notation, e.g. ``(0, 100]``."""
        def num(v: float | None, default: str) -> str:
            if v is None:
                return default
            return f"{v:g}" if isinstance(v, float) else f"{v:,}".replace(",", "_")
        return (("(" if self.lo_open or self.lo is None else "[") + num(self.lo, "-inf")
                + ", " + num(self.hi, "inf") + (")" if self.hi_open or self.hi is None
                                                 else "]"))

    def check(self, name: str, value: Any) -> None:
        """Raise ``ValueError`` (naming ``name`` and the range) if ``value`` is outside."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise check.fail(name, value, f"must be a number in {self.text()}")
        if isinstance(value, float) and not math.isfinite(value):
            raise check.fail(name, value, f"must be a finite number in {self.text()}")
        below = self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo)
        above = self.hi is not None and (value >= self.hi if self.hi_open else value > self.hi)
        if below or above:
            raise check.fail(name, value, f"must lie in {self.text()}")


@dataclass(frozen=True)
class OneOf:
    """One of a fixed set of strings (or, for a tuple field, a list of them)."""

    values: tuple[str, ...]
    max_items: int = MAX_ITEMS

    def text(self) -> str:
        """The allowed values separated by ``|``."""
        return " \\| ".join(self.values)

    def check(self, name: str, value: Any) -> None:
        """Raise ``ValueError`` naming the allowed values if ``value`` is not one."""
        check.choice(name, value, self.values)


@dataclass(frozen=True)
class Text:
    """A free string (a path or a file name); ``what`` says what it names."""

    what: str = "path"
    max_items: int = 1

    def text(self) -> str:
        """``any <what>``."""
        return f"any {self.what}"

    def check(self, name: str, value: Any) -> None:
        """Raise ``ValueError`` unless ``value`` is a non-empty string."""
        if not isinstance(value, str) or not value:
            raise check.fail(name, value, f"must be a non-empty string ({self.what})")


Spec = Range | OneOf | Text


def positive(hi: float) -> Range:
    """``(0, hi]``: a learning rate, a coefficient, a scale."""
    return Range(0.0, hi, lo_open=True)


def count(lo: int, hi: int) -> Range:
    """``[lo, hi]`` for an integer count (steps, width, examples)."""
    return Range(lo, hi)


def unit(lo_open: bool = False, hi_open: bool = False) -> Range:
    """``[0, 1]`` (open where asked): a probability, a ratio, an accuracy threshold."""
    return Range(0.0, 1.0, lo_open=lo_open, hi_open=hi_open)


def declared(cls: type) -> dict[str, Spec]:
    """Every ``RANGES`` entry of ``cls`` and its bases (a subclass overrides a base)."""
    out: dict[str, Spec] = {}
    for klass in reversed(cls.__mro__):
        out.update(klass.__dict__.get("RANGES", {}))
    return out


def _hint(cls: type, name: str) -> Any:
    return typing.get_type_hints(cls).get(name, Any)


def _optional(kind: Any) -> bool:
    return type(None) in typing.get_args(kind)


def _is_bool(kind: Any) -> bool:
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    return kind is bool or args == [bool]


def undeclared(cls: type) -> list[str]:
    """Fields of dataclass ``cls`` with no declared range (booleans need none)."""
    spec = declared(cls)
    return [f.name for f in dataclasses.fields(cls)
            if f.name not in spec and not _is_bool(_hint(cls, f.name))]


def check_config(config: Any) -> None:
    """Check every field of ``config`` against its declared range.

    Raises:
        ValueError: a field outside its range, a tuple longer than allowed, or ``None``
            where the field does not take it; the message names the field.
    """
    cls = type(config)
    spec = declared(cls)
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        kind = _hint(cls, f.name)
        if value is None:
            if not _optional(kind):
                raise check.fail(f.name, value, "must be set (None is not allowed)")
            continue
        if f.name not in spec:
            continue
        s = spec[f.name]
        if isinstance(value, tuple):
            if len(value) > s.max_items:
                raise check.fail(f.name, value, f"holds {len(value)} entries; at most "
                                 f"{s.max_items} are allowed")
            for v in value:
                s.check(f.name, v)
        else:
            s.check(f.name, value)


def _type_text(kind: Any) -> str:
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    opt = _optional(kind)
    if typing.get_origin(kind) is tuple:
        inner = typing.get_args(kind)[0]
        return f"list of {inner.__name__}"
    base = args[0] if (opt and args) else kind
    if typing.get_origin(base) is tuple:
        name = f"list of {typing.get_args(base)[0].__name__}"
    else:
        name = getattr(base, "__name__", str(base))
    return name + (" or None" if opt else "")


def _value_text(v: Any) -> str:
    if isinstance(v, tuple):
        return ",".join(_value_text(x) for x in v) if v else "(empty)"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10_000:
        return f"{v:_}"
    return str(v)


def rows(presets: Mapping[str, Any], order: list[str]) -> list[dict[str, str]]:
    """One row per field: name, type, allowed values and the value in each preset."""
    first = presets[order[0]]
    cls = type(first)
    spec = declared(cls)
    out = []
    for f in dataclasses.fields(first):
        kind = _hint(cls, f.name)
        allowed = "true \\| false" if _is_bool(kind) else spec[f.name].text()
        row = {"name": f.name, "type": _type_text(kind), "allowed": allowed}
        for p in order:
            row[p] = _value_text(getattr(presets[p], f.name))
        out.append(row)
    return out


__all__ = ["MAX_ITEMS", "OneOf", "Range", "Text", "check_config", "count", "declared",
           "positive", "rows", "undeclared", "unit"]

