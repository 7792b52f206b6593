r"""Feature spectra (Definition 1) and the constructions of Sec. 3.

Paper: Definition 1, Eq. 4, Eq. 15 (Sec. 3.1 and 3.3).

The singular value decomposition :math:`Y \Phi_0 = U S V^T` defines the features (rows of
:math:`V^T`), their strengths :math:`s_j = S_{jj}` and how strongly each example carries
each feature (columns of :math:`U`). Everything the dual theory needs is ``U`` and the
squared strengths ``s2`` (:math:`s_j^2`), since
:math:`Y \Phi_0 \Phi_0^T Y = U S^2 U^T`. ``V`` is needed only to map parameters to
responses, :math:`z = S V^T \theta` (Eq. 4).

Example:
    >>> import numpy as np
    >>> sp = perturbed_identity([36.0, 4.0], delta=0.5)
    >>> np.allclose(sp.U @ sp.U.T, np.eye(2))
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.linalg import expm

from . import validation as check


@dataclass(frozen=True, eq=False)
class Spectrum:
    r"""The spectrum of :math:`Y \Phi_0` (Definition 1).

    Arguments:
        U: ``(n, n)`` orthogonal matrix; column ``j`` holds feature ``j``'s weight in every
            example.
        s2: ``(n,)`` squared strengths :math:`s_j^2 > 0`.
        V: optional ``(m, n)`` matrix with orthonormal columns (right singular vectors);
            row ``j`` of ``V^T`` is feature ``j``.

    Raises:
        ValueError: ``U`` not orthogonal (tolerance
            :data:`gstheory.validation.ORTHOGONALITY_TOL`), a non-positive or non-finite
            strength, or shapes that disagree.

    Paper: Definition 1 (Sec. 3.1).
    """

    U: np.ndarray
    s2: np.ndarray
    V: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        U = check.orthogonal("U", self.U)
        n = U.shape[0]
        if n < 1:
            raise check.fail("U", self.U, "must be at least 1 x 1")
        s2 = check.positive_array("s2", self.s2, ndim=1, shape=(n,))
        object.__setattr__(self, "U", U)
        object.__setattr__(self, "s2", s2)
        if self.V is not None:
            V = check.finite_array("V", self.V, ndim=2, shape=(None, n))
            err = float(np.max(np.abs(V.T @ V - np.eye(n))))
            if err > check.ORTHOGONALITY_TOL:
                raise check.fail("V", self.V, "must have orthonormal columns: "
                                              f"max|V^T V - I| = {err:.3g}")
            object.__setattr__(self, "V", V)
        for name in ("U", "s2", "V"):
            arr = getattr(self, name)
            if arr is not None:
                arr.setflags(write=False)

    @property
    def n(self) -> int:
        """Number of features (= number of examples in the dual)."""
        return int(self.s2.shape[0])

    @property
    def s(self) -> np.ndarray:
        """Strengths :math:`s_j` (square roots of ``s2``)."""
        return np.sqrt(self.s2)

    def gram(self) -> np.ndarray:
        r""":math:`U S^2 U^T = Y \Phi_0 \Phi_0^T Y` (the matrix of Eq. 8 and Eq. 9)."""
        return (self.U * self.s2) @ self.U.T

    def with_s2(self, s2: Any) -> Spectrum:
        """The same ``U`` (and ``V``) with other squared strengths."""
        return Spectrum(self.U, s2, self.V)

    def z_from_margins(self, margins: Any) -> np.ndarray:
        r"""Responses from margins :math:`Y\hat y`: :math:`z = U^T Y \hat y` (Eq. 4)."""
        m = check.finite_array("margins", margins, ndim=1, shape=(self.n,))
        return self.U.T @ m

    def z_from_yhat(self, y: Any, yhat: Any) -> np.ndarray:
        r"""Responses :math:`z = U^T Y \hat y` (Eq. 4) from labels and outputs."""
        yv = check.labels("y", y, n=self.n)
        yh = check.finite_array("yhat", yhat, ndim=1, shape=(self.n,))
        return self.U.T @ (yv * yh)

    def margins_from_z(self, z: Any) -> np.ndarray:
        r"""Inverse of :meth:`z_from_margins`: :math:`Y \hat y = U z`."""
        zv = check.finite_array("z", z, ndim=1, shape=(self.n,))
        return self.U @ zv

    def z_from_theta(self, theta: Any) -> np.ndarray:
        r"""Responses :math:`z = S V^T \theta` (Eq. 4); needs ``V``."""
        if self.V is None:
            raise ValueError("V=None: z_from_theta needs the right singular vectors; build "
                             "the spectrum with from_features(Phi0, y)")
        th = check.finite_array("theta", theta, ndim=1, shape=(self.V.shape[0],))
        return self.s * (self.V.T @ th)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (lists of floats)."""
        out: dict[str, Any] = {"U": self.U.tolist(), "s2": self.s2.tolist()}
        if self.V is not None:
            out["V"] = self.V.tolist()
        return out


