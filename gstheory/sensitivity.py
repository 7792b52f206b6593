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
from .contexts import FLOAT, MP, Context
from .dual import check_spectrum, dual_system
from .dynamics import Dynamics, as_dynamics
from .penalties import Penalty, Ridge, as_penalty
from .solvers import (
    ConvergenceError,
    FixedPoint,
    batch_system,
    check_dps,
    mp_responses,
    mp_solve,
    mp_system,
    newton,
    responses_batch,
    solve_fixed_point,
    solve_fixed_point_mp,
)
from .spectrum import Spectrum

#: ``z_j*`` counts as zero (its sign, hence ``d|z_j*|/d s_i^2``, undefined) when
#: ``|z_j*|`` is within this factor of its first-order error bound (see
#: :func:`starvation_magnitude`).
ZERO_SAFETY = 10.0


def _starvation_batch(alpha: Any, U: Any, s2: Any, lam: Any, M: Any, dynamics: Dynamics,
                      ctx: Context = FLOAT) -> Any:
    """Ridge starvation matrices for a batch at known fixed points (shapes as in
    :func:`starvation_matrices`; ``lam`` is ``(B,)``), over a number context."""
    n = alpha.shape[1]
    _, gp = dynamics.from_coords(dynamics.to_coords(alpha, ctx), ctx)
    Ut = np.swapaxes(U, 1, 2)
    Uta = np.matmul(Ut, alpha[..., None])[..., 0]                # (B, n): u_i . alpha
    R = U * (Uta / lam[:, None])[:, None, :]                     # columns u_i (u_i.a)/lam
    K = M * gp[:, None, :]
    idx = np.arange(n)
    K[:, idx, idx] += 1.0                                        # I + M G'
    dadS = -gp[:, :, None] * ctx.solve_many(K, R)                # column i: d a / d s2_i
    UtdA = np.matmul(Ut, dadS)                                   # (U^T dadS)[j, i]
    S = np.swapaxes(UtdA, 1, 2) * s2[:, None, :]                 # [i, j]: s2_j (U^T da_i)_j
    S[:, idx, idx] += Uta
    return S / lam[:, None, None]


def _z_error(alpha: Any, U: Any, s2: Any, lam: Any, M: Any, c: Any, dynamics: Dynamics,
             ridge: bool, ctx: Context = FLOAT) -> Any:
    r"""First-order error bound of the computed :math:`z^*` (``(B, n)``).

    The fixed point's error is estimated by one Newton step at it,
    :math:`\delta x = J^{-1}F` (:math:`J = -I - M G'`), so :math:`\delta\alpha =
    G'\delta x`; the rounding of the sum in :math:`z_j` adds :math:`n\epsilon` times the
    sum of the absolute terms. Hence, for ridge,
    :math:`e_j = \frac{s_j^2}{\lambda}\sum_k |u_{kj}|(|\delta\alpha_k| +
    n\epsilon\alpha_k)`, and for SD :math:`e_j = \sum_k |u_{kj}|(|\delta\alpha_k|/
    \lambda_k + n\epsilon|\gamma_k + \alpha_k/\lambda_k|)`.
    """
    n = alpha.shape[1]
    x = dynamics.to_coords(alpha, ctx)
    a, gp = dynamics.from_coords(x, ctx)
    F = -x - c - np.matmul(M, a[..., None])[..., 0]
    J = -M * gp[:, None, :] - np.eye(n)
    dalpha = np.abs(gp * ctx.solve(J, F))
    absUt = np.swapaxes(np.abs(U), 1, 2)
    round_ = n * ctx.eps
    if ridge:
        terms = dalpha + round_ * alpha
        return s2 * np.matmul(absUt, terms[..., None])[..., 0] / lam
    terms = dalpha / lam + round_ * np.abs(c + alpha / lam)
    return np.matmul(absUt, terms[..., None])[..., 0]


def _magnitude(S: np.ndarray, z: np.ndarray, zerr: np.ndarray) -> np.ma.MaskedArray:
    """``sign(z_j) S[..., i, j]``, masked where ``|z_j| <= ZERO_SAFETY * zerr_j``."""
    zero = np.abs(z) <= ZERO_SAFETY * zerr                        # (B, n)
    mask = np.broadcast_to(zero[:, None, :], S.shape)
    data = np.where(mask, 0.0, np.sign(z)[:, None, :] * S)
    return np.ma.masked_array(data, mask=mask.copy())


