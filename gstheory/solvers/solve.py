r"""The float64 fixed-point solvers: one instance or a batch, any ``U``, penalty, dynamics.

Both run the engine of :mod:`gstheory.solvers.newton` in the dynamics' coordinates
(logit for the exact forms, log for the Taylor forms), starting from the uncoupled guess.

Example:
    >>> from gstheory.spectrum import perturbed_identity
    >>> from gstheory.penalties import Ridge
    >>> fp = solve_fixed_point(perturbed_identity([36.0, 4.0], 0.5), Ridge(0.01))
    >>> bool(fp.converged and fp.residual < 1e-12)
    True

Paper: Eq. 9, 10, 11, 18 (Sec. 3.2-3.4); Theorem 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import validation as check
from ..dual import check_spectrum, dual_system
from ..dynamics import Dynamics
from ..penalties import Penalty, Ridge, as_penalty
from ..spectrum import Spectrum
from .newton import DEFAULT_MAX_ITER, DEFAULT_TOL, newton
from .results import STATUSES, FixedPoint, FixedPoints
from .system import batch_system, responses_batch


def _check_tol(tol: Any, max_iter: Any) -> tuple[float, int]:
    tol = check.positive("tol", tol)
    max_iter = check.integer("max_iter", max_iter, minimum=1, maximum=10_000)
    return tol, max_iter


def responses(alpha: Any, spectrum: Spectrum, penalty: Penalty) -> np.ndarray:
    r"""Feature responses at a dual point.

    Ridge (Eq. 11): :math:`z = \frac1\lambda S^2 U^T\alpha`. SD: the critical point has
    margins :math:`Y\hat y = \gamma + \alpha/\lambda`, so :math:`z = U^T(\gamma +
    \alpha/\lambda)` (Sec. 3.4: :math:`z = \frac1\lambda U^T\alpha` for
    :math:`\gamma = 0`).

    Arguments:
        alpha: ``(n,)`` positive dual variables; spectrum; penalty.

    Returns:
        ``(n,)`` array ``z``.

    Raises:
        ValueError: invalid input.

    Paper: Eq. 11 (Sec. 3.2), Sec. 3.4.
    """
    sp = check_spectrum(spectrum)
    pen = as_penalty(penalty)
    a = check.positive_array("alpha", alpha, ndim=1, shape=(sp.n,))
    if isinstance(pen, Ridge):
        lam, gamma = np.full(sp.n, pen.lam), np.zeros(sp.n)
    else:
        lam, gamma = pen.per_example(sp.n)
    return responses_batch(a[None], sp.U[None], sp.s2[None], lam[None], gamma[None],
                           isinstance(pen, Ridge))[0]


def solve_fixed_points(U: Any, s2: Any, lam: Any = None, penalty: Any = "ridge",
                       dynamics: Dynamics | str = "exact", gamma: Any = None, *,
                       tol: float = DEFAULT_TOL, max_iter: int = DEFAULT_MAX_ITER
                       ) -> FixedPoints:
    r"""Batched fixed points of Eq. 9 / Eq. 10 / Eq. 18 by damped Newton.

    Arguments:
        U: ``(B, n, n)`` orthogonal matrices, or one ``(n, n)`` shared by all instances.
        s2: ``(B, n)`` squared strengths (or ``(n,)`` shared), all ``> 0``.
        lam: ``lambda > 0``: a scalar or ``(B,)``; SD also ``(B, n)`` (per example).
            ``None`` when ``penalty`` is a penalty object.
        penalty: the type :class:`~gstheory.penalties.Ridge` (Eq. 5) or
            :class:`~gstheory.penalties.SpectralDecoupling` (Eq. 17), an instance of one
            (its ``lam``/``gamma`` are used), or the name ``"ridge"`` / ``"sd"``.
        dynamics: a :class:`~gstheory.dynamics.Dynamics` or its name (``"exact"``,
            Eq. 9 / 18, logit coordinates; ``"taylor"``, Eq. 10, log coordinates).
        gamma: SD margin target: scalar, ``(B,)`` or ``(B, n)``; ``None`` means 0.
        tol: relative residual at which an instance stops; max_iter: Newton iterations.

    Returns:
        :class:`~gstheory.solvers.results.FixedPoints` with ``alpha``, ``z`` (Eq. 11),
        residuals, iteration counts and statuses (``converged``).

    Raises:
        ValueError: any invalid input (non-orthogonal ``U``, non-positive ``s2`` or
            ``lam``, shapes that disagree, NaN/inf, unknown penalty or dynamics).

    Paper: Eq. 9, 10, 11, 18; Sec. 3.2-3.4.
    """
    tol, max_iter = _check_tol(tol, max_iter)
    bs = batch_system(U, s2, lam, penalty, dynamics, gamma)
    r = newton(bs.M, bs.c, bs.dynamics, tol=tol, max_iter=max_iter)
    a, _ = bs.dynamics.from_coords(r.x)
    z = responses_batch(a, bs.U, bs.s2, bs.lam, bs.c, bs.ridge)
    name = "ridge" if bs.ridge else "sd"
    return FixedPoints(a, z, r.residual, r.iterations, r.status_codes, name,
                       bs.dynamics.name)


def solve_fixed_point(spectrum: Spectrum, penalty: Penalty,
                      dynamics: Dynamics | str = "exact", *, alpha0: Any = None,
                      tol: float = DEFAULT_TOL, max_iter: int = DEFAULT_MAX_ITER
                      ) -> FixedPoint:
    r"""The fixed point of the dual dynamics for one spectrum (damped Newton).

    Arguments:
        spectrum: :class:`~gstheory.spectrum.Spectrum`.
        penalty: :class:`~gstheory.penalties.Ridge` or
            :class:`~gstheory.penalties.SpectralDecoupling`.
        dynamics: a :class:`~gstheory.dynamics.Dynamics` or its name: ``"exact"``
            (Eq. 9, Eq. 18) or ``"taylor"`` (Eq. 10).
        alpha0: optional starting point in (0, 1) (Taylor: > 0).
        tol, max_iter: as in :func:`solve_fixed_points`.

    Returns:
        :class:`~gstheory.solvers.results.FixedPoint` (check ``converged`` or ``status``).

    Raises:
        ValueError: invalid input.

    Paper: Eq. 9, 10, 11, 18; Theorem 1.
    """
    tol, max_iter = _check_tol(tol, max_iter)
    sysm = dual_system(spectrum, penalty, dynamics)
    pen = as_penalty(penalty)
    dyn = sysm.dynamics
    x0 = None
    if alpha0 is not None:
        x0 = dyn.to_coords(dyn.check_alpha("alpha0", alpha0, sysm.n))[None]
    r = newton(sysm.M[None], sysm.c[None], dyn, x0, tol=tol, max_iter=max_iter)
    a, _ = dyn.from_coords(r.x[0])
    return FixedPoint(a, responses(a, spectrum, pen), float(r.residual[0]),
                      int(r.iterations[0]), STATUSES[int(r.status_codes[0])], pen.name,
                      dyn.name)
