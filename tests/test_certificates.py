"""Interval certificates of Theorem 2's sign (gstheory.certificates)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gstheory.certificates import (
    INV_SQRT2,
    Box,
    certify_theorem2,
    enclose_derivative,
    enclose_fixed_point,
    explicit_signs,
    flint_available,
    point_derivative,
    point_fixed_point,
)
from gstheory.penalties import Ridge
from gstheory.sensitivity import starvation_matrix
from gstheory.spectrum import perturbed_identity


def _float_derivative(delta, ratio, lam, dynamics, scale=False):
    """The core's float64 implicit derivative (an independent route); with ``scale`` also
    max |starvation matrix|."""
    S = starvation_matrix(perturbed_identity([ratio, 1.0], delta), Ridge(lam), dynamics)
    return (float(S[0, 1]), float(np.max(np.abs(S)))) if scale else float(S[0, 1])


@pytest.mark.parametrize("dynamics", ["exact", "taylor"])
@pytest.mark.parametrize("point", [(0.1, 4.0, 0.1), (-0.3, 20.0, 1e-3), (0.8, 0.5, 10.0),
                                   (0.5, 100.0, 1e-4)])
def test_point_enclosure_contains_core_value(point, dynamics):
    """The verified point enclosure contains the core's float64 derivative (to float64's
    accuracy) and is tight."""
    lo, hi = point_derivative(*point, dynamics=dynamics)
    ref, scale = _float_derivative(*point, dynamics, scale=True)
    # float64 implicit differentiation errs by ~1e-17 of max|S| (measured against mpmath,
    # see gstheory.validity.DOUBT_REL); 1e-15 leaves a margin of 100
    slack = 1e-15 * scale
    assert lo - slack <= ref <= hi + slack
    assert hi - lo <= 1e-14 * abs(ref)  # 113-bit enclosure, rounded outward to float64


def test_box_enclosure_contains_sampled_values():
    """Every sampled point of a box has its float64 derivative inside the box enclosure."""
    box = Box((0.2, 0.21), (3.0, 3.1), (0.5, 0.52))
    lo, hi = enclose_derivative(box, "exact")
    rng = np.random.default_rng(0)
    for _ in range(10):
        d = rng.uniform(*box.delta)
        r = rng.uniform(*box.ratio)
        lm = rng.uniform(*box.lam)
        v = _float_derivative(d, r, lm, "exact")
        assert lo <= v <= hi


def test_fixed_point_enclosure_contains_point_solution():
    """The enclosure is of log alpha; the point solution (y coordinates) lies inside."""
    box = Box((0.07, 0.071), (5.0, 5.1), (0.3, 0.31))
    Y = enclose_fixed_point(box, "taylor")
    assert Y is not None
    y = point_fixed_point(0.0705, 5.05, 0.305, "taylor")
    x2 = float(y[1]) + math.log(0.305)
    for k, xk in enumerate((float(y[0]) + x2, x2)):
        assert float(Y[k].a) <= xk <= float(Y[k].b)


BACKENDS = ["mpmath"] + (["flint"] if flint_available() else [])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dynamics", ["exact", "taylor"])
def test_numeric_certificate_on_paper_regime_box(dynamics, backend):
    """Inside the paper's regime (delta > 0 small, s1 > s2) the sign is proven with
    interval enclosures of the fixed point on every box, and each box's derivative
    enclosure is negative and contains the core's float64 value at its centre."""
    cert = certify_theorem2((0.05, 0.1), (4.0, 8.0), (0.1, 1.0), dynamics=dynamics,
                            backend=backend, enclosure="numeric", max_boxes=400)
    assert cert.verdict == "certified"
    assert cert.certified_fraction == pytest.approx(1.0)
    for v in cert.certified[:20]:
        if v.derivative is None:
            # arb's midpoint-radius balls lose the value (not the factor signs) on wide
            # boxes; mpmath's endpoint intervals keep it
            assert backend == "flint"
            continue
        lo, hi = v.derivative
        assert hi < 0
        ref = _float_derivative(*v.box.center(), dynamics)
        assert lo - 1e-12 <= ref <= hi + 1e-12


@pytest.mark.parametrize("dynamics", ["exact", "taylor"])
def test_sign_rule_certified_and_refuted_by_factors(dynamics):
    """The factorisation decides whole boxes: 0 < delta < 1/sqrt2 certified, delta beyond
    1/sqrt2 refuted, and every decided box agrees with the core's float64 sign at sampled
    points (an independent route)."""
    rng = np.random.default_rng(1)
    for box, want in (((0.01, 0.7), "certified"), ((0.75, 0.95), "refuted")):
        cert = certify_theorem2(box, (1.01, 1e3), (1e-4, 1e2), dynamics=dynamics)
        assert cert.verdict == want
        frac = cert.certified_fraction if want == "certified" else cert.refuted_fraction
        assert frac == pytest.approx(1.0)
        for _ in range(5):
            d, r, lm = rng.uniform(*box), 10 ** rng.uniform(0.01, 3), 10 ** rng.uniform(-4, 2)
            sign = np.sign(_float_derivative(d, r, lm, dynamics))
            assert sign == (-1 if want == "certified" else 1)


