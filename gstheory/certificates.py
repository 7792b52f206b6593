r"""Interval-arithmetic certificates of Theorem 2's sign on parameter boxes.

Paper: Theorem 2 (Eq. 16), Eq. 9, Eq. 10, Eq. 11, Eq. 15 (Sec. 3.2-3.3).

Setting (two features, Eq. 15 coupling, ridge penalty). With :math:`s_2^2 = 1`, the
parameters are the coupling :math:`\delta \in (-1, 1)`, the ratio
:math:`r = s_1^2 / s_2^2` and :math:`\ell = \lambda / s_2^2`. This loses nothing: scaling
:math:`(s_1^2, s_2^2, \lambda)` by :math:`k > 0` leaves :math:`U S^2 U^T / \lambda`, hence
:math:`\alpha^*` and :math:`z^*`, unchanged and divides :math:`\partial z_2^*/\partial s_1^2`
by :math:`k`, so its sign depends only on :math:`(\delta, r, \ell)`.

Fixed point in log coordinates :math:`x = \log \alpha` (the barrier bites where
:math:`\alpha \to 0`):

* exact (Eq. 9):  :math:`F(x) = \log(1 - e^{x}) - x - G e^{x} / \ell = 0`,
* Taylor (Eq. 10): :math:`F(x) = x + e^{x} + G e^{x} / \ell = 0`,

with :math:`G = U S^2 U^T`. A parametric Krawczyk operator
:math:`K(X) = \tilde x - C F(\tilde x, P) + (I - C J(X, P))(X - \tilde x)` proves, when
:math:`K(X) \subset \operatorname{int} X`, that for *every* parameter in the box ``P`` there
is exactly one fixed point in ``X``, and that it lies in :math:`K(X)`.

Sensitivity by implicit differentiation: with :math:`M = D + G/\ell` and
:math:`D = \operatorname{diag}(d_i)`, :math:`d_i = 1/(\alpha_i(1-\alpha_i))` (exact) or
:math:`1/\alpha_i + 1` (Taylor), the implicit function theorem gives
:math:`\partial \alpha^*/\partial s_1^2 = -M^{-1} u_1 (u_1 \cdot \alpha^*)/\ell` and, by
Eq. 11, :math:`\partial z_2^* / \partial s_1^2 = (u_2 \cdot \partial\alpha^*/\partial s_1^2)
/ \ell`. Because :math:`u_1, u_2` are eigenvectors of :math:`G`, the adjugate term
:math:`u_2^T \operatorname{adj}(M) u_1 = c\,\delta\,(d_1 - d_2)` (the :math:`G/\ell` part
cancels exactly), so

.. math::
    \frac{\partial z_2^*}{\partial s_1^2} =
    \frac{(u_1 \cdot \alpha^*)\; c\, \delta\, (d_2 - d_1)}{\ell^2 \det M},
    \qquad c = \sqrt{1 - \delta^2},

and :math:`\det M = d_1 d_2 + (d_1 G_{22} + d_2 G_{11})/\ell + r/\ell^2 > 0` is a sum of
positive terms. This closed form of the implicit derivative is what is enclosed: it avoids
the interval dependency problem of a generic 2x2 solve.

Boxes are bisected (in the coordinates :math:`(\delta, \log r, \log \ell)`, where volumes
are also measured) until each is *certified* (derivative ``< 0`` proven on the whole box),
*refuted* (the derivative is proven ``>= 0`` on the whole box, or, for a smallest box, at a
verified point), or left *undecided*.

Example:
    >>> cert = certify_theorem2((0.05, 0.1), (4.0, 5.0), (0.5, 1.0), max_depth=6)
    >>> cert.certified_fraction
    1.0
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import Any

import mpmath
from mpmath.ctx_iv import MPIntervalContext

from . import validation as check

#: Working precision (bits) of the interval context: far beyond float64 so that the
#: enclosures' widths come from the parameter box, not from rounding.
PRECISION_BITS = 113
#: Epsilon-inflation attempts of the Krawczyk test before a box counts as not enclosed.
KRAWCZYK_ATTEMPTS = 8
#: Damped Newton iterations for the point estimate at a box centre.
NEWTON_MAX_ITER = 200
#: Default and hard limits of the bisection.
DEFAULT_MAX_DEPTH = 18
DEFAULT_MAX_BOXES = 4000

#: Enclosures of log-alpha beyond this magnitude are given up (alpha below e^-2000).
_Y_LIMIT = 2000
DYNAMICS = ("exact", "taylor")
STATUSES = ("certified", "refuted", "undecided")

_IV = MPIntervalContext()
_IV.prec = PRECISION_BITS


def _lo(x: Any) -> mpmath.mpf:
    return mpmath.mp.make_mpf(x._mpi_[0])


def _hi(x: Any) -> mpmath.mpf:
    return mpmath.mp.make_mpf(x._mpi_[1])


def _hull(*xs: Any) -> Any:
    return _IV.mpf([min(_lo(x) for x in xs), max(_hi(x) for x in xs)])


@dataclass(frozen=True)
class Box:
    r"""A parameter box :math:`[\delta] \times [r] \times [\ell]` (with :math:`s_2^2 = 1`).

    Arguments:
        delta: ``(lo, hi)`` with ``-1 < lo < hi < 1`` (``lo == hi`` allowed: a point).
        ratio: ``(lo, hi)`` of :math:`s_1^2/s_2^2`, ``0 < lo <= hi``.
        lam: ``(lo, hi)`` of :math:`\lambda/s_2^2`, ``0 < lo <= hi``.

    Raises:
        ValueError: an inverted interval, ``delta`` outside ``(-1, 1)``, a non-positive
            ratio or lam.

    Paper: Eq. 15, Theorem 2.
    """

    delta: tuple[float, float]
    ratio: tuple[float, float]
    lam: tuple[float, float]

    def __post_init__(self) -> None:
        for name in ("delta", "ratio", "lam"):
            lo, hi = _pair(name, getattr(self, name))
            if name == "delta":
                check.open_interval("delta", lo, -1.0, 1.0)
                check.open_interval("delta", hi, -1.0, 1.0)
            else:
                check.positive(name, lo)
                check.positive(name, hi)
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

    def split(self, k: int) -> tuple[Box, Box]:
        """Halve the box along coordinate ``k`` (0 delta, 1 ratio, 2 lam; geometric
        midpoint for ratio and lam)."""
        mid = self.center()[k]
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
        derivative: enclosure ``(lo, hi)`` of :math:`\\partial z_2^*/\\partial s_1^2` over the
            box (``None`` when the fixed point could not be enclosed).
        point: for a refuted box, the verified counterexample ``(delta, ratio, lam)``;
            ``None`` otherwise.
        point_derivative: enclosure of the derivative at ``point``.
        depth: bisection depth of the box.
        reason: one line saying why.
    """

    box: Box
    status: str
    derivative: tuple[float, float] | None
    point: tuple[float, float, float] | None
    point_derivative: tuple[float, float] | None
    depth: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"box": self.box.to_dict(), "status": self.status,
                "derivative": None if self.derivative is None else list(self.derivative),
                "point": None if self.point is None else list(self.point),
                "point_derivative": (None if self.point_derivative is None
                                     else list(self.point_derivative)),
                "depth": self.depth, "reason": self.reason}


