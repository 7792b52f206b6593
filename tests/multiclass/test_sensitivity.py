"""The K-class starvation matrix: implicit differentiation vs mpmath, vs a high-precision
mpmath difference quotient, convention-freeness, K = 2 against the binary package."""

from __future__ import annotations

import mpmath as mp
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import gstheory
from gstheory.multiclass import (
    coupled_pair,
    from_features,
    from_shared_features,
    solve_fixed_point_mp,
    starvation,
    starvation_mp,
)
from gstheory.multiclass.spectrum import MulticlassSpectrum
from tests.strategies import lams


@given(st.integers(2, 4), st.floats(-0.9, 0.9), lams(1e-2, 10.0))
def test_implicit_differentiation_matches_mpmath(K, delta, lam):
    sp = coupled_pair([9.0, 2.0], delta, K)
    st_ = starvation(sp, lam)
    M, signed = starvation_mp(sp, lam, dps=40)
    M = np.array(M, dtype=float)
    assert np.max(np.abs(M - st_.matrix)) <= 1e-9 * np.max(np.abs(M))
    assert np.max(np.abs(np.array(signed, dtype=float) - st_.signed)) <= \
        1e-9 * np.max(np.abs(M))


def test_matches_an_independent_mpmath_difference_quotient():
    """Central differences of the mpmath fixed point at 60 digits (step 1e-20): an
    independent route to the same derivative, far below float64's resolution."""
    sp = coupled_pair([9.0, 2.0], 0.4, 3)
    lam = 0.3
    S = starvation(sp, lam).matrix
    with mp.workdps(60):
        h = mp.mpf("1e-20")
        for g in range(2):
            def znorm(sign, g=g):
                s2 = [mp.mpf(v) for v in sp.group_strengths()]
                s2[g] += sign * h
                sp_g = sp.with_group_s2([float(v) for v in s2])
                # rebuild in mpmath precision: the perturbation lives below float64, so
                # solve with the strengths passed as mpf through mp_gram
                from gstheory.multiclass import fixed_points as fpm
                A = fpm.mp_gram(sp_g, s2=[s2[gi] for gi, grp in
                                          enumerate(sp.groups) for _ in grp]) / mp.mpf(lam)
                E = [mp.mpf(v) for v in sp.targets()]
                x0 = solve_fixed_point_mp(sp, lam, 40).x
                x, _, _, ok = fpm.mp_newton(A, E, sp.K, x0)
                assert ok
                p = fpm._mp_softmax(x, sp.K)
                a = [E[i] - p[i] for i in range(len(p))]
                s2c = [s2[gi] for gi, grp in enumerate(sp.groups) for _ in grp]
                z = [s2c[j] * mp.fsum(mp.mpf(sp.U[i, j]) * a[i] for i in range(len(a)))
                     / mp.mpf(lam) for j in range(sp.r)]
                return [mp.sqrt(mp.fsum(z[j] ** 2 for j in grp)) for grp in sp.groups]
            up, dn = znorm(1), znorm(-1)
            fd = [float((u - d) / (2 * h)) for u, d in zip(up, dn)]
            np.testing.assert_allclose(S[g], fd, rtol=1e-10)


@given(st.integers(0, 2**32 - 1), lams(1e-2, 10.0))
def test_matrix_is_convention_free(seed, lam):
    """Rotating the basis inside each group (and flipping signs) leaves the matrix
    unchanged; the signed derivatives change."""
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((4, 3)), np.array([0, 1, 2, 1])
    sp = from_shared_features(X, y, 3)
    U = sp.U.copy()
    for g in sp.groups:
        Q, _ = np.linalg.qr(rng.standard_normal((len(g), len(g))))
        U[:, list(g)] = U[:, list(g)] @ Q
    sp2 = MulticlassSpectrum(U, sp.s2, sp.y, sp.K, sp.groups)
    a, b = starvation(sp, lam).matrix, starvation(sp2, lam).matrix
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12 * np.max(np.abs(a)))


@given(st.integers(2, 5), st.integers(0, 2**32 - 1), lams(1e-2, 10.0))
def test_k2_starvation_reduces_to_binary(n, seed, lam):
    """Phi_i = [-phi_i/2; phi_i/2]: s^2 = s_bin^2 / 2 and ||z|| = |z_bin| / sqrt 2, so
    d||z_h|| / d s_g^2 = sqrt 2 sign(z_bin,h) dz_bin,h / ds_bin,g^2."""
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, n + 2)), rng.integers(0, 2, n)
    ypm = 2.0 * y - 1.0
    bsp = gstheory.from_features(X, ypm)
    Sb = gstheory.starvation_matrix(bsp, gstheory.Ridge(lam))
    zb = gstheory.solve_fixed_point(bsp, gstheory.Ridge(lam)).z
    sp = from_features(np.stack([-X / 2, X / 2], axis=1), y, 2)
    S = starvation(sp, lam).matrix
    # both spectra are sorted by decreasing strength: same feature order
    np.testing.assert_allclose(sp.group_strengths(), bsp.s2 / 2, rtol=1e-9)
    expect = np.sqrt(2) * Sb * np.sign(zb)[None, :]
    np.testing.assert_allclose(S, expect, rtol=1e-7, atol=1e-10 * np.max(np.abs(expect)))
