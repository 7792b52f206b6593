r"""Two moons: gradient starvation makes a separable problem's boundary straight (Fig. 1).

The authors' construction (``gstheory.empirical.data.moons.two_moons``): with a negative margin
(``Delta = -0.1``, overlapping classes) a 2-500-1 ReLU network draws a curved boundary;
with a positive margin (``Delta = +0.1``, a 0.2 gap along the horizontal axis) the easy
horizontal feature is learned first and, once the training loss is small, it starves the
curvature of the moons: the boundary is an almost straight vertical line hugging the
data. No common regulariser changes that (App. B: weight decay, longer training, Adam with
a small or large learning rate, a 45 degree rotation, dropout, BatchNorm, a deeper net);
Spectral Decoupling (SD, Eq. 17: ``+ lambda * mean(yhat^2)``) does: the boundary curves
and the margin grows.

Metrics (all on the seed-averaged logit over a grid on ``[-2, 2]^2``, in eval mode, in the
data's own frame, i.e. the rotated variant is rotated back):

* ``crossing_std``: standard deviation of the boundary's horizontal crossing ``x1`` over
  the rows ``x2 in [-1.2, 1.2]`` (0 for a vertical line; the proxy of docs/experiments.md, two
  moons);
  ``crossing_resid_std``: the same after removing a linear fit (straightness whatever the
  tilt).
* ``margin``: minimum distance from a seed's training points to that seed's zero contour,
  averaged over seeds.
* ``vertical_reliance``: ``E|d f/d x2| / E||grad_x f||`` over the training points: how much
  the logit depends on the vertical axis, which carries the moons' curvature.

Paper: Fig. 1a-c (Sec. 1) and App. B; official code ``Figure_1``, ``Figure_2``,
``Figure_3`` of ``mpezeshki/Gradient_Starvation``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from gstheory import validation as check
from gstheory.empirical.data.moons import two_moons
from gstheory.empirical.harness import Config, Experiment, Prediction, register
from gstheory.empirical.hparams import OneOf, Range, count, positive, unit

#: every variant, in the order of the figure's panels.
ALL_VARIANTS = ("neg-margin", "pos-margin", "pos-margin-sd", "weight-decay-0.01",
                "train-longer", "adam-small-lr", "adam-large-lr", "rotate-45",
                "dropout-0.7", "batchnorm", "five-layers", "sd-0.003")
#: how the networks of one seed are initialised (see TwoMoonsConfig.rng_order).
RNG_ORDERS = ("reseed", "authors")
#: the variants that use spectral decoupling.
SD_VARIANTS = ("pos-margin-sd", "sd-0.003")
#: half-width of the rows over which the boundary's crossing is measured.
CROSSING_ROWS = 1.2
#: extent of the evaluation grid (the authors' heatmap covers [-2, 2]^2).
GRID_EXTENT = 2.0


@dataclass(frozen=True)
class MoonsRecipe(Config):
    """The authors' two-moons training recipe, shared by two-moons and feature-dynamics.

    Attributes:
        seeds: number of seeds (data, init and dropout are seeded by it).
        n: training points per data set; noise: ``make_moons`` noise.
        width: hidden width of the 2-width-1 ReLU net; steps: full-batch steps.
        lr, momentum: SGD; weight_decay: of the Figure_2 panels.
        sd: SD coefficient lambda in ``+ lambda * mean(yhat^2)``.
    """

    RANGES: ClassVar[dict] = {
        "seeds": count(1, 10_000), "n": count(10, 100_000), "noise": Range(0.0, 10.0),
        "width": count(1, 100_000), "steps": count(1, 10_000_000), "lr": positive(100.0),
        "momentum": Range(0.0, 1.0, hi_open=True), "weight_decay": Range(0.0, 100.0),
        "sd": Range(0.0, 1e6)}

    seeds: int = 10
    n: int = 300
    noise: float = 0.1
    width: int = 500
    steps: int = 10_000
    lr: float = 1e-2
    momentum: float = 0.9
    weight_decay: float = 2e-4
    sd: float = 0.003

    def validate(self) -> None:
        check.integer("seeds", self.seeds, minimum=1)
        check.integer("n", self.n, minimum=10)
        check.nonnegative("noise", self.noise)
        check.integer("width", self.width, minimum=1)
        check.integer("steps", self.steps, minimum=1)
        check.positive("lr", self.lr)
        check.open_interval("momentum", self.momentum, -1e-12, 1.0)
        check.nonnegative("weight_decay", self.weight_decay)
        check.nonnegative("sd", self.sd)


@dataclass(frozen=True)
class TwoMoonsConfig(MoonsRecipe):
    """Settings of the two-moons experiment (defaults: the authors' Figure_2/Figure_3).

    Attributes:
        seeds: number of seeds (data, init and dropout are seeded by it).
        n: training points per data set; noise: ``make_moons`` noise.
        width: hidden width; steps: full-batch steps of every variant except
            ``train-longer`` (which runs ``longer_steps``) and the curved reference
            ``neg-margin`` (``reference_steps``; the quick preset keeps the authors'
            10,000 there, so that the reference curvature is the converged one, and
            shortens the others, which only makes their boundaries less straight).
        lr, momentum: SGD; weight_decay: of the Figure_2 panels (``neg-margin``,
            ``pos-margin``, ``pos-margin-sd``); App. B variants start from no decay.
        sd: SD coefficient lambda in ``+ lambda * mean(yhat^2)``.
        strong_weight_decay, adam_small_lr, adam_large_lr, rotate_deg, dropout,
        deep_layers, deep_width: the App. B variants' settings (the authors' deep net has
            width 500; the quick preset narrows it to keep a CPU run short).
        variants: which variants to run (``neg-margin`` and ``pos-margin`` are needed by
            the predictions).
        grid: points per axis of the evaluation grid.
        straight_ratio: a boundary counts as straight when its crossing std is below
            this fraction of the ``neg-margin`` one (docs/experiments.md: 0.5).
        sd_ratio: SD must raise crossing std and margin by more than this factor (1.5).
        rng_order: ``reseed`` (default): every network is initialised after
            ``torch.manual_seed(seed)``; ``authors``: as ``Figure_1/moon_fig_1.py``, the
            ``pos-margin`` network is drawn from the RNG stream left after drawing the
            ``neg-margin`` one (no re-seed). Only ``pos-margin``'s initial weights
            change; the authors measured its seed-averaged heatmap to move by up to 2.1%
            of the largest logit.
    """

    RANGES: ClassVar[dict] = {
        "reference_steps": count(1, 10_000_000), "longer_steps": count(1, 10_000_000),
        "strong_weight_decay": Range(0.0, 100.0), "adam_small_lr": positive(100.0),
        "adam_large_lr": positive(100.0), "rotate_deg": Range(-360.0, 360.0),
        "dropout": unit(hi_open=True), "deep_layers": count(2, 64),
        "deep_width": count(1, 100_000), "variants": OneOf(ALL_VARIANTS),
        "grid": count(10, 2000), "straight_ratio": unit(True, True),
        "sd_ratio": positive(1000.0), "rng_order": OneOf(RNG_ORDERS)}

    reference_steps: int = 10_000
    longer_steps: int = 100_000
    strong_weight_decay: float = 0.01
    adam_small_lr: float = 1e-4
    adam_large_lr: float = 3e-3
    rotate_deg: float = 45.0
    dropout: float = 0.7
    deep_layers: int = 5
    deep_width: int = 500
    variants: tuple[str, ...] = ALL_VARIANTS
    grid: int = 100
    straight_ratio: float = 0.5
    sd_ratio: float = 1.5
    rng_order: str = "reseed"

    def validate(self) -> None:
        super().validate()
        check.integer("reference_steps", self.reference_steps, minimum=1)
        check.integer("longer_steps", self.longer_steps, minimum=1)
        check.nonnegative("strong_weight_decay", self.strong_weight_decay)
        check.positive("adam_small_lr", self.adam_small_lr)
        check.positive("adam_large_lr", self.adam_large_lr)
        check.finite_scalar("rotate_deg", self.rotate_deg)
        check.open_interval("dropout", self.dropout, -1e-12, 1.0)
        check.integer("deep_layers", self.deep_layers, minimum=2)
        check.integer("deep_width", self.deep_width, minimum=1)
        if not self.variants:
            raise check.fail("variants", self.variants, "must name at least one variant")
        for v in self.variants:
            check.choice("variants", v, ALL_VARIANTS)
        check.integer("grid", self.grid, minimum=10)
        check.open_interval("straight_ratio", self.straight_ratio, 0.0, 1.0)
        check.positive("sd_ratio", self.sd_ratio)


@dataclass(frozen=True)
class Variant:
    """One training run's settings (one panel)."""

    name: str
    margin: float
    rotate_deg: float
    optimizer: str
    lr: float
    weight_decay: float
    sd: float
    steps: int
    widths: tuple[int, ...]
    dropout: float
    batchnorm: bool

    @property
    def group(self) -> tuple:
        """Variants with equal group keys train together as one batched model."""
        return (self.widths, self.dropout, self.batchnorm, self.optimizer, self.steps)


