"""The claims registry (gstheory.claims)."""

from __future__ import annotations

import json

import pytest

from gstheory.claims import LEVELS, STATUSES, Check, Claim, experiment_claims, registry, regressions

REQUIRED = {"eq-6-8", "eq-9", "eq-10", "theorem-1", "eq-12", "eq-13", "lemma-1",
            "theorem-2", "eq-18", "sd-gamma"}


@pytest.fixture(scope="module")
def claims():
    return registry(results_dir=None, scan_grid=8, certify=False)


def test_every_required_claim_present(claims):
    assert REQUIRED <= {c.id for c in claims}
    for c in claims:
        assert c.paper_ref and c.statement and c.assumptions
        for k in c.checks:
            assert k.level in LEVELS and k.status in STATUSES


def test_no_regression_and_expected_verdicts(claims):
    assert regressions(claims) == []
    by = {c.id: c for c in claims}
    assert by["theorem-2"].status == "holds-on-domain"
    assert by["theorem-2"].counterexample["delta"] < 0
    assert by["eq-18"].status == "confirmed"
    assert by["eq-12"].status == "confirmed"


def test_status_aggregation():
    ok = Check("numeric", "a", "confirmed", "")
    bad = Check("numeric", "b", "refuted", "", expected="confirmed")
    assert Claim("x", "Eq. 1", "s", "a", [ok]).status == "confirmed"
    assert Claim("x", "Eq. 1", "s", "a", [ok, bad]).status == "refuted"
    assert Claim("x", "Eq. 1", "s", "a", [ok, bad], domain="d").status == "holds-on-domain"
    assert Claim("x", "Eq. 1", "s", "a", []).status == "not-checked"
    assert bad.regression and not ok.regression
    assert regressions([Claim("x", "Eq. 1", "s", "a", [ok, bad])])[0][1] is bad


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
    assert [k.status for k in cl.checks] == ["confirmed", "refuted", "refuted"]
    assert cl.status == "refuted"
    assert experiment_claims(tmp_path / "missing") == []


def test_bad_arguments():
    with pytest.raises(ValueError, match="scan_grid"):
        registry(results_dir=None, scan_grid=2)
