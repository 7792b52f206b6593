r"""The damped-Newton engine for the dual fixed point, over number contexts.

Solves :math:`F(x) = -x - c - M g(x) = 0` for a batch, with :math:`\alpha = g(x)` the
dynamics' coordinates (:mod:`gstheory.dynamics`: logit for the exact forms, log for the
Taylor forms, so the barriers of :math:`\ell(\alpha)` never bite). The Jacobian
:math:`-I - M\,\mathrm{diag}(g'(x))` has all eigenvalues :math:`\le -1` when ``M`` is
positive semidefinite, so the Newton direction always exists. The same code runs on
float64 arrays (:data:`gstheory.contexts.FLOAT`) and on object arrays of mpmath numbers
(:data:`gstheory.contexts.MP`).

Each iteration takes the Newton direction ``p`` and a line search along one of two curves
with the same tangent: the straight line in :math:`\alpha` (the natural Newton line of the
concave dual objective; best in ill-conditioned valleys) when the full step stays inside
the domain, else the straight line in ``x`` (log/logit: ``alpha`` may shrink by orders of
magnitude per step), capped at :data:`MAX_STEP`. A trial is accepted on Armijo's
condition on the dual objective (global convergence) or on a halved residual norm (the
quadratic phase, where the objective is flat to rounding). Converged instances leave the
active set.

The reported residual is relative (a backward error): :math:`\max_i |F_i| /
(1 + |x_i| + |c_i| + \sum_j |M_{ij}\alpha_j|)`, the residual against the size of the
terms that cancel in it (the 1: an absolute error in the logit is a relative error in
:math:`\alpha` and :math:`1 - \alpha`).

Example:
    >>> import numpy as np
    >>> from gstheory.dynamics import EXACT
    >>> r = newton(np.array([[[9.0, 0.0], [0.0, 1.0]]]), np.zeros((1, 2)), EXACT)
    >>> bool(r.converged[0] and r.residual[0] < 1e-13)
    True

Paper: the fixed-point equations of Eq. 9, Eq. 10, Eq. 18; Theorem 1 (concavity).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..contexts import FLOAT, Context
from ..dynamics import Dynamics, as_dynamics
from .lambert import log_lambertw_exp
from .results import Status, status_code

#: Default relative residual at which Newton stops (float64).
DEFAULT_TOL = 1e-13
#: Default iteration cap.
DEFAULT_MAX_ITER = 100
#: Largest Newton step (infinity norm, in log/logit units) on the straight line in x.
MAX_STEP = 100.0
#: A full step on the alpha-line is taken only if it stays this fraction of the way to
#: the boundary of the domain (interior-point practice; 1 - 1e-6 allows 1e6-fold moves).
FRACTION_TO_BOUNDARY = 1.0 - 1e-6
#: Armijo's sufficient-increase constant for the dual objective.
ARMIJO = 1e-4
#: A trial is also accepted when the residual norm falls by this factor.
RESIDUAL_DECREASE = 0.5
#: Step halvings per iteration; on the last one every remaining trial is accepted.
MAX_HALVINGS = 59
#: A step that moves ``x`` by less than this many epsilons (relative) has stagnated.
STAGNATION_EPS = 4.0
#: A stalled iterate whose residual is below this many epsilons counts as converged.
ROUNDING_FLOOR_EPS = 64.0


@dataclass(frozen=True, eq=False)
class NewtonResult:
    """What :func:`newton` returns (arrays over the batch).

    Attributes:
        x: ``(B, n)`` solution in solver coordinates; residual: ``(B,)`` relative;
        iterations: ``(B,)``; status_codes: ``(B,)`` indices into
        :data:`gstheory.solvers.results.STATUSES`.

    Paper: the fixed points of Eq. 9, Eq. 10, Eq. 18 (in solver coordinates).
    """

    x: np.ndarray
    residual: np.ndarray
    iterations: np.ndarray
    status_codes: np.ndarray

    @property
    def converged(self) -> np.ndarray:
        return self.status_codes == status_code(Status.SUCCESSFUL)


@dataclass(frozen=True, eq=False)
class _Evaluation:
    """Everything one residual evaluation yields, for a set of instances."""

    gp: np.ndarray       # g'(x)
    F: np.ndarray        # residual -x - c - M g(x)
    D: np.ndarray        # dual objective
    rel: np.ndarray      # relative residual


@dataclass(eq=False)
class _LineSearch:
    """The state of one iteration's line search over the active set."""

    x: np.ndarray            # current iterates
    p: np.ndarray            # Newton directions
    t: np.ndarray            # step lengths (halved on rejection)
    on_alpha_line: np.ndarray  # bool: search along the alpha-line (else the x-line)
    M: np.ndarray
    c: np.ndarray
    absM: np.ndarray
    D: np.ndarray            # objective at x
    slope: np.ndarray        # d/dt D(g(x(t))) at t = 0 (> 0)
    phi0: np.ndarray         # residual norm at x


