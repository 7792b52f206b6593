r"""Multi-class spectra: the centred kernel of the linearised K-logit model and its SVD.

Paper: Definition 1 and Eq. 4 (Sec. 3.1), generalised to K classes (Sec. 3.3 says the
argument "extends to multi-class settings"; the definitions below are this package's).

The model is :math:`\hat y_i = \Phi_i\theta \in \mathbb R^K` with :math:`\Phi_i` a
``K x m`` matrix; stacking the rows gives :math:`\Phi \in \mathbb R^{nK\times m}` (row
``i*K + c`` is example ``i``, class ``c``). Softmax is invariant to adding a constant to
all logits of an example, and the dual variables :math:`\alpha_i = e_{y_i} - p_i` sum to
zero over the classes, so only the **centred** part of the model matters: with
:math:`C = I_K - \frac1K\mathbf 1\mathbf 1^T` and :math:`C_n = I_n\otimes C`,

.. math:: C_n\Phi = U S V^T \qquad\text{(thin SVD, positive singular values only)}

defines the features (columns of ``V``), their strengths :math:`s_j` and how each
(example, class) pair carries them (columns of ``U``, which lie in the centred subspace).
The dual needs only the centred Gram :math:`G_c = C_n\Phi\Phi^T C_n = U S^2 U^T`.
Responses are :math:`z = U^T C_n\hat y = S V^T\theta` (the analogue of Eq. 4) and at the
optimum :math:`z^* = \frac1\lambda S^2 U^T\alpha^*` (the analogue of Eq. 11).

**Why group magnitudes (convention-free).** A singular vector pair may flip sign
(:math:`u_j, v_j \to -u_j, -v_j`), which flips :math:`z_j`; and a repeated singular value
leaves only the subspace of its singular vectors defined, not a basis. The shared-feature
model :math:`\hat y_i = W^T x_i` (:math:`\Phi_i = I_K\otimes x_i^T`) has exactly this
degeneracy: :math:`C_n\Phi = X\otimes C`, so every data feature :math:`v_j` of
:math:`X = U_X S_X V_X^T` carries :math:`K - 1` columns of equal strength
:math:`s_j`, one per direction of the centred class space. A :class:`MulticlassSpectrum`
therefore partitions its columns into **groups** (one per feature; a singleton for a
simple singular value) and reports the group magnitude
:math:`\|z_g\| = \|U_g^T C_n\hat y\|`. It depends only on the projector
:math:`U_gU_g^T` (a Gram-invariant of the spectral subspace), not on signs or on the basis
chosen inside the group; for the shared model :math:`\|z_j\| = s_j\|C W^T v_j\|`. The
signed per-column :math:`z` is reported beside it.

Example:
    >>> import numpy as np
    >>> sp = from_shared_features(np.eye(3), [0, 1, 2])
    >>> sp.K, sp.n, len(sp.groups)
    (3, 3, 3)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import validation as check

#: A singular value below ``RANK_TOL * s_max`` counts as zero (outside the spectrum).
RANK_TOL = 1e-10


def centring(K: int) -> np.ndarray:
    r""":math:`C = I_K - \frac1K\mathbf 1\mathbf 1^T` (projector on the centred logits).

    Paper: Definition 1; beyond the paper: the centring of K-class logits.
    """
    K = check.integer("K", K, minimum=2)
    return np.eye(K) - np.full((K, K), 1.0 / K)


def centred_basis(K: int) -> np.ndarray:
    r"""``(K, K-1)`` orthonormal basis ``Q`` of the centred subspace (Helmert contrasts):
    :math:`Q^TQ = I`, :math:`QQ^T = C`, :math:`\mathbf 1^TQ = 0`.

    Paper: Definition 1; beyond the paper: the centring of K-class logits.
    """
    K = check.integer("K", K, minimum=2)
    Q = np.zeros((K, K - 1))
    for j in range(1, K):
        Q[:j, j - 1] = 1.0
        Q[j, j - 1] = -float(j)
        Q[:, j - 1] /= np.sqrt(j * (j + 1.0))
    return Q


def class_labels(name: str, y: Any, K: int | None = None, *, n: int | None = None
                 ) -> tuple[np.ndarray, int]:
    """Integer class labels in ``0..K-1`` (``K`` inferred as ``max + 1`` if ``None``).

    Returns:
        ``(labels as int64 array, K)``.

    Raises:
        ValueError: NaN, non-integers, negative labels, labels >= K, K < 2, wrong length.

    Paper: the labels of Sec. 3.1; beyond the paper: K classes.
    """
    arr = check.finite_array(name, y, ndim=1, shape=None if n is None else (n,))
    if arr.size == 0:
        raise check.fail(name, y, "must contain at least one label")
    if not np.all(arr == np.round(arr)) or np.any(arr < 0):
        raise check.fail(name, y, "every label must be an integer class index >= 0")
    lab = arr.astype(np.int64)
    if K is None:
        K = max(int(lab.max()) + 1, 2)
    K = check.integer("K", K, minimum=2)
    if lab.max() >= K:
        raise check.fail(name, y, f"every label must lie in 0..{K - 1} (K={K})")
    return lab, K


def one_hot(y: np.ndarray, K: int) -> np.ndarray:
    """``(n, K)`` one-hot rows :math:`e_{y_i}`.

    Paper: the labels of Sec. 3.1; beyond the paper: their one-hot K-class form.
    """
    E = np.zeros((y.shape[0], K))
    E[np.arange(y.shape[0]), y] = 1.0
    return E


@dataclass(frozen=True, eq=False)
class MulticlassSpectrum:
    r"""The spectrum of the centred K-logit model :math:`C_n\Phi = USV^T` with labels.

    Arguments:
        U: ``(n*K, r)`` orthonormal columns in the centred subspace (every class block of
            every column sums to 0).
        s2: ``(r,)`` squared strengths > 0.
        y: ``(n,)`` integer labels in ``0..K-1``.
        K: number of classes (>= 2).
        groups: partition of ``range(r)`` into features (default: singletons).
        V: optional ``(m, r)`` right singular vectors (orthonormal columns).

    Raises:
        ValueError: shapes that disagree, ``U`` not orthonormal or not centred, a
            non-positive strength, strengths unequal inside a group, a bad partition.

    Paper: Definition 1 (K-class form; module docstring).
    """

    U: np.ndarray
    s2: np.ndarray
    y: np.ndarray
    K: int
    groups: tuple[tuple[int, ...], ...] = ()
    V: np.ndarray | None = None

    def __post_init__(self) -> None:
        lab, K = class_labels("y", self.y, self.K)
        n = lab.shape[0]
        U = check.finite_array("U", self.U, ndim=2, shape=(n * K, None))
        r = U.shape[1]
        if r < 1:
            raise check.fail("U", self.U, "must have at least one column (rank >= 1)")
        s2 = check.positive_array("s2", self.s2, ndim=1, shape=(r,))
        err = float(np.max(np.abs(U.T @ U - np.eye(r))))
        if err > check.ORTHOGONALITY_TOL:
            raise check.fail("U", self.U, f"must have orthonormal columns: max|U^T U - I| "
                                          f"= {err:.3g}")
        off = float(np.max(np.abs(U.reshape(n, K, r).sum(axis=1))))
        if off > check.ORTHOGONALITY_TOL:
            raise check.fail("U", self.U, f"columns must lie in the centred subspace (each "
                                          f"class block sums to 0); max |sum| = {off:.3g}")
        groups = self.groups or tuple((j,) for j in range(r))
        flat = sorted(j for g in groups for j in g)
        if flat != list(range(r)) or any(len(g) == 0 for g in groups):
            raise check.fail("groups", self.groups, f"must partition 0..{r - 1}")
        for g in groups:
            vals = s2[list(g)]
            if np.max(vals) - np.min(vals) > 1e-10 * np.max(vals):
                raise check.fail("groups", self.groups, "strengths must be equal inside a "
                                                        "group (one feature, one strength)")
        groups = tuple(tuple(int(j) for j in g) for g in groups)
        if self.V is not None:
            V = check.finite_array("V", self.V, ndim=2, shape=(None, r))
            if float(np.max(np.abs(V.T @ V - np.eye(r)))) > check.ORTHOGONALITY_TOL:
                raise check.fail("V", self.V, "must have orthonormal columns")
            object.__setattr__(self, "V", V)
        object.__setattr__(self, "U", U)
        object.__setattr__(self, "s2", s2)
        object.__setattr__(self, "y", lab)
        object.__setattr__(self, "K", K)
        object.__setattr__(self, "groups", groups)

    @property
    def n(self) -> int:
        """Number of examples."""
        return int(self.y.shape[0])

    @property
    def r(self) -> int:
        """Number of spectral columns (rank of the centred model)."""
        return int(self.s2.shape[0])

    def targets(self) -> np.ndarray:
        r"""``(n*K,)`` stacked one-hot targets :math:`e_{y_i}`."""
        return one_hot(self.y, self.K).reshape(-1)

    def gram(self) -> np.ndarray:
        r"""The centred Gram :math:`G_c = US^2U^T = C_n\Phi\Phi^TC_n` (``nK x nK``)."""
        G = (self.U * self.s2) @ self.U.T
        return 0.5 * (G + G.T)

    def group_strengths(self) -> np.ndarray:
        """``(G,)`` squared strength of each group (feature)."""
        return np.array([self.s2[g[0]] for g in self.groups])

    def with_group_s2(self, s2: Any) -> MulticlassSpectrum:
        """The same subspaces with other squared strengths, one per group."""
        v = check.positive_array("s2", s2, ndim=1, shape=(len(self.groups),))
        new = np.empty(self.r)
        for val, g in zip(v, self.groups):
            new[list(g)] = val
        return MulticlassSpectrum(self.U, new, self.y, self.K, self.groups, self.V)

    def z_from_yhat(self, yhat: Any) -> np.ndarray:
        r"""Signed responses :math:`z = U^TC_n\hat y` from ``(n, K)`` logits (centring is
        implied: the columns of ``U`` are centred)."""
        Y = check.finite_array("yhat", yhat, ndim=2, shape=(self.n, self.K))
        return self.U.T @ Y.reshape(-1)

    def group_norms(self, z: Any) -> np.ndarray:
        r"""Convention-free magnitudes :math:`\|z_g\|` per group (module docstring)."""
        zv = check.finite_array("z", z, ndim=1, shape=(self.r,))
        return np.array([float(np.linalg.norm(zv[list(g)])) for g in self.groups])


def _thin_svd(A: np.ndarray, name: str, value: Any) -> tuple[np.ndarray, ...]:
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    if s.size == 0 or s[0] == 0.0:
        raise check.fail(name, value, "is zero: the model has no feature to learn")
    keep = s > RANK_TOL * s[0]
    return U[:, keep], s[keep], Vt[keep].T


def _group_equal(s: np.ndarray, reps: int) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(range(j * reps, (j + 1) * reps)) for j in range(s.shape[0]))


def from_features(Phi: Any, y: Any, K: int | None = None) -> MulticlassSpectrum:
    r"""Spectrum of the general K-logit linear model :math:`\hat y_i = \Phi_i\theta`.

    Arguments:
        Phi: ``(n, K, m)`` per-example Jacobians :math:`\Phi_i`.
        y: ``(n,)`` labels in ``0..K-1``; K: classes (default ``Phi.shape[1]``).

    Returns:
        :class:`MulticlassSpectrum` of :math:`C_n\Phi` (singleton groups; simple singular
        values are generic for a general :math:`\Phi`).

    Raises:
        ValueError: wrong shapes, NaN/inf, bad labels, ``Phi`` zero.

    Paper: Definition 1 (K-class form).
    """
    P = check.finite_array("Phi", Phi, ndim=3)
    n, Kp, m = P.shape
    lab, K = class_labels("y", y, Kp if K is None else K, n=n)
    if Kp != K:
        raise check.fail("Phi", P, f"must have K={K} rows per example, got {Kp}")
    Pc = (P - P.mean(axis=1, keepdims=True)).reshape(n * K, m)
    U, s, V = _thin_svd(Pc, "Phi", P)
    # Singular values equal to rounding are one feature (a degenerate subspace).
    groups: list[list[int]] = []
    for j in range(s.shape[0]):
        if groups and abs(s[groups[-1][0]] - s[j]) <= 1e-9 * s[0]:
            groups[-1].append(j)
        else:
            groups.append([j])
    s2 = s**2
    for g in groups:
        s2[g] = np.mean(s2[g])
    return MulticlassSpectrum(U, s2, lab, K, tuple(map(tuple, groups)), V)


def from_shared_features(X: Any, y: Any, K: int | None = None) -> MulticlassSpectrum:
    r"""Spectrum of the shared-feature model :math:`\hat y_i = W^Tx_i`
    (:math:`\Phi_i = I_K\otimes x_i^T`, :math:`\theta = \mathrm{vec}(W)` row-major).

    :math:`C_n\Phi = X\otimes C = (U_X\otimes Q)(S_X\otimes I_{K-1})(V_X\otimes Q)^T`: one
    group of ``K - 1`` columns per data feature :math:`v_j` of ``X`` (module docstring).

    Arguments:
        X: ``(n, d)`` inputs; y: ``(n,)`` labels in ``0..K-1``; K: default ``max(y)+1``.

    Raises:
        ValueError: wrong shapes, NaN/inf, bad labels, ``X`` zero.

    Paper: Definition 1 (K-class form).
    """
    Xm = check.finite_array("X", X, ndim=2)
    lab, K = class_labels("y", y, K, n=Xm.shape[0])
    Ux, s, Vx = _thin_svd(Xm, "X", Xm)
    Q = centred_basis(K)
    return MulticlassSpectrum(np.kron(Ux, Q), np.repeat(s**2, K - 1), lab, K,
                              _group_equal(s, K - 1), np.kron(Vx, Q))


def coupled_pair(s2: Any, delta: float, K: int, labels: Any = (0, 1)) -> MulticlassSpectrum:
    r"""Two examples, two shared data features coupled as in Eq. 15, ``K`` classes.

    :math:`XX^T = U_\delta\,\mathrm{diag}(s_1^2, s_2^2)\,U_\delta^T` with
    :math:`U_\delta` of Eq. 15; the model is :math:`\hat y_i = W^Tx_i`, so the centred
    Gram is :math:`XX^T\otimes C` and each feature is a group of ``K - 1`` columns. At
    ``delta = 0`` example ``i`` carries feature ``i`` only. ``labels`` are the two
    examples' classes (distinct: the K-class analogue of Theorem 2's binary task).

    Raises:
        ValueError: ``delta`` outside ``(-1, 1)``, bad strengths, labels or ``K``.

    Paper: Eq. 15, Theorem 2 (K-class form).
    """
    from ..spectrum import coupling_matrix

    s2v = check.positive_array("s2", s2, ndim=1, shape=(2,))
    lab, K = class_labels("labels", labels, K, n=2)
    Ux = coupling_matrix(2, delta)
    Q = centred_basis(K)
    return MulticlassSpectrum(np.kron(Ux, Q), np.repeat(s2v, K - 1), lab, K,
                              _group_equal(s2v, K - 1))
