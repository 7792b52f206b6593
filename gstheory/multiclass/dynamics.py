r"""Continuous-time dual gradient ascent for K classes, integrated with SciPy.

Paper: Eq. 9 (Sec. 3.2), K-class form.

The literal analogue of Eq. 9 is projected (Euclidean) gradient ascent on the simplex,
:math:`\dot p_i = \eta\,C(-\log p_i + \frac1\lambda(G_c\alpha)_i)`. It has the fixed
point of :func:`gstheory.multiclass.fixed_points.solve_fixed_point`, but it is not
integrable in float64 for realistic couplings: while :math:`\alpha` is far from
equilibrium the linear term (size :math:`s^2/\lambda`) beats the barrier until
:math:`p_{ic} \sim e^{-s^2/\lambda}`, far below the smallest double (measured: SciPy's
BDF and Radau stop with "step size less than spacing" at ``s^2/lambda ~ 400``). This
module integrates the same ascent in the entropy (mirror) geometry instead,

.. math:: \dot x = \eta\Big(-x + \frac1\lambda G_c\alpha(x)\Big),
   \qquad p = \mathrm{softmax}(x),\ x \text{ centred},

i.e. :math:`\frac{d}{dt}\log p_i = \eta\,C\nabla_{p_i}D` (mirror ascent with the
negative entropy as mirror map): the same fixed points, Lipschitz everywhere, and ``D``
increases along it (:math:`\dot D = \nabla_xD\cdot\dot x = F^TJF \ge 0`).

Example:
    >>> from gstheory.multiclass.spectrum import coupled_pair
    >>> tr = integrate_dual(coupled_pair([4.0, 1.0], 0.3, K=3), 1.0, t_end=50.0)
    >>> bool(tr.success)
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from .. import validation as check
from .fixed_points import check_lam, check_spectrum, dual_alpha, log_softmax
from .spectrum import MulticlassSpectrum


@dataclass(frozen=True, eq=False)
class DualTrajectory:
    """``t`` ``(T,)``, ``p`` ``(T, n, K)``, ``success`` and the solver ``message``.

    Paper: Eq. 9; beyond the paper: the K-class form.
    """

    t: np.ndarray
    p: np.ndarray
    success: bool
    message: str


def integrate_dual(spectrum: MulticlassSpectrum, lam: Any, *, t_end: float = 100.0,
                   eta: float = 1.0, p0: Any = None,
                   rtol: float = 1e-10, atol: float = 1e-13) -> DualTrajectory:
    r"""Integrate the K-class dual (mirror) gradient ascent from ``p0`` (default uniform).

    Arguments:
        spectrum: the multi-class spectrum.
        lam: weight decay, > 0.
        t_end: final time, > 0.
        eta: learning rate, > 0.
        p0: starting probabilities, shape (n, K), in the open simplex.
        rtol: relative tolerance of the integrator.
        atol: absolute tolerance of the integrator.

    Returns:
        :class:`DualTrajectory` (Radau, stiff-safe).

    Raises:
        ValueError: invalid input.

    Paper: Eq. 9 (K-class form).
    """
    sp = check_spectrum(spectrum)
    lv = check_lam(lam, sp)
    t_end = check.positive("t_end", t_end)
    eta = check.positive("eta", eta)
    n, K = sp.n, sp.K
    if p0 is None:
        P0 = np.full((n, K), 1.0 / K)
    else:
        P0 = check.probabilities("p0", p0, ndim=2, shape=(n, K))
        if float(np.max(np.abs(P0.sum(axis=1) - 1.0))) > 1e-12:
            raise check.fail("p0", p0, "every row must sum to 1")
    A = sp.gram() / lv
    E = sp.targets()

    def centre(v: np.ndarray) -> np.ndarray:
        vb = v.reshape(n, K)
        return (vb - vb.mean(axis=1, keepdims=True)).reshape(-1)

    def rhs(_t: float, x: np.ndarray) -> np.ndarray:
        p = np.exp(log_softmax(x.reshape(n, K))).reshape(-1)
        return eta * (-x + A @ dual_alpha(E, p, K))

    y0 = centre(np.log(P0).reshape(-1))
    sol = solve_ivp(rhs, (0.0, t_end), y0, method="Radau", rtol=rtol, atol=atol)
    Y = sol.y.T
    P = np.exp(log_softmax(Y.reshape(-1, n, K)))
    return DualTrajectory(sol.t, P, bool(sol.success), str(sol.message))
