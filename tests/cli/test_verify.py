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