def test_magnitude_certified_through_inv_sqrt2():
    """The convention-free statement holds on both sides of 1/sqrt2."""
    cert = certify_theorem2((0.05, 0.95), (2.0, 10.0), (0.1, 1.0), magnitude=True)
    assert cert.verdict == "certified" and cert.certified_fraction == pytest.approx(1.0)
    rng = np.random.default_rng(2)
    for _ in range(10):
        d, r, lm = rng.uniform(0.05, 0.95), rng.uniform(2, 10), rng.uniform(0.1, 1)
        S = starvation_matrix(perturbed_identity([r, 1.0], d), Ridge(lm), "exact")
        from gstheory.fixed_points import solve_fixed_point
        z2 = solve_fixed_point(perturbed_identity([r, 1.0], d), Ridge(lm), "exact").z[1]
        assert np.sign(z2) * S[0, 1] < 0


def test_explicit_signs_follow_zero_planes():
    assert explicit_signs(Box((0.1, 0.2), (2, 3), (1, 2))) == \
        {"coupling": 1, "gap": 1, "c_delta": 1, "on_plane": 0}
    s = explicit_signs(Box((INV_SQRT2, 0.8), (0.5, 1.0), (1, 2)))
    assert s["coupling"] == -1 and s["gap"] == -1
    assert explicit_signs(Box((-0.1, 0.1), (2, 3), (1, 2)))["c_delta"] == 0


def test_refuses_box_with_counterexample():
    """A box reaching into delta < 0 holds verified counterexamples: never certified."""
    cert = certify_theorem2((-0.02, 0.02), (4.0, 5.0), (0.2, 0.3), dynamics="exact",
                            max_depth=6)
    assert cert.verdict == "refuted"
    assert cert.certified_fraction < 1.0
    assert cert.refuted
    for v in cert.refuted:
        assert v.box.delta[1] <= 0   # counterexamples live where delta <= 0
        d, r, lm = v.box.center()
        assert _float_derivative(d, r, lm, "exact") > 0
        assert v.enclosure is not None  # refuted with a verified enclosure


def test_budgets_bound_the_run():
    cert = certify_theorem2((-0.5, 0.5), (0.5, 5.0), (0.1, 1.0), max_boxes=7)
    assert cert.boxes_examined == 7 and cert.stopped == "box budget"
    assert math.isclose(cert.certified_fraction + cert.refuted_fraction
                        + cert.undecided_fraction, 1.0, rel_tol=1e-12)


def test_json_shape():
    cert = certify_theorem2((0.05, 0.06), (4.0, 4.5), (0.2, 0.25), max_depth=4)
    d = cert.to_dict()
    for key in ("certified_fraction", "certified", "refuted", "undecided"):
        assert key in d
    assert math.isclose(d["certified_fraction"] + d["refuted_fraction"]
                        + d["undecided_fraction"], 1.0, rel_tol=1e-12)


@pytest.mark.parametrize("kwargs, name", [
    ({"delta": (0.2, 0.1), "ratio": (1, 2), "lam": (1, 2)}, "delta"),
    ({"delta": (-1.0, 0.1), "ratio": (1, 2), "lam": (1, 2)}, "delta"),
    ({"delta": (0.1, 0.2), "ratio": (0.0, 2), "lam": (1, 2)}, "ratio"),
    ({"delta": (0.1, 0.2), "ratio": (1, 2), "lam": (-1, 2)}, "lam"),
    ({"delta": (0.1, 0.2), "ratio": (1e12, 1e200), "lam": (1, 2)}, "ratio"),
    ({"delta": (0.1, 0.2), "ratio": (1, 2), "lam": (1e17, 1.0001e17)}, "lam"),
])
def test_bad_input_names_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        certify_theorem2(**kwargs)


def test_time_budget_and_refuted_boxes_carry_enclosures():
    cert = certify_theorem2((-0.5, 0.5), (0.5, 5.0), (0.1, 1.0), max_seconds=1e-9)
    assert cert.stopped == "time budget" and cert.verdict != "certified"
    ref = certify_theorem2((0.75, 0.95), (2.0, 10.0), (0.1, 1.0), dynamics="exact")
    assert ref.verdict == "refuted" and ref.refuted_fraction == pytest.approx(1.0)
    for v in ref.to_dict()["refuted"]:
        assert v["enclosure_method"] and v["alpha_bounds"]
        for lo, hi in v["alpha_bounds"]:
            assert 0 <= lo < hi <= 0.5
    num = certify_theorem2((0.75, 0.8), (4.0, 5.0), (0.2, 0.3), dynamics="exact",
                           enclosure="numeric", max_depth=8)
    assert num.refuted and all(v.enclosure is not None and v.enclosure_method in
                               ("Miranda", "Krawczyk") for v in num.refuted)


@pytest.mark.parametrize("dynamics", ["exact", "taylor"])
def test_point_solves_do_not_depend_on_the_start(dynamics):
    """The batched point solves (the Newton engine, warm-started from a parent box) reach
    the same fixed points from a far-off start as from the engine's own guess, and
    point_fixed_point's mpmath polish agrees with them."""
    from gstheory.certificates import _float_fixed_points
    from gstheory.dynamics import as_dynamics

    dyn = as_dynamics(dynamics)
    pts = [(0.1, 4.0, 0.5), (0.3, 2.0, 0.1), (-0.5, 50.0, 3.0), (0.9, 1.5, 1e-3)]
    cold = _float_fixed_points(pts, dyn)
    warm = _float_fixed_points(pts, dyn, [30.0, -30.0])
    for a, b, p in zip(cold, warm, pts):
        assert a is not None and b is not None
        assert np.allclose(a, b, rtol=1e-12, atol=1e-12)
        y = point_fixed_point(*p, dynamics=dynamics)
        assert np.allclose([float(v) for v in y], a, rtol=1e-12, atol=1e-12)
