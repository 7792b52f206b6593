r"""Closed forms of the Taylor dynamics (Eq. 10) and Lemma 1 (Eq. 14).

* equal strengths (Eq. 12) and ``U`` a permutation (Eq. 13), by Lambert W;
* spectral decoupling's fixed point (Eq. 18 and its Taylor form,
  :math:`\alpha = \lambda W(1/\lambda + 1)/(1 + \lambda)`; with a margin target
  :math:`\gamma`: :math:`\alpha = W(m e^{-\gamma})/m`, :math:`m = 1 + 1/\lambda`);
* the uncoupled fixed point and Lemma 1's one Newton step from it (Eq. 14).

Every closed form is returned as a :class:`~gstheory.solvers.results.FixedPoint` with its
residual in the fixed-point equation (status SUCCESSFUL when below
:data:`CLOSED_FORM_TOL_EPS` machine epsilons).

Example:
    >>> from gstheory.spectrum import permutation
    >>> from gstheory.penalties import Ridge
    >>> closed_form_permutation(permutation([4.0, 1.0]), Ridge(0.1)).converged
    True

Paper: Eq. 12-14 (Sec. 3.3), Eq. 17-18 (Sec. 3.4), Lemma 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import lambertw

from .. import validation as check
from ..dual import assemble_system, check_scale, check_spectrum, dual_system
from ..dynamics import TAYLOR, Dynamics, as_dynamics
from ..penalties import Penalty, Ridge, SpectralDecoupling
from ..spectrum import Spectrum
from .lambert import lambertw_exp
from .newton import evaluate, newton
from .results import ConvergenceError, FixedPoint, Status
from .solve import responses

#: A closed form counts as converged when its relative residual is below this many eps.
CLOSED_FORM_TOL_EPS = 1e3


def _closed(spectrum: Spectrum, penalty: Penalty, alpha: np.ndarray) -> FixedPoint:
    """Wrap a closed-form alpha as a FixedPoint of the Taylor dynamics with its residual."""
    sysm = dual_system(spectrum, penalty, TAYLOR)
    M = sysm.M[None]
    res = float(evaluate(np.log(alpha)[None], M, sysm.c[None], np.abs(M), TAYLOR).rel[0])
    ok = res <= CLOSED_FORM_TOL_EPS * np.finfo(float).eps
    return FixedPoint(alpha, responses(alpha, spectrum, penalty), res, 0,
                      Status.SUCCESSFUL if ok else Status.RESIDUAL_ABOVE_TOL, penalty.name,
                      TAYLOR.name, "closed-form")


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
    dual_system(sp, pen, TAYLOR)              # validates the scale s2/lam
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
    dual_system(sp, pen, TAYLOR)              # validates the scale s2/lam
    U = sp.U
    if not np.all((np.abs(U) < 1e-12) | (np.abs(U - 1.0) < 1e-12)):
        raise check.fail("spectrum.U", U, "Eq. 13 needs U to be a permutation matrix")
    p = np.argmax(U, axis=0)                       # example carrying feature j
    w = lambertw(sp.s2 / pen.lam + 1.0).real
    alpha = np.empty(sp.n)
    alpha[p] = pen.lam * w / (sp.s2 + pen.lam)
    return _closed(sp, pen, alpha)


def sd_alpha(lam: Any, gamma: Any = 0.0, dynamics: Dynamics | str = "taylor") -> np.ndarray:
    r"""Spectral decoupling's fixed point, elementwise (it does not depend on ``U``, ``s2``).

    Taylor: :math:`\log\alpha + \alpha(1 + 1/\lambda) = -\gamma`, i.e.
    :math:`\alpha = W(m e^{-\gamma})/m` with :math:`m = 1 + 1/\lambda`
    (:math:`= \lambda W(1/\lambda + 1)/(1 + \lambda)` for :math:`\gamma = 0`).
    Exact (Eq. 18): :math:`\log\frac{1-\alpha}{\alpha} = \gamma + \alpha/\lambda`
    (unique root: the left side decreases, the right side increases). Both are the
    one-dimensional fixed point, solved by the Newton engine; for the Taylor form its
    uncoupled starting guess *is* the Lambert-W closed form, so Newton stops there.

    Arguments:
        lam: ``> 0``, scalar or array; gamma: scalar or array (broadcast with ``lam``).
        dynamics: a :class:`~gstheory.dynamics.Dynamics` or its name.

    Returns:
        array of ``alpha`` with the broadcast shape of ``lam`` and ``gamma``.

    Raises:
        ValueError: non-positive ``lam``, NaN/inf, shapes that do not broadcast.

    Paper: Eq. 17-18 (Sec. 3.4), Sec. 4.4.
    """
    lam_a = check.positive_array("lam", lam)
    g = check.finite_array("gamma", gamma)
    dyn = as_dynamics(dynamics)
    try:
        lam_b, g_b = np.broadcast_arrays(lam_a, g)
    except ValueError:
        raise check.fail("gamma", gamma, f"shape {g.shape} does not broadcast with lam's "
                                         f"{lam_a.shape}") from None
    shape = lam_b.shape
    lam_f, g_f = lam_b.reshape(-1), g_b.reshape(-1)
    if lam_f.size == 0:
        return np.zeros(shape)
    check_scale(np.ones(1), lam_f, g_f)
    M, c = assemble_system(np.ones((lam_f.size, 1, 1)), np.ones((lam_f.size, 1)),
                           lam_f[:, None], g_f[:, None], dyn)
    r = newton(M, c, dyn)
    if not np.all(r.converged):
        raise ConvergenceError("sd_alpha: Newton did not converge (lam/gamma at float64's "
                               "limits); use solve_fixed_point_mp")
    a, _ = dyn.from_coords(r.x[:, 0])
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
    check_scale(sp.s2, lam, gamma)
    m = 1.0 + 1.0 / lam
    return _closed(sp, penalty, lambertw_exp(np.log(m) - gamma) / m)


def uncoupled_alpha(spectrum: Spectrum, penalty: Any) -> np.ndarray:
    r"""The uncoupled (``delta = 0``, ``U = I``) fixed point of Eq. 10 used by Lemma 1:
    :math:`\alpha^*_{0,i} = \lambda W(s_i^2/\lambda + 1)/(s_i^2 + \lambda)` (Eq. 13 with
    the identity permutation).

    Paper: Eq. 13, Lemma 1.
    """
    sp = check_spectrum(spectrum)
    pen = _ridge(penalty)
    dual_system(sp, pen, TAYLOR)              # validates the scale s2/lam
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
    A = dual_system(sp, pen, TAYLOR).M
    return np.linalg.solve(A + np.diag(1.0 / a0), 1.0 - np.log(a0))
