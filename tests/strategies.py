"""Shared Hypothesis strategies for gstheory's tests (import them; do not copy them).

Ranges are the issue's: ``lambda`` log-uniform in [1e-4, 1e2], squared strengths
log-uniform in [1e-2, 1e3], coupling ``delta`` in the open interval (0, 1).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from gstheory.spectrum import Spectrum, coupling_matrix

LAM_RANGE = (1e-4, 1e2)
N_FEATURES = st.integers(1, 6)
STRENGTH_RANGE = (1e-2, 1e3)


def log_uniform(lo: float, hi: float) -> st.SearchStrategy[float]:
    """``10**u`` with ``u`` uniform in ``[log10 lo, log10 hi]``."""
    return st.floats(np.log10(lo), np.log10(hi), allow_nan=False).map(lambda u: 10.0 ** u)


def lams(lo: float = LAM_RANGE[0], hi: float = LAM_RANGE[1]) -> st.SearchStrategy[float]:
    """Regularisation strengths, log-uniform (default [1e-4, 1e2])."""
    return log_uniform(lo, hi)


def strengths(lo: float = STRENGTH_RANGE[0],
              hi: float = STRENGTH_RANGE[1]) -> st.SearchStrategy[float]:
    """One squared strength ``s^2``, log-uniform (default [1e-2, 1e3])."""
    return log_uniform(lo, hi)


def deltas(lo: float = 1e-3, hi: float = 0.99) -> st.SearchStrategy[float]:
    """Coupling sizes in ``[lo, hi]`` inside the open interval (0, 1)."""
    return st.floats(lo, hi, allow_nan=False, exclude_min=False)


def spectra_s2(n: int | st.SearchStrategy[int] = N_FEATURES,
               lo: float = STRENGTH_RANGE[0],
               hi: float = STRENGTH_RANGE[1]) -> st.SearchStrategy[np.ndarray]:
    """A vector of ``n`` squared strengths."""
    ns = st.just(n) if isinstance(n, int) else n
    return ns.flatmap(lambda k: st.lists(strengths(lo, hi), min_size=k, max_size=k)).map(
        lambda v: np.array(v, dtype=float))


def orthogonal_matrices(n: int) -> st.SearchStrategy[np.ndarray]:
    """Haar-random ``n x n`` orthogonal matrices (QR of a seeded Gaussian, signs fixed)."""
    def build(seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        Q, R = np.linalg.qr(rng.standard_normal((n, n)))
        return Q * np.sign(np.diag(R))
    return st.integers(0, 2**32 - 1).map(build)


def spectra(n: int | st.SearchStrategy[int] = N_FEATURES, *,
            coupling: str = "random") -> st.SearchStrategy[Spectrum]:
    """Spectra with ``n`` features; ``coupling`` ``"random"`` (Haar ``U``) or ``"delta"``
    (the perturbed identity of Eq. 15 and its n-feature form, delta in [1e-3, 0.99])."""
    ns = st.just(n) if isinstance(n, int) else n

    def for_n(k: int) -> st.SearchStrategy[Spectrum]:
        Us = (orthogonal_matrices(k) if coupling == "random"
              else deltas().map(lambda d: coupling_matrix(k, d)))
        return st.builds(Spectrum, Us, spectra_s2(k))
    return ns.flatmap(for_n)


def two_feature_regime() -> st.SearchStrategy[tuple[float, float, float, float]]:
    """``(s1^2, s2^2, lam, delta)`` with ``s1^2 > s2^2`` (Theorem 2's hypothesis)."""
    return st.tuples(strengths(), strengths(), lams(), deltas(1e-4, 0.7)).filter(
        lambda t: max(t[0], t[1]) > (1 + 1e-6) * min(t[0], t[1])).map(
        lambda t: (max(t[0], t[1]), min(t[0], t[1]), t[2], t[3]))


def examples(n: int) -> int:
    """``n`` examples in the ci profile, 20x that in the thorough profile (for tests that
    set their own ``max_examples``)."""
    import os
    return n * (20 if os.environ.get("GSTHEORY_PROFILE", "ci") == "thorough" else 1)
