r"""The starvation matrix :math:`\partial z^*_j / \partial s_i^2` (Definition 2).

Implicit differentiation of the fixed-point equation
:math:`F(\alpha, s^2) = \ell(\alpha) - c - M(s^2)\alpha = 0` (see :mod:`gstheory.dual`):

.. math::
    \frac{\partial\alpha^*}{\partial s_i^2} = -\Big(\frac{\partial F}{\partial\alpha}\Big)^{-1}
    \frac{\partial F}{\partial s_i^2}
    = -(D + M)^{-1}\,\frac{u_i (u_i^T\alpha^*)}{\lambda},
    \qquad D = \mathrm{diag}(-\ell'(\alpha^*)),

(ridge; ``u_i`` is column ``i`` of ``U``; :math:`\partial M/\partial s_i^2 = u_i u_i^T/
\lambda` for both the exact and the Taylor forms), then the product rule on Eq. 11,
:math:`z^*_j = \frac1\lambda s_j^2 (U^T\alpha^*)_j`:

.. math::
    \frac{\partial z^*_j}{\partial s_i^2} = \frac1\lambda\Big[\delta_{ij}(U^T\alpha^*)_j
    + s_j^2\Big(U^T\frac{\partial\alpha^*}{\partial s_i^2}\Big)_j\Big].

The solve uses :math:`(D + M)^{-1} = G'(I + MG')^{-1}` with :math:`G' = \mathrm{diag}(
g'(x))` (the solver's logit/log coordinates), which stays well conditioned when
:math:`\alpha^*` is tiny. For spectral decoupling :math:`M` and :math:`c` do not depend on
``s2`` and :math:`z^* = U^T(\gamma + \alpha^*/\lambda)`, so the whole matrix is zero.

Entry ``[i, j]`` negative means feature ``i`` starves feature ``j`` (Definition 2).

Example:
    >>> from gstheory.spectrum import perturbed_identity
    >>> from gstheory.penalties import Ridge
    >>> S = starvation_matrix(perturbed_identity([36.0, 4.0], 0.5), Ridge(0.01))
    >>> bool(S[0, 1] < 0)       # feature 1 starves feature 2 (Theorem 2)
    True

Paper: Definition 2, Eq. 11, Theorem 2 (Sec. 3.3).
"""

from __future__ import annotations

from typing import Any

import mpmath as mp
import numpy as np

from . import validation as check
from .dual import check_dynamics, check_spectrum, dual_system, from_coords, log_term
from .fixed_points import (
    ConvergenceError,
    FixedPoint,
    _batch_system,
    check_dps,
    mp_newton,
    mp_responses,
    mp_system,
    newton_batch,
    solve_fixed_point,
    solve_fixed_point_mp,
)
from .penalties import Penalty, Ridge, as_penalty
from .spectrum import Spectrum


def _starvation_batch(alpha: np.ndarray, U: np.ndarray, s2: np.ndarray, lam: np.ndarray,
                      M: np.ndarray, dynamics: str) -> np.ndarray:
    """Ridge starvation matrices for a batch at known fixed points (shapes as in
    :func:`starvation_matrices`; ``lam`` is ``(B,)``)."""
    n = alpha.shape[1]
    x = -log_term(alpha, dynamics)
    _, gp = from_coords(x, dynamics)
    Uta = np.einsum("bji,bj->bi", U, alpha)                      # (B, n): u_i . alpha
    R = U * (Uta / lam[:, None])[:, None, :]                     # columns u_i (u_i.a)/lam
    K = M * gp[:, None, :]
    idx = np.arange(n)
    K[:, idx, idx] += 1.0                                        # I + M G'
    dadS = -gp[:, :, None] * np.linalg.solve(K, R)               # column i: d a / d s2_i
    UtdA = np.einsum("bki,bkl->bil", U, dadS)                    # (U^T dadS)[j, i]
    S = np.swapaxes(UtdA, 1, 2) * s2[:, None, :]                 # [i, j]: s2_j (U^T da_i)_j
    S[:, idx, idx] += Uta
    return S / lam[:, None, None]


