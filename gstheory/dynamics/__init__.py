r"""The dual dynamics as types: one small file per variant, one coercion from strings.

* :data:`EXACT` (:class:`~gstheory.dynamics.exact.Exact`): Eq. 9 / Eq. 18, logit link;
* :data:`TAYLOR` (:class:`~gstheory.dynamics.taylor.Taylor`): Eq. 10, log link.

Strings (``"exact"``, ``"taylor"``) exist at the command-line boundary; library functions
accept either form and call :func:`as_dynamics` once at entry.

The trajectories that used to live in ``gstheory.dynamics`` are in
:mod:`gstheory.trajectories`; they are no longer importable from here.

Example:
    >>> as_dynamics("taylor") is TAYLOR
    True
    >>> as_dynamics(EXACT).equation
    'Eq. 9'

Paper: Eq. 9, Eq. 10, Eq. 18.
"""

from __future__ import annotations

from typing import Any

from .. import validation as check
from .base import LOG_CLAMP, Dynamics
from .exact import EXACT, Exact
from .taylor import TAYLOR, Taylor

#: Every dynamics by its command-line name.
REGISTRY: dict[str, Dynamics] = {d.name: d for d in (EXACT, TAYLOR)}
#: The names, for argparse ``choices`` and error messages.
NAMES: tuple[str, ...] = tuple(REGISTRY)


def as_dynamics(dynamics: Any) -> Dynamics:
    """The :class:`Dynamics` for a name or an instance.

    Arguments:
        dynamics: a :class:`Dynamics`, or one of :data:`NAMES`.

    Returns:
        The registered instance.

    Raises:
        ValueError: anything else, naming ``dynamics`` and the allowed values.

    Paper: Eq. 9, Eq. 10, Eq. 18 (the dynamics it selects).
    """
    if isinstance(dynamics, Dynamics):
        return dynamics
    return REGISTRY[check.choice("dynamics", dynamics, NAMES)]


__all__ = ["EXACT", "LOG_CLAMP", "NAMES", "REGISTRY", "TAYLOR", "Dynamics", "Exact",
           "Taylor", "as_dynamics"]
