r"""The dual problem (Eq. 8) and the dual dynamics (Eq. 9, Eq. 10, Eq. 18) with Jacobians.

Every dual vector field of the paper has the same shape,

.. math::
    \dot\alpha / \eta = \ell(\alpha) - c - M\alpha,
    \qquad
    \ell(\alpha) = \begin{cases} \log\frac{1-\alpha}{\alpha} & \text{exact (Eq. 9, 18)}\\
                                  -\log\alpha & \text{Taylor (Eq. 10)}\end{cases}

with (``G`` :math:`= U S^2 U^T`, logs elementwise)

=================  ==================================  =======================
penalty, dynamics  :math:`M`                           :math:`c`
=================  ==================================  =======================
ridge, exact       :math:`G/\lambda` (Eq. 9)           0
ridge, taylor      :math:`G/\lambda + I` (Eq. 10)      0
SD, exact          :math:`\mathrm{diag}(1/\lambda)`    :math:`\gamma` (Eq. 18)
SD, taylor         :math:`\mathrm{diag}(1/\lambda)+I`  :math:`\gamma`
=================  ==================================  =======================

so one :class:`DualSystem` ``(M, c)`` serves the objective, the vector field, its
Jacobian, the Newton solvers and the ODE integrators. (The Taylor forms expand
:math:`\log(1-\alpha) \approx -\alpha`.) SD's ``c = gamma`` is the margin target of
Sec. 4.4; with ``gamma = 0`` the SD rows are Eq. 18 verbatim.

Example:
    >>> import numpy as np
    >>> from gstheory.spectrum import perturbed_identity
    >>> from gstheory.penalties import Ridge
    >>> sp = perturbed_identity([36.0, 4.0], 0.5)
    >>> vector_field(np.array([0.01, 0.02]), sp, Ridge(0.1)).shape
    (2,)

Paper: Eq. 8, Eq. 9, Eq. 10 (Sec. 3.2), Eq. 17-18 (Sec. 3.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import validation as check
from .contexts import FLOAT, Context
from .dynamics import Dynamics, as_dynamics
from .penalties import Penalty, Ridge, as_penalty, finite_result
from .spectrum import Spectrum

#: Largest coupling ``s^2 / lambda`` (and ``1 / lambda`` for SD) handled in float64: beyond
#: it ``alpha*`` approaches float64's exponent range; the paper's regime is <= 1e7.
MAX_COUPLING = 1e100
#: Largest ``|gamma|`` (SD margin target): ``alpha* ~ exp(-gamma)`` must stay representable.
MAX_GAMMA = 600.0


def check_scale(s2: np.ndarray, lam: np.ndarray, gamma: np.ndarray | None = None) -> None:
    """Refuse ``s2 / lam`` (ridge, ``gamma is None``) or ``1 / lam`` and ``|gamma|`` (SD)
    outside float64's workable range, naming the parameter (ValueError).

    Paper: none (infrastructure).
    """
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        if gamma is None:
            ratio = float(np.max(s2)) / float(np.min(lam))
            if not ratio <= MAX_COUPLING:
                raise check.fail("lam", float(np.min(lam)),
                                 f"s2/lam = {ratio:.3g} exceeds {MAX_COUPLING:g} (float64's "
                                 "range for alpha*); rescale s2 and lam")
        else:
            inv = 1.0 / float(np.min(lam))
            if not inv <= MAX_COUPLING:
                raise check.fail("lam", float(np.min(lam)),
                                 f"1/lam = {inv:.3g} exceeds {MAX_COUPLING:g}")
            if gamma.size and not float(np.max(np.abs(gamma))) <= MAX_GAMMA:
                raise check.fail("gamma", gamma, f"|gamma| must be <= {MAX_GAMMA:g} "
                                                 "(alpha* ~ exp(-gamma) underflows)")


@dataclass(frozen=True, eq=False)
class DualSystem:
    r"""The pair ``(M, c)`` of the module docstring for one problem.

    Attributes:
        M: ``(n, n)`` symmetric positive (semi)definite matrix.
        c: ``(n,)`` constant term (SD margin target; zeros for ridge).
        dynamics: the :class:`~gstheory.dynamics.Dynamics` (compares equal to its name).

    Paper: Eq. 9, Eq. 10 (Sec. 3.2), Eq. 18 (Sec. 3.4).
    """

    M: np.ndarray
    c: np.ndarray
    dynamics: Dynamics

    @property
    def n(self) -> int:
        """Number of dual variables."""
        return int(self.c.shape[0])


def check_dynamics(dynamics: Any) -> Dynamics:
    """The :class:`~gstheory.dynamics.Dynamics` for a name or instance (ValueError
    naming ``dynamics`` otherwise); the same as :func:`gstheory.dynamics.as_dynamics`.

    Paper: Eq. 9, Eq. 10, Eq. 18 (the dynamics it selects).
    """
    return as_dynamics(dynamics)


def check_spectrum(spectrum: Any) -> Spectrum:
    """A :class:`~gstheory.spectrum.Spectrum`, else ValueError naming ``spectrum``.

    Paper: none (infrastructure).
    """
    if not isinstance(spectrum, Spectrum):
        raise check.fail("spectrum", type(spectrum).__name__,
                         "must be a gstheory.spectrum.Spectrum (use perturbed_identity, "
                         "from_features, from_gram, permutation or equal_strengths)")
    return spectrum


def dual_system(spectrum: Spectrum, penalty: Penalty,
                dynamics: Dynamics | str = "exact") -> DualSystem:
    r"""``(M, c)`` such that the vector field is :math:`\ell(\alpha) - c - M\alpha`.

    Arguments:
        spectrum: the :class:`~gstheory.spectrum.Spectrum` (``U``, ``s2``).
        penalty: :class:`~gstheory.penalties.Ridge` or
            :class:`~gstheory.penalties.SpectralDecoupling`.
        dynamics: ``"exact"`` (Eq. 9 / Eq. 18) or ``"taylor"`` (Eq. 10).

    Raises:
        ValueError: bad spectrum, penalty or dynamics; SD per-example arrays whose length
            is not ``n``.

    Paper: Eq. 9, Eq. 10, Eq. 18.
    """
    sp = check_spectrum(spectrum)
    pen = as_penalty(penalty)
    dyn = check_dynamics(dynamics)
    n = sp.n
    if isinstance(pen, Ridge):
        check_scale(sp.s2, np.array([pen.lam]))
        lam, gamma = np.full(n, pen.lam), None
    else:
        lam, gamma = pen.per_example(n)
        check_scale(sp.s2, lam, gamma)
    M, c = assemble_system(sp.U[None], sp.s2[None], lam[None],
                           None if gamma is None else gamma[None], dyn)
    return DualSystem(M[0], c[0], dyn)


def assemble_system(U: Any, s2: Any, lam: Any, gamma: Any, dynamics: Dynamics | str,
                    ctx: Context = FLOAT) -> tuple[Any, Any]:
    r"""The batched ``(M, c)`` of the module docstring, over a number context.

    Arguments:
        U: ``(B, n, n)``; s2: ``(B, n)``; lam: ``(B, n)`` (ridge: equal columns).
        gamma: ``None`` for ridge (``M = U S^2 U^T/\lambda``, ``c = 0``), else the SD
            margin targets ``(B, n)`` (``M = diag(1/\lambda)``, ``c = \gamma``).
        dynamics: adds its ``identity_in_M`` (Taylor: ``I``).
        ctx: :data:`~gstheory.contexts.FLOAT` (float arrays) or
            :data:`~gstheory.contexts.MP` (object arrays of mpf; no float64 rounding).

    Returns:
        ``(M, c)`` of shapes ``(B, n, n)`` and ``(B, n)``. No validation.

    Paper: Eq. 9, Eq. 10, Eq. 18.
    """
    dyn = as_dynamics(dynamics)
    B, n = s2.shape
    if gamma is None:
        M = np.matmul(U * s2[:, None, :], np.swapaxes(U, 1, 2)) / lam[:, :1, None]
        M = 0.5 * (M + np.swapaxes(M, 1, 2))
        c = ctx.asarray(np.zeros((B, n)))
    else:
        M = ctx.asarray(np.zeros((B, n, n)))
        idx = np.arange(n)
        M[:, idx, idx] = 1.0 / lam
        c = gamma + ctx.asarray(np.zeros((B, n)))
    if dyn.identity_in_M:
        M = M + dyn.identity_in_M * np.eye(n)
    return M, c


def binary_entropy(alpha: Any) -> np.ndarray:
    r""":math:`H(\alpha) = -\alpha\log\alpha - (1-\alpha)\log(1-\alpha)` elementwise (Eq. 6).

    Raises:
        ValueError: an entry outside (0, 1).

    Paper: Eq. 6.
    """
    a = check.probabilities("alpha", alpha)
    return -(a * np.log(a) + (1.0 - a) * np.log1p(-a))


def dual_objective(alpha: Any, spectrum: Spectrum, penalty: Penalty,
                   dynamics: str = "exact") -> float:
    r"""The dual objective whose gradient is the vector field.

    Exact: :math:`1\cdot H(\alpha) - c\cdot\alpha - \frac12 \alpha^T M \alpha`, i.e. Eq. 8
    for ridge and :math:`H(\alpha) - \alpha\cdot\gamma - \|\alpha\|^2/(2\lambda)` for SD.
    Taylor: the entropy replaced by :math:`-\sum(\alpha\log\alpha - \alpha)`, whose
    gradient gives Eq. 10.

    Arguments:
        alpha: ``(n,)`` dual variables in (0, 1) (Taylor: > 0).
        spectrum, penalty, dynamics: as in :func:`dual_system`.

    Returns:
        The objective (a float; maximised at the fixed point).

    Raises:
        ValueError: invalid input.

    Paper: Eq. 8 (Sec. 3.2); its SD counterpart (Sec. 3.4).
    """
    sysm = dual_system(spectrum, penalty, dynamics)
    dyn = sysm.dynamics
    a = dyn.check_alpha("alpha", alpha, sysm.n)
    ent = float(np.sum(dyn.entropy(dyn.to_coords(a), a)))
    return ent - float(sysm.c @ a) - 0.5 * float(a @ sysm.M @ a)


def vector_field(alpha: Any, spectrum: Spectrum, penalty: Penalty,
                 dynamics: str = "exact", eta: float = 1.0) -> np.ndarray:
    r""":math:`d\alpha/dt` of the dual gradient flow.

    Ridge exact (Eq. 9): :math:`\eta(\log\frac{1-\alpha}{\alpha} - \frac1\lambda G\alpha)`;
    ridge Taylor (Eq. 10): :math:`\eta(-\log\alpha - \frac1\lambda U(S^2+\lambda I)U^T
    \alpha)`; SD (Eq. 18): :math:`\eta(\log\frac{1-\alpha}{\alpha} - \gamma -
    \alpha/\lambda)`; SD Taylor: :math:`\eta(-\log\alpha - \gamma - \alpha(1 + 1/\lambda))`.

    Arguments:
        alpha: ``(n,)`` in (0, 1) (Taylor: > 0).
        spectrum, penalty, dynamics: as in :func:`dual_system`.
        eta: learning rate :math:`\eta > 0`.

    Returns:
        ``(n,)`` array.

    Raises:
        ValueError: invalid input.

    Paper: Eq. 9, Eq. 10 (Sec. 3.2), Eq. 18 (Sec. 3.4).
    """
    sysm = dual_system(spectrum, penalty, dynamics)
    eta = check.positive("eta", eta)
    a = sysm.dynamics.check_alpha("alpha", alpha, sysm.n)
    return finite_result("eta", eta,
                         lambda: eta * (sysm.dynamics.link(a) - sysm.c - sysm.M @ a))


def vector_field_jacobian(alpha: Any, spectrum: Spectrum, penalty: Penalty,
                          dynamics: str = "exact", eta: float = 1.0) -> np.ndarray:
    r"""Jacobian :math:`\partial\dot\alpha/\partial\alpha` of :func:`vector_field`.

    Exact: :math:`-\eta(\mathrm{diag}(1/(\alpha(1-\alpha))) + M)`; Taylor:
    :math:`-\eta(\mathrm{diag}(1/\alpha) + M)`. Symmetric; negative definite whenever
    ``M`` is positive semidefinite (Theorem 1 for Eq. 10).

    Returns:
        ``(n, n)`` array.

    Raises:
        ValueError: invalid input.

    Paper: Eq. 9, Eq. 10, Eq. 18; Theorem 1.
    """
    sysm = dual_system(spectrum, penalty, dynamics)
    eta = check.positive("eta", eta)
    a = sysm.dynamics.check_alpha("alpha", alpha, sysm.n)
    d = sysm.dynamics.link_slope(a)
    return finite_result("eta", eta, lambda: -eta * (np.diag(d) + sysm.M))


def log_term(a: np.ndarray, dynamics: Dynamics | str) -> np.ndarray:
    r"""The link :math:`\ell(\alpha)`: :math:`\log\frac{1-\alpha}{\alpha}` (exact) or
    :math:`-\log\alpha` (Taylor). No validation (internal building block).

    Paper: the log terms (barriers) of Eq. 9, Eq. 10, Eq. 18.
    """
    return as_dynamics(dynamics).link(a)


# ------------------------------------------------------------- coordinate forms (internal)
def to_coords(a: np.ndarray, dynamics: Dynamics | str) -> np.ndarray:
    r"""Solver coordinates :math:`x = -\ell(\alpha)`: logit (exact) or log (Taylor).

    Paper: the log terms of Eq. 9, Eq. 10, Eq. 18 (as the solver's coordinates).
    """
    return as_dynamics(dynamics).to_coords(a)


def from_coords(x: np.ndarray, dynamics: Dynamics | str) -> tuple[np.ndarray, np.ndarray]:
    r"""``(alpha, d alpha / dx)`` from solver coordinates (stable sigmoid / exp).

    Paper: the dual variables of Eq. 9, Eq. 10, Eq. 18 (from the solver's coordinates).
    """
    return as_dynamics(dynamics).from_coords(x)


def coords_residual(x: np.ndarray, M: np.ndarray, c: np.ndarray,
                    dynamics: Dynamics | str) -> tuple[np.ndarray, np.ndarray]:
    r"""Batched fixed-point residual in solver coordinates and its Jacobian.

    With :math:`\alpha = g(x)` (sigmoid or exp), :math:`F(x) = -x - c - M g(x)`, which is
    the vector field at :math:`\alpha` (since :math:`\ell(g(x)) = -x`), and
    :math:`\partial F/\partial x = -I - M\,\mathrm{diag}(g'(x))`.

    Arguments:
        x: ``(B, n)``; M: ``(B, n, n)``; c: ``(B, n)``.

    Returns:
        ``(F, J)`` of shapes ``(B, n)`` and ``(B, n, n)``.

    Paper: the fixed-point equations of Eq. 9, Eq. 10, Eq. 18.
    """
    a, da = from_coords(x, dynamics)
    F = -x - c - np.einsum("bij,bj->bi", M, a)
    J = -M * da[:, None, :]
    idx = np.arange(x.shape[1])
    J[:, idx, idx] -= 1.0
    return F, J
