r"""Trajectories: the dual ODEs (Eq. 9, 10, 18) and the discrete runs of the authors.

* :func:`integrate_dual` integrates :math:`\dot\alpha = \eta(\ell(\alpha) - c - M\alpha)`
  (see :mod:`gstheory.dual`) with a stiff scipy solver in logit (exact) or log (Taylor)
  coordinates, with the analytic Jacobian; the solver status and the finiteness of the
  output are checked, and :class:`IntegrationError` is raised otherwise (LSODA has been
  seen to report success while returning NaN at strong coupling).
* :func:`dual_gradient_ascent`: the authors' discrete dual run (``Figure_6/toy_fig_6.py``:
  alpha initialised at 1e-8, plain SGD on :math:`\frac1{2\lambda}\alpha^TK\alpha -
  H(\alpha)`, alpha clipped to (0, 1) after every step).
* :func:`primal_gradient_descent`: plain gradient descent on ``theta`` for Eq. 5 / Eq. 17
  from ``theta = 0``, returning the responses :math:`z(t) = U^TY\Phi_0\theta(t)`.

Example:
    >>> import numpy as np
    >>> from gstheory.spectrum import perturbed_identity
    >>> from gstheory.penalties import Ridge
    >>> tr = integrate_dual(perturbed_identity([36.0, 4.0], 0.5), Ridge(0.01),
    ...                     alpha0=[1e-8, 1e-8], t_final=20.0)
    >>> tr.alpha.shape[1]
    2

Paper: Eq. 8-10, Eq. 17-18 (Sec. 3.2-3.4); the toy experiment of Fig. 5/6.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from . import validation as check
from .dual import dual_system
from .dynamics import EXACT, Dynamics
from .penalties import Penalty, Ridge, as_penalty
from .primal import _gradient, softplus
from .primal import _inputs as _primal_inputs
from .solvers import responses
from .spectrum import Spectrum, from_features

ODE_METHODS = ("Radau", "BDF", "LSODA")


class _Underflow(Exception):
    """alpha left float64's range inside the right-hand side."""


class IntegrationError(ValueError):
    """The ODE solver failed or produced non-finite values (a ValueError, so the command
    line reports it in one line).

    Paper: none (infrastructure).
    """


@dataclass(frozen=True, eq=False)
class DualTrajectory:
    r"""A dual trajectory.

    Attributes:
        t: ``(T,)`` times (ODE) or step indices (discrete runs).
        alpha: ``(T, n)``; z: ``(T, n)`` responses (Eq. 11 / SD).
        message: solver message; nfev: right-hand-side evaluations (0 for discrete runs).

    Paper: Eq. 9, Eq. 10, Eq. 18 (alpha(t)), Eq. 11 (z(t)).
    """

    t: np.ndarray
    alpha: np.ndarray
    z: np.ndarray
    message: str = ""
    nfev: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"t": self.t.tolist(), "alpha": self.alpha.tolist(), "z": self.z.tolist(),
                "message": self.message, "nfev": self.nfev}


