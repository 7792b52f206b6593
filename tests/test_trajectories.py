"""Trajectories: the ODE's long-time limit == Newton; the authors' discrete runs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gstheory.fixed_points import solve_fixed_point
from gstheory.penalties import Ridge, SpectralDecoupling
from gstheory.primal import minimise_primal
from gstheory.spectrum import Spectrum, perturbed_identity
from gstheory.trajectories import (
    IntegrationError,
    dual_gradient_ascent,
    integrate_dual,
    primal_gradient_descent,
)

from .strategies import examples, lams, spectra

# Slowest relaxation rate at the fixed point: every eigenvalue of the Jacobian is <= -4
# (exact: 1/(a(1-a)) >= 4) or <= -1 (Taylor: A >= I), so by t = 60 the transient has
# decayed by e^-60 and only the solver tolerance (rtol 1e-8 on x) separates the limit
# from the fixed point.
T_FINAL = 60.0
REL_ODE = 1e-6


@settings(max_examples=examples(10))
@given(sp=spectra(st.integers(1, 4)), lam=lams(), dynamics=st.sampled_from(["exact", "taylor"]),
       sd=st.booleans())
def test_long_time_limit_of_ode_equals_newton_fixed_point(sp, lam, dynamics, sd):
    pen = SpectralDecoupling(lam) if sd else Ridge(lam)
    try:  # the authors' start alpha = 1e-8 keeps the transient inside float64's range
        tr = integrate_dual(sp, pen, np.full(sp.n, 1e-8), T_FINAL, dynamics=dynamics,
                            method="BDF", rtol=1e-8, atol=1e-10)
    except IntegrationError:      # ill-posed in float64 (documented); skip, never NaN
        assume(False)
    fp = solve_fixed_point(sp, pen, dynamics)
    assert np.all(np.isfinite(tr.alpha))
    assert np.allclose(tr.alpha[-1], fp.alpha, rtol=REL_ODE, atol=0)
    assert np.allclose(tr.z[-1], fp.z, rtol=REL_ODE, atol=REL_ODE * np.max(np.abs(fp.z)))


def test_ode_is_well_posed_from_authors_start_at_strong_coupling():
    sp = perturbed_identity([1e3, 1e-2], 0.9)
    tr = integrate_dual(sp, Ridge(1e-4), [1e-8, 1e-8], T_FINAL, method="Radau",
                        rtol=1e-8, atol=1e-10)
    fp = solve_fixed_point(sp, Ridge(1e-4))
    assert np.allclose(tr.alpha[-1], fp.alpha, rtol=REL_ODE)


def test_ill_posed_integration_raises_instead_of_nan():
    """From alpha = 0.5 at s^2/lambda = 1e7 the exact flow drives alpha below 1e-300 in
    the transient: a clear IntegrationError (a ValueError), never a NaN."""
    sp = perturbed_identity([1e3, 1e3 / 7], 0.5)
    with pytest.raises(IntegrationError, match="integrate_dual.*alpha0"):
        integrate_dual(sp, Ridge(1e-4), [0.5, 0.5], T_FINAL)


def test_t_eval_and_monotone_dual_objective():
    from gstheory.dual import dual_objective
    sp = perturbed_identity([36.0, 4.0], 0.5)
    te = np.linspace(0, 5, 11)
    tr = integrate_dual(sp, Ridge(0.01), [1e-6, 1e-5], 5.0, t_eval=te)
    assert np.array_equal(tr.t, te)
    vals = [dual_objective(a, sp, Ridge(0.01)) for a in tr.alpha]
    assert np.all(np.diff(vals) >= -1e-9 * np.max(np.abs(vals)))  # gradient ascent


def toy_setup(s1: float):
    """The authors' toy (toy_fig_6.py): seed 1235, V from the SVD of a 2x2 Gaussian,
    U = Eq. 15 with delta = 0.5, strengths (s1, 2), y = (1, 1), C = 1/lambda = 100."""
    rng = np.random.RandomState(1235)
    V = np.linalg.svd(rng.randn(2, 2))[2]
    U = perturbed_identity([1.0, 1.0], 0.5).U
    Phi = U @ np.diag([s1, 2.0]) @ V
    return U, Phi, Spectrum(U, [s1 * s1, 4.0])


@pytest.mark.parametrize("s1", [3.0, 6.0])
def test_authors_dual_ascent_and_primal_descent_reach_the_fixed_point(s1):
    U, Phi, sp = toy_setup(s1)
    fp = solve_fixed_point(sp, Ridge(0.01))
    dual = dual_gradient_ascent(sp, Ridge(0.01), 3e-6, 5000, record_every=1000)
    prim = primal_gradient_descent(Phi, [1, 1], Ridge(0.01), 0.05, 5000, record_every=1000,
                                   U=U)
    # 5000 steps (the authors' budget) are not quite converged: 1% agreement
    assert np.allclose(dual.z[-1], fp.z, rtol=1e-2)
    assert np.allclose(np.abs(prim.z[-1]), fp.z, rtol=1e-2)
    assert dual.alpha.shape == (6, 2) and dual.t[-1] == 5000
    # gradient starvation in the toy: larger s1 -> smaller final z2 (Fig. 5, left panel)
    fp_small = solve_fixed_point(toy_setup(2.0)[2], Ridge(0.01))
    assert fp.z[1] < fp_small.z[1]


def test_primal_descent_converges_to_exact_primal_optimum_sd():
    U, Phi, _ = toy_setup(4.0)
    pen = SpectralDecoupling(0.2 / 100)   # the authors' 0.1/C * sum(yhat^2)
    tr = primal_gradient_descent(Phi, [1, 1], pen, 0.05, 20000, record_every=20000, U=U)
    opt = minimise_primal(Phi, [1, 1], pen)
    yhat = Phi @ tr.theta[-1]
    assert np.allclose(yhat, opt.yhat, rtol=1e-6)
    assert tr.loss[-1] >= opt.objective - 1e-12 * abs(opt.objective)
    assert np.all(np.diff(tr.loss) <= 0)


def test_dual_ascent_clips_to_open_interval():
    sp = perturbed_identity([36.0, 4.0], 0.5)
    tr = dual_gradient_ascent(sp, Ridge(0.01), 1.0, 3)   # absurd step: clipping holds
    assert np.all((tr.alpha > 0) & (tr.alpha < 1))


def test_docstring_examples_run():
    import doctest

    import gstheory.trajectories as module
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
