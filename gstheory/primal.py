r"""The primal problems on the linear model :math:`\hat y = \Phi_0\theta` (Eq. 3, 5, 17).

Objectives:

* ridge (Eq. 5): :math:`\sum_i \log(1 + e^{-y_i\hat y_i}) + \frac\lambda2\|\theta\|^2`;
* spectral decoupling (Eq. 17, Sec. 4.4):
  :math:`\sum_i \log(1 + e^{-y_i\hat y_i}) + \sum_i\frac{\lambda_i}{2}(y_i\hat y_i -
  \gamma_i)^2`.

:func:`minimise_primal` minimises them exactly. With the SVD :math:`Y\Phi_0 = USV^T`
(Definition 1) the margins are :math:`m = Y\hat y = USV^T\theta`:

* ridge: the minimiser lies in the span of ``V`` (the penalty kills the rest), so Newton
  runs on :math:`w = V^T\theta` (``n`` unknowns, strictly convex);
* SD: the loss depends on :math:`\theta` only through the margins, which are free when
  :math:`\Phi_0` has full row rank, so each margin solves a scalar strictly convex
  problem :math:`\sigma(-m_i) = \lambda_i(m_i - \gamma_i)`; for ``m > n`` the minimiser
  is not unique and the minimum-norm one :math:`\theta = VS^{-1}U^Tm` is returned (the
  critical point of Sec. 3.4, :math:`\theta^* = \frac1\lambda \alpha Y\Phi_0 VS^{-2}V^T`).

At the optimum :math:`\alpha^* = \sigma(-y\hat y)` (Eq. 6) and
:math:`z^* = U^T Y\hat y = SV^T\theta` (Eq. 4).

Example:
    >>> import numpy as np
    >>> from gstheory.penalties import Ridge
    >>> sol = minimise_primal(np.array([[6.0, 0.0], [0.0, 2.0]]), [1, 1], Ridge(0.01))
    >>> bool(sol.converged)
    True

Paper: Eq. 3-6, Eq. 17 (Sec. 3.1-3.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize, root

from . import validation as check
from .contexts import FLOAT
from .penalties import Penalty, Ridge, as_penalty, finite_result
from .spectrum import Spectrum, from_features

#: The logistic sigmoid (``scipy.special.expit``; no overflow for any finite input).
sigmoid = FLOAT.expit
#: :math:`\log(1 + e^x)` without overflow (``numpy.logaddexp(0, x)``).
softplus = FLOAT.softplus


@dataclass(frozen=True, eq=False)
class PrimalSolution:
    r"""The exact primal optimum.

    Attributes:
        theta: ``(m,)`` parameters; yhat: ``(n,)`` outputs :math:`\Phi_0\theta`;
        z: ``(n,)`` responses :math:`U^TY\hat y` (Eq. 4); alpha: ``(n,)``
        :math:`\sigma(-y\hat y)`; objective: loss value; grad_norm: relative gradient
        norm at the returned point; iterations; converged; spectrum: the SVD used.

    Paper: Eq. 3-6, Eq. 17 (the optimum, its responses and dual variables).
    """

    theta: np.ndarray
    yhat: np.ndarray
    z: np.ndarray
    alpha: np.ndarray
    objective: float
    grad_norm: float
    iterations: int
    converged: bool
    spectrum: Spectrum

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (without the spectrum)."""
        return {"theta": self.theta.tolist(), "yhat": self.yhat.tolist(),
                "z": self.z.tolist(), "alpha": self.alpha.tolist(),
                "objective": self.objective, "grad_norm": self.grad_norm,
                "iterations": self.iterations, "converged": self.converged}


