"""``gstheory verify``."""

from __future__ import annotations

import json

from gstheory.cli import main


def test_verify_json_ok(capsys, tmp_path):
    rc = main(["verify", "--json", "--no-certify", "--results", str(tmp_path)])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["ok"] is True and out["regressions"] == []
    ids = {c["id"]: c for c in out["claims"]}
    assert ids["theorem-2"]["status"] == "holds-on-domain"
    assert ids["eq-18"]["status"] == "confirmed"


def test_verify_table(capsys, tmp_path):
    rc = main(["verify", "--no-certify", "--results", str(tmp_path)])
    text = capsys.readouterr().out
    assert rc == 0
    assert text.splitlines()[0].split()[:3] == ["claim", "paper", "status"]
    assert "theorem-2" in text and "no regression" in text


def test_verify_exits_nonzero_on_regression(capsys, tmp_path, monkeypatch):
    """A check that should pass but does not makes verify fail (exit 1)."""
    import gstheory.cli.verify as verify_mod
    from gstheory.claims import Check, Claim

    bad = Claim("eq-x", "Eq. 0", "s", "a",
                [Check("numeric", "broken", "refuted", "d", expected="confirmed")])
    monkeypatch.setattr(verify_mod, "registry", lambda **kw: [bad])
    assert main(["verify", "--results", str(tmp_path)]) == 1
    assert "REGRESSION" in capsys.readouterr().out
