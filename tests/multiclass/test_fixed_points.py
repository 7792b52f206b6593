"""Fixed point of the K-class dual: primal = dual, Newton = mpmath = ODE, K = 2 = binary."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gstheory
from gstheory.multiclass import (
    coupled_pair,
    dual_objective,
    from_features,
    from_shared_features,
    minimise_primal,
    shared_jacobians,
    solve_fixed_point,
    solve_fixed_point_mp,
    solve_fixed_points,
    theta_from_alpha,
)
from tests.multiclass.strategies import general_jacobians, labelled_data, weight_decays
from tests.strategies import deltas, lams


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@given(labelled_data(), weight_decays())
def test_primal_optimum_is_dual_fixed_point_shared(data, lam):
    X, y, K = data
    fp = solve_fixed_point(from_shared_features(X, y, K), lam)
    assert fp.converged
    Phi = shared_jacobians(X, K)
    sol = minimise_primal(Phi, y, lam)
    assert sol.converged
    theta = theta_from_alpha(Phi, fp.alpha, lam)
    assert _rel(theta, sol.theta) < 1e-8
    assert np.max(np.abs(fp.alpha - sol.alpha)) < 1e-9
    # the centred logits of the primal optimum are the solver's coordinates
    yc = sol.yhat - sol.yhat.mean(axis=1, keepdims=True)
    assert np.max(np.abs(yc - fp.logits)) < 1e-8 * (1 + np.max(np.abs(yc)))


@given(general_jacobians(), weight_decays())
def test_primal_optimum_is_dual_fixed_point_general(data, lam):
    Phi, y, K = data
    fp = solve_fixed_point(from_features(Phi, y, K), lam)
    sol = minimise_primal(Phi, y, lam)
    assert fp.converged and sol.converged
    assert _rel(theta_from_alpha(Phi, fp.alpha, lam), sol.theta) < 1e-8


@given(labelled_data(n_max=6, d_max=4), weight_decays())
def test_fixed_point_maximises_the_dual(data, lam):
    X, y, K = data
    sp = from_shared_features(X, y, K)
    fp = solve_fixed_point(sp, lam)
    D0 = dual_objective(fp.p, sp, lam)
    rng = np.random.default_rng(0)
    for _ in range(5):
        q = fp.p * np.exp(1e-3 * rng.standard_normal(fp.p.shape))
        q /= q.sum(axis=1, keepdims=True)
        assert dual_objective(q, sp, lam) <= D0 + 1e-12 * (1 + abs(D0))


@given(st.integers(2, 5), st.floats(-0.95, 0.95), lams(1e-3, 10.0))
def test_newton_agrees_with_mpmath(K, delta, lam):
    sp = coupled_pair([9.0, 2.0], delta, K)
    fp = solve_fixed_point(sp, lam)
    mp_fp = solve_fixed_point_mp(sp, lam, dps=40)
    assert mp_fp.converged and float(mp_fp.residual) < 1e-30
    _p, alpha, z = mp_fp.to_float()
    assert np.max(np.abs(alpha - fp.alpha) / np.maximum(np.abs(alpha), 1e-300)) < 1e-10
    assert _rel(fp.z, z) < 1e-10


@given(st.integers(2, 8), st.integers(1, 5), st.integers(0, 2**32 - 1), lams(1e-3, 10.0))
def test_k2_reduces_to_the_binary_fixed_point(n, d, seed, lam):
    """Shared features, K = 2: the binary problem with Phi0 = X and lambda / 2
    (W's two columns are opposite at the optimum, v = w_1 - w_0 carries the margin);
    with Phi_i = [-phi_i/2; phi_i/2] it is the binary problem with the same lambda."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d + n))             # full row rank: binary needs m >= n
    y = rng.integers(0, 2, n)
    ypm = 2.0 * y - 1.0
    fp = solve_fixed_point(from_shared_features(X, y, 2), lam)
    bfp = gstheory.solve_fixed_point(gstheory.from_features(X, ypm), gstheory.Ridge(lam / 2))
    assert fp.converged and bfp.converged
    a_bin = fp.alpha[np.arange(n), y]               # = 1 - p_y
    assert np.max(np.abs(a_bin - bfp.alpha) / bfp.alpha) < 1e-9
    Phi = np.stack([-X / 2, X / 2], axis=1)
    fp2 = solve_fixed_point(from_features(Phi, y, 2), lam)
    bfp2 = gstheory.solve_fixed_point(gstheory.from_features(X, ypm), gstheory.Ridge(lam))
    assert np.max(np.abs(fp2.alpha[np.arange(n), y] - bfp2.alpha) / bfp2.alpha) < 1e-9
    # responses: the centred logit vector (-f/2, f/2) has norm |f| / sqrt 2, so every
    # magnitude is the binary |z_j| / sqrt 2 (and every s^2 the binary s_j^2 / 2)
    sp2 = from_features(Phi, y, 2)
    np.testing.assert_allclose(np.sort(sp2.group_strengths()),
                               np.sort(gstheory.from_features(X, ypm).s2 / 2), rtol=1e-9)
    np.testing.assert_allclose(np.sort(fp2.z_norm), np.sort(np.abs(bfp2.z)) / np.sqrt(2),
                               rtol=1e-8, atol=1e-14 * np.max(np.abs(bfp2.z)))


def test_batched_equals_single():
    sps = [coupled_pair([9.0, 2.0], d, 4) for d in (-0.5, 0.0, 0.5)]
    many = solve_fixed_points(sps, [0.1, 1.0, 0.01])
    for sp, lam, fp in zip(sps, [0.1, 1.0, 0.01], many):
        one = solve_fixed_point(sp, lam)
        np.testing.assert_allclose(fp.alpha, one.alpha, rtol=1e-12, atol=1e-300)


@given(deltas(0.01, 0.9), lams(1e-6, 1e-2))
def test_small_lambda_keeps_relative_precision(delta, lam):
    """Confident examples: 1 - p_y is tiny; the solver keeps it to full relative
    precision (checked against mpmath)."""
    sp = coupled_pair([36.0, 4.0], delta, 3)
    fp = solve_fixed_point(sp, lam)
    assert fp.converged
    _, alpha, _ = solve_fixed_point_mp(sp, lam, dps=40).to_float()
    assert np.max(np.abs(alpha - fp.alpha) / np.abs(alpha)) < 1e-9


@pytest.mark.parametrize("bad, match", [
    ({"lam": 0.0}, "lam"), ({"lam": -1.0}, "lam"), ({"lam": float("nan")}, "lam"),
])
def test_bad_lambda_is_named(bad, match):
    with pytest.raises(ValueError, match=match):
        solve_fixed_point(coupled_pair([9.0, 2.0], 0.1, 3), **bad)


def test_bad_spectrum_is_named():
    with pytest.raises(ValueError, match="spectrum"):
        solve_fixed_point(np.eye(3), 0.1)
