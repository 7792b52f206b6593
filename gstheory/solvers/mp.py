r"""The fixed point in mpmath at any precision: the same engine over the mpmath context.

``M`` and ``c`` are assembled in mpmath from ``U`` and ``s2`` (no float64 rounding in
between) by the same :func:`gstheory.dual.assemble_system` as in float64, and solved by
the same Newton engine (:mod:`gstheory.solvers.newton`) over
:data:`gstheory.contexts.MP`, started from the float64 solution.

Example:
    >>> from gstheory.spectrum import perturbed_identity
    >>> from gstheory.penalties import Ridge
    >>> fp = solve_fixed_point_mp(perturbed_identity([36.0, 4.0], 0.5), Ridge(0.01), dps=30)
    >>> fp.converged
    True

Paper: Eq. 9, 10, 11, 18.
"""

from __future__ import annotations

from typing import Any

import mpmath as mp
import numpy as np

from .. import validation as check
from ..contexts import MP
from ..dual import assemble_system, check_spectrum
from ..dynamics import Dynamics, as_dynamics
from ..penalties import Penalty, Ridge, as_penalty
from ..spectrum import Spectrum
from .newton import NewtonResult, newton
from .results import STATUSES, FixedPointMP
from .solve import solve_fixed_point
from .system import responses_batch

#: Newton iterations allowed in mpmath (quadratic convergence from a float64 start).
MP_MAX_ITER = 200
#: Digits below the working precision at which the mpmath residual counts as converged.
MP_TOL_MARGIN = 5


def check_dps(dps: Any) -> int:
    """Decimal digits for mpmath: an integer in [15, 10000].

    Paper: none (infrastructure).
    """
    return check.integer("dps", dps, minimum=15, maximum=10_000)


def _params(s2: Any, penalty: Penalty, n: int) -> tuple[np.ndarray, np.ndarray, Any]:
    if isinstance(penalty, Ridge):
        return MP.asarray(list(s2))[None], MP.asarray([penalty.lam] * n)[None], None
    lam_v, gam_v = penalty.per_example(n)
    return (MP.asarray(list(s2))[None], MP.asarray(lam_v.tolist())[None],
            MP.asarray(gam_v.tolist())[None])


def mp_system(U: Any, s2: Any, penalty: Penalty, dynamics: Dynamics | str
              ) -> tuple[np.ndarray, np.ndarray]:
    r"""``(M, c)`` for one problem as object arrays of mpf (``(1, n, n)``, ``(1, n)``) at the
    working precision, from ``U`` and ``s2`` (floats or mpf).

    Paper: Eq. 9, Eq. 10, Eq. 18 (their ``(M, c)``).
    """
    n = len(s2)
    s2v, lam, gamma = _params(s2, penalty, n)
    Um = MP.asarray(np.asarray(U, dtype=object).tolist())[None]
    return assemble_system(Um, s2v, lam, gamma, dynamics, MP)


def mp_tol() -> Any:
    """The mpmath convergence threshold :math:`10^{-(dps - 5)}` at the working precision.

    Paper: none (infrastructure).
    """
    return mp.mpf(10) ** (-(mp.mp.dps - MP_TOL_MARGIN))


def mp_solve(M: np.ndarray, c: np.ndarray, dynamics: Dynamics | str, x0: Any,
             max_iter: int = MP_MAX_ITER) -> NewtonResult:
    """The Newton engine in mpmath at the working precision from ``x0`` ``(1, n)``.

    Paper: the fixed-point equations of Eq. 9, Eq. 10, Eq. 18.
    """
    return newton(M, c, dynamics, x0, tol=mp_tol(), max_iter=max_iter, ctx=MP)


def mp_responses(a: Any, U: Any, s2: Any, penalty: Penalty) -> list:
    """Eq. 11 (ridge) / SD responses in mpmath at the working precision (``a`` of length
    ``n``; returns a list of mpf).

    Paper: Eq. 11 (Sec. 3.2), Sec. 3.4.
    """
    n = len(a)
    s2v, lam, gamma = _params(s2, penalty, n)
    Um = MP.asarray(np.asarray(U, dtype=object).tolist())[None]
    c = MP.asarray(np.zeros((1, n))) if gamma is None else gamma
    z = responses_batch(MP.asarray(list(a))[None], Um, s2v, lam, c, gamma is None, MP)
    return list(z[0])


def solve_fixed_point_mp(spectrum: Spectrum, penalty: Penalty,
                         dynamics: Dynamics | str = "exact", dps: int = 50, *,
                         s2: Any = None) -> FixedPointMP:
    r"""The fixed point in mpmath at ``dps`` significant digits.

    Arguments:
        spectrum, penalty, dynamics: as in :func:`~gstheory.solvers.solve.solve_fixed_point`.
        dps: decimal digits, an integer in [15, 10000].
        s2: optional override of the squared strengths as mpmath numbers (used by
            high-precision finite differences); default ``spectrum.s2``.

    Returns:
        :class:`~gstheory.solvers.results.FixedPointMP` (converged: relative residual
        below :math:`10^{-(dps-5)}`).

    Raises:
        ValueError: invalid input.

    Paper: Eq. 9, 10, 11, 18.
    """
    dps = check_dps(dps)
    sp = check_spectrum(spectrum)
    pen = as_penalty(penalty)
    dyn = as_dynamics(dynamics)
    try:
        s2v = list(sp.s2) if s2 is None else [mp.mpf(v) for v in s2]
    except (TypeError, ValueError):
        raise check.fail("s2", s2, "must be a sequence of real numbers") from None
    if len(s2v) != sp.n or any(not (v > 0) or not mp.isfinite(v) for v in s2v):
        raise check.fail("s2", str(s2), f"must be {sp.n} finite entries > 0")
    fp64 = solve_fixed_point(sp, pen, dyn) if s2 is None else solve_fixed_point(
        sp.with_s2([float(v) for v in s2v]), pen, dyn)
    start = fp64.alpha if fp64.converged else np.full(sp.n, 0.25)
    with mp.workdps(dps):
        M, c = mp_system(sp.U.tolist(), s2v, pen, dyn)
        r = mp_solve(M, c, dyn, MP.asarray(dyn.to_coords(start).tolist())[None])
        a, _ = dyn.from_coords(r.x, MP)
        z = mp_responses(list(a[0]), sp.U.tolist(), s2v, pen)
        return FixedPointMP(tuple(+v for v in a[0]), tuple(+v for v in z),
                            +r.residual[0], int(r.iterations[0]),
                            STATUSES[int(r.status_codes[0])], pen.name, dyn.name, dps)
