"""Evidence types of the claims registry, and how statuses and domains follow from them.

A check returns :class:`Evidence`: numeric bounds that must hold, parameter regions where
the claim was shown to hold (certified boxes, scanned grids) and regions where it fails
(with verified points). Every status, domain and counterexample of the registry is
computed from these; none is typed in.

Example:
    >>> ev = Evidence("max error 1e-12", bounds=(Bound("max error", 1e-12, 1e-9),))
    >>> ev.status
    'confirmed'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

#: Statuses a check or a claim can have. ``not-established``: an experiment's prediction
#: of a paper claim that our runs do not reproduce at this scale (the experiment does not
#: assert it).
STATUSES = ("confirmed", "refuted", "holds-on-domain", "not-established", "not-checked")
#: Words shown for each status.
STATUS_WORDS = {"confirmed": "confirmed", "refuted": "refuted",
                "holds-on-domain": "holds on a domain",
                "not-established": "paper claim not established at this scale",
                "not-checked": "not checked"}


def _num(x: float) -> str:
    return f"{x:.3g}"


@dataclass(frozen=True)
class Region:
    """A parameter region (a box) with how it was established.

    Attributes:
        bounds: parameter name -> ``(lo, hi)``.
        how: ``certified`` (interval arithmetic), ``scanned`` (grid), ``measured``.
        count: boxes or grid points behind it.
        point: a verified point of the region with its value (counterexamples).
        label: what the region is of, where one check covers several settings (e.g.
            ``exact (Eq. 9)``); empty otherwise.

    Paper: none (infrastructure).
    """

    bounds: dict[str, tuple[float, float]]
    how: str
    count: int = 1
    point: dict[str, Any] | None = None
    label: str = ""

    def render(self) -> str:
        """``exact (Eq. 9): delta in [0.01, 0.7] x ratio in [1.01, 1e+03] (certified, 1
        box)``."""
        parts = [f"{k} = {_num(lo)}" if lo == hi else f"{k} in [{_num(lo)}, {_num(hi)}]"
                 for k, (lo, hi) in self.bounds.items()]
        unit = "box" if self.how == "certified" else "point"
        return ((f"{self.label}: " if self.label else "") + " x ".join(parts)
                + f" ({self.how}, {self.count} {unit}"
                + ("" if self.count == 1 else "es" if unit == "box" else "s") + ")")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"bounds": {k: list(v) for k, v in self.bounds.items()}, "how": self.how,
                "count": self.count, "point": self.point, "label": self.label}


@dataclass(frozen=True)
class Bound:
    """A measured quantity that must not exceed a limit (``value <= limit``).

    Paper: none (infrastructure).
    """

    quantity: str
    value: float
    limit: float

    @property
    def ok(self) -> bool:
        """Whether the bound holds (a NaN never holds)."""
        return bool(math.isfinite(self.value) and self.value <= self.limit)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"quantity": self.quantity, "value": self.value, "limit": self.limit,
                "ok": self.ok}


@dataclass(frozen=True)
class Evidence:
    """What one check found.

    Attributes:
        detail: one line in words, rendered from the numbers below.
        bounds: quantities that must stay within their limits.
        holds, fails: regions where the statement was shown to hold / to fail.
        stats: other numbers (scan statistics).
        outcome: an experiment's verdict on a prediction (``confirmed``/``refuted``, as
            decided by the harness from its measured numbers), else ``None``.
        asserted: whether the experiment asserts that prediction.

    Paper: none (infrastructure).
    """

    detail: str
    bounds: tuple[Bound, ...] = ()
    holds: tuple[Region, ...] = ()
    fails: tuple[Region, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None
    asserted: bool = True

    @property
    def status(self) -> str:
        """Computed: a failed bound or a failing region refutes (or restricts, when some
        region holds); holding regions alone restrict to a domain; passing bounds
        confirm; an experiment's refuted, unasserted prediction is ``not-established``."""
        if self.outcome is not None:
            if self.outcome == "confirmed":
                return "confirmed"
            return "refuted" if self.asserted else "not-established"
        failed = bool(self.fails) or any(not b.ok for b in self.bounds)
        if failed:
            return "holds-on-domain" if self.holds else "refuted"
        if self.holds:
            return "holds-on-domain"
        return "confirmed" if self.bounds else "not-checked"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"bounds": [b.to_dict() for b in self.bounds],
                "holds": [r.to_dict() for r in self.holds],
                "fails": [r.to_dict() for r in self.fails], "stats": self.stats,
                "outcome": self.outcome, "asserted": self.asserted}


def aggregate(statuses: list[str], any_holds: bool) -> str:
    """A claim's status from its checks' statuses (property-test references excluded).

    ``refuted`` unless some check shows a region where it holds (then
    ``holds-on-domain``); else ``holds-on-domain``, ``not-established``, ``confirmed``,
    ``not-checked`` in that order.

    Paper: none (infrastructure).
    """
    if "refuted" in statuses:
        return "holds-on-domain" if any_holds else "refuted"
    for s in ("holds-on-domain", "not-established", "confirmed"):
        if s in statuses:
            return s
    return "not-checked"