def _inputs(Phi0: Any, y: Any, penalty: Any) -> tuple[np.ndarray, np.ndarray, Penalty]:
    P = check.finite_array("Phi0", Phi0, ndim=2)
    if P.size == 0:
        raise check.fail("Phi0", P, f"must be a non-empty n x m matrix, got shape {P.shape}")
    if not float(np.max(np.abs(P))) <= 1e100:
        raise check.fail("Phi0", P, "entries must be <= 1e100 in magnitude (the squared "
                                    "strengths would overflow float64)")
    yv = check.labels("y", y, n=P.shape[0])
    return P, yv, as_penalty(penalty)


def primal_objective(theta: Any, Phi0: Any, y: Any, penalty: Penalty) -> float:
    r"""Eq. 5 (ridge) or Eq. 17 (SD) at ``theta``.

    Arguments:
        theta: ``(m,)``; Phi0: ``(n, m)``; y: ``(n,)`` labels in {-1, +1}; penalty.

    Returns:
        The loss (float).

    Raises:
        ValueError: invalid input or shapes that disagree.

    Paper: Eq. 5, Eq. 17.
    """
    P, yv, pen = _inputs(Phi0, y, penalty)
    th = check.finite_array("theta", theta, ndim=1, shape=(P.shape[1],))

    def value() -> float:
        m = yv * (P @ th)
        return float(np.sum(softplus(-m))) + pen.value(th, m)
    return float(finite_result("theta", th, value))


def primal_gradient(theta: Any, Phi0: Any, y: Any, penalty: Penalty) -> np.ndarray:
    r"""Gradient of :func:`primal_objective`:
    :math:`-\Phi_0^TY\sigma(-m) + \nabla\text{penalty}` with :math:`m = Y\Phi_0\theta`.

    Raises:
        ValueError: invalid input.

    Paper: Eq. 5, Eq. 17.
    """
    P, yv, pen = _inputs(Phi0, y, penalty)
    th = check.finite_array("theta", theta, ndim=1, shape=(P.shape[1],))
    return finite_result("theta", th, lambda: _gradient(th, P, yv, pen))


def _gradient(th: np.ndarray, P: np.ndarray, yv: np.ndarray, pen: Penalty) -> np.ndarray:
    m = yv * (P @ th)
    g_theta, g_m = pen.gradient(th, m)
    gm = -sigmoid(-m) + (0.0 if g_m is None else g_m)
    g = P.T @ (yv * gm)
    return g if g_theta is None else g + g_theta


def theta_to_z(theta: Any, spectrum: Spectrum) -> np.ndarray:
    r""":math:`z = SV^T\theta` (Eq. 4); the spectrum must carry ``V``.

    Raises:
        ValueError: no ``V`` or wrong shape.

    Paper: Eq. 4.
    """
    if not isinstance(spectrum, Spectrum):
        raise check.fail("spectrum", type(spectrum).__name__, "must be a Spectrum")
    th = check.finite_array("theta", theta)
    return finite_result("theta", th, lambda: spectrum.z_from_theta(th))


