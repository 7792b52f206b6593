r"""``gstheory ntk``: the spectrum of a small network's NTK on a data set, and the
width-convergence study.

Default mode: build the named network, compute its NTK Gram on the named data set
without materialising :math:`\Phi_0` (:func:`gstheory.ntk.ntk_gram`), take
:math:`Y K Y = U S^2 U^T` (Definition 1) and print the top strengths; ``--out FILE.npz``
saves ``U``, ``s2``, ``K``, ``X``, ``y``; ``--json`` prints one JSON object.

``--width-study``: train NTK MLPs of growing width and their linearisations on two moons
and fit the exponent of the gap between their responses :math:`z(t)`
(:func:`gstheory.linearised.width_study`); ``--out-figure PATH`` writes the log-log
figure.

Examples::

    gstheory ntk --data moons --n 100 --widths 500 --top 5
    gstheory ntk --network torch-mlp --widths 64,64 --activation tanh --json
    gstheory ntk --width-study --out-figure docs/figures/ntk_width_convergence.png

Paper: Eq. 1-4, Definition 1; Fig. 1 (two moons).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from ..io import atomic_write
from .common import CliError, emit_json, float_list

DATASETS = ("moons",)
NETWORKS = ("ntk-mlp", "torch-mlp")
#: upper bounds checked before any work (the Gram is n x n; a layer is width x width).
MAX_N = 20_000
MAX_WIDTH = 65_536
MAX_DEPTH = 64
MAX_STEPS = 1_000_000
MAX_SEEDS = 1_000


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``gstheory ntk``."""
    g = parser.add_argument_group("data")
    g.add_argument("--data", choices=DATASETS, default="moons",
                   help="data set: the authors' two moons (Fig. 1)")
    g.add_argument("--n", type=int, default=None,
                   help=f"number of examples, at most {MAX_N} (default 100; 40 for "
                        "--width-study)")
    g.add_argument("--margin", type=float, default=0.1,
                   help="two-moons margin Delta (Fig. 1; default 0.1)")
    g.add_argument("--noise", type=float, default=0.1,
                   help="two-moons noise (default 0.1)")
    g.add_argument("--data-seed", type=int, default=0, help="data seed (default 0)")
    g = parser.add_argument_group("network")
    g.add_argument("--network", choices=NETWORKS, default="ntk-mlp",
                   help="ntk-mlp: NTK-parametrised MLP of Eq. 1; torch-mlp: ordinary "
                        "nn.Linear layers with torch's default initialisation")
    g.add_argument("--widths", default="500",
                   help=f"hidden widths, comma-separated, each in [1, {MAX_WIDTH}], at "
                        f"most {MAX_DEPTH} layers (default 500)")
    g.add_argument("--activation", choices=("relu", "tanh", "erf"), default="relu",
                   help="activation (default relu)")
    g.add_argument("--no-bias", action="store_true",
                   help="no biases (a ReLU net without biases is positively homogeneous: "
                        "its NTK on 2-d inputs is singular)")
    g.add_argument("--seed", type=int, default=0, help="initialisation seed (default 0)")
    g.add_argument("--route", choices=("auto", "layerwise", "general"), default="auto",
                   help="NTK Gram route (gstheory.ntk.ntk_gram; default auto)")
    g = parser.add_argument_group("output")
    g.add_argument("--top", type=int, default=10,
                   help="how many strengths to print (default 10)")
    g.add_argument("--out", type=Path, default=None,
                   help="save U, s2, K, X, y to this .npz file (checked before computing)")
    g.add_argument("--json", action="store_true", help="one JSON object on stdout")
    g = parser.add_argument_group("width study")
    g.add_argument("--width-study", action="store_true",
                   help="gap between full and linearised training over widths")
    g.add_argument("--study-widths", default="64,128,256,512,1024",
                   help=f"widths of the study, comma-separated, each in [1, {MAX_WIDTH}] "
                        "(default 64,128,256,512,1024)")
    g.add_argument("--depth", type=int, default=2,
                   help=f"hidden layers in the study, in [1, {MAX_DEPTH}] (default 2)")
    g.add_argument("--steps", type=int, default=300,
                   help=f"gradient steps in the study, in [1, {MAX_STEPS}] (default 300)")
    g.add_argument("--lam", type=float, default=0.01,
                   help="weight decay in the study, >= 0 (default 0.01)")
    g.add_argument("--seeds", default="0,1,2",
                   help=f"initialisation seeds of the study, at most {MAX_SEEDS} "
                        "(default 0,1,2)")
    g.add_argument("--out-figure", type=Path, default=None,
                   help="write the width-convergence figure (PNG) here (checked before "
                        "computing)")


