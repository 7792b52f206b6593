r"""``gstheory solve``: fixed point, responses ``z*`` and starvation matrix.

Interface (scripts depend on it)::

    gstheory solve --s2 36,4 --lam 0.01 --delta 0.5 [--U FILE.npy] [--penalty ridge|sd]
                   [--dynamics exact|taylor] [--precision DIGITS] [--json]

``--s2`` lists the squared strengths; ``--delta`` builds Eq. 15's ``U`` (its n-feature
generalisation :func:`gstheory.spectrum.coupling_matrix` for more than two strengths);
``--U`` loads any orthogonal ``U`` from a ``.npy`` file instead. ``--precision`` switches
to the mpmath solver at that many digits. ``--json`` prints one object with ``alpha``,
``z``, ``starvation`` (``[i][j]`` = d z*_j / d s_i^2), ``starvation_magnitude``
(``[i][j]`` = d|z*_j| / d s_i^2, free of the SVD's sign convention; ``null`` where
z*_j = 0) and the inputs and diagnostics. Strings (``--penalty``, ``--dynamics``) are turned
into the library's types here, at the boundary.

Paper: Eq. 9-11, 15, 18; Definition 2; Theorem 2.
"""

from __future__ import annotations

import argparse
import difflib
import math
from pathlib import Path
from typing import Any

import numpy as np

