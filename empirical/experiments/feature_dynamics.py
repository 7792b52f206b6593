r"""Feature responses z(t) of the two-moons network during training (Fig. 1d).

At initialisation the empirical NTK Gram ``K = Phi_0 Phi_0^T`` of the 2-500-1 ReLU network
on the training set gives the feature basis ``U`` (Definition 1: ``Y K Y = U S^2 U^T``,
strengths decreasing; ``K`` from :func:`gstheory.ntk.ntk_gram`). ``U`` is kept
fixed and, at every step, the responses ``z = |U^T Y yhat|`` (Eq. 4, on the pre-step
outputs; the authors' ``|yhat^T U_K|`` is the same thing since ``U = Y U_K``) are
recorded. Columns 1 and 6 (0-based) are the authors' picks: a strong and a weak feature.

Prediction (Sec. 1, Fig. 1d): when the margin turns positive (``Delta`` from -0.1 to
+0.1) the strong response ``z1`` grows and the weak one ``z6`` is starved; with SD the
strong response is suppressed and ``z6`` grows again.

Paper: Fig. 1d (Sec. 1), Definition 1, Eq. 4; official code ``Figure_2/``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from gstheory import validation as check
from gstheory.empirical.data.moons import two_moons
from gstheory.empirical.experiments.two_moons import MoonsRecipe
from gstheory.empirical.harness import Experiment, Prediction, register
from gstheory.empirical.hparams import Range, count
from gstheory.io import save_figure

#: the three runs of Fig. 1d: (name, margin Delta, uses SD).
SETTINGS = (("neg-margin", -0.1, False), ("pos-margin", 0.1, False),
            ("pos-margin-sd", 0.1, True))


@dataclass(frozen=True)
class FeatureDynamicsConfig(MoonsRecipe):
    """Settings (defaults: the authors' ``Figure_2``: 10 seeds, 10,000 steps).

    Attributes:
        seeds, n, noise, width, steps, lr, momentum, weight_decay, sd: the shared
            :class:`~gstheory.empirical.experiments.two_moons.MoonsRecipe`.
        strong, weak: the two columns of ``U`` whose responses are compared (1 and 6).
        keep: how many leading responses are stored (>= max(strong, weak) + 1).
        record_every: store z every this many steps (the last step always).
        factor: a response "grows"/"is starved" when the seed-averaged final values
            differ by more than this factor (e.g. 1.25: up by 25% / down to 1/1.25).
    """

    RANGES: ClassVar[dict] = {
        "strong": count(0, 100_000), "weak": count(0, 100_000), "keep": count(1, 100_000),
        "record_every": count(1, 10_000_000), "factor": Range(1.0, 1000.0)}

    strong: int = 1
    weak: int = 6
    keep: int = 10
    record_every: int = 10
    factor: float = 1.25

    def validate(self) -> None:
        super().validate()
        check.positive("sd", self.sd)  # the SD setting needs a penalty
        check.integer("strong", self.strong, minimum=0, maximum=self.n - 1)
        check.integer("weak", self.weak, minimum=0, maximum=self.n - 1)
        check.integer("keep", self.keep, minimum=max(self.strong, self.weak) + 1,
                      maximum=self.n)
        check.integer("record_every", self.record_every, minimum=1)
        check.positive("factor", self.factor)
        if self.factor < 1:
            raise check.fail("factor", self.factor, "must be >= 1")


def ntk_basis(module, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""``(U, s2)`` of the network's empirical NTK at its current weights (float64).

    ``K`` comes from :func:`gstheory.ntk.ntk_gram`; ``Y K Y = U S^2 U^T`` by a symmetric
    eigendecomposition, strengths decreasing (Definition 1). Unlike
    :func:`gstheory.ntk.network_spectrum` this accepts a numerically singular ``K``:
    for some seeds the 2-500-1 ReLU net's Gram on 300 two-dimensional points has a
    smallest eigenvalue ~2e-17 of its largest (measured: seed 5, Delta = +0.1), and
    only the leading columns of ``U`` are used. Eigenvalues below zero by rounding are
    clipped to 0.

    Paper: Definition 1, Eq. 2.
    """
    import torch

    from gstheory.ntk import ntk_gram
    yv = check.labels("y", y)
    net = copy.deepcopy(module).double().eval()
    K = ntk_gram(net, torch.as_tensor(X, dtype=torch.float64))
    w, U = np.linalg.eigh(yv[:, None] * K * yv[None, :])
    order = np.argsort(w)[::-1]
    return U[:, order], np.clip(w[order], 0.0, None)


@register
class FeatureDynamics(Experiment):
    """Fig. 1d: z1 and z6 over training for Delta = -0.1, +0.1 and +0.1 with SD."""

    name = "feature-dynamics"
    #: seeds stacked per chunk: an interrupted run loses at most two seeds
    seed_chunk = 2
    paper_ref = "Fig. 1d"
    description = ("responses z(t) on the initial NTK basis: a positive margin raises z1 and "
                   "starves z6; SD reverses it")
    presets: ClassVar[dict[str, Any]] = {
        "paper": FeatureDynamicsConfig(),
        "quick": FeatureDynamicsConfig(seeds=3, steps=4000),
        # smoke: fewer points and steps; the width stays 500 so that the NTK Gram of the
        # 2-D inputs is non-singular (a narrow ReLU net on 2-D data has a rank-deficient K)
        "smoke": FeatureDynamicsConfig(seeds=1, steps=30, n=100, record_every=5),
    }

    def run_seeds(self, config, seeds, device):
        import torch

        from gstheory.empirical.models import BatchedMLP, init_mlps
        from gstheory.empirical.training import train_full_batch

        copies = [(st, s) for st in SETTINGS for s in seeds]
        Xs, ys, Us, s2s = [], [], [], []
        mods = init_mlps((2, config.width, 1), [s for _, s in copies])
        basis: dict = {}
        for k, ((_name, margin, _), s) in enumerate(copies):
            X, y = two_moons(config.n, margin, seed=s, noise=config.noise)
            if (margin, s) not in basis:      # SD shares data and init with pos-margin
                basis[(margin, s)] = ntk_basis(mods[k], X, y)
            U, s2 = basis[(margin, s)]
            Xs.append(X)
            ys.append(y)
            Us.append(U[:, :config.keep])
            s2s.append(s2[:config.keep])
        dt = torch.float32
        X = torch.tensor(np.stack(Xs), dtype=dt, device=device)
        y = torch.tensor(np.stack(ys), dtype=dt, device=device)
        U = torch.tensor(np.stack(Us), dtype=dt, device=device)      # (S, n, keep)
        model = BatchedMLP.from_modules(mods).to(device)
        record = set(range(0, config.steps, config.record_every)) | {config.steps - 1}
        steps, zs = [], []

        def callback(t, out):
            if t in record:
                steps.append(t)
                zs.append(torch.bmm((y * out).unsqueeze(1), U).squeeze(1).abs().cpu())

        train_full_batch(model, X, y, steps=config.steps, lr=config.lr,
                         momentum=config.momentum, weight_decay=config.weight_decay,
                         sd=[config.sd if st[2] else 0.0 for st, _ in copies],
                         callback=callback, desc="feature-dynamics")
        Z = torch.stack(zs, dim=1).double().numpy()                   # (S, T, keep)
        out: dict = {s: {"steps": steps} for s in seeds}
        for k, ((name, _, _), s) in enumerate(copies):
            out[s][name] = {"z": Z[k], "s2": s2s[k]}
        return out

    def summarize(self, config, per_seed):
        metrics: dict = {"settings": {}}
        for name, _, _ in SETTINGS:
            Z = np.mean([np.asarray(r[name]["z"]) for r in per_seed.values()], axis=0)
            metrics["settings"][name] = {
                "z_strong_final": float(Z[-1, config.strong]),
                "z_weak_final": float(Z[-1, config.weak]),
                "z_final": Z[-1].tolist(),
                "z_strong_per_seed": [float(np.asarray(r[name]["z"])[-1, config.strong])
                                      for r in per_seed.values()],
                "z_weak_per_seed": [float(np.asarray(r[name]["z"])[-1, config.weak])
                                    for r in per_seed.values()],
                "s2_leading": np.mean([np.asarray(r[name]["s2"])
                                       for r in per_seed.values()], axis=0).tolist()}
        return metrics

    def predictions(self, config, metrics):
        S = metrics["settings"]
        neg, pos, sd = S["neg-margin"], S["pos-margin"], S["pos-margin-sd"]
        f = config.factor
        i, j = config.strong, config.weak

        def pred(name, statement, a, b, up):
            ratio = a / b if b > 0 else float("inf")
            ok = ratio > f if up else ratio < 1.0 / f
            return Prediction(name, statement, ok, {"value": a, "reference": b,
                                                     "ratio": ratio, "factor": f})

        return [
            pred("positive-margin-raises-strong",
                 f"Delta -0.1 -> +0.1 raises the strong response z{i}: ratio > {f:g}",
                 pos["z_strong_final"], neg["z_strong_final"], True),
            pred("positive-margin-starves-weak",
                 f"Delta -0.1 -> +0.1 starves the weak response z{j}: ratio < 1/{f:g}",
                 pos["z_weak_final"], neg["z_weak_final"], False),
            pred("sd-suppresses-strong",
                 f"SD suppresses the strong response z{i} (vs Delta +0.1): ratio < 1/{f:g}",
                 sd["z_strong_final"], pos["z_strong_final"], False),
            pred("sd-revives-weak",
                 f"SD lets the weak response z{j} grow (vs Delta +0.1): ratio > {f:g}",
                 sd["z_weak_final"], pos["z_weak_final"], True),
        ]

    def figures(self, config, per_seed, metrics, out_dir):
        import matplotlib.pyplot as plt

        steps = np.asarray(next(iter(per_seed.values()))["steps"])
        fig, ax = plt.subplots(figsize=(6, 4))
        styles = {"neg-margin": ":", "pos-margin": "--", "pos-margin-sd": "-"}
        labels = {"neg-margin": "Delta=-0.1", "pos-margin": "Delta=+0.1",
                  "pos-margin-sd": "Delta=+0.1, SD"}
        for name, _, _ in SETTINGS:
            Z = np.mean([np.asarray(r[name]["z"]) for r in per_seed.values()], axis=0)
            ax.plot(steps, Z[:, config.strong], styles[name], color="tab:green", lw=2,
                    label=f"z{config.strong}, {labels[name]}")
            ax.plot(steps, Z[:, config.weak], styles[name], color="tab:orange", lw=2,
                    label=f"z{config.weak}, {labels[name]}")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("|z| (feature response)")
        ax.set_title(f"Feature responses on the initial NTK basis ({len(per_seed)} seeds)",
                     fontsize=9)
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        path = Path(out_dir) / "feature_dynamics.png"
        save_figure(fig, path, dpi=110)
        plt.close(fig)
        return [path]
