"""gstheory.spectrum: Definition 1, Eq. 4 both ways, Eq. 15 and its n-feature form."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gstheory.spectrum import (
    Spectrum,
    coupling_matrix,
    equal_strengths,
    from_features,
    from_gram,
    permutation,
    perturbed_identity,
)

from .strategies import orthogonal_matrices, spectra_s2


def random_problem(seed: int, n: int, m: int):
    rng = np.random.default_rng(seed)
    Phi = rng.standard_normal((n, m))
    y = rng.choice([-1.0, 1.0], size=n)
    return Phi, y


@given(seed=st.integers(0, 2**31), n=st.integers(1, 5), extra=st.integers(0, 4))
def test_from_features_is_the_svd_of_Y_Phi0(seed, n, extra):
    Phi, y = random_problem(seed, n, n + extra)
    sp = from_features(Phi, y)
    assert np.allclose((sp.U * sp.s) @ sp.V.T, y[:, None] * Phi, atol=1e-12 * np.abs(Phi).max())
    assert np.all(np.diff(sp.s2) <= 0)                     # decreasing strengths
    assert np.allclose(sp.gram(), (y[:, None] * Phi) @ (y[:, None] * Phi).T, atol=1e-10)
    # Eq. 4 both ways: z = U^T Y yhat = S V^T theta
    theta = np.random.default_rng(seed + 1).standard_normal(n + extra)
    yhat = Phi @ theta
    z = sp.z_from_yhat(y, yhat)
    assert np.allclose(z, sp.z_from_theta(theta), atol=1e-10 * (1 + np.abs(z).max()))
    assert np.allclose(sp.margins_from_z(z), y * yhat, atol=1e-10 * (1 + np.abs(yhat).max()))
    assert np.allclose(sp.z_from_margins(y * yhat), z)


@given(seed=st.integers(0, 2**31), n=st.integers(1, 5))
def test_from_gram_matches_from_features(seed, n):
    Phi, y = random_problem(seed, n, n + 2)
    a, b = from_features(Phi, y), from_gram(Phi @ Phi.T, y)
    assert np.allclose(a.s2, b.s2, rtol=1e-9)
    assert b.V is None
    # columns agree up to sign (distinct strengths almost surely)
    assert np.allclose(np.abs(np.sum(a.U * b.U, axis=0)), 1.0, atol=1e-6)


def test_rank_deficiency_and_bad_gram_refused():
    with pytest.raises(ValueError, match="Phi0"):
        from_features(np.ones((2, 1)), [1, 1])
    with pytest.raises(ValueError, match="rank"):
        from_features(np.ones((2, 3)), [1, 1])
    with pytest.raises(ValueError, match="symmetric"):
        from_gram(np.array([[1.0, 2.0], [0.0, 1.0]]), [1, 1])
    with pytest.raises(ValueError, match="positive definite"):
        from_gram(np.ones((2, 2)), [1, 1])
    with pytest.raises(ValueError, match="y="):
        from_gram(np.eye(2), [1, 2])


@given(delta=st.floats(-0.999, 0.999), n=st.integers(1, 6))
def test_coupling_matrix_is_a_rotation_with_angle_arcsin_delta(delta, n):
    U = coupling_matrix(n, delta)
    assert np.allclose(U.T @ U, np.eye(n), atol=1e-12)
    assert np.linalg.det(U) == pytest.approx(1.0, abs=1e-10)
    if n == 1:
        assert U[0, 0] == 1.0
        return
    angles = np.abs(np.angle(np.linalg.eigvals(U)))
    assert np.max(angles) == pytest.approx(np.arcsin(abs(delta)), abs=1e-9)
    if n == 2:   # Eq. 15 verbatim
        c = np.sqrt(1 - delta**2)
        assert np.array_equal(U, np.array([[c, -delta], [delta, c]]))


def test_coupling_matrix_zero_and_custom_generator():
    assert np.array_equal(coupling_matrix(4, 0.0), np.eye(4))
    K = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 2.0], [0.0, -2.0, 0.0]])
    U = coupling_matrix(3, 0.5, K)
    assert np.allclose(U.T @ U, np.eye(3), atol=1e-12)
    with pytest.raises(ValueError, match="skew"):
        coupling_matrix(3, 0.5, np.eye(3))
    with pytest.raises(ValueError, match="delta"):
        coupling_matrix(3, 1.0)


@given(s2=spectra_s2(st.integers(1, 6)), data=st.data())
def test_constructors(s2, data):
    n = len(s2)
    perm = data.draw(st.permutations(list(range(n))))
    P = permutation(s2, perm)
    for j in range(n):          # feature j lives in example perm[j] only
        assert P.U[perm[j], j] == 1.0 and np.sum(np.abs(P.U[:, j])) == 1.0
    U = data.draw(orthogonal_matrices(n))
    E = equal_strengths(float(s2[0]), U)
    assert np.allclose(E.gram(), s2[0] * np.eye(n), atol=1e-12 * s2[0])
    sp = perturbed_identity(s2, 0.3)
    assert np.array_equal(sp.s2, s2) and sp.n == n
    assert np.array_equal(sp.with_s2(2 * s2).U, sp.U)
    d = sp.to_dict()
    assert d["s2"] == list(s2) and len(d["U"]) == n


def test_spectrum_validation():
    with pytest.raises(ValueError, match="U="):
        Spectrum(np.ones((2, 2)), [1.0, 1.0])
    with pytest.raises(ValueError, match="s2="):
        Spectrum(np.eye(2), [1.0, 0.0])
    with pytest.raises(ValueError, match="s2="):
        Spectrum(np.eye(2), [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="V="):
        Spectrum(np.eye(2), [1.0, 1.0], np.ones((3, 2)))
    with pytest.raises(ValueError, match="V=None"):
        Spectrum(np.eye(2), [1.0, 1.0]).z_from_theta([1.0, 2.0])
    with pytest.raises(ValueError, match="perm"):
        permutation([1.0, 2.0], [0, 0])
    sp = Spectrum(np.eye(2), [1.0, 2.0])
    with pytest.raises(ValueError):   # read-only arrays: the spectrum is immutable
        sp.U[0, 0] = 2.0


@given(d=st.lists(st.floats(-0.999, 0.999, allow_nan=False), min_size=1, max_size=6))
def test_numeric_eq15_equals_the_symbolic_one(d):
    """Eq. 15 is defined once numerically (gstheory.spectrum.eq15, used by coupling_matrix
    and validity.coupling_batch) and once symbolically (gstheory.symbolic.common.eq15):
    the lambdified symbolic matrix equals the numeric one."""
    import sympy as sp_

    from gstheory.spectrum import coupling_matrix, eq15
    from gstheory.symbolic.common import delta
    from gstheory.symbolic.common import eq15 as eq15_symbolic
    from gstheory.validity import coupling_batch

    f = sp_.lambdify(delta, eq15_symbolic(), "numpy")
    ref = np.array([np.array(f(v), dtype=float) for v in d])
    assert np.allclose(eq15(d), ref, rtol=1e-15, atol=1e-16)
    assert np.array_equal(coupling_batch(d), eq15(d))
    assert np.array_equal(coupling_matrix(2, d[0]), eq15(d[0]))


@given(d=st.floats(-0.999, 0.999, allow_nan=False), s1=st.floats(1e-3, 1e3),
       s2=st.floats(1e-3, 1e3))
def test_eq15_gram_is_the_gram_of_the_eq15_spectrum_and_encloses_it_in_intervals(d, s1, s2):
    """eq15_gram (the closed form the certificates evaluate on intervals) equals
    U S^2 U^T of the Eq. 15 spectrum, and its mpmath.iv evaluation at a point encloses it."""
    import mpmath

    from gstheory.spectrum import eq15_gram, perturbed_identity

    G = perturbed_identity([s1, s2], d).gram()
    c, g11, g12, g22 = eq15_gram(d, s1, s2)
    assert c == pytest.approx(np.sqrt(1 - d * d), rel=1e-15)
    scale = max(s1, s2)
    assert np.allclose([g11, g12, g22], [G[0, 0], G[0, 1], G[1, 1]], rtol=0,
                       atol=1e-14 * scale)
    iv = mpmath.iv
    _, i11, i12, i22 = eq15_gram(iv.mpf(d), iv.mpf(s1), iv.mpf(s2), iv.sqrt)
    with mpmath.workdps(40):
        # the exact Gram of the float inputs, to 40 digits, lies in the enclosures
        U = mpmath.matrix([[mpmath.sqrt(1 - mpmath.mpf(d) ** 2), -mpmath.mpf(d)],
                           [mpmath.mpf(d), mpmath.sqrt(1 - mpmath.mpf(d) ** 2)]])
        Gm = U * mpmath.diag([mpmath.mpf(s1), mpmath.mpf(s2)]) * U.T
    for enc, ref in ((i11, Gm[0, 0]), (i12, Gm[0, 1]), (i22, Gm[1, 1])):
        lo, hi = (mpmath.mp.make_mpf(v) for v in enc._mpi_)
        slack = mpmath.mpf(10) ** -36 * scale     # the 40-digit reference's own rounding
        assert lo - slack <= ref <= hi + slack
