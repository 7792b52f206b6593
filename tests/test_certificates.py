"""Interval certificates of Theorem 2's sign (gstheory.certificates)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gstheory.certificates import (
    Box,
    certify_theorem2,
    enclose_derivative,
    enclose_fixed_point,
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
    box = Box((0.07, 0.071), (5.0, 5.1), (0.3, 0.31))
    Y = enclose_fixed_point(box, "taylor")
    assert Y is not None
    y = point_fixed_point(0.0705, 5.05, 0.305, "taylor")
    for k in range(2):
        assert float(Y[k].a) <= float(y[k]) <= float(Y[k].b)


@pytest.mark.parametrize("dynamics", ["exact", "taylor"])
def test_certifies_paper_regime_box(dynamics):
    """Inside the paper's regime (delta > 0 small, s1 > s2) the sign is proven."""
    cert = certify_theorem2((0.05, 0.1), (4.0, 8.0), (0.1, 1.0), dynamics=dynamics)
    assert cert.verdict == "certified"
    assert cert.certified_fraction == pytest.approx(1.0)
    assert not cert.refuted and not cert.undecided
    assert all(v.derivative[1] < 0 for v in cert.certified)


def test_refuses_box_with_counterexample():
    """A box reaching into delta < 0 holds verified counterexamples: never certified."""
    cert = certify_theorem2((-0.02, 0.02), (4.0, 5.0), (0.2, 0.3), dynamics="exact",
                            max_depth=6)
    assert cert.verdict == "refuted"
    assert cert.certified_fraction < 1.0
    assert cert.refuted
    for v in cert.refuted:
        d, r, lm = v.point
        assert v.point_derivative[0] >= 0
        assert d <= 0  # counterexamples live where delta <= 0
        # the core agrees in float64 (an independent route) where the value is not 0
        if v.point_derivative[0] > 0:
            assert _float_derivative(d, r, lm, "exact") > 0


def test_whole_box_refuted_beyond_inv_sqrt2():
    """Beyond delta = 1/sqrt(2) the inequality reverses on the whole box."""
    cert = certify_theorem2((0.75, 0.8), (4.0, 5.0), (0.2, 0.3), dynamics="taylor",
                            max_depth=8)
    assert cert.refuted_fraction == pytest.approx(1.0)
    assert cert.certified_fraction == 0.0


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
])
def test_bad_input_names_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        certify_theorem2(**kwargs)
