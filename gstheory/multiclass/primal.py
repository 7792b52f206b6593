r"""The primal K-class problem and the map from the dual optimum to the parameters.

Paper: Eq. 5 and Eq. 7-8 (Sec. 3.2), K-class form: the objective is

.. math:: L(\theta) = \sum_i\big[\mathrm{lse}(\Phi_i\theta) - (\Phi_i\theta)_{y_i}\big]
   + \frac\lambda2\|\theta\|^2

(sum over examples, the scaling of Eq. 5; scikit-learn's ``LogisticRegression`` minimises
:math:`C\sum_i\ell_i + \frac12\|W\|^2`, the same problem with :math:`C = 1/\lambda`).
:func:`minimise_primal` minimises it by damped Newton in :math:`\theta` (strictly convex:
Hessian :math:`\sum_i\Phi_i^TJ_i\Phi_i + \lambda I`), independently of the dual solver;
:func:`theta_from_alpha` is the dual-to-primal map
:math:`\theta^* = \frac1\lambda\sum_i\Phi_i^T\alpha_i`.

Example:
    >>> import numpy as np
    >>> X = np.eye(3)
    >>> sol = minimise_primal(shared_jacobians(X, 3), [0, 1, 2], 0.1)
    >>> bool(sol.converged)
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import validation as check
from .fixed_points import dual_alpha, log_softmax
from .spectrum import class_labels, one_hot


@dataclass(frozen=True, eq=False)
class MulticlassPrimalSolution:
    r"""The primal optimum: ``theta`` ``(m,)``, ``yhat`` ``(n, K)``, ``p`` and ``alpha``
    (:math:`e_y - p`) ``(n, K)``, ``objective``, ``grad_norm`` (relative),
    ``iterations``, ``converged``.

    Paper: Eq. 5, Eq. 6; beyond the paper: the K-class form.
    """

    theta: np.ndarray
    yhat: np.ndarray
    p: np.ndarray
    alpha: np.ndarray
    objective: float
    grad_norm: float
    iterations: int
    converged: bool


def shared_jacobians(X: Any, K: int) -> np.ndarray:
    r"""``(n, K, d*K)`` Jacobians :math:`\Phi_i = I_K\otimes x_i^T` of
    :math:`\hat y_i = W^Tx_i`, with :math:`\theta = \mathrm{vec}(W)` row-major
    (``W = theta.reshape(d, K)``).

    Raises:
        ValueError: ``X`` not a finite 2-D array, ``K < 2``.

    Paper: Eq. 2-3 (:math:`\Phi` of a linear model); beyond the paper: the K-class form.
    """
    Xm = check.finite_array("X", X, ndim=2)
    K = check.integer("K", K, minimum=2)
    n, d = Xm.shape
    return np.einsum("ik,cl->ickl", Xm, np.eye(K)).reshape(n, K, d * K)


def _inputs(Phi: Any, y: Any, lam: Any) -> tuple[np.ndarray, np.ndarray, int, float]:
    P = check.finite_array("Phi", Phi, ndim=3)
    lab, K = class_labels("y", y, P.shape[1], n=P.shape[0])
    if P.shape[1] != K:
        raise check.fail("Phi", P, f"must have K={K} rows per example")
    return P, lab, K, check.positive("lam", lam)


def primal_objective(theta: Any, Phi: Any, y: Any, lam: Any) -> float:
    r""":math:`L(\theta)` (module docstring).

    Raises:
        ValueError: shapes, NaN/inf, labels, ``lam <= 0``.

    Paper: Eq. 5 (K-class form).
    """
    P, lab, _K, lv = _inputs(Phi, y, lam)
    th = check.finite_array("theta", theta, ndim=1, shape=(P.shape[2],))
    lp = log_softmax(P @ th)
    return float(-np.sum(lp[np.arange(lab.shape[0]), lab]) + 0.5 * lv * th @ th)


def theta_from_alpha(Phi: Any, alpha: Any, lam: Any) -> np.ndarray:
    r""":math:`\theta^* = \frac1\lambda\sum_i\Phi_i^T\alpha_i`.

    Arguments:
        Phi: ``(n, K, m)``; alpha: ``(n, K)``; lam > 0.

    Paper: Eq. 7-8 (the inner minimiser, K-class form).
    """
    P = check.finite_array("Phi", Phi, ndim=3)
    a = check.finite_array("alpha", alpha, ndim=2, shape=P.shape[:2])
    return np.einsum("ikm,ik->m", P, a) / check.positive("lam", lam)


def minimise_primal(Phi: Any, y: Any, lam: Any, *, tol: float = 1e-12,
                    max_iter: int = 200) -> MulticlassPrimalSolution:
    r"""Exact minimiser of the K-class ridge cross-entropy by damped Newton in theta.

    Arguments:
        Phi: ``(n, K, m)`` Jacobians; y: ``(n,)`` labels ``0..K-1``; lam > 0.
        tol: relative gradient norm to stop at; max_iter: Newton iterations.

    Returns:
        :class:`MulticlassPrimalSolution`.

    Raises:
        ValueError: invalid input.

    Paper: Eq. 5 (K-class form).
    """
    P, lab, K, lv = _inputs(Phi, y, lam)
    tol = check.positive("tol", tol)
    max_iter = check.integer("max_iter", max_iter, minimum=1, maximum=10_000)
    n, _, m = P.shape
    E = one_hot(lab, K)
    th = np.zeros(m)

    def fgh(t: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, float]:
        lp = log_softmax(P @ t)
        p = np.exp(lp)
        a = dual_alpha(E.reshape(-1), p.reshape(-1), K).reshape(n, K)
        f = float(-np.sum(lp * E) + 0.5 * lv * t @ t)
        g_loss = -np.einsum("ikm,ik->m", P, a)
        g = g_loss + lv * t
        scale = max(float(np.linalg.norm(g_loss)), lv * float(np.linalg.norm(t)), 1e-300)
        return f, g, p, a, float(np.linalg.norm(g)) / scale

    f, g, p, a, rel = fgh(th)
    it = 0
    while rel > tol and it < max_iter:
        J = np.einsum("ik,kl->ikl", p, np.eye(K)) - p[:, :, None] * p[:, None, :]
        H = np.einsum("ikm,ikl,iln->mn", P, J, P) + lv * np.eye(m)
        step = np.linalg.solve(H, -g)
        t = 1.0
        for _ in range(60):
            f_t, g_t, p_t, a_t, rel_t = fgh(th + t * step)
            if f_t <= f + 1e-4 * t * (g @ step) or rel_t <= 0.5 * rel:
                break
            t *= 0.5
        if np.array_equal(th + t * step, th):
            break
        th = th + t * step
        f, g, p, a, rel = f_t, g_t, p_t, a_t, rel_t
        it += 1
    conv = bool(rel <= max(tol, 1e3 * np.finfo(float).eps))
    return MulticlassPrimalSolution(th, P @ th, p, a, f, rel, it, conv)