def _ints(name: str, text: str) -> list[int]:
    vals = float_list(name, text)
    if any(v != int(v) or v < 0 for v in vals):
        raise CliError(f"argument {name}: expected non-negative integers, got {text!r}")
    return [int(v) for v in vals]


def _bounded(name: str, value: int, lo: int, hi: int) -> int:
    if not lo <= value <= hi:
        raise CliError(f"argument {name}: must be an integer in [{lo}, {hi}], got {value}")
    return value


def _widths(name: str, text: str) -> list[int]:
    vals = _ints(name, text)
    if not 1 <= len(vals) <= MAX_DEPTH:
        raise CliError(f"argument {name}: expected 1 to {MAX_DEPTH} widths, got {len(vals)}")
    for v in vals:
        _bounded(name, v, 1, MAX_WIDTH)
    return vals


def _output_file(name: str, path: Path | None) -> None:
    """Refuse an output path that cannot be written, before any computation."""
    if path is None:
        return
    from ..io import ensure_writable_dir
    if path.is_dir():
        raise CliError(f"argument {name}: {str(path)!r} is a directory; give a file name")
    try:
        ensure_writable_dir(path.parent if str(path.parent) else Path("."), name)
    except ValueError as exc:
        raise CliError(f"argument {name}: {str(path)!r}: {exc}") from None


def check_arguments(args: argparse.Namespace) -> None:
    """Every size bound and output path of ``gstheory ntk``, checked before any work.

    Raises:
        CliError: a size out of range or an unwritable output (one line, exit 2).
    """
    if args.n is not None:
        _bounded("--n", args.n, 2, MAX_N)
    _widths("--widths", args.widths)
    _bounded("--top", args.top, 1, MAX_N)
    if args.width_study:
        _widths("--study-widths", args.study_widths)
        _bounded("--depth", args.depth, 1, MAX_DEPTH)
        _bounded("--steps", args.steps, 1, MAX_STEPS)
        seeds = _ints("--seeds", args.seeds)
        if not 1 <= len(seeds) <= MAX_SEEDS:
            raise CliError(f"argument --seeds: expected 1 to {MAX_SEEDS} seeds")
        if not args.lam >= 0:
            raise CliError(f"argument --lam: must be >= 0, got {args.lam}")
    _output_file("--out", args.out)
    _output_file("--out-figure", args.out_figure)


def _data(args: argparse.Namespace, default_n: int) -> tuple[np.ndarray, np.ndarray]:
    from gstheory.empirical.data.moons import two_moons

    n = default_n if args.n is None else args.n
    return two_moons(n, args.margin, seed=args.data_seed, noise=args.noise)


def _network(args: argparse.Namespace, d: int) -> Any:
    import torch
    from torch import nn

    from gstheory.ntk import NTKMLP

    widths = _ints("--widths", args.widths)
    if args.network == "ntk-mlp":
        return NTKMLP(d, widths, args.activation, bias=not args.no_bias, seed=args.seed)
    torch.manual_seed(args.seed)
    act = {"relu": nn.ReLU, "tanh": nn.Tanh}.get(args.activation)
    if act is None:
        raise CliError("--network torch-mlp supports --activation relu or tanh")
    dims = [d, *widths, 1]
    layers: list[Any] = []
    for i in range(len(dims) - 1):
        if i:
            layers.append(act())
        layers.append(nn.Linear(dims[i], dims[i + 1], bias=not args.no_bias))
    return nn.Sequential(*layers, nn.Flatten(0)).double()


