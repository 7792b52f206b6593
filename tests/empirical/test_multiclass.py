"""The multi-class experiment: linearised network = dual fixed point; the SD convention."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gstheory.empirical import harness
from gstheory.empirical.experiments.multiclass import (
    KClassMLP,
    jacobians,
    linearised_check,
    three_arcs,
)
from gstheory.empirical.methods import squared_logits


def test_linearised_network_matches_the_dual_fixed_point():
    res = linearised_check(seed=1, n=12, width=16, lam=0.3)
    assert res["passed"], res
    assert res["theta_rel_err"] < 1e-6 and res["alpha_max_err"] < 1e-6


def test_jacobians_are_the_networks_derivatives():
    """Phi_i theta-direction derivative equals the network's change along it."""
    X, _ = three_arcs(6, 0)
    net = KClassMLP(2, [8], 3, seed=0)
    Phi = jacobians(net, X)
    params = list(net.parameters())
    v = [torch.randn_like(p) for p in params]
    h = 1e-6
    Xt = torch.as_tensor(X)
    with torch.no_grad():
        base = net(Xt).numpy()
        for p, d in zip(params, v):
            p.add_(h * d)
        moved = net(Xt).numpy()
    vec = torch.cat([d.reshape(-1) for d in v]).numpy()
    np.testing.assert_allclose((moved - base) / h, Phi @ vec, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("K", [1, 2, 3, 10])
def test_sd_conventions_differ_by_K(K):
    g = torch.Generator().manual_seed(K)
    L = torch.randn(7, K, generator=g, dtype=torch.float64)
    s, m = squared_logits(L, "sum"), squared_logits(L, "mean")
    assert abs(float(s) - float((L**2).sum(1).mean())) < 1e-12
    assert abs(float(m) - float((L**2).mean())) < 1e-12
    assert abs(float(s / m) - K) < 1e-12


def test_sd_convention_is_validated():
    with pytest.raises(ValueError, match="convention"):
        squared_logits(torch.zeros(2, 3), "median")


def test_smoke_run(tmp_path):
    res = harness.run_experiment("multiclass", "smoke", device="cpu", out_dir=tmp_path,
                                 progress=False)
    names = {p.name for p in res.predictions}
    assert names == {"linearised-matches-dual", "erm-weak-margin-falls",
                     "erm-weak-only-accuracy-falls", "sd-keeps-weak-feature"}
    assert next(p for p in res.predictions if p.name == "linearised-matches-dual").confirmed
