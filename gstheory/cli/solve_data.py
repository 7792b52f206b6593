r"""Solve the dual problem from data files (``--features`` and ``--labels``).

The linear model with shared features, :math:`\hat y_i = W^Tx_i`, trained with
cross-entropy and weight decay :math:`\frac\lambda2\|W\|^2` (sum over examples, Eq. 5):

* labels in ``{-1, +1}`` or ``{0, 1}``: the **binary** problem of the paper with
  :math:`\Phi_0 = X` (one logit, ``W`` a vector of ``d`` numbers), solved by the binary
  core (:func:`gstheory.from_features`, :func:`gstheory.solve_fixed_point`,
  :func:`gstheory.starvation_matrix`). The core needs :math:`Y\Phi_0` of full row rank
  (``d >= n``); otherwise the same problem is solved exactly by the multi-class engine
  through its ``K = 2`` embedding :math:`\Phi_i = [-x_i/2;\ x_i/2]` on the rank-``r``
  feature subspace (``"method": "multiclass-k2"``);
* labels ``0..K-1`` with ``K > 2``: the **multi-class** problem
  (:mod:`gstheory.multiclass`), ``W`` a ``d x K`` matrix.

JSON keys (at least): ``theta`` (``d`` numbers / ``d x K``), ``alpha`` (``n`` numbers
:math:`\sigma(-y_i\hat y_i)` / ``n x K`` :math:`e_{y_i} - \mathrm{softmax}(\hat y_i)`),
``z`` (binary: Eq. 4's signed responses; multi-class: the convention-free magnitudes
:math:`\|z_j\|` per data feature), ``starvation`` (``[i][j]`` :math:`= \partial z^*_j/
\partial s_i^2`, multi-class :math:`\partial\|z^*_j\|/\partial s_i^2`), ``converged``.

Paper: Eq. 4-11, Definition 2; Sec. 3.3 (multi-class).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from .common import CliError, emit_json


def configure_data(parser: argparse.ArgumentParser) -> None:
    """Add ``--features`` and ``--labels`` to ``gstheory solve``."""
    parser.add_argument("--features", default=None, metavar="X.npy",
                        help="n x d inputs x_i (.npy): solve y_hat_i = W^T x_i from data "
                             "(with --labels; replaces --s2/--delta/--U)")
    parser.add_argument("--labels", default=None, metavar="y.npy",
                        help="n labels (.npy): {-1,+1} or {0,1} binary, 0..K-1 multi-class")


def _load(flag: str, path: str, ndim: int) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise CliError(f"argument {flag}: no such file {path!r}")
    try:
        arr = np.load(p, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise CliError(f"argument {flag}: cannot read {path!r} as a .npy array "
                       f"({' '.join(str(exc).split())})") from None
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biuf":
        raise CliError(f"argument {flag}: {path!r} must hold a real numeric array")
    if arr.ndim != ndim:
        raise CliError(f"argument {flag}: {path!r} must be {ndim}-D, got shape {arr.shape}")
    if arr.size == 0:
        raise CliError(f"argument {flag}: {path!r} is empty")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise CliError(f"argument {flag}: {path!r} must be finite (contains NaN or inf)")
    return arr


def _problem(y: np.ndarray) -> tuple[str, np.ndarray, int]:
    """``("binary", labels in {-1,+1}, 2)`` or ``("multiclass", labels 0..K-1, K)``."""
    if not np.all(y == np.round(y)):
        raise CliError("argument --labels: labels must be integers ({-1,+1}, {0,1} or "
                       "0..K-1)")
    values = set(np.unique(y).tolist())
    if len(values) < 2:
        raise CliError(f"argument --labels: a single class ({sorted(values)}): need at "
                       "least two classes")
    if values <= {-1.0, 1.0}:
        return "binary", y.copy(), 2
    if values <= {0.0, 1.0}:
        return "binary", 2.0 * y - 1.0, 2
    if min(values) < 0:
        raise CliError(f"argument --labels: negative labels {sorted(values)}: only "
                       "{-1,+1} (binary) or 0..K-1 are allowed")
    return "multiclass", y.astype(np.int64), int(max(values)) + 1


def _conflicts(args: argparse.Namespace) -> None:
    if args.features is None or args.labels is None:
        missing = "--labels" if args.features is not None else "--features"
        raise CliError(f"argument {missing}: --features and --labels go together")
    for flag, value in (("--s2", args.s2), ("--delta", args.delta), ("--U", args.U),
                        ("--gamma", args.gamma), ("--precision", args.precision)):
        if value is not None:
            raise CliError(f"argument {flag}: not used with --features (the spectrum "
                           "comes from the data)")
    if args.penalty != "ridge":
        raise CliError("argument --penalty: --features solves the weight-decay (ridge) "
                       "problem only")
    if args.dynamics != "exact":
        raise CliError("argument --dynamics: --features solves the exact dual only")


def _lam(text: str) -> float:
    try:
        lam = float(text)
    except ValueError:
        raise CliError(f"argument --lam: expected a number, got {text!r}") from None
    if not (np.isfinite(lam) and lam > 0):
        raise CliError(f"argument --lam: lam={text}: must be > 0 and finite (allowed "
                       "range (0, inf))")
    return lam


def _binary(X: np.ndarray, ypm: np.ndarray, lam: float) -> dict[str, Any]:
    import gstheory
    from gstheory import multiclass as mc

    try:
        sp = gstheory.from_features(X, ypm)
    except ValueError:
        sp = None
    if sp is not None:
        pen = gstheory.Ridge(lam)
        fp = gstheory.solve_fixed_point(sp, pen)
        if not fp.converged:
            raise CliError(f"the fixed point did not converge (relative residual "
                           f"{fp.residual:.3g}); the parameters are at float64's limits")
        S = gstheory.starvation_matrix(sp, pen, fixed_point=fp)
        theta = X.T @ (ypm * fp.alpha) / lam              # theta* = Phi0^T Y alpha / lam
        return {"theta": theta, "alpha": fp.alpha, "z": fp.z, "starvation": S,
                "converged": fp.converged, "s2": sp.s2, "residual": fp.residual,
                "iterations": fp.iterations, "method": "binary-core"}
    # rank-deficient (d < n or collinear inputs): the exact K = 2 embedding
    y01 = ((ypm + 1) / 2).astype(np.int64)
    Phi = np.stack([-X / 2, X / 2], axis=1)
    msp = mc.from_features(Phi, y01, 2)
    st = mc.starvation(msp, lam)
    mfp = st.fixed_point
    if not mfp.converged:
        raise CliError(f"the fixed point did not converge (relative residual "
                       f"{mfp.residual:.3g})")
    theta = mc.theta_from_alpha(Phi, mfp.alpha, lam)
    alpha = mfp.alpha[np.arange(len(y01)), y01]           # 1 - p_y = sigma(-y yhat)
    _, s, Vt = np.linalg.svd(ypm[:, None] * X, full_matrices=False)
    keep = s > 1e-10 * s[0]
    z = s[keep] * (Vt[keep] @ theta)                      # Eq. 4 on the rank-r subspace
    # ||z_mc|| = |z_bin| / sqrt 2 and s2_mc = s2_bin / 2 (same decreasing order)
    S = st.matrix * np.sign(z)[None, :] / np.sqrt(2.0)
    return {"theta": theta, "alpha": alpha, "z": z, "starvation": S,
            "converged": mfp.converged, "s2": s[keep] ** 2, "residual": mfp.residual,
            "iterations": mfp.iterations, "method": "multiclass-k2"}


def _multiclass(X: np.ndarray, y: np.ndarray, K: int, lam: float) -> dict[str, Any]:
    from gstheory import multiclass as mc

    sp = mc.from_shared_features(X, y, K)
    fp = mc.solve_fixed_point(sp, lam)
    if not fp.converged:
        raise CliError(f"the fixed point did not converge (relative residual "
                       f"{fp.residual:.3g}); the parameters are at float64's limits")
    st = mc.starvation(sp, lam, fixed_point=fp)
    W = X.T @ fp.alpha / lam                              # theta* = sum Phi_i^T alpha_i
    return {"theta": W, "alpha": fp.alpha, "p": fp.p, "z": fp.z_norm,
            "z_signed": fp.z, "starvation": st.matrix, "converged": fp.converged,
            "s2": sp.group_strengths(), "residual": fp.residual,
            "iterations": fp.iterations, "method": "multiclass"}


def execute_data(args: argparse.Namespace) -> int:
    """Run ``gstheory solve`` on data (``--features``, ``--labels``); return the exit status."""
    _conflicts(args)
    lam = _lam(args.lam)
    X = _load("--features", args.features, 2)
    y = _load("--labels", args.labels, 1)
    if y.shape[0] != X.shape[0]:
        raise CliError(f"argument --labels: {y.shape[0]} labels but --features has "
                       f"{X.shape[0]} rows (one label per row)")
    if not np.any(X):
        raise CliError("argument --features: all zero: the model has no feature to learn")
    kind, labels, K = _problem(y)
    try:
        out = (_binary(X, labels, lam) if kind == "binary"
               else _multiclass(X, labels, K, lam))
    except ValueError as exc:           # parameter range errors of the library
        raise CliError(f"argument --lam: {' '.join(str(exc).split())}") from None
    n, d = X.shape
    starves = [[bool(i != j and out["starvation"][i][j] < 0) for j in range(len(out["z"]))]
               for i in range(len(out["z"]))]
    doc = {**out, "starves": starves, "problem": kind, "K": K,
           "inputs": {"features": str(args.features), "labels": str(args.labels),
                      "lam": lam, "n": n, "d": d}}
    if args.json:
        emit_json(doc)
        return 0
    print(f"gstheory solve: {kind} problem from data, n = {n}, d = {d}, K = {K}, "
          f"lambda = {lam:g} ({out['method']}, {out['iterations']} iterations, relative "
          f"residual {out['residual']:.2e})")
    label = "z*_j" if kind == "binary" else "|z*_j|"
    print(f"   j   s_j^2               {label}")
    for j, (s2, z) in enumerate(zip(out["s2"], out["z"])):
        print(f"  {j + 1:2d}   {s2:<18.10g}  {z:.10g}")
    pairs = [f"{i + 1}->{j + 1}" for i, row in enumerate(starves)
             for j, v in enumerate(row) if v]
    print("  feature i starves feature j: " + (", ".join(pairs) if pairs else "none"))
    return 0


__all__ = ["configure_data", "execute_data"]