@dataclass(frozen=True)
class Certificate:
    """Result of :func:`certify_theorem2`.

    Fractions are of the box's volume in the coordinates ``(delta, log ratio, log lam)``.
    """

    box: Box
    dynamics: str
    certified_fraction: float
    refuted_fraction: float
    undecided_fraction: float
    certified: list[BoxVerdict] = field(repr=False)
    refuted: list[BoxVerdict] = field(repr=False)
    undecided: list[BoxVerdict] = field(repr=False)
    boxes_examined: int = 0
    max_depth: int = DEFAULT_MAX_DEPTH
    exhausted: bool = False

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
        return {"claim": "theorem2", "statement": "d z2*/d s1^2 < 0",
                "dynamics": self.dynamics, "box": self.box.to_dict(),
                "volume_coordinates": ["delta", "log ratio", "log lam"],
                "verdict": self.verdict,
                "certified_fraction": self.certified_fraction,
                "refuted_fraction": self.refuted_fraction,
                "undecided_fraction": self.undecided_fraction,
                "boxes_examined": self.boxes_examined, "max_depth": self.max_depth,
                "exhausted_box_budget": self.exhausted,
                "certified": [v.to_dict() for v in self.certified],
                "refuted": [v.to_dict() for v in self.refuted],
                "undecided": [v.to_dict() for v in self.undecided]}


