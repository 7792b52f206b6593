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
        coordinates: the solver coordinates, in words (``"logit"``, ``"log"``).
        identity_in_M: multiple of ``I`` the dynamics adds to ``M`` (Taylor: 1).
        guess_shift: added to ``M_ii`` in the uncoupled starting guess
            :math:`-\log\alpha = c_i + (M_{ii} + \text{shift})\alpha` (exact: 1, its
            Taylor expansion :math:`\log(1-\alpha)\approx-\alpha`).

    A :class:`Dynamics` compares equal to its name, so legacy code comparing with a
    string keeps working.
    """

    name: ClassVar[str]
    equation: ClassVar[str]
    coordinates: ClassVar[str]
    identity_in_M: ClassVar[float]
    guess_shift: ClassVar[float]

    # ------------------------------------------------------------------ the link
    @abstractmethod
    def link(self, a: Any, ctx: Context = FLOAT) -> Any:
        r""":math:`\ell(\alpha)` elementwise (no validation)."""

    @abstractmethod
    def link_slope(self, a: Any) -> Any:
        r""":math:`-\ell'(\alpha) > 0` elementwise (the diagonal of the Jacobian)."""

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
