r"""Input validation shared by every public function of gstheory.

Every check raises :class:`ValueError` whose message names the parameter, the offending
value and the allowed range, e.g. ``lam=-1.0: must be > 0 (allowed range (0, inf))``.
Nothing here computes mathematics; it only refuses input that would otherwise turn into a
silent NaN or a traceback from deep inside numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Default tolerance for ``||U^T U - I||_max`` in :func:`orthogonal`.
ORTHOGONALITY_TOL = 1e-8


def _show(value: Any) -> str:
    """A short printable form of ``value`` for error messages."""
    arr = np.asarray(value) if not isinstance(value, str) else None
    if arr is not None and arr.ndim > 0:
        if arr.size > 6:
            return f"array(shape={arr.shape})"
        return np.array2string(arr, precision=6, separator=", ")
    return repr(value)


def fail(name: str, value: Any, requirement: str) -> ValueError:
    """Build the standard error: ``name=value: requirement``.

    Paper: none (the error format of every input check).
    """
    return ValueError(f"{name}={_show(value)}: {requirement}")


def finite_array(name: str, value: Any, *, ndim: int | None = None,
                 shape: tuple[int | None, ...] | None = None) -> np.ndarray:
    """Return ``value`` as a float64 array, refusing NaN/inf, wrong rank or wrong shape.

    ``shape`` entries that are ``None`` match any length.

    Paper: none (input checking; no equation).
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise fail(name, value, "must be a real number or array of real numbers") from exc
    if ndim is not None and arr.ndim != ndim:
        raise fail(name, value, f"must have {ndim} dimension(s), got {arr.ndim} "
                                f"(shape {arr.shape})")
    if shape is not None:
        want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
        if arr.ndim != len(shape) or any(s is not None and s != a
                                         for s, a in zip(shape, arr.shape)):
            raise fail(name, value, f"must have shape {want}, got {arr.shape}")
    if arr.size and not np.all(np.isfinite(arr)):
        raise fail(name, value, "must be finite (no NaN or inf)")
    return arr


def finite_scalar(name: str, value: Any) -> float:
    """A finite real scalar.

    Paper: none (input checking; no equation).
    """
    if isinstance(value, bool):
        raise fail(name, value, "must be a real number, not a bool")
    arr = finite_array(name, value)
    if arr.ndim != 0:
        raise fail(name, value, "must be a scalar")
    return float(arr)


def positive(name: str, value: Any) -> float:
    """A finite scalar ``> 0``.

    Paper: the strictly positive quantities of Sec. 3: lambda (Eq. 5), s_i^2 (Definition 1).
    """
    x = finite_scalar(name, value)
    if not x > 0:
        raise fail(name, value, "must be > 0 (allowed range (0, inf))")
    return x


def nonnegative(name: str, value: Any) -> float:
    """A finite scalar ``>= 0``.

    Paper: none (input checking; no equation).
    """
    x = finite_scalar(name, value)
    if not x >= 0:
        raise fail(name, value, "must be >= 0 (allowed range [0, inf))")
    return x


def positive_array(name: str, value: Any, *, ndim: int | None = None,
                   shape: tuple[int | None, ...] | None = None) -> np.ndarray:
    """A finite array with every entry ``> 0``.

    Paper: the strengths s_i^2 > 0 of Definition 1.
    """
    arr = finite_array(name, value, ndim=ndim, shape=shape)
    if arr.size and not np.all(arr > 0):
        raise fail(name, value, "every entry must be > 0 (allowed range (0, inf))")
    return arr


def open_interval(name: str, value: Any, lo: float, hi: float) -> float:
    """A finite scalar strictly inside ``(lo, hi)``.

    Paper: none (input checking; e.g. the coupling delta of Eq. 15).
    """
    x = finite_scalar(name, value)
    if not lo < x < hi:
        raise fail(name, value, f"must lie in the open interval ({lo:g}, {hi:g})")
    return x


def probabilities(name: str, value: Any, *, ndim: int | None = None,
                  shape: tuple[int | None, ...] | None = None) -> np.ndarray:
    """Dual variables: a finite array with every entry in the open interval ``(0, 1)``.

    Paper: the dual variables alpha in (0, 1)^n of Eq. 6-8.
    """
    arr = finite_array(name, value, ndim=ndim, shape=shape)
    if arr.size and not np.all((arr > 0) & (arr < 1)):
        raise fail(name, value, "every entry must lie in the open interval (0, 1)")
    return arr


def labels(name: str, value: Any, *, n: int | None = None) -> np.ndarray:
    """Binary labels in ``{-1, +1}`` as a float64 vector.

    Paper: the labels y in {-1, +1}^n of Sec. 3.1.
    """
    arr = finite_array(name, value, ndim=1, shape=None if n is None else (n,))
    if arr.size and not np.all(np.isin(arr, (-1.0, 1.0))):
        raise fail(name, value, "every entry must be -1 or +1")
    return arr


def orthogonal(name: str, value: Any, *, n: int | None = None,
               tol: float = ORTHOGONALITY_TOL) -> np.ndarray:
    """A square matrix with ``max|U^T U - I| <= tol``.

    Paper: U of Definition 1 (the SVD Y Phi_0 = U S V^T).
    """
    U = finite_array(name, value, ndim=2)
    if U.shape[0] != U.shape[1]:
        raise fail(name, value, f"must be square, got shape {U.shape}")
    if n is not None and U.shape[0] != n:
        raise fail(name, value, f"must have shape ({n}, {n}), got {U.shape}")
    err = float(np.max(np.abs(U.T @ U - np.eye(U.shape[0])))) if U.size else 0.0
    if err > tol:
        raise fail(name, value, f"must be orthogonal: max|U^T U - I| = {err:.3g} "
                                f"exceeds the tolerance {tol:g}")
    return U


def integer(name: str, value: Any, *, minimum: int | None = None,
            maximum: int | None = None) -> int:
    """An integer within ``[minimum, maximum]`` (either bound optional).

    Paper: none (input checking; no equation).
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise fail(name, value, "must be an integer")
    v = int(value)
    if (minimum is not None and v < minimum) or (maximum is not None and v > maximum):
        lo = "-inf" if minimum is None else str(minimum)
        hi = "inf" if maximum is None else str(maximum)
        raise fail(name, value, f"must be an integer in [{lo}, {hi}]")
    return v


def choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    """One of a fixed set of strings.

    Paper: none (input checking; no equation).
    """
    if not isinstance(value, str) or value not in allowed:
        raise fail(name, value, f"must be one of {', '.join(allowed)}")
    return str(value)
