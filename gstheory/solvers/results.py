r"""Result types of the fixed-point solvers and their status.

:class:`Status` follows diffrax's ``RESULTS``: every member but :attr:`Status.SUCCESSFUL`
reads as the failure message, so ``fp.status.value`` can be shown to a user as it is.
``converged`` stays available as a boolean property (``status is Status.SUCCESSFUL``).

Example:
    >>> Status.MAX_ITER_REACHED.value
    'Newton reached max_iter before the residual fell below tol'

Paper: Eq. 11 (the responses every result carries).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import mpmath as mp
import numpy as np


class Status(Enum):
    """Why a solver stopped (values are the messages; SUCCESSFUL has none).

    Paper: none (infrastructure).
    """

    SUCCESSFUL = ""
    MAX_ITER_REACHED = "Newton reached max_iter before the residual fell below tol"
    STAGNATED = ("Newton's steps stopped moving the iterate (the rounding floor) while the "
                 "residual was still above tol")
    NON_FINITE = "the iterate is not finite (the parameters are beyond float64's range)"
    RESIDUAL_ABOVE_TOL = "the closed form's relative residual exceeds 1e3 machine epsilons"

    @property
    def converged(self) -> bool:
        return self is Status.SUCCESSFUL


#: Status members in a fixed order: batched results store their index (``int8``).
STATUSES: tuple[Status, ...] = tuple(Status)
_CODE = {s: k for k, s in enumerate(STATUSES)}


def status_code(status: Status) -> int:
    """Index of ``status`` in :data:`STATUSES`.

    Paper: none (infrastructure).
    """
    return _CODE[status]


class ConvergenceError(ValueError):
    """Newton did not reach the tolerance (parameters at float64's limits).

    A ValueError, so the command line reports it in one line; retry with the mpmath
    solver (``--precision``) or milder parameters.

    Paper: none (infrastructure).
    """


@dataclass(frozen=True, eq=False)
class FixedPoint:
    r"""A fixed point of the dual dynamics and its responses.

    Attributes:
        alpha: ``(n,)`` dual variables :math:`\alpha^*`.
        z: ``(n,)`` responses :math:`z^*` (Eq. 11).
        residual: relative residual of the fixed-point equation
            (:mod:`gstheory.solvers.newton`).
        iterations: Newton iterations used (0 for closed forms).
        status: :class:`Status` (``converged`` is ``status is Status.SUCCESSFUL``).
        penalty: ``"ridge"`` or ``"sd"``; dynamics: the dynamics' name.
        method: ``"newton"``, ``"closed-form"`` or ``"mpmath"``.

    Paper: Eq. 11.
    """

    alpha: np.ndarray
    z: np.ndarray
    residual: float
    iterations: int
    status: Status
    penalty: str
    dynamics: str
    method: str = "newton"

    @property
    def converged(self) -> bool:
        """Whether ``residual`` met the tolerance."""
        return self.status is Status.SUCCESSFUL

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"alpha": self.alpha.tolist(), "z": self.z.tolist(),
                "residual": float(self.residual), "iterations": int(self.iterations),
                "converged": bool(self.converged), "penalty": self.penalty,
                "dynamics": self.dynamics, "method": self.method}


@dataclass(frozen=True, eq=False)
class FixedPoints:
    """Batched fixed points: every array has a leading batch axis ``B``.

    Attributes:
        alpha, z: ``(B, n)``; residual: ``(B,)``; iterations: ``(B,)`` ints;
        status_codes: ``(B,)`` indices into :data:`STATUSES`; penalty, dynamics: names.

    Paper: Eq. 11.
    """

    alpha: np.ndarray
    z: np.ndarray
    residual: np.ndarray
    iterations: np.ndarray
    status_codes: np.ndarray
    penalty: str
    dynamics: str

    @property
    def converged(self) -> np.ndarray:
        """``(B,)`` bools: the instances whose status is SUCCESSFUL."""
        return self.status_codes == status_code(Status.SUCCESSFUL)

    def status(self, k: int) -> Status:
        """The :class:`Status` of instance ``k``."""
        return STATUSES[int(self.status_codes[k])]

    def __len__(self) -> int:
        return int(self.alpha.shape[0])

    def __getitem__(self, k: int) -> FixedPoint:
        return FixedPoint(self.alpha[k], self.z[k], float(self.residual[k]),
                          int(self.iterations[k]), self.status(k), self.penalty,
                          self.dynamics)


@dataclass(frozen=True, eq=False)
class FixedPointMP:
    """A fixed point computed in mpmath at ``dps`` significant digits.

    Attributes:
        alpha, z: tuples of ``mpmath.mpf``; residual: ``mpf`` (relative, as in float64);
        iterations, status, penalty, dynamics, dps.

    Paper: Eq. 11.
    """

    alpha: tuple
    z: tuple
    residual: Any
    iterations: int
    status: Status
    penalty: str
    dynamics: str
    dps: int

    @property
    def converged(self) -> bool:
        """Whether the residual fell below :math:`10^{-(dps-5)}`."""
        return self.status is Status.SUCCESSFUL

    def to_float(self) -> FixedPoint:
        """Rounded to float64 as a :class:`FixedPoint` (``method="mpmath"``)."""
        return FixedPoint(np.array([float(v) for v in self.alpha]),
                          np.array([float(v) for v in self.z]), float(self.residual),
                          self.iterations, self.status, self.penalty, self.dynamics,
                          "mpmath")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; full-precision values as decimal strings."""
        return {"alpha": [float(v) for v in self.alpha], "z": [float(v) for v in self.z],
                "alpha_digits": [mp.nstr(v, self.dps) for v in self.alpha],
                "z_digits": [mp.nstr(v, self.dps) for v in self.z],
                "residual": float(self.residual), "iterations": self.iterations,
                "converged": self.converged, "penalty": self.penalty,
                "dynamics": self.dynamics, "dps": self.dps}
