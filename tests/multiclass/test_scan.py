"""The validity scan and the multi-class claim's evidence."""

from __future__ import annotations

import pytest

from gstheory.multiclass.scan import table, validity_scan


@pytest.fixture(scope="module")
def rows():
    return validity_scan(Ks=(2, 3, 5), deltas=(-0.1, -1e-3, 1e-3, 0.1), lams=(0.1, 10.0))


def test_first_order_sign_predicts_small_coupling(rows):
    small = [r for r in rows if abs(r["delta"]) <= 1e-3]
    assert small and all(r["agrees"] for r in small)


def test_k2_is_the_binary_theorem(rows):
    """K = 2 with distinct labels is Theorem 2 with delta_b = -delta: starvation iff
    delta < 0, at every lambda."""
    for r in rows:
        if r["K"] == 2:
            assert r["starves"] == (r["delta"] < 0)
            assert r["alpha0_sum"] < 1.0


def test_reversal_needs_error_mass_above_one(rows):
    """Near delta = 0, a cell with delta < 0 fails to starve only where
    alpha0_1 + alpha0_2 > 1 (possible only for K >= 3)."""
    for r in rows:
        if abs(r["delta"]) <= 1e-3 and r["delta"] < 0 and not r["starves"]:
            assert r["alpha0_sum"] > 1.0 and r["K"] >= 3


def test_table_lists_every_cell(rows):
    text = table(rows)
    assert text.count("\n") == 2 + len({(r["K"], r["lam"]) for r in rows})
    assert f"starves in {sum(r['starves'] for r in rows)}/{len(rows)}" in text


def test_scan_rejects_bad_axes():
    with pytest.raises(ValueError, match="deltas"):
        validity_scan(Ks=(3,), deltas=(0.0,), lams=(1.0,))
    with pytest.raises(ValueError, match="lams"):
        validity_scan(Ks=(3,), deltas=(0.1,), lams=(-1.0,))
    with pytest.raises(ValueError, match="s2"):
        validity_scan(Ks=(3,), deltas=(0.1,), lams=(1.0,), s2=(1.0, 4.0))