def minimise_primal(Phi0: Any, y: Any, penalty: Penalty, *, tol: float = 1e-13,
                    max_iter: int = 200) -> PrimalSolution:
    r"""Exact minimiser of Eq. 5 / Eq. 17 on :math:`\hat y = \Phi_0\theta` (ridge:
    ``scipy.optimize.minimize(method="trust-exact")`` with the exact Hessian, an optimiser
    independent of the dual Newton engine; SD: safeguarded scalar Newton per margin; see the
    module docstring for the reduction to ``n`` unknowns).

    Arguments:
        Phi0: ``(n, m)`` feature matrix with full row rank (``m >= n``).
        y: ``(n,)`` labels in {-1, +1}.
        penalty: :class:`~gstheory.penalties.Ridge` or
            :class:`~gstheory.penalties.SpectralDecoupling`.
        tol: relative gradient tolerance (gradient norm over the norm of its largest
            term); max_iter: Newton iterations.

    Returns:
        :class:`PrimalSolution` (theta, yhat, z, alpha = sigmoid(-y yhat), ...).

    Raises:
        ValueError: invalid input, rank-deficient ``Phi0``.

    Paper: Eq. 5, Eq. 17; Sec. 3.4 (minimum-norm SD critical point).
    """
    P, yv, pen = _inputs(Phi0, y, penalty)
    tol = check.positive("tol", tol)
    max_iter = check.integer("max_iter", max_iter, minimum=1, maximum=100_000)
    sp = from_features(P, yv)
    U, s, V = sp.U, sp.s, sp.V
    n = sp.n
    if isinstance(pen, Ridge):
        lam = pen.lam

        def fg(w: np.ndarray) -> tuple[float, np.ndarray]:
            m = U @ (s * w)
            f = float(np.sum(softplus(-m))) + 0.5 * lam * float(w @ w)
            return f, -s * (U.T @ sigmoid(-m)) + lam * w

        def hess(w: np.ndarray) -> np.ndarray:
            sg = sigmoid(-(U @ (s * w)))
            return (s[:, None] * (U.T * (sg * (1 - sg))) @ U) * s[None, :] + lam * np.eye(n)

        # independent library routines, not the dual Newton engine: a trust region with
        # exact subproblem solves on the strictly convex problem in w, run until the
        # objective is flat to rounding, then MINPACK's hybrj on the gradient (which does
        # not need the flat objective) to the gradient's rounding floor
        with np.errstate(over="ignore", invalid="ignore"):
            res = minimize(fg, np.zeros(n), jac=True, hess=hess, method="trust-exact",
                           options={"gtol": 0.0, "maxiter": max_iter})
            pol = root(lambda v: fg(v)[1], res.x, jac=hess, method="hybr",
                       options={"xtol": 1e-15, "maxfev": max_iter})
        w = pol.x if np.all(np.isfinite(pol.x)) else res.x
        it = int(res.nit) + int(pol.nfev)
        m = U @ (s * w)
        g1 = -s * (U.T @ sigmoid(-m))
        scale = max(float(np.linalg.norm(g1)), lam * float(np.linalg.norm(w)), 1e-300)
        grad_rel = float(np.linalg.norm(g1 + lam * w) / scale)
        theta = V @ w
        margins = m
    else:
        lam_e, gamma = pen.per_example(n)
        # scalar Newton on h(m) = -sigmoid(-m) + lam_e (m - gamma) (strictly increasing);
        # the root lies in [gamma, gamma + 1/lam_e]: safeguarded by bisection.
        lo, hi = gamma.copy(), gamma + 1.0 / lam_e
        m = 0.5 * (lo + hi)
        it = 0
        for it in range(1, max_iter + 1):  # noqa: B007 (read after the loop)
            sg = sigmoid(-m)
            h = -sg + lam_e * (m - gamma)
            lo = np.where(h < 0, m, lo)
            hi = np.where(h > 0, m, hi)
            step = h / (sg * (1 - sg) + lam_e)
            mn = m - step
            bad = (mn <= lo) | (mn >= hi)
            mn = np.where(bad, 0.5 * (lo + hi), mn)
            done = np.abs(mn - m) <= 2 * np.finfo(float).eps * np.maximum(1.0, np.abs(m))
            m = mn
            if np.all(done):
                break
        sg = sigmoid(-m)
        h = -sg + lam_e * (m - gamma)
        grad_rel = float(np.max(np.abs(h) / np.maximum(sg + lam_e * np.abs(m - gamma),
                                                        1e-300)))
        margins = m
        theta = V @ ((U.T @ m) / s)
    yhat = yv * margins                         # = Phi0 @ theta up to rounding
    alpha = sigmoid(-margins)
    obj = float(np.sum(softplus(-margins))) + pen.value(theta, margins)
    conv = bool(grad_rel <= max(tol, 1e3 * np.finfo(float).eps))
    return PrimalSolution(theta, yhat, U.T @ margins, alpha, obj, grad_rel, it, conv, sp)
