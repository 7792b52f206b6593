r"""The exact dual dynamics (Eq. 9 for ridge, Eq. 18 for spectral decoupling).

Link :math:`\ell(\alpha) = \log\frac{1-\alpha}{\alpha}` on :math:`(0, 1)`; solver
coordinates the logit :math:`x = \log\frac{\alpha}{1-\alpha}`, :math:`\alpha =
\sigma(x)`, :math:`g'(x) = \sigma(x)\sigma(-x)`.

Example:
    >>> import numpy as np
    >>> a, gp = EXACT.from_coords(np.array([0.0]))
    >>> float(a[0]), float(gp[0])
    (0.5, 0.25)

Paper: Eq. 9 (Sec. 3.2), Eq. 18 (Sec. 3.4).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import validation as check
from ..contexts import FLOAT, Context
from .base import Dynamics


class Exact(Dynamics):
    """Eq. 9 / Eq. 18: logit link, logit coordinates.

    Paper: Eq. 9 (Sec. 3.2), Eq. 18 (Sec. 3.4).
    """

    name = "exact"
    equation = "Eq. 9"
    label = "exact"
    coordinates = "logit"
    identity_in_M = 0
    guess_shift = 1.0
    alpha_max = 1.0
    link_root = 0.5

    def link(self, a: Any, ctx: Any = FLOAT) -> Any:
        return ctx.log1p(-a) - ctx.log(a)

    def link_slope(self, a: Any) -> Any:
        return 1 / (a * (1 - a))

    def link_from_log(self, loga: Any, ctx: Any = FLOAT) -> Any:
        return ctx.log1p(-ctx.exp(loga)) - loga

    def log_slope(self, a: Any) -> Any:
        return 1 / (1 - a)

    def scaled_slope_quotient(self, a1: Any, a2: Any) -> Any:
        return (1 - a1 - a2) / ((1 - a1) * (1 - a2))

    def check_alpha(self, name: str, alpha: Any, n: int) -> np.ndarray:
        return check.probabilities(name, alpha, ndim=1, shape=(n,))

    def from_coords(self, x: Any, ctx: Context = FLOAT) -> tuple[Any, Any]:
        a = ctx.expit(x)
        return a, a * ctx.expit(-x)

    def log_alpha(self, x: Any, ctx: Context = FLOAT) -> Any:
        return ctx.log_expit(x)

    def inverse_slope_derivative(self, a: Any, gp: Any) -> Any:
        return -(1.0 - 2.0 * a) / gp

    def coords_from_log_alpha(self, loga: Any, ctx: Context = FLOAT) -> Any:
        loga = np.minimum(loga, np.log1p(-1e-12))
        return loga - ctx.log1p(-ctx.exp(loga))

    def entropy(self, x: Any, a: Any, ctx: Context = FLOAT) -> Any:
        # -log(alpha) = softplus(-x), -log(1 - alpha) = softplus(x), 1 - alpha = expit(-x)
        return a * ctx.softplus(-x) + ctx.expit(-x) * ctx.softplus(x)

    def max_step(self, x: Any, p: Any, ctx: Context = FLOAT) -> Any:
        a = ctx.expit(x)
        b = ctx.expit(-x)                 # 1 - alpha without cancellation
        den = np.where(p < 0, -b * p, np.where(p > 0, a * p, 0.0))
        with np.errstate(divide="ignore", over="ignore"):
            lim = np.where(den > 0, 1.0 / np.where(den > 0, den, 1.0), np.inf)
        return np.min(lim, axis=1)

    def curve(self, x: Any, p: Any, t: Any, ctx: Context = FLOAT) -> Any:
        # x + log(1 + t (1 - alpha) p) - log(1 - t alpha p)
        tp = t[:, None] * p
        return x + ctx.log1p(ctx.expit(-x) * tp) - ctx.log1p(-ctx.expit(x) * tp)


#: The exact dynamics.
EXACT = Exact()
