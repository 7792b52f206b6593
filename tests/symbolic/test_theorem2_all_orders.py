"""The all-orders closed form of dz2*/ds1^2 against the numeric implicit derivative.

``derivative_closed_form`` (proven equal to the implicit derivative by the derivation
``theorem-2-all-orders``) is lambdified and evaluated at the float64 fixed point of
:func:`gstheory.solve_fixed_point`; :func:`gstheory.starvation_matrix` computes the same
derivative independently (a linear solve with the Jacobian). Both are float64 rational
functions of the same ``alpha``, so they may differ only by rounding: each is computed to
``~ eps * cond`` relative to the *size of the terms* before the cancellation in
``d_2 - d_1`` (large when ``alpha_1 ~ alpha_2``). The test therefore compares the
difference with ``TOL * scale``, ``scale = s2 |W| c |delta| (d_1 + d_2) / (lambda^2 det M)``
(the closed form with ``d_2 - d_1`` replaced by ``d_1 + d_2``), and ``TOL = 1e-8`` leaves
seven orders of magnitude above float64's 1.1e-16 for the conditioning of ``M``
(``lambda`` down to 1e-4, strengths up to 1e3) while a wrong formula is off by O(1).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import gstheory
from gstheory.penalties import Ridge
from gstheory.spectrum import perturbed_identity
from gstheory.symbolic import theorem2_all_orders as t2
from tests.strategies import lams, log_uniform, strengths

TOL = 1e-8
WORST: dict[str, list[float]] = {"taylor": [], "exact": []}


def _scale(dynamics: str, a1: float, a2: float, d: float, s1: float, s2: float,
           lam: float) -> float:
    c = np.sqrt(1 - d * d)
    A = np.array([[c, -d], [d, c]]) @ np.diag([s1, s2]) @ np.array([[c, d], [-d, c]]) / lam
    if dynamics == "taylor":
        A = A + np.eye(2)
        dd = np.array([1 / a1, 1 / a2])
    else:
        dd = np.array([1 / (a1 * (1 - a1)), 1 / (a2 * (1 - a2))])
    detM = np.linalg.det(np.diag(dd) + A)
    return abs(s2 * (c * a1 + d * a2) * c * d) * (dd[0] + dd[1]) / (lam**2 * detM)


@pytest.fixture(scope="module")
def closed_forms():
    out = {}
    for dyn in ("taylor", "exact"):
        args, expr = t2.derivative_closed_form(dyn)
        out[dyn] = sp.lambdify(args, expr, modules="numpy")
    return out


@pytest.fixture(scope="module")
def proven_rules():
    """The sign rules as the derivation proved them (the claims' right-hand sides),
    lambdified in (delta, s1^2, s2^2): dynamics -> (signed rule, magnitude rule)."""
    d = t2.derive()
    out = {}
    for dynamics in t2.DYNAMICS:
        dyn, lab = dynamics.name, dynamics.equation
        signed = d.steps[d.index(f"Sign of the starvation ({lab})") - 1].claim.rhs
        magnitude = d.steps[d.index(f"Sign of the starvation in magnitude ({lab})") - 1].claim.rhs
        out[dyn] = tuple(sp.lambdify((t2.delta, t2.s1, t2.s2), r, modules="numpy")
                         for r in (signed, magnitude))
    return out


def test_the_proven_rule_is_the_measured_rule(proven_rules):
    """The rule the derivation proves is the package's measured rule
    -sign(s1^2-s2^2) sign(delta) sign(1-2 delta^2) sign(delta + 1/sqrt2) (issue 11)."""
    rng = np.random.default_rng(11)
    for dyn in ("taylor", "exact"):
        for d, s1, s2 in zip(rng.uniform(-1, 1, 200), rng.uniform(0.1, 3, 200),
                             rng.uniform(0.1, 3, 200)):
            measured = -np.sign(s1 - s2) * np.sign(d) * np.sign(1 - 2 * d * d) \
                * np.sign(d + 1 / np.sqrt(2))
            assert proven_rules[dyn][0](d, s1, s2) == measured


@pytest.mark.parametrize("dynamics", ["taylor", "exact"])
@given(delta=st.floats(-0.99, 0.99, allow_nan=False), s2=strengths(1e-1, 1e2),
       ratio=log_uniform(1e-2, 1e2), lam=lams(1e-3, 1e2))
def test_closed_form_equals_the_implicit_derivative(closed_forms, proven_rules, dynamics,
                                                    delta, s2, ratio, lam):
    s1 = s2 * ratio
    spec = perturbed_identity([s1, s2], delta)
    fp = gstheory.solve_fixed_point(spec, Ridge(lam), dynamics)
    assert fp.converged
    numeric = gstheory.starvation_matrix(spec, Ridge(lam), dynamics, fixed_point=fp)[0, 1]
    a1, a2 = fp.alpha
    closed = float(closed_forms[dynamics](a1, a2, delta, s1, s2, lam))
    scale = _scale(dynamics, a1, a2, delta, s1, s2, lam)
    err = abs(closed - numeric) / scale if scale > 0 else abs(closed - numeric)
    WORST[dynamics].append(err)
    assert err <= TOL, (closed, numeric, scale)
    if abs(numeric) > 1e3 * TOL * scale:  # the sign is resolved in float64
        signed, magnitude = proven_rules[dynamics]
        assert np.sign(numeric) == signed(delta, s1, s2)
        # the convention-free starvation d|z2*|/ds1^2 = sign(z2*) dz2*/ds1^2
        assert np.sign(fp.z[1]) * np.sign(numeric) == magnitude(delta, s1, s2)


@pytest.mark.parametrize("dynamics", ["taylor", "exact"])
def test_closed_form_is_not_trivially_small(closed_forms, dynamics):
    """Guard against a vacuous comparison: at a generic point the closed form is of the
    size of its terms (no cancellation), and its sign is the all-orders rule's."""
    s1, s2, lam, delta = 4.0, 1.0, 0.5, 0.3
    spec = perturbed_identity([s1, s2], delta)
    fp = gstheory.solve_fixed_point(spec, Ridge(lam), dynamics)
    closed = float(closed_forms[dynamics](*fp.alpha, delta, s1, s2, lam))
    assert closed < 0  # -sign(s1-s2) sign(delta) sign(1-2d^2) sign(d+1/sqrt2) = -1
    assert abs(closed) > 1e-3 * _scale(dynamics, *fp.alpha, delta, s1, s2, lam)


def test_unknown_dynamics_is_rejected():
    with pytest.raises(ValueError, match="dynamics"):
        t2.derivative_closed_form("newton")


@pytest.mark.parametrize("dynamics", ["taylor", "exact"])
def test_at_minus_one_over_root_two_both_derivatives_vanish(dynamics):
    """The proven rules give 0 at delta = -1/sqrt(2) (factor 1 - 2 delta^2, swap symmetry):
    there z2* != 0 but dz2*/ds1^2 = d|z2*|/ds1^2 = 0 (so the magnitude statement holds on
    (-1, 0) without that point); the implicit derivative agrees."""
    delta = -1 / np.sqrt(2)
    spec = perturbed_identity([5.0, 1.0], delta)
    fp = gstheory.solve_fixed_point(spec, Ridge(0.3), dynamics)
    S = gstheory.starvation_matrix(spec, Ridge(0.3), dynamics, fixed_point=fp)
    numeric = S[0, 1]
    # the cancellation scale of d2 - d1 is itself 0 when alpha1 = alpha2 to the last bit,
    # so the entry is measured against the size of the whole starvation matrix instead
    scale = max(_scale(dynamics, *fp.alpha, delta, 5.0, 1.0, 0.3), float(abs(S).max()))
    assert abs(fp.alpha[0] - fp.alpha[1]) <= 1e-12 * fp.alpha[0]
    assert abs(numeric) <= TOL * scale
    assert abs(fp.z[1]) > 0.1 * abs(fp.z).max()
