"""``gstheory certify theorem2``: interval-arithmetic proof of Theorem 2's sign on a box.

Paper: Theorem 2 (Eq. 16), Eq. 9, Eq. 10, Eq. 15. With :math:`s_2^2 = 1`: ``--ratio`` is
:math:`s_1^2/s_2^2` and ``--lam`` is :math:`\\lambda/s_2^2` (the sign depends only on these
and ``delta``; derivation ``theorem-2-scaling``).

Exit status: 0 when the whole box is certified, 1 when a box is refuted (a verified
counterexample to the statement) or part of the box is left undecided, 2 on bad input
(refused before any work, one line naming the argument and its supported range).
"""

from __future__ import annotations

import argparse
import re

from gstheory.certificates import (
    BACKENDS,
    DEFAULT_MAX_BOXES,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_SECONDS,
    DELTA_RANGE,
    ENCLOSURES,
    LAM_RANGE,
    RATIO_RANGE,
    STATEMENTS,
    certify_theorem2,
)

from .common import CliError, emit_json, float_list

CLAIMS = ("theorem2",)


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gstheory certify``."""
    # let "--delta -0.1,0.1" through: argparse would take "-0.1,0.1" for an option
    parser._negative_number_matcher = re.compile(r"^-(\d|\.\d)")
    parser.add_argument("claim", choices=CLAIMS, help="the claim to certify")
    parser.add_argument("--delta", required=True, metavar="LO,HI",
                        help=f"Eq. 15 coupling interval within [{DELTA_RANGE[0]:g}, "
                             f"{DELTA_RANGE[1]:g}]")
    parser.add_argument("--ratio", required=True, metavar="LO,HI",
                        help=f"s1^2 / s2^2 interval within [{RATIO_RANGE[0]:g}, "
                             f"{RATIO_RANGE[1]:g}]")
    parser.add_argument("--lam", required=True, metavar="LO,HI",
                        help=f"lambda / s2^2 interval within [{LAM_RANGE[0]:g}, "
                             f"{LAM_RANGE[1]:g}]")
    parser.add_argument("--dynamics", choices=("exact", "taylor"), default="exact",
                        help="Eq. 9 (exact, default) or Eq. 10 (taylor)")
    parser.add_argument("--magnitude", action="store_true",
                        help="certify the convention-free d|z2*|/d s1^2 < 0 (where "
                             "z2* != 0) instead of the signed Eq. 16")
    parser.add_argument("--backend", choices=BACKENDS, default="auto",
                        help="interval library (auto: mpmath, measured faster than "
                             "python-flint on these boxes)")
    parser.add_argument("--enclosure", choices=ENCLOSURES, default="any",
                        help="any (a-priori lemma where it applies) or numeric "
                             "(Miranda/Krawczyk enclosures only)")
    parser.add_argument("--max-depth", default=str(DEFAULT_MAX_DEPTH), metavar="N",
                        help=f"bisection depth limit in [0, 200] (default "
                             f"{DEFAULT_MAX_DEPTH})")
    parser.add_argument("--max-boxes", default=str(DEFAULT_MAX_BOXES), metavar="N",
                        help=f"budget of boxes examined, >= 1 (default {DEFAULT_MAX_BOXES})")
    parser.add_argument("--max-seconds", default=str(DEFAULT_MAX_SECONDS), metavar="S",
                        help=f"time budget in seconds, > 0 (default {DEFAULT_MAX_SECONDS:g})")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _range(name: str, text: str, supported: tuple[float, float]) -> tuple[float, float]:
    """Parse ``LO,HI`` and check it lies within the supported range (one-line error)."""
    lo_s, hi_s = supported
    vals = float_list(name, text)
    if len(vals) != 2:
        raise CliError(f"argument {name}: expected LO,HI, got {text!r}")
    lo, hi = vals
    if not (lo_s <= lo <= hi_s and lo_s <= hi <= hi_s):
        raise CliError(f"argument {name}: {text!r} is outside the supported range "
                       f"[{lo_s:g}, {hi_s:g}]")
    if not lo < hi:
        raise CliError(f"argument {name}: empty or inverted interval {text!r} (need LO < HI)")
    return lo, hi


def _number(name: str, text: str, kind: type, lo: float, hi: float | None) -> float:
    try:
        v = kind(text)
    except ValueError:
        raise CliError(f"argument {name}: expected a number, got {text!r}") from None
    if not (v >= lo if kind is int else v > lo) or (hi is not None and v > hi):
        rng = f"[{lo:g}, {hi:g}]" if hi is not None else (f">= {lo:g}" if kind is int
                                                          else f"> {lo:g}")
        raise CliError(f"argument {name}: {text!r} must be {rng}")
    return v


def _arguments(args: argparse.Namespace) -> dict:
    return {"delta": _range("--delta", args.delta, DELTA_RANGE),
            "ratio": _range("--ratio", args.ratio, RATIO_RANGE),
            "lam": _range("--lam", args.lam, LAM_RANGE),
            "max_depth": int(_number("--max-depth", args.max_depth, int, 0, 200)),
            "max_boxes": int(_number("--max-boxes", args.max_boxes, int, 1, None)),
            "max_seconds": _number("--max-seconds", args.max_seconds, float, 0.0, 86400.0)}


def _fmt(box: dict) -> str:
    return ("delta [{:.6g}, {:.6g}]  ratio [{:.6g}, {:.6g}]  lam [{:.6g}, {:.6g}]"
            .format(*box["delta"], *box["ratio"], *box["lam"]))


def _pair(v: list | None) -> str:
    return "n/a" if v is None else f"[{v[0]:.6g}, {v[1]:.6g}]"


def execute(args: argparse.Namespace) -> int:
    """Run the certificate; 0 certified, 1 refuted or undecided (see the module)."""
    a = _arguments(args)
    cert = certify_theorem2(a["delta"], a["ratio"], a["lam"], dynamics=args.dynamics,
                            magnitude=args.magnitude, backend=args.backend,
                            enclosure=args.enclosure, max_depth=a["max_depth"],
                            max_boxes=a["max_boxes"], max_seconds=a["max_seconds"])
    out = cert.to_dict()
    rc = 0 if cert.verdict == "certified" else 1
    if args.json:
        emit_json(out)
        return rc
    form = "magnitude" if args.magnitude else "signed"
    print(f"Theorem 2 ({STATEMENTS[form]}), {args.dynamics} dynamics, s2^2 = 1, "
          f"{cert.backend} intervals")
    print(f"box: {_fmt(out['box'])}")
    print(f"verdict: {out['verdict']}")
    print(f"certified fraction: {out['certified_fraction']:.6f}   refuted: "
          f"{out['refuted_fraction']:.6f}   undecided: {out['undecided_fraction']:.6f}"
          "   (volume in delta, log ratio, log lam)")
    left = sum(1 for v in cert.undecided if v.reason.endswith("exhausted"))
    print(f"{cert.boxes_examined} boxes examined in {cert.seconds:.1f} s; leaves: "
          f"{len(cert.certified)} certified, {len(cert.refuted)} refuted, "
          f"{len(cert.undecided) - left} undecided"
          + (f", {left} not examined ({cert.stopped} exhausted)" if left else ""))
    for v in out["refuted"][:5]:
        where = (f"counterexample delta={v['point'][0]:.6g} ratio={v['point'][1]:.6g} "
                 f"lam={v['point'][2]:.6g}: value in {_pair(v['point_derivative'])}"
                 if v["point"] else f"value in {_pair(v['derivative'])}")
        print(f"  refuted: {_fmt(v['box'])}; {where}; {v['reason']}")
    if len(out["refuted"]) > 5:
        print(f"  ... {len(out['refuted']) - 5} more refuted boxes (--json lists all)")
    for v in [u for u in out["undecided"] if not u["reason"].endswith("exhausted")][:3]:
        print(f"  undecided: {_fmt(v['box'])} ({v['reason']})")
    return rc
