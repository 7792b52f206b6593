"""Dual objective (Eq. 8) and vector fields (Eq. 9, 10, 18) with their Jacobians."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gstheory.dual import (
    binary_entropy,
    dual_objective,
    dual_system,
    vector_field,
    vector_field_jacobian,
)
from gstheory.penalties import Ridge, SpectralDecoupling
from gstheory.spectrum import Spectrum

from .strategies import lams, orthogonal_matrices, spectra, spectra_s2

alphas = st.floats(1e-6, 0.999)


def alpha_vec(n):
    return st.lists(alphas, min_size=n, max_size=n).map(np.array)


def mp_objective(a, U, s2, lam, dynamics):
    """Eq. 8 (or its Taylor variant) written independently in 40-digit mpmath."""
    n = len(a)
    G = [[mp.fsum(mp.mpf(U[i][k]) * mp.mpf(s2[k]) * mp.mpf(U[j][k]) for k in range(n))
          for j in range(n)] for i in range(n)]
    if dynamics == "exact":
        ent = mp.fsum(-x * mp.log(x) - (1 - x) * mp.log(1 - x) for x in a)
        quad = mp.fsum(a[i] * G[i][j] * a[j] for i in range(n) for j in range(n)) / lam
    else:
        ent = mp.fsum(-(x * mp.log(x) - x) for x in a)
        quad = (mp.fsum(a[i] * G[i][j] * a[j] for i in range(n) for j in range(n)) / lam
                + mp.fsum(x * x for x in a))
    return ent - quad / 2


@given(sp=spectra(st.integers(1, 4)), lam=lams(), dynamics=st.sampled_from(["exact", "taylor"]),
       data=st.data())
def test_vector_field_is_gradient_of_dual_objective(sp, lam, dynamics, data):
    """Eq. 9 (Eq. 10) = gradient of Eq. 8 (its Taylor variant), by 40-digit mp.diff."""
    a = data.draw(alpha_vec(sp.n))
    f = vector_field(a, sp, Ridge(lam), dynamics)
    D = dual_objective(a, sp, Ridge(lam), dynamics)
    with mp.workdps(40):
        am = [mp.mpf(x) for x in a]
        U, s2 = sp.U.tolist(), sp.s2.tolist()
        assert abs(D - float(mp_objective(am, U, s2, mp.mpf(lam), dynamics))) <= 1e-9 * max(
            1.0, abs(D))
        for i in range(sp.n):
            def along(t, i=i):
                b = list(am)
                b[i] = b[i] + t
                return mp_objective(b, U, s2, mp.mpf(lam), dynamics)
            g = float(mp.diff(along, 0))
            assert abs(f[i] - g) <= 1e-9 * max(1.0, abs(g), np.max(np.abs(f)))


@given(sp=spectra(st.integers(1, 4)), lam=lams(), dynamics=st.sampled_from(["exact", "taylor"]),
       sd=st.booleans(), eta=st.floats(0.01, 10), data=st.data())
def test_jacobian_is_derivative_of_vector_field(sp, lam, dynamics, sd, eta, data):
    pen = SpectralDecoupling(lam) if sd else Ridge(lam)
    a = data.draw(alpha_vec(sp.n))
    J = vector_field_jacobian(a, sp, pen, dynamics, eta)
    # analytic: -eta (diag(1/(a(1-a))) + M) or -eta (diag(1/a) + M), M from dual_system
    M = dual_system(sp, pen, dynamics).M
    d = 1 / (a * (1 - a)) if dynamics == "exact" else 1 / a
    assert np.allclose(J, -eta * (np.diag(d) + M), rtol=1e-13)
    # directional derivative by 30-digit complex-free mpmath on the field itself
    v = data.draw(st.lists(st.floats(-1, 1), min_size=sp.n, max_size=sp.n).map(np.array))
    with mp.workdps(30):
        def field(t, comp):
            b = [mp.mpf(x) + t * mp.mpf(w) for x, w in zip(a, v)]
            lt = (mp.log((1 - b[comp]) / b[comp]) if dynamics == "exact" else -mp.log(b[comp]))
            # SD here has gamma = 0, so the constant term c vanishes for both penalties
            return eta * (lt - mp.fsum(mp.mpf(M[comp, j]) * b[j] for j in range(sp.n)))
        for i in range(sp.n):
            g = float(mp.diff(lambda t, i=i: field(t, i), 0))
            assert abs((J @ v)[i] - g) <= 1e-9 * max(1.0, np.max(np.abs(J)) * np.max(np.abs(v)))


@given(sp=spectra(st.integers(1, 5)), lam=lams(), data=st.data())
def test_eq10_is_first_order_taylor_of_eq9(sp, lam, data):
    """Eq. 9 - Eq. 10 = log(1 - alpha) + alpha, which is O(alpha^2) (the expansion)."""
    a = data.draw(alpha_vec(sp.n))
    diff = vector_field(a, sp, Ridge(lam), "exact") - vector_field(a, sp, Ridge(lam), "taylor")
    assert np.allclose(diff, np.log1p(-a) + a, rtol=1e-9, atol=1e-9 * (1 + np.max(
        np.abs(vector_field(a, sp, Ridge(lam), "exact")))))
    assert np.all(np.abs(np.log1p(-a) + a) <= a**2 / (1 - a))


@given(sp=spectra(st.integers(1, 5)), lam=lams(), gamma=st.floats(-3, 3), data=st.data())
def test_eq18_sd_field_is_decoupled(sp, lam, gamma, data):
    """Eq. 18: log((1-a)/a) - gamma - a/lam, independent of U and s2 (per coordinate)."""
    a = data.draw(alpha_vec(sp.n))
    pen = SpectralDecoupling(lam, gamma)
    f = vector_field(a, sp, pen)
    assert np.allclose(f, np.log((1 - a) / a) - gamma - a / lam, rtol=1e-12, atol=1e-12)
    other = Spectrum(data.draw(orthogonal_matrices(sp.n)), data.draw(spectra_s2(sp.n)))
    assert np.array_equal(f, vector_field(a, other, pen))
    J = vector_field_jacobian(a, sp, pen)
    assert np.array_equal(J, np.diag(np.diag(J)))


def test_binary_entropy_values():
    assert np.isclose(binary_entropy(0.5), np.log(2), rtol=1e-15)
    with pytest.raises(ValueError, match="alpha"):
        binary_entropy([0.0, 0.5])


def test_docstring_examples_run():
    import doctest

    import gstheory.dual as module
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