def _fixed_point_or_raise(spectrum: Spectrum, penalty: Penalty, dynamics: Dynamics,
                          fixed_point: FixedPoint | None) -> FixedPoint:
    if fixed_point is None:
        fixed_point = solve_fixed_point(spectrum, penalty, dynamics)
    elif not isinstance(fixed_point, FixedPoint):
        raise check.fail("fixed_point", type(fixed_point).__name__,
                         "must be a FixedPoint from solve_fixed_point")
    elif (fixed_point.alpha.shape != (spectrum.n,)
          or as_dynamics(fixed_point.dynamics) is not as_dynamics(dynamics)):
        raise check.fail("fixed_point", fixed_point.alpha,
                         f"must be a {dynamics} fixed point with {spectrum.n} entries")
    if not fixed_point.converged:
        raise ConvergenceError(
            f"fixed point did not converge (relative residual {fixed_point.residual:.3g}) "
            f"for s2={spectrum.s2.tolist()} with this lam/penalty: the parameters are at "
            "float64's limits: use starvation_matrix_mp")
    return fixed_point


def _single(spectrum: Spectrum, penalty: Penalty, dynamics: Dynamics | str,
            fixed_point: FixedPoint | None) -> tuple[Any, ...]:
    sp = check_spectrum(spectrum)
    pen = as_penalty(penalty)
    dyn = as_dynamics(dynamics)
    fp = _fixed_point_or_raise(sp, pen, dyn, fixed_point)
    return sp, pen, dyn, fp, dual_system(sp, pen, dyn)


def starvation_matrix(spectrum: Spectrum, penalty: Penalty,
                      dynamics: Dynamics | str = "exact", *,
                      fixed_point: FixedPoint | None = None) -> np.ndarray:
    r"""The starvation matrix ``S[i, j]`` :math:`= \partial z^*_j / \partial s_i^2`.

    Arguments:
        spectrum: :class:`~gstheory.spectrum.Spectrum`.
        penalty: :class:`~gstheory.penalties.Ridge` or
            :class:`~gstheory.penalties.SpectralDecoupling`.
        dynamics: a :class:`~gstheory.dynamics.Dynamics` or its name: ``"exact"``
            (Eq. 9) or ``"taylor"`` (Eq. 10).
        fixed_point: optional :class:`~gstheory.solvers.results.FixedPoint` already
            solved for the same problem (saves the Newton solve).

    Returns:
        ``(n, n)`` array; ``S[i, j] < 0`` means feature ``i`` starves feature ``j``. Its
        sign depends on the SVD's sign convention for column ``j`` (see
        :func:`starvation_magnitude` for the convention-free form).

    Raises:
        ValueError: invalid input; ConvergenceError (a ValueError) when the fixed point
            cannot be resolved in float64.

    Paper: Definition 2, Eq. 11, Theorem 2.
    """
    sp, pen, dyn, fp, sysm = _single(spectrum, penalty, dynamics, fixed_point)
    if not isinstance(pen, Ridge):
        return np.zeros((sp.n, sp.n))
    return _starvation_batch(fp.alpha[None], sp.U[None], sp.s2[None],
                             np.array([pen.lam]), sysm.M[None], dyn)[0]


def starvation_magnitude(spectrum: Spectrum, penalty: Penalty,
                         dynamics: Dynamics | str = "exact", *,
                         fixed_point: FixedPoint | None = None) -> np.ma.MaskedArray:
    r"""The starvation in magnitude, :math:`\partial|z^*_j|/\partial s_i^2 =
    \operatorname{sign}(z^*_j)\,\partial z^*_j/\partial s_i^2`.

    The SVD fixes each pair :math:`(u_j, v_j)` only up to a joint sign, and :math:`z_j`
    flips with it, so the signed :func:`starvation_matrix` depends on a convention the data
    do not fix; this form does not. It is undefined where :math:`z^*_j = 0`: an entry is
    masked when :math:`|z^*_j|` is within :data:`ZERO_SAFETY` times its first-order error
    bound (the fixed point's error estimated by one Newton step, :math:`\delta\alpha =
    G'J^{-1}F`, plus the rounding of the sum that forms :math:`z_j`), i.e. when the
    computed :math:`z^*_j` is not resolved from 0.

    Arguments:
        spectrum, penalty, dynamics, fixed_point: as in :func:`starvation_matrix`.

    Returns:
        ``(n, n)`` ``numpy.ma.MaskedArray``, ``[i, j]`` :math:`=\partial|z^*_j|/\partial
        s_i^2`, column ``j`` masked where :math:`z^*_j = 0` (``.tolist()`` gives ``None``
        there). Negative: feature ``i`` shrinks feature ``j`` in magnitude.

    Raises:
        ValueError: invalid input; ConvergenceError as in :func:`starvation_matrix`.

    Paper: Definition 2 (read in magnitude), Theorem 2.
    """
    sp, pen, dyn, fp, sysm = _single(spectrum, penalty, dynamics, fixed_point)
    S = starvation_matrix(sp, pen, dyn, fixed_point=fp)
    ridge = isinstance(pen, Ridge)
    lam = np.full(sp.n, pen.lam) if ridge else pen.per_example(sp.n)[0]
    zerr = _z_error(fp.alpha[None], sp.U[None], sp.s2[None], lam[None], sysm.M[None],
                    sysm.c[None], dyn, ridge)
    return _magnitude(S[None], fp.z[None], zerr)[0]


