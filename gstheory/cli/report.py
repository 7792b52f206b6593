"""``gstheory report``: derivations + verification + validity maps + experiments -> report.

Regenerates the SymPy derivations (through the ``proofs`` package), runs every claim's
fast checks, the validity scans of :mod:`gstheory.validity` (figures: heat maps of
Theorem 2's sign) and every registered experiment at the chosen preset (through
``gstheory.empirical.harness``), then writes ``report.md`` and a self-contained ``report.html``.
Like the dispatcher, this command module is allowed to reach into ``proofs`` and
``empirical`` (the library itself never does).

Paper: Sec. 3 and Sec. 4.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from gstheory import validity as V
from gstheory.claims import registry, regressions, run_derivations
from gstheory.report import (
    ReportData,
    error_curves_figure,
    lam_dependence_figure,
    n_feature_figure,
    seed_spread_figure,
    sign_map_figure,
    write_report,
)

from .common import CliError, emit_json

#: Scan sizes per preset: (points per delta/ratio axis, lam points, n-feature samples).
SCAN_SIZES = {"quick": (61, 13, 200), "paper": (121, 25, 1000), "smoke": (19, 4, 20)}


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gstheory report``."""
    parser.add_argument("--out", type=Path, default=Path("report"), metavar="DIR",
                        help="output folder (default: report)")
    parser.add_argument("--preset", choices=("quick", "paper", "smoke"), default="quick",
                        help="experiments' preset and scan size (default quick; smoke is "
                             "a tiny setting for tests)")
    parser.add_argument("--experiments", default="all", metavar="NAMES",
                        help="comma-separated experiments to run, 'all' (default) or "
                             "'none'")
    parser.add_argument("--no-derive", action="store_true",
                        help="do not regenerate the derivations (read the committed ones)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                        help="experiments' device (default auto; cuda is refused at once "
                             "where none is available)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: the cores this process may use)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress output (default: a bar on a terminal, one plain "
                             "line per stage in a log)")
    parser.add_argument("--results", type=Path, default=None, metavar="DIR",
                        help="experiments' results folder, written and read (default: "
                             "results, the folder `gstheory verify` reads)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (paths, statuses, timings)")


def _say(msg: str) -> None:
    print(f"[report] {msg}", file=sys.stderr, flush=True)


def _derive(out: Path) -> list[dict[str, Any]]:
    from . import derive as proofs_cli

    ns = argparse.Namespace(names=[], out=out, check=False, list=False, json=True)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        proofs_cli.execute(ns)
    return json.loads(buf.getvalue())["documents"]