def evaluate(x: Any, M: Any, c: Any, absM: Any, dynamics: Dynamics,
             ctx: Context = FLOAT) -> _Evaluation:
    """Residual, objective and relative residual at ``x`` in one pass.

    Paper: Eq. 8 (the dual objective), the fixed-point equations of Eq. 9, 10, 18.
    """
    xc = dynamics.clamp(x)
    a, gp = dynamics.from_coords(xc, ctx)
    Ma = np.matmul(M, a[..., None])[..., 0]
    F = -x - c - Ma
    D = np.sum(dynamics.entropy(xc, a, ctx) - c * a, axis=1) - 0.5 * np.sum(a * Ma, axis=1)
    scale = 1.0 + np.abs(x) + np.abs(c) + np.matmul(absM, a[..., None])[..., 0]
    rel = np.max(np.abs(F) / np.maximum(scale, ctx.tiny), axis=1)
    return _Evaluation(gp, F, D, rel)


def initial_guess(M: np.ndarray, c: np.ndarray, dynamics: Dynamics | str) -> np.ndarray:
    r"""Uncoupled guess in solver coordinates: the root of
    :math:`-\log a = c_i + m_i a`, :math:`m_i = M_{ii}` + the dynamics' ``guess_shift``,
    by Lambert W (exact for the Taylor form's diagonal systems).

    Paper: Eq. 13 (the uncoupled Lambert-W solution, as the starting guess).
    """
    dyn = as_dynamics(dynamics)
    m = np.maximum(np.diagonal(M, axis1=1, axis2=2) + dyn.guess_shift, 1e-300)
    loga = log_lambertw_exp(np.log(m) - c) - np.log(m)
    return dyn.coords_from_log_alpha(loga)


def _trial(ls: _LineSearch, sel: Any, dynamics: Dynamics, ctx: Context
           ) -> tuple[np.ndarray, np.ndarray, _Evaluation]:
    """One line-search trial for the instances ``sel`` of the active set."""
    xs, ps, ts = ls.x[sel], ls.p[sel], ls.t[sel]
    xt = xs + ts[:, None] * ps
    on = ls.on_alpha_line[sel]
    if np.any(on):
        xt[on] = dynamics.curve(xs[on], ps[on], ts[on], ctx)
    ev = evaluate(xt, ls.M[sel], ls.c[sel], ls.absM[sel], dynamics, ctx)
    armijo = ls.D[sel] + ARMIJO * ts * ls.slope[sel]
    smaller = RESIDUAL_DECREASE * ls.phi0[sel]
    accept = np.asarray((armijo <= ev.D) | (ctx.norm(ev.F) <= smaller), dtype=bool)
    return accept, xt, ev


def _take(dst: _Evaluation, xdst: np.ndarray, idx: np.ndarray, xt: np.ndarray,
          src: _Evaluation, mask: Any) -> None:
    xdst[idx] = xt[mask]
    dst.gp[idx], dst.F[idx] = src.gp[mask], src.F[mask]
    dst.D[idx], dst.rel[idx] = src.D[mask], src.rel[mask]


