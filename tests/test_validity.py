"""Validity maps (gstheory.validity): the scans find known facts."""

from __future__ import annotations

import numpy as np
import pytest

from gstheory import validity as V
from gstheory.spectrum import coupling_matrix


def test_coupling_batch_is_eq15():
    d = np.array([-0.9, -0.1, 0.0, 0.3, 0.99])
    U = V.coupling_batch(d)
    for k, dk in enumerate(d):
        np.testing.assert_array_equal(U[k], coupling_matrix(2, float(dk)))
    with pytest.raises(ValueError, match="delta"):
        V.coupling_batch([0.5, 1.0])


@pytest.mark.parametrize("dynamics", ["exact", "taylor"])
def test_theorem2_map_matches_sign_rule(dynamics):
    """On a grid that avoids the boundaries, every sign equals the rule
    -sign(r-1) sign(delta) sign(1-2 delta^2) sign(delta + 1/sqrt2): holds only for
    0 < delta < 1/sqrt2 when s1 > s2, whatever lambda."""
    d = np.array([-0.9, -0.5, -0.05, 0.05, 0.3, 0.69, 0.72, 0.95])
    r = np.array([0.02, 0.5, 2.0, 50.0, 900.0])
    lam = np.array([1e-4, 1e-2, 1.0, 90.0])
    m = V.scan_theorem2(d, r, lam, dynamics=dynamics)
    assert not m.undetermined.any()
    pred = V.predicted_sign(d[:, None, None], r[None, :, None])
    np.testing.assert_array_equal(m.sign, np.broadcast_to(pred, m.sign.shape))
    s = m.summary()
    assert s["sign_rule_agreement"] == 1.0
    assert s["sign_constant_along_lam"] == 1.0
    # the paper's regime: holds
    assert np.all(m.sign[(d > 0) & (d < 0.7)][:, r > 1] < 0)


def test_theorem2_known_values_and_zero_coupling():
    res = V.theorem2_derivatives([0.1, -0.1, 0.0], [4.0, 4.0, 4.0], [0.1, 0.1, 0.1])
    assert res.sign.tolist() == [-1, 1, 0]
    # delta = 0 gives an exactly-zero float64 derivative: in doubt, re-checked in mpmath
    assert bool(res.rechecked[2]) and res.value[2] == 0.0


def test_sd_decouples_everywhere():
    m = V.scan_theorem2([-0.6, 0.1, 0.6], [0.1, 10.0], [1e-3, 1.0], penalty="sd")
    assert np.all(m.sign == 0) and np.all(m.value == 0)
    assert V.sd_decoupling_check(delta=(0.3,))["max_abs_entry"] == 0.0


def test_scaling_invariance():
    """Scaling (s1^2, s2^2, lambda) by k divides the derivative by k (to rounding)."""
    for dyn in ("exact", "taylor"):
        assert V.scaling_invariance_error(0.3, 4.0, 0.1, [1e-3, 0.5, 7.0, 1e3],
                                          dynamics=dyn) < 1e-10


def test_boundaries_located_and_confirmed():
    b = V.locate_boundaries([0.1, 30.0], [1e-3, 1.0], dynamics="taylor")
    assert b["delta_inv_sqrt2"]["max_abs_deviation_float64"] < 1e-8
    assert b["delta_zero"]["max_abs_deviation_float64"] < 1e-12
    assert b["ratio_one"]["max_abs_deviation_float64"] < 1e-8
    for rec in b.values():
        assert rec["mp_confirmed"]


def test_lemma1_error_is_second_order():
    c = V.lemma1_error_curve(np.logspace(-4, -1, 8))
    assert c.slope == pytest.approx(2.0, abs=0.1)
    assert np.all(np.diff(c.error) > 0)


def test_taylor_error_vanishes_with_lambda():
    c = V.taylor_error_curve(np.logspace(-5, 0, 11))
    assert c.error[0] < 1e-7 < c.error[-1]
    assert c.slope > 1.0  # error ~ alpha^2-ish: faster than linear in lambda/s^2


def test_n_feature_scan():
    scan = V.scan_n_features([3, 8], [0.02, 0.5], samples=60, seed=1)
    # the first-order pairwise rule explains almost every sign at weak coupling
    assert scan.pairwise_rule_agreement[0, 0] > 0.9
    assert scan.pairwise_rule_agreement[0, 0] > scan.pairwise_rule_agreement[0, 1]
    # "every stronger feature starves every weaker one" gets rarer with n
    assert scan.all_starve[1].max() <= scan.all_starve[0].max()
    assert 0.3 < scan.pair_fraction[0, 0] < 0.7


def test_bad_input():
    with pytest.raises(ValueError, match="ratio"):
        V.scan_theorem2([0.1], [-1.0], [0.1])
    with pytest.raises(ValueError, match="penalty"):
        V.scan_theorem2([0.1], [2.0], [0.1], penalty="l1")


# ------------------------------------------------------------ convention-free, n features
def test_magnitude_scan_sign_is_symmetric_and_rule_exact_for_two():
    """sign d|z_j|/ds_i^2 = sign d|z_i|/ds_j^2 (derived in MagnitudeScan's docstring), so
    the stronger/weaker fractions coincide; for n = 2 the pairwise rule is the derived
    two-feature sign, exact at every coupling size."""
    from gstheory.validity import COUPLINGS, scan_starvation_magnitude

    s = scan_starvation_magnitude((3, 4), COUPLINGS, delta=0.3, samples=15, seed=3)
    np.testing.assert_array_equal(s.stronger_starves, s.weaker_starves)
    assert np.all(s.pairs > 0) and np.all((s.rule_accuracy >= 0) & (s.rule_accuracy <= 1))
    for d in (0.2, 0.6, -0.4):
        two = scan_starvation_magnitude((2,), ("default", "random-skew"), delta=d,
                                        samples=20, seed=1)
        np.testing.assert_array_equal(two.rule_accuracy, 1.0)
    assert len(s.table()) == 1 + len(COUPLINGS) * 2


def test_magnitude_scan_bad_input():
    from gstheory.validity import scan_starvation_magnitude

    with pytest.raises(ValueError, match="coupling"):
        scan_starvation_magnitude((3,), ("nope",))
    with pytest.raises(ValueError, match="delta"):
        scan_starvation_magnitude((3,), delta=1.5)
