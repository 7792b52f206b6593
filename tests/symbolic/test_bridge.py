"""The bridge: every closed form SymPy derives, lambdified, agrees with the numeric core.

Parameters are drawn by Hypothesis (shared strategies). Each comparison names its
tolerance and why. Derived expressions are built once per module (SymPy work is slow
next to the numeric core).
"""

from __future__ import annotations

import functools

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import lambertw

from gstheory import dual as ndual
from gstheory import fixed_points as nfp
from gstheory.penalties import Ridge, SpectralDecoupling
from gstheory.sensitivity import starvation_matrix
from gstheory.spectrum import (
    Spectrum,
    coupling_matrix,
    equal_strengths,
    from_features,
    permutation,
    perturbed_identity,
)
from gstheory.symbolic import (
    coupling_n,
    dual_objective,
    dynamics,
    lambert,
    lemma1,
    starvation,
)
from gstheory.symbolic.common import lam, lambert_alpha, lambert_c
from tests.strategies import lams, log_uniform, orthogonal_matrices, strengths

#: float64 closed forms and Newton solutions agree to ~1e-13 relative; 1e-9 leaves four
#: orders of magnitude for the conditioning of W, logs and 2 x 2 solves.
RTOL = 1e-9
#: Largest step of the central differences in delta. The radius of convergence of the
#: expansion shrinks as the contrast c = (s^2 + lambda)/lambda grows, so the step used is
#: H / max(1, sqrt(c_max / 100)) (see step()).
H = 1e-3
#: Richardson-extrapolated central differences have truncation error O(h^4 c5/c1): below
#: 1e-8 relative with that step over the ranges drawn below (measured at the extreme
#: corners); 1e-6 leaves a factor 100.
RTOL_SERIES = 1e-6
#: Rounding: the first difference loses ~eps/h <= 1e-11 and the second ~eps/h^2 <= 1e-7 of
#: the matrix's own scale (its largest entry, on the diagonal); the absolute floors below
#: are 100x those (needed where a compared coefficient vanishes, e.g. s1 = s2).
ATOL_ROUNDING_1 = 1e-9
ATOL_ROUNDING_2 = 1e-5


def step(*c: float) -> float:
    """Central-difference step for contrasts ``c`` (see :data:`H`)."""
    return H / max(1.0, float(np.sqrt(max(c) / 100.0)))


moderate_s2 = log_uniform(0.1, 100.0)
moderate_lam = log_uniform(0.01, 10.0)


def num_lambert_alpha(c):
    """a = W(c)/c in float64 (principal branch, real for c > 0)."""
    return lambertw(c).real / c


@functools.cache
def _fields():
    f = dynamics.derived_fields()
    args = [f["t"], *f["s2"], lam, *f["alpha"]]
    return (sp.lambdify(args, f["eq9"], "numpy"), sp.lambdify(args, f["eq10"], "numpy"),
            sp.lambdify(args, f["jacobian"], "numpy"), sp.lambdify([f["t"]], f["U"], "numpy"))


@given(st.floats(-3, 3), moderate_s2, moderate_s2, moderate_lam,
       st.floats(0.01, 0.99), st.floats(0.01, 0.99))
