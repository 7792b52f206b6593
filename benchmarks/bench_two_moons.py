"""Two moons, the official ``Figure_1`` workload: vectorised seeds vs a per-seed loop.

Work (both sides, same numbers): 10 seeds x 2 data sets (margins -0.1 and +0.1) x 1000
full-batch steps of the 2-500-1 ReLU net (PyTorch default init, SGD lr 1e-2 momentum 0.9,
mean softplus loss), then the logit on the authors' 100 x 100 heatmap grid.

* ours: the 20 runs as one stacked model (``gstheory.empirical.models.BatchedMLP``) trained by
  ``gstheory.empirical.training.train_full_batch``, whose exact gradients and grid logits come from
  the compiled kernel ``gstheory.empirical.kernels`` (numba; the activations are never stored);
* baseline: an ordinary loop, one seed at a time: ``nn.Sequential`` + ``torch.optim.SGD``
  + autograd, as the official script does.

Both run in this one process on ``--threads`` threads (default 1), interleaved,
``--repeats`` times; the median times and their ratio are printed (ratio on the last
line). The final grid logits of the two sides are compared (they start from the same
weights). The kernel's one-time cost (JIT compilation, or loading it from numba's on-disk
cache) is timed separately, before the repeats, and a ratio that charges it to our side
is printed too; ``--cold`` points numba at an empty cache so that this is a compilation.

Usage: ``python benchmarks/bench_two_moons.py [--repeats 3] [--steps 1000] [--threads 1]
[--cold]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

from gstheory.empirical.data.moons import two_moons
from gstheory.empirical.models import BatchedMLP, init_mlps
from gstheory.empirical.training import evaluate, train_full_batch

SEEDS = range(10)
MARGINS = (-0.1, 0.1)


def workload():
    runs = [(s, m) for s in SEEDS for m in MARGINS]
    data = [two_moons(300, m, seed=s) for s, m in runs]
    X = torch.tensor(np.stack([d[0] for d in data]), dtype=torch.float32)
    y = torch.tensor(np.stack([d[1] for d in data]), dtype=torch.float32)
    axis = np.linspace(-2, 2, 100)
    g1, g2 = np.meshgrid(axis, axis)
    grid = torch.tensor(np.stack([g1.ravel(), g2.ravel()], 1), dtype=torch.float32)
    return runs, X, y, grid


def ours(runs, X, y, grid, steps):
    model = BatchedMLP.from_modules(init_mlps((2, 500, 1), [s for s, _ in runs]))
    train_full_batch(model, X, y, steps=steps, lr=1e-2, momentum=0.9)
    return evaluate(model, grid)


def baseline(runs, X, y, grid, steps):
    out = []
    for k, (s, _) in enumerate(runs):
        net = init_mlps((2, 500, 1), [s])[0]
        opt = torch.optim.SGD(net.parameters(), lr=1e-2, momentum=0.9)
        for _ in range(steps):
            opt.zero_grad()
            loss = F.softplus(-y[k] * net(X[k])).mean()
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            out.append(net(grid))
    return torch.stack(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cold", action="store_true",
                    help="compile the kernel from scratch (empty numba cache)")
    args = ap.parse_args()
    if args.cold:
        import numba
        numba.config.CACHE_DIR = tempfile.mkdtemp(prefix="numba-cold-")
        os.environ["NUMBA_CACHE_DIR"] = numba.config.CACHE_DIR
    torch.set_num_threads(args.threads)
    runs, X, y, grid = workload()
    t = time.perf_counter()
    ours(runs[:2], X[:2], y[:2], grid, 20)          # kernel JIT (or cache load) + warm-up
    t_jit = time.perf_counter() - t
    baseline(runs[:2], X[:2], y[:2], grid, 20)
    t_ours, t_base = [], []
    for r in range(args.repeats):
        t = time.perf_counter()
        a = ours(runs, X, y, grid, args.steps)
        t_ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        b = baseline(runs, X, y, grid, args.steps)
        t_base.append(time.perf_counter() - t)
        print(f"repeat {r + 1}: ours {t_ours[-1]:.2f} s, per-seed loop {t_base[-1]:.2f} s")
    diff = float((a - b).abs().max())
    scale = float(b.abs().max())
    print(f"work: {len(runs)} runs x {args.steps} steps, width 500, n 300, "
          f"{args.threads} thread(s)")
    print(f"max |grid logit difference| ours vs loop: {diff:.2e} (logits up to {scale:.1f})")
    mo, mb = statistics.median(t_ours), statistics.median(t_base)
    print(f"median: ours {mo:.2f} s, per-seed loop {mb:.2f} s")
    print(f"one-time kernel cost ({'compilation' if args.cold else 'compile or cache load'}"
          f" plus a 20-step warm-up): {t_jit:.2f} s; ratio charging it to ours: "
          f"{mb / (mo + t_jit):.2f}x")
    print(f"speed ratio (per-seed loop / ours): {mb / mo:.2f}x")


if __name__ == "__main__":
    main()