def variants(config: TwoMoonsConfig) -> list[Variant]:
    """The runs of the experiment (the authors' Figure_2 panels and App. B variants)."""
    c = config
    base = {"margin": 0.1, "rotate_deg": 0.0, "optimizer": "sgd", "lr": c.lr,
            "weight_decay": 0.0, "sd": 0.0, "steps": c.steps, "widths": (2, c.width, 1),
            "dropout": 0.0, "batchnorm": False}
    table = {
        "neg-margin": {"margin": -0.1, "weight_decay": c.weight_decay,
                       "steps": c.reference_steps},
        "pos-margin": {"weight_decay": c.weight_decay},
        "pos-margin-sd": {"weight_decay": c.weight_decay, "sd": c.sd},
        "weight-decay-0.01": {"weight_decay": c.strong_weight_decay},
        "train-longer": {"steps": c.longer_steps},
        "adam-small-lr": {"optimizer": "adam", "lr": c.adam_small_lr},
        "adam-large-lr": {"optimizer": "adam", "lr": c.adam_large_lr},
        "rotate-45": {"rotate_deg": c.rotate_deg},
        "dropout-0.7": {"dropout": c.dropout},
        "batchnorm": {"batchnorm": True},
        "five-layers": {"widths": (2,) + (c.deep_width,) * (c.deep_layers - 1) + (1,)},
        "sd-0.003": {"sd": c.sd},
    }
    return [Variant(name=v, **{**base, **table[v]}) for v in c.variants]


