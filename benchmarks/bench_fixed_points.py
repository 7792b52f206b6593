r"""Benchmark: batched Newton fixed points vs a loop of ``scipy.optimize.root``.

Solves the exact dual fixed-point equation (Eq. 9), in logit coordinates,
``x + (1/lam) U S^2 U^T sigmoid(x) = 0``, for

* 100,000 two-feature instances (Eq. 15's ``U`` with random ``delta``), and
* 2,000 six-feature instances (random orthogonal ``U``),

with ``lam`` log-uniform in [1e-4, 1e2] and strengths log-uniform in [1e-2, 1e3], seeded.
The baseline is ``scipy.optimize.root`` (method ``hybr``, with the analytic Jacobian and
the same uncoupled starting point) called once per instance; it is timed on every
instance unless ``--baseline-sample K`` asks to time K instances and extrapolate. Every
residual of both routes is checked against ``1e-10`` (relative, as in
:mod:`gstheory.fixed_points`), and both must agree. Run::

    python3 benchmarks/bench_fixed_points.py

The last line is the speed ratio on the two-feature batch.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from scipy.optimize import root
from scipy.stats import ortho_group

from gstheory.dual import coords_residual, from_coords
from gstheory.dynamics import EXACT
from gstheory.fixed_points import solve_fixed_points
from gstheory.solvers.newton import evaluate, initial_guess
from gstheory.solvers.system import batch_system

RESIDUAL_MAX = 1e-10


def make_instances(rng: np.random.Generator, B: int, n: int) -> tuple:
    lam = 10.0 ** rng.uniform(-4, 2, size=B)
    s2 = 10.0 ** rng.uniform(-2, 3, size=(B, n))
    if n == 2:
        d = rng.uniform(-0.99, 0.99, size=B)
        c = np.sqrt(1 - d * d)
        U = np.stack([np.stack([c, -d], 1), np.stack([d, c], 1)], 1)
    else:
        U = ortho_group.rvs(n, size=B, random_state=rng)
    return U, s2, lam


def scipy_loop(U, s2, lam, count: int) -> tuple[np.ndarray, float]:
    """alpha for the first ``count`` instances, one scipy.optimize.root call each."""
    bs = batch_system(U[:count], s2[:count], lam[:count], "ridge", EXACT, None)
    M, c = bs.M, bs.c
    x0 = initial_guess(M, c, EXACT)
    out = np.empty_like(x0)
    t0 = time.perf_counter()
    for k in range(count):
        Mk, ck = M[k:k + 1], c[k:k + 1]

        def fun(x, Mk=Mk, ck=ck):
            F, J = coords_residual(x[None], Mk, ck, "exact")
            return F[0], J[0]

        sol = root(fun, x0[k], jac=True, method="hybr", options={"xtol": 1e-14})
        out[k] = sol.x
    elapsed = time.perf_counter() - t0
    res = evaluate(out, M, c, np.abs(M), EXACT).rel
    return from_coords(out, "exact")[0], elapsed, res


def run(B: int, n: int, rng: np.random.Generator, sample: int | None, repeats: int) -> float:
    U, s2, lam = make_instances(rng, B, n)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fp = solve_fixed_points(U, s2, lam, "ridge", "exact")
        times.append(time.perf_counter() - t0)
    t_newton = float(np.median(times))
    count = B if sample is None else min(sample, B)
    a_ref, t_scipy, res_scipy = scipy_loop(U, s2, lam, count)
    t_scipy_all = t_scipy * B / count
    worst = float(np.max(fp.residual))
    worst_scipy = float(np.max(res_scipy))
    ok_ref = res_scipy < RESIDUAL_MAX            # where scipy converged, both must agree
    agree = float(np.max(np.abs(a_ref[ok_ref] - fp.alpha[:count][ok_ref])
                         / fp.alpha[:count][ok_ref]))
    print(f"n={n}: {B} instances | batched Newton {B / t_newton:,.0f} inst/s "
          f"({t_newton:.3f} s, median of {repeats}; max iterations "
          f"{int(fp.iterations.max())}; worst residual {worst:.1e}; all converged: "
          f"{bool(fp.converged.all())})")
    print(f"       scipy.optimize.root loop {count / t_scipy:,.0f} inst/s ({t_scipy:.2f} s for "
          f"{count} instances{'' if count == B else f', extrapolated {t_scipy_all:.1f} s'}; "
          f"worst residual {worst_scipy:.1e}); max relative difference in alpha where scipy "
          f"converged {agree:.1e}")
    ok = worst < RESIDUAL_MAX and bool(fp.converged.all())
    if not ok:
        print(f"FAIL: a batched-Newton residual exceeds {RESIDUAL_MAX:g}", file=sys.stderr)
        sys.exit(1)
    if worst_scipy >= RESIDUAL_MAX:
        print(f"note: scipy.optimize.root left {int(np.sum(res_scipy >= RESIDUAL_MAX))} "
              f"residuals above {RESIDUAL_MAX:g}")
    ratio = t_scipy_all / t_newton
    print(f"       ratio n={n}: {ratio:.1f}x")
    return ratio


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--baseline-sample", type=int, default=None,
                    help="time scipy on this many instances and extrapolate (default: all)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    r6 = run(2_000, 6, rng, None, args.repeats)
    r2 = run(100_000, 2, rng, args.baseline_sample, args.repeats)
    print(f"speed-up of batched Newton over a scipy.optimize.root loop: six-feature "
          f"{r6:.1f}x; two-feature {r2:.1f}x")


if __name__ == "__main__":
    main()
