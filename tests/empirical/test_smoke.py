"""Every registered experiment runs its smoke preset end to end (verdicts not asserted)."""

from __future__ import annotations

import json

import numpy as np
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
    # every number the experiment declares from the paper names a per-seed list of ours
    # (one finite value per seed) in this result.json
    from gstheory.report import lookup

    declared = harness.get(name).paper_numbers
    assert doc["paper_numbers"] == [n.to_dict() for n in declared]
    for n in declared:
        values = lookup(doc, n.metric)
        assert isinstance(values, list) and len(values) == len(doc["seeds"]), n.metric
        assert all(isinstance(v, float) and np.isfinite(v) for v in values), n.metric
