"""Hypothesis strategies for the multi-class tests (the shared ranges of
tests/strategies.py where they apply: lambda log-uniform, strengths log-uniform)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from tests.strategies import lams, log_uniform


def labelled_data(n_max: int = 8, d_max: int = 6, K_range: tuple[int, int] = (3, 5)
                  ) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray, int]]:
    """``(X, y, K)``: Gaussian inputs (seeded), every class present at least once."""
    def build(args: tuple[int, int, int, int, float]) -> tuple[np.ndarray, np.ndarray, int]:
        K, n_extra, d, seed, scale = args
        rng = np.random.default_rng(seed)
        n = K + n_extra
        y = np.concatenate([np.arange(K), rng.integers(0, K, n_extra)])
        rng.shuffle(y)
        return scale * rng.standard_normal((n, d)), y, K
    return st.tuples(st.integers(*K_range), st.integers(0, n_max - K_range[1]),
                     st.integers(1, d_max), st.integers(0, 2**32 - 1),
                     log_uniform(0.1, 10.0)).map(build)


def general_jacobians(n_max: int = 4, m_max: int = 6, K_range: tuple[int, int] = (2, 4)
                      ) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray, int]]:
    """``(Phi, y, K)`` with a general (not shared-feature) ``(n, K, m)`` Jacobian."""
    def build(args: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray, int]:
        K, n, m, seed = args
        rng = np.random.default_rng(seed)
        return rng.standard_normal((n, K, m)), rng.integers(0, K, n), K
    return st.tuples(st.integers(*K_range), st.integers(1, n_max), st.integers(1, m_max),
                     st.integers(0, 2**32 - 1)).map(build)


def weight_decays() -> st.SearchStrategy[float]:
    """lambda log-uniform in [1e-3, 1e1] (the regime where sklearn's solvers converge
    to 1e-10 within their iteration caps)."""
    return lams(1e-3, 1e1)