def rotation(deg: float) -> np.ndarray:
    """The matrix ``R`` with ``X_rotated = X @ R`` (as in the data construction)."""
    t = np.deg2rad(deg)
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


def grid_axis(points: int) -> np.ndarray:
    """The coordinates of one axis of the evaluation grid."""
    return np.linspace(-GRID_EXTENT, GRID_EXTENT, points)


def boundary_crossings(logits: np.ndarray, axis: np.ndarray,
                       rows: float = CROSSING_ROWS) -> tuple[np.ndarray, np.ndarray]:
    r"""Where each grid row's logit changes sign (the crossing nearest ``x1 = 0``).

    Arguments:
        logits: ``(G, G)`` array indexed ``[row (x2), column (x1)]``.
        axis: the ``G`` grid coordinates.
        rows: only rows with ``|x2| <= rows``.

    Returns:
        ``(x2, x1)`` of the rows that cross zero (linear interpolation between grid
        points).
    """
    xs2, xs1 = [], []
    for i, x2 in enumerate(axis):
        if abs(x2) > rows:
            continue
        row = logits[i]
        idx = np.nonzero(np.signbit(row[:-1]) != np.signbit(row[1:]))[0]
        if idx.size == 0:
            continue
        a, b = row[idx], row[idx + 1]
        t = a / (a - b)
        cross = axis[idx] + t * (axis[idx + 1] - axis[idx])
        xs2.append(x2)
        xs1.append(cross[np.argmin(np.abs(cross))])
    return np.asarray(xs2), np.asarray(xs1)


