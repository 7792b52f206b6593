r"""The interface every dual dynamics implements (one small file per variant).

Every dual vector field of the paper has the shape
:math:`\dot\alpha/\eta = \ell(\alpha) - c - M\alpha` (see :mod:`gstheory.dual`). A
dynamics fixes the *link* :math:`\ell`, the solver coordinates :math:`x = -\ell(\alpha)`
in which the barriers of :math:`\ell` never bite (:math:`\alpha = g(x)`), the identity
that the Taylor form adds to ``M``, and the pieces the Newton engine needs: the line of
the search in those coordinates, the largest step that stays in the domain, and a clamp.

Each method takes a number context ``ctx`` (:mod:`gstheory.contexts`): the same code
runs on batched float64 arrays and on object arrays of mpmath numbers.

To add a dynamics, write one file beside ``exact.py`` with a subclass of
:class:`Dynamics` and register its instance in :data:`gstheory.dynamics.REGISTRY`.

Paper: Eq. 9, Eq. 10, Eq. 18.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from ..contexts import FLOAT, Context

#: Logarithmic coordinates are clamped here inside residuals: e^300 cannot overflow after
#: multiplication by M, and no fixed point lies near it.
LOG_CLAMP = 300.0


class Dynamics(ABC):
    r"""One dual dynamics: link, coordinates and the engine's pieces.

    Attributes:
        name: the command-line name (``"exact"``, ``"taylor"``).
        equation: the paper's equation (``"Eq. 9"``).
        label: the name in prose (``"exact"``, ``"Taylor"``).
        coordinates: the solver coordinates, in words (``"logit"``, ``"log"``).
        identity_in_M: multiple of ``I`` the dynamics adds to ``M`` (Taylor: 1).
        guess_shift: added to ``M_ii`` in the uncoupled starting guess
            :math:`-\log\alpha = c_i + (M_{ii} + \text{shift})\alpha` (exact: 1, its
            Taylor expansion :math:`\log(1-\alpha)\approx-\alpha`).
        alpha_max: the upper end of the domain of :math:`\alpha` (exact: 1, Taylor:
            infinity): the link's barrier, if any.
        link_root: the :math:`\alpha` at which :math:`\ell(\alpha) = 0` (exact: 1/2,
            Taylor: 1); a fixed point with :math:`(M\alpha)_i > 0` has
            :math:`\alpha_i` below it.

    A :class:`Dynamics` compares equal to its name, so legacy code comparing with a
    string keeps working.

    Paper: Eq. 9, Eq. 10, Eq. 18 (the link is their log term).
    """

    name: ClassVar[str]
    equation: ClassVar[str]
    label: ClassVar[str]
    coordinates: ClassVar[str]
    identity_in_M: ClassVar[int]
    guess_shift: ClassVar[float]
    alpha_max: ClassVar[float]
    link_root: ClassVar[float]

    # ------------------------------------------------------------------ the link
    @abstractmethod
    def link(self, a: Any, ctx: Any = FLOAT) -> Any:
        r""":math:`\ell(\alpha)` elementwise (no validation); ``ctx`` any context with
        ``log`` and ``log1p`` (float64, mpmath, intervals, SymPy)."""

    @abstractmethod
    def link_slope(self, a: Any) -> Any:
        r""":math:`-\ell'(\alpha) > 0` elementwise (the diagonal of the Jacobian)."""

    @abstractmethod
    def link_from_log(self, loga: Any, ctx: Any = FLOAT) -> Any:
        r""":math:`\ell(e^{u})` from :math:`u = \log\alpha`, with only ``ctx.exp``,
        ``ctx.log1p`` and arithmetic (so it runs on intervals and SymPy too)."""

    @abstractmethod
    def log_slope(self, a: Any) -> Any:
        r""":math:`-d\ell/d\log\alpha = \alpha\,(-\ell'(\alpha))` without the cancellation
        of that product (exact: :math:`1/(1-\alpha)`, Taylor: 1)."""

    @abstractmethod
    def scaled_slope_quotient(self, a1: Any, a2: Any) -> Any:
        r""":math:`\alpha_1\alpha_2\,(\ell'(\alpha_2) - \ell'(\alpha_1))/(\alpha_2 -
        \alpha_1)`, the link slope's divided difference scaled by :math:`\alpha_1\alpha_2`,
        written without cancellation (exact:
        :math:`(1-\alpha_1-\alpha_2)/((1-\alpha_1)(1-\alpha_2))`, Taylor: 1). It is the
        factor ``E`` of the all-orders Theorem 2 (its sign decides the exact dynamics').

        Paper: Theorem 2 (Eq. 16), via derivation ``theorem-2-all-orders``."""

    @abstractmethod
    def check_alpha(self, name: str, alpha: Any, n: int) -> np.ndarray:
        """Validate ``(n,)`` dual variables inside the dynamics' domain (ValueError)."""

    # ----------------------------------------------------------- the coordinates
    def to_coords(self, a: Any, ctx: Context = FLOAT) -> Any:
        r"""Solver coordinates :math:`x = -\ell(\alpha)` (no validation)."""
        return -self.link(a, ctx)

    @abstractmethod
    def from_coords(self, x: Any, ctx: Context = FLOAT) -> tuple[Any, Any]:
        r"""``(alpha, d alpha / dx)`` from solver coordinates, without overflow."""

    @abstractmethod
    def log_alpha(self, x: Any, ctx: Context = FLOAT) -> Any:
        r""":math:`\log\alpha` from solver coordinates, without underflow."""

    @abstractmethod
    def inverse_slope_derivative(self, a: Any, gp: Any) -> Any:
        r""":math:`d(1/g'(x))/dx` (for the Jacobian of the ODE in coordinates)."""

    @abstractmethod
    def coords_from_log_alpha(self, loga: Any, ctx: Context = FLOAT) -> Any:
        r"""Coordinates of :math:`\alpha = e^{\log\alpha}` (the uncoupled guess)."""

    @abstractmethod
    def entropy(self, x: Any, a: Any, ctx: Context = FLOAT) -> Any:
        r"""The entropy term of the dual objective, elementwise, at :math:`\alpha = g(x)`
        (exact: :math:`H(\alpha)`, Eq. 6; Taylor: :math:`\alpha(1 - \log\alpha)`)."""

    # ---------------------------------------------------------- engine pieces
    def clamp(self, x: Any) -> Any:
        """Coordinates clamped where ``g`` would overflow (default: none)."""
        return x

    @abstractmethod
    def max_step(self, x: Any, p: Any, ctx: Context = FLOAT) -> Any:
        r"""Largest ``t`` per instance keeping :math:`\alpha + t\,g'(x)p` in the domain."""

    @abstractmethod
    def curve(self, x: Any, p: Any, t: Any, ctx: Context = FLOAT) -> Any:
        r"""The point :math:`\alpha + t\,g'(x)p` (a straight line in :math:`\alpha`) in
        solver coordinates, without cancellation; :math:`x + tp` to first order."""

    # ------------------------------------------------------------- identity
    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return other == self.name
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(self.name)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
