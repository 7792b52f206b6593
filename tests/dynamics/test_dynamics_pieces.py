"""Each dynamics' pieces (gstheory/dynamics/{exact,taylor}.py) against their definitions,
in float64 and in mpmath, and the one string coercion."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gstheory.contexts import FLOAT, MP
from gstheory.dynamics import EXACT, NAMES, REGISTRY, TAYLOR, Dynamics, as_dynamics

ALL = [EXACT, TAYLOR]
coords = st.floats(-40.0, 40.0, allow_nan=False)


def mp_link(dyn: Dynamics, a):
    """The link written from the paper: Eq. 9's logit, Eq. 10's -log."""
    return mp.log((1 - a) / a) if dyn is EXACT else -mp.log(a)


@pytest.mark.parametrize("dyn", ALL, ids=str)
@given(x=st.floats(-30.0, 30.0, allow_nan=False))     # 1 - alpha resolved in float64
def test_coordinates_invert_the_link_and_the_slope_is_its_derivative(dyn, x):
    a, gp = dyn.from_coords(np.array([[x]]))
    # alpha carries a relative rounding error eps; the link magnifies it by |l'(a)| a
    cond = float(dyn.link_slope(a[0, 0]) * a[0, 0])
    assert abs(float(dyn.to_coords(a)[0, 0]) - x) <= 4 * np.finfo(float).eps * (
        cond + abs(x))
    with mp.workdps(40):
        am = 1 / (1 + mp.exp(-mp.mpf(x))) if dyn is EXACT else mp.exp(mp.mpf(x))
        # g'(x) = 1 / (-l'(alpha)): the chain rule of l(g(x)) = -x
        slope = -mp.diff(lambda v: mp_link(dyn, v), am)
        assert float(am) == pytest.approx(float(a[0, 0]), rel=1e-14)
        assert float(1 / slope) == pytest.approx(float(gp[0, 0]), rel=1e-12)
        assert float(dyn.link_slope(am)) == pytest.approx(float(slope), rel=1e-25)


@pytest.mark.parametrize("dyn", ALL, ids=str)
@given(x=coords, p=st.floats(-5, 5, allow_nan=False), t=st.floats(1e-8, 1.0))
def test_curve_is_the_straight_line_in_alpha_and_max_step_its_domain(dyn, x, p, t):
    X, P, T = np.array([[x]]), np.array([[p]]), np.array([t])
    tmax = float(dyn.max_step(X, P)[0])
    a, gp = dyn.from_coords(X)
    if t * (1 - 1e-6) < tmax:
        xt = dyn.curve(X, P, T)
        at, _ = dyn.from_coords(xt)
        # alpha(t) = alpha + t g'(x) p, exactly a line in alpha
        assert float(at[0, 0]) == pytest.approx(float(a[0, 0] + t * gp[0, 0] * p),
                                                rel=1e-9, abs=1e-300)
    if np.isfinite(tmax):      # at tmax the line leaves the domain (0, 1) or (0, inf)
        edge = float(a[0, 0] + tmax * gp[0, 0] * p)
        assert edge == pytest.approx(1.0 if (dyn is EXACT and p > 0) else 0.0,
                                     abs=1e-9 * max(1.0, abs(edge)))


@pytest.mark.parametrize("dyn", ALL, ids=str)
def test_float_and_mpmath_contexts_agree(dyn):
    x = np.linspace(-30, 30, 13)[None]
    with mp.workdps(30):
        xm = MP.asarray(x.tolist())
        for f in (lambda v, c: dyn.from_coords(v, c)[0], lambda v, c: dyn.from_coords(v, c)[1],
                  lambda v, c: dyn.entropy(v, dyn.from_coords(v, c)[0], c)):
            ref = np.array([float(v) for v in f(xm, MP)[0]])
            assert np.allclose(f(x, FLOAT)[0], ref, rtol=1e-13, atol=0)


def test_entropy_is_the_dual_objective_entropy():
    a = np.array([[0.1, 0.5, 0.9]])
    H = -(a * np.log(a) + (1 - a) * np.log(1 - a))              # Eq. 6
    assert np.allclose(EXACT.entropy(EXACT.to_coords(a), a), H, rtol=1e-14)
    assert np.allclose(TAYLOR.entropy(TAYLOR.to_coords(a), a), a - a * np.log(a), rtol=1e-14)


def test_as_dynamics_is_the_one_coercion():
    assert NAMES == ("exact", "taylor")
    for name, dyn in REGISTRY.items():
        assert as_dynamics(name) is dyn and as_dynamics(dyn) is dyn
        assert dyn == name and str(dyn) == name and hash(dyn) == hash(name)
    assert EXACT != TAYLOR and EXACT != "taylor"
    assert TAYLOR.identity_in_M == 1.0 and EXACT.identity_in_M == 0.0
    for bad in ("Exact", "", None, 3):
        with pytest.raises(ValueError, match="dynamics"):
            as_dynamics(bad)


def test_docstring_examples_run():
    import doctest

    import gstheory.dynamics as pkg
    import gstheory.dynamics.exact as ex
    import gstheory.dynamics.taylor as ta
    for module in (pkg, ex, ta):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0


class _MPScalars:
    """mpmath's scalar functions, the context the interval certificates also use."""

    exp = staticmethod(mp.exp)
    log1p = staticmethod(mp.log1p)


@pytest.mark.parametrize("dyn", ALL, ids=str)
@given(u=st.floats(-30.0, -1e-3, allow_nan=False), v=st.floats(-30.0, -1e-3, allow_nan=False))
def test_certificate_pieces_against_the_link_written_from_the_paper(dyn, u, v):
    """link_from_log, log_slope and scaled_slope_quotient (the pieces the all-orders
    certificate reads) against the paper's link and its derivatives, in mpmath."""
    with mp.workdps(50):
        a1, a2 = mp.exp(mp.mpf(u)), mp.exp(mp.mpf(v))
        assert abs(dyn.link_from_log(mp.mpf(u), _MPScalars) - mp_link(dyn, a1)) < mp.mpf(
            10) ** -40 * (1 + abs(mp_link(dyn, a1)))
        dl = lambda a: mp.diff(lambda w: mp_link(dyn, w), a)     # l'(alpha)
        assert abs(dyn.log_slope(a1) + a1 * dl(a1)) < mp.mpf(10) ** -30 * (1 + abs(a1 * dl(a1)))
        if abs(a1 - a2) > mp.mpf(10) ** -6 * a1:
            quotient = a1 * a2 * (dl(a2) - dl(a1)) / (a2 - a1)
            got = dyn.scaled_slope_quotient(a1, a2)
            assert abs(got - quotient) < mp.mpf(10) ** -20 * (1 + abs(quotient))
        # the link vanishes at link_root; its barrier (if any) sits at alpha_max
        assert abs(mp_link(dyn, mp.mpf(dyn.link_root))) < mp.mpf(10) ** -45
        if np.isfinite(dyn.alpha_max):
            assert mp_link(dyn, mp.mpf(dyn.alpha_max) * (1 - mp.mpf(10) ** -40)) < -90
        else:
            assert mp.isfinite(mp_link(dyn, mp.mpf(10) ** 6))
