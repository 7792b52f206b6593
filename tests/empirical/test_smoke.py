"""Every registered experiment runs its smoke preset end to end (verdicts not asserted)."""

from __future__ import annotations

import json

import pytest

from gstheory.empirical import harness


@pytest.mark.parametrize("name", harness.names())
def test_smoke(name, tmp_path):
    res = harness.run_experiment(name, "smoke", device="cpu", out_dir=tmp_path,
                                 progress=False)
    doc = json.loads(res.path.read_text())
    for key in ("config", "seeds", "versions", "device", "timings", "metrics",
                "predictions", "figures"):
        assert key in doc, key
    assert doc["predictions"], "an experiment must state at least one prediction"
    for p in doc["predictions"]:
        assert isinstance(p["confirmed"], bool) and p["name"] and p["statement"]
        assert isinstance(p["evidence"], dict)
    for s in doc["seeds"]:
        assert (res.path.parent / f"seed-{s}.json").is_file()
    for f in doc["figures"]:
        assert f.endswith(".png")
