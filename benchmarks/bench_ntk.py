r"""Benchmark: empirical NTK Gram of an MLP 392-512-512-1 on n = 1000 inputs.

Four ways to the same ``n x n`` matrix :math:`K = \Phi_0\Phi_0^T` (Eq. 2), measured side
by side in one run:

* ``ours``        -- :func:`gstheory.ntk.ntk_gram` (``route="layerwise"``): one batched
  forward, one backward to the layer outputs, per-layer Gram products; never ``n x m``;
* ``loop``        -- a per-example autograd loop (one backward per example, rows of
  :math:`\Phi_0` stacked, then :math:`\Phi_0\Phi_0^T`), what the official code does
  through nngeometry with batch size 1;
* ``vmap_jacrev`` -- torch.func ``vmap(jacrev)`` per-example Jacobians, then the product;
* ``fwd_bwd``     -- one batched forward + backward (parameter gradients), the reference
  for "how fast could anything be".

Each method runs in its own spawned process (same seed, same model and data) so that its
peak resident memory above the process's starting point can be read from
``getrusage``; timings are medians over repeats, wall and CPU time (CPU time is less
disturbed by other users of a shared machine). The ours/fwd_bwd ratio comes from a
separate process that alternates the two, so that outside load hits both alike. The last
line prints the ratios.

Usage::

    OMP_NUM_THREADS=2 python benchmarks/bench_ntk.py            # n = 1000, float32
    OMP_NUM_THREADS=1 python benchmarks/bench_ntk.py --n 200 --repeats 3
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import statistics
import sys
import time

import numpy as np

D_IN, WIDTHS = 392, (512, 512)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _setup(n: int, dtype_name: str, threads: int):
    import torch

    from gstheory.ntk import NTKMLP

    torch.set_num_threads(threads)
    dtype = getattr(torch, dtype_name)
    net = NTKMLP(D_IN, list(WIDTHS), "relu", seed=0, dtype=dtype)
    X = torch.randn(n, D_IN, generator=torch.Generator().manual_seed(1), dtype=dtype)
    return torch, net, X


def _method(name: str, torch, net, X):
    from gstheory.ntk import ntk_gram

    params = [p for p in net.parameters() if p.requires_grad]
    n = X.shape[0]

    if name == "ours":
        return lambda: ntk_gram(net, X, route="layerwise", max_bytes=2**33)
    if name == "fwd_bwd":
        def run():
            net.zero_grad(set_to_none=True)
            net(X).sum().backward()
        return run
    if name == "loop":
        def run():
            rows = []
            for i in range(n):
                g = torch.autograd.grad(net(X[i:i + 1]).sum(), params)
                rows.append(torch.cat([t.reshape(-1) for t in g]))
            J = torch.stack(rows)
            return (J @ J.T).double().numpy()
        return run
    if name == "vmap_jacrev":
        from torch.func import functional_call, jacrev, vmap
        pd = {k: v.detach() for k, v in net.named_parameters()}

        def single(p, x):
            return functional_call(net, p, (x[None],)).reshape(())

        def run():
            jac = vmap(jacrev(single), in_dims=(None, 0))(pd, X)
            J = torch.cat([j.reshape(n, -1) for j in jac.values()], dim=1)
            return (J @ J.T).double().numpy()
        return run
    raise ValueError(name)


def _timed(fn) -> tuple[float, float, object]:
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w0, time.process_time() - c0, out


def _child(name: str, n: int, dtype_name: str, threads: int, repeats: int, queue) -> None:
    torch, net, X = _setup(n, dtype_name, threads)
    if name == "interleaved":
        # ours and fwd_bwd alternately in one process: load from other users of the
        # machine hits both alike, so their ratio is the robust number
        fns = {k: _method(k, torch, net, X) for k in ("fwd_bwd", "ours")}
        for f in fns.values():
            f()
        acc: dict[str, list] = {k: [] for k in fns}
        for _ in range(repeats):
            for k, f in fns.items():
                acc[k].append(_timed(f)[:2])
        queue.put({k: {"wall": statistics.median(w for w, _ in v),
                       "cpu": statistics.median(c for _, c in v)} for k, v in acc.items()})
        return
    fn = _method(name, torch, net, X)
    start_rss = _rss_bytes()  # before the warm-up, so that the peak counts every allocation
    if name in ("ours", "fwd_bwd"):
        fn()  # warm-up (allocator, thread pool); the slow baselines are not warmed up
    walls, cpus, K = [], [], None
    for _ in range(repeats):
        w, c, K = _timed(fn)
        walls.append(w)
        cpus.append(c)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    queue.put({"name": name, "time": statistics.median(walls), "times": walls,
               "cpu": statistics.median(cpus),
               "peak_extra_bytes": max(0, peak - start_rss), "K": K})


def measure(name: str, n: int, dtype_name: str, threads: int, repeats: int) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(name, n, dtype_name, threads, repeats, q))
    p.start()
    out = q.get()
    p.join()
    if p.exitcode != 0:
        raise RuntimeError(f"{name}: child exited with {p.exitcode}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--repeats", type=int, default=7, help="repeats of ours and fwd_bwd")
    ap.add_argument("--baseline-repeats", type=int, default=1,
                    help="repeats of the slow baselines (loop, vmap_jacrev)")
    ap.add_argument("--skip", default="", help="comma-separated methods to skip")
    args = ap.parse_args(argv)
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    m = D_IN * WIDTHS[0] + WIDTHS[0] * WIDTHS[1] + WIDTHS[1]
    itemsize = 4 if args.dtype == "float32" else 8
    print(f"MLP {D_IN}-{WIDTHS[0]}-{WIDTHS[1]}-1 (m = {m} parameters), n = {args.n}, "
          f"{args.dtype}, {threads} thread(s); n x m would be "
          f"{args.n * m * itemsize / 2**20:.0f} MiB", flush=True)
    skip = {s for s in args.skip.split(",") if s}
    res = {}
    for name in ("fwd_bwd", "ours", "loop", "vmap_jacrev"):
        if name in skip:
            continue
        reps = args.repeats if name in ("ours", "fwd_bwd") else args.baseline_repeats
        r = measure(name, args.n, args.dtype, threads, reps)
        res[name] = r
        print(f"{name:12s} median {r['time']:9.4f} s wall ({r['cpu']:9.4f} s cpu) over "
              f"{len(r['times'])} run(s); "
              f"peak extra memory {r['peak_extra_bytes'] / 2**20:8.1f} MiB", flush=True)
    if "ours" in res:
        K = res["ours"]["K"]
        for b in ("loop", "vmap_jacrev"):
            if b in res:
                err = np.max(np.abs(res[b]["K"] - K)) / np.max(np.abs(K))
                print(f"max |K_ours - K_{b}| / max |K| = {err:.2e}")
    parts = []
    t = {k: v["time"] for k, v in res.items()}
    c = {k: v["cpu"] for k, v in res.items()}
    if "ours" in t:
        for b in ("loop", "vmap_jacrev"):
            if b in t:
                parts.append(f"{b}/ours = {t[b] / t['ours']:.0f}x wall "
                             f"({c[b] / c['ours']:.0f}x cpu)")
        if "fwd_bwd" in t and "interleaved" not in skip:
            il = measure("interleaved", args.n, args.dtype, threads, args.repeats)
            print(f"interleaved medians: ours {il['ours']['wall']:.4f} s wall "
                  f"({il['ours']['cpu']:.4f} s cpu), fwd_bwd {il['fwd_bwd']['wall']:.4f} s "
                  f"wall ({il['fwd_bwd']['cpu']:.4f} s cpu)")
            parts.append(f"ours/fwd_bwd = {il['ours']['wall'] / il['fwd_bwd']['wall']:.2f}x "
                         f"wall ({il['ours']['cpu'] / il['fwd_bwd']['cpu']:.2f}x cpu)")
        mem = res["ours"]["peak_extra_bytes"]
        parts.append(f"ours peak extra memory = {mem / (args.n * m * itemsize):.3f} of n x m")
    print("ratios: " + "; ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
