r"""Fixed points of the dual dynamics: closed forms, Lemma 1, batched Newton, mpmath.

* Closed forms of Eq. 10 (Lambert W): equal strengths (Eq. 12), ``U`` a permutation
  (Eq. 13), and spectral decoupling's Taylor form
  :math:`\alpha = \lambda W(1/\lambda + 1)/(1 + \lambda)` (with a margin target
  :math:`\gamma`: :math:`\alpha = W(m e^{-\gamma})/m`, :math:`m = 1 + 1/\lambda`).
* Lemma 1 (Eq. 14): one Newton step of Eq. 10 from the uncoupled fixed point.
* :func:`solve_fixed_points`: batched damped Newton for any ``U``, ``s2``, ``lambda``,
  penalty and dynamics, in logit coordinates (exact forms) or log coordinates (Taylor
  forms), so that the barriers of :math:`\log\alpha` never bite; converged instances are
  dropped from the active set.
* :func:`solve_fixed_point_mp`: the same Newton iteration in mpmath at any precision.
* :func:`responses`: :math:`z^* = \frac1\lambda S^2 U^T\alpha^*` (Eq. 11; SD:
  :math:`z^* = U^T(\gamma + \alpha^*/\lambda)`).

The fixed-point equation solved is :math:`F(x) = -x - c - M g(x) = 0` with
:math:`\alpha = g(x)` (see :mod:`gstheory.dual`); its Jacobian
:math:`-I - M\,\mathrm{diag}(g'(x))` has all eigenvalues :math:`\le -1` when ``M`` is
positive semidefinite, so the Newton direction always exists and the backtracking line
search on :math:`\|F\|_2` converges.

The reported ``residual`` is relative (a backward error): :math:`\max_i |F_i| /
(1 + |x_i| + |c_i| + \sum_j |M_{ij}\alpha_j|)`, i.e. the size of the residual compared
with the size of the terms that cancel in it (the 1: an absolute error in the logit is a
relative error in :math:`\alpha` and :math:`1 - \alpha`).

Example:
    >>> from gstheory.spectrum import perturbed_identity
    >>> from gstheory.penalties import Ridge
    >>> fp = solve_fixed_point(perturbed_identity([36.0, 4.0], 0.5), Ridge(0.01))
    >>> bool(fp.converged and fp.residual < 1e-12)
    True

Paper: Eq. 9-14 (Sec. 3.2-3.3), Eq. 18 (Sec. 3.4), Lemma 1, Theorem 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mpmath as mp
import numpy as np
from scipy.special import lambertw

from . import validation as check
from .dual import (
    DualSystem,
    check_dynamics,
    check_scale,
    check_spectrum,
    dual_system,
    from_coords,
    log_term,
)
from .penalties import Penalty, Ridge, SpectralDecoupling, as_penalty
from .spectrum import Spectrum

#: Default relative residual at which Newton stops (float64).
DEFAULT_TOL = 1e-13
#: Largest Newton step (infinity norm, in log/logit units) before damping.
MAX_STEP = 100.0
#: Taylor (log) coordinates are clamped here inside the residual: e^300 cannot overflow
#: after multiplication by M, and no fixed point lies near it.
_LOG_CLAMP = 300.0


# ------------------------------------------------------------------------------ results
class ConvergenceError(ValueError):
    """Newton did not reach the tolerance (parameters at float64's limits).

    A ValueError, so the command line reports it in one line; retry with the mpmath
    solver (``--precision``) or milder parameters.
    """


@dataclass(frozen=True, eq=False)
class FixedPoint:
    r"""A fixed point of the dual dynamics and its responses.

    Attributes:
        alpha: ``(n,)`` dual variables :math:`\alpha^*`.
        z: ``(n,)`` responses :math:`z^*` (Eq. 11).
        residual: relative residual of the fixed-point equation (module docstring).
        iterations: Newton iterations used (0 for closed forms).
        converged: whether ``residual`` met the tolerance.
        penalty: ``"ridge"`` or ``"sd"``; dynamics: ``"exact"`` or ``"taylor"``.
        method: ``"newton"``, ``"closed-form"`` or ``"mpmath"``.

    Paper: Eq. 11.
    """

    alpha: np.ndarray
    z: np.ndarray
    residual: float
    iterations: int
    converged: bool
    penalty: str
    dynamics: str
    method: str = "newton"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"alpha": self.alpha.tolist(), "z": self.z.tolist(),
                "residual": float(self.residual), "iterations": int(self.iterations),
                "converged": bool(self.converged), "penalty": self.penalty,
                "dynamics": self.dynamics, "method": self.method}


@dataclass(frozen=True, eq=False)
class FixedPoints:
    """Batched fixed points: every array has a leading batch axis ``B``.

    Attributes:
        alpha, z: ``(B, n)``; residual: ``(B,)``; iterations: ``(B,)`` ints;
        converged: ``(B,)`` bools; penalty, dynamics: strings.
    """

    alpha: np.ndarray
    z: np.ndarray
    residual: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    penalty: str
    dynamics: str

    def __len__(self) -> int:
        return int(self.alpha.shape[0])

    def __getitem__(self, k: int) -> FixedPoint:
        return FixedPoint(self.alpha[k], self.z[k], float(self.residual[k]),
                          int(self.iterations[k]), bool(self.converged[k]),
                          self.penalty, self.dynamics)


@dataclass(frozen=True, eq=False)
class FixedPointMP:
    """A fixed point computed in mpmath at ``dps`` significant digits.

    Attributes:
        alpha, z: tuples of ``mpmath.mpf``; residual: ``mpf`` (relative, as in float64);
        iterations, converged, penalty, dynamics, dps.
    """

    alpha: tuple
    z: tuple
    residual: Any
    iterations: int
    converged: bool
    penalty: str
    dynamics: str
    dps: int

    def to_float(self) -> FixedPoint:
        """Rounded to float64 as a :class:`FixedPoint` (``method="mpmath"``)."""
        return FixedPoint(np.array([float(v) for v in self.alpha]),
                          np.array([float(v) for v in self.z]), float(self.residual),
                          self.iterations, self.converged, self.penalty, self.dynamics,
                          "mpmath")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; full-precision values as decimal strings."""
        return {"alpha": [float(v) for v in self.alpha], "z": [float(v) for v in self.z],
                "alpha_digits": [mp.nstr(v, self.dps) for v in self.alpha],
                "z_digits": [mp.nstr(v, self.dps) for v in self.z],
                "residual": float(self.residual), "iterations": self.iterations,
                "converged": self.converged, "penalty": self.penalty,
                "dynamics": self.dynamics, "dps": self.dps}


# ------------------------------------------------------------------------- Lambert W
def lambertw_exp(L: Any) -> np.ndarray:
    r""":math:`W(e^L)` (principal branch) for real ``L``, without overflow.

    Uses ``scipy.special.lambertw`` for moderate ``L``; for ``L > 700`` solves
    :math:`w + \log w = L` by Newton; for ``L < -700`` returns :math:`e^L` (which is
    :math:`W(e^L)` to double precision, but subnormal below ``L = -708`` and 0 below
    ``L = -745``: the solvers use :math:`\log W(e^L)` instead, which never underflows).

    Raises:
        ValueError: non-finite ``L``.
    """
    Lv = check.finite_array("L", L)
    out = np.empty_like(Lv)
    mid = np.abs(Lv) <= 700.0
    out[mid] = lambertw(np.exp(Lv[mid])).real
    lo = Lv < -700.0
    out[lo] = np.exp(Lv[lo])
    hi = Lv > 700.0
    if np.any(hi):
        w = Lv[hi] - np.log(Lv[hi])
        for _ in range(50):
            step = (w + np.log(w) - Lv[hi]) / (1.0 + 1.0 / w)
            w = w - step
            if np.all(np.abs(step) <= 1e-15 * w):
                break
        out[hi] = w
    return out


def _log_lambertw_exp(L: np.ndarray) -> np.ndarray:
    r""":math:`\log W(e^L)` without underflow (``L`` finite, any size)."""
    out = np.empty_like(L)
    small = L < -30.0
    out[small] = L[small] - np.exp(L[small])   # W(y) = y - y^2 + ..., log W = L - y
    out[~small] = np.log(lambertw_exp(L[~small]))
    return out


# --------------------------------------------------------------------- batched inputs
def _batch_orthogonal(U: Any, n: int | None = None) -> np.ndarray:
    """``(B, n, n)`` or ``(n, n)`` orthogonal matrices (tolerance of gstheory.validation)."""
    Um = check.finite_array("U", U)
    if Um.ndim == 2:
        Um = Um[None]
    if Um.ndim != 3 or Um.shape[1] != Um.shape[2] or Um.shape[1] < 1:
        raise check.fail("U", U, f"must have shape (n, n) or (B, n, n) with n >= 1, got "
                                 f"{np.shape(U)}")
    if n is not None and Um.shape[1] != n:
        raise check.fail("U", U, f"must be {n} x {n} to match s2, got {Um.shape[1:]}")
    if Um.shape[0] == 0:
        raise check.fail("U", U, "must contain at least one matrix")
    err = np.max(np.abs(np.einsum("bki,bkj->bij", Um, Um) - np.eye(Um.shape[1])),
                 axis=(1, 2))
    bad = np.flatnonzero(err > check.ORTHOGONALITY_TOL)
    if bad.size:
        k = int(bad[0])
        raise check.fail("U", U, f"must be orthogonal: instance {k} has max|U^T U - I| = "
                                 f"{err[k]:.3g} > tolerance {check.ORTHOGONALITY_TOL:g}")
    return Um


def _batch_param(name: str, value: Any, B: int, n: int, *, per_example: bool,
                 positive: bool) -> np.ndarray:
    """Broadcast a scalar / ``(B,)`` / (``per_example``) ``(B, n)`` parameter to ``(B, n)``."""
    arr = check.finite_array(name, value)
    if positive and arr.size and not np.all(arr > 0):
        raise check.fail(name, value, "every entry must be > 0 (allowed range (0, inf))")
    if arr.ndim == 0:
        return np.full((B, n), float(arr))
    if arr.ndim == 1 and arr.shape[0] == B:
        return np.repeat(arr[:, None], n, axis=1)
    if per_example and arr.shape == (B, n):
        return arr.copy()
    allowed = "a scalar or shape (B,)" + (" or (B, n)" if per_example else "")
    raise check.fail(name, value, f"must be {allowed} with B={B}, n={n}; got shape "
                                  f"{arr.shape}")


def _batch_system(U: Any, s2: Any, lam: Any, penalty: str, dynamics: str,
                  gamma: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                       np.ndarray]:
    """Validated ``(U, s2, lam, M, c)`` for a batch; lam and c have shape ``(B, n)``."""
    pen = check.choice("penalty", penalty, ("ridge", "sd"))
    dyn = check_dynamics(dynamics)
    s2a = check.positive_array("s2", s2)
    if s2a.ndim == 1:
        s2a = s2a[None]
    if s2a.ndim != 2 or s2a.shape[1] < 1:
        raise check.fail("s2", s2, f"must have shape (n,) or (B, n), got {np.shape(s2)}")
    Um = _batch_orthogonal(U, s2a.shape[1])
    B = max(Um.shape[0], s2a.shape[0])
    if Um.shape[0] not in (1, B) or s2a.shape[0] not in (1, B):
        raise check.fail("s2", s2, f"batch size {s2a.shape[0]} does not match U's "
                                   f"{Um.shape[0]}")
    n = s2a.shape[1]
    Um = np.broadcast_to(Um, (B, n, n))
    s2a = np.broadcast_to(s2a, (B, n))
    lam_b = _batch_param("lam", lam, B, n, per_example=(pen == "sd"), positive=True)
    if pen == "ridge":
        if gamma is not None:
            raise check.fail("gamma", gamma, "is only defined for the sd penalty")
        check_scale(s2a, lam_b)
        M = np.einsum("bik,bk,bjk->bij", Um, s2a, Um) / lam_b[:, :1, None]
        M = 0.5 * (M + np.swapaxes(M, 1, 2))
        c = np.zeros((B, n))
    else:
        c = _batch_param("gamma", 0.0 if gamma is None else gamma, B, n, per_example=True,
                         positive=False)
        check_scale(s2a, lam_b, c)
        M = np.zeros((B, n, n))
        idx = np.arange(n)
        M[:, idx, idx] = 1.0 / lam_b
    if dyn == "taylor":
        M = M + np.eye(n)
    return Um, s2a, lam_b, M, c


# ------------------------------------------------------------------------ the engine
def _initial_guess(M: np.ndarray, c: np.ndarray, dynamics: str) -> np.ndarray:
    r"""Uncoupled guess: solve :math:`\log(1/a) = c_i + m_i a` with :math:`m_i = M_{ii}`
    (+1 for the exact form, its Taylor expansion) by Lambert W, in solver coordinates."""
    m = np.diagonal(M, axis1=1, axis2=2).copy()
    if dynamics == "exact":
        m = m + 1.0
    m = np.maximum(m, 1e-300)
    loga = _log_lambertw_exp(np.log(m) - c) - np.log(m)
    if dynamics == "taylor":
        return loga
    loga = np.minimum(loga, np.log1p(-1e-12))
    return loga - np.log1p(-np.exp(loga))


def _clamp(x: np.ndarray, dynamics: str) -> np.ndarray:
    return np.minimum(x, _LOG_CLAMP) if dynamics == "taylor" else x


#: A step may shrink (or, exact form, grow 1 - alpha) by at most this fraction of the way
#: to the boundary of (0, 1) (interior-point practice; 1 - 1e-6 allows 1e6-fold moves).
_FRACTION_TO_BOUNDARY = 1.0 - 1e-6


def _max_step(x: np.ndarray, p: np.ndarray, dynamics: str) -> np.ndarray:
    r"""Largest ``t`` keeping :math:`\alpha + t\,g'(x)p` inside the domain, per instance."""
    with np.errstate(divide="ignore", over="ignore"):
        if dynamics == "exact":
            a, _ = from_coords(x, dynamics)
            b, _ = from_coords(-x, dynamics)            # 1 - alpha without cancellation
            lim = np.where(p < 0, 1.0 / (b * -p), np.where(p > 0, 1.0 / (a * p), np.inf))
        else:
            lim = np.where(p < 0, 1.0 / -p, np.inf)
    return np.min(lim, axis=1)


def _curve(x: np.ndarray, p: np.ndarray, t: np.ndarray, dynamics: str) -> np.ndarray:
    r"""The point :math:`\alpha + t\,g'(x)p` (a straight line in :math:`\alpha`, the
    Newton line of the concave dual objective) written in solver coordinates without
    cancellation: exact :math:`x + \log(1 + t(1-\alpha)p) - \log(1 - t\alpha p)`,
    Taylor :math:`u + \log(1 + tp)`. To first order it is :math:`x + tp`."""
    tp = t[:, None] * p
    if dynamics == "exact":
        a, _ = from_coords(x, dynamics)
        b, _ = from_coords(-x, dynamics)
        return x + np.log1p(b * tp) - np.log1p(-a * tp)
    return x + np.log1p(tp)


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _evaluate(x: np.ndarray, M: np.ndarray, c: np.ndarray, absM: np.ndarray,
              dynamics: str) -> tuple[np.ndarray, ...]:
    """``(alpha, g'(x), F, dual objective, relative residual)`` in one pass."""
    xc = _clamp(x, dynamics)
    a, gp = from_coords(xc, dynamics)
    Ma = np.matmul(M, a[..., None])[..., 0]
    F = -x - c - Ma
    if dynamics == "exact":
        ent = a * _softplus(-xc) + (1.0 - a) * _softplus(xc)
    else:
        ent = a * (1.0 - xc)
    D = np.sum(ent - c * a, axis=1) - 0.5 * np.sum(a * Ma, axis=1)
    scale = 1.0 + np.abs(x) + np.abs(c) + np.matmul(absM, a[..., None])[..., 0]
    rel = np.max(np.abs(F) / np.maximum(scale, np.finfo(float).tiny), axis=1)
    return a, gp, F, D, rel


def _trial(state: tuple, sel: np.ndarray | slice, dynamics: str) -> tuple[np.ndarray, ...]:
    """One line-search trial for the instances ``sel`` of the active set."""
    xa, p, t, in_domain, Ma, ca, aMa, D, slope, phi0 = state
    xt = xa[sel] + t[sel, None] * p[sel]
    on = in_domain[sel]
    if np.any(on):
        xt[on] = _curve(xa[sel][on], p[sel][on], t[sel][on], dynamics)
    _, gt, Ft, Dt, rt = _evaluate(xt, Ma[sel], ca[sel], aMa[sel], dynamics)
    # Armijo on the concave dual objective (global convergence), or a halved residual
    # (the quadratic phase, where D is flat to rounding)
    acc = ((Dt >= D[sel] + 1e-4 * t[sel] * slope[sel])
           | (np.linalg.norm(Ft, axis=1) <= 0.5 * phi0[sel]))
    return acc, xt, gt, Ft, Dt, rt


def newton_batch(M: np.ndarray, c: np.ndarray, dynamics: str, x0: np.ndarray | None = None,
                 tol: float = DEFAULT_TOL, max_iter: int = 100
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Damped Newton on :math:`-x - c - M g(x) = 0` for a batch (internal engine).

    Arguments:
        M: ``(B, n, n)``; c: ``(B, n)``; dynamics: ``"exact"`` (logit) or ``"taylor"``
        (log); x0: ``(B, n)`` start in solver coordinates (default: uncoupled guess).

    Returns:
        ``(x, residual, iterations, converged)``; converged instances leave the active set.

    Paper: the fixed-point equations of Eq. 9, 10, 18.
    """
    B, n = c.shape
    x = _initial_guess(M, c, dynamics) if x0 is None else np.array(x0, dtype=float)
    iters = np.zeros(B, dtype=np.int64)
    eye = np.eye(n)
    absM = np.abs(M)
    _, gp, F, D, rel = _evaluate(x, M, c, absM, dynamics)
    keep = rel > tol
    active = np.flatnonzero(keep)
    xa, Ma, ca, aMa = x[keep], M[keep], c[keep], absM[keep]
    F, gp, D = F[keep], gp[keep], D[keep]
    for _ in range(max_iter):
        if active.size == 0:
            break
        J = -Ma * gp[:, None, :] - eye
        p = -np.linalg.solve(J, F[..., None])[..., 0]
        # Two Newton curves, same tangent: the straight line in alpha (the natural Newton
        # line of the concave dual; best in ill-conditioned valleys) when the full step
        # stays inside the domain, else the straight line in x (log/logit: lets alpha
        # shrink by orders of magnitude per step), capped at MAX_STEP.
        in_domain = _FRACTION_TO_BOUNDARY * _max_step(xa, p, dynamics) >= 1.0
        pmax = np.max(np.abs(p), axis=1)
        t = np.where(in_domain, 1.0, np.minimum(1.0, MAX_STEP / np.maximum(pmax, 1e-300)))
        phi0 = np.linalg.norm(F, axis=1)
        slope = np.sum(F * gp * p, axis=1)          # d/dt D(g(x + t p)) at t = 0, > 0
        state = (xa, p, t, in_domain, Ma, ca, aMa, D, slope, phi0)
        # first trial on the whole active set without copies; backtrack on the rest
        acc, x_new, gp_new, F_new, D_new, r_new = _trial(state, slice(None), dynamics)
        todo = np.flatnonzero(~acc)
        for _ls in range(59):
            if todo.size == 0:
                break
            t[todo] *= 0.5
            acc, xt, gt, Ft, Dt, rt = _trial(state, todo, dynamics)
            if _ls == 58:
                acc[:] = True
            idx = todo[acc]
            x_new[idx], F_new[idx], gp_new[idx] = xt[acc], Ft[acc], gt[acc]
            D_new[idx], r_new[idx] = Dt[acc], rt[acc]
            todo = todo[~acc]
        if todo.size:      # 60 halvings without decrease: take the last (tiny) trial
            x_new[todo], F_new[todo], gp_new[todo] = xt, Ft, gt
            D_new[todo], r_new[todo] = Dt, rt
        iters[active] += 1
        # stagnation: the step no longer moves x (rounding floor reached)
        moved = np.max(np.abs(x_new - xa), axis=1) > 4 * np.finfo(float).eps * (
            1.0 + np.max(np.abs(xa), axis=1))
        keep = (r_new > tol) & moved
        x[active] = x_new
        if keep.all():
            xa, F, gp, D = x_new, F_new, gp_new, D_new
            continue
        active = active[keep]
        xa, Ma, ca, aMa = x_new[keep], Ma[keep], ca[keep], aMa[keep]
        F, gp, D = F_new[keep], gp_new[keep], D_new[keep]
    _, _, _, _, res = _evaluate(x, M, c, absM, dynamics)
    conv = res <= max(tol, 1e-300)
    # rounding floor: accept a stalled iterate whose residual is at float64 precision
    conv |= res <= 64 * np.finfo(float).eps
    return x, res, iters, conv & np.all(np.isfinite(x), axis=1)


def _check_tol(tol: Any, max_iter: Any) -> tuple[float, int]:
    tol = check.positive("tol", tol)
    max_iter = check.integer("max_iter", max_iter, minimum=1, maximum=10_000)
    return tol, max_iter


# ------------------------------------------------------------------------ public API
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
        return sp.s2 * (sp.U.T @ a) / pen.lam
    lam, gamma = pen.per_example(sp.n)
    return sp.U.T @ (gamma + a / lam)


def _responses_batch(alpha: np.ndarray, U: np.ndarray, s2: np.ndarray, lam: np.ndarray,
                     c: np.ndarray, penalty: str) -> np.ndarray:
    if penalty == "ridge":
        return s2 * np.einsum("bji,bj->bi", U, alpha) / lam
    return np.einsum("bji,bj->bi", U, c + alpha / lam)


def solve_fixed_points(U: Any, s2: Any, lam: Any, penalty: str = "ridge",
                       dynamics: str = "exact", gamma: Any = None, *,
                       tol: float = DEFAULT_TOL, max_iter: int = 100) -> FixedPoints:
    r"""Batched fixed points of Eq. 9 / Eq. 10 / Eq. 18 by damped Newton.

    Arguments:
        U: ``(B, n, n)`` orthogonal matrices, or one ``(n, n)`` shared by all instances.
        s2: ``(B, n)`` squared strengths (or ``(n,)`` shared), all ``> 0``.
        lam: ``lambda > 0``: a scalar or ``(B,)``; SD also ``(B, n)`` (per example).
        penalty: ``"ridge"`` (Eq. 5) or ``"sd"`` (Eq. 17).
        dynamics: ``"exact"`` (Eq. 9 / 18, logit coordinates) or ``"taylor"`` (Eq. 10,
            log coordinates).
        gamma: SD margin target: scalar, ``(B,)`` or ``(B, n)``; ``None`` means 0.
        tol: relative residual at which an instance stops; max_iter: Newton iterations.

    Returns:
        :class:`FixedPoints` with ``alpha``, ``z`` (Eq. 11), residuals, iteration counts
        and convergence flags.

    Raises:
        ValueError: any invalid input (non-orthogonal ``U``, non-positive ``s2`` or
            ``lam``, shapes that disagree, NaN/inf, unknown penalty or dynamics).

    Paper: Eq. 9, 10, 11, 18; Sec. 3.2-3.4.
    """
    tol, max_iter = _check_tol(tol, max_iter)
    pen = check.choice("penalty", penalty, ("ridge", "sd"))
    Um, s2a, lam_b, M, c = _batch_system(U, s2, lam, pen, dynamics, gamma)
    x, res, iters, conv = newton_batch(M, c, dynamics, tol=tol, max_iter=max_iter)
    a, _ = from_coords(x, dynamics)
    z = _responses_batch(a, Um, s2a, lam_b, c, pen)
    return FixedPoints(a, z, res, iters, conv, pen, dynamics)


def _solve_system(sysm: DualSystem, x0: np.ndarray | None, tol: float, max_iter: int):
    x, res, iters, conv = newton_batch(sysm.M[None], sysm.c[None], sysm.dynamics,
                                       None if x0 is None else x0[None], tol, max_iter)
    a, _ = from_coords(x[0], sysm.dynamics)
    return a, float(res[0]), int(iters[0]), bool(conv[0])


def solve_fixed_point(spectrum: Spectrum, penalty: Penalty, dynamics: str = "exact", *,
                      alpha0: Any = None, tol: float = DEFAULT_TOL,
                      max_iter: int = 100) -> FixedPoint:
    r"""The fixed point of the dual dynamics for one spectrum (damped Newton).

    Arguments:
        spectrum: :class:`~gstheory.spectrum.Spectrum`.
        penalty: :class:`~gstheory.penalties.Ridge` or
            :class:`~gstheory.penalties.SpectralDecoupling`.
        dynamics: ``"exact"`` (Eq. 9, Eq. 18) or ``"taylor"`` (Eq. 10).
        alpha0: optional starting point in (0, 1) (Taylor: > 0).
        tol, max_iter: as in :func:`solve_fixed_points`.

    Returns:
        :class:`FixedPoint` (check ``converged``).

    Raises:
        ValueError: invalid input.

    Paper: Eq. 9, 10, 11, 18; Theorem 1.
    """
    tol, max_iter = _check_tol(tol, max_iter)
    sysm = dual_system(spectrum, penalty, dynamics)
    pen = as_penalty(penalty)
    x0 = None
    if alpha0 is not None:
        if sysm.dynamics == "exact":
            a0 = check.probabilities("alpha0", alpha0, ndim=1, shape=(sysm.n,))
        else:
            a0 = check.positive_array("alpha0", alpha0, ndim=1, shape=(sysm.n,))
        x0 = -log_term(a0, sysm.dynamics)
    a, res, it, conv = _solve_system(sysm, x0, tol, max_iter)
    return FixedPoint(a, responses(a, spectrum, pen), res, it, conv, pen.name,
                      sysm.dynamics)


def _closed(spectrum: Spectrum, penalty: Penalty, alpha: np.ndarray) -> FixedPoint:
    """Wrap a closed-form alpha as a FixedPoint of the Taylor dynamics with its residual."""
    sysm = dual_system(spectrum, penalty, "taylor")
    M = sysm.M[None]
    *_, rel = _evaluate(np.log(alpha)[None], M, sysm.c[None], np.abs(M), "taylor")
    res = float(rel[0])
    return FixedPoint(alpha, responses(alpha, spectrum, penalty), res, 0,
                      bool(res <= 1e3 * np.finfo(float).eps), penalty.name, "taylor",
                      "closed-form")


def _ridge(penalty: Any) -> Ridge:
    if isinstance(penalty, Ridge):
        return penalty
    if isinstance(penalty, SpectralDecoupling):
        raise check.fail("penalty", "sd", "this closed form is for the ridge penalty "
                                          "(use closed_form_sd for SD)")
    return Ridge(penalty)


def closed_form_equal_strengths(spectrum: Spectrum, penalty: Any) -> FixedPoint:
    r"""Eq. 12: all strengths equal, any ``U`` (Taylor dynamics, Eq. 10).

    :math:`\alpha^*_i = \lambda W(s^2/\lambda + 1)/(s^2 + \lambda)`,
    :math:`z^*_j = s^2 W(s^2/\lambda + 1)/(s^2+\lambda)\sum_i u_{ij}`.

    Arguments:
        spectrum: a spectrum with all ``s2`` equal (relative tolerance 1e-12).
        penalty: a :class:`~gstheory.penalties.Ridge` or the scalar ``lam``.

    Returns:
        :class:`FixedPoint` (``method="closed-form"``, ``dynamics="taylor"``).

    Raises:
        ValueError: unequal strengths, SD penalty, or invalid input.

    Paper: Eq. 12 (Sec. 3.3).
    """
    sp = check_spectrum(spectrum)
    pen = _ridge(penalty)
    dual_system(sp, pen, "taylor")              # validates the scale s2/lam
    s2 = sp.s2
    if np.max(s2) - np.min(s2) > 1e-12 * np.max(s2):
        raise check.fail("spectrum.s2", s2, "Eq. 12 needs all strengths equal")
    s = float(np.mean(s2))
    w = float(lambertw(s / pen.lam + 1.0).real)
    alpha = np.full(sp.n, pen.lam * w / (s + pen.lam))
    return _closed(sp, pen, alpha)


def closed_form_permutation(spectrum: Spectrum, penalty: Any) -> FixedPoint:
    r"""Eq. 13: ``U`` a permutation matrix (Taylor dynamics, Eq. 10).

    Example ``p_j`` carries feature ``j`` only:
    :math:`\alpha^*_{p_j} = \lambda W(s_j^2/\lambda + 1)/(s_j^2 + \lambda)`,
    :math:`z^*_j = s_j^2 W(s_j^2/\lambda + 1)/(s_j^2 + \lambda)`.

    Arguments:
        spectrum: a spectrum whose ``U`` is a permutation matrix (entries within 1e-12 of
            0 or 1).
        penalty: a :class:`~gstheory.penalties.Ridge` or the scalar ``lam``.

    Raises:
        ValueError: ``U`` not a permutation, SD penalty, or invalid input.

    Paper: Eq. 13 (Sec. 3.3).
    """
    sp = check_spectrum(spectrum)
    pen = _ridge(penalty)
    dual_system(sp, pen, "taylor")              # validates the scale s2/lam
    U = sp.U
    if not np.all((np.abs(U) < 1e-12) | (np.abs(U - 1.0) < 1e-12)):
        raise check.fail("spectrum.U", U, "Eq. 13 needs U to be a permutation matrix")
    p = np.argmax(U, axis=0)                       # example carrying feature j
    w = lambertw(sp.s2 / pen.lam + 1.0).real
    alpha = np.empty(sp.n)
    alpha[p] = pen.lam * w / (sp.s2 + pen.lam)
    return _closed(sp, pen, alpha)


def sd_alpha(lam: Any, gamma: Any = 0.0, dynamics: str = "taylor") -> np.ndarray:
    r"""Spectral decoupling's fixed point, elementwise (it does not depend on ``U``, ``s2``).

    Taylor: :math:`\log\alpha + \alpha(1 + 1/\lambda) = -\gamma`, i.e.
    :math:`\alpha = W(m e^{-\gamma})/m` with :math:`m = 1 + 1/\lambda`
    (:math:`= \lambda W(1/\lambda + 1)/(1 + \lambda)` for :math:`\gamma = 0`).
    Exact (Eq. 18): :math:`\log\frac{1-\alpha}{\alpha} = \gamma + \alpha/\lambda`, solved
    by scalar Newton in logit coordinates (unique root: the left side decreases, the right
    side increases).

    Arguments:
        lam: ``> 0``, scalar or array; gamma: scalar or array (broadcast with ``lam``).
        dynamics: ``"taylor"`` (closed form) or ``"exact"``.

    Returns:
        array of ``alpha`` with the broadcast shape of ``lam`` and ``gamma``.

    Raises:
        ValueError: non-positive ``lam``, NaN/inf, shapes that do not broadcast.

    Paper: Eq. 17-18 (Sec. 3.4), Sec. 4.4.
    """
    lam_a = check.positive_array("lam", lam)
    g = check.finite_array("gamma", gamma)
    dyn = check_dynamics(dynamics)
    try:
        lam_b, g_b = np.broadcast_arrays(lam_a, g)
    except ValueError:
        raise check.fail("gamma", gamma, f"shape {g.shape} does not broadcast with lam's "
                                         f"{lam_a.shape}") from None
    shape = lam_b.shape
    lam_f, g_f = lam_b.reshape(-1), g_b.reshape(-1)
    if lam_f.size:
        check_scale(np.ones(1), lam_f, g_f)
    if dyn == "taylor":
        m = 1.0 + 1.0 / lam_f
        return (lambertw_exp(np.log(m) - g_f) / m).reshape(shape)
    if lam_f.size == 0:
        return np.zeros(shape)
    M = (1.0 / lam_f)[:, None, None]
    x, _, _, conv = newton_batch(M, g_f[:, None], "exact")
    if not np.all(conv):
        raise ValueError("sd_alpha: Newton did not converge (lam/gamma at float64's "
                         "limits); use solve_fixed_point_mp")
    a, _ = from_coords(x[:, 0], "exact")
    return a.reshape(shape)


def closed_form_sd(spectrum: Spectrum, penalty: SpectralDecoupling) -> FixedPoint:
    r"""SD's closed form (Taylor form of Eq. 18) with its responses
    :math:`z = U^T(\gamma + \alpha/\lambda)`.

    :math:`\alpha^*_i = \lambda W(1/\lambda + 1)/(1+\lambda)` for :math:`\gamma = 0`
    (independent of ``U`` and ``s2``); with targets, :math:`W(m e^{-\gamma_i})/m`.

    Raises:
        ValueError: not an SD penalty, or invalid input.

    Paper: Eq. 18 (Sec. 3.4), Sec. 4.4.
    """
    sp = check_spectrum(spectrum)
    if not isinstance(penalty, SpectralDecoupling):
        raise check.fail("penalty", penalty, "closed_form_sd needs a SpectralDecoupling")
    lam, gamma = penalty.per_example(sp.n)
    return _closed(sp, penalty, sd_alpha(lam, gamma, "taylor"))


def uncoupled_alpha(spectrum: Spectrum, penalty: Any) -> np.ndarray:
    r"""The uncoupled (``delta = 0``, ``U = I``) fixed point of Eq. 10 used by Lemma 1:
    :math:`\alpha^*_{0,i} = \lambda W(s_i^2/\lambda + 1)/(s_i^2 + \lambda)` (Eq. 13 with
    the identity permutation).

    Paper: Eq. 13, Lemma 1.
    """
    sp = check_spectrum(spectrum)
    pen = _ridge(penalty)
    dual_system(sp, pen, "taylor")              # validates the scale s2/lam
    w = lambertw(sp.s2 / pen.lam + 1.0).real
    return pen.lam * w / (sp.s2 + pen.lam)


def lemma1(spectrum: Spectrum, penalty: Any, alpha0: Any = None) -> np.ndarray:
    r"""Lemma 1's approximation of Eq. 10's fixed point (Eq. 14).

    :math:`\alpha^* \approx [A + \mathrm{diag}(1/\alpha^*_0)]^{-1}(1 - \log\alpha^*_0)`
    with :math:`A = \lambda^{-1}U(S^2 + \lambda I)U^T`: one Newton step of
    :math:`\log\alpha + A\alpha = 0` from the uncoupled fixed point :math:`\alpha^*_0`
    (:func:`uncoupled_alpha`). For ``U`` a perturbed identity with coupling ``delta`` the
    error is :math:`O(\delta^2)`.

    Arguments:
        spectrum: the coupled spectrum; penalty: :class:`Ridge` or scalar ``lam``.
        alpha0: optional starting point (default :func:`uncoupled_alpha`), entries > 0.

    Returns:
        ``(n,)`` approximate ``alpha*``.

    Raises:
        ValueError: invalid input, or SD penalty.

    Paper: Lemma 1, Eq. 14 (Sec. 3.3).
    """
    sp = check_spectrum(spectrum)
    pen = _ridge(penalty)
    a0 = (uncoupled_alpha(sp, pen) if alpha0 is None
          else check.positive_array("alpha0", alpha0, ndim=1, shape=(sp.n,)))
    A = dual_system(sp, pen, "taylor").M
    return np.linalg.solve(A + np.diag(1.0 / a0), 1.0 - np.log(a0))


# ---------------------------------------------------------------------------- mpmath
def check_dps(dps: Any) -> int:
    """Decimal digits for mpmath: an integer in [15, 10000]."""
    return check.integer("dps", dps, minimum=15, maximum=10_000)


def mp_system(U: Any, s2: Any, penalty: Penalty, dynamics: str) -> tuple[Any, Any]:
    r"""``(M, c)`` as mpmath matrices, computed at the current precision from ``U`` and
    ``s2`` (lists/arrays of floats or mpf). No rounding to float64 in between."""
    n = len(s2)
    Um = mp.matrix([[mp.mpf(U[i][j]) for j in range(n)] for i in range(n)])
    if isinstance(penalty, Ridge):
        lam = mp.mpf(penalty.lam)
        M = mp.matrix(n, n)
        for i in range(n):
            for j in range(i, n):
                v = mp.fsum(Um[i, k] * mp.mpf(s2[k]) * Um[j, k] for k in range(n)) / lam
                M[i, j] = M[j, i] = v
        c = mp.matrix([0] * n)
    else:
        lam_v, gam_v = penalty.per_example(n)
        M = mp.diag([1 / mp.mpf(v) for v in lam_v])
        c = mp.matrix([mp.mpf(v) for v in gam_v])
    if dynamics == "taylor":
        M = M + mp.eye(n)
    return M, c


def _mp_g(x: Any, dynamics: str) -> tuple[Any, Any]:
    if dynamics == "exact":
        a = 1 / (1 + mp.exp(-x))
        return a, a * (1 - a)
    a = mp.exp(x)
    return a, a


def mp_newton(M: Any, c: Any, dynamics: str, x0: list, max_iter: int = 200
              ) -> tuple[list, Any, int, bool]:
    r"""Damped Newton on :math:`-x - c - M g(x) = 0` in mpmath at the working precision.

    Returns ``(x, relative residual, iterations, converged)``; converged means a relative
    residual below :math:`10^{-(dps - 5)}`.
    """
    n = len(x0)
    x = [mp.mpf(v) for v in x0]
    tol = mp.mpf(10) ** (-(mp.mp.dps - 5))

    def resid(xv: list) -> tuple[Any, list, Any, Any]:
        ga = [_mp_g(v, dynamics) for v in xv]
        a = [g[0] for g in ga]
        Ma = [mp.fsum(M[i, j] * a[j] for j in range(n)) for i in range(n)]
        F = [-xv[i] - c[i] - Ma[i] for i in range(n)]
        scale = [1 + abs(xv[i]) + abs(c[i]) + mp.fsum(abs(M[i, j] * a[j]) for j in range(n))
                 for i in range(n)]
        rel = max(abs(F[i]) / scale[i] for i in range(n))
        if dynamics == "exact":   # entropy via log(alpha) = -x - log(1 + e^-x) etc.
            ent = mp.fsum(-a[i] * mp.log(a[i]) - (1 - a[i]) * mp.log(1 - a[i])
                          for i in range(n))
        else:
            ent = mp.fsum(a[i] * (1 - xv[i]) for i in range(n))
        D = ent - mp.fsum(c[i] * a[i] + a[i] * Ma[i] / 2 for i in range(n))
        return F, ga, rel, D

    F, ga, rel, D = resid(x)
    it = 0
    while rel > tol and it < max_iter:
        J = mp.matrix(n, n)
        for i in range(n):
            for j in range(n):
                J[i, j] = -M[i, j] * ga[j][1] - (1 if i == j else 0)
        p = mp.lu_solve(J, mp.matrix([-v for v in F]))
        norm0 = mp.sqrt(mp.fsum(v * v for v in F))
        slope = mp.fsum(F[i] * ga[i][1] * p[i] for i in range(n))
        pmax = max(abs(p[i]) for i in range(n))
        t = min(mp.mpf(1), MAX_STEP / pmax) if pmax > 0 else mp.mpf(1)
        for _ in range(200):
            xt = [x[i] + t * p[i] for i in range(n)]
            if dynamics == "taylor" and max(xt) > _LOG_CLAMP:
                t /= 2
                continue
            Ft, gat, relt, Dt = resid(xt)
            if (Dt >= D + t * slope / 10000
                    or mp.sqrt(mp.fsum(v * v for v in Ft)) <= norm0 / 2):
                break
            t /= 2
        x, F, ga, rel, D = xt, Ft, gat, relt, Dt
        it += 1
    return x, rel, it, bool(rel <= tol)


def solve_fixed_point_mp(spectrum: Spectrum, penalty: Penalty, dynamics: str = "exact",
                         dps: int = 50, *, s2: Any = None) -> FixedPointMP:
    r"""The fixed point in mpmath at ``dps`` significant digits.

    Newton (as in :func:`solve_fixed_point`) in mpmath matrices, started from the float64
    solution; ``M`` is formed in mpmath from ``U`` and ``s2`` (no float64 rounding).

    Arguments:
        spectrum, penalty, dynamics: as in :func:`solve_fixed_point`.
        dps: decimal digits, an integer in [15, 10000].
        s2: optional override of the squared strengths as mpmath numbers (used by
            high-precision finite differences); default ``spectrum.s2``.

    Returns:
        :class:`FixedPointMP`.

    Raises:
        ValueError: invalid input.

    Paper: Eq. 9, 10, 11, 18.
    """
    dps = check_dps(dps)
    sp = check_spectrum(spectrum)
    pen = as_penalty(penalty)
    dyn = check_dynamics(dynamics)
    try:
        s2v = list(sp.s2) if s2 is None else [mp.mpf(v) for v in s2]
    except (TypeError, ValueError):
        raise check.fail("s2", s2, "must be a sequence of real numbers") from None
    if len(s2v) != sp.n or any(not (v > 0) or not mp.isfinite(v) for v in s2v):
        raise check.fail("s2", str(s2), f"must be {sp.n} finite entries > 0")
    fp64 = solve_fixed_point(sp, pen, dyn) if s2 is None else solve_fixed_point(
        sp.with_s2([float(v) for v in s2v]), pen, dyn)
    with mp.workdps(dps):
        M, c = mp_system(sp.U.tolist(), s2v, pen, dyn)
        x0 = list(-log_term(fp64.alpha, dyn)) if fp64.converged else \
            list(-log_term(np.full(sp.n, 0.25), dyn))
        x, rel, it, conv = mp_newton(M, c, dyn, x0)
        a = [_mp_g(v, dyn)[0] for v in x]
        z = mp_responses(a, sp.U.tolist(), s2v, pen)
        return FixedPointMP(tuple(+v for v in a), tuple(+v for v in z), +rel, it, conv,
                            pen.name, dyn, dps)


def mp_responses(a: list, U: Any, s2: list, penalty: Penalty) -> list:
    """Eq. 11 (ridge) / SD responses in mpmath at the working precision."""
    n = len(a)
    if isinstance(penalty, Ridge):
        lam = mp.mpf(penalty.lam)
        return [mp.mpf(s2[j]) * mp.fsum(mp.mpf(U[i][j]) * a[i] for i in range(n)) / lam
                for j in range(n)]
    lam_v, gam_v = penalty.per_example(n)
    m = [mp.mpf(gam_v[i]) + a[i] / mp.mpf(lam_v[i]) for i in range(n)]
    return [mp.fsum(mp.mpf(U[i][j]) * m[i] for i in range(n)) for j in range(n)]
