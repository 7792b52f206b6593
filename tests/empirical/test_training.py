"""Stacked models and full-batch training: identical to the per-seed torch loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gstheory.empirical.data.moons import two_moons
from gstheory.empirical.models import MLP, BatchedMLP, init_mlps
from gstheory.empirical.training import evaluate, per_copy, train_full_batch, two_layer_grads

# float64 end to end: the stacked and the per-seed computations differ only by summation
# order, so they agree to ~1e-12 after a few hundred steps (chaos is weak this early).
TOL = 1e-9


def _data(seeds, margin=0.1, n=60):
    Xs, ys = zip(*(two_moons(n, margin, seed=s) for s in seeds))
    return (torch.tensor(np.stack(Xs), dtype=torch.float64),
            torch.tensor(np.stack(ys), dtype=torch.float64))


def _loop(module, X, y, *, steps, opt, lr, wd=0.0, sd=0.0):
    o = (torch.optim.SGD(module.parameters(), lr=lr, momentum=0.9, weight_decay=wd)
         if opt == "sgd" else torch.optim.Adam(module.parameters(), lr=lr, weight_decay=wd))
    module.train()
    for _ in range(steps):
        o.zero_grad()
        out = module(X)
        loss = F.softplus(-y * out).mean() + sd * (out * out).mean()
        loss.backward()
        o.step()
    module.eval()
    with torch.no_grad():
        return module(X)


@pytest.mark.parametrize("widths, bn", [((2, 16, 1), False), ((2, 16, 16, 1), True)])
def test_stacking_round_trip_and_forward(widths, bn):
    seeds = [0, 1, 2]
    mods = init_mlps(widths, seeds, batchnorm=bn, dtype=torch.float64)
    bm = BatchedMLP.from_modules(mods)
    X, _ = _data(seeds)
    for train in (True, False):
        bm.train(train)
        out = bm(X)
        for k, m in enumerate(mods):
            m.train(train)
            assert torch.allclose(out[k], m(X[k]), atol=1e-12)
    back = bm.to_modules()
    for m, b in zip(mods, back):
        for (key, p), q in zip(m.state_dict().items(), b.state_dict().values()):
            if not key.endswith("num_batches_tracked"):  # a counter, not a weight
                assert torch.allclose(p, q, atol=1e-15), key


@pytest.mark.parametrize("opt, bn, gradients", [
    ("sgd", False, "kernel"), ("sgd", False, "closed-form"), ("sgd", False, "autograd"),
    ("sgd", True, "autograd"), ("adam", False, "kernel"), ("adam", False, "closed-form")])
def test_stacked_training_equals_per_seed_loop(opt, bn, gradients):
    if gradients == "kernel":
        pytest.importorskip("numba", reason="the compiled kernel needs numba")
    seeds = [0, 1, 2]
    X, y = _data(seeds)
    lr = 1e-2 if opt == "sgd" else 3e-3
    mods = init_mlps((2, 32, 1), seeds, batchnorm=bn, dtype=torch.float64)
    bm = BatchedMLP.from_modules(mods)
    train_full_batch(bm, X, y, steps=150, optimizer=opt, lr=lr,
                     momentum=0.9 if opt == "sgd" else 0.0, weight_decay=2e-4, sd=0.003,
                     gradients=gradients)
    ours = evaluate(bm, X)
    for k, s in enumerate(seeds):
        ref = init_mlps((2, 32, 1), [s], batchnorm=bn, dtype=torch.float64)[0]
        want = _loop(ref, X[k], y[k], steps=150, opt=opt, lr=lr, wd=2e-4, sd=0.003)
        assert torch.allclose(ours[k], want, atol=TOL, rtol=TOL)


def test_per_copy_hyperparameters_are_independent():
    seeds = [0, 0, 0]
    X, y = _data(seeds)
    mods = init_mlps((2, 32, 1), seeds, dtype=torch.float64)
    bm = BatchedMLP.from_modules(mods)
    lrs, wds, sds = [1e-2, 5e-3, 1e-2], [0.0, 1e-3, 0.0], [0.0, 0.0, 0.01]
    train_full_batch(bm, X, y, steps=80, lr=lrs, momentum=0.9, weight_decay=wds, sd=sds)
    ours = evaluate(bm, X)
    for k in range(3):
        ref = init_mlps((2, 32, 1), [0], dtype=torch.float64)[0]
        want = _loop(ref, X[k], y[k], steps=80, opt="sgd", lr=lrs[k], wd=wds[k], sd=sds[k])
        assert torch.allclose(ours[k], want, atol=TOL, rtol=TOL)
    assert not torch.allclose(ours[0], ours[2])  # the copies really differ


def test_closed_form_gradients_match_autograd_with_dropout():
    seeds = [3, 4]
    X, y = _data(seeds)
    mods = init_mlps((2, 24, 1), seeds, dropout=0.5, dtype=torch.float64)
    a = BatchedMLP.from_modules(mods, dropout_seeds=seeds)
    b = BatchedMLP.from_modules(mods, dropout_seeds=seeds)
    train_full_batch(a, X, y, steps=60, lr=1e-2, momentum=0.9, sd=0.01)  # closed form
    train_full_batch(b, X, y, steps=60, lr=1e-2, momentum=0.9, sd=0.01, gradients="autograd")
    assert torch.allclose(evaluate(a, X), evaluate(b, X), atol=TOL)
    # and the masks depend on each copy's own seed only, not on its batch-mates
    c = BatchedMLP.from_modules(mods[:1], dropout_seeds=seeds[:1])
    train_full_batch(c, X[:1], y[:1], steps=60, lr=1e-2, momentum=0.9, sd=0.01)
    assert torch.allclose(evaluate(c, X[:1])[0], evaluate(a, X)[0], atol=TOL)


def test_two_layer_grads_against_autograd():
    torch.manual_seed(0)
    S, n, d, H = 2, 7, 2, 5
    X = torch.randn(S, n, d, dtype=torch.float64)
    y = torch.sign(torch.randn(S, n, dtype=torch.float64))
    ps = [torch.randn(S, d, H, dtype=torch.float64), torch.randn(S, 1, H, dtype=torch.float64),
          torch.randn(S, H, 1, dtype=torch.float64), torch.randn(S, 1, 1, dtype=torch.float64)]
    sd = torch.tensor([0.0, 0.3], dtype=torch.float64)
    out, obj, grads = two_layer_grads(X, y, *ps, sd)
    qs = [p.clone().requires_grad_(True) for p in ps]
    o = torch.baddbmm(qs[3], torch.baddbmm(qs[1], X, qs[0]).relu(), qs[2]).squeeze(-1)
    ob = F.softplus(-y * o).mean(1) + sd * (o * o).mean(1)
    want = torch.autograd.grad(ob.sum(), qs)
    assert torch.allclose(out, o, atol=1e-12) and torch.allclose(obj, ob, atol=1e-12)
    for g, w in zip(grads, want):
        assert torch.allclose(g, w, atol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="lr"):
        per_copy("lr", [1.0, 2.0], 3)
    with pytest.raises(ValueError, match="weight_decay"):
        per_copy("weight_decay", -1.0, 2)
    with pytest.raises(ValueError, match="dropout"):
        MLP((2, 4, 1), dropout=1.0)
    with pytest.raises(ValueError, match="widths"):
        MLP((2,))
    bm = BatchedMLP.from_modules(init_mlps((2, 4, 1), [0]))
    with pytest.raises(ValueError, match="optimizer"):
        train_full_batch(bm, torch.zeros(1, 3, 2), torch.ones(1, 3), steps=1,
                         optimizer="rmsprop")
    with pytest.raises(ValueError, match="x: expected"):
        bm(torch.zeros(2, 3, 2))


def test_without_numba_auto_falls_back_to_the_closed_form(monkeypatch):
    """numba is optional: without it ``auto`` picks the torch closed form, whose result
    equals autograd's, and an explicit ``kernel`` is refused naming the extra."""
    from gstheory.empirical import kernels, training
    monkeypatch.setattr(kernels, "AVAILABLE", False)
    seeds = [0, 1]
    X, y = _data(seeds)

    def fresh():
        return BatchedMLP.from_modules(init_mlps((2, 8, 1), seeds, dtype=torch.float64))
    assert training._gradient_mode("auto", fresh(), X, "softplus") == "closed-form"
    out = {}
    for mode in ("auto", "autograd"):
        bm = fresh()
        train_full_batch(bm, X, y, steps=20, optimizer="sgd", lr=1e-2, sd=0.003,
                         gradients=mode)
        out[mode] = evaluate(bm, X)
    assert torch.allclose(out["auto"], out["autograd"], atol=TOL, rtol=TOL)
    with pytest.raises(ValueError, match=r"gradients='kernel'.*numba"):
        train_full_batch(fresh(), X, y, steps=1, gradients="kernel")
