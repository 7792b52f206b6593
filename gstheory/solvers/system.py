r"""Validated batched inputs of the fixed-point solvers, and the responses (Eq. 11).

:func:`batch_system` turns ``U``, ``s2``, ``lam``, a penalty and a dynamics into the
batched ``(M, c)`` of :mod:`gstheory.dual` (via :func:`gstheory.dual.assemble_system`);
:func:`responses_batch` is Eq. 11 (ridge) and its SD counterpart over a number context.

Paper: Eq. 9, 10, 11, 18.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import validation as check
from ..contexts import FLOAT, Context
from ..dual import assemble_system, check_scale
from ..dynamics import Dynamics, as_dynamics
from ..penalties import Ridge, SpectralDecoupling, penalty_type


@dataclass(frozen=True, eq=False)
class BatchSystem:
    """A validated batch: ``U (B, n, n)``, ``s2 (B, n)``, ``lam (B, n)``, ``M``, ``c``,
    the penalty type and the dynamics.

    Paper: Eq. 9, Eq. 10, Eq. 18 (their ``(M, c)``, batched).
    """

    U: np.ndarray
    s2: np.ndarray
    lam: np.ndarray
    M: np.ndarray
    c: np.ndarray
    penalty: type
    dynamics: Dynamics

    @property
    def ridge(self) -> bool:
        return self.penalty is Ridge


def _batch_orthogonal(U: Any, n: int | None = None) -> np.ndarray:
    """``(B, n, n)`` or ``(n, n)`` orthogonal matrices (tolerance of gstheory.validation)."""
    Um = check.finite_array("U", U)
    if Um.ndim == 2:
        Um = Um[None]
    if Um.ndim != 3 or Um.shape[1] != Um.shape[2] or Um.shape[1] < 1:
        raise check.fail("U", U, f"must have shape (n, n) or (B, n, n) with n >= 1, got "
                                 f"{np.shape(U)}")
    if n is not None and Um.shape[1] != n:
        raise check.fail("U", U, f"must be {n} x {n} to match s2, got {Um.shape[1:]}")
    if Um.shape[0] == 0:
        raise check.fail("U", U, "must contain at least one matrix")
    err = np.max(np.abs(np.einsum("bki,bkj->bij", Um, Um) - np.eye(Um.shape[1])),
                 axis=(1, 2))
    bad = np.flatnonzero(err > check.ORTHOGONALITY_TOL)
    if bad.size:
        k = int(bad[0])
        raise check.fail("U", U, f"must be orthogonal: instance {k} has max|U^T U - I| = "
                                 f"{err[k]:.3g} > tolerance {check.ORTHOGONALITY_TOL:g}")
    return Um


def _batch_param(name: str, value: Any, B: int, n: int, *, per_example: bool,
                 positive: bool) -> np.ndarray:
    """Broadcast a scalar / ``(B,)`` / (``per_example``) ``(B, n)`` parameter to ``(B, n)``."""
    arr = check.finite_array(name, value)
    if positive and arr.size and not np.all(arr > 0):
        raise check.fail(name, value, "every entry must be > 0 (allowed range (0, inf))")
    if arr.ndim == 0:
        return np.full((B, n), float(arr))
    if arr.ndim == 1 and arr.shape[0] == B:
        return np.repeat(arr[:, None], n, axis=1)
    if per_example and arr.shape == (B, n):
        return arr.copy()
    allowed = "a scalar or shape (B,)" + (" or (B, n)" if per_example else "")
    raise check.fail(name, value, f"must be {allowed} with B={B}, n={n}; got shape "
                                  f"{arr.shape}")


def batch_penalty(penalty: Any, lam: Any, gamma: Any) -> tuple[type, Any, Any]:
    """``(penalty type, lam, gamma)`` from a penalty given as a type, an instance (whose
    ``lam``/``gamma`` are used; then ``lam`` and ``gamma`` must be None) or a name.

    Paper: Eq. 5, Eq. 17, Sec. 4.4 (the penalty it selects).
    """
    if isinstance(penalty, (Ridge, SpectralDecoupling)):
        if lam is not None or gamma is not None:
            raise check.fail("lam", lam, "must be None when the penalty object carries "
                                         "lam (and gamma)")
        if isinstance(penalty, Ridge):
            return Ridge, penalty.lam, None
        return SpectralDecoupling, penalty.lam, penalty.gamma
    kind = penalty_type(penalty)
    if lam is None:
        raise check.fail("lam", lam, "is required (a scalar, (B,) or, for sd, (B, n))")
    return kind, lam, gamma


def batch_system(U: Any, s2: Any, lam: Any, penalty: Any, dynamics: Dynamics | str,
                 gamma: Any) -> BatchSystem:
    """Validated, broadcast batch and its ``(M, c)`` (see :class:`BatchSystem`).

    Raises:
        ValueError: non-orthogonal ``U``, non-positive ``s2`` or ``lam``, shapes that
            disagree, NaN/inf, unknown penalty or dynamics, gamma with ridge.

    Paper: Eq. 9, Eq. 10, Eq. 18 (their ``(M, c)``, batched).
    """
    kind, lam, gamma = batch_penalty(penalty, lam, gamma)
    dyn = as_dynamics(dynamics)
    s2a = check.positive_array("s2", s2)
    if s2a.ndim == 1:
        s2a = s2a[None]
    if s2a.ndim != 2 or s2a.shape[1] < 1:
        raise check.fail("s2", s2, f"must have shape (n,) or (B, n), got {np.shape(s2)}")
    Um = _batch_orthogonal(U, s2a.shape[1])
    B = max(Um.shape[0], s2a.shape[0])
    if Um.shape[0] not in (1, B) or s2a.shape[0] not in (1, B):
        raise check.fail("s2", s2, f"batch size {s2a.shape[0]} does not match U's "
                                   f"{Um.shape[0]}")
    n = s2a.shape[1]
    Um = np.broadcast_to(Um, (B, n, n))
    s2a = np.broadcast_to(s2a, (B, n))
    ridge = kind is Ridge
    lam_b = _batch_param("lam", lam, B, n, per_example=not ridge, positive=True)
    if ridge:
        if gamma is not None:
            raise check.fail("gamma", gamma, "is only defined for the sd penalty")
        check_scale(s2a, lam_b)
        g = None
    else:
        g = _batch_param("gamma", 0.0 if gamma is None else gamma, B, n, per_example=True,
                         positive=False)
        check_scale(s2a, lam_b, g)
    M, c = assemble_system(Um, s2a, lam_b, g, dyn)
    return BatchSystem(Um, s2a, lam_b, M, c, kind, dyn)


def responses_batch(alpha: Any, U: Any, s2: Any, lam: Any, c: Any, ridge: bool,
                    ctx: Context = FLOAT) -> Any:
    r"""Responses for a batch, over a number context: ridge (Eq. 11)
    :math:`z = \frac1\lambda S^2 U^T\alpha`; SD :math:`z = U^T(\gamma + \alpha/\lambda)`.

    Arguments:
        alpha, s2, lam, c: ``(B, n)``; U: ``(B, n, n)``; ridge: which formula.

    Paper: Eq. 11 (Sec. 3.2), Sec. 3.4.
    """
    Ut = np.swapaxes(U, 1, 2)
    if ridge:
        return s2 * np.matmul(Ut, alpha[..., None])[..., 0] / lam
    return np.matmul(Ut, (c + alpha / lam)[..., None])[..., 0]