# --------------------------------------------------------------------------- equations
# Written once, generic over a context ``ctx`` (mpmath.mp for points, _IV for boxes).

def _gram(ctx: Any, delta: Any, ratio: Any) -> tuple[Any, Any, Any, Any]:
    """``c, G11, G12, G22`` of :math:`G = U S^2 U^T` (Eq. 15, :math:`s_2^2 = 1`), written
    with :math:`c^2 = 1 - \\delta^2` to limit interval dependency."""
    d2 = delta * delta
    c = ctx.sqrt(1 - d2)
    return c, ratio + d2 * (1 - ratio), c * delta * (ratio - 1), 1 + d2 * (ratio - 1)


def _alphas(ctx: Any, y: list[Any], lam: Any) -> tuple[Any, Any]:
    """:math:`\\alpha_1 = \\ell e^{y_1 + y_2}`, :math:`\\alpha_2 = \\ell e^{y_2}`."""
    a2 = lam * ctx.exp(y[1])
    return a2 * ctx.exp(y[0]), a2


def _residual(ctx: Any, y: list[Any], p: tuple[Any, Any, Any], dynamics: str) -> list[Any]:
    """:math:`F` of the module docstring in the coordinates
    :math:`y = (\\log(\\alpha_1/\\alpha_2), \\log(\\alpha_2/\\ell))`.

    The first coordinate carries the sign of :math:`\\alpha_1 - \\alpha_2` that decides
    Theorem 2 (enclosing it directly avoids subtracting two enclosures); with the second,
    the margins :math:`G\\alpha/\\ell` carry no explicit :math:`\\ell`, which keeps the
    interval Jacobian over a box tight."""
    delta, ratio, lam = p
    _, g11, g12, g22 = _gram(ctx, delta, ratio)
    a1, a2 = _alphas(ctx, y, lam)
    e1, e2 = ctx.exp(y[0]), ctx.exp(y[1])
    loglam = ctx.log(lam)
    x1 = loglam + y[0] + y[1]
    x2 = loglam + y[1]
    m1 = (g11 * e1 + g12) * e2
    m2 = (g12 * e1 + g22) * e2
    if dynamics == "exact":
        return [ctx.log(1 - a1) - x1 - m1, ctx.log(1 - a2) - x2 - m2]
    return [x1 + a1 + m1, x2 + a2 + m2]


def _jacobian(ctx: Any, y: list[Any], p: tuple[Any, Any, Any],
              dynamics: str) -> list[list[Any]]:
    """:math:`\\partial F / \\partial y` (the Jacobian in :math:`x = \\log\\alpha` times
    ``[[1, 1], [0, 1]]``)."""
    delta, ratio, lam = p
    _, g11, g12, g22 = _gram(ctx, delta, ratio)
    a1, a2 = _alphas(ctx, y, lam)
    b2 = ctx.exp(y[1])            # alpha_2 / lam
    b1 = ctx.exp(y[0]) * b2       # alpha_1 / lam
    if dynamics == "exact":
        j11 = -1 / (1 - a1) - g11 * b1
        j12 = -g12 * b2
        j21 = -g12 * b1
        j22 = -1 / (1 - a2) - g22 * b2
    else:
        j11 = 1 + a1 + g11 * b1
        j12 = g12 * b2
        j21 = g12 * b1
        j22 = 1 + a2 + g22 * b2
    return [[j11, j11 + j12], [j21, j21 + j22]]