from .. import validation as check
from ..dynamics import NAMES as DYNAMICS_NAMES
from ..dynamics import as_dynamics
from ..penalties import PENALTY_NAMES, make_penalty
from ..sensitivity import (
    starvation_magnitude,
    starvation_magnitude_mp,
    starvation_matrix,
    starvation_matrix_mp,
)
from ..solvers import ConvergenceError, solve_fixed_point, solve_fixed_point_mp
from ..spectrum import Spectrum, coupling_matrix
from .common import CliError, emit_json, float_list
from .solve_data import configure_data, execute_data


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gstheory solve``."""
    parser.epilog = ("example: gstheory solve --s2 36,4 --lam 0.01 --delta 0.5 --json  "
                     "(starvation[i][j] = d z*_j / d s_i^2; negative: feature i starves j)")
    parser.add_argument("--s2", default=None, metavar="S2[,S2...]",
                        help="squared feature strengths s_i^2 > 0, comma-separated")
    parser.add_argument("--lam", default=None, type=str, metavar="LAMBDA",
                        help="regularisation lambda > 0 (weight decay for ridge, logit "
                             "penalty for sd)")
    parser.add_argument("--delta", type=str, default=None, metavar="DELTA",
                        help="coupling in (-1, 1): Eq. 15's U for two strengths, its "
                             "n-feature generalisation otherwise (default 0: U = I)")
    parser.add_argument("--U", dest="U", default=None, metavar="FILE.npy",
                        help="orthogonal n x n matrix U from a .npy file (instead of "
                             "--delta)")
    parser.add_argument("--penalty", default="ridge", choices=PENALTY_NAMES,
                        help="ridge (Eq. 5) or spectral decoupling (Eq. 17)")
    parser.add_argument("--gamma", type=str, default=None, metavar="G[,G...]",
                        help="sd only: margin target(s), one value or one per example")
    parser.add_argument("--dynamics", default="exact", choices=DYNAMICS_NAMES,
                        help="exact dual dynamics (Eq. 9 / 18) or the Taylor form "
                             "(Eq. 10)")
    parser.add_argument("--precision", type=str, default=None, metavar="DIGITS",
                        help="solve with mpmath at this many significant digits "
                             "(15..10000)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object instead of the human-readable text")
    configure_data(parser)
    _refuse_unknown_arguments(parser)


def _refuse_unknown_arguments(parser: argparse.ArgumentParser) -> None:
    """Make an unknown or misspelt flag the first error, in one line naming it and the
    nearest known flag (``--lamda`` -> ``did you mean --lam?``), before any required
    argument is reported missing."""
    known = [o for a in parser._actions for o in a.option_strings if o.startswith("--")]
    parse_known = parser.parse_known_args

    def parse_known_args(args: Any = None, namespace: Any = None) -> Any:
        ns, extras = parse_known(args, namespace)
        flags = [a for a in extras if a.startswith("-")]
        if flags:
            bad = flags[0].split("=", 1)[0]
            near = difflib.get_close_matches(bad, known, n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise CliError(f"unrecognized argument {bad}{hint}")
        if extras:
            raise CliError(f"unrecognized argument {extras[0]!r}")
        return ns, extras

    parser.parse_known_args = parse_known_args  # type: ignore[method-assign]


def _number(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CliError(f"argument {name}: expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise CliError(f"argument {name}: must be finite, got {text!r}")
    return value


def _load_U(path: str, n: int) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise CliError(f"argument --U: no such file {path!r}")
    try:
        U = np.load(p, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise CliError(f"argument --U: cannot read {path!r} as a .npy array ({exc})") \
            from None
    try:
        return check.orthogonal("U", U, n=n)
    except ValueError as exc:
        raise CliError(f"argument --U: {exc}") from None


def _build(args: argparse.Namespace) -> tuple[Spectrum, Any, dict[str, Any]]:
    s2 = float_list("--s2", args.s2)
    try:
        check.positive_array("s2", s2, ndim=1)
    except ValueError as exc:
        raise CliError(f"argument --s2: {exc}") from None
    if args.lam is None:
        raise CliError("the following arguments are required: --lam")
    lam = _number("--lam", args.lam)
    if not lam > 0:
        raise CliError(f"argument --lam: lam={lam!r}: must be > 0 (allowed range (0, inf))")
    n = len(s2)
    if args.U is not None and args.delta is not None:
        raise CliError("argument --U: give either --U or --delta, not both")
    if args.U is not None:
        U = _load_U(args.U, n)
        delta = None
    else:
        delta = 0.0 if args.delta is None else _number("--delta", args.delta)
        if not -1.0 < delta < 1.0:
            raise CliError(f"argument --delta: delta={delta!r}: must lie in the open "
                           "interval (-1, 1)")
        U = coupling_matrix(n, delta)
    gamma = None
    if args.gamma is not None:
        if args.penalty != "sd":
            raise CliError("argument --gamma: only defined with --penalty sd")
        g = float_list("--gamma", args.gamma)
        if len(g) not in (1, n):
            raise CliError(f"argument --gamma: expected 1 or {n} values, got {len(g)}")
        gamma = g[0] if len(g) == 1 else g
    pen = make_penalty(args.penalty, lam, gamma)
    spectrum = Spectrum(U, np.array(s2))
    inputs = {"s2": s2, "lam": lam, "delta": delta, "U": U.tolist(),
              "penalty": args.penalty, "gamma": gamma,
              "dynamics": as_dynamics(args.dynamics).name}
    return spectrum, pen, inputs


def execute(args: argparse.Namespace) -> int:
    """Run ``gstheory solve``; returns the exit status (0 solved, 1 not converged)."""
    if args.features is not None or args.labels is not None:
        return execute_data(args)
    if args.s2 is None:
        raise CliError("the following arguments are required: --s2")
    spectrum, pen, inputs = _build(args)
    dyn = as_dynamics(args.dynamics)
    if args.precision is not None:
        try:
            dps = int(args.precision)
        except ValueError:
            raise CliError(f"argument --precision: expected an integer number of digits, "
                           f"got {args.precision!r}") from None
        if not 15 <= dps <= 10_000:
            raise CliError(f"argument --precision: {dps} digits is outside [15, 10000]")
        fpm = solve_fixed_point_mp(spectrum, pen, dyn, dps)
        fp = fpm.to_float()
        S_mp = starvation_matrix_mp(spectrum, pen, dyn, dps) if fpm.converged else None
        S = None if S_mp is None else np.array([[float(v) for v in row] for row in S_mp])
        mag: list[list[float | None]] | None = None
        extra: dict[str, Any] = {"precision": dps,
                                 "alpha_digits": fpm.to_dict()["alpha_digits"],
                                 "z_digits": fpm.to_dict()["z_digits"]}
        if S_mp is not None:
            import mpmath as mp
            extra["starvation_digits"] = [[mp.nstr(v, dps) for v in row] for row in S_mp]
            mag_mp = starvation_magnitude_mp(spectrum, pen, dyn, dps)
            mag = [[None if v is None else float(v) for v in row] for row in mag_mp]
            mag_text = [["undefined" if v is None else mp.nstr(v, dps) for v in row]
                        for row in mag_mp]
    else:
        fp = solve_fixed_point(spectrum, pen, dyn)
        try:
            S = starvation_matrix(spectrum, pen, dyn, fixed_point=fp)
            mag = starvation_magnitude(spectrum, pen, dyn, fixed_point=fp).tolist()
        except ConvergenceError:
            S = mag = None
        extra = {"precision": None}
    if not fp.converged or S is None or mag is None:
        raise CliError(f"the fixed point did not converge (relative residual "
                       f"{fp.residual:.3g}); the parameters are at float64's limits: try "
                       f"--precision 50")
    n = spectrum.n
    starves = [[bool(i != j and S[i, j] < 0) for j in range(n)] for i in range(n)]
    out = {"alpha": fp.alpha, "z": fp.z, "starvation": S,
           "starves": starves, "starvation_magnitude": mag, "residual": fp.residual,
           "iterations": fp.iterations,
           "converged": fp.converged, "method": "mpmath" if args.precision else "newton",
           **extra, "inputs": inputs}
    if args.json:
        emit_json(out)
        return 0
    if args.precision is None:
        mag_text = [["undefined" if v is None else f"{v: .6e}" for v in row] for row in mag]
    _print_human(out, n, mag_text)
    return 0


def _print_human(out: dict[str, Any], n: int, magnitude: list[list[str]]) -> None:
    inp = out["inputs"]
    coupling = (f"delta = {inp['delta']:g}" if inp["delta"] is not None else "U from file")
    features = "1 feature" if n == 1 else f"{n} features"
    print(f"gstheory solve: {features}, s^2 = {inp['s2']}, lambda = {inp['lam']:g}, "
          f"{coupling}, penalty = {inp['penalty']}, dynamics = {inp['dynamics']}")
    digits = out.get("precision")
    print(f"  fixed point ({out['method']}"
          + (f", {digits} digits" if digits else "")
          + f", {out['iterations']} iterations, relative residual {out['residual']:.2e})")
    if digits:         # every digit the mpmath solver computed
        alpha = out["alpha_digits"]
        z = out["z_digits"]
        S = out["starvation_digits"]
    else:
        alpha = [f"{v:.10g}" for v in out["alpha"]]
        z = [f"{v:.10g}" for v in out["z"]]
        S = [[f"{out['starvation'][i, j]: .6e}" for j in range(n)] for i in range(n)]
    width = max(18, *(len(a) for a in alpha))
    print(f"   i   {'alpha*_i':<{width}}  z*_i")
    for i in range(n):
        print(f"  {i + 1:2d}   {alpha[i]:<{width}}  {z[i]}")
    print("  starvation matrix d z*_j / d s_i^2 (row i, column j):")
    for i in range(n):
        print("    " + "  ".join(S[i]))
    print("  starvation in magnitude d|z*_j| / d s_i^2 (free of the SVD's signs; "
          "'undefined' where z*_j = 0):")
    for row in magnitude:
        print("    " + "  ".join(row))
    pairs = [f"{i + 1}->{j + 1}" for i in range(n) for j in range(n) if out["starves"][i][j]]
    print("  feature i starves feature j (Definition 2): "
          + (", ".join(pairs) if pairs else "none"))