def from_features(Phi0: Any, y: Any) -> Spectrum:
    r"""Spectrum of :math:`Y \Phi_0` by SVD, strengths in decreasing order.

    Arguments:
        Phi0: ``(n, m)`` feature (NTRF) matrix with ``m >= n`` and full row rank.
        y: ``(n,)`` labels in ``{-1, +1}``.

    Raises:
        ValueError: wrong shapes, labels outside ``{-1, +1}``, or rank below ``n`` (a zero
            strength has no dual fixed point: add features or drop examples).

    Paper: Definition 1.
    """
    P = check.finite_array("Phi0", Phi0, ndim=2)
    n, m = P.shape
    yv = check.labels("y", y, n=n)
    if m < n:
        raise check.fail("Phi0", P, f"needs at least as many columns as rows (n={n}, "
                                    f"m={m}): the theory assumes Y Phi0 has full row rank")
    U, s, Vt = np.linalg.svd(yv[:, None] * P, full_matrices=False)
    if s[-1] <= s[0] * 1e-12:
        raise check.fail("Phi0", P, f"has numerical rank below n={n} (smallest singular "
                                    f"value {s[-1]:.3g}); every strength must be > 0")
    return Spectrum(U, s**2, Vt.T)


def from_gram(K: Any, y: Any) -> Spectrum:
    r"""Spectrum from a Gram matrix :math:`K = \Phi_0 \Phi_0^T` (e.g. an NTK).

    The eigendecomposition :math:`Y K Y = U S^2 U^T` gives ``U`` and ``s2`` in decreasing
    order; ``V`` is not available without :math:`\Phi_0`.

    Raises:
        ValueError: ``K`` not square/symmetric, labels outside ``{-1, +1}``, or ``K`` not
            positive definite (a zero strength has no dual fixed point).

    Paper: Definition 1 (with :math:`Y \Phi_0 \Phi_0^T Y = U S^2 U^T`).
    """
    Km = check.finite_array("K", K, ndim=2)
    n = Km.shape[0]
    if Km.shape != (n, n):
        raise check.fail("K", Km, f"must be square, got shape {Km.shape}")
    scale = max(float(np.max(np.abs(Km))), 1e-300)
    if float(np.max(np.abs(Km - Km.T))) > 1e-8 * scale:
        raise check.fail("K", Km, "must be symmetric")
    yv = check.labels("y", y, n=n)
    w, U = np.linalg.eigh(yv[:, None] * Km * yv[None, :])
    order = np.argsort(w)[::-1]
    w, U = w[order], U[:, order]
    if w[-1] <= w[0] * 1e-12:
        raise check.fail("K", Km, f"must be positive definite (smallest eigenvalue "
                                  f"{w[-1]:.3g}, largest {w[0]:.3g})")
    return Spectrum(U, w)


def eq15(delta: Any) -> np.ndarray:
    r"""Eq. 15 for one coupling or a batch: ``[[sqrt(1 - d^2), -d], [d, sqrt(1 - d^2)]]``.

    Arguments:
        delta: a scalar or a 1-D array of couplings, each in ``(-1, 1)``.

    Returns:
        ``(2, 2)`` for a scalar, ``(B, 2, 2)`` for ``B`` couplings.

    Raises:
        ValueError: a coupling outside ``(-1, 1)``, NaN/inf, or rank > 1.

    Example:
        >>> eq15(0.6).tolist()
        [[0.8, -0.6], [0.6, 0.8]]

    Paper: Eq. 15 (Sec. 3.3).
    """
    d = check.finite_array("delta", delta)
    if d.ndim > 1:
        raise check.fail("delta", d, f"must be a scalar or 1-D, got shape {d.shape}")
    if d.size and not np.all(np.abs(d) < 1):
        raise check.fail("delta", d, "every entry must lie in the open interval (-1, 1)")
    (u11, u12), (u21, u22) = eq15_entries(d, np.sqrt)
    return np.stack([np.stack([u11, u12], -1), np.stack([u21, u22], -1)], -2)


def eq15_entries(delta: Any, sqrt: Any = math.sqrt) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    r"""The entries ``((c, -delta), (delta, c))`` of Eq. 15, :math:`c = \sqrt{1-\delta^2}`,
    in any number type (floats, numpy arrays, mpmath numbers, intervals: pass the matching
    ``sqrt``). No validation (:func:`eq15` validates); the one definition of Eq. 15.

    Paper: Eq. 15 (Sec. 3.3).
    """
    c = sqrt(1 - delta * delta)
    return (c, -delta), (delta, c)