def _fixed_point_or_raise(spectrum: Spectrum, penalty: Penalty, dynamics: str,
                          fixed_point: FixedPoint | None) -> FixedPoint:
    if fixed_point is None:
        fixed_point = solve_fixed_point(spectrum, penalty, dynamics)
    elif not isinstance(fixed_point, FixedPoint):
        raise check.fail("fixed_point", type(fixed_point).__name__,
                         "must be a FixedPoint from solve_fixed_point")
    elif fixed_point.alpha.shape != (spectrum.n,) or fixed_point.dynamics != dynamics:
        raise check.fail("fixed_point", fixed_point.alpha,
                         f"must be a {dynamics} fixed point with {spectrum.n} entries")
    if not fixed_point.converged:
        raise ConvergenceError(
            f"fixed point did not converge (relative residual {fixed_point.residual:.3g}) "
            f"for s2={spectrum.s2.tolist()} with this lam/penalty: the parameters are at "
            "float64's limits: use starvation_matrix_mp")
    return fixed_point


def starvation_matrix(spectrum: Spectrum, penalty: Penalty, dynamics: str = "exact", *,
                      fixed_point: FixedPoint | None = None) -> np.ndarray:
    r"""The starvation matrix ``S[i, j]`` :math:`= \partial z^*_j / \partial s_i^2`.

    Arguments:
        spectrum: :class:`~gstheory.spectrum.Spectrum`.
        penalty: :class:`~gstheory.penalties.Ridge` or
            :class:`~gstheory.penalties.SpectralDecoupling`.
        dynamics: ``"exact"`` (Eq. 9) or ``"taylor"`` (Eq. 10).
        fixed_point: optional :class:`~gstheory.fixed_points.FixedPoint` already solved
            for the same problem (saves the Newton solve).

    Returns:
        ``(n, n)`` array; ``S[i, j] < 0`` means feature ``i`` starves feature ``j``.

    Raises:
        ValueError: invalid input; ConvergenceError (a ValueError) when the fixed point
            cannot be resolved in float64.

    Paper: Definition 2, Eq. 11, Theorem 2.
    """
    sp = check_spectrum(spectrum)
    pen = as_penalty(penalty)
    dyn = check_dynamics(dynamics)
    fp = _fixed_point_or_raise(sp, pen, dyn, fixed_point)
    if not isinstance(pen, Ridge):
        return np.zeros((sp.n, sp.n))
    M = dual_system(sp, pen, dyn).M
    return _starvation_batch(fp.alpha[None], sp.U[None], sp.s2[None],
                             np.array([pen.lam]), M[None], dyn)[0]


def starvation_matrices(U: Any, s2: Any, lam: Any, penalty: str = "ridge",
                        dynamics: str = "exact", gamma: Any = None) -> np.ndarray:
    r"""Batched starvation matrices (arguments as in
    :func:`~gstheory.fixed_points.solve_fixed_points`).

    Returns:
        ``(B, n, n)`` array, ``[b, i, j]`` :math:`= \partial z^*_j/\partial s_i^2`.

    Raises:
        ValueError: invalid input; ConvergenceError if some instance did not converge.

    Paper: Definition 2, Theorem 2.
    """
    pen = check.choice("penalty", penalty, ("ridge", "sd"))
    Um, s2a, lam_b, M, c = _batch_system(U, s2, lam, pen, dynamics, gamma)
    B, n = s2a.shape
    if pen == "sd":
        return np.zeros((B, n, n))
    x, res, _, conv = newton_batch(M, c, dynamics)
    if not np.all(conv):
        k = int(np.flatnonzero(~conv)[0])
        raise ConvergenceError(f"instance {k} (s2={s2a[k].tolist()}, lam={lam_b[k, 0]:g}): "
                               f"fixed point did not converge (relative residual "
                               f"{res[k]:.3g}); use starvation_matrix_mp")
    a, _ = from_coords(x, dynamics)
    return _starvation_batch(a, Um, s2a, lam_b[:, 0], M, dynamics)


