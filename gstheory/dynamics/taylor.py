r"""The Taylor-expanded dual dynamics (Eq. 10).

:math:`\log(1-\alpha)` expanded to :math:`-\alpha`: link :math:`\ell(\alpha) = -\log\alpha`
on :math:`(0, \infty)` and ``M`` gains the identity; solver coordinates
:math:`u = \log\alpha`, :math:`\alpha = e^u = g'(u)`.

Example:
    >>> import numpy as np
    >>> float(TAYLOR.link(np.array([1.0]))[0])
    -0.0

Paper: Eq. 10 (Sec. 3.2), Theorem 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import validation as check
from ..contexts import FLOAT, Context
from .base import LOG_CLAMP, Dynamics


class Taylor(Dynamics):
    """Eq. 10: log link, log coordinates.

    Paper: Eq. 10 (Sec. 3.2).
    """

    name = "taylor"
    equation = "Eq. 10"
    label = "Taylor"
    coordinates = "log"
    identity_in_M = 1
    guess_shift = 0.0
    alpha_max = float("inf")
    link_root = 1.0

    def link(self, a: Any, ctx: Any = FLOAT) -> Any:
        return -ctx.log(a)

    def link_slope(self, a: Any) -> Any:
        return 1 / a

    def link_from_log(self, loga: Any, ctx: Any = FLOAT) -> Any:
        return -loga

    def log_slope(self, a: Any) -> Any:
        return 1

    def scaled_slope_quotient(self, a1: Any, a2: Any) -> Any:
        return 1

    def check_alpha(self, name: str, alpha: Any, n: int) -> np.ndarray:
        return check.positive_array(name, alpha, ndim=1, shape=(n,))

    def from_coords(self, x: Any, ctx: Context = FLOAT) -> tuple[Any, Any]:
        a = ctx.exp(x)
        return a, a

    def log_alpha(self, x: Any, ctx: Context = FLOAT) -> Any:
        return x

    def inverse_slope_derivative(self, a: Any, gp: Any) -> Any:
        return -1.0 / gp

    def coords_from_log_alpha(self, loga: Any, ctx: Context = FLOAT) -> Any:
        return loga

    def entropy(self, x: Any, a: Any, ctx: Context = FLOAT) -> Any:
        return a * (1.0 - x)

    def clamp(self, x: Any) -> Any:
        return np.minimum(x, LOG_CLAMP)

    def max_step(self, x: Any, p: Any, ctx: Context = FLOAT) -> Any:
        den = np.where(p < 0, -p, 0.0)
        with np.errstate(divide="ignore", over="ignore"):
            lim = np.where(den > 0, 1.0 / np.where(den > 0, den, 1.0), np.inf)
        return np.min(lim, axis=1)

    def curve(self, x: Any, p: Any, t: Any, ctx: Context = FLOAT) -> Any:
        return x + ctx.log1p(t[:, None] * p)


#: The Taylor dynamics.
TAYLOR = Taylor()
