"""``gstheory verify``: run the fast checks of every claim and print the claims table.

Exit status 1 when a check does not come out as expected (a regression), 0 otherwise;
the paper being wrong somewhere is an expected, reported result, not a failure.

Paper: Sec. 3 (Eq. 6-18, Theorem 1, Theorem 2, Lemma 1) and the experiments of Sec. 4.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from gstheory.claims import registry, regressions, run_derivations

from .common import emit_json


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gstheory verify``."""
    parser.add_argument("--results", type=Path, default=Path("results"), metavar="DIR",
                        help="read experiments' result.json from DIR (default: results)")
    parser.add_argument("--preset", choices=("quick", "paper", "smoke"), default="quick",
                        help="which preset's experiment results to read (default quick)")
    parser.add_argument("--no-certify", action="store_true",
                        help="skip the interval certificates of Theorem 2")
    parser.add_argument("--proofs", type=Path, default=None, metavar="DIR",
                        help="committed derivation documents to compare (default "
                             "proofs/generated)")
    parser.add_argument("--cache", type=Path, default=None, metavar="DIR",
                        help="cache of derivation records (default $GSTHEORY_CACHE or "
                             "~/.cache/gstheory)")
    parser.add_argument("--fresh", action="store_true",
                        help="run every SymPy derivation now instead of reusing the "
                             "record cached under the sources' hash")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="print every check's evidence line")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def table(claims: list) -> list[str]:
    """The claims table as text lines."""
    rows = [("claim", "paper", "status", "checks (level: status)")]
    for c in claims:
        counts: dict[str, int] = {}
        for k in c.checks:
            if k.level == "property-tests":
                continue
            key = f"{k.level}:{k.status}"
            counts[key] = counts.get(key, 0) + 1
        rows.append((c.id, c.paper_ref, c.status,
                     ", ".join(f"{v}x {k}" for k, v in counts.items())))
    w = [max(len(r[i]) for r in rows) for i in range(3)]
    return [f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]}" for r in rows]


def execute(args: argparse.Namespace) -> int:
    """Run the checks; 1 if any regressed."""
    t0 = time.perf_counter()
    if args.proofs is not None and not args.proofs.is_dir():
        from .common import CliError
        raise CliError(f"argument --proofs: {str(args.proofs)!r} is not a directory")
    from gstheory.proofs.render import render

    recs = run_derivations(render, proofs_dir=args.proofs, cache_dir=args.cache,
                           use_cache=not args.fresh)
    source = sorted({r["source"] for r in recs.values()})
    claims = registry(results_dir=args.results, preset=args.preset, derivations=recs,
                      certify=not args.no_certify)
    bad = regressions(claims)
    seconds = time.perf_counter() - t0
    if args.json:
        emit_json({"claims": [c.to_dict() for c in claims],
                   "regressions": [{"claim": cid, "check": k.name, "status": k.status,
                                    "expected": k.expected} for cid, k in bad],
                   "derivations": {"source": source, "count": len(recs)},
                   "ok": not bad, "seconds": seconds})
        return 1 if bad else 0
    for line in table(claims):
        print(line)
    for c in claims:
        if c.domain or c.counterexample or args.verbose:
            print(f"\n{c.id} ({c.status}): {c.statement}")
            if c.domain:
                print(f"  domain: {c.domain}")
            if c.counterexample:
                print(f"  counterexample: {c.counterexample}")
            for k in c.checks:
                if args.verbose or k.level in ("validity-scan",):
                    print(f"  [{k.level}] {k.name}: {k.status}: {k.detail}")
    print(f"\nderivations: {len(recs)} ({' and '.join(source)}: "
          + ("SymPy run now" if source == ["fresh"] else
             "records reused from the cache keyed on the symbolic sources + SymPy version")
          + ")")
    print(f"{sum(len(c.checks) for c in claims)} checks on {len(claims)} claims in "
          f"{seconds:.1f} s; " + ("no regression" if not bad else
                                   f"{len(bad)} REGRESSION(S): " +
                                   "; ".join(f"{cid}/{k.name} is {k.status}, expected "
                                             f"{k.expected}" for cid, k in bad)))
    return 1 if bad else 0
