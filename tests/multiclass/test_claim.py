"""Evidence for the multi-class claim: levels, and a verdict computed from the scan."""

from __future__ import annotations

from gstheory.multiclass import claim_checks


def test_claim_verdict_is_computed_from_the_scan():
    ev = claim_checks(symbolic=True, Ks=(2, 3), deltas=(-0.1, -1e-3, 1e-3, 0.1),
                      lams=(0.1,), mp_cells=2)
    held = sum(r["starves"] for r in ev["rows"])
    expect = ("holds" if held == len(ev["rows"]) else
              "fails" if held == 0 else "conditional")
    assert ev["verdict"] == expect
    assert ev["levels"]["symbolic"]["passed"] and ev["levels"]["numeric"]["passed"]
    assert ev["levels"]["empirical"] is None
    assert ev["checks_passed"]
