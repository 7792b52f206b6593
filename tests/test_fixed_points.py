"""Fixed points: closed forms (Eq. 12, 13, SD) == Newton == mpmath; Lemma 1's order;
Theorem 1; batching; uniqueness."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gstheory.dual import vector_field, vector_field_jacobian
from gstheory.fixed_points import (
    closed_form_equal_strengths,
    closed_form_permutation,
    closed_form_sd,
    lambertw_exp,
    lemma1,
    responses,
    sd_alpha,
    solve_fixed_point,
    solve_fixed_point_mp,
    solve_fixed_points,
    uncoupled_alpha,
)
from gstheory.penalties import Ridge, SpectralDecoupling
from gstheory.spectrum import Spectrum, equal_strengths, permutation, perturbed_identity

from .strategies import examples, lams, orthogonal_matrices, spectra, spectra_s2, strengths

# Newton stops at a relative residual of 1e-13 (a backward error); the forward error in
# alpha is that times the condition number of the logit/log Jacobian, whose eigenvalues
# are all <= -1, so relative errors stay well below 1e-9 across the tested ranges.
REL_NEWTON = 1e-9
# Closed forms use scipy's lambertw (accurate to a few ulp): only rounding separates them
# from the 30-digit mpmath root.
REL_CLOSED = 1e-12
MP_DPS = 30


def rel_err(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


@given(s=strengths(), lam=lams(), n=st.integers(1, 5), data=st.data())
def test_eq12_equal_strengths_closed_form_matches_newton_and_mpmath(s, lam, n, data):
    U = data.draw(orthogonal_matrices(n))
    sp = equal_strengths(s, U)
    cf = closed_form_equal_strengths(sp, lam)
    nt = solve_fixed_point(sp, Ridge(lam), "taylor")
    mpf = solve_fixed_point_mp(sp, Ridge(lam), "taylor", MP_DPS).to_float()
    assert nt.converged and cf.converged
    assert rel_err(cf.alpha, mpf.alpha) < REL_CLOSED
    assert rel_err(nt.alpha, mpf.alpha) < REL_NEWTON
    # Eq. 12's z*: s^2 W(s^2/lam + 1)/(s^2 + lam) * sum_i u_ij
    w = float(mp.lambertw(s / lam + 1).real)
    z_formula = s * w / (s + lam) * U.sum(axis=0)
    assert np.allclose(cf.z, z_formula, rtol=1e-12, atol=1e-12 * np.max(np.abs(z_formula)))
    assert np.allclose(nt.z, mpf.z, rtol=REL_NEWTON, atol=REL_NEWTON * np.max(np.abs(mpf.z)))


@given(s2=spectra_s2(st.integers(1, 6)), lam=lams(), data=st.data())
def test_eq13_permutation_closed_form_matches_newton_and_mpmath(s2, lam, data):
    perm = data.draw(st.permutations(list(range(len(s2)))))
    sp = permutation(s2, perm)
    cf = closed_form_permutation(sp, Ridge(lam))
    nt = solve_fixed_point(sp, Ridge(lam), "taylor")
    mpf = solve_fixed_point_mp(sp, Ridge(lam), "taylor", MP_DPS).to_float()
    assert rel_err(cf.alpha, mpf.alpha) < REL_CLOSED
    assert rel_err(nt.alpha, mpf.alpha) < REL_NEWTON
    # Eq. 13: z*_j = s_j^2 W(s_j^2/lam + 1)/(s_j^2 + lam), whatever the permutation
    w = np.array([float(mp.lambertw(v / lam + 1).real) for v in s2])
    assert rel_err(cf.z, s2 * w / (s2 + lam)) < REL_CLOSED
    assert rel_err(nt.z, cf.z) < REL_NEWTON


@given(sp=spectra(st.integers(1, 5)), lam=lams(),
       gamma=st.one_of(st.just(0.0), st.floats(-3, 3)))
def test_sd_closed_form_matches_newton_and_mpmath(sp, lam, gamma):
    pen = SpectralDecoupling(lam, gamma)
    cf = closed_form_sd(sp, pen)
    nt = solve_fixed_point(sp, pen, "taylor")
    mpf = solve_fixed_point_mp(sp, pen, "taylor", MP_DPS).to_float()
    assert rel_err(cf.alpha, mpf.alpha) < REL_CLOSED
    assert rel_err(nt.alpha, mpf.alpha) < REL_NEWTON
    if gamma == 0.0:   # the paper's form lam W(1/lam + 1)/(1 + lam)
        paper = lam * float(mp.lambertw(1 / lam + 1).real) / (1 + lam)
        assert rel_err(cf.alpha, np.full(sp.n, paper)) < REL_CLOSED
    # exact SD (Eq. 18) by Newton == mpmath too
    ex = solve_fixed_point(sp, pen, "exact")
    ex_mp = solve_fixed_point_mp(sp, pen, "exact", MP_DPS).to_float()
    assert rel_err(ex.alpha, ex_mp.alpha) < REL_NEWTON
    assert rel_err(sd_alpha(lam, gamma, "exact"), ex_mp.alpha[:1]) < REL_NEWTON


@given(sp=spectra(st.integers(1, 6)), lam=lams(), dynamics=st.sampled_from(["exact", "taylor"]))
def test_newton_matches_mpmath_for_any_spectrum(sp, lam, dynamics):
    nt = solve_fixed_point(sp, Ridge(lam), dynamics)
    assert nt.converged and nt.residual < 1e-12
    mpf = solve_fixed_point_mp(sp, Ridge(lam), dynamics, MP_DPS)
    assert mpf.converged and mpf.residual < mp.mpf(10) ** (-(MP_DPS - 5))
    assert rel_err(nt.alpha, mpf.to_float().alpha) < REL_NEWTON
    # the vector field vanishes at the fixed point (relative to its terms)
    f = vector_field(nt.alpha, sp, Ridge(lam), dynamics)
    assert np.all(np.isfinite(f))
    if dynamics == "exact":
        assert np.all((nt.alpha > 0) & (nt.alpha < 1))


@given(sp=spectra(st.integers(1, 5)), lam=lams(), dynamics=st.sampled_from(["exact", "taylor"]),
       start=st.floats(1e-9, 0.9))
def test_fixed_point_is_unique_from_any_start(sp, lam, dynamics, start):
    a = solve_fixed_point(sp, Ridge(lam), dynamics)
    b = solve_fixed_point(sp, Ridge(lam), dynamics, alpha0=np.full(sp.n, start))
    assert b.converged
    assert rel_err(b.alpha, a.alpha) < REL_NEWTON


@given(sp=spectra(st.integers(1, 5)), lam=lams())
def test_theorem1_jacobian_of_eq10_negative_at_fixed_point(sp, lam):
    """Theorem 1: Eq. 10's Jacobian at its fixed point has only negative eigenvalues.

    (It is symmetric, -diag(1/alpha) - A with A positive definite.) The same holds for
    the exact Eq. 9 (checked too, beyond the paper's statement)."""
    for dyn in ("taylor", "exact"):
        fp = solve_fixed_point(sp, Ridge(lam), dyn)
        J = vector_field_jacobian(fp.alpha, sp, Ridge(lam), dyn)
        assert np.allclose(J, J.T, rtol=1e-12, atol=0)
        # alpha* can be ~1e-24, so J's diagonal spans ~30 orders of magnitude and float64
        # eigvalsh cannot resolve its small eigenvalues. Sylvester's law of inertia: the
        # congruent W J W with W = diag(sqrt(g'(x))) has the same signs and is well scaled
        # (= -I - W M W for Taylor, -I - W M W with g' = a(1-a) for exact).
        w = np.sqrt(fp.alpha if dyn == "taylor" else fp.alpha * (1 - fp.alpha))
        ev = np.linalg.eigvalsh(w[:, None] * J * w[None, :])
        assert np.all(ev < 0)
        assert np.max(ev) <= -1.0 * (1 - 1e-9)     # bounded away from 0: -I - (PSD)
        if np.max(np.abs(J)) / np.min(np.abs(np.diag(J))) < 1e6:   # well scaled: direct
            assert np.all(np.linalg.eigvalsh(J) < 0)


def lemma1_slope(s2, lam) -> tuple[float, int]:
    """Fit log(error of Eq. 14) against log(delta) at the smallest deltas whose error
    stands 1e4x above float64's rounding of Eq. 14 itself (1e-12 relative); the reference
    fixed point is the 30-digit mpmath one, so it adds no noise. There the O(delta^3)
    terms are negligible and the slope is the convergence order."""
    ds = np.logspace(-9, np.log10(0.05), 41)
    errs = []
    for d in ds:
        sp = perturbed_identity(s2, d)
        exact = solve_fixed_point_mp(sp, Ridge(lam), "taylor", MP_DPS).to_float().alpha
        errs.append(np.max(np.abs(lemma1(sp, lam) - exact) / exact))
    errs = np.array(errs)
    idx = np.flatnonzero(errs > 1e-12)[:5]
    if idx.size < 4:
        return float("nan"), int(idx.size)
    return float(np.polyfit(np.log(ds[idx]), np.log(errs[idx]), 1)[0]), int(idx.size)


def test_lemma1_error_shrinks_like_delta_squared_paper_case():
    slope, pts = lemma1_slope(np.array([36.0, 4.0]), 0.01)
    assert pts >= 5
    assert abs(slope - 2.0) < 0.05, slope   # measured: 2.00


@settings(max_examples=examples(8))
@given(s2=spectra_s2(st.integers(2, 5)).filter(lambda v: v.max() > 1.5 * v.min()), lam=lams())
def test_lemma1_convergence_order_is_two(s2, lam):
    """Lemma 1 (Eq. 14) is one Newton step from the uncoupled point: error O(delta^2).
    The fitted log-log slope must be 2 within 0.05.
    (Equal strengths make U irrelevant and Eq. 14 exact: excluded here, tested by Eq. 12.)"""
    slope, pts = lemma1_slope(s2, lam)
    # very weak coupling (s2/lam << 1): the error never rises above 1e-12 for
    # delta <= 0.05, i.e. Eq. 14 is exact to float64 there: nothing to fit
    assume(pts >= 4)
    assert abs(slope - 2.0) < 0.05, slope


@given(s2=spectra_s2(st.integers(1, 5)), lam=lams())
def test_lemma1_at_zero_coupling_is_exact(s2, lam):
    sp = perturbed_identity(s2, 0.0)
    a0 = uncoupled_alpha(sp, lam)
    assert rel_err(lemma1(sp, lam), a0) < 1e-12
    assert rel_err(solve_fixed_point(sp, Ridge(lam), "taylor").alpha, a0) < REL_NEWTON


@settings(max_examples=examples(10))
@given(n=st.integers(1, 5), B=st.integers(1, 40), seed=st.integers(0, 2**31),
       penalty=st.sampled_from(["ridge", "sd"]), dynamics=st.sampled_from(["exact", "taylor"]))
def test_batched_newton_equals_single_solves(n, B, seed, penalty, dynamics):
    rng = np.random.default_rng(seed)
    U = np.array([np.linalg.qr(rng.standard_normal((n, n)))[0] for _ in range(B)])
    s2 = 10.0 ** rng.uniform(-2, 3, (B, n))
    lam = 10.0 ** rng.uniform(-4, 2, B)
    fps = solve_fixed_points(U, s2, lam, penalty, dynamics)
    assert fps.converged.all() and np.all(fps.residual < 1e-12)
    for k in range(B):
        pen = Ridge(lam[k]) if penalty == "ridge" else SpectralDecoupling(lam[k])
        one = solve_fixed_point(Spectrum(U[k], s2[k]), pen, dynamics)
        assert rel_err(fps.alpha[k], one.alpha) < REL_NEWTON
        assert np.allclose(fps.z[k], one.z, rtol=REL_NEWTON,
                           atol=REL_NEWTON * np.max(np.abs(one.z)))
        assert fps[k].converged


def test_strong_coupling_tiny_alpha_converges():
    """Barriers bite: lam = 1e-4 with s^2 up to 1e3 and strong coupling gives alpha far
    below 1e-7; logit coordinates still converge (checked against mpmath)."""
    sp = perturbed_identity([1e3, 1e-2], 0.3)
    fp = solve_fixed_point(sp, Ridge(1e-4), "exact")
    ref = solve_fixed_point_mp(sp, Ridge(1e-4), "exact", 40).to_float()
    assert fp.converged and np.min(fp.alpha) < 1e-5
    assert rel_err(fp.alpha, ref.alpha) < REL_NEWTON


def test_responses_eq11_and_sd():
    sp = perturbed_identity([36.0, 4.0], 0.5)
    a = np.array([0.1, 0.2])
    assert np.allclose(responses(a, sp, Ridge(0.5)), sp.s2 * (sp.U.T @ a) / 0.5)
    pen = SpectralDecoupling([0.5, 2.0], [1.0, -1.0])
    assert np.allclose(responses(a, sp, pen), sp.U.T @ (np.array([1.0, -1.0])
                                                        + a / np.array([0.5, 2.0])))


def test_closed_forms_refuse_wrong_structure():
    with pytest.raises(ValueError, match="spectrum.s2"):
        closed_form_equal_strengths(perturbed_identity([2.0, 1.0], 0.1), 0.1)
    with pytest.raises(ValueError, match="spectrum.U"):
        closed_form_permutation(perturbed_identity([2.0, 1.0], 0.1), 0.1)
    with pytest.raises(ValueError, match="penalty"):
        closed_form_sd(perturbed_identity([2.0, 1.0], 0.1), Ridge(0.1))


@given(L=st.floats(-700, 800))   # below -708 e^L is subnormal in float64 (documented)
def test_lambertw_exp_satisfies_defining_equation(L):
    w = float(lambertw_exp(L))
    assert w > 0
    # W(e^L) solves w + log w = L (checked in 50-digit arithmetic)
    with mp.workdps(50):
        assert abs(mp.mpf(w) + mp.log(mp.mpf(w)) - L) <= 1e-13 * max(1.0, abs(L))


def test_docstring_examples_run():
    import doctest

    import gstheory.fixed_points as module
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