def _batch_solution(U: Any, s2: Any, lam: Any, penalty: Any, dynamics: Dynamics | str,
                    gamma: Any) -> tuple[Any, np.ndarray]:
    bs = batch_system(U, s2, lam, penalty, dynamics, gamma)
    r = newton(bs.M, bs.c, bs.dynamics)
    if not np.all(r.converged):
        k = int(np.flatnonzero(~r.converged)[0])
        raise ConvergenceError(f"instance {k} (s2={bs.s2[k].tolist()}, "
                               f"lam={bs.lam[k, 0]:g}): fixed point did not converge "
                               f"(relative residual {r.residual[k]:.3g}); use "
                               "starvation_matrix_mp")
    a, _ = bs.dynamics.from_coords(r.x)
    return bs, a


def starvation_matrices(U: Any, s2: Any, lam: Any = None, penalty: Any = "ridge",
                        dynamics: Dynamics | str = "exact", gamma: Any = None) -> np.ndarray:
    r"""Batched starvation matrices (arguments as in
    :func:`~gstheory.solvers.solve.solve_fixed_points`; ``penalty`` a type, an instance
    or a name).

    Returns:
        ``(B, n, n)`` array, ``[b, i, j]`` :math:`= \partial z^*_j/\partial s_i^2`.

    Raises:
        ValueError: invalid input; ConvergenceError if some instance did not converge.

    Paper: Definition 2, Theorem 2.
    """
    bs, a = _batch_solution(U, s2, lam, penalty, dynamics, gamma)
    B, n = bs.s2.shape
    if not bs.ridge:
        return np.zeros((B, n, n))
    return _starvation_batch(a, bs.U, bs.s2, bs.lam[:, 0], bs.M, bs.dynamics)


def starvation_magnitudes(U: Any, s2: Any, lam: Any = None, penalty: Any = "ridge",
                          dynamics: Dynamics | str = "exact",
                          gamma: Any = None) -> np.ma.MaskedArray:
    r"""Batched :func:`starvation_magnitude` (arguments as in :func:`starvation_matrices`).

    Returns:
        ``(B, n, n)`` masked array, ``[b, i, j]`` :math:`= \partial|z^*_j|/\partial
        s_i^2`, masked where :math:`z^*_j = 0`.

    Raises:
        ValueError: invalid input; ConvergenceError if some instance did not converge.

    Paper: Definition 2 (in magnitude), Theorem 2.
    """
    bs, a = _batch_solution(U, s2, lam, penalty, dynamics, gamma)
    B, n = bs.s2.shape
    S = (_starvation_batch(a, bs.U, bs.s2, bs.lam[:, 0], bs.M, bs.dynamics) if bs.ridge
         else np.zeros((B, n, n)))
    z = responses_batch(a, bs.U, bs.s2, bs.lam, bs.c, bs.ridge)
    zerr = _z_error(a, bs.U, bs.s2, bs.lam, bs.M, bs.c, bs.dynamics, bs.ridge)
    return _magnitude(S, z, zerr)


def _mp_solution(spectrum: Spectrum, penalty: Penalty, dynamics: Dynamics | str,
                 dps: int) -> tuple[Any, ...]:
    dps = check_dps(dps)
    sp = check_spectrum(spectrum)
    pen = as_penalty(penalty)
    dyn = as_dynamics(dynamics)
    fp = solve_fixed_point_mp(sp, pen, dyn, dps)
    if not fp.converged:
        raise ConvergenceError(f"dps={dps}: the mpmath fixed point did not converge")
    return dps, sp, pen, dyn, fp