def _spectrum(args: argparse.Namespace) -> int:
    from gstheory.ntk import ntk_gram, parameter_count
    from gstheory.spectrum import from_gram

    if args.top < 1:
        raise CliError(f"argument --top: must be >= 1, got {args.top}")
    X, y = _data(args, 100)
    net = _network(args, X.shape[1])
    K = ntk_gram(net, X, route=args.route)
    try:
        sp = from_gram(K, y)
    except ValueError as exc:
        if "positive definite" not in str(exc):
            raise
        raise CliError(f"{exc}: the NTK is numerically singular on these {len(y)} examples "
                       f"(a zero strength); use fewer examples (--n), a ReLU network, or "
                       f"keep the biases") from None
    top = min(args.top, sp.n)
    result = {"data": args.data, "n": sp.n, "network": args.network,
              "widths": _ints("--widths", args.widths), "activation": args.activation,
              "bias": not args.no_bias, "m": parameter_count(net), "route": args.route,
              "trace": float(np.sum(sp.s2)), "s2_top": sp.s2[:top],
              "s2_min": float(sp.s2[-1]), "condition_number": float(sp.s2[0] / sp.s2[-1])}
    if args.out is not None:
        atomic_write(args.out, lambda fh: np.savez(fh, U=sp.U, s2=sp.s2, K=K, X=X, y=y),
                     binary=True)
        result["out"] = str(args.out)
    if args.json:
        emit_json(result)
        return 0
    print(f"NTK of {args.network} {result['widths']} ({args.activation}, m = {result['m']} "
          f"parameters) on {args.data} (n = {sp.n})")
    print(f"{'j':>4} {'s_j^2':>14} {'s_j':>12} {'share':>8}")
    for j in range(top):
        print(f"{j + 1:4d} {sp.s2[j]:14.6g} {np.sqrt(sp.s2[j]):12.6g} "
              f"{sp.s2[j] / result['trace']:8.4f}")
    print(f"smallest s^2 = {sp.s2[-1]:.6g}; condition number {result['condition_number']:.4g}")
    if args.out is not None:
        print(f"saved U, s2, K, X, y to {args.out}")
    return 0


def plot_width_study(study: Any, path: Path) -> None:
    """Log-log figure of the gap against width with the fitted exponent (atomic write)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    w = study.widths.astype(float)
    mean = study.gaps.mean(axis=0)
    fig, ax = plt.subplots(figsize=(5.2, 3.9), dpi=120)
    for row in study.gaps:
        ax.plot(w, row, "o", color="0.7", ms=3.5)
    ax.plot(w, mean, "o", color="C0", ms=6, label="mean over seeds")
    ax.plot(w, np.exp(study.intercept) * w**study.exponent, "-", color="C0",
            label=f"fit: exponent {study.exponent:.2f}")
    for p, style in ((-0.5, ":"), (-1.0, "--")):
        ax.plot(w, mean[0] * (w / w[0]) ** p, style, color="0.35",
                label=f"slope {p:g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("hidden width")
    ax.set_ylabel(r"$\max_t\|z_{net}(t)-z_{lin}(t)\| / \max_t\|z_{lin}(t)\|$")
    s = study.settings
    ax.set_title(f"Full vs linearised network, two moons (n={s['n']}),\n"
                 f"depth {s['depth']} {s['activation']}, CE + ridge "
                 f"{s['penalty']['lam']:g}, {s['steps']} steps", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    atomic_write(path, lambda fh: fig.savefig(fh, format="png"), binary=True)
    plt.close(fig)


def _width_study(args: argparse.Namespace) -> int:
    from gstheory.linearised import width_study
    from gstheory.ntk import NTKMLP, network_spectrum
    from gstheory.penalties import Ridge

    widths = _ints("--study-widths", args.study_widths)
    seeds = _ints("--seeds", args.seeds)
    if args.steps < 1:
        raise CliError(f"argument --steps: must be >= 1, got {args.steps}")
    X, y = _data(args, 40)
    widest = NTKMLP(X.shape[1], [max(widths)] * args.depth, args.activation,
                    bias=not args.no_bias, seed=seeds[0] if seeds else 0)
    lr = 1.0 / float(network_spectrum(widest, X, y).s2[0])
    every = max(1, args.steps // 10)
    study = width_study(X, y, widths, penalty=Ridge(args.lam), lr=lr, steps=args.steps,
                        seeds=seeds, depth=args.depth, activation=args.activation,
                        bias=not args.no_bias, record_steps=range(0, args.steps + 1, every),
                        progress=not args.json)
    result = study.to_dict()
    if args.out_figure is not None:
        plot_width_study(study, args.out_figure)
        result["figure"] = str(args.out_figure)
    if args.json:
        emit_json(result)
        return 0
    print(f"width study: lr = {lr:.4g}, {args.steps} steps, seeds {seeds}")
    for wv, g in zip(study.widths, study.gaps.mean(axis=0)):
        print(f"  width {wv:6d}: mean relative gap {g:.4g}")
    print(f"measured exponent {study.exponent:.3f} (NTK bound -1/2; "
          f"finite-width corrections -1)")
    if args.out_figure is not None:
        print(f"figure: {args.out_figure}")
    return 0


def execute(args: argparse.Namespace) -> int:
    """Run ``gstheory ntk``."""
    check_arguments(args)
    if args.width_study:
        return _width_study(args)
    if args.out_figure is not None:
        raise CliError("--out-figure needs --width-study")
    return _spectrum(args)
