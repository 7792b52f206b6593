r"""Fixed points of the dual dynamics (re-exported from :mod:`gstheory.solvers`).

The solvers live in :mod:`gstheory.solvers`, one module per job; this module keeps the
historical import path ``gstheory.fixed_points`` working, including the tuple-returning
call forms ``newton_batch``, ``mp_newton`` and ``mp_system`` (``mpmath.matrix``) of the
former module, which delegate to the engine.

Example:
    >>> import gstheory.solvers
    >>> solve_fixed_point is gstheory.solvers.solve_fixed_point
    True

Paper: Eq. 9-14 (Sec. 3.2-3.3), Eq. 18 (Sec. 3.4), Lemma 1, Theorem 1.
"""

from __future__ import annotations

from typing import Any

import mpmath as mp

from .contexts import MP
from .dynamics import as_dynamics
from .solvers import (  # re-exported
    DEFAULT_TOL,
    MAX_STEP,
    STATUSES,
    ConvergenceError,
    FixedPoint,
    FixedPointMP,
    FixedPoints,
    NewtonResult,
    Status,
    batch_system,
    check_dps,
    closed_form_equal_strengths,
    closed_form_permutation,
    closed_form_sd,
    initial_guess,
    lambertw_exp,
    lemma1,
    log_lambertw_exp,
    mp_responses,
    mp_solve,
    newton,
    responses,
    responses_batch,
    sd_alpha,
    solve_fixed_point,
    solve_fixed_point_mp,
    solve_fixed_points,
    uncoupled_alpha,
)
from .solvers import mp as _smp

__all__ = [
    "DEFAULT_TOL",
    "MAX_STEP",
    "STATUSES",
    "ConvergenceError",
    "FixedPoint",
    "FixedPointMP",
    "FixedPoints",
    "NewtonResult",
    "Status",
    "batch_system",
    "check_dps",
    "closed_form_equal_strengths",
    "closed_form_permutation",
    "closed_form_sd",
    "initial_guess",
    "lambertw_exp",
    "lemma1",
    "log_lambertw_exp",
    "mp_newton",
    "mp_responses",
    "mp_solve",
    "mp_system",
    "newton",
    "newton_batch",
    "responses",
    "responses_batch",
    "sd_alpha",
    "solve_fixed_point",
    "solve_fixed_point_mp",
    "solve_fixed_points",
    "uncoupled_alpha",
]


# --------------------------------------------------------------- legacy call forms
# The tuple-returning forms of the engine that code written against the old module
# calls; each delegates to gstheory.solvers (no second implementation).
def newton_batch(M: Any, c: Any, dynamics: Any, x0: Any = None, tol: float = DEFAULT_TOL,
                 max_iter: int = 100) -> tuple:
    """Legacy form of :func:`gstheory.solvers.newton.newton`: ``(x, residual,
    iterations, converged)``.

    Paper: the fixed-point equations of Eq. 9, Eq. 10, Eq. 18.
    """
    r = newton(M, c, dynamics, x0, tol=tol, max_iter=max_iter)
    return r.x, r.residual, r.iterations, r.converged


def mp_system(U: Any, s2: Any, penalty: Any, dynamics: Any) -> tuple:
    """Legacy form of :func:`gstheory.solvers.mp.mp_system`: ``(M, c)`` as
    ``mpmath.matrix`` at the working precision.

    Paper: Eq. 9, Eq. 10, Eq. 18 (their ``(M, c)``).
    """
    M, c = _smp.mp_system(U, s2, penalty, dynamics)
    return mp.matrix(M[0].tolist()), mp.matrix(c[0].tolist())


def mp_newton(M: Any, c: Any, dynamics: Any, x0: list, max_iter: int = 200) -> tuple:
    """Legacy form of :func:`gstheory.solvers.mp.mp_solve` on ``mpmath.matrix`` inputs:
    ``(x, relative residual, iterations, converged)``.

    Paper: the fixed-point equations of Eq. 9, Eq. 10, Eq. 18.
    """
    n = len(x0)
    Mo = MP.asarray([[M[i, j] for j in range(n)] for i in range(n)])[None]
    co = MP.asarray([c[i] for i in range(n)])[None]
    r = mp_solve(Mo, co, as_dynamics(dynamics), MP.asarray([list(x0)]), max_iter)
    return list(r.x[0]), r.residual[0], int(r.iterations[0]), bool(r.converged[0])