@dataclass(frozen=True, eq=False)
class PrimalTrajectory:
    r"""A primal gradient-descent trajectory.

    Attributes:
        step: ``(T,)`` step indices; theta: ``(T, m)``; z: ``(T, n)`` responses
        :math:`U^TY\Phi_0\theta`; loss: ``(T,)`` objective values; spectrum: the SVD of
        :math:`Y\Phi_0` that defines ``z``.

    Paper: Eq. 4 (z(t)), Eq. 5, Eq. 17 (the loss).
    """

    step: np.ndarray
    theta: np.ndarray
    z: np.ndarray
    loss: np.ndarray
    spectrum: Spectrum

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (without the spectrum)."""
        return {"step": self.step.tolist(), "theta": self.theta.tolist(),
                "z": self.z.tolist(), "loss": self.loss.tolist()}


def _finite(name: str, arr: np.ndarray, what: str) -> np.ndarray:
    if not np.all(np.isfinite(arr)):
        raise IntegrationError(f"{what} produced non-finite {name}; reduce {what}'s step "
                               "(lr/eta) or use the fixed-point solver")
    return arr


def integrate_dual(spectrum: Spectrum, penalty: Penalty, alpha0: Any, t_final: float, *,
                   dynamics: Dynamics | str = "exact", eta: float = 1.0, method: str = "Radau",
                   t_eval: Any = None, rtol: float = 1e-10, atol: float = 1e-12
                   ) -> DualTrajectory:
    r"""Integrate the dual gradient flow (Eq. 9, Eq. 10 or Eq. 18) from ``alpha0``.

    The state is :math:`x = \operatorname{logit}\alpha` (exact) or :math:`\log\alpha`
    (Taylor): :math:`\dot x = \eta F(x)/g'(x)` with :math:`F` the vector field and
    :math:`\alpha = g(x)`, the same trajectory in time, with the barriers removed.

    Arguments:
        spectrum, penalty, dynamics: as in :func:`gstheory.dual.vector_field`.
        alpha0: ``(n,)`` start in (0, 1) (Taylor: > 0).
        t_final: end time ``> 0``; eta: learning rate ``> 0``.
        method: a stiff scipy method: ``"Radau"``, ``"BDF"`` or ``"LSODA"``.
        t_eval: optional increasing times in ``[0, t_final]`` (default: solver steps).
        rtol, atol: solver tolerances (in solver coordinates).

    Returns:
        :class:`DualTrajectory`.

    Raises:
        ValueError: invalid input; :class:`IntegrationError` (a ValueError) if the solver
            fails or the output is not finite.

    Paper: Eq. 9, Eq. 10, Eq. 18.
    """
    sysm = dual_system(spectrum, penalty, dynamics)
    pen = as_penalty(penalty)
    dyn = sysm.dynamics
    n = sysm.n
    a0 = dyn.check_alpha("alpha0", alpha0, n)
    T = check.positive("t_final", t_final)
    eta = check.positive("eta", eta)
    method = check.choice("method", method, ODE_METHODS)
    rtol = check.positive("rtol", rtol)
    atol = check.positive("atol", atol)
    for name, val in (("rtol", rtol), ("atol", atol)):
        if not 1e-15 <= val <= 1e-3:
            raise check.fail(name, val, "must lie in [1e-15, 1e-3] (a solver tolerance)")
    if t_eval is not None:
        te = check.finite_array("t_eval", t_eval, ndim=1)
        if te.size == 0 or np.any(np.diff(te) <= 0) or te[0] < 0 or te[-1] > T:
            raise check.fail("t_eval", t_eval, f"must be non-empty, strictly increasing "
                                               f"and inside [0, {T:g}]")
    else:
        te = None
    M, c = sysm.M, sysm.c

    def rhs(_t: float, x: np.ndarray) -> np.ndarray:
        a, gp = dyn.from_coords(dyn.clamp(x))
        if not np.all(gp > 1e-290) or not np.all(np.isfinite(x)):
            raise _Underflow
        return eta * (-x - c - M @ a) / gp

    def jac(_t: float, x: np.ndarray) -> np.ndarray:
        a, gp = dyn.from_coords(dyn.clamp(x))
        F = -x - c - M @ a
        JF = -M * gp[None, :] - np.eye(n)
        dinv = dyn.inverse_slope_derivative(a, gp)                       # d(1/g')/dx
        return eta * (JF / gp[:, None] + np.diag(F * dinv))

    x0 = dyn.to_coords(a0)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            sol = solve_ivp(rhs, (0.0, T), x0, method=method, t_eval=te, rtol=rtol,
                            atol=atol, **({} if method == "LSODA" else {"jac": jac}))
    except _Underflow:
        raise IntegrationError(
            f"integrate_dual: alpha left float64's range (below 1e-290) during the transient "
            f"for alpha0={a0.tolist()}, t_final={T:g}, eta={eta:g}, rtol={rtol:g}, "
            f"atol={atol:g}: the coupling M alpha0 is too strong for this alpha0; start "
            "closer to 0 (the authors use alpha0 = 1e-8) or use the Newton/mpmath solver"
        ) from None
    if sol.status != 0 or not sol.success:
        raise IntegrationError(
            f"integrate_dual: {method} failed ({sol.message}) for alpha0={a0.tolist()}, "
            f"t_final={T:g}, eta={eta:g}, rtol={rtol:g}, atol={atol:g}; with strong coupling "
            "the transient from alpha0 is beyond float64: start alpha0 near 0 (e.g. 1e-8) "
            "or use the Newton solver")
    x = _finite("alpha", sol.y.T, "integrate_dual")
    a, _ = dyn.from_coords(x)
    _finite("alpha", a, "integrate_dual")
    z = np.array([responses(ai, spectrum, pen) for ai in a]) if np.all(a > 0) else None
    if z is None:
        raise IntegrationError("integrate_dual: alpha underflowed to 0; the coupling is "
                               "beyond float64 (use the Newton or mpmath solver)")
    return DualTrajectory(sol.t, a, z, str(sol.message), int(sol.nfev))


def dual_gradient_ascent(spectrum: Spectrum, penalty: Penalty, lr: float, steps: int, *,
                         alpha0: Any = 1e-8, record_every: int = 1,
                         clip_min: float = 1e-50) -> DualTrajectory:
    r"""The authors' discrete dual run: SGD on :math:`-(\text{dual objective})`.

    Ridge: minimise :math:`\frac1{2\lambda}\alpha^TK\alpha - H(\alpha)` with
    :math:`K = U S^2 U^T`; SD: :math:`\alpha\cdot\gamma + \sum\alpha_i^2/(2\lambda_i) -
    H(\alpha)`. Each step :math:`\alpha \leftarrow \alpha + \text{lr}\cdot
    (\text{Eq. 9 / 18 vector field})`, then ``alpha`` is clipped to
    ``[clip_min, 1 - 2^-53]`` (the authors clip to ``(0, 1)`` with a 1e-50 floor).

    Arguments:
        spectrum, penalty: the problem; lr: step ``> 0``; steps: number of steps ``>= 0``.
        alpha0: scalar or ``(n,)`` start in (0, 1) (authors: 1e-8).
        record_every: record every k-th step (the last step is always recorded).
        clip_min: lower clip in (0, 1e-3].

    Returns:
        :class:`DualTrajectory` with ``t`` = step indices (the state *before* each
        recorded step, as the authors record, plus the final state).

    Raises:
        ValueError: invalid input; IntegrationError on non-finite values.

    Paper: Eq. 8-9, Eq. 18; toy experiment (Fig. 5 of the paper, ``toy_fig_6.py``).
    """
    sysm = dual_system(spectrum, penalty, EXACT)
    pen = as_penalty(penalty)
    n = sysm.n
    lr = check.positive("lr", lr)
    steps = check.integer("steps", steps, minimum=0, maximum=10_000_000)
    every = check.integer("record_every", record_every, minimum=1)
    lo = check.finite_scalar("clip_min", clip_min)
    if not 0 < lo <= 1e-3:
        raise check.fail("clip_min", clip_min, "must lie in (0, 1e-3]")
    a0 = check.probabilities("alpha0", np.broadcast_to(
        check.finite_array("alpha0", alpha0), (n,)) if np.ndim(alpha0) == 0 else alpha0,
        ndim=1, shape=(n,))
    hi = np.nextafter(1.0, 0.0)
    a = a0.copy()
    ts, As = [], []
    for k in range(steps + 1):
        if k % every == 0 or k == steps:
            ts.append(k)
            As.append(a.copy())
        if k == steps:
            break
        with np.errstate(over="ignore", invalid="ignore"):   # a huge lr: clipped below
            a = np.clip(a + lr * (EXACT.link(a) - sysm.c - sysm.M @ a), lo, hi)
        if not np.all(np.isfinite(a)):
            raise IntegrationError(f"dual_gradient_ascent: non-finite alpha at step {k}; "
                                   f"reduce lr (lr={lr:g})")
    A = np.array(As)
    Z = _finite("z", np.array([responses(ai, spectrum, pen) for ai in A]),
                "dual_gradient_ascent")
    return DualTrajectory(np.array(ts, dtype=float), A, Z, "completed", 0)


def primal_gradient_descent(Phi0: Any, y: Any, penalty: Penalty, lr: float, steps: int, *,
                            theta0: Any = None, record_every: int = 1,
                            U: Any = None) -> PrimalTrajectory:
    r"""Plain gradient descent on Eq. 5 / Eq. 17 for the linear model
    :math:`\hat y = \Phi_0\theta` (the authors: :math:`\theta_0 = 0`, lr 0.05).

    Arguments:
        Phi0: ``(n, m)`` full row rank; y: ``(n,)`` labels in {-1, +1}; penalty.
        lr: step ``> 0``; steps: ``>= 0``; theta0: start (default zeros).
        record_every: record every k-th step (the last is always recorded).
        U: optional ``(n, n)`` orthogonal basis for ``z`` (the authors' toy uses the ``U``
            it built ``Phi0`` from; the SVD's ``U`` is defined only up to signs, and not at
            all for equal strengths). Default: ``U`` of the SVD of :math:`Y\Phi_0`.

    Returns:
        :class:`PrimalTrajectory` with ``z(t) = U^T Y Phi0 theta(t)`` (Eq. 4); the SVD in
        ``trajectory.spectrum`` (with ``U`` replaced by the given one, if any).

    Raises:
        ValueError: invalid input; IntegrationError if the iterates blow up.

    Paper: Eq. 4, Eq. 5, Eq. 17; toy experiment (``toy_fig_6.py``).
    """
    P, yv, pen = _primal_inputs(Phi0, y, penalty)
    sp = from_features(P, yv)
    if U is not None:
        Ub = check.orthogonal("U", U, n=P.shape[0])
        sp = Spectrum(Ub, sp.s2)
    lr = check.positive("lr", lr)
    steps = check.integer("steps", steps, minimum=0, maximum=10_000_000)
    every = check.integer("record_every", record_every, minimum=1)
    th = (np.zeros(P.shape[1]) if theta0 is None
          else check.finite_array("theta0", theta0, ndim=1, shape=(P.shape[1],)).copy())
    if not float(np.max(np.abs(th), initial=0.0)) <= 1e100:
        raise check.fail("theta0", th, "entries must be <= 1e100 in magnitude")
    if isinstance(pen, Ridge):
        pass
    else:
        pen.per_example(P.shape[0])          # validates per-example lengths
    ks, Th, L = [], [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps + 1):
            if k % every == 0 or k == steps:
                m = yv * (P @ th)
                ks.append(k)
                Th.append(th.copy())
                try:
                    L.append(float(np.sum(softplus(-m))) + pen.value(th, m))
                except ValueError:        # the loss overflows: the run has diverged
                    raise IntegrationError(
                        f"primal_gradient_descent: the loss overflows float64 at step {k} "
                        f"(theta0, Phi0 or lr={lr:g} too large)") from None
            if k == steps:
                break
            try:
                th = th - lr * _gradient(th, P, yv, pen)
            except ValueError:            # a penalty gradient that overflows
                th = np.full_like(th, np.inf)
            # 1e150: beyond it the next loss evaluation overflows float64
            if not (np.all(np.isfinite(th)) and float(np.max(np.abs(th))) <= 1e150):
                raise IntegrationError(f"primal_gradient_descent: theta diverged at step "
                                       f"{k} from theta0; reduce lr (lr={lr:g})")
    Tm = np.array(Th)
    Z = (yv * (Tm @ P.T)) @ sp.U
    _finite("loss", np.array(L), "primal_gradient_descent")
    return PrimalTrajectory(np.array(ks), Tm, Z, np.array(L), sp)