def straightness(logits: np.ndarray, axis: np.ndarray) -> dict:
    """Crossing std, residual std after a linear fit, and the fraction of rows crossed."""
    x2, x1 = boundary_crossings(logits, axis)
    n_rows = int(np.sum(np.abs(axis) <= CROSSING_ROWS))
    if x1.size < 3:
        return {"crossing_std": 0.0, "crossing_resid_std": 0.0,
                "rows_crossed": x1.size / n_rows}
    coef = np.polyfit(x2, x1, 1)
    resid = x1 - np.polyval(coef, x2)
    return {"crossing_std": float(np.std(x1)), "crossing_resid_std": float(np.std(resid)),
            "crossing_slope": float(coef[0]), "rows_crossed": x1.size / n_rows}


def contour_distance(logits: np.ndarray, axis: np.ndarray, points: np.ndarray) -> float:
    """Minimum distance from ``points`` (data frame) to the zero contour of ``logits``.

    The contour is traced with marching squares (``contourpy``) on the grid; a logit
    without a zero crossing on the grid gives the grid's diameter (no boundary in view).
    """
    import contourpy
    gen = contourpy.contour_generator(axis, axis, logits)
    lines = [ln for ln in gen.lines(0.0) if len(ln)]
    if not lines:
        return float(2 * np.sqrt(2) * GRID_EXTENT)
    verts = np.concatenate(lines)
    # Distances to segments would be slightly smaller than to vertices; the grid spacing
    # bounds the difference (vertices are <= one spacing apart).
    d = np.sqrt(((points[:, None, :] - verts[None, :, :]) ** 2).sum(-1))
    return float(d.min())


def authors_second_network(variant: Variant, seed: int):
    """The ``Delta = +0.1`` network of ``Figure_1/moon_fig_1.py``: after
    ``torch.manual_seed(seed)`` the ``Delta = -0.1`` network is drawn first, and this one
    from the stream left after it (training the first, full batch without dropout,
    draws nothing from the stream)."""
    import torch

    from gstheory.empirical.models import MLP

    torch.manual_seed(seed)
    MLP(variant.widths, dropout=variant.dropout, batchnorm=variant.batchnorm)
    return MLP(variant.widths, dropout=variant.dropout, batchnorm=variant.batchnorm)


def _run_group(group: list[Variant], seeds: list[int], config: TwoMoonsConfig,
               device) -> dict:
    import torch

    from gstheory.empirical.models import BatchedMLP, init_mlps
    from gstheory.empirical.training import evaluate, train_full_batch

    copies = [(v, s) for v in group for s in seeds]
    v0 = group[0]
    Xs, Xd, ys = [], [], []
    for v, s in copies:
        X, y = two_moons(config.n, v.margin, seed=s, noise=config.noise,
                         rotate_deg=v.rotate_deg)
        Xs.append(X)
        Xd.append(X @ rotation(v.rotate_deg).T)   # back in the data's frame
        ys.append(y)
    dt = torch.float32
    X = torch.tensor(np.stack(Xs), dtype=dt, device=device)
    y = torch.tensor(np.stack(ys), dtype=dt, device=device)
    mods = init_mlps(v0.widths, [s for _, s in copies], dropout=v0.dropout,
                     batchnorm=v0.batchnorm)
    if config.rng_order == "authors":
        for k, (v, s) in enumerate(copies):
            if v.name == "pos-margin":
                mods[k] = authors_second_network(v, s)
    model = BatchedMLP.from_modules(mods, dropout_seeds=[s for _, s in copies]).to(device)
    label = v0.name if len(group) == 1 else f"{len(group)} variants"
    log = train_full_batch(
        model, X, y, steps=v0.steps, optimizer=v0.optimizer,
        lr=[v.lr for v, _ in copies], momentum=config.momentum if v0.optimizer == "sgd"
        else 0.0, weight_decay=[v.weight_decay for v, _ in copies],
        sd=[v.sd for v, _ in copies], desc=f"two-moons {label}")
    # Evaluation in eval mode: grid (in each copy's data frame), train accuracy, input
    # gradients at the training points.
    axis = grid_axis(config.grid)
    g1, g2 = np.meshgrid(axis, axis)               # rows: x2, columns: x1
    q = np.stack([g1.ravel(), g2.ravel()], axis=1)
    P = np.stack([q @ rotation(v.rotate_deg) for v, _ in copies])
    grid_logits = evaluate(model, torch.tensor(P, dtype=dt, device=device))
    grid_logits = grid_logits.double().cpu().numpy().reshape(len(copies), config.grid,
                                                            config.grid)
    train_logits = evaluate(model, X).double().cpu().numpy()
    model.eval()
    Xg = X.clone().requires_grad_(True)
    (gx,) = torch.autograd.grad(model(Xg).sum(), Xg)
    model.train()
    out: dict = {}
    for k, (v, s) in enumerate(copies):
        grad_d = gx[k].double().cpu().numpy() @ rotation(v.rotate_deg).T
        norm = np.linalg.norm(grad_d, axis=1)
        reliance = float(np.abs(grad_d[:, 1]).mean() / max(norm.mean(), 1e-300))
        out.setdefault(s, {})[v.name] = {
            "grid_logits": np.round(grid_logits[k], 5),
            "margin": contour_distance(grid_logits[k], axis, Xd[k]),
            "vertical_reliance": reliance,
            "train_acc": float(np.mean(np.sign(train_logits[k]) == ys[k])),
            "final_loss": float(log.final_loss[k]),
        }
    return out


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("inf") if a > 0 else 1.0


