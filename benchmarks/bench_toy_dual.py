"""Toy dual figure: how fast it regenerates, and the batched engine vs the core loop.

* regenerate: ``run_experiment("toy-dual", "quick")`` from scratch (5 strengths x 3
  dynamics x 5000 steps with the batched engine, exact fixed points, the PNG) - target
  < 1 s; median over ``--repeats``.
* engines: the same runs through ``gstheory.dynamics`` one strength at a time
  (``engine=core``) vs all strengths at once (``engine=batched``), without the figure.

The official ``Figure_6/toy_fig_6.py`` took 32 s on this machine class
(``BENCHMARKS.md``; not rerun here). Ratio on the last line.

Usage: ``python benchmarks/bench_toy_dual.py [--repeats 5]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from gstheory.empirical import harness
from gstheory.empirical.experiments.toy_dual import (
    ToyDualConfig,
    fixed_points,
    runs_batched,
    runs_core,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    harness.get("toy-dual")  # import outside the timings
    regen, batched, core = [], [], []
    cfg = ToyDualConfig()
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            t = time.perf_counter()
            res = harness.run_experiment("toy-dual", "quick", out_dir=f"{tmp}/{r}",
                                         progress=False)
            regen.append(time.perf_counter() - t)
            assert res.all_confirmed and res.figures
            t = time.perf_counter()
            runs_batched(cfg)
            fixed_points(cfg)
            batched.append(time.perf_counter() - t)
            t = time.perf_counter()
            runs_core(cfg)
            fixed_points(cfg)
            core.append(time.perf_counter() - t)
    mr, mb, mc = (statistics.median(v) for v in (regen, batched, core))
    print(f"regenerate the figure (runs + fixed points + PNG + JSON): median {mr:.3f} s "
          f"(target < 1 s: {'met' if mr < 1 else 'NOT met'})")
    print(f"runs + fixed points: batched {mb:.3f} s, core one strength at a time {mc:.3f} s")
    print(f"speed ratio (core loop / batched): {mc / mb:.2f}x")


if __name__ == "__main__":
    main()