def _derivative(ctx: Any, y: list[Any], p: tuple[Any, Any, Any], dynamics: str) -> Any:
    """:math:`\\partial z_2^*/\\partial s_1^2` at the fixed point ``y`` (module docstring).

    Every sign-carrying factor is written in :math:`y_1 = \\log(\\alpha_1/\\alpha_2)` so
    that an enclosure keeps the sign wherever it is determined. With
    :math:`u_1\\cdot\\alpha = \\alpha_2 (c e^{y_1} + \\delta)` and
    :math:`Q = \\ell^2 \\det M = (\\ell d_1)(\\ell d_2) + \\ell d_1 G_{22} + \\ell d_2 G_{11} + r
    > 0`:

    * Taylor: :math:`d_2 - d_1 = (1 - e^{-y_1})/\\alpha_2`, so the derivative is
      :math:`c\\delta (c e^{y_1} + \\delta)(1 - e^{-y_1}) / Q`;
    * exact: :math:`d_2 - d_1 = (e^{y_1} - 1)(1 - \\alpha_1 - \\alpha_2) /
      (\\alpha_1(1-\\alpha_1)(1-\\alpha_2))`, so the derivative is
      :math:`c\\delta (c e^{y_1} + \\delta)(1 - e^{-y_1})(1 - \\alpha_1 - \\alpha_2) /
      ((1-\\alpha_1)(1-\\alpha_2) Q)`.
    """
    delta, ratio, lam = p
    c, g11, _, g22 = _gram(ctx, delta, ratio)
    a1, a2 = _alphas(ctx, y, lam)
    e1 = ctx.exp(y[0])
    b2 = ctx.exp(y[1])
    b1 = e1 * b2
    if dynamics == "exact":
        ld1 = 1 / (b1 * (1 - a1))
        ld2 = 1 / (b2 * (1 - a2))
        extra = (1 - a1 - a2) / ((1 - a1) * (1 - a2))
    else:
        ld1, ld2 = 1 / b1 + lam, 1 / b2 + lam
        extra = 1
    Q = ld1 * ld2 + ld1 * g22 + ld2 * g11 + ratio
    return c * delta * (c * e1 + delta) * (1 - 1 / e1) * extra / Q



# --------------------------------------------------------------------------- point solve

def _point_params(delta: float, ratio: float, lam: float) -> tuple[Any, Any, Any]:
    return mpmath.mpf(delta), mpmath.mpf(ratio), mpmath.mpf(lam)


class _FloatContext:
    """The three functions the equations need, in float64 (a fast first Newton stage)."""

    exp = staticmethod(math.exp)
    log = staticmethod(math.log)
    sqrt = staticmethod(math.sqrt)


def _newton(ctx: Any, y: list[Any], p: tuple[Any, Any, Any], dynamics: str,
            tol: Any, max_iter: int) -> list[Any]:
    """Damped Newton on :math:`F(y) = 0` in context ``ctx`` (backtracking on the residual)."""
    for _ in range(max_iter):
        f = _residual(ctx, y, p, dynamics)
        norm = max(abs(f[0]), abs(f[1]))
        if norm < tol:
            return y
        J = _jacobian(ctx, y, p, dynamics)
        det = J[0][0] * J[1][1] - J[0][1] * J[1][0]
        step = [(J[1][1] * f[0] - J[0][1] * f[1]) / det,
                (-J[1][0] * f[0] + J[0][0] * f[1]) / det]
        t = 1.0
        for _ in range(60):
            cand = [y[0] - t * step[0], y[1] - t * step[1]]
            try:
                if dynamics != "exact" or max(_alphas(ctx, cand, p[2])) < 1:
                    fc = _residual(ctx, cand, p, dynamics)
                    if max(abs(fc[0]), abs(fc[1])) < norm:
                        break
            except (ValueError, OverflowError):
                pass
            t /= 2
        else:
            return y
        y = cand
    return y


