"""Primal optimum == dual fixed point (alpha* and z*), for ridge and SD."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gstheory.dual import dual_objective
from gstheory.fixed_points import solve_fixed_point
from gstheory.penalties import Ridge, SpectralDecoupling
from gstheory.primal import (
    minimise_primal,
    primal_gradient,
    primal_objective,
    sigmoid,
    softplus,
    theta_to_z,
)

from .strategies import examples, lams, spectra

# The primal Newton stops at a relative gradient of 1e-13; alpha = sigmoid(-margin) and
# z inherit that times the conditioning of the (strictly convex) problem: 1e-8 relative.
REL_PRIMAL = 1e-8


def features(sp, m_extra: int, seed: int):
    """(Phi0, y) with Y Phi0 = U S V^T for the given spectrum and a random V (m x n)."""
    rng = np.random.default_rng(seed)
    n = sp.n
    V = np.linalg.qr(rng.standard_normal((n + m_extra, n)))[0]
    y = rng.choice([-1.0, 1.0], size=n)
    Phi = y[:, None] * ((sp.U * np.sqrt(sp.s2)) @ V.T)
    return Phi, y


@settings(max_examples=examples(20))
@given(sp=spectra(st.integers(1, 5)), lam=lams(), m_extra=st.integers(0, 4),
       seed=st.integers(0, 2**31), sd=st.booleans())
def test_primal_optimum_equals_dual_fixed_point(sp, lam, m_extra, seed, sd):
    """Newton on the exact dual (Eq. 9 / 18) == exact minimiser of Eq. 5 / Eq. 17."""
    pen = SpectralDecoupling(lam) if sd else Ridge(lam)
    Phi, y = features(sp, m_extra, seed)
    sol = minimise_primal(Phi, y, pen)
    assert sol.converged
    # the SVD's U is defined up to column signs/order: compare on the primal's spectrum
    fp = solve_fixed_point(sol.spectrum, pen, "exact")
    assert np.allclose(sol.alpha, fp.alpha, rtol=REL_PRIMAL, atol=0)
    assert np.allclose(sol.z, fp.z, rtol=REL_PRIMAL, atol=REL_PRIMAL * np.max(np.abs(fp.z)))
    # z = S V^T theta (Eq. 4) both ways
    assert np.allclose(theta_to_z(sol.theta, sol.spectrum), sol.z, rtol=1e-9,
                       atol=1e-9 * np.max(np.abs(sol.z)))
    # strong duality: min of Eq. 5 / 17 == max of Eq. 8 (or its SD counterpart)
    D = dual_objective(fp.alpha, sol.spectrum, pen)
    assert abs(sol.objective - D) <= 1e-9 * max(1.0, abs(D))


@given(sp=spectra(st.integers(1, 4)), lam=lams(), seed=st.integers(0, 2**31))
def test_sd_returns_minimum_norm_critical_point(sp, lam, seed):
    """For m > n the SD minimiser is not unique; the returned theta lies in the row space
    of Phi0 (minimum norm) and equals the paper's (1/lam) alpha Y Phi0 V S^-2 V^T."""
    Phi, y = features(sp, 3, seed)
    sol = minimise_primal(Phi, y, SpectralDecoupling(lam))
    P_row = np.linalg.pinv(Phi) @ Phi
    assert np.allclose(P_row @ sol.theta, sol.theta, atol=1e-9 * np.linalg.norm(sol.theta))
    S, V = sol.spectrum.s, sol.spectrum.V
    paper = (1 / lam) * (V / S**2) @ V.T @ Phi.T @ (y * sol.alpha)
    assert np.allclose(sol.theta, paper, rtol=1e-8, atol=1e-8 * np.linalg.norm(paper))
    g = primal_gradient(sol.theta, Phi, y, SpectralDecoupling(lam))
    assert np.linalg.norm(g) <= 1e-8 * max(1.0, np.linalg.norm(Phi.T @ sol.alpha))


def test_primal_objective_and_gradient_by_hand():
    Phi = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]])
    y = np.array([1.0, -1.0])
    th = np.array([0.3, -0.2, 0.5])
    m = y * (Phi @ th)
    val = np.sum(np.log1p(np.exp(-m))) + 0.5 * 0.7 * th @ th
    assert np.isclose(primal_objective(th, Phi, y, Ridge(0.7)), val, rtol=1e-14)
    g = -Phi.T @ (y / (1 + np.exp(m))) + 0.7 * th
    assert np.allclose(primal_gradient(th, Phi, y, Ridge(0.7)), g, rtol=1e-13)
    pen = SpectralDecoupling([0.5, 2.0], [1.0, 0.0])
    val_sd = np.sum(np.log1p(np.exp(-m))) + 0.25 * (m[0] - 1) ** 2 + 1.0 * m[1] ** 2
    assert np.isclose(primal_objective(th, Phi, y, pen), val_sd, rtol=1e-14)


@given(x=st.floats(-700, 700))
def test_sigmoid_softplus_stable(x):
    s = float(sigmoid(np.array(x)))
    assert 0.0 <= s <= 1.0 and np.isfinite(float(softplus(np.array(x))))
    assert abs(float(softplus(np.array(x))) - float(softplus(np.array(-x))) - x) <= 1e-12 * max(
        1.0, abs(x))


def test_minimise_primal_refuses_rank_deficient():
    with pytest.raises(ValueError, match="Phi0"):
        minimise_primal(np.ones((2, 3)), [1, -1], Ridge(1.0))


def test_docstring_examples_run():
    import doctest

    import gstheory.primal as module
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