def starvation_matrix_mp(spectrum: Spectrum, penalty: Penalty, dynamics: str = "exact",
                         dps: int = 50) -> list[list[Any]]:
    r"""The starvation matrix by implicit differentiation in mpmath at ``dps`` digits.

    Returns:
        ``n x n`` nested list of ``mpmath.mpf``, ``[i][j]`` :math:`= \partial z^*_j /
        \partial s_i^2`.

    Raises:
        ValueError: invalid input or no convergence.

    Paper: Definition 2, Eq. 11.
    """
    dps = check_dps(dps)
    sp = check_spectrum(spectrum)
    pen = as_penalty(penalty)
    dyn = check_dynamics(dynamics)
    n = sp.n
    fp = solve_fixed_point_mp(sp, pen, dyn, dps)
    if not fp.converged:
        raise ConvergenceError(f"dps={dps}: the mpmath fixed point did not converge")
    with mp.workdps(dps):
        if not isinstance(pen, Ridge):
            return [[mp.mpf(0)] * n for _ in range(n)]
        U = [[mp.mpf(v) for v in row] for row in sp.U.tolist()]
        s2 = [mp.mpf(v) for v in sp.s2]
        lam = mp.mpf(pen.lam)
        a = list(fp.alpha)
        M, _ = mp_system(U, s2, pen, dyn)
        d = [1 / (v * (1 - v)) if dyn == "exact" else 1 / v for v in a]
        DM = M + mp.diag(d)
        Uta = [mp.fsum(U[k][i] * a[k] for k in range(n)) for i in range(n)]
        out = [[mp.mpf(0)] * n for _ in range(n)]
        for i in range(n):
            r = mp.matrix([U[k][i] * Uta[i] / lam for k in range(n)])
            da = -mp.lu_solve(DM, r)
            for j in range(n):
                v = s2[j] * mp.fsum(U[k][j] * da[k] for k in range(n))
                if i == j:
                    v += Uta[j]
                out[i][j] = v / lam
        return out


def starvation_matrix_fd_mp(spectrum: Spectrum, penalty: Penalty, dynamics: str = "exact",
                            dps: int = 50, rel_step: Any = None) -> list[list[Any]]:
    r"""Reference starvation matrix by central finite differences computed in mpmath.

    Each :math:`z^*(s^2 \pm h e_i)` is solved by Newton at ``dps`` digits with
    :math:`h = \text{rel\_step}\cdot s_i^2` (default :math:`10^{-\lfloor dps/3\rfloor}`):
    truncation :math:`O(h^2)` and rounding :math:`O(10^{-dps}/h)` are both about
    :math:`10^{-2\,dps/3}`, far below float64's resolution. Independent of the implicit
    differentiation it checks.

    Returns:
        ``n x n`` nested list of ``mpmath.mpf``.

    Raises:
        ValueError: invalid input or no convergence.

    Paper: Definition 2 (the derivative it defines).
    """
    dps = check_dps(dps)
    sp = check_spectrum(spectrum)
    pen = as_penalty(penalty)
    dyn = check_dynamics(dynamics)
    n = sp.n
    base = solve_fixed_point(sp, pen, dyn)
    if not base.converged:
        raise ConvergenceError("float64 starting point did not converge")
    x0 = list(-log_term(base.alpha, dyn))
    with mp.workdps(dps):
        if rel_step is None:
            h_rel = mp.mpf(10) ** (-(dps // 3))
        else:
            h_rel = mp.mpf(check.positive("rel_step", rel_step))
            if not h_rel <= mp.mpf("1e-3"):
                raise check.fail("rel_step", rel_step, "must lie in (0, 1e-3]")
        U = [[mp.mpf(v) for v in row] for row in sp.U.tolist()]
        s2 = [mp.mpf(v) for v in sp.s2]
        out = [[mp.mpf(0)] * n for _ in range(n)]
        for i in range(n):
            h = h_rel * s2[i]
            zs = []
            for sign in (1, -1):
                s2p = list(s2)
                s2p[i] = s2[i] + sign * h
                M, c = mp_system(U, s2p, pen, dyn)
                x, _, _, conv = mp_newton(M, c, dyn, x0)
                if not conv:
                    raise ConvergenceError(f"dps={dps}: mpmath Newton did not converge at "
                                           f"s2[{i}] +- rel_step * s2[{i}]")
                a = [1 / (1 + mp.exp(-v)) if dyn == "exact" else mp.exp(v) for v in x]
                zs.append(mp_responses(a, U, s2p, pen))
            for j in range(n):
                out[i][j] = (zs[0][j] - zs[1][j]) / (2 * h)
        return out
