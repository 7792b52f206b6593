"""``gstheory verify``."""

from __future__ import annotations

import json
import shutil

from gstheory.cli import main
from gstheory.cli.derive import DEFAULT_OUT as PROOFS_DIR


def _statuses(out):
    return {c["id"]: c for c in out["claims"]}


def test_verify_json_ok(capsys, tmp_path):
    rc = main(["verify", "--json", "--no-certify", "--results", str(tmp_path)])
    out = json.loads(capsys.readouterr().out)
    assert rc == (0 if out["ok"] else 1)
    assert out["regressions"] == [] and out["ok"] is True
    # every derivation check is confirmed by a run (fresh or cached) and a matching document
    ders = [k for c in out["claims"] for k in c["checks"] if k["level"] == "derivation"]
    assert ders and all(k["evidence"]["stats"]["document"] == "matches" for k in ders)
    assert out["derivations"]["count"] >= len({k["name"] for k in ders})


def test_verify_table(capsys, tmp_path):
    rc = main(["verify", "--no-certify", "--results", str(tmp_path)])
    text = capsys.readouterr().out
    assert rc == 0
    assert text.splitlines()[0].split()[:3] == ["claim", "paper", "status"]
    assert "no regression" in text and "derivations:" in text


def test_corrupted_document_is_not_confirmed(capsys, tmp_path):
    """Mutation test: alter one committed document in a copy; verify must not confirm that
    derivation, and must exit 1."""
    proofs = tmp_path / "proofs"
    shutil.copytree(PROOFS_DIR, proofs)
    victim = min(p for p in proofs.glob("*.md") if p.name != "README.md")
    text = victim.read_text()
    victim.write_text(text.replace("=", "≠", 1) if "=" in text else text + "x")
    rc = main(["verify", "--json", "--no-certify", "--results", str(tmp_path / "none"),
               "--proofs", str(proofs)])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1
    bad = {r["check"] for r in out["regressions"]}
    assert victim.stem in bad
    checks = [k for c in out["claims"] for k in c["checks"] if k["name"] == victim.stem]
    assert checks and all(k["status"] != "confirmed" for k in checks)
    victim.unlink()
    rc = main(["verify", "--json", "--no-certify", "--results", str(tmp_path / "none"),
               "--proofs", str(proofs)])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1 and victim.stem in {r["check"] for r in out["regressions"]}


def test_verify_exits_nonzero_on_regression(capsys, tmp_path, monkeypatch):
    """A check that should pass but does not makes verify fail (exit 1)."""
    import gstheory.cli.verify as verify_mod
    from gstheory.claims import Bound, Check, Claim, Evidence

    ev = Evidence("d", (Bound("error", 1.0, 0.0),))
    bad = Claim("eq-x", "Eq. 0", "s", "a", [Check("numeric", "broken", ev, "confirmed")])
    monkeypatch.setattr(verify_mod, "registry", lambda **kw: [bad])
    assert main(["verify", "--results", str(tmp_path)]) == 1
    assert "REGRESSION" in capsys.readouterr().out