def newton(M: Any, c: Any, dynamics: Dynamics | str, x0: Any = None, *,
           tol: Any = DEFAULT_TOL, max_iter: int = DEFAULT_MAX_ITER,
           ctx: Context = FLOAT) -> NewtonResult:
    r"""Damped Newton on :math:`-x - c - M g(x) = 0` for a batch (the one engine).

    Arguments:
        M: ``(B, n, n)`` symmetric positive semidefinite; c: ``(B, n)``.
        dynamics: a :class:`~gstheory.dynamics.Dynamics` (or its name).
        x0: ``(B, n)`` start in solver coordinates (default: :func:`initial_guess`,
            float64 only).
        tol: relative residual at which an instance stops; max_iter: iteration cap.
        ctx: number context (:data:`~gstheory.contexts.FLOAT` or
            :data:`~gstheory.contexts.MP`; arrays of the matching dtype).

    Returns:
        :class:`NewtonResult`.

    Paper: the fixed-point equations of Eq. 9, 10, 18.
    """
    dyn = as_dynamics(dynamics)
    B, n = c.shape
    x = (initial_guess(M, c, dyn) if x0 is None else ctx.asarray(x0)).copy()
    iters = np.zeros(B, dtype=np.int64)
    stalled = np.zeros(B, dtype=bool)
    eye = np.eye(n)
    eps = ctx.eps
    absM = np.abs(M)
    ev = evaluate(x, M, c, absM, dyn, ctx)
    keep = np.asarray(ev.rel > tol, dtype=bool)
    active = np.flatnonzero(keep)
    xa, Ma, ca, aMa = x[keep], M[keep], c[keep], absM[keep]
    F, gp, D = ev.F[keep], ev.gp[keep], ev.D[keep]
    for _ in range(max_iter):
        if active.size == 0:
            break
        J = -Ma * gp[:, None, :] - eye
        p = -ctx.solve(J, F)
        on_line = np.asarray(dyn.max_step(xa, p, ctx) * FRACTION_TO_BOUNDARY >= 1.0,
                             dtype=bool)
        pmax = np.max(np.abs(p), axis=1)
        t = np.where(on_line, 1.0, np.minimum(1.0, MAX_STEP / np.maximum(pmax, 1e-300)))
        ls = _LineSearch(xa, p, t, on_line, Ma, ca, aMa, D, np.sum(F * gp * p, axis=1),
                         ctx.norm(F))
        # first trial on the whole active set without copies; backtrack on the rest
        accept, x_new, new = _trial(ls, slice(None), dyn, ctx)
        todo = np.flatnonzero(~accept)
        for k in range(MAX_HALVINGS):
            if todo.size == 0:
                break
            ls.t[todo] = ls.t[todo] * 0.5
            accept, xt, ev_t = _trial(ls, todo, dyn, ctx)
            if k == MAX_HALVINGS - 1:      # out of halvings: take the last (tiny) trial
                accept[:] = True
            _take(new, x_new, todo[accept], xt, ev_t, accept)
            todo = todo[~accept]
        iters[active] += 1
        moved = np.asarray(np.max(np.abs(x_new - xa), axis=1) > STAGNATION_EPS * eps * (
            1.0 + np.max(np.abs(xa), axis=1)), dtype=bool)
        stalled[active[~moved]] = True
        keep = np.asarray(new.rel > tol, dtype=bool) & moved
        x[active] = x_new
        if keep.all():
            xa, F, gp, D = x_new, new.F, new.gp, new.D
            continue
        active = active[keep]
        xa, Ma, ca, aMa = x_new[keep], Ma[keep], ca[keep], aMa[keep]
        F, gp, D = new.F[keep], new.gp[keep], new.D[keep]
    res = evaluate(x, M, c, absM, dyn, ctx).rel
    # rounding floor: accept a stalled iterate whose residual is at working precision
    floor = max(tol, 1e-300)
    conv = np.asarray((res <= floor) | (res <= ROUNDING_FLOOR_EPS * eps), dtype=bool)
    finite = np.all(ctx.isfinite(x), axis=1)
    codes = np.full(B, status_code(Status.MAX_ITER_REACHED), dtype=np.int8)
    codes[stalled] = status_code(Status.STAGNATED)
    codes[conv] = status_code(Status.SUCCESSFUL)
    codes[~finite] = status_code(Status.NON_FINITE)
    return NewtonResult(x, res, iters, codes)