@register
class TwoMoons(Experiment):
    """Fig. 1a-c and App. B: boundary straightness, margin and vertical reliance."""

    name = "two-moons"
    #: seeds stacked per chunk: an interrupted run loses at most two seeds
    seed_chunk = 2
    paper_ref = "Fig. 1a-c, App. B"
    description = ("2-500-1 ReLU net on two moons: a positive margin gives a straight "
                   "boundary that no common regulariser curves; SD does")
    presets: ClassVar[dict[str, Any]] = {
        "paper": TwoMoonsConfig(),
        "quick": TwoMoonsConfig(seeds=3, steps=2000, longer_steps=6000, deep_width=128),
        "smoke": TwoMoonsConfig(seeds=1, width=32, steps=20, reference_steps=20,
                                longer_steps=40, deep_width=32, grid=30, n=60),
    }

    def run_seeds(self, config, seeds, device):
        groups: dict[tuple, list[Variant]] = {}
        for v in variants(config):
            groups.setdefault(v.group, []).append(v)
        per_seed: dict[int, dict] = {s: {} for s in seeds}
        for group in groups.values():
            for s, res in _run_group(group, seeds, config, device).items():
                per_seed[s].update(res)
        return per_seed

    def summarize(self, config, per_seed):
        axis = grid_axis(config.grid)
        metrics: dict = {"variants": {}}
        for v in config.variants:
            runs = [r[v] for r in per_seed.values()]
            mean_logit = np.mean([np.asarray(r["grid_logits"]) for r in runs], axis=0)
            m = straightness(mean_logit, axis)
            margins = [r["margin"] for r in runs]
            m.update(margin=float(np.mean(margins)), margin_min=float(np.min(margins)),
                     margin_per_seed=margins,
                     vertical_reliance=float(np.mean([r["vertical_reliance"]
                                                      for r in runs])),
                     train_acc=float(np.mean([r["train_acc"] for r in runs])),
                     final_loss=float(np.mean([r["final_loss"] for r in runs])))
            metrics["variants"][v] = m
        return metrics

    def predictions(self, config, metrics):
        V = metrics["variants"]
        preds = []
        if "neg-margin" not in V or "pos-margin" not in V:
            return preds
        key = "crossing_resid_std"
        ref = V["neg-margin"][key]
        limit = config.straight_ratio * ref
        straight = [v for v in config.variants if v != "neg-margin" and v not in SD_VARIANTS]
        for v in straight:
            m = V[v]
            what = ("with a positive margin the boundary is near-straight"
                    if v == "pos-margin" else
                    f"App. B: the {v} variant does not curve the boundary")
            preds.append(Prediction(
                "positive-margin-straight" if v == "pos-margin" else f"{v}-stays-straight",
                f"{what}: the std of its crossing about the best straight line < "
                f"{config.straight_ratio:g} x that of the overlapping (negative-margin) data",
                m[key] < limit,
                {"curvature": m[key], "neg_margin_curvature": ref,
                 "ratio": _ratio(m[key], ref), "crossing_std": m["crossing_std"],
                 "margin": m["margin"], "train_acc": m["train_acc"]}))
        for sdv in SD_VARIANTS:
            if sdv not in V:
                continue
            s, b = V[sdv], V["pos-margin"]
            preds.append(Prediction(
                f"{sdv}-curves-boundary",
                f"SD curves the boundary: its curvature (crossing std about the best line) "
                f"> {config.sd_ratio:g} x that of pos-margin",
                s[key] > config.sd_ratio * b[key],
                {"sd_curvature": s[key], "curvature": b[key],
                 "ratio": _ratio(s[key], b[key]), "sd_crossing_std": s["crossing_std"],
                 "crossing_std": b["crossing_std"]}))
            preds.append(Prediction(
                f"{sdv}-larger-margin",
                f"SD enlarges the margin: min distance of the training points to the "
                f"boundary > {config.sd_ratio:g} x that of pos-margin",
                s["margin"] > config.sd_ratio * b["margin"],
                {"sd_margin": s["margin"], "margin": b["margin"],
                 "ratio": _ratio(s["margin"], b["margin"])}))
            preds.append(Prediction(
                f"{sdv}-uses-vertical-axis",
                "SD relies more on the vertical axis (the moons' curvature) than "
                f"pos-margin: vertical reliance > {config.sd_ratio:g} x",
                s["vertical_reliance"] > config.sd_ratio * b["vertical_reliance"],
                {"sd_vertical_reliance": s["vertical_reliance"],
                 "vertical_reliance": b["vertical_reliance"],
                 "ratio": _ratio(s["vertical_reliance"], b["vertical_reliance"])}))
        return preds

    def figures(self, config, per_seed, metrics, out_dir):
        import matplotlib.pyplot as plt

        axis = grid_axis(config.grid)
        names = list(config.variants)
        cols = min(4, len(names))
        rows = -(-len(names) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows),
                                 squeeze=False)
        seed0 = next(iter(per_seed))
        for ax, v in zip(axes.ravel(), names):
            spec = next(x for x in variants(config) if x.name == v)
            mean_logit = np.mean([np.asarray(r[v]["grid_logits"])
                                  for r in per_seed.values()], axis=0)
            ax.imshow(np.tanh(mean_logit / 4), origin="lower", cmap="RdBu",
                      extent=(-GRID_EXTENT, GRID_EXTENT, -GRID_EXTENT, GRID_EXTENT),
                      vmin=-1, vmax=1, alpha=0.8)
            ax.contour(axis, axis, mean_logit, levels=[0.0], colors="k", linewidths=1.5)
            X, y = two_moons(config.n, spec.margin, seed=seed0, noise=config.noise)
            ax.scatter(X[:, 0], X[:, 1], c=y, cmap="bwr", s=4, edgecolors="none")
            m = metrics["variants"][v]
            title = v + (" (rotated back)" if spec.rotate_deg else "")
            ax.set_title(f"{title}\nstd {m['crossing_std']:.3f}, margin {m['margin']:.3f}",
                         fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
        for ax in axes.ravel()[len(names):]:
            ax.axis("off")
        steps = f"{config.steps} steps"
        if "neg-margin" in names and config.reference_steps != config.steps:
            steps += f", neg-margin {config.reference_steps}"
        if "train-longer" in names:
            steps += f", train-longer {config.longer_steps}"
        fig.suptitle(f"Two moons: seed-averaged logit ({len(per_seed)} seeds, {steps})",
                     fontsize=10)
        fig.tight_layout()
        path = Path(out_dir) / "two_moons.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return [path]