def _mp_starvation(sp: Spectrum, pen: Penalty, dyn: Dynamics, a: np.ndarray,
                   M: np.ndarray) -> np.ndarray:
    U = MP.asarray(sp.U.tolist())[None]
    s2 = MP.asarray(sp.s2.tolist())[None]
    return _starvation_batch(a, U, s2, MP.asarray([pen.lam]), M, dyn, MP)[0]


def starvation_matrix_mp(spectrum: Spectrum, penalty: Penalty,
                         dynamics: Dynamics | str = "exact", dps: int = 50
                         ) -> list[list[Any]]:
    r"""The starvation matrix by implicit differentiation in mpmath at ``dps`` digits.

    Returns:
        ``n x n`` nested list of ``mpmath.mpf``, ``[i][j]`` :math:`= \partial z^*_j /
        \partial s_i^2`.

    Raises:
        ValueError: invalid input or no convergence.

    Paper: Definition 2, Eq. 11.
    """
    dps, sp, pen, dyn, fp = _mp_solution(spectrum, penalty, dynamics, dps)
    n = sp.n
    with mp.workdps(dps):
        if not isinstance(pen, Ridge):
            return [[mp.mpf(0)] * n for _ in range(n)]
        M, _ = mp_system(sp.U.tolist(), list(sp.s2), pen, dyn)
        S = _mp_starvation(sp, pen, dyn, MP.asarray(list(fp.alpha))[None], M)
        return [[+S[i, j] for j in range(n)] for i in range(n)]


def starvation_magnitude_mp(spectrum: Spectrum, penalty: Penalty,
                            dynamics: Dynamics | str = "exact", dps: int = 50
                            ) -> list[list[Any]]:
    r""":func:`starvation_magnitude` in mpmath at ``dps`` digits.

    Returns:
        ``n x n`` nested list, ``[i][j]`` :math:`=\partial|z^*_j|/\partial s_i^2` as
        ``mpmath.mpf``, ``None`` where :math:`z^*_j = 0` (the same error bound as in
        float64, at the working precision).

    Raises:
        ValueError: invalid input or no convergence.

    Paper: Definition 2 (in magnitude).
    """
    dps, sp, pen, dyn, fp = _mp_solution(spectrum, penalty, dynamics, dps)
    n = sp.n
    with mp.workdps(dps):
        ridge = isinstance(pen, Ridge)
        M, c = mp_system(sp.U.tolist(), list(sp.s2), pen, dyn)
        a = MP.asarray(list(fp.alpha))[None]
        S = (_mp_starvation(sp, pen, dyn, a, M) if ridge
             else MP.asarray(np.zeros((n, n))))
        lam_v = [pen.lam] * n if ridge else pen.per_example(n)[0].tolist()
        zerr = _z_error(a, MP.asarray(sp.U.tolist())[None], MP.asarray(sp.s2.tolist())[None],
                        MP.asarray(lam_v)[None], M, c, dyn, ridge, MP)[0]
        z = fp.z
        return [[None if abs(z[j]) <= ZERO_SAFETY * zerr[j] else +(mp.sign(z[j]) * S[i, j])
                 for j in range(n)] for i in range(n)]


def starvation_matrix_fd_mp(spectrum: Spectrum, penalty: Penalty,
                            dynamics: Dynamics | str = "exact", dps: int = 50,
                            rel_step: Any = None) -> list[list[Any]]:
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
    dyn = as_dynamics(dynamics)
    n = sp.n
    base = solve_fixed_point(sp, pen, dyn)
    if not base.converged:
        raise ConvergenceError("float64 starting point did not converge")
    x0 = dyn.to_coords(base.alpha).tolist()
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
                r = mp_solve(M, c, dyn, MP.asarray(x0)[None])
                if not r.converged[0]:
                    raise ConvergenceError(f"dps={dps}: mpmath Newton did not converge at "
                                           f"s2[{i}] +- rel_step * s2[{i}]")
                a, _ = dyn.from_coords(r.x[0], MP)
                zs.append(mp_responses(list(a), U, s2p, pen))
            for j in range(n):
                out[i][j] = (zs[0][j] - zs[1][j]) / (2 * h)
        return out
