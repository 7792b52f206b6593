"""The claims registry (gstheory.claims): statuses computed from evidence."""

from __future__ import annotations

import json

import pytest

from gstheory.certificates import INV_SQRT2
from gstheory.claims import (
    LEVELS,
    STATUSES,
    Bound,
    Check,
    Claim,
    Evidence,
    Region,
    experiment_claims,
    registry,
    regressions,
    run_derivations,
)

REQUIRED = {"eq-6-8", "eq-9", "eq-10", "theorem-1", "eq-12", "eq-13", "lemma-1",
            "theorem-2", "eq-18", "sd-gamma"}


@pytest.fixture(scope="module")
def claims():
    # the certificate checks run too, with a small time budget
    from gstheory.proofs.render import render

    return registry(results_dir=None, scan_grid=8, certify=True, certify_seconds=2.0,
                    derivations=run_derivations(render))


def test_every_required_claim_present(claims):
    assert {c.id for c in claims} >= REQUIRED
    for c in claims:
        assert c.paper_ref and c.statement and c.assumptions
        for k in c.checks:
            assert k.level in LEVELS and k.status in STATUSES


def test_no_regression(claims):
    assert regressions(claims) == []


def test_statuses_follow_from_evidence(claims):
    """A claim's status is what its checks' evidence implies, recomputed here."""
    for c in claims:
        counted = [k for k in c.checks if k.level != "property-tests"]
        for k in counted:
            ev = k.evidence
            failed = bool(ev.fails) or any(not b.ok for b in ev.bounds)
            if ev.outcome is None and failed and not ev.holds:
                assert k.status == "refuted"
            if ev.outcome is None and not failed and not ev.holds and ev.bounds:
                assert k.status == "confirmed"
        if c.status == "holds-on-domain":
            assert c.domain is not None
            for k in counted:
                for r in k.evidence.holds:
                    assert r.render() in c.domain
        else:
            assert c.domain is None


def test_theorem2_domain_is_where_the_sign_rule_says(claims):
    """The computed holding regions of Theorem 2 lie inside 0 < delta < 1/sqrt2 with
    s1 > s2; the counterexample lies outside it."""
    t2 = {c.id: c for c in claims}["theorem-2"]
    regions = [r for k in t2.checks for r in k.evidence.holds]
    assert regions
    for r in regions:
        lo, hi = r.bounds["delta"]
        assert 0 < lo <= hi < INV_SQRT2
        assert r.bounds["ratio"][0] > 1
    ce = t2.counterexample
    assert ce is not None
    d = ce["region"]["delta"]
    assert d[1] <= 0 or d[0] > INV_SQRT2


def test_status_aggregation():
    ok = Check("numeric", "a", Evidence("", (Bound("e", 0.0, 1.0),)))
    bad = Check("numeric", "b", Evidence("", (Bound("e", 2.0, 1.0),)), expected="confirmed")
    region = Region({"delta": (0.1, 0.2)}, "certified")
    dom = Check("validity-scan", "c", Evidence("", holds=(region,)))
    assert Claim("x", "Eq. 1", "s", "a", [ok]).status == ok.status
    assert Claim("x", "Eq. 1", "s", "a", [ok, bad]).status == bad.status
    mixed = Claim("x", "Eq. 1", "s", "a", [ok, bad, dom])
    assert mixed.status == dom.status and region.render() in mixed.domain
    assert Claim("x", "Eq. 1", "s", "a", []).status not in {ok.status, bad.status}
    assert bad.regression and not ok.regression
    assert regressions([Claim("x", "Eq. 1", "s", "a", [ok, bad])])[0][1] is bad
    assert Bound("nan", float("nan"), 1.0).ok is False


def test_experiment_claims_read_results(tmp_path):
    d = tmp_path / "toy-dual" / "quick"
    d.mkdir(parents=True)
    (d / "result.json").write_text(json.dumps({
        "experiment": "toy-dual", "config": {}, "predictions": [
            {"name": "p1", "statement": "s", "confirmed": True, "evidence": {"x": 1}},
            {"name": "p2", "statement": "t", "confirmed": False, "evidence": {}},
            {"name": "p3", "statement": "u", "confirmed": False, "evidence": {},
             "asserted": False}]}))
    (cl,) = experiment_claims(tmp_path, "quick")
    # quick must confirm what the experiment asserts; an unasserted refutation is reported
    assert [k.regression for k in cl.checks] == [False, True, False]
    assert cl.id == "exp:toy-dual"
    p1, p2, p3 = cl.checks
    assert p2.status != p1.status and p3.status not in {p1.status, p2.status}
    assert cl.status == p2.status
    # without the asserted refutation the claim is not refuted: not established
    only = Claim(cl.id, cl.paper_ref, cl.statement, cl.assumptions, [p1, p3])
    assert only.status == p3.status
    assert experiment_claims(tmp_path / "missing") == []


def test_bad_arguments():
    with pytest.raises(ValueError, match="scan_grid"):
        registry(results_dir=None, scan_grid=2, derivations={})


def test_own_threshold_labelled_with_paper_verdict_beside(tmp_path):
    d = tmp_path / "minority-groups" / "quick"
    d.mkdir(parents=True)
    (d / "result.json").write_text(json.dumps({
        "experiment": "minority-groups", "predictions": [
            {"name": "cost", "statement": "cost <= 15 points", "confirmed": True,
             "evidence": {"cost": 0.09}, "threshold_source": "ours",
             "paper_check": {"statement": "paper: about 3 points", "threshold": 0.04,
                             "value": 0.09, "confirmed": False}}]}))
    (cl,) = experiment_claims(tmp_path, "quick")
    ours, paper = cl.checks
    assert "our own runs" in ours.detail and ours.status == "confirmed"
    assert paper.name.startswith("cost") and paper.expected is None
    assert paper.status == Evidence("", outcome="refuted", asserted=False).status
    assert cl.status == paper.status and not regressions([cl])


def test_a_region_names_what_it_is_of_and_the_domain_shows_it():
    """A check covering several settings labels its regions; the domain and the
    counterexample carry the label, so two dynamics' boxes are told apart."""
    from gstheory.claims.evidence import Evidence, Region
    from gstheory.claims.registry import Check, Claim

    a = Region({"delta": (0.0, 0.5)}, "certified", 1, label="exact (Eq. 9)")
    b = Region({"delta": (0.0, 0.5)}, "certified", 1, label="Taylor (Eq. 10)")
    bad = Region({"delta": (0.8, 0.9)}, "certified", 1, {"value": 1.0}, label="Taylor (Eq. 10)")
    ev = Evidence("two dynamics", holds=(a, b), fails=(bad,))
    claim = Claim("x", "Eq. 0", "s", "a", [Check("numeric", "certs", ev)])
    assert claim.domain is not None
    assert "exact (Eq. 9): delta in [0, 0.5]" in claim.domain
    assert "Taylor (Eq. 10): delta in [0, 0.5]" in claim.domain
    assert claim.counterexample is not None and claim.counterexample["of"] == bad.label