def _scans(preset: str, fig_dir: Path, maps_out: dict[str, Any] | None = None
           ) -> tuple[dict[str, Any], list[tuple[str, Path]]]:
    n_axis, n_lam, samples = SCAN_SIZES[preset]
    # delta = 0 and ratio = 1, where the derivative is exactly 0, are left off the grid
    # (an even number of deltas; n_axis - 2 not a multiple of 5): every point there would be
    # an mpmath re-check; locate_boundaries finds and confirms them instead
    d = np.linspace(-0.99, 0.99, n_axis - 1)
    r = np.logspace(-2, 3, n_axis - 1)
    lam = np.logspace(-4, 2, n_lam)
    summaries: dict[str, Any] = {}
    figures: list[tuple[str, Path]] = []
    maps = []
    for pen, dyn in (("ridge", "exact"), ("ridge", "taylor"), ("sd", "exact"),
                     ("sd", "taylor")):
        _say(f"  Theorem 2 sign map: {pen}, {dyn} ({d.size * r.size * lam.size} points)")
        m = V.scan_theorem2(d, r, lam, penalty=pen, dynamics=dyn)
        maps.append(m)
    for m in maps[:2]:
        _say(f"  boundaries: {m.dynamics}")
        b = V.locate_boundaries(np.logspace(-2, 3, 6), np.logspace(-4, 2, 5),
                                dynamics=m.dynamics)
        object.__setattr__(m, "boundaries", b)
    for m in maps:
        summaries[f"theorem-2 sign map ({m.penalty}, {m.dynamics})"] = m.summary()
        if maps_out is not None and m.penalty == "ridge":
            maps_out[m.dynamics] = m   # the claims' sign-map checks describe these maps
    figures.append((("Theorem 2: sign of d z2*/d s1^2 over coupling delta and strength ratio "
                    "at three values of lambda/s2^2 (rows: ridge exact Eq. 9, ridge Taylor "
                    "Eq. 10, spectral decoupling)"),
                    sign_map_figure(maps[:3], fig_dir / "theorem2-sign-maps.png")))
    figures.append((("Theorem 2 (ridge, exact): sign over delta and lambda at s1^2/s2^2 ~ 4: "
                    "the boundaries do not move with lambda"),
                    lam_dependence_figure(maps[0], fig_dir / "theorem2-lambda.png")))
    _say("  n-feature starvation, convention-free (three coupling distributions)")
    nf = V.scan_starvation_magnitude(samples=max(10, samples // 4))
    summaries["n-feature starvation (convention-free)"] = nf.summary()
    figures.append(((f"n features (delta = {nf.delta:g}): fraction of stronger/weaker "
                     "pairs where the stronger feature shrinks the weaker one's |z*| (it "
                     "equals the reverse fraction: the sign is symmetric), and the accuracy "
                     "of the first-order pairwise rule, for a random-sign skew generator, "
                     "the default coupling_matrix and positive loadings"),
                    n_feature_figure(nf, fig_dir / "n-features.png")))
    _say("  approximation errors (Eq. 10 vs Eq. 9; Lemma 1)")
    tc, lc = V.taylor_error_curve(), V.lemma1_error_curve()
    summaries["Eq. 10 vs Eq. 9"] = tc.summary()
    summaries["Lemma 1"] = lc.summary()
    figures.append((("Errors of the approximations: Eq. 10's fixed point against Eq. 9's vs "
                    "lambda/s1^2 (delta = 0.3, ratio 4), and Lemma 1 (Eq. 14) vs delta"),
                    error_curves_figure([tc, lc], fig_dir / "approximation-errors.png")))
    return summaries, figures


def _experiments(names: list[str], preset: str, out: Path, device: str,
                 progress: bool = True, threads: int | None = None,
                 fig_dir: Path | None = None) -> list[dict[str, Any]]:
    """Run each experiment; its record holds what its ``result.json`` holds (seeds,
    configuration, metrics, the paper's numbers) and, with ``fig_dir``, the error-bar
    figure over seeds (:func:`gstheory.report.seed_spread_figure`)."""
    from gstheory.empirical import harness

    records = []
    for name in names:
        exp = harness.get(name)
        _say(f"  experiment {name} ({preset})")
        t0 = time.perf_counter()
        rec: dict[str, Any] = {"name": name, "preset": preset, "paper_ref": exp.paper_ref}
        # numpy-only experiments always run on the CPU, whatever device the others use
        dev = device if exp.needs_torch else "cpu"
        try:
            res = harness.run_experiment(name, preset=preset, out_dir=out, device=dev,
                                         progress=progress, threads=threads)
            doc = json.loads(res.path.read_text())
            rec.update(predictions=doc["predictions"], figures=doc["figures"],
                       config=doc["config"], seeds=doc["seeds"], metrics=doc["metrics"],
                       paper_numbers=doc.get("paper_numbers", []))
        except Exception as exc:
            rec["error"] = f"{type(exc).__name__}: {exc}"
        if fig_dir is not None and not rec.get("error"):
            sf = seed_spread_figure(rec, fig_dir / f"{name}-seed-spread.png")
            if sf is not None:
                rec["spread_figure"] = (sf[0], str(sf[1]))
        rec["seconds"] = time.perf_counter() - t0
        records.append(rec)
    return records


def _not_run_claims(claims: list, failed: list[dict[str, Any]]) -> list:
    """``claims`` with each failed experiment's (possibly stale) claim replaced by one
    whose only check says it did not run; the check expects a run, so it counts as a
    regression and the report exits non-zero."""
    from gstheory.claims import Check, Claim, Evidence

    gone = {f"exp:{e['name']}" for e in failed}
    kept = [c for c in claims if c.id not in gone]
    for e in failed:
        kept.append(Claim(f"exp:{e['name']}", e.get("paper_ref", "Sec. 4"),
                          f"The predictions of the {e['name']} experiment "
                          f"({e['preset']} preset).", "the experiment did not run",
                          [Check("experiment", "did-not-run",
                                 Evidence(f"did not run: {e['error']}"), "confirmed")]))
    return kept


def _check_device(device: str, exp_names: list[str]) -> None:
    """Refuse an unavailable device before any work (one line, exit 2)."""
    if device != "cuda" or not exp_names:
        return
    from gstheory.empirical import harness
    if any(harness.get(n).needs_torch for n in exp_names):
        harness.resolve_device("cuda")


def execute(args: argparse.Namespace) -> int:
    """Build the report; exit 1 if a claim's check regressed or a requested experiment
    did not run, else 0."""
    out: Path = args.out
    if args.threads is not None and not 1 <= args.threads <= 1024:
        raise CliError(f"--threads={args.threads}: must be an integer in [1, 1024]")
    want = args.experiments.strip()
    exp_names: list[str] = []
    if want not in ("none", ""):
        from gstheory.empirical import harness

        known = harness.names()
        exp_names = known if want == "all" else [n.strip() for n in want.split(",") if n]
        bad = [n for n in exp_names if n not in known]
        if bad:
            raise CliError(f"argument --experiments: unknown {', '.join(bad)}; known: "
                           f"{', '.join(known)}")
    _check_device(args.device, exp_names)
    threads = args.threads
    if exp_names and threads is None:
        from gstheory.empirical import harness
        threads = harness.default_threads()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"--out {out}: cannot create ({exc.strerror or exc})") from None
    timings: dict[str, float] = {}
    t_all = time.perf_counter()
    steps = ["derivations", "validity scans", "experiments", "claims"]
    show = not args.no_progress and not args.json
    if show and sys.stderr.isatty():
        from tqdm import tqdm

        bar: Any = tqdm(steps, desc="gstheory report", file=sys.stderr, dynamic_ncols=True)
    else:
        bar = steps
    derivations: list[dict[str, Any]] = []
    summaries: dict[str, Any] = {}
    figures: list = []
    experiments: list = []
    claims: list = []
    sign_maps: dict[str, Any] = {}
    results = args.results if args.results is not None else Path("results")
    for step in bar:
        if hasattr(bar, "set_postfix_str"):
            bar.set_postfix_str(step)
        t0 = time.perf_counter()
        if step == "derivations" and not args.no_derive:
            _say("regenerating the derivations (proofs)")
            derivations = _derive(out / "proofs")
        elif step == "validity scans":
            _say("validity scans")
            summaries, figures = _scans(args.preset, out / "figures", sign_maps)
        elif step == "experiments" and exp_names:
            _say(f"experiments at preset {args.preset}: {', '.join(exp_names)}")
            experiments = _experiments(exp_names, args.preset, results, args.device,
                                       progress=show, threads=threads,
                                       fig_dir=out / "figures")
        elif step == "claims":
            _say("claims registry (verify)")
            # derivation checks: SymPy records (cached under the sources' hash) compared
            # with the committed documents, as `gstheory verify` does
            from gstheory.proofs.render import render

            recs = run_derivations(render)
            smoke = args.preset == "smoke"  # the tiny test setting: smaller scans
            claims = registry(results_dir=results, preset=args.preset,
                              derivations=recs, scan_grid=8 if smoke else 24,
                              certify=not smoke, sign_maps=sign_maps or None)
            if exp_names:
                # only this run's experiments count: a result.json left by an earlier
                # run of an experiment that was not asked for, or failed now, is dropped
                ran = {f"exp:{e['name']}" for e in experiments if not e.get("error")}
                claims = [c for c in claims if not c.id.startswith("exp:") or c.id in ran]
        timings[step] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_all
    failed = [e for e in experiments if e.get("error")]
    claims = _not_run_claims(claims, failed)
    regressed = regressions(claims)
    notes = [f"{len(failed)} experiment(s) did not run: "
             + "; ".join(f"{e['name']} ({e['error']})" for e in failed)] if failed else []
    others = [b for b in regressed if b[1].name != "did-not-run"]
    notes.append(f"{len(others)} regression(s)" if others else
                 "every check that ran came out as expected" if failed else
                 "every check came out as expected")
    data = ReportData("Gradient Starvation: is the paper right, where, and how do we know?",
                      args.preset, claims, summaries, figures, experiments, derivations,
                      timings, notes)
    md, ht = write_report(data, out)
    _say(f"wrote {md} and {ht} in {timings['total']:.1f} s")
    if args.json:
        emit_json({"markdown": str(md), "html": str(ht),
                   "figures": [str(p) for _, p in figures],
                   "claims": {c.id: c.status for c in claims},
                   "experiments": {e["name"]: ("error" if e.get("error") else
                                               all(p["confirmed"] for p in e["predictions"]))
                                   for e in experiments},
                   "not_run": {e["name"]: e["error"] for e in failed},
                   "regressions": len(regressed), "timings": timings})
    else:
        print(f"report: {ht}")
        print(f"markdown: {md}")
        for c in claims:
            print(f"  {c.id:<14} {c.status}")
        for e in failed:
            print(f"  did not run: {e['name']}: {e['error']}")
    return 1 if regressed else 0
