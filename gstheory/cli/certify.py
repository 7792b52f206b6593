"""``gstheory certify theorem2``: interval-arithmetic proof of Theorem 2's sign on a box.

Paper: Theorem 2 (Eq. 16), Eq. 9, Eq. 10, Eq. 15. With :math:`s_2^2 = 1`: ``--ratio`` is
:math:`s_1^2/s_2^2` and ``--lam`` is :math:`\\lambda/s_2^2` (the sign depends only on these
and ``delta``; derivation ``theorem-2-scaling``).
"""

from __future__ import annotations

import argparse
import re
import time

from gstheory.certificates import DEFAULT_MAX_BOXES, DEFAULT_MAX_DEPTH, certify_theorem2

from .common import CliError, emit_json, interval

CLAIMS = ("theorem2",)


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gstheory certify``."""
    # let "--delta -0.1,0.1" through: argparse would take "-0.1,0.1" for an option
    parser._negative_number_matcher = re.compile(r"^-(\d|\.\d)")
    parser.add_argument("claim", choices=CLAIMS, help="the claim to certify")
    parser.add_argument("--delta", required=True, metavar="LO,HI",
                        help="Eq. 15 coupling interval inside (-1, 1)")
    parser.add_argument("--ratio", required=True, metavar="LO,HI",
                        help="s1^2 / s2^2 interval, > 0")
    parser.add_argument("--lam", required=True, metavar="LO,HI",
                        help="lambda / s2^2 interval, > 0")
    parser.add_argument("--dynamics", choices=("exact", "taylor"), default="exact",
                        help="Eq. 9 (exact, default) or Eq. 10 (taylor)")
    parser.add_argument("--max-depth", type=int, default=DEFAULT_MAX_DEPTH, metavar="N",
                        help=f"bisection depth limit (default {DEFAULT_MAX_DEPTH})")
    parser.add_argument("--max-boxes", type=int, default=DEFAULT_MAX_BOXES, metavar="N",
                        help=f"budget of boxes examined (default {DEFAULT_MAX_BOXES})")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _intervals(args: argparse.Namespace) -> tuple[tuple[float, float], ...]:
    delta = interval("--delta", args.delta)
    ratio = interval("--ratio", args.ratio)
    lam = interval("--lam", args.lam)
    if not (-1.0 < delta[0] and delta[1] < 1.0):
        raise CliError(f"argument --delta: {args.delta!r} must lie inside (-1, 1)")
    if not ratio[0] > 0:
        raise CliError(f"argument --ratio: {args.ratio!r} must be > 0")
    if not lam[0] > 0:
        raise CliError(f"argument --lam: {args.lam!r} must be > 0")
    if args.max_depth < 0 or args.max_depth > 60:
        raise CliError(f"argument --max-depth: {args.max_depth} must be in [0, 60]")
    if args.max_boxes < 1:
        raise CliError(f"argument --max-boxes: {args.max_boxes} must be >= 1")
    return delta, ratio, lam


def _fmt(box: dict) -> str:
    return ("delta [{:.6g}, {:.6g}]  ratio [{:.6g}, {:.6g}]  lam [{:.6g}, {:.6g}]"
            .format(*box["delta"], *box["ratio"], *box["lam"]))


def execute(args: argparse.Namespace) -> int:
    """Run the certificate; exit 0 whatever the verdict (a refutation is a result)."""
    delta, ratio, lam = _intervals(args)
    t0 = time.perf_counter()
    cert = certify_theorem2(delta, ratio, lam, dynamics=args.dynamics,
                            max_depth=args.max_depth, max_boxes=args.max_boxes)
    out = cert.to_dict()
    out["seconds"] = time.perf_counter() - t0
    if args.json:
        emit_json(out)
        return 0
    print(f"Theorem 2 (d z2*/d s1^2 < 0), {args.dynamics} dynamics, s2^2 = 1")
    print(f"box: {_fmt(out['box'])}")
    print(f"verdict: {out['verdict']}")
    print(f"certified fraction: {out['certified_fraction']:.6f}   refuted: "
          f"{out['refuted_fraction']:.6f}   undecided: {out['undecided_fraction']:.6f}"
          "   (volume in delta, log ratio, log lam)")
    print(f"boxes: {len(cert.certified)} certified, {len(cert.refuted)} refuted, "
          f"{len(cert.undecided)} undecided; {cert.boxes_examined} examined in "
          f"{out['seconds']:.1f} s" + ("; box budget exhausted" if cert.exhausted else ""))
    for v in out["refuted"][:5]:
        pd = v["point_derivative"]
        print(f"  refuted: {_fmt(v['box'])}; counterexample delta={v['point'][0]:.6g} "
              f"ratio={v['point'][1]:.6g} lam={v['point'][2]:.6g}: derivative in "
              f"[{pd[0]:.6g}, {pd[1]:.6g}]" if pd else f"  refuted: {_fmt(v['box'])}")
    if len(out["refuted"]) > 5:
        print(f"  ... {len(out['refuted']) - 5} more refuted boxes (--json lists all)")
    for v in out["undecided"][:3]:
        print(f"  undecided: {_fmt(v['box'])} ({v['reason']})")
    return 0
