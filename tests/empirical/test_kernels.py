"""The compiled two-moons kernel equals autograd, whatever the block remainders."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from gstheory.empirical.kernels import TwoLayerKernel
from gstheory.empirical.kernels import logits as kernel_logits
from gstheory.empirical.models import BatchedMLP, init_mlps
from gstheory.empirical.training import evaluate, train_full_batch

pytest.importorskip("numba", reason="the compiled kernel is optional (needs numba)")


def _problem(S, n, H, seed, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(S, n, 2, generator=g, dtype=dtype)
    y = torch.randint(0, 2, (S, n), generator=g).to(dtype) * 2 - 1
    ps = [torch.randn(S, 2, H, generator=g, dtype=dtype),
          torch.randn(S, 1, H, generator=g, dtype=dtype),
          torch.randn(S, H, 1, generator=g, dtype=dtype) / H ** 0.5,
          torch.randn(S, 1, 1, generator=g, dtype=dtype)]
    return X, y, ps


def _autograd(X, y, ps, sd):
    qs = [p.clone().requires_grad_(True) for p in ps]
    out = torch.baddbmm(qs[3], torch.baddbmm(qs[1], X, qs[0]).relu(), qs[2]).squeeze(-1)
    obj = F.softplus(-y * out).mean(1) + sd * (out * out).mean(1)
    return out.detach(), torch.autograd.grad(obj.sum(), qs)


# n and H from 1 to 13 cover every remainder of the kernel's blocks of 4 points / units
@given(S=st.integers(1, 3), n=st.integers(1, 13), H=st.integers(1, 13),
       sd=st.floats(0.0, 1.0), seed=st.integers(0, 2**31 - 1))
def test_kernel_equals_autograd(S, n, H, sd, seed):
    X, y, ps = _problem(S, n, H, seed)
    sdt = torch.full((S,), sd, dtype=torch.float64)
    out, grads = TwoLayerKernel(X, y, sdt)(*ps)
    want_out, want = _autograd(X, y, ps, sdt)
    # float64, same sums in another order: agreement to rounding
    assert torch.allclose(out, want_out, rtol=1e-12, atol=1e-12)
    for got, w in zip(grads, want):
        assert got.shape == w.shape
        assert torch.allclose(got, w, rtol=1e-10, atol=1e-13)


def test_float32_kernel_tracks_float64():
    X, y, ps = _problem(4, 300, 500, seed=1)
    sd = torch.full((4,), 0.01, dtype=torch.float64)
    out64, g64 = TwoLayerKernel(X, y, sd)(*ps)
    out32, g32 = TwoLayerKernel(X.float(), y.float(), sd.float())(*[p.float() for p in ps])
    assert out32.dtype == torch.float32
    # float32 rounding of 500-term sums: ~1e-6 relative to the largest entry
    assert (out32.double() - out64).abs().max() <= 1e-5 * out64.abs().max()
    for a, b in zip(g32, g64):
        assert (a.double() - b).abs().max() <= 1e-5 * b.abs().max()


def test_thread_count_follows_torch_and_does_not_change_results():
    X, y, ps = _problem(6, 37, 50, seed=2)
    k = TwoLayerKernel(X, y, torch.zeros(6, dtype=torch.float64))
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = k(*ps)
        one = (one[0], [g.clone() for g in one[1]])   # buffers are reused by the next call
        torch.set_num_threads(3)                      # 6 copies in 3 shares of 2
        two = k(*ps)
    finally:
        torch.set_num_threads(before)
    # each copy is computed whole by one thread: bitwise equal
    assert torch.equal(one[0], two[0])
    assert all(torch.equal(a, b) for a, b in zip(one[1], two[1]))


def test_logits_are_fresh_and_nan_propagates():
    X, y, ps = _problem(2, 9, 6, seed=3)
    k = TwoLayerKernel(X, y, torch.zeros(2, dtype=torch.float64))
    first, _ = k(*ps)
    kept = first.clone()
    ps[3] = ps[3] + 1.0
    k(*ps)
    assert torch.equal(first, kept)
    ps[0][1, 0, 0] = float("nan")
    out, grads = k(*ps)
    assert torch.isnan(out[1]).any() and torch.isfinite(out[0]).all()
    assert torch.isnan(grads[2][1]).any()


def test_training_uses_the_kernel_and_matches_closed_form():
    X = torch.randn(3, 40, 2, generator=torch.Generator().manual_seed(4))
    y = torch.sign(X[..., 0])
    mods = init_mlps((2, 30, 1), [0, 1, 2])
    a, b = BatchedMLP.from_modules(mods), BatchedMLP.from_modules(mods)
    train_full_batch(a, X, y, steps=50, lr=1e-2, momentum=0.9, sd=0.003, gradients="kernel")
    train_full_batch(b, X, y, steps=50, lr=1e-2, momentum=0.9, sd=0.003,
                     gradients="closed-form")
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.allclose(p, q, rtol=1e-4, atol=1e-6)   # float32, 50 steps


def test_bad_input():
    X, y, ps = _problem(2, 5, 4, seed=5)
    sd = torch.zeros(2, dtype=torch.float64)
    with pytest.raises(ValueError, match="X: expected"):
        TwoLayerKernel(torch.zeros(2, 5, 3, dtype=torch.float64), y, sd)
    with pytest.raises(ValueError, match="X: dtype"):
        TwoLayerKernel(X.half(), y, sd)
    with pytest.raises(ValueError, match="y, sd"):
        TwoLayerKernel(X, y[:, :4], sd)
    k = TwoLayerKernel(X, y, sd)
    with pytest.raises(ValueError, match="W2: expected"):
        k(ps[0], ps[1], ps[2][:, :3], ps[3])
    with pytest.raises(ValueError, match="W1: expected"):
        k(ps[0].float(), *ps[1:])
    drop = BatchedMLP.from_modules(init_mlps((2, 4, 1), [0, 1], dropout=0.5))
    with pytest.raises(ValueError, match="gradients"):
        train_full_batch(drop, X.float(), y.float(), steps=1, gradients="kernel")
    wide = BatchedMLP.from_modules(init_mlps((3, 4, 1), [0]))
    with pytest.raises(ValueError, match="gradients"):
        train_full_batch(wide, torch.zeros(1, 5, 3), torch.ones(1, 5), steps=1,
                         gradients="kernel")
    with pytest.raises(ValueError, match="gradients"):
        train_full_batch(wide, torch.zeros(1, 5, 3), torch.ones(1, 5), steps=1,
                         gradients="fast")


@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_evaluate_uses_the_kernel_in_eval_mode(dropout):
    mods = init_mlps((2, 23, 1), [0, 1, 2], dropout=dropout, dtype=torch.float64)
    bm = BatchedMLP.from_modules(mods)
    grid = torch.randn(101, 2, dtype=torch.float64)
    got = evaluate(bm, grid)                       # shared inputs, kernel path
    assert bm.training                             # the mode is left as it was
    bm.eval()
    want = bm(grid)                                # torch forward, dropout off in eval
    assert torch.allclose(got, want, rtol=1e-12, atol=1e-12)
    per_copy = torch.randn(3, 17, 2, dtype=torch.float64)
    assert torch.allclose(kernel_logits(per_copy, *_stacked(bm)), bm(per_copy),
                          rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="b1: expected"):
        kernel_logits(per_copy, bm.weights[0], bm.biases[0][:2], bm.weights[1],
                      bm.biases[1])


def _stacked(bm):
    return bm.weights[0], bm.biases[0], bm.weights[1], bm.biases[1]
