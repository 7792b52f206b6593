r"""Lambert W of an exponential, :math:`W(e^L)`, and its logarithm, for any real ``L``.

Both come from ``scipy.special.wrightomega`` (the Wright omega function
:math:`\omega(L) = W(e^L)` for real ``L``), which never forms :math:`e^L`. The logarithm
is taken as :math:`\log\omega` where :math:`\omega` is a normal float: the identity
:math:`\log W = L - W` cancels when ``L`` is large (relative error ``L * eps / log L``,
8e-12 at ``L = 1e6``), and is used only for ``L < -30``, where :math:`W \approx e^L` is
tiny (or subnormal) and :math:`L - W` has no cancellation.

Example:
    >>> import numpy as np
    >>> float(lambertw_exp(1.0)[()])
    1.0
    >>> bool(abs(log_lambertw_exp(np.array([-800.0]))[0] + 800.0) < 1e-12)
    True

Paper: the Lambert-W closed forms of Eq. 12, Eq. 13 and Sec. 3.4.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import wrightomega

from .. import validation as check

#: Below this ``L``, :math:`\log W(e^L)` is taken as :math:`L - W` (``W < 1e-13``).
_LOG_SWITCH = -30.0


def lambertw_exp(L: Any) -> np.ndarray:
    r""":math:`W(e^L)` (principal branch) for real ``L``, without overflow.

    Arguments:
        L: real scalar or array.

    Returns:
        array of the shape of ``L`` (subnormal below ``L = -708`` and 0 below ``L = -745``;
        use :func:`log_lambertw_exp` there).

    Raises:
        ValueError: non-finite ``L``.

    Paper: Eq. 12-13 (the Lambert-W closed forms).
    """
    Lv = check.finite_array("L", L)
    return wrightomega(Lv)


def log_lambertw_exp(L: Any) -> np.ndarray:
    r""":math:`\log W(e^L)` for finite real ``L``, without underflow or cancellation.

    Raises:
        ValueError: non-finite ``L``.

    Paper: Eq. 12-13 (the Lambert-W closed forms, in logarithms).
    """
    Lv = check.finite_array("L", L)
    w = wrightomega(Lv)
    with np.errstate(divide="ignore"):
        return np.where(Lv < _LOG_SWITCH, Lv - w, np.log(w))
