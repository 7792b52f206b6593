"""``gstheory run``: run a training experiment and print its predictions' verdicts.

Usage::

    gstheory run --list
    gstheory run EXPERIMENT [--preset quick|paper|smoke] [--seeds N]
                 [--device auto|cpu|cuda] [--out DIR] [--set key=value ...] [--json]
                 [--threads N] [--no-progress]
                 [--launcher inline|submitit] [--cluster slurm|local] [--partition P]
                 [--timeout-min N] [--gpus-per-job K] [--cpus-per-job C]
    gstheory run --hparams EXPERIMENT      # the table of its settings and their ranges

The exit status is 0 whenever the run completed, whatever the verdicts (a refuted
prediction is a result, not a failure); 2 on bad input, which is detected before any
training starts (unknown names, settings out of their declared range, a missing data
set, an unavailable device, an unwritable or busy results folder), and on divergence.
"""

from __future__ import annotations

import argparse
import sys

from gstheory.empirical import harness

from .common import CliError, emit_json


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gstheory run``."""
    parser.add_argument("experiment", nargs="?", help="experiment name (see --list)")
    parser.add_argument("--list", action="store_true", dest="list_only",
                        help="list the registered experiments and their presets")
    parser.add_argument("--preset", default="quick",
                        help="quick (CPU, minutes), paper (the authors' settings) or smoke")
    parser.add_argument("--seeds", type=int, default=None,
                        help=f"number of seeds (0..N-1, N <= {harness.MAX_SEEDS}); "
                             "default: the preset's")
    parser.add_argument("--device", default="auto", choices=harness.DEVICES,
                        help="auto (CUDA if present), cpu or cuda")
    parser.add_argument("--out", default="results", help="output root (default: results)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        dest="overrides", help="override a config field (repeatable)")
    parser.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress output (default: a bar on a terminal, one "
                             "plain line per stage in a log)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads of this process (default: the cores it may "
                             f"use, here {harness.default_threads()})")
    parser.add_argument("--hparams", action="store_true",
                        help="print the experiment's settings, ranges and preset values")
    g = parser.add_argument_group("launcher")
    g.add_argument("--launcher", choices=("inline", "submitit"), default="inline",
                   help="inline (default): compute here; submitit: one job per seed")
    g.add_argument("--cluster", choices=("slurm", "local", "debug"), default="slurm",
                   help="submitit cluster (default slurm; local: local processes)")
    g.add_argument("--partition", default=None, help="SLURM partition")
    g.add_argument("--timeout-min", type=int, default=60,
                   help="wall-clock limit of one job in minutes (default 60)")
    g.add_argument("--gpus-per-job", type=int, default=0, help="GPUs per job (default 0)")
    g.add_argument("--cpus-per-job", type=int, default=None,
                   help="CPU cores per job (default: the cluster's)")
    g.add_argument("--jobs-folder", default=None,
                   help="submitit's log folder (default: <results>/.submitit)")
    parser.add_argument("--fresh", action="store_true",
                        help="recompute every seed (ignore finished seed files)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _listing() -> list[dict]:
    out = []
    for name in harness.names():
        exp = harness.get(name)
        out.append({"name": name, "paper_ref": exp.paper_ref,
                    "description": exp.description,
                    "presets": harness.preset_names(exp)})
    return out


def execute(args: argparse.Namespace) -> int:
    """Run the experiment (or list them); return the exit status."""
    if args.list_only:
        rows = _listing()
        if args.json:
            emit_json({"experiments": rows})
        else:
            for r in rows:
                print(f"{r['name']:<18} {r['paper_ref']}  [presets: "
                      f"{', '.join(r['presets'])}]")
                print(f"{'':<18} {r['description']}")
        return 0
    if not args.experiment:
        raise CliError("missing EXPERIMENT; valid experiments: " + ", ".join(harness.names()))
    if args.hparams:
        from gstheory.empirical.tables import markdown_table
        print(markdown_table(harness.get(args.experiment)), end="")
        return 0
    if args.seeds is not None and not 1 <= args.seeds <= harness.MAX_SEEDS:
        raise CliError(f"--seeds={args.seeds}: must be an integer in [1, "
                       f"{harness.MAX_SEEDS}]")
    threads = harness.default_threads() if args.threads is None else args.threads
    if not 1 <= threads <= 1024:
        raise CliError(f"--threads={threads}: must be an integer in [1, 1024]")
    launcher = None
    if args.launcher == "submitit":
        from gstheory.empirical.launch import SubmititLauncher
        launcher = SubmititLauncher(
            args.cluster, args.jobs_folder, partition=args.partition,
            timeout_min=args.timeout_min, gpus_per_job=args.gpus_per_job,
            cpus_per_job=args.cpus_per_job, threads=args.threads)
    overrides = harness.parse_set(args.overrides)
    result = harness.run_experiment(
        args.experiment, preset=args.preset, seeds=args.seeds, device=args.device,
        out_dir=args.out, overrides=overrides, progress=not args.no_progress and not args.json,
        figures=not args.no_figures, resume=not args.fresh, threads=threads,
        launcher=launcher)
    if args.json:
        doc = result.to_dict()
        doc["result_path"] = str(result.path)
        emit_json(doc)
        return 0
    t = result.timings
    print(f"{result.experiment} ({harness.get(result.experiment).paper_ref}), preset "
          f"{result.preset}, seeds {result.seeds}, device {result.device['type']}: "
          f"{t['total_s']:.1f} s ({len(t['resumed_seeds'])} seed(s) resumed)")
    n_ok = sum(p.confirmed for p in result.predictions)
    print(f"predictions: {n_ok}/{len(result.predictions)} confirmed")
    for p in result.predictions:
        print("  " + p.line())
        print(f"      {p.statement}")
    print(f"results: {result.path}")
    for f in result.figures:
        print(f"figure:  {f}")
    sys.stdout.flush()
    return 0