def eq15_gram(delta: Any, s1sq: Any, s2sq: Any = 1, sqrt: Any = math.sqrt
              ) -> tuple[Any, Any, Any, Any]:
    r"""``(c, G11, G12, G22)``: :math:`c = \sqrt{1-\delta^2}` and the Gram matrix
    :math:`G = U S^2 U^T` of the Eq. 15 spectrum, in closed form.

    :math:`G_{11} = s_1^2 + \delta^2(s_2^2 - s_1^2)`, :math:`G_{12} = c\,\delta\,(s_1^2 -
    s_2^2)`, :math:`G_{22} = s_2^2 + \delta^2(s_1^2 - s_2^2)`: :math:`c^2 = 1 - \delta^2`
    substituted, so each argument appears as few times as possible (tight interval
    enclosures). Only arithmetic and ``sqrt`` are used, so it runs on floats, mpmath
    numbers and intervals (pass the matching ``sqrt``). No validation (:func:`eq15`
    validates).

    Example:
        >>> G = perturbed_identity([4.0, 1.0], 0.6).gram()
        >>> [round(v, 12) for v in eq15_gram(0.6, 4.0, 1.0)[1:]] == [
        ...     round(G[0, 0], 12), round(G[0, 1], 12), round(G[1, 1], 12)]
        True

    Paper: Eq. 15 (Sec. 3.3).
    """
    d2 = delta * delta
    c = eq15_entries(delta, sqrt)[0][0]
    return c, s1sq + d2 * (s2sq - s1sq), c * delta * (s1sq - s2sq), s2sq + d2 * (s1sq - s2sq)


def coupling_matrix(n: int, delta: float, K: Any = None) -> np.ndarray:
    r"""A rotation close to the identity with coupling size ``delta`` (Eq. 15 for n = 2).

    :math:`U = \exp(\arcsin(\delta)\, K / \|K\|_2)` for a skew-symmetric ``K``; by default
    :math:`K_{ij} = \operatorname{sign}(i - j)`. For ``n = 2`` this is exactly Eq. 15,
    ``[[sqrt(1 - delta^2), -delta], [delta, sqrt(1 - delta^2)]]``; in general ``delta`` is
    the sine of the largest principal rotation angle, and ``delta = 0`` gives the identity.

    Raises:
        ValueError: ``delta`` outside ``(-1, 1)``, ``n < 1``, ``K`` not skew-symmetric or of
            the wrong shape.

    Paper: Eq. 15 (Sec. 3.3); the n-feature form goes beyond the paper.
    """
    n = check.integer("n", n, minimum=1)
    d = check.open_interval("delta", delta, -1.0, 1.0)
    if K is None:
        if n == 2:  # Eq. 15 verbatim, no expm rounding
            return eq15(d)
        idx = np.arange(n)
        Km = np.sign(idx[:, None] - idx[None, :]).astype(np.float64)
    else:
        Km = check.finite_array("K", K, ndim=2, shape=(n, n))
        if float(np.max(np.abs(Km + Km.T))) > 1e-12 * max(1.0, float(np.max(np.abs(Km)))):
            raise check.fail("K", Km, "must be skew-symmetric (K^T = -K)")
    norm = float(np.linalg.norm(Km, 2)) if n > 1 else 0.0
    if norm == 0.0:
        return np.eye(n)
    return expm(np.arcsin(d) * Km / norm)


def perturbed_identity(s2: Any, delta: float, K: Any = None) -> Spectrum:
    r"""Spectrum with ``U`` from :func:`coupling_matrix` (Eq. 15 and its n-feature form).

    Paper: Eq. 15, Lemma 1, Theorem 2.
    """
    s2v = check.positive_array("s2", s2, ndim=1)
    return Spectrum(coupling_matrix(s2v.shape[0], delta, K), s2v)


def permutation(s2: Any, perm: Any = None) -> Spectrum:
    r"""``U`` a permutation matrix: feature ``j`` lives in example ``perm[j]`` only.

    The decoupled case 2 of Sec. 3.3 (Eq. 13). ``perm=None`` gives the identity.

    Paper: Eq. 13 (Sec. 3.3).
    """
    s2v = check.positive_array("s2", s2, ndim=1)
    n = s2v.shape[0]
    p = np.arange(n) if perm is None else np.asarray(perm)
    if p.shape != (n,) or not np.array_equal(np.sort(p), np.arange(n)):
        raise check.fail("perm", perm, f"must be a permutation of 0..{n - 1}")
    U = np.zeros((n, n))
    U[p, np.arange(n)] = 1.0
    return Spectrum(U, s2v)


def equal_strengths(s2: float, U: Any) -> Spectrum:
    r"""All strengths equal, :math:`S^2 = s^2 I`, with any orthogonal ``U`` (Eq. 12).

    Paper: Eq. 12 (Sec. 3.3).
    """
    val = check.positive("s2", s2)
    Um = check.orthogonal("U", U)
    return Spectrum(Um, np.full(Um.shape[0], val))
