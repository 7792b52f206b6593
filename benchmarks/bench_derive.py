"""Time to regenerate each symbolic derivation, and targeted checks vs blind simplify().

Usage::

    python benchmarks/bench_derive.py [--repeats 3] [--cap 60] [--baseline NAME ...]

Part 1 prints the median wall time (SymPy's cache cleared before every repeat, so each
repeat does all the work) of building + rendering every derivation, and the total; the
budget is 60 s, the target 20 s.

Part 2 is the side-by-side comparison: the same derivations with every exact check
routed through ``sympy.simplify`` (the "blind" baseline) instead of the targeted
simplifier each step names. A baseline run that exceeds ``--cap`` seconds is stopped and
reported as a lower bound; one where ``simplify`` cannot prove a true step is reported as
such. The last line prints the ratio baseline / ours over the derivations compared.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import time

import sympy as sp
from sympy.core.cache import clear_cache

from gstheory import symbolic
from gstheory.proofs.render import render
from gstheory.symbolic import derivation
from gstheory.symbolic.derivation import StepFailed

#: all derivations by default; see --baseline
DEFAULT_BASELINE: list[str] = []


def timed(name: str) -> float:
    clear_cache()
    t0 = time.perf_counter()
    render(symbolic.derive(name))
    return time.perf_counter() - t0


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def baseline(name: str, cap: int) -> tuple[float, str]:
    """Run ``name`` with every simplifier replaced by ``sympy.simplify``."""
    saved = dict(derivation.SIMPLIFIERS)
    for key in derivation.SIMPLIFIERS:
        derivation.SIMPLIFIERS[key] = sp.simplify
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(cap)
    clear_cache()
    t0 = time.perf_counter()
    status = "ok"
    try:
        render(symbolic.derive(name))
    except _Timeout:
        status = f"stopped at the {cap} s cap (lower bound)"
    except StepFailed as exc:
        status = f"simplify() could not verify a true step: {str(exc)[:80]}"
    finally:
        signal.alarm(0)
        derivation.SIMPLIFIERS.clear()
        derivation.SIMPLIFIERS.update(saved)
    return time.perf_counter() - t0, status


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cap", type=int, default=30, help="seconds per baseline derivation")
    ap.add_argument("--baseline", nargs="*", default=DEFAULT_BASELINE, metavar="NAME",
                    help="derivations to run with the simplify() baseline (default: all)")
    args = ap.parse_args(argv)
    names = args.baseline or symbolic.names()
    ours: dict[str, float] = {}
    print(f"{'derivation':<26} {'median s':>9}  (repeats={args.repeats})")
    for name in symbolic.names():
        ours[name] = statistics.median(timed(name) for _ in range(args.repeats))
        print(f"{name:<26} {ours[name]:9.2f}", flush=True)
    total = sum(ours.values())
    print(f"{'total':<26} {total:9.2f}  (budget 60 s, target 20 s)")
    print()
    print(f"{'derivation':<26} {'ours s':>8} {'simplify() s':>13}  status")
    tot_ours = tot_base = 0.0
    compared, failed = 0, 0
    for name in names:
        b, status = baseline(name, args.cap)
        print(f"{name:<26} {ours[name]:8.2f} {b:13.2f}  {status}", flush=True)
        if status.startswith("simplify() could not"):
            failed += 1  # not comparable: the baseline cannot do the job at all
            continue
        compared += 1
        tot_ours += ours[name]
        tot_base += b
    print(f"simplify() could not verify {failed} of {len(names)} derivations")
    print(f"blind simplify() / targeted checks over the {compared} it could run (capped "
          f"runs count as their cap): {tot_base / tot_ours:.1f}x "
          f"({tot_base:.1f} s vs {tot_ours:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
