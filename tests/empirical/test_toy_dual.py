"""The toy dual-vs-primal figure through the numeric core."""

from __future__ import annotations

import numpy as np
import pytest

from gstheory.empirical import harness
from gstheory.empirical.experiments.toy_dual import (
    ToyDualConfig,
    construction,
    fixed_points,
    runs_batched,
    runs_core,
)

# Measured (authors' settings): dual vs primal endpoints differ by <= 0.08% (claim: 5%);
# |z2| with weight decay 1.640, 1.583, 1.466, 1.327, 1.180 for s1 = 2..6; SD endpoint
# spread 1.7e-5 vs 1.60 for weight decay (threshold: ratio < 0.1).


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    return harness.run_experiment("toy-dual", "quick", device="cpu",
                                  out_dir=tmp_path_factory.mktemp("toy"), progress=False)


def test_quick_predictions_confirmed(quick):
    assert {p.name for p in quick.predictions} == {
        "dual-primal-agree", "primal-reaches-fixed-point",
        "weight-decay-starves-weak-feature", "sd-decouples"}
    assert [p.line() for p in quick.predictions if not p.confirmed] == []
    assert quick.device["engine"] == "numpy"


def test_numbers_of_the_authors_figure(quick):
    m = quick.metrics["seeds"]["0"]
    zp = np.asarray(m["z_primal_end"])
    # Read off the GS expected-output image: |z1| 6.1 -> 9.1, |z2| 1.65 -> 1.18 (+-0.05:
    # the reading precision of the image).
    assert zp[0] == pytest.approx([6.1, 1.65], abs=0.05)
    assert zp[-1] == pytest.approx([9.1, 1.18], abs=0.05)


def test_batched_engine_equals_the_core():
    cfg = ToyDualConfig(steps=1500, record_every=50)
    a, b = runs_batched(cfg), runs_core(cfg)
    assert np.array_equal(a["steps"], b["steps"])
    for key in ("z_dual", "z_primal", "z_sd"):
        # identical updates; only the order of floating-point sums differs
        assert np.allclose(a[key], b[key], rtol=1e-9, atol=1e-12), key


def test_construction_is_the_authors():
    cfg = ToyDualConfig()
    U, V, P, y, s2 = construction(cfg)
    np.random.seed(1235)
    _, _, V_ref = np.linalg.svd(np.random.randn(2, 2))
    assert np.array_equal(V, V_ref)
    assert np.allclose(U, [[np.sqrt(0.75), -0.5], [0.5, np.sqrt(0.75)]])
    for b, s1 in enumerate(cfg.strengths):
        assert np.allclose(P[b], U @ np.diag([s1, 2.0]) @ V)
        assert np.allclose(np.linalg.svd(P[b], compute_uv=False), sorted([s1, 2.0])[::-1])
    assert np.array_equal(y, [1.0, 1.0]) and np.allclose(s2[:, 1], 4.0)


def test_fixed_points_and_sd_independence():
    cfg = ToyDualConfig()
    fp = fixed_points(cfg)
    zs = np.abs(fp["z_sd"])
    assert np.allclose(zs, zs[0], rtol=1e-12)            # SD: exactly independent of s1
    assert np.all(np.diff(np.abs(fp["z_ridge"])[:, 1]) < 0)   # starvation at the optimum


def test_config_validation():
    with pytest.raises(ValueError, match="engine"):
        ToyDualConfig(engine="gpu")
    with pytest.raises(ValueError, match="strengths"):
        ToyDualConfig(strengths=(3.0,))
    with pytest.raises(ValueError, match="numpy"):
        harness.run_experiment("toy-dual", device="cuda", out_dir="/nonexistent")
