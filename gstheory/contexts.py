r"""Number contexts: the elementary operations the solvers need, for float64 and mpmath.

One Newton engine (:mod:`gstheory.solvers.newton`) and one set of dynamics pieces
(:mod:`gstheory.dynamics`) are written once, in numpy array style, over a *context*:

* :data:`FLOAT` -- batched float64 numpy arrays (numpy ufuncs, ``scipy.special``,
  ``numpy.linalg.solve``);
* :data:`MP` -- numpy *object* arrays of ``mpmath.mpf`` at the working precision
  ``mpmath.mp.dps`` (arithmetic, comparisons and ``matmul`` work elementwise on objects;
  the transcendental functions and the linear solve come from mpmath).

Arithmetic (``+ - * /``, ``np.where``, ``np.maximum``, ``np.matmul``, ``np.abs``) is
shared; a context supplies only what numpy cannot do on objects.

Example:
    >>> import numpy as np, mpmath as mp
    >>> float(FLOAT.expit(np.array([0.0]))[0])
    0.5
    >>> with mp.workdps(30):
    ...     x = MP.asarray([[0.0]])
    ...     print(mp.nstr(MP.expit(x)[0, 0], 5))
    0.5
"""

from __future__ import annotations

from typing import Any

import mpmath as mp
import numpy as np
from scipy.special import expit, log_expit


class FloatContext:
    """Batched float64 (the default context).

    Paper: none (infrastructure).
    """

    name = "float64"
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    log1p = staticmethod(np.log1p)
    #: :math:`1/(1 + e^{-x})` without overflow (``scipy.special.expit``).
    expit = staticmethod(expit)
    #: :math:`\log(1/(1 + e^{-x}))` without overflow or cancellation.
    log_expit = staticmethod(log_expit)

    @staticmethod
    def softplus(x: np.ndarray) -> np.ndarray:
        r""":math:`\log(1 + e^x)` without overflow (``numpy.logaddexp``)."""
        return np.logaddexp(0.0, x)

    @staticmethod
    def isfinite(x: np.ndarray) -> np.ndarray:
        return np.asarray(np.isfinite(x), dtype=bool)

    @staticmethod
    def asarray(x: Any) -> np.ndarray:
        return np.asarray(x, dtype=np.float64)

    @staticmethod
    def solve(J: np.ndarray, F: np.ndarray) -> np.ndarray:
        """Batched ``J^{-1} F``: ``J`` is ``(B, n, n)``, ``F`` is ``(B, n)``."""
        return np.linalg.solve(J, F[..., None])[..., 0]

    @staticmethod
    def solve_many(J: np.ndarray, R: np.ndarray) -> np.ndarray:
        """Batched ``J^{-1} R`` for ``R`` of shape ``(B, n, k)``."""
        return np.linalg.solve(J, R)

    @staticmethod
    def norm(F: np.ndarray) -> np.ndarray:
        """Euclidean norm of each row of ``(B, n)``."""
        return np.linalg.norm(F, axis=1)

    @property
    def eps(self) -> float:
        """Unit roundoff scale (machine epsilon)."""
        return float(np.finfo(float).eps)

    @property
    def tiny(self) -> float:
        return float(np.finfo(float).tiny)


def _ufunc(f: Any) -> Any:
    g = np.frompyfunc(f, 1, 1)
    return lambda x: g(x)


class MPContext:
    """Numpy object arrays of ``mpmath.mpf`` at the working precision ``mp.mp.dps``.

    Paper: none (infrastructure).
    """

    name = "mpmath"
    exp = staticmethod(_ufunc(mp.exp))
    log = staticmethod(_ufunc(mp.log))
    log1p = staticmethod(_ufunc(mp.log1p))
    expit = staticmethod(_ufunc(lambda v: 1 / (1 + mp.exp(-v))))
    log_expit = staticmethod(_ufunc(lambda v: -mp.log1p(mp.exp(-v))))
    softplus = staticmethod(_ufunc(lambda v: mp.log1p(mp.exp(v))))

    @staticmethod
    def isfinite(x: np.ndarray) -> np.ndarray:
        return np.asarray(np.frompyfunc(mp.isfinite, 1, 1)(x), dtype=bool)

    @staticmethod
    def asarray(x: Any) -> np.ndarray:
        arr = np.asarray(x, dtype=object)
        return np.frompyfunc(mp.mpf, 1, 1)(arr) if arr.ndim else np.asarray(mp.mpf(x))

    @staticmethod
    def solve(J: np.ndarray, F: np.ndarray) -> np.ndarray:
        out = np.empty(F.shape, dtype=object)
        for b in range(F.shape[0]):
            sol = mp.lu_solve(mp.matrix(J[b].tolist()), mp.matrix(F[b].tolist()))
            out[b] = [sol[i] for i in range(F.shape[1])]
        return out

    @classmethod
    def solve_many(cls, J: np.ndarray, R: np.ndarray) -> np.ndarray:
        return np.stack([cls.solve(J, R[:, :, i]) for i in range(R.shape[2])], axis=2)

    @staticmethod
    def norm(F: np.ndarray) -> np.ndarray:
        return np.array([mp.sqrt(mp.fsum(v * v for v in row)) for row in F], dtype=object)

    @property
    def eps(self) -> Any:
        return mp.mpf(2) ** (-mp.mp.prec)

    @property
    def tiny(self) -> Any:
        return mp.mpf(2) ** (-10**6)


#: The float64 context.
FLOAT = FloatContext()
#: The mpmath context (precision: the caller's ``mpmath.workdps``).
MP = MPContext()

Context = FloatContext | MPContext