def point_fixed_point(delta: float, ratio: float, lam: float, dynamics: str = "exact",
                      guess: list[Any] | None = None) -> list[mpmath.mpf]:
    r"""High-precision estimate of the fixed point at one parameter point.

    A damped Newton iteration on :math:`F = 0` (module docstring): float64 first, then
    polished at :data:`PRECISION_BITS` bits. It is the centre :math:`\tilde y` of the
    Krawczyk test, whose verdict does not rely on its accuracy.

    Arguments:
        delta, ratio, lam: the point (:math:`s_2^2 = 1`).
        dynamics: ``exact`` (Eq. 9) or ``taylor`` (Eq. 10).
        guess: optional starting ``[y1, y2]`` (e.g. the parent box's centre).

    Returns:
        ``[y1, y2] = [log(alpha1/alpha2), log(alpha2/lam)]`` as mpmath numbers.

    Raises:
        ValueError: invalid parameters, or no convergence (never silently).

    Paper: Eq. 9, Eq. 10, Eq. 15.
    """
    check.choice("dynamics", dynamics, DYNAMICS)
    check.open_interval("delta", delta, -1.0, 1.0)
    check.positive("ratio", ratio)
    check.positive("lam", lam)
    fp = (float(delta), float(ratio), float(lam))
    _, g11, _, g22 = _gram(_FloatContext, fp[0], fp[1])
    # decoupled start: alpha_i ~ lam / (G_ii + lam)
    x0 = [math.log(lam / (g + lam)) for g in (g11, g22)]
    cold = [x0[0] - x0[1], x0[1] - math.log(lam)]
    y = cold
    for start in ([float(v) for v in guess], cold) if guess is not None else (cold,):
        try:
            y = _newton(_FloatContext, start, fp, dynamics, 1e-13, NEWTON_MAX_ITER)
            f = _residual(_FloatContext, y, fp, dynamics)
            if max(abs(f[0]), abs(f[1])) < 1e-8:
                break
        except (ValueError, OverflowError, ZeroDivisionError):
            y = cold
    with mpmath.workprec(PRECISION_BITS):
        mp = mpmath.mp
        p = _point_params(delta, ratio, lam)
        y = _newton(mp, [mpmath.mpf(v) for v in y], p, dynamics,
                    mpmath.mpf(2) ** (-PRECISION_BITS + 10), NEWTON_MAX_ITER)
        f = _residual(mp, y, p, dynamics)
        if max(abs(f[0]), abs(f[1])) < mpmath.mpf(2) ** (-PRECISION_BITS // 2):
            return y
    raise ValueError(f"point_fixed_point(delta={delta}, ratio={ratio}, lam={lam}, "
                     f"dynamics={dynamics}): Newton did not converge")


# --------------------------------------------------------------------------- enclosures

def _iv_params(box: Box) -> tuple[Any, Any, Any]:
    return (_IV.mpf(list(box.delta)), _IV.mpf(list(box.ratio)), _IV.mpf(list(box.lam)))


def _contains_interior(outer: Any, inner: Any) -> bool:
    return bool(_lo(outer) < _lo(inner) and _hi(inner) < _hi(outer))


def enclose_fixed_point(box: Box, dynamics: str = "exact",
                        centre: list[Any] | None = None) -> list[Any] | None:
    r"""Enclose the fixed point for every parameter of ``box`` (parametric Krawczyk).

    Coordinates :math:`y = (\log(\alpha_1/\alpha_2), \log(\alpha_2/\ell))` (see
    ``_residual``).

    Arguments:
        box: the parameter box.
        dynamics: ``exact`` (Eq. 9) or ``taylor`` (Eq. 10).
        centre: the fixed point at the box centre (:func:`point_fixed_point`), if known.

    Returns:
        ``[Y1, Y2]`` (mpmath intervals) such that for every parameter in the box the unique
        fixed point satisfies :math:`y_i^* \in Y_i`; ``None`` if the Krawczyk
        test did not succeed (box too wide: bisect it).

    Raises:
        ValueError: unknown ``dynamics`` or a bad box.

    Paper: Eq. 9, Eq. 10 (fixed points of Theorem 1).
    """
    check.choice("dynamics", dynamics, DYNAMICS)
    if not isinstance(box, Box):
        raise check.fail("box", box, "must be a gstheory.certificates.Box")
    xt = point_fixed_point(*box.center(), dynamics=dynamics) if centre is None else centre
    P = _iv_params(box)
    with mpmath.workprec(PRECISION_BITS):
        pc = _point_params(*box.center())
        J = _jacobian(mpmath.mp, xt, pc, dynamics)
        det = J[0][0] * J[1][1] - J[0][1] * J[1][0]
        C = [[J[1][1] / det, -J[0][1] / det], [-J[1][0] / det, J[0][0] / det]]
    Ci = [[_IV.mpf(C[i][j]) for j in range(2)] for i in range(2)]
    xti = [_IV.mpf(v) for v in xt]
    try:
        F = _residual(_IV, xti, P, dynamics)
    except (ValueError, OverflowError, ZeroDivisionError):
        return None
    CF = [Ci[0][0] * F[0] + Ci[0][1] * F[1], Ci[1][0] * F[0] + Ci[1][1] * F[1]]
    radius = [2 * max(abs(_lo(v)), abs(_hi(v))) + mpmath.mpf(2) ** (-PRECISION_BITS + 20)
              for v in CF]
    X = [xti[i] + _IV.mpf([-radius[i], radius[i]]) for i in range(2)]
    for _ in range(KRAWCZYK_ATTEMPTS):
        if any(abs(_lo(v)) > _Y_LIMIT or abs(_hi(v)) > _Y_LIMIT for v in X):
            return None
        if dynamics == "exact" and not all(_hi(a) < 1 for a in _alphas(_IV, X, P[2])):
            return None
        try:
            JX = _jacobian(_IV, X, P, dynamics)
        except (ValueError, OverflowError, ZeroDivisionError):
            return None
        R = [[(1 if i == j else 0) - (Ci[i][0] * JX[0][j] + Ci[i][1] * JX[1][j])
              for j in range(2)] for i in range(2)]
        dX = [X[0] - xti[0], X[1] - xti[1]]
        K = [xti[i] - CF[i] + R[i][0] * dX[0] + R[i][1] * dX[1] for i in range(2)]
        if _contains_interior(X[0], K[0]) and _contains_interior(X[1], K[1]):
            return K
        # epsilon-inflation of the hull of K and the centre
        X = []
        for i in range(2):
            h = _hull(K[i], xti[i])
            w = (_hi(h) - _lo(h)) * mpmath.mpf("0.1") + mpmath.mpf(2) ** (-PRECISION_BITS + 20)
            X.append(_IV.mpf([_lo(h) - w, _hi(h) + w]))
    return None


def enclose_derivative(box: Box, dynamics: str = "exact",
                       centre: list[Any] | None = None) -> tuple[float, float] | None:
    r"""Enclose :math:`\partial z_2^*/\partial s_1^2` over ``box`` (implicit differentiation).

    Arguments:
        box: the parameter box (:math:`s_2^2 = 1`).
        dynamics: ``exact`` (Eq. 9) or ``taylor`` (Eq. 10).
        centre: the fixed point at the box centre, if known.

    Returns:
        ``(lo, hi)`` floats rounded outward, or ``None`` if the fixed point could not be
        enclosed on this box.

    Raises:
        ValueError: unknown ``dynamics`` or a bad box.

    Paper: Theorem 2 (Eq. 16), via Eq. 11.
    """
    X = enclose_fixed_point(box, dynamics, centre)
    if X is None:
        return None
    D = _derivative(_IV, X, _iv_params(box), dynamics)
    lo, hi = _lo(D), _hi(D)
    # round outward to float64 so that the float pair still encloses the value
    return _round(lo, down=True), _round(hi, down=False)


def _round(x: mpmath.mpf, *, down: bool) -> float:
    f = float(x)
    if down and mpmath.mpf(f) > x:
        f = math.nextafter(f, -math.inf)
    if not down and mpmath.mpf(f) < x:
        f = math.nextafter(f, math.inf)
    return f


def point_derivative(delta: float, ratio: float, lam: float,
                     dynamics: str = "exact") -> tuple[float, float] | None:
    r"""Verified enclosure of :math:`\partial z_2^*/\partial s_1^2` at one point.

    Returns:
        ``(lo, hi)``; ``lo >= 0`` proves the point a counterexample to Theorem 2
        (``d z2*/d s1^2 < 0``). ``None`` if the enclosure failed.

    Paper: Theorem 2 (Eq. 16).
    """
    return enclose_derivative(Box((delta, delta), (ratio, ratio), (lam, lam)), dynamics)


# --------------------------------------------------------------------------- bisection

def _volume(box: Box, scale: tuple[float, float, float]) -> float:
    v = 1.0
    for (lo, hi), s in zip(box.coords(), scale):
        if s > 0:
            v *= (hi - lo) / s
    return v


def _split_axis(box: Box, dynamics: str, yt: list[Any]) -> int:
    """The coordinate whose halving shrinks the enclosure of the residual at the centre,
    :math:`C F(\tilde y, P)` (the spread of the fixed point over the box), the most."""
    widths = [hi - lo for lo, hi in box.coords()]
    try:
        yti = [_IV.mpf(v) for v in yt]

        def spread(P: tuple[Any, Any, Any]) -> mpmath.mpf:
            F = _residual(_IV, yti, P, dynamics)
            return sum(_hi(f) - _lo(f) for f in F)

        P = _iv_params(box)
        gains = []
        for k in range(3):
            if widths[k] == 0:
                gains.append(-1)
                continue
            Pk = list(P)
            lo_half = box.split(k)[0]
            Pk[k] = _iv_params(lo_half)[k]
            gains.append(spread(P) - spread(tuple(Pk)))
        return max(range(3), key=lambda k: gains[k])
    except (ValueError, OverflowError, ZeroDivisionError):
        return max(range(3), key=lambda k: widths[k])


def certify_theorem2(delta: Any, ratio: Any, lam: Any, *, dynamics: str = "exact",
                     max_depth: int = DEFAULT_MAX_DEPTH,
                     max_boxes: int = DEFAULT_MAX_BOXES) -> Certificate:
    r"""Prove (or refute) :math:`\partial z_2^*/\partial s_1^2 < 0` on a parameter box.

    Arguments:
        delta: ``(lo, hi)``, the Eq. 15 coupling, inside ``(-1, 1)``.
        ratio: ``(lo, hi)``, :math:`s_1^2 / s_2^2 > 0`.
        lam: ``(lo, hi)``, :math:`\lambda / s_2^2 > 0`.
        dynamics: ``exact`` (Eq. 9) or ``taylor`` (Eq. 10).
        max_depth: bisection depth at which an unresolved box is left undecided
            (a smallest box with a verified counterexample at its centre is refuted).
        max_boxes: budget of boxes examined; the rest are reported undecided.

    Returns:
        A :class:`Certificate` with the certified/refuted/undecided boxes and volume
        fractions (coordinates ``(delta, log ratio, log lam)``).

    Raises:
        ValueError: inverted intervals, ``delta`` outside ``(-1, 1)``, non-positive ratio or
            lam, unknown dynamics, or non-positive depth/budget.

    Paper: Theorem 2 (Eq. 16), Eq. 9, Eq. 10, Eq. 15.
    """
    check.choice("dynamics", dynamics, DYNAMICS)
    max_depth = check.integer("max_depth", max_depth, minimum=0, maximum=60)
    max_boxes = check.integer("max_boxes", max_boxes, minimum=1)
    root = Box(tuple(delta), tuple(ratio), tuple(lam))
    scale = tuple(hi - lo for lo, hi in root.coords())
    total = _volume(root, scale)
    verdicts: dict[str, list[BoxVerdict]] = {s: [] for s in STATUSES}
    # largest boxes first; counter breaks ties deterministically
    heap: list[tuple[float, int, int, Box, Any]] = [(-total, 0, 0, root, None)]
    counter = 1
    examined = 0
    exhausted = False
    while heap:
        _, _, depth, box, guess = heapq.heappop(heap)
        if examined >= max_boxes:
            exhausted = True
            verdicts["undecided"].append(BoxVerdict(box, "undecided", None, None, None,
                                                    depth, "box budget exhausted"))
            continue
        examined += 1
        yt = point_fixed_point(*box.center(), dynamics=dynamics, guess=guess)
        enc = enclose_derivative(box, dynamics, yt)
        if enc is not None and enc[1] < 0:
            verdicts["certified"].append(BoxVerdict(
                box, "certified", enc, None, None, depth,
                "derivative enclosure < 0 on the whole box"))
            continue
        if enc is not None and enc[0] >= 0:
            c = box.center()
            verdicts["refuted"].append(BoxVerdict(
                box, "refuted", enc, c, point_derivative(*c, dynamics=dynamics), depth,
                "derivative enclosure >= 0 on the whole box"))
            continue
        degenerate = all(s == 0 or hi == lo for (lo, hi), s in zip(box.coords(), scale))
        if depth >= max_depth or degenerate:
            c = box.center()
            pd = point_derivative(*c, dynamics=dynamics)
            if pd is not None and pd[0] >= 0:
                verdicts["refuted"].append(BoxVerdict(
                    box, "refuted", enc, c, pd, depth,
                    "verified counterexample at the box centre"))
            else:
                why = ("fixed point not enclosed" if enc is None
                       else "derivative enclosure contains 0")
                verdicts["undecided"].append(BoxVerdict(
                    box, "undecided", enc, None, pd, depth, f"smallest box: {why}"))
            continue
        for child in box.split(_split_axis(box, dynamics, yt)):
            heapq.heappush(heap, (-_volume(child, scale), counter, depth + 1, child, yt))
            counter += 1
    fr = {s: (sum(_volume(v.box, scale) for v in verdicts[s]) / total if total > 0
              else float(bool(verdicts[s]))) for s in STATUSES}
    return Certificate(root, dynamics, fr["certified"], fr["refuted"], fr["undecided"],
                       verdicts["certified"], verdicts["refuted"], verdicts["undecided"],
                       examined, max_depth, exhausted)