def test_eq9_eq10_and_theorem1_jacobian_match_the_core(t, s1, s2, lam_, a1, a2):
    eq9, eq10, jac, Uf = _fields()
    U = np.array(Uf(t), dtype=float)
    spec = Spectrum(U, [s1, s2])
    alpha = np.array([a1, a2])
    args = (t, s1, s2, lam_, a1, a2)
    np.testing.assert_allclose(np.ravel(eq9(*args)),
                               ndual.vector_field(alpha, spec, Ridge(lam_), "exact"),
                               rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(np.ravel(eq10(*args)),
                               ndual.vector_field(alpha, spec, Ridge(lam_), "taylor"),
                               rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(np.array(jac(*args), dtype=float),
                               ndual.vector_field_jacobian(alpha, spec, Ridge(lam_), "taylor"),
                               rtol=RTOL, atol=1e-12)


@functools.cache
def _dual8():
    im = dual_objective.inner_minimum()
    args = [*im["alpha"], *im["y"], *im["Phi"], lam]
    return sp.lambdify(args, im["dual"], "numpy")


@given(st.integers(0, 2**32 - 1), st.floats(0.01, 0.99), st.floats(0.01, 0.99),
       moderate_lam)
def test_eq8_matches_dual_objective(seed, a1, a2, lam_):
    rng = np.random.default_rng(seed)
    Phi = rng.standard_normal((2, 3))
    y = rng.choice([-1.0, 1.0], size=2)
    derived = _dual8()(a1, a2, *y, *Phi.ravel(), lam_)
    core = ndual.dual_objective(np.array([a1, a2]), from_features(Phi, y), Ridge(lam_))
    np.testing.assert_allclose(derived, core, rtol=RTOL)


@functools.cache
def _lambert_forms():
    c, root = lambert.scalar_root()
    s2 = sp.Symbol("s2", positive=True)
    return sp.lambdify([s2, lam], lambert.paper_eq13(s2), "scipy"), \
        sp.lambdify([c], root, "scipy")


@given(st.lists(strengths(), min_size=1, max_size=5), lams(), st.randoms())
def test_eq13_matches_the_permutation_closed_form_and_newton(s2, lam_, rnd):
    z13, _ = _lambert_forms()
    perm = list(range(len(s2)))
    rnd.shuffle(perm)
    spec = permutation(s2, perm)
    derived = np.array([np.real(z13(v, lam_)) for v in s2])
    np.testing.assert_allclose(derived, nfp.closed_form_permutation(spec, Ridge(lam_)).z,
                               rtol=RTOL)
    fp = nfp.solve_fixed_point(spec, Ridge(lam_), "taylor")
    assert fp.converged
    np.testing.assert_allclose(derived, fp.z, rtol=RTOL)


@given(strengths(), lams(), st.integers(1, 5).flatmap(orthogonal_matrices))
def test_eq12_matches_the_equal_strengths_closed_form(s2, lam_, U):
    _, root = _lambert_forms()
    a = float(np.real(root((s2 + lam_) / lam_)))
    derived = s2 / lam_ * a * U.sum(axis=0)  # z*_j = s^2 W/(s^2+lam) sum_i u_ij
    core = nfp.closed_form_equal_strengths(equal_strengths(s2, U), Ridge(lam_))
    scale = s2 / lam_ * a
    np.testing.assert_allclose(derived, core.z, rtol=RTOL, atol=RTOL * scale)
    np.testing.assert_allclose(np.full(U.shape[0], a), core.alpha, rtol=RTOL)


@functools.cache
def _lemma1():
    s1, s2 = sp.symbols("s_1^2 s_2^2", positive=True)
    from gstheory.symbolic.common import delta, eq15
    U = eq15()
    A = U * (sp.diag(s1, s2) + lam * sp.eye(2)) * U.T / lam
    a0 = [lambert_alpha(lambert_c(s1)), lambert_alpha(lambert_c(s2))]
    return sp.lambdify([s1, s2, lam, delta], lemma1.paper_eq14(A, a0), "scipy")


@given(moderate_s2, moderate_s2, moderate_lam, st.floats(0.0, 0.9))
def test_lemma1_matches_the_core(s1, s2, lam_, d):
    derived = np.real(np.ravel(np.array(_lemma1()(s1, s2, lam_, d), dtype=complex)))
    core = nfp.lemma1(perturbed_identity([s1, s2], d), Ridge(lam_))
    np.testing.assert_allclose(derived, core, rtol=RTOL)


def richardson(f, h):
    """First and second derivative at 0 by Richardson-extrapolated central differences."""
    fp, fm, f2p, f2m, f0 = f(h), f(-h), f(2 * h), f(-2 * h), f(0.0)
    d1 = (8 * (fp - fm) - (f2p - f2m)) / (12 * h)
    d2 = (16 * (fp + fm - 2 * f0) - (f2p + f2m - 2 * f0)) / (12 * h * h)
    return d1, d2


@functools.cache
def _theorem2():
    e = starvation.expansion()
    args = [e["s1"], e["s2"], lam, e["a1"], e["a2"]]
    return sp.lambdify(args, e["D1"], "numpy"), sp.lambdify(args, e["D2"], "numpy")


@given(moderate_s2, moderate_s2, moderate_lam)
def test_theorem2_first_and_second_order_match_the_starvation_matrix(s1, s2, lam_):
    D1f, D2f = _theorem2()
    a1, a2 = num_lambert_alpha((s1 + lam_) / lam_), num_lambert_alpha((s2 + lam_) / lam_)

    def entry(d):  # dz2*/ds1^2 from the core, Eq. 10 dynamics
        spec = Spectrum(coupling_matrix(2, d), [s1, s2])
        return starvation_matrix(spec, Ridge(lam_), "taylor")[0, 1]
    d1, d2 = richardson(entry, step((s1 + lam_) / lam_, (s2 + lam_) / lam_))
    D1, D2 = D1f(s1, s2, lam_, a1, a2), D2f(s1, s2, lam_, a1, a2)
    m0 = np.abs(starvation_matrix(Spectrum(np.eye(2), [s1, s2]), Ridge(lam_),
                                  "taylor")).max()
    scale = abs(D1) + abs(D2)
    assert abs(d1 - D1) <= RTOL_SERIES * scale + ATOL_ROUNDING_1 * m0
    assert abs(d2 - 2 * D2) <= RTOL_SERIES * scale + ATOL_ROUNDING_2 * m0
    # the sign statement: D1 < 0 iff s1 > s2 (Theorem 2 at first order for delta > 0)
    if abs(s1 - s2) > 1e-6 * max(s1, s2):
        assert np.sign(D1) == -np.sign(s1 - s2)


def test_theorem2_lambert_form_equals_the_symbol_form():
    (s1, s2, lam_), D1W = starvation.first_order_lambert()
    f = sp.lambdify([s1, s2, lam_], D1W, "scipy")
    D1f, _ = _theorem2()
    for v1, v2, vl in [(36.0, 4.0, 1.0), (0.5, 3.0, 0.1), (10.0, 9.0, 2.0)]:
        a1 = num_lambert_alpha((v1 + vl) / vl)
        a2 = num_lambert_alpha((v2 + vl) / vl)
        np.testing.assert_allclose(np.real(f(v1, v2, vl)), D1f(v1, v2, vl, a1, a2),
                                   rtol=RTOL)


@functools.cache
def _nfeature():
    e = coupling_n.first_order_matrices(3)
    args = [*e["k"], *e["s2"], lam, *e["a"]]
    return sp.lambdify(args, e["M0"], "numpy"), sp.lambdify(args, e["M1"], "numpy")


@given(st.integers(0, 2**32 - 1), st.lists(moderate_s2, min_size=3, max_size=3),
       moderate_lam)
def test_n_feature_first_order_matrix_matches_the_core(seed, s2, lam_):
    rng = np.random.default_rng(seed)
    k = rng.standard_normal(3)
    K = np.array([[0, k[0], k[1]], [-k[0], 0, k[2]], [-k[1], -k[2], 0]])
    norm = np.linalg.norm(K, 2)
    K, k = K / norm, k / norm  # coupling_matrix uses U = exp(arcsin(d) K/||K||)
    a = [num_lambert_alpha((v + lam_) / lam_) for v in s2]
    M0f, M1f = _nfeature()
    M0 = np.array(M0f(*k, *s2, lam_, *a), dtype=float)
    M1 = np.array(M1f(*k, *s2, lam_, *a), dtype=float)

    def mat(d):
        return starvation_matrix(Spectrum(coupling_matrix(3, d, K), s2), Ridge(lam_),
                                 "taylor")
    np.testing.assert_allclose(mat(0.0), M0, rtol=RTOL, atol=RTOL * np.abs(M0).max())
    d1, _ = richardson(mat, step(*[(v + lam_) / lam_ for v in s2]))
    scale = np.abs(M1).max() + np.abs(M0).max()
    np.testing.assert_allclose(d1, M1, rtol=0, atol=RTOL_SERIES * scale
                               + ATOL_ROUNDING_1 * np.abs(M0).max())
    # pairwise form of the off-diagonal entries: M1[i, j] = K[j, i] g(s_i, s_j)
    (si, sj, lsym), g = coupling_n.pair_coefficient_lambert()
    gf = sp.lambdify([si, sj, lsym], g, "scipy")
    for i in range(3):
        for j in range(3):
            if i != j:
                assert np.real(K[j, i] * gf(s2[i], s2[j], lam_)) == pytest.approx(
                    M1[i, j], rel=RTOL, abs=RTOL * scale)


@given(lams(), st.floats(-3, 3))
def test_sd_fixed_points_match_the_core(lam_, gamma):
    g, lsym = sp.Symbol("gamma", real=True), sp.Symbol("lambda", positive=True)
    a = sp.Symbol("alpha", positive=True)
    taylor = sp.solve(-sp.log(a) - a - g - a / lsym, a)
    assert len(taylor) == 1
    derived = complex(taylor[0].subs({g: gamma, lsym: lam_}).evalf(30)).real
    np.testing.assert_allclose(derived, nfp.sd_alpha(lam_, gamma, "taylor"), rtol=RTOL)
    # exact form: our own mpmath root of h(alpha) = log((1-a)/a) - gamma - a/lam
    with mpmath.workdps(30):
        root = mpmath.findroot(lambda x: mpmath.log((1 - x) / x) - gamma - x / lam_,
                               (mpmath.mpf("1e-30"), 1 - mpmath.mpf("1e-30")),
                               solver="anderson")
    np.testing.assert_allclose(float(root), nfp.sd_alpha(lam_, gamma, "exact"), rtol=RTOL)


@given(st.lists(strengths(), min_size=2, max_size=4), lams(), st.floats(0.0, 0.9))
def test_sd_responses_do_not_depend_on_the_strengths(s2, lam_, d):
    U = coupling_matrix(len(s2), d)
    z1 = nfp.closed_form_sd(Spectrum(U, s2), SpectralDecoupling(lam_)).z
    z2 = nfp.closed_form_sd(Spectrum(U, [10 * v for v in s2]), SpectralDecoupling(lam_)).z
    np.testing.assert_allclose(z1, z2, rtol=RTOL)
    # and they are (alpha*/lam) U^T 1 as derived
    a = float(nfp.sd_alpha(lam_, 0.0, "taylor"))
    np.testing.assert_allclose(z1, a / lam_ * U.T @ np.ones(len(s2)), rtol=RTOL, atol=1e-15)


@functools.cache
def _theorem2_exact():
    from gstheory.symbolic import starvation_exact
    e = starvation_exact.expansion()
    return sp.lambdify([e["s1"], e["s2"], lam, e["b1"], e["b2"]], e["E1"], "numpy")


@given(moderate_s2, moderate_s2, moderate_lam)
def test_theorem2_exact_dynamics_first_order_matches_the_starvation_matrix(s1, s2, lam_):
    from scipy.optimize import brentq

    def b(s):  # uncoupled fixed point of Eq. 9: log(b/(1-b)) + (s/lam) b = 0, b in (0, 1/2)
        return brentq(lambda x: np.log(x / (1 - x)) + s / lam_ * x, 1e-300, 0.5,
                      xtol=1e-300, rtol=4 * np.finfo(float).eps)
    E1 = _theorem2_exact()(s1, s2, lam_, b(s1), b(s2))

    def entry(d):
        return starvation_matrix(Spectrum(coupling_matrix(2, d), [s1, s2]), Ridge(lam_),
                                 "exact")[0, 1]
    d1, _ = richardson(entry, step(s1 / lam_ + 1, s2 / lam_ + 1))
    floor = ATOL_ROUNDING_1 * np.abs(starvation_matrix(
        Spectrum(np.eye(2), [s1, s2]), Ridge(lam_), "exact")).max()
    assert abs(d1 - E1) <= RTOL_SERIES * abs(E1) + floor
    if abs(s1 - s2) > 1e-6 * max(s1, s2):
        assert np.sign(E1) == -np.sign(s1 - s2)
