r"""The multi-class starvation matrix by implicit differentiation (Definition 2, K classes).

Paper: Definition 2, Eq. 11, Theorem 2 (Sec. 3.3), in K-class form.

Feature ``g`` (a group of spectral columns with one strength :math:`s_g^2`, see
:mod:`gstheory.multiclass.spectrum`) starves feature ``h`` when
:math:`\partial\|z^*_h\|/\partial s_g^2 < 0`. The magnitude :math:`\|z^*_h\|` is
convention-free (independent of singular-vector signs and of the basis inside a
degenerate group), and so is the perturbation: raising :math:`s_g^2` adds
:math:`P_g = U_gU_g^T` (a projector) to :math:`\partial G_c`. For singleton groups the
signed derivative :math:`\partial z^*_j/\partial s_g^2` is returned beside it (it flips
with the sign convention of :math:`u_j`; :math:`\mathrm{sign}(z^*_j)\,\partial z^*_j/
\partial s_g^2` does not).

Differentiating :math:`F(x, s^2) = x - \frac1\lambda G_c(s^2)\alpha(x) = 0`:

.. math::
    \frac{\partial x^*}{\partial s_g^2} = \frac1\lambda(I + AJ)^{-1}P_g\alpha^*,\qquad
    \frac{\partial\alpha^*}{\partial s_g^2} = -J\frac{\partial x^*}{\partial s_g^2},

then the product rule on :math:`z^*_j = \frac1\lambda s_j^2u_j^T\alpha^*`:
:math:`\partial z^*_j/\partial s_g^2 = \frac1\lambda[\mathbb 1_{j\in g}u_j^T\alpha^* +
s_j^2u_j^T\partial\alpha^*/\partial s_g^2]`, and
:math:`\partial\|z_h\|/\partial s_g^2 = z_h\cdot\partial z_h/\partial s_g^2/\|z_h\|`
(where :math:`z_h = 0` exactly, the one-sided derivative :math:`\|\partial z_h/
\partial s_g^2\|` of the norm). No finite differences.

Example:
    >>> from gstheory.multiclass.spectrum import coupled_pair
    >>> S = starvation_matrix(coupled_pair([36.0, 4.0], 0.3, K=3), 0.1)
    >>> S.shape
    (2, 2)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mpmath as mp
import numpy as np

from .. import validation as check
from .fixed_points import (
    ConvergenceError,
    MulticlassFixedPoint,
    _jac_apply,
    _mp_softmax,
    check_dps,
    check_lam,
    check_spectrum,
    mp_gram,
    solve_fixed_point,
    solve_fixed_point_mp,
)
from .spectrum import MulticlassSpectrum


@dataclass(frozen=True, eq=False)
class Starvation:
    r"""Sensitivities of the responses at the fixed point.

    Attributes:
        matrix: ``(G, G)``, ``[g, h]`` :math:`=\partial\|z^*_h\|/\partial s_g^2`
            (convention-free; negative: feature ``g`` starves feature ``h``).
        signed: ``(G, r)``, ``[g, j]`` :math:`=\partial z^*_j/\partial s_g^2` (per column;
            depends on the sign convention of :math:`u_j`).
        fixed_point: the :class:`~gstheory.multiclass.fixed_points.MulticlassFixedPoint`.

    Paper: Definition 2, Eq. 11, Theorem 2; beyond the paper: the K-class, convention-free form.
    """

    matrix: np.ndarray
    signed: np.ndarray
    fixed_point: MulticlassFixedPoint


def _norm_derivative(z: np.ndarray, dz: np.ndarray, groups: tuple) -> np.ndarray:
    """``[g, h]`` derivative of ``||z_h||`` from ``dz[g, j]`` (one-sided where z_h = 0)."""
    G = len(groups)
    out = np.empty((dz.shape[0], G))
    for h, cols in enumerate(groups):
        c = list(cols)
        nz = float(np.linalg.norm(z[c]))
        if nz > 0.0:
            out[:, h] = dz[:, c] @ z[c] / nz
        else:
            out[:, h] = np.linalg.norm(dz[:, c], axis=1)
    return out


def starvation(spectrum: MulticlassSpectrum, lam: Any, *,
               fixed_point: MulticlassFixedPoint | None = None) -> Starvation:
    r"""The K-class starvation matrix (and the signed per-column derivatives).

    Arguments:
        spectrum: :class:`~gstheory.multiclass.spectrum.MulticlassSpectrum`.
        lam: weight decay > 0.
        fixed_point: optional fixed point already solved for the same problem.

    Returns:
        :class:`Starvation`.

    Raises:
        ValueError: invalid input; ConvergenceError (a ValueError) if Newton failed.

    Paper: Definition 2 (K-class form), Eq. 11.
    """
    sp = check_spectrum(spectrum)
    lv = check_lam(lam, sp)
    fp = solve_fixed_point(sp, lv) if fixed_point is None else fixed_point
    if not isinstance(fp, MulticlassFixedPoint) or fp.p.shape != (sp.n, sp.K):
        raise check.fail("fixed_point", type(fp).__name__,
                         f"must be a MulticlassFixedPoint of shape ({sp.n}, {sp.K})")
    if not fp.converged:
        raise ConvergenceError(f"fixed point did not converge (relative residual "
                               f"{fp.residual:.3g}); use starvation_mp")
    N, K = sp.n * sp.K, sp.K
    p = fp.p.reshape(1, N)
    a = fp.alpha.reshape(-1)
    A = sp.gram()[None] / lv
    Ua = sp.U.T @ a                                           # (r,)
    R = np.stack([sp.U[:, list(g)] @ Ua[list(g)] for g in sp.groups], axis=1) / lv
    dx = np.linalg.solve(np.eye(N) + _jac_apply(A, p, K)[0], R)        # (N, G)
    pb = p.reshape(sp.n, K)
    dxb = dx.T.reshape(-1, sp.n, K)
    da = -(pb * dxb - pb * np.sum(pb * dxb, axis=2, keepdims=True)).reshape(-1, N)
    dz = (sp.U.T @ da.T).T * sp.s2[None, :]                   # (G, r)
    for gi, g in enumerate(sp.groups):
        dz[gi, list(g)] += Ua[list(g)]
    dz /= lv
    return Starvation(_norm_derivative(fp.z, dz, sp.groups), dz, fp)


def starvation_matrix(spectrum: MulticlassSpectrum, lam: Any) -> np.ndarray:
    r"""``[g, h]`` :math:`=\partial\|z^*_h\|/\partial s_g^2` (see :func:`starvation`).

    Paper: Definition 2 (K-class form).
    """
    return starvation(spectrum, lam).matrix


def starvation_mp(spectrum: MulticlassSpectrum, lam: Any, dps: int = 50
                  ) -> tuple[list[list[Any]], list[list[Any]]]:
    r"""The same implicit differentiation in mpmath at ``dps`` digits.

    Returns:
        ``(matrix, signed)`` as nested lists of ``mpmath.mpf`` (shapes as in
        :class:`Starvation`).

    Raises:
        ValueError: invalid input or no convergence.

    Paper: Definition 2 (K-class form).
    """
    dps = check_dps(dps)
    sp = check_spectrum(spectrum)
    lv = check_lam(lam, sp)
    fpm = solve_fixed_point_mp(sp, lv, dps)
    if not fpm.converged:
        raise ConvergenceError(f"dps={dps}: the mpmath fixed point did not converge")
    N, K, r = sp.n * sp.K, sp.K, sp.r
    with mp.workdps(dps):
        lam_m = mp.mpf(lv)
        A = mp_gram(sp) / lam_m
        p = _mp_softmax(list(fpm.x), K)
        a = [v for row in fpm.alpha for v in row]
        U = [[mp.mpf(v) for v in row] for row in sp.U.tolist()]
        s2 = [mp.mpf(v) for v in sp.s2]
        Jm = mp.matrix(N, N)
        for i in range(N):
            for j in range(N):
                blk = (j // K) * K
                Jm[i, j] = mp.fsum(A[i, blk + c] * ((p[j] if blk + c == j else 0)
                                                    - p[blk + c] * p[j]) for c in range(K))
                if i == j:
                    Jm[i, j] += 1
        Ua = [mp.fsum(U[i][j] * a[i] for i in range(N)) for j in range(r)]
        signed = []
        for g in sp.groups:
            rhs = mp.matrix([mp.fsum(U[i][j] * Ua[j] for j in g) / lam_m for i in range(N)])
            dx = mp.lu_solve(Jm, rhs)
            da: list[Any] = []
            for b in range(sp.n):
                cls = range(b * K, (b + 1) * K)
                mean = mp.fsum(p[c] * dx[c] for c in cls)
                da.extend(-(p[c] * dx[c] - p[c] * mean) for c in cls)
            row = []
            for j in range(r):
                v = s2[j] * mp.fsum(U[i][j] * da[i] for i in range(N))
                if j in g:
                    v += Ua[j]
                row.append(v / lam_m)
            signed.append(row)
        z = list(fpm.z)
        matrix = []
        for row in signed:
            out = []
            for h in sp.groups:
                nz = mp.sqrt(mp.fsum(z[j] ** 2 for j in h))
                if nz > 0:
                    out.append(mp.fsum(z[j] * row[j] for j in h) / nz)
                else:
                    out.append(mp.sqrt(mp.fsum(row[j] ** 2 for j in h)))
            matrix.append(out)
        return matrix, signed
