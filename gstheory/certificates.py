r"""Interval-arithmetic certificates of Theorem 2's sign on parameter boxes.

Paper: Theorem 2 (Eq. 16), Eq. 9, Eq. 10, Eq. 11, Eq. 15 (Sec. 3.2-3.3).

Setting (two features, Eq. 15 coupling, ridge penalty). With :math:`s_2^2 = 1`, the
parameters are the coupling :math:`\delta \in (-1, 1)`, the ratio :math:`r = s_1^2/s_2^2`
and :math:`\ell = \lambda/s_2^2` (scaling :math:`(s_1^2, s_2^2, \lambda)` by :math:`k`
divides the derivative by :math:`k`: derivation ``theorem-2-scaling``).

**The all-orders factorisation** (derivation ``theorem-2-all-orders``). Write the fixed point
as :math:`\operatorname{link}(\alpha) + A\alpha = 0`: Taylor (Eq. 10) ``link = log`` and
:math:`A = U(S^2 + \lambda I)U^T/\lambda`; exact (Eq. 9) ``link = logit`` and
:math:`A = U S^2 U^T/\lambda`. Implicit differentiation with
:math:`M = \operatorname{diag}(d) + A`, :math:`d_i = \operatorname{link}'(\alpha_i)`, gives

.. math::
    \frac{\partial z_2^*}{\partial s_1^2} =
    \frac{s_2^2 (c\alpha_1 + \delta\alpha_2)\, c\delta\,(d_2 - d_1)}{\lambda^2 \det M},
    \qquad \det M > 0,

and subtracting the two fixed-point equations (the difference lemma, :math:`\kappa > 0` the
divided difference of ``link`` between :math:`\alpha_1, \alpha_2`, :math:`v = (1, -1)`):

.. math::
    \alpha_1 - \alpha_2 = -\frac{(c^2 - \delta^2)(s_1^2 - s_2^2)(\alpha_1 + \alpha_2)}
    {\lambda (2\kappa + v^T A v)}.

Together (:math:`y_1 = \log(\alpha_1/\alpha_2)`, :math:`b_i = \alpha_i/\ell`,
:math:`Q = \ell^2\det M`, :math:`T = \ell(2\kappa + v^TAv)`):

.. math::
    \frac{\partial z_2^*}{\partial s_1^2} = -(1 - 2\delta^2)(r - 1)\,
    \frac{c\,\delta\,(c e^{y_1} + \delta)(1 + e^{-y_1})}{Q\,T}\;E,

with :math:`E = 1` (Taylor) or :math:`E = (1-\alpha_1-\alpha_2)/((1-\alpha_1)(1-\alpha_2))`
(exact). Every factor is explicit: its sign follows from the parameter box and an
*enclosure of the fixed point*, which a parametric Krawczyk operator provides (it proves,
for every parameter of the box, that exactly one fixed point lies in the enclosure). No
factor needs the enclosure to resolve :math:`\alpha_1 - \alpha_2` (the difference lemma
gives its sign), so the certificate does not degrade near :math:`r = 1` or
:math:`\delta = 1/\sqrt2`.

**Convention-free form.** :math:`z_2^* = b_2(c - \delta e^{y_1})` and, by the lemma,
:math:`c\alpha_2 - \delta\alpha_1 = (c^2-\delta^2) W` with
:math:`W = \alpha_2 (c (r-1)(1+e^{y_1})/T + e^{y_1}/(c+\delta))`, so
:math:`\partial|z_2^*|/\partial s_1^2 = \operatorname{sign}(W)\,|c^2-\delta^2|\,R` with
:math:`R` the derivative above divided by :math:`(c^2 - \delta^2)`: it vanishes only on the
plane :math:`|\delta| = 1/\sqrt2`, where :math:`z_2^* \equiv 0` (``--magnitude`` certifies
the statement wherever :math:`z_2^* \ne 0`).

Boxes are bisected in the coordinates :math:`(\delta, \log r, \log \ell)` (where volumes are
measured), first at the planes where an explicit factor vanishes (:math:`\delta = 0`,
:math:`\pm 1/\sqrt2`, :math:`r = 1`), until each is *certified* (the statement proven on the
whole box), *refuted* (its negation proven on the whole box, with the enclosure recorded,
or at a verified point of a smallest box) or left *undecided* (budget, depth or time).

Two interval libraries do the arithmetic: ``mpmath`` (:mod:`mpmath.iv`, always available)
and ``flint`` (python-flint's ``arb`` balls, the optional extra ``certify``). ``auto`` picks
mpmath: measured on the box delta [0.05, 0.3] x ratio [2, 10] x lambda [0.1, 1] with
numeric enclosures only, mpmath certified 100% in 9.9 s (exact; 4,357 boxes) and 9.3 s
(Taylor; 4,371 boxes), flint 99.96% in 19 s (its wider balls need more boxes: the
20,000-box budget ran out).

Example:
    >>> cert = certify_theorem2((0.05, 0.1), (4.0, 5.0), (0.5, 1.0), max_depth=6)
    >>> cert.certified_fraction
    1.0
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import mpmath
import numpy as np
from mpmath.ctx_iv import MPIntervalContext

from . import validation as check
from .dual import assemble_system
from .dynamics import Dynamics, as_dynamics
from .solvers.newton import newton
from .spectrum import eq15, eq15_gram

#: Working precision (bits) of the interval arithmetic: far beyond float64 so that the
#: enclosures' widths come from the parameter box, not from rounding.
PRECISION_BITS = 113
#: Epsilon-inflation attempts of the Krawczyk test before a box counts as not enclosed.
KRAWCZYK_ATTEMPTS = 8
#: Iteration cap of the high-precision polish (:func:`mpmath.findroot`).
NEWTON_MAX_ITER = 200
#: Default limits of the bisection.
DEFAULT_MAX_DEPTH = 40
DEFAULT_MAX_BOXES = 20000
DEFAULT_MAX_SECONDS = 120.0
#: Supported parameter ranges (checked up front; beyond them float64 start values and the
#: 113-bit enclosures are not trusted to behave). The goals of issue 12 lie well inside.
DELTA_RANGE = (-0.99, 0.99)
RATIO_RANGE = (1e-4, 1e4)
LAM_RANGE = (1e-6, 1e4)

STATUSES = ("certified", "refuted", "undecided")
STATEMENTS = {"signed": "d z2*/d s1^2 < 0", "magnitude": "d|z2*|/d s1^2 < 0 where z2* != 0"}
BACKENDS = ("auto", "mpmath", "flint")
ENCLOSURES = ("any", "numeric")
INV_SQRT2 = 1.0 / math.sqrt(2.0)
#: Enclosures of log-alpha beyond this magnitude are given up.
_Y_LIMIT = 2000


# --------------------------------------------------------------------------- backends
class _MpmathBackend:
    """mpmath.iv intervals at :data:`PRECISION_BITS` bits."""

    name = "mpmath"

    def __init__(self) -> None:
        self.ctx = MPIntervalContext()
        self.ctx.prec = PRECISION_BITS

    def interval(self, lo: Any, hi: Any) -> Any:
        return self.ctx.mpf([lo, hi])

    def point(self, x: Any) -> Any:
        return self.ctx.mpf(x)

    def lo(self, x: Any) -> mpmath.mpf:
        return mpmath.mp.make_mpf(x._mpi_[0])

    def hi(self, x: Any) -> mpmath.mpf:
        return mpmath.mp.make_mpf(x._mpi_[1])

    def exp(self, x: Any) -> Any:
        return self.ctx.exp(x)

    def log(self, x: Any) -> Any:
        if not self.lo(x) > 0:
            raise ValueError("log of an interval reaching 0")
        return self.ctx.log(x)

    def log1p(self, x: Any) -> Any:
        if not self.lo(x) > -1:
            raise ValueError("log1p of an interval reaching -1")
        return self.ctx.log1p(x)

    def sqrt(self, x: Any) -> Any:
        return self.ctx.sqrt(x)

    def to_mpf(self, x: Any) -> mpmath.mpf:
        return x

    def finite(self, x: Any) -> bool:
        return bool(mpmath.isfinite(self.lo(x)) and mpmath.isfinite(self.hi(x)))


class _FlintBackend:
    """python-flint ``arb`` balls at :data:`PRECISION_BITS` bits (C speed)."""

    name = "flint"

    def __init__(self) -> None:
        import flint

        self.flint = flint
        self.arb = flint.arb

    def interval(self, lo: Any, hi: Any) -> Any:
        return self._arb(lo).union(self._arb(hi))

    def point(self, x: Any) -> Any:
        return self._arb(x)

    def _arb(self, x: Any) -> Any:
        if isinstance(x, self.arb):
            return x
        if isinstance(x, mpmath.mpf):
            man, exp = x.man_exp
            return self.arb(man) * self.arb(2) ** exp if exp < 0 else self.arb(man * 2 ** exp)
        return self.arb(x)

    def lo(self, x: Any) -> Any:
        return x.lower()

    def hi(self, x: Any) -> Any:
        return x.upper()

    def exp(self, x: Any) -> Any:
        return x.exp()

    def log(self, x: Any) -> Any:
        if not x > 0:
            raise ValueError("log of an interval reaching 0")
        return x.log()

    def log1p(self, x: Any) -> Any:
        if not x > -1:
            raise ValueError("log1p of an interval reaching -1")
        return x.log1p()

    def sqrt(self, x: Any) -> Any:
        return x.sqrt()

    def to_mpf(self, x: Any) -> mpmath.mpf:
        man, exp = x.man_exp()
        with mpmath.workprec(max(PRECISION_BITS, int(man).bit_length() + 8)):
            return mpmath.ldexp(mpmath.mpf(int(man)), int(exp))

    def finite(self, x: Any) -> bool:
        return bool(x.is_finite())


def flint_available() -> bool:
    """Whether python-flint (the optional extra ``certify``) is installed.

    Paper: none (infrastructure).
    """
    try:
        import flint  # noqa: F401
    except ImportError:
        return False
    return True


def _backend(name: str) -> Any:
    check.choice("backend", name, BACKENDS)
    if name == "auto":
        name = "mpmath"  # measured faster here (module docstring)
    if name == "flint":
        if not flint_available():
            raise check.fail("backend", name, "needs python-flint (pip install "
                             "'gstheory[certify]'); use mpmath instead")
        return _FlintBackend()
    return _MpmathBackend()


# --------------------------------------------------------------------------- boxes
@dataclass(frozen=True)
class Box:
    r"""A parameter box :math:`[\delta] \times [r] \times [\ell]` (with :math:`s_2^2 = 1`).

    Arguments:
        delta: ``(lo, hi)`` within :data:`DELTA_RANGE` (``lo == hi`` allowed: a point).
        ratio: ``(lo, hi)`` of :math:`s_1^2/s_2^2` within :data:`RATIO_RANGE`.
        lam: ``(lo, hi)`` of :math:`\lambda/s_2^2` within :data:`LAM_RANGE`.

    Raises:
        ValueError: an inverted interval or a bound outside the supported range (the
            message names the argument and the range).

    Paper: Eq. 15, Theorem 2.
    """

    delta: tuple[float, float]
    ratio: tuple[float, float]
    lam: tuple[float, float]

    def __post_init__(self) -> None:
        for name, (rlo, rhi) in (("delta", DELTA_RANGE), ("ratio", RATIO_RANGE),
                                 ("lam", LAM_RANGE)):
            lo, hi = _pair(name, getattr(self, name))
            if not (rlo <= lo and hi <= rhi):
                raise check.fail(name, (lo, hi), f"must lie within the supported range "
                                                 f"[{rlo:g}, {rhi:g}]")
            if not lo <= hi:
                raise check.fail(name, (lo, hi), "must be an interval LO,HI with LO <= HI")
            object.__setattr__(self, name, (lo, hi))

    def coords(self) -> list[tuple[float, float]]:
        """The box in the bisection coordinates ``(delta, log ratio, log lam)``."""
        return [self.delta, (math.log(self.ratio[0]), math.log(self.ratio[1])),
                (math.log(self.lam[0]), math.log(self.lam[1]))]

    def center(self) -> tuple[float, float, float]:
        """Centre in bisection coordinates (geometric mean for ratio and lam)."""
        return (0.5 * (self.delta[0] + self.delta[1]),
                math.sqrt(self.ratio[0] * self.ratio[1]),
                math.sqrt(self.lam[0] * self.lam[1]))

    def split(self, k: int, at: float | None = None) -> tuple[Box, Box]:
        """Cut the box along coordinate ``k`` (0 delta, 1 ratio, 2 lam) at ``at`` (default:
        the midpoint, geometric for ratio and lam)."""
        mid = self.center()[k] if at is None else at
        parts = [self.delta, self.ratio, self.lam]
        lo_part, hi_part = list(parts), list(parts)
        lo_part[k] = (parts[k][0], mid)
        hi_part[k] = (mid, parts[k][1])
        return Box(*lo_part), Box(*hi_part)

    def to_dict(self) -> dict[str, list[float]]:
        """JSON-ready form."""
        return {"delta": list(self.delta), "ratio": list(self.ratio), "lam": list(self.lam)}


def _pair(name: str, value: Any) -> tuple[float, float]:
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise check.fail(name, value, "must be an interval (LO, HI)") from None
    return check.finite_scalar(name, lo), check.finite_scalar(name, hi)


@dataclass(frozen=True)
class BoxVerdict:
    """The verdict on one box.

    Arguments:
        box: the parameter box.
        status: ``certified``, ``refuted`` or ``undecided``.
        derivative: enclosure ``(lo, hi)`` of the certified quantity over the box
            (``None`` when the fixed point could not be enclosed).
        enclosure: the verified enclosure of ``[y1, y2] = [log(alpha1/alpha2),
            log(alpha2/lam)]`` as ``[[lo, hi], [lo, hi]]`` (``None``: not enclosed).
        point: for a refuted smallest box, the verified counterexample
            ``(delta, ratio, lam)``; ``None`` otherwise.
        point_derivative: enclosure of the quantity at ``point``.
        depth: bisection depth of the box.
        reason: one line saying why.
        enclosure_method: what proved the enclosure (``a-priori lemma``, ``Miranda``,
            ``Krawczyk``); alpha_bounds: the enclosure as bounds on
            :math:`\alpha_1^*, \alpha_2^*` (the lemma's open bounds for the a-priori case).

    Paper: Theorem 2 (Eq. 16) on a box of Eq. 15's parameters; beyond the paper: interval
    certificates.
    """

    box: Box
    status: str
    derivative: tuple[float, float] | None
    enclosure: list[list[float]] | None
    point: tuple[float, float, float] | None
    point_derivative: tuple[float, float] | None
    depth: int
    reason: str
    enclosure_method: str | None = None
    alpha_bounds: list[list[float]] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"box": self.box.to_dict(), "status": self.status,
                "derivative": None if self.derivative is None else list(self.derivative),
                "enclosure": self.enclosure, "enclosure_method": self.enclosure_method,
                "alpha_bounds": self.alpha_bounds,
                "point": None if self.point is None else list(self.point),
                "point_derivative": (None if self.point_derivative is None
                                     else list(self.point_derivative)),
                "depth": self.depth, "reason": self.reason}


@dataclass(frozen=True)
class Certificate:
    """Result of :func:`certify_theorem2`.

    Fractions are of the box's volume in the coordinates ``(delta, log ratio, log lam)``.
    ``stopped`` says what ended the run early (``None``: every box was decided or reached
    the depth limit; ``"box budget"`` or ``"time budget"`` otherwise).

    Paper: Theorem 2 (Eq. 16), Eq. 15; beyond the paper: interval certificates.
    """

    box: Box
    dynamics: str
    statement: str
    backend: str
    certified_fraction: float
    refuted_fraction: float
    undecided_fraction: float
    certified: list[BoxVerdict] = field(repr=False)
    refuted: list[BoxVerdict] = field(repr=False)
    undecided: list[BoxVerdict] = field(repr=False)
    boxes_examined: int = 0
    max_depth: int = DEFAULT_MAX_DEPTH
    stopped: str | None = None
    seconds: float = 0.0

    @property
    def exhausted(self) -> bool:
        """Whether a budget (boxes or time) ended the run before every box was decided."""
        return self.stopped is not None

    @property
    def verdict(self) -> str:
        """``certified`` (whole box proven), ``refuted`` (a verified counterexample exists)
        or ``undecided``."""
        if self.refuted:
            return "refuted"
        if not self.undecided:
            return "certified"
        return "undecided"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what ``gstheory certify --json`` prints)."""
        return {"claim": "theorem2", "statement": STATEMENTS[self.statement],
                "form": self.statement, "dynamics": self.dynamics, "backend": self.backend,
                "box": self.box.to_dict(),
                "volume_coordinates": ["delta", "log ratio", "log lam"],
                "verdict": self.verdict,
                "certified_fraction": self.certified_fraction,
                "refuted_fraction": self.refuted_fraction,
                "undecided_fraction": self.undecided_fraction,
                "boxes_examined": self.boxes_examined, "max_depth": self.max_depth,
                "stopped_by": self.stopped, "seconds": self.seconds,
                "certified": [v.to_dict() for v in self.certified],
                "refuted": [v.to_dict() for v in self.refuted],
                "undecided": [v.to_dict() for v in self.undecided]}


# --------------------------------------------------------------------------- equations
# Written once, generic over a context ``ctx`` with exp/log/log1p/sqrt (a backend for
# boxes, mpmath.mp or _FloatContext for points) and over the dynamics (its link pieces,
# :mod:`gstheory.dynamics`); Eq. 15's Gram matrix is :func:`gstheory.spectrum.eq15_gram`.

@dataclass(frozen=True)
class _Point:
    """The parameters ``(delta, ratio, lam)`` in one context, with Eq. 15's ``c`` and Gram
    matrix (:func:`gstheory.spectrum.eq15_gram`, :math:`s_2^2 = 1`) computed once."""

    delta: Any
    ratio: Any
    lam: Any
    c: Any
    g11: Any
    g12: Any
    g22: Any


def _point(ctx: Any, delta: Any, ratio: Any, lam: Any) -> _Point:
    return _Point(delta, ratio, lam, *eq15_gram(delta, ratio, 1, ctx.sqrt))


def _alphas(ctx: Any, y: list[Any], lam: Any) -> tuple[Any, Any]:
    r""":math:`\alpha_1 = \ell e^{y_1 + y_2}`, :math:`\alpha_2 = \ell e^{y_2}`."""
    a2 = lam * ctx.exp(y[1])
    return a2 * ctx.exp(y[0]), a2


def _shift(dyn: Dynamics, a: Any) -> Any:
    r"""The dynamics' identity in ``A`` applied to :math:`\alpha` (Taylor: :math:`\alpha`;
    skipped where it is 0, which saves interval operations)."""
    return dyn.identity_in_M * a if dyn.identity_in_M else 0


def _residual(ctx: Any, y: list[Any], p: _Point, dyn: Dynamics) -> list[Any]:
    r"""The fixed-point equations :math:`\operatorname{link}(\alpha) - A\alpha = 0` in
    :math:`y = (\log(\alpha_1/\alpha_2), \log(\alpha_2/\ell))`: Eq. 9
    :math:`\log(1-\alpha) - \log\alpha - G\alpha/\ell`, Eq. 10
    :math:`-\log\alpha - \alpha - G\alpha/\ell`; each is decreasing in its own
    :math:`\log\alpha_i`."""
    a = _alphas(ctx, y, p.lam)
    loglam = ctx.log(p.lam)
    x = (loglam + y[0] + y[1], loglam + y[1])
    e1, e2 = ctx.exp(y[0]), ctx.exp(y[1])
    m = ((p.g11 * e1 + p.g12) * e2, (p.g12 * e1 + p.g22) * e2)       # (G alpha)_i / lam
    return [dyn.link_from_log(x[i], ctx) - _shift(dyn, a[i]) - m[i] for i in range(2)]


def _jacobian(ctx: Any, y: list[Any], p: _Point, dyn: Dynamics) -> list[list[Any]]:
    r""":math:`\partial F / \partial y` (the Jacobian in :math:`x = \log\alpha` times
    ``[[1, 1], [0, 1]]``)."""
    g11, g12, g22 = p.g11, p.g12, p.g22
    a = _alphas(ctx, y, p.lam)
    b2 = ctx.exp(y[1])
    b1 = ctx.exp(y[0]) * b2
    j11 = -dyn.log_slope(a[0]) - _shift(dyn, a[0]) - g11 * b1
    j12 = -g12 * b2
    j21 = -g12 * b1
    j22 = -dyn.log_slope(a[1]) - _shift(dyn, a[1]) - g22 * b2
    return [[j11, j11 + j12], [j21, j21 + j22]]


@dataclass(frozen=True)
class Factors:
    """Enclosures of the explicit factors of the all-orders factorisation (module
    docstring) over one box; each entry is an interval of the backend.

    Paper: Theorem 2 (Eq. 16), via derivation ``theorem-2-all-orders``."""

    coupling: Any        # 1 - 2 delta^2 = c^2 - delta^2
    gap: Any             # r - 1
    c_delta: Any         # c * delta
    load: Any            # c e^{y1} + delta  (u_1 . alpha / alpha_2)
    ratio_term: Any      # 1 + e^{-y1}
    extra: Any           # E (1 for Taylor)
    Q: Any               # lam^2 det M > 0
    T: Any               # lam (2 kappa + v^T A v) > 0
    W: Any               # z2* = (c^2 - delta^2) W / lam; None where c + delta may be 0

    def derivative(self) -> Any:
        r""":math:`\partial z_2^*/\partial s_1^2`."""
        return -(self.coupling * self.gap * self.rest())

    def rest(self) -> Any:
        """The derivative without the factor ``-(1 - 2 delta^2)(r - 1)``."""
        return self.c_delta * self.load * self.ratio_term * self.extra / (self.Q * self.T)


def _factors(B: Any, X: list[Any], P: _Point, dyn: Dynamics) -> Factors:
    r"""The factors over the parameter box ``P`` from an enclosure ``X`` of
    :math:`\log\alpha^*`: :math:`d_i = \ell\,(\operatorname{link}'(\alpha_i) + [A \ni I])`,
    :math:`\kappa` the link's divided difference, ``E`` its slope's scaled divided
    difference (:meth:`~gstheory.dynamics.Dynamics.scaled_slope_quotient`)."""
    delta, ratio, lam = P.delta, P.ratio, P.lam
    c, g11, g22 = P.c, P.g11, P.g22
    a1, a2 = B.exp(X[0]), B.exp(X[1])
    e1 = B.exp(X[0] - X[1])
    b2 = a2 / lam
    ah = B.interval(min(B.lo(a1), B.lo(a2)), max(B.hi(a1), B.hi(a2)))   # hull(a1, a2)
    vav = ratio + 1 - 2 * c * delta * (ratio - 1)                        # lam v^T (G/lam) v
    diff = a1 - a2
    disjoint = B.lo(diff) > 0 or B.hi(diff) < 0
    # kappa: the divided difference of -link between alpha1 and alpha2 where their
    # enclosures are disjoint, else -link'(xi) for xi in their hull (mean value theorem)
    kappa = ((dyn.link_from_log(X[1], B) - dyn.link_from_log(X[0], B)) / diff if disjoint
             else dyn.link_slope(ah))
    eye = dyn.identity_in_M
    T = 2 * lam * kappa + vav + 2 * lam * eye
    ld1, ld2 = (lam * (dyn.link_slope(a) + eye) for a in (a1, a2))
    extra = dyn.scaled_slope_quotient(a1, a2) * B.point(1)
    Q = ld1 * ld2 + ld1 * g22 + ld2 * g11 + ratio
    W = (b2 * (c * (ratio - 1) * (1 + e1) / T + e1 / (c + delta))
         if B.lo(c + delta) > 0 else None)
    return Factors(1 - 2 * delta * delta, ratio - 1, c * delta, c * e1 + delta,
                   1 + 1 / e1, extra, Q, T, W)


def _face(B: Any, i: int, xi: Any, X: list[Any], P: _Point, dyn: Dynamics) -> Any:
    r""":math:`F_i` in :math:`x = \log\alpha` on the face :math:`x_i = x_i^0` of ``X``:
    :math:`\operatorname{link}(\alpha_i) - [A \ni I]\alpha_i - (G\alpha)_i/\ell`,
    decreasing in :math:`x_i` for both dynamics."""
    j = 1 - i
    ai, aj = B.exp(xi), B.exp(X[j])
    gii = P.g11 if i == 0 else P.g22
    m = (gii * ai + P.g12 * aj) / P.lam
    return dyn.link_from_log(xi, B) - _shift(dyn, ai) - m


# --------------------------------------------------------------------------- point solve
class _FloatContext:
    """The functions the equations need at one float64 point."""

    exp = staticmethod(math.exp)
    log = staticmethod(math.log)
    log1p = staticmethod(math.log1p)
    sqrt = staticmethod(math.sqrt)


def _system(points: list[tuple[float, float, float]], dyn: Dynamics
            ) -> tuple[np.ndarray, np.ndarray]:
    """The engine's ``(M, c)`` (ridge, :func:`gstheory.dual.assemble_system`) for a batch
    of points ``(delta, ratio, lam)`` with :math:`s_2^2 = 1`."""
    P = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    s2 = np.stack([P[:, 1], np.ones(len(P))], axis=1)
    return assemble_system(eq15(P[:, 0]), s2, np.repeat(P[:, 2:], 2, axis=1), None, dyn)


def _to_y(loga: Any, lam: Any, log: Any) -> list[Any]:
    """``[log(alpha1/alpha2), log(alpha2/lam)]`` from ``log alpha``."""
    return [loga[0] - loga[1], loga[1] - log(lam)]


def _from_y(y: list[float], lam: float, dyn: Dynamics) -> np.ndarray:
    """Solver coordinates from ``y`` (float64)."""
    x2 = float(y[1]) + math.log(lam)
    return dyn.coords_from_log_alpha(np.array([float(y[0]) + x2, x2]))


def _float_fixed_points(points: list[tuple[float, float, float]], dyn: Dynamics,
                        guess: list[float] | None = None) -> list[list[float] | None]:
    """The fixed points at a batch of points by the package's Newton engine
    (:func:`gstheory.solvers.newton.newton`), as ``y``; ``None`` where it failed."""
    M, c = _system(points, dyn)
    x0 = None
    if guess is not None:
        try:
            x0 = np.stack([_from_y(guess, p[2], dyn) for p in points])
        except (ValueError, OverflowError):
            x0 = None
    r = newton(M, c, dyn, x0)
    x, ok = r.x, r.converged
    if x0 is not None and not ok.all():      # a cold start for the warm starts that failed
        cold = newton(M, c, dyn)
        x = np.where(ok[:, None], x, cold.x)
        ok = ok | cold.converged
    loga = dyn.log_alpha(x)
    return [_to_y(loga[k], p[2], math.log) if ok[k] else None for k, p in enumerate(points)]


def _estimates(box: Box, dyn: Dynamics, guess: Any
               ) -> tuple[list[Any] | None, list[list[float] | None]]:
    """The float64 fixed points at the box centre (the Krawczyk test's centre and the
    children's start; its verdicts do not rely on its accuracy) and at its corners (the
    Miranda test's box), in one batch of the Newton engine; ``None`` where it failed."""
    ys = _float_fixed_points([box.center(), *_corners(box)], dyn,
                             None if guess is None else [float(v) for v in guess])
    return (None if ys[0] is None else [mpmath.mpf(v) for v in ys[0]]), ys[1:]


def point_fixed_point(delta: float, ratio: float, lam: float, dynamics: Any = "exact",
                      guess: list[Any] | None = None) -> list[mpmath.mpf]:
    r"""High-precision estimate of the fixed point at one parameter point.

    The package's Newton engine (:mod:`gstheory.solvers.newton`) in float64, polished at
    :data:`PRECISION_BITS` bits by :func:`mpmath.findroot` (multidimensional Newton: an
    independent library solver). It is the centre of the Krawczyk test, whose verdict
    does not rely on its accuracy.

    Arguments:
        delta, ratio, lam: the point (:math:`s_2^2 = 1`).
        dynamics: ``exact`` (Eq. 9) or ``taylor`` (Eq. 10), or a
            :class:`~gstheory.dynamics.Dynamics`.
        guess: optional starting ``[y1, y2]`` (e.g. the parent box's centre).

    Returns:
        ``[y1, y2] = [log(alpha1/alpha2), log(alpha2/lam)]`` as mpmath numbers.

    Raises:
        ValueError: invalid parameters, or no convergence (never silently).

    Paper: Eq. 9, Eq. 10, Eq. 15.
    """
    dyn = as_dynamics(dynamics)
    Box((delta, delta), (ratio, ratio), (lam, lam))   # validates the supported range
    p = (float(delta), float(ratio), float(lam))
    y = _float_fixed_points([p], dyn, None if guess is None else [float(v) for v in guess])[0]
    if y is not None:
        with mpmath.workprec(PRECISION_BITS):
            pm = _point(mpmath.mp, *(mpmath.mpf(v) for v in p))
            try:
                ym = list(mpmath.findroot(
                    lambda y1, y2: _residual(mpmath.mp, [y1, y2], pm, dyn),
                    [mpmath.mpf(v) for v in y], solver="mdnewton",
                    J=lambda y1, y2: _jacobian(mpmath.mp, [y1, y2], pm, dyn),
                    tol=mpmath.mpf(2) ** (-PRECISION_BITS), maxsteps=NEWTON_MAX_ITER))
            except (ValueError, ZeroDivisionError):
                ym = [mpmath.mpf(v) for v in y]
            f = _residual(mpmath.mp, ym, pm, dyn)
            if max(abs(f[0]), abs(f[1])) < mpmath.mpf(2) ** (-PRECISION_BITS // 2):
                return ym
    raise ValueError(f"point_fixed_point(delta={delta}, ratio={ratio}, lam={lam}, "
                     f"dynamics={dyn.name}): Newton did not converge")


# --------------------------------------------------------------------------- enclosures
def _params(B: Any, box: Box) -> _Point:
    return _point(B, B.interval(*box.delta), B.interval(*box.ratio), B.interval(*box.lam))


def _krawczyk(B: Any, box: Box, dyn: Dynamics, centre: list[Any]) -> list[Any] | None:
    r"""Parametric Krawczyk test around ``centre`` (in ``y`` coordinates); the enclosure of
    :math:`\log\alpha^*` or ``None``.

    :math:`K(X) = \tilde y - C F(\tilde y, P) + (I - C J(X, P))(X - \tilde y)`;
    :math:`K(X) \subset \operatorname{int} X` proves that for every parameter of ``P``
    exactly one fixed point lies in ``X``, and that it lies in :math:`K(X)`."""
    P = _params(B, box)
    cf = [float(v) for v in centre]
    J = _jacobian(_FloatContext, cf, _point(_FloatContext, *box.center()), dyn)
    det = J[0][0] * J[1][1] - J[0][1] * J[1][0]
    if det == 0 or not math.isfinite(det):
        return None
    C = [[J[1][1] / det, -J[0][1] / det], [-J[1][0] / det, J[0][0] / det]]
    xti = [B.point(v) for v in centre]
    F = _residual(B, xti, P, dyn)
    CF = [C[0][0] * F[0] + C[0][1] * F[1], C[1][0] * F[0] + C[1][1] * F[1]]
    if not all(B.finite(v) for v in CF):
        return None
    tiny = 2.0 ** (-PRECISION_BITS + 20)
    radius = [2 * float(max(abs(B.lo(v)), abs(B.hi(v)))) + tiny * (1 + abs(cf[i]))
              for i, v in enumerate(CF)]
    X = [xti[i] + B.interval(-radius[i], radius[i]) for i in range(2)]
    for _ in range(KRAWCZYK_ATTEMPTS):
        if any(abs(float(B.lo(v))) > _Y_LIMIT or abs(float(B.hi(v))) > _Y_LIMIT for v in X):
            return None
        if not all(B.hi(a) < dyn.alpha_max for a in _alphas(B, X, P.lam)):
            return None
        JX = _jacobian(B, X, P, dyn)
        R = [[(1 if i == j else 0) - (C[i][0] * JX[0][j] + C[i][1] * JX[1][j])
              for j in range(2)] for i in range(2)]
        dX = [X[0] - xti[0], X[1] - xti[1]]
        K = [xti[i] - CF[i] + R[i][0] * dX[0] + R[i][1] * dX[1] for i in range(2)]
        if not all(B.finite(k) for k in K):
            return None
        if all(B.lo(X[i]) < B.lo(K[i]) and B.hi(K[i]) < B.hi(X[i]) for i in range(2)):
            x2 = B.log(P.lam) + K[1]
            return [x2 + K[0], x2]
        X = []
        for i in range(2):   # epsilon-inflation of the hull of K and the centre
            lo = min(float(B.lo(K[i])), cf[i])
            hi = max(float(B.hi(K[i])), cf[i])
            w = (hi - lo) * 0.1 + tiny * (1 + abs(lo) + abs(hi))
            X.append(B.interval(lo - w, hi + w))
    return None


def _corners(box: Box) -> list[tuple[float, float, float]]:
    return [(d, r, lm) for d in box.delta for r in box.ratio for lm in box.lam]


def _miranda(B: Any, box: Box, dyn: Dynamics, centre: list[Any],
            corners: list[list[float] | None] | None = None) -> list[Any] | None:
    r"""Poincare-Miranda test on a box ``X`` of :math:`x = \log\alpha` built from the
    fixed points at the parameter box's corners; the enclosure or ``None``.

    If, for every parameter of ``P``, each :math:`F_i` has opposite strict signs on the two
    faces :math:`x_i = \underline{X}_i` and :math:`x_i = \overline{X}_i`, then ``X``
    holds a fixed point (Poincare-Miranda), which is *the* fixed point: it is unique by
    Theorem 1 (strict concavity of the dual). Unlike Krawczyk it needs no contraction, so
    it works on wide parameter boxes."""
    guess = [float(v) for v in centre]
    if corners is None:
        corners = _float_fixed_points(_corners(box), dyn, guess)
    xs = []
    for y, p in zip([*corners, guess], [*_corners(box), box.center()]):
        if y is None:
            return None
        xs.append((y[0] + y[1] + math.log(p[2]), y[1] + math.log(p[2])))
    lo = [min(x[i] for x in xs) for i in range(2)]
    hi = [max(x[i] for x in xs) for i in range(2)]
    # alpha below its domain's end; below the link's root where the corners are: cap
    # halfway to it
    top = math.log(dyn.alpha_max)
    root = math.log(dyn.link_root)
    P = _params(B, box)
    for attempt in range(3):
        grow = 0.05 * 4 ** attempt
        L = [lo[i] - (hi[i] - lo[i]) * grow - 1e-9 * (1 + abs(lo[i])) for i in range(2)]
        H = [hi[i] + (hi[i] - lo[i]) * grow + 1e-9 * (1 + abs(hi[i])) for i in range(2)]
        if math.isfinite(top):
            H = [min(H[i], 0.5 * (hi[i] + root)) if hi[i] < root else min(H[i], top - 1e-12)
                 for i in range(2)]
        if any(not L[i] < H[i] for i in range(2)):
            return None
        X = [B.interval(L[i], H[i]) for i in range(2)]
        ok = True
        for i in range(2):     # F_i decreasing in x_i: > 0 on the low face, < 0 on the high
            f_lo = _face(B, i, B.point(L[i]), X, P, dyn)
            f_hi = _face(B, i, B.point(H[i]), X, P, dyn)
            if not (B.lo(f_lo) > 0 and B.hi(f_hi) < 0):
                ok = False
                break
        if ok:
            return X
    return None


def _enclosures(B: Any, box: Box, dyn: Dynamics, centre: list[Any],
                corners: list[list[float] | None] | None = None):
    r"""Verified enclosures of :math:`\log\alpha^*` over ``box``, cheapest first:
    ``(X, method)`` pairs (Miranda first on a wide box, Krawczyk first on a narrow one)."""
    narrow = all(hi - lo <= 1e-6 * (1 + abs(lo)) for lo, hi in box.coords())
    miranda = ("Miranda", partial(_miranda, corners=corners))
    krawczyk = ("Krawczyk", _krawczyk)
    for name, fn in ((krawczyk, miranda) if narrow else (miranda, krawczyk)):
        try:
            with _flint_prec(B):
                X = fn(B, box, dyn, centre)
        except (ValueError, OverflowError, ZeroDivisionError):
            X = None
        if X is not None:
            yield X, name


def enclose_fixed_point(box: Box, dynamics: Any = "exact", centre: list[Any] | None = None,
                        *, backend: str = "mpmath") -> list[Any] | None:
    r"""Enclose :math:`\log\alpha^*` for every parameter of ``box``.

    Tries a Poincare-Miranda face test (wide boxes) and a parametric Krawczyk operator
    (narrow boxes); either proves that the box's unique fixed point (Theorem 1) lies in the
    returned enclosure.

    Arguments:
        box: the parameter box.
        dynamics: ``exact`` (Eq. 9) or ``taylor`` (Eq. 10).
        centre: the fixed point at the box centre (:func:`point_fixed_point`), if known.
        backend: ``mpmath``, ``flint`` or ``auto`` (intervals of that library are returned).

    Returns:
        ``[X1, X2]`` with :math:`\log\alpha_i^* \in X_i` for every parameter of the box;
        ``None`` if no test succeeded (box too wide: bisect it).

    Raises:
        ValueError: unknown ``dynamics`` or ``backend``, or a bad box.

    Paper: Eq. 9, Eq. 10 (fixed points of Theorem 1).
    """
    dyn = as_dynamics(dynamics)
    if not isinstance(box, Box):
        raise check.fail("box", box, "must be a gstheory.certificates.Box")
    B = _backend(backend)
    xt = point_fixed_point(*box.center(), dynamics=dyn) if centre is None else centre
    return next((X for X, _ in _enclosures(B, box, dyn, xt)), None)


def _round(x: mpmath.mpf, *, down: bool) -> float:
    f = float(x)
    if down and mpmath.mpf(f) > x:
        f = math.nextafter(f, -math.inf)
    if not down and mpmath.mpf(f) < x:
        f = math.nextafter(f, math.inf)
    return f


def _float_pair(B: Any, x: Any) -> tuple[float, float]:
    with mpmath.workprec(PRECISION_BITS):
        return (_round(B.to_mpf(B.lo(x)), down=True), _round(B.to_mpf(B.hi(x)), down=False))


@dataclass(frozen=True)
class _Decision:
    status: str                   # certified / refuted / undecided
    value: tuple[float, float] | None
    enclosure: list[list[float]] | None
    reason: str
    method: str | None = None     # a-priori lemma / Miranda / Krawczyk
    alpha: list[list[float]] | None = None


def _sgn_interval(lo: float, hi: float, zero: float) -> int:
    """Sign of ``t - zero`` on the box ``[lo, hi]`` open at a face lying on ``zero``:
    the explicit factors vanish only on their planes, which a cut puts on a face."""
    if lo == hi == zero:
        return 0
    if lo >= zero:
        return 1
    if hi <= zero:
        return -1
    return 0


def explicit_signs(box: Box) -> dict[str, int]:
    r"""Signs of the explicit parameter factors of the factorisation on ``box``:
    ``coupling`` :math:`1 - 2\delta^2`, ``gap`` :math:`r - 1`, ``c_delta``
    :math:`c\delta` (0: not determined, or the box lies on the factor's zero plane).

    Paper: Theorem 2 (Eq. 16), Eq. 15."""
    dlo, dhi = box.delta
    if dlo >= 0:
        coupling = -_sgn_interval(dlo, dhi, INV_SQRT2)
    elif dhi <= 0:
        coupling = _sgn_interval(dlo, dhi, -INV_SQRT2)
    else:
        coupling = 1 if max(-dlo, dhi) <= INV_SQRT2 else 0
    return {"coupling": coupling, "gap": _sgn_interval(*box.ratio, 1.0),
            "c_delta": _sgn_interval(dlo, dhi, 0.0),
            "on_plane": int(dlo == dhi and abs(abs(dlo) - INV_SQRT2) < 1e-15)}


def _prior_signs(box: Box, ex: dict[str, int]) -> dict[str, int] | None:
    r"""Signs of the enclosure-dependent factors from the a-priori enclosure, or ``None``.

    Lemma (a-priori enclosure): where :math:`G_{12} = c\delta(r-1) \ge 0` every entry of
    :math:`G` is :math:`\ge 0` and :math:`G_{ii} > 0`, so at the fixed point
    :math:`(A\alpha)_i > 0` and :math:`\operatorname{link}(\alpha_i) < 0`: for Eq. 9
    :math:`\alpha_i \in (0, 1/2)`, for Eq. 10 :math:`\alpha_i \in (0, 1)`. Then
    :math:`c e^{y_1} + \delta > 0` (:math:`\delta \ge 0`), :math:`1 - \alpha_1 - \alpha_2 > 0`
    and :math:`W > 0` (:math:`r \ge 1`, :math:`c + \delta > 0`)."""
    if not (ex["c_delta"] > 0 and ex["gap"] > 0):
        return None
    return {"load": 1, "extra": 1, "W": 1}


def _interval_sign(B: Any, x: Any) -> int:
    if x is None or not B.finite(x):
        return 0
    if B.lo(x) > 0:
        return 1
    if B.hi(x) < 0:
        return -1
    return 0


def _combine(ex: dict[str, int], en: dict[str, int], statement: str) -> int:
    r"""Sign of the statement's quantity from its factors' signs (0: undetermined).

    signed: :math:`-(1-2\delta^2)(r-1)\,c\delta\,(ce^{y_1}+\delta) E` times positive
    factors; magnitude: :math:`-|1-2\delta^2|\,W\,(r-1)\,c\delta\,(ce^{y_1}+\delta) E`."""
    keys = ("gap", "c_delta")
    s = -1
    for k in keys:
        s *= ex[k]
    s *= en["load"] * en["extra"]
    if statement == "signed":
        return s * ex["coupling"]
    # |1 - 2 delta^2| > 0 off the plane |delta| = 1/sqrt2, where z2* = 0 (undefined there)
    return s * en["W"] * (0 if ex["on_plane"] else 1)


def _decide(B: Any, box: Box, dyn: Dynamics, statement: str, centre: list[Any] | None,
            numeric_only: bool = False,
            corners: list[list[float] | None] | None = None) -> _Decision:
    """Read the sign of the statement's factors on ``box`` from an enclosure of the fixed
    point (the a-priori lemma, Miranda or Krawczyk)."""
    what = "d z2*/d s1^2" if statement == "signed" else "d|z2*|/d s1^2"
    ex = explicit_signs(box)
    if not numeric_only:
        pri = _prior_signs(box, ex)
        if pri is not None:
            s = _combine(ex, pri, statement)
            if s != 0:
                top = dyn.link_root
                return _Decision("certified" if s < 0 else "refuted", None, None,
                                 f"{what} {'<' if s < 0 else '>'} 0 on the whole box "
                                 f"(enclosure: a-priori lemma, alpha in (0, {top:g}))",
                                 "a-priori lemma", [[0.0, top], [0.0, top]])
    last = _Decision("undecided", None, None, "fixed point not enclosed")
    if centre is None:
        return last
    for X, method in _enclosures(B, box, dyn, centre, corners):
        enc = [list(_float_pair(B, v)) for v in X]
        try:
            with _flint_prec(B):
                fac = _factors(B, X, _params(B, box), dyn)
                en = {"load": _interval_sign(B, fac.load),
                      "extra": _interval_sign(B, fac.extra),
                      "W": _interval_sign(B, fac.W)}
                s = _combine(ex, en, statement)
                if statement == "signed":
                    D = fac.derivative()
                else:
                    D = -(fac.gap * fac.rest()) * abs(fac.coupling)
                    if en["W"] < 0:
                        D = -D
                value = _float_pair(B, D) if B.finite(D) else None
        except (ValueError, OverflowError, ZeroDivisionError):
            continue
        alpha = [[math.exp(lo), math.exp(hi)] for lo, hi in enc]
        if s != 0:
            return _Decision("certified" if s < 0 else "refuted", value, enc,
                             f"{what} {'<' if s < 0 else '>'} 0 on the whole box "
                             f"(enclosure: {method})", method, alpha)
        last = _Decision("undecided", value, enc,
                         f"{what}: a factor's sign not determined (enclosure: {method})",
                         method, alpha)
    return last


class _NoGuard:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class _FlintPrec:
    def __init__(self) -> None:
        import flint

        self.flint = flint

    def __enter__(self) -> None:
        self.old = self.flint.ctx.prec
        self.flint.ctx.prec = PRECISION_BITS

    def __exit__(self, *exc: object) -> None:
        self.flint.ctx.prec = self.old


def _flint_prec(B: Any) -> Any:
    return _FlintPrec() if B.name == "flint" else _NoGuard()


def enclose_derivative(box: Box, dynamics: Any = "exact", centre: list[Any] | None = None,
                       *, backend: str = "mpmath", magnitude: bool = False
                       ) -> tuple[float, float] | None:
    r"""Enclose :math:`\partial z_2^*/\partial s_1^2` (or, with ``magnitude``,
    :math:`\partial|z_2^*|/\partial s_1^2`) over ``box`` by the all-orders factorisation.

    Arguments:
        box: the parameter box (:math:`s_2^2 = 1`).
        dynamics: ``exact`` (Eq. 9) or ``taylor`` (Eq. 10).
        centre: the fixed point at the box centre, if known.
        backend: interval library (``mpmath``, ``flint``, ``auto``).
        magnitude: enclose the convention-free derivative instead (needs
            :math:`z_2^*/(c^2 - \delta^2) > 0` proven on the box, else ``None``).

    Returns:
        ``(lo, hi)`` floats rounded outward, or ``None`` if the fixed point could not be
        enclosed on this box.

    Raises:
        ValueError: unknown ``dynamics``/``backend`` or a bad box.

    Paper: Theorem 2 (Eq. 16), via Eq. 11.
    """
    dyn = as_dynamics(dynamics)
    B = _backend(backend)
    try:
        xt = point_fixed_point(*box.center(), dynamics=dyn) if centre is None else centre
    except ValueError:
        return None
    d = _decide(B, box, dyn, "magnitude" if magnitude else "signed", xt,
                numeric_only=True)
    return d.value


def point_derivative(delta: float, ratio: float, lam: float, dynamics: Any = "exact", *,
                     backend: str = "mpmath", magnitude: bool = False
                     ) -> tuple[float, float] | None:
    r"""Verified enclosure of :math:`\partial z_2^*/\partial s_1^2` at one point.

    Returns:
        ``(lo, hi)``; ``lo > 0`` proves the point a counterexample to Theorem 2
        (``d z2*/d s1^2 < 0``). ``None`` if the enclosure failed.

    Raises:
        ValueError: a point outside the supported range, unknown ``dynamics``/``backend``.

    Paper: Theorem 2 (Eq. 16).
    """
    return enclose_derivative(Box((delta, delta), (ratio, ratio), (lam, lam)), dynamics,
                              backend=backend, magnitude=magnitude)


# --------------------------------------------------------------------------- bisection
def _volume(box: Box, scale: tuple[float, float, float]) -> float:
    v = 1.0
    for (lo, hi), s in zip(box.coords(), scale):
        if s > 0:
            v *= (hi - lo) / s
    return v


#: Planes where an explicit factor of the factorisation vanishes: (axis, value).
_ZERO_PLANES = ((0, 0.0), (0, INV_SQRT2), (0, -INV_SQRT2), (1, 1.0))


def _plane_cut(box: Box, statement: str) -> tuple[int, float] | None:
    """A zero plane of an explicit factor strictly inside ``box`` (cut there first)."""
    parts = [box.delta, box.ratio, box.lam]
    for axis, at in _ZERO_PLANES:
        if statement == "magnitude" and axis == 0 and at > 0:
            continue      # |c^2 - delta^2| >= 0 is handled without a cut
        lo, hi = parts[axis]
        if lo < at < hi:
            return axis, at
    return None


def _split_axis(box: Box, scale: tuple[float, float, float]) -> int:
    """The widest coordinate relative to the root box."""
    widths = [(hi - lo) / s if s > 0 else 0.0 for (lo, hi), s in zip(box.coords(), scale)]
    return max(range(3), key=lambda k: widths[k])


def certify_theorem2(delta: Any, ratio: Any, lam: Any, *, dynamics: Any = "exact",
                     magnitude: bool = False, backend: str = "auto",
                     enclosure: str = "any",
                     max_depth: int = DEFAULT_MAX_DEPTH, max_boxes: int = DEFAULT_MAX_BOXES,
                     max_seconds: float = DEFAULT_MAX_SECONDS) -> Certificate:
    r"""Prove (or refute) :math:`\partial z_2^*/\partial s_1^2 < 0` on a parameter box.

    Arguments:
        delta: ``(lo, hi)``, the Eq. 15 coupling, within :data:`DELTA_RANGE`.
        ratio: ``(lo, hi)``, :math:`s_1^2 / s_2^2`, within :data:`RATIO_RANGE`.
        lam: ``(lo, hi)``, :math:`\lambda / s_2^2`, within :data:`LAM_RANGE`.
        dynamics: ``exact`` (Eq. 9) or ``taylor`` (Eq. 10).
        enclosure: ``any`` (the a-priori lemma where it applies, else Miranda/Krawczyk)
            or ``numeric`` (Miranda/Krawczyk only: every box's fixed point enclosed by
            interval arithmetic).
        magnitude: certify the convention-free :math:`\partial|z_2^*|/\partial s_1^2 < 0`
            (wherever :math:`z_2^* \ne 0`) instead of the signed Eq. 16.
        backend: interval library: ``auto`` (mpmath, measured faster), ``mpmath``, ``flint``.
        max_depth: bisection depth at which an unresolved box is left undecided (a
            smallest box with a verified counterexample at its centre is refuted).
        max_boxes: budget of boxes examined; max_seconds: budget of time. The rest is
            reported undecided.

    Returns:
        A :class:`Certificate` with the certified/refuted/undecided boxes and volume
        fractions (coordinates ``(delta, log ratio, log lam)``).

    Raises:
        ValueError: inverted intervals, bounds outside the supported ranges, unknown
            dynamics/backend, or non-positive budgets.

    Paper: Theorem 2 (Eq. 16), Eq. 9, Eq. 10, Eq. 15.
    """
    dyn = as_dynamics(dynamics)
    numeric_only = check.choice("enclosure", enclosure, ENCLOSURES) == "numeric"
    statement = "magnitude" if magnitude else "signed"
    max_depth = check.integer("max_depth", max_depth, minimum=0, maximum=200)
    max_boxes = check.integer("max_boxes", max_boxes, minimum=1)
    max_seconds = check.positive("max_seconds", max_seconds)
    root = Box(tuple(delta), tuple(ratio), tuple(lam))
    B = _backend(backend)
    t0 = time.perf_counter()
    c0, c1, c2 = root.coords()
    scale = (c0[1] - c0[0], c1[1] - c1[0], c2[1] - c2[0])
    total = _volume(root, scale)
    verdicts: dict[str, list[BoxVerdict]] = {s: [] for s in STATUSES}
    heap: list[tuple[float, int, int, Box, Any]] = [(-total, 0, 0, root, None)]
    counter = 1
    examined = 0
    stopped: str | None = None

    def push(child: Box, depth: int, guess: Any) -> None:
        nonlocal counter
        heapq.heappush(heap, (-_volume(child, scale), counter, depth, child, guess))
        counter += 1

    while heap:
        _, _, depth, box, guess = heapq.heappop(heap)
        if stopped is None and examined >= max_boxes:
            stopped = "box budget"
        elif stopped is None and time.perf_counter() - t0 > max_seconds:
            stopped = "time budget"
        if stopped is not None:
            verdicts["undecided"].append(BoxVerdict(box, "undecided", None, None, None, None,
                                                    depth, f"{stopped} exhausted"))
            continue
        examined += 1
        cut = _plane_cut(box, statement)
        if cut is not None:
            for child in box.split(*cut):
                push(child, depth + 1, guess)
            continue
        dec = _decide(B, box, dyn, statement, None, numeric_only)
        yt = None
        if dec.status == "undecided":
            yt, corners = _estimates(box, dyn, guess)
            dec = (_decide(B, box, dyn, statement, yt, True, corners) if yt is not None
                   else _Decision("undecided", None, None, "no fixed point estimate"))
        if dec.status != "undecided":
            verdicts[dec.status].append(BoxVerdict(box, dec.status, dec.value, dec.enclosure,
                                                   None, None, depth, dec.reason, dec.method,
                                                   dec.alpha))
            continue
        degenerate = all(bool(s == 0 or hi == lo)
                         for (lo, hi), s in zip(box.coords(), scale))
        if depth >= max_depth or degenerate:
            c = box.center()
            pt = Box(*((v, v) for v in c))
            pd = _decide(B, pt, dyn, statement, yt, numeric_only)
            if pd.status == "refuted":
                verdicts["refuted"].append(BoxVerdict(
                    box, "refuted", dec.value, pd.enclosure, c, pd.value, depth,
                    "verified counterexample at the box centre", pd.method, pd.alpha))
            else:
                verdicts["undecided"].append(BoxVerdict(
                    box, "undecided", dec.value, dec.enclosure, None, pd.value, depth,
                    f"smallest box: {dec.reason}"))
            continue
        for child in box.split(_split_axis(box, scale)):
            push(child, depth + 1, yt)
    fr = {s: (sum(_volume(v.box, scale) for v in verdicts[s]) / total if total > 0
              else float(bool(verdicts[s]))) for s in STATUSES}
    return Certificate(root, dyn.name, statement, B.name, fr["certified"], fr["refuted"],
                       fr["undecided"], verdicts["certified"], verdicts["refuted"],
                       verdicts["undecided"], examined, max_depth, stopped,
                       time.perf_counter() - t0)
