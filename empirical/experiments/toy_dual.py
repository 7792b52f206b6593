r"""The toy dual-vs-primal figure: gradient starvation and its removal by SD in 2-D.

The authors' construction (``Figure_6/toy_fig_6.py``; the paper's dual-vs-primal figure):
``V`` the right singular matrix of a 2x2 Gaussian drawn after ``np.random.seed(1235)``,
``U`` the 30 degree rotation ``[[sqrt(1 - s^2), -s], [s, sqrt(1 - s^2)]]`` with
``s = 0.5`` (Eq. 15 with ``delta = 0.5``), ``Phi = U diag(s1, 2) V``, ``y = [1, 1]``,
``C = 1 / lambda = 100``, strengths ``s1 in {2, ..., 6}``. Three discrete runs of 5000
steps each:

1. dual: ``alpha = 1e-8``, gradient steps of size 3e-6 on the negated dual objective
   (Eq. 8; vector field Eq. 9), ``alpha`` clipped to (0, 1);
2. primal with weight decay: ``theta = 0``, GD lr 0.05 on
   ``sum softplus(-y Phi theta) + (0.5 / C) ||theta||^2`` (Eq. 5);
3. primal with SD: the same with ``(0.1 / C) sum yhat^2`` (Eq. 17 with
   ``lambda_SD = 0.2 / C``),

plus the exact fixed points (Newton; Eq. 11 and its SD form). The responses are
``z = U^T (y * Phi theta)`` (Eq. 4).

Predictions: dual and primal endpoints agree (within 5%); with weight decay the weak
response ``|z2|`` falls as the strong strength ``s1`` grows (gradient starvation,
Theorem 2); with SD the endpoints do not depend on ``s1`` (decoupling, Eq. 18).

Two engines compute the same runs: ``core`` calls :func:`gstheory.dynamics.
dual_gradient_ascent` and :func:`gstheory.trajectories.primal_gradient_descent` once per
strength; ``batched`` runs the identical updates for all strengths at once with numpy
(``(B, 2)`` arrays), which is what lets the figure regenerate in well under a second. The
tests hold the two engines together to 1e-9.

Paper: Eq. 4, 5, 8, 9, 11, 15, 17, 18; Theorem 2; the toy figure (``toy_fig_6.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from gstheory import validation as check
from gstheory.empirical.harness import Config, Experiment, Prediction, register
from gstheory.empirical.hparams import OneOf, Range, count, positive, unit
from gstheory.fixed_points import solve_fixed_points
from gstheory.io import save_figure
from gstheory.penalties import Ridge, SpectralDecoupling
from gstheory.spectrum import Spectrum, coupling_matrix
from gstheory.trajectories import dual_gradient_ascent, primal_gradient_descent

#: the two ways of computing the runs.
ENGINES = ("batched", "core")
#: the authors' seed of V.
AUTHORS_V_SEED = 1235
#: clip of alpha in the dual run (the authors clip to (0, 1); the core uses this floor).
ALPHA_FLOOR = 1e-50


@dataclass(frozen=True)
class ToyDualConfig(Config):
    """Settings of the toy (defaults: the authors' ``toy_fig_6.py``).

    Attributes:
        seeds: number of seeds; seed ``k`` draws ``V`` after ``np.random.seed(v_seed + k)``
            (seed 0 is the authors' figure).
        strengths: the strong strengths ``s1``; weak: the weak strength ``s2``.
        coupling: ``delta`` of Eq. 15 (0.5: a 30 degree rotation).
        C: inverse weight decay ``1 / lambda``.
        sd_coef: the SD term is ``(sd_coef / C) sum yhat^2``.
        steps, dual_lr, primal_lr: the discrete runs.
        record_every: trajectory sampling for the figure.
        agree_tol: relative tolerance of dual vs primal endpoints (the paper's claim: 5%).
        sd_spread_ratio: SD's endpoint spread over ``s1`` must be below this fraction of
            the weight-decay spread.
        engine: ``batched`` (all strengths at once) or ``core`` (the numeric core's
            functions, one strength at a time).
    """

    RANGES: ClassVar[dict] = {
        "seeds": count(1, 10_000), "v_seed": count(0, 2**32 - 1 - 10_000),
        "strengths": positive(1e6), "weak": positive(1e6),
        "coupling": Range(-1.0, 1.0, True, True), "C": positive(1e12),
        "sd_coef": positive(1e6), "steps": count(1, 10_000_000),
        "dual_lr": positive(100.0), "primal_lr": positive(100.0),
        "record_every": count(1, 10_000_000), "agree_tol": unit(True, True),
        "sd_spread_ratio": unit(True, True), "engine": OneOf(ENGINES)}

    seeds: int = 1
    v_seed: int = AUTHORS_V_SEED
    strengths: tuple[float, ...] = (2.0, 3.0, 4.0, 5.0, 6.0)
    weak: float = 2.0
    coupling: float = 0.5
    C: float = 100.0
    sd_coef: float = 0.1
    steps: int = 5000
    dual_lr: float = 3e-6
    primal_lr: float = 0.05
    record_every: int = 10
    agree_tol: float = 0.05
    sd_spread_ratio: float = 0.1
    engine: str = "batched"

    def validate(self) -> None:
        check.integer("seeds", self.seeds, minimum=1)
        check.integer("v_seed", self.v_seed, minimum=0, maximum=2**32 - 1 - 10_000)
        if len(self.strengths) < 2:
            raise check.fail("strengths", self.strengths, "needs at least two strengths")
        check.positive_array("strengths", self.strengths, ndim=1)
        check.positive("weak", self.weak)
        check.open_interval("coupling", self.coupling, -1.0, 1.0)
        check.positive("C", self.C)
        check.positive("sd_coef", self.sd_coef)
        check.integer("steps", self.steps, minimum=1)
        check.positive("dual_lr", self.dual_lr)
        check.positive("primal_lr", self.primal_lr)
        check.integer("record_every", self.record_every, minimum=1)
        check.open_interval("agree_tol", self.agree_tol, 0.0, 1.0)
        check.open_interval("sd_spread_ratio", self.sd_spread_ratio, 0.0, 1.0)
        check.choice("engine", self.engine, ENGINES)

    @property
    def ridge(self) -> Ridge:
        """Weight decay ``(0.5 / C) ||theta||^2`` as the core's ``Ridge(1 / C)``."""
        return Ridge(1.0 / self.C)

    @property
    def sd_penalty(self) -> SpectralDecoupling:
        """``(sd_coef / C) sum yhat^2`` as the core's ``SpectralDecoupling(2 sd_coef / C)``
        (``lambda / 2 * sum (y yhat)^2``, and ``y^2 = 1``)."""
        return SpectralDecoupling(2.0 * self.sd_coef / self.C)


def construction(config: ToyDualConfig, seed: int = 0):
    """``(U, V, Phis (B, 2, 2), y, s2 (B, 2))`` of the authors' toy for one seed."""
    rng = np.random.RandomState(config.v_seed + seed)   # = np.random.seed(1235); randn
    _, _, V = np.linalg.svd(rng.randn(2, 2))
    U = coupling_matrix(2, config.coupling)
    s = np.array([[s1, config.weak] for s1 in config.strengths], dtype=np.float64)
    Phis = np.einsum("ij,bj,jk->bik", U, s, V)
    return U, V, Phis, np.ones(2), s ** 2


def _record_index(steps: int, every: int) -> np.ndarray:
    idx = list(range(0, steps + 1, every))
    if idx[-1] != steps:
        idx.append(steps)
    return np.asarray(idx)


def runs_batched(config: ToyDualConfig, seed: int = 0) -> dict:
    r"""The three discrete runs for all strengths at once (numpy, ``(B, 2)`` arrays).

    The updates are exactly those of :func:`gstheory.trajectories.dual_gradient_ascent` and
    :func:`gstheory.trajectories.primal_gradient_descent`: dual
    ``alpha <- clip(alpha + lr (log((1 - alpha) / alpha) - K alpha / lambda))``;
    primal ``theta <- theta - lr Phi^T (y * (-sigmoid(-m) + g_m)) - lr g_theta`` with
    margins ``m = y * Phi theta``, ridge ``g_theta = lambda theta`` and SD
    ``g_m = lambda_SD m``.

    Returns:
        dict with ``steps`` and ``z_dual``, ``z_primal``, ``z_sd`` of shape ``(B, T, 2)``.
    """
    U, _, P, y, s2 = construction(config, seed)
    B = P.shape[0]
    lam = 1.0 / config.C
    lam_sd = 2.0 * config.sd_coef / config.C
    rec = _record_index(config.steps, config.record_every)
    K = np.einsum("ij,bj,kj->bik", U, s2, U) / lam
    K = 0.5 * (K + np.swapaxes(K, 1, 2))
    hi = np.nextafter(1.0, 0.0)
    a = np.full((B, 2), 1e-8)
    th_r = np.zeros((B, 2))
    th_s = np.zeros((B, 2))
    A, TR, TS = [], [], []
    PT = np.swapaxes(P, 1, 2)
    lr_d, lr_p = config.dual_lr, config.primal_lr
    want = set(rec.tolist())
    with np.errstate(over="ignore", under="ignore"):
        for k in range(config.steps + 1):
            if k in want:
                A.append(a.copy())
                TR.append(th_r.copy())
                TS.append(th_s.copy())
            if k == config.steps:
                break
            a = np.clip(a + lr_d * (np.log1p(-a) - np.log(a)
                                    - np.einsum("bij,bj->bi", K, a)), ALPHA_FLOOR, hi)
            m = y * np.einsum("bij,bj->bi", P, th_r)
            g = np.einsum("bij,bj->bi", PT, y * (-_sigmoid(-m))) + lam * th_r
            th_r = th_r - lr_p * g
            m = y * np.einsum("bij,bj->bi", P, th_s)
            g = np.einsum("bij,bj->bi", PT, y * (-_sigmoid(-m) + lam_sd * m))
            th_s = th_s - lr_p * g
    A = np.stack(A, axis=1)                                     # (B, T, 2)
    z_dual = s2[:, None, :] * np.einsum("ji,btj->bti", U, A) / lam
    z_primal = np.einsum("btj,ji->bti", y * np.einsum("bij,btj->bti", P,
                                                       np.stack(TR, axis=1)), U)
    z_sd = np.einsum("btj,ji->bti", y * np.einsum("bij,btj->bti", P,
                                                   np.stack(TS, axis=1)), U)
    for name, arr in (("z_dual", z_dual), ("z_primal", z_primal), ("z_sd", z_sd)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"toy-dual: {name} is not finite; reduce the learning rates")
    return {"steps": rec, "z_dual": z_dual, "z_primal": z_primal, "z_sd": z_sd}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def runs_core(config: ToyDualConfig, seed: int = 0) -> dict:
    """The same runs through the numeric core, one strength at a time (the reference)."""
    U, _, P, y, s2 = construction(config, seed)
    zd, zp, zs, steps = [], [], [], None
    for b in range(P.shape[0]):
        sp = Spectrum(U, s2[b])
        d = dual_gradient_ascent(sp, config.ridge, config.dual_lr, config.steps,
                                 record_every=config.record_every, clip_min=ALPHA_FLOOR)
        p = primal_gradient_descent(P[b], y, config.ridge, config.primal_lr, config.steps,
                                    record_every=config.record_every, U=U)
        s = primal_gradient_descent(P[b], y, config.sd_penalty, config.primal_lr,
                                    config.steps, record_every=config.record_every, U=U)
        zd.append(d.z)
        zp.append(p.z)
        zs.append(s.z)
        steps = p.step
    return {"steps": np.asarray(steps), "z_dual": np.stack(zd), "z_primal": np.stack(zp),
            "z_sd": np.stack(zs)}


def fixed_points(config: ToyDualConfig, seed: int = 0) -> dict:
    """Exact fixed points (batched Newton of the core) for weight decay and SD."""
    U, _, _, _, s2 = construction(config, seed)
    ridge = solve_fixed_points(U, s2, 1.0 / config.C, penalty="ridge", dynamics="exact")
    sd = solve_fixed_points(U, s2, 2.0 * config.sd_coef / config.C, penalty="sd",
                            dynamics="exact")
    if not (np.all(ridge.converged) and np.all(sd.converged)):
        raise ValueError("toy-dual: a fixed point did not converge")
    return {"z_ridge": ridge.z, "z_sd": sd.z}


def _spread(z: np.ndarray) -> float:
    """Largest distance of an endpoint from the endpoints' mean (``z``: ``(B, 2)``)."""
    return float(np.max(np.linalg.norm(z - z.mean(axis=0), axis=1)))


@register
class ToyDual(Experiment):
    """The paper's dual-vs-primal toy figure."""

    name = "toy-dual"
    paper_ref = "toy figure (toy_fig_6.py)"
    needs_torch = False
    description = ("2-D linear toy: dual = primal endpoints; weight decay starves the weak "
                   "feature as s1 grows; SD decouples")
    presets: ClassVar[dict[str, Any]] = {
        "paper": ToyDualConfig(),
        "quick": ToyDualConfig(),
        "smoke": ToyDualConfig(steps=200, record_every=20),
    }

    def run_seeds(self, config, seeds, device):
        out = {}
        for s in seeds:
            runs = (runs_batched if config.engine == "batched" else runs_core)(config, s)
            fp = fixed_points(config, s)
            out[s] = {"steps": runs["steps"], "z_dual": runs["z_dual"],
                      "z_primal": runs["z_primal"], "z_sd": runs["z_sd"],
                      "fixed_ridge": fp["z_ridge"], "fixed_sd": fp["z_sd"]}
        return out

    def summarize(self, config, per_seed):
        metrics: dict = {"strengths": list(config.strengths), "seeds": {}}
        for s, r in per_seed.items():
            zd = np.abs(np.asarray(r["z_dual"])[:, -1])
            zp = np.abs(np.asarray(r["z_primal"])[:, -1])
            zs = np.abs(np.asarray(r["z_sd"])[:, -1])
            fr = np.abs(np.asarray(r["fixed_ridge"]))
            fs = np.abs(np.asarray(r["fixed_sd"]))
            rel = np.linalg.norm(zd - zp, axis=1) / np.linalg.norm(zp, axis=1)
            metrics["seeds"][str(s)] = {
                "z_dual_end": zd, "z_primal_end": zp, "z_sd_end": zs,
                "z_fixed_ridge": fr, "z_fixed_sd": fs,
                "dual_primal_rel_diff": rel,
                "primal_fixed_rel_diff": np.linalg.norm(zp - fr, axis=1)
                / np.linalg.norm(fr, axis=1),
                "sd_fixed_rel_diff": np.linalg.norm(zs - fs, axis=1)
                / np.linalg.norm(fs, axis=1),
                "weak_response_ridge": zp[:, 1], "strong_response_ridge": zp[:, 0],
                "ridge_spread": _spread(zp), "sd_spread": _spread(zs),
                "fixed_sd_spread": _spread(fs)}
        return metrics

    def predictions(self, config, metrics):
        per = metrics["seeds"]
        rel = max(max(m["dual_primal_rel_diff"]) for m in per.values())
        fix = max(max(m["primal_fixed_rel_diff"]) for m in per.values())
        weak = {s: m["weak_response_ridge"] for s, m in per.items()}
        dec = all(np.all(np.diff(w) < 0) for w in weak.values())
        strong_up = all(np.all(np.diff(m["strong_response_ridge"]) > 0)
                        for m in per.values())
        ratios = {s: m["sd_spread"] / m["ridge_spread"] for s, m in per.items()}
        worst = max(ratios.values())
        return [
            Prediction(
                "dual-primal-agree",
                f"dual gradient ascent and primal gradient descent (weight decay) end at the "
                f"same responses: relative difference < {config.agree_tol:g} for every s1",
                rel < config.agree_tol,
                {"max_rel_diff": rel, "tol": config.agree_tol}),
            Prediction(
                "primal-reaches-fixed-point",
                f"the primal run's endpoint is the exact fixed point (Eq. 11): relative "
                f"difference < {config.agree_tol:g}",
                fix < config.agree_tol, {"max_rel_diff": fix, "tol": config.agree_tol}),
            Prediction(
                "weight-decay-starves-weak-feature",
                "with weight decay the weak response |z2| strictly decreases as the strong "
                "strength s1 grows (and |z1| increases): gradient starvation",
                dec and strong_up,
                {"weak_response": weak, "strong_response_increasing": strong_up}),
            Prediction(
                "sd-decouples",
                f"with SD the endpoints do not depend on s1: their spread < "
                f"{config.sd_spread_ratio:g} x the weight-decay spread",
                worst < config.sd_spread_ratio,
                {"sd_over_ridge_spread": worst,
                 "sd_spread": max(m["sd_spread"] for m in per.values()),
                 "ridge_spread": min(m["ridge_spread"] for m in per.values()),
                 "fixed_sd_spread": max(m["fixed_sd_spread"] for m in per.values())}),
        ]

    def figures(self, config, per_seed, metrics, out_dir):
        import matplotlib.pyplot as plt

        r = per_seed[next(iter(per_seed))]
        zd, zp, zs = (np.abs(np.asarray(r[k])) for k in ("z_dual", "z_primal", "z_sd"))
        fr, fs = np.abs(np.asarray(r["fixed_ridge"])), np.abs(np.asarray(r["fixed_sd"]))
        colors = plt.cm.viridis(np.linspace(0.0, 0.9, len(config.strengths)))
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
        for b, s1 in enumerate(config.strengths):
            c = colors[b]
            a1.plot(zp[b, :, 0], zp[b, :, 1], "-", color=c, lw=2, label=f"s1={s1:g}")
            a1.plot(zd[b, :, 0], zd[b, :, 1], ":", color="k", lw=1.2)
            a1.plot(*fr[b], "x", color="r", ms=7)
            a2.plot(zp[b, :, 0], zp[b, :, 1], "-", color=c, lw=2, label=f"s1={s1:g}")
            a2.plot(zs[b, :, 0], zs[b, :, 1], "--", color=c, lw=2)
            a2.plot(*fs[b], "x", color="r", ms=7)
        a1.set_title("dual (dotted) vs primal with weight decay (solid)\n"
                     "x: exact fixed points", fontsize=9)
        a2.set_title("weight decay (solid) vs spectral decoupling (dashed)", fontsize=9)
        for ax in (a1, a2):
            ax.set_xlim(-0.5, 10.5)
            ax.set_ylim(-0.1, 1.75 if fr[:, 1].max() < 1.7 and fs[:, 1].max() < 1.7
                        else 1.05 * max(fr[:, 1].max(), fs[:, 1].max()))
            ax.set_xlabel("|z1| (strong feature)")
            ax.set_ylabel("|z2| (weak feature)")
            ax.legend(fontsize=7, loc="lower right")
        fig.tight_layout()
        path = Path(out_dir) / "toy_dual.png"
        save_figure(fig, path, dpi=110)
        plt.close(fig)
        return [path]
