r"""Minority groups: per-class SD lifts the worst group without group labels (Table 3).

CelebA's structure on Fashion-MNIST (``gstheory.empirical.data.groups``): Pullover (``y = 0``) vs
Coat (``y = 1``), a bright corner patch as the easy spurious attribute, and CelebA's
group proportions (the rarest group, coats with a patch, is 0.85% of the training set).
An MLP ``784 -> hidden -> 1`` is trained with Adam on minibatches by

* **ERM**;
* **SD** with one ``lambda`` for every example (Eq. 17, ``coef * mean(yhat^2)``);
* **SDPerClass**: SD with per-class ``lambda_c`` and margin targets ``gamma_c``
  (Sec. 4.4; the authors' CelebA values are ``lambda = 0.2``, ``gamma = (-0.44, 2.5)``);
* **GroupDRO** (online, step 0.01): uses the group labels, the upper reference.

SD's, SDPerClass's and Group DRO's hyper-parameters are chosen from a grid by *validation*
worst-group
accuracy (the validation split carries group labels, as in the paper's model selection;
the test split is never used for a choice). Every method and grid point of a seed trains
as one stacked model (``gstheory.empirical.models.BatchedMLP``) from the *same* initial weights on
the *same* minibatches, so the comparison is paired.

Metrics: worst-group and average test accuracy, the average taken at CelebA's
proportions (see ``gstheory.empirical.data.groups``), plus per-group accuracies.

Paper: Sec. 4.4, Table 3; official code ``Table_2/`` (from ``group_DRO``).
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from gstheory import validation as check
from gstheory.empirical.data import celeba
from gstheory.empirical.data.groups import GroupData, group_accuracies, minority_group_splits
from gstheory.empirical.data.idx import find_idx_dir, load_idx_dataset
from gstheory.empirical.harness import (
    Config,
    Experiment,
    PaperNumber,
    Prediction,
    diverged,
    progress,
    register,
)
from gstheory.empirical.hparams import OneOf, Range, Text, count, positive, unit
from gstheory.empirical.methods import make_method
from gstheory.io import save_figure

#: the data sets: the Fashion-MNIST corner-patch analogue, or CelebA from disk.
GROUP_DATASETS = ("fashion-patch", "celeba")
#: the methods of the CelebA task (each trains its own ResNet-50 from the same start).
CELEBA_METHODS = ("ERM", "SDPerClass", "GroupDRO")
#: the reported rows, in table order.
ROWS = ("ERM", "SD", "SDPerClass", "SDPerClass-authors", "GroupDRO")
#: the authors' CelebA setting of per-class SD (``--sp 0.1 --mode spw3``).
AUTHORS_PER_CLASS = {"lam0": 0.2, "lam1": 0.2, "gamma0": -0.44, "gamma1": 2.5}


#: The paper's average-accuracy cost of SD on CelebA (Table 3: ERM 94.61 vs SD 91.64
#: average, 2.97 points) and the largest cost read as "about 3 points".
PAPER_AVG_COST = 0.03
PAPER_AVG_COST_MAX = 0.04


@dataclass(frozen=True)
class MinorityGroupsConfig(Config):
    """Settings of the minority-group experiment.

    Attributes:
        seeds: number of seeds (data draw, initial weights, minibatch order).
        data_dir: Fashion-MNIST IDX directory (``None``: the default locations).
        n_train: training examples at CelebA's proportions; n_val: group-balanced
            validation examples (for the hyper-parameter choice); n_test: group-balanced
            test examples (``None``: the 2000 test images of the two classes).
        hidden: MLP width; epochs, batch, lr: Adam on minibatches.
        sd_coefs: grid of SD's single coefficient (``+ coef * mean(yhat^2)``).
        pc_lams, pc_gamma0s, pc_gamma1s: grid of SDPerClass (``lam0 = lam1 = lam``).
        dro_etas: grid of Group DRO step sizes (chosen like the SD grids).
        min_worst_gain: SDPerClass's worst-group accuracy must beat ERM's by this much.
        max_avg_cost: ... at an average-accuracy cost of at most this much (the paper's
            CelebA cost is 3 points; measured here 8-14 points over 4 seeds, README).
        dataset: ``fashion-patch`` (the analogue above) or ``celeba`` (the real task from
            ``data_dir``, see :mod:`gstheory.empirical.data.celeba`, with ResNet-50).
        weights: CelebA only: a ResNet-50 ``state_dict`` file to start from (e.g.
            torchvision's ImageNet weights; nothing is downloaded); ``None``: training
            starts from scratch (and the run says so).
        celeba_n_train, celeba_n_val, celeba_n_test: images used of each split (``None``:
            all); celeba_crop, celeba_size: centre crop and resize (group_DRO: 178, 224);
        celeba_epochs, celeba_batch, celeba_lr, celeba_momentum: the paper's 3 epochs of
            batch 128 at lr 1e-5; ERM and Group DRO use SGD with this momentum,
            per-class SD uses Adam with the authors' lambda/gamma;
        celeba_methods: which methods train (each its own ResNet-50, same start).
    """

    RANGES: ClassVar[dict] = {
        "seeds": count(1, 10_000), "data_dir": Text("directory"),
        "n_train": count(4, 1_000_000), "n_val": count(4, 1_000_000),
        "n_test": count(4, 1_000_000), "hidden": count(1, 100_000),
        "epochs": count(1, 100_000), "batch": count(1, 1_000_000), "lr": positive(100.0),
        "sd_coefs": positive(1e6), "pc_lams": positive(1e6),
        "pc_gamma0s": Range(-1000.0, 1000.0), "pc_gamma1s": Range(-1000.0, 1000.0),
        "dro_etas": positive(1000.0), "min_worst_gain": unit(), "max_avg_cost": unit(),
        "dataset": OneOf(GROUP_DATASETS), "weights": Text("file"),
        "celeba_n_train": count(4, 1_000_000), "celeba_n_val": count(4, 1_000_000),
        "celeba_n_test": count(4, 1_000_000), "celeba_crop": count(8, 4096),
        "celeba_size": count(8, 4096), "celeba_epochs": count(1, 1000),
        "celeba_batch": count(1, 100_000), "celeba_lr": positive(100.0),
        "celeba_momentum": Range(0.0, 1.0, hi_open=True),
        "celeba_methods": OneOf(CELEBA_METHODS)}

    seeds: int = 10
    data_dir: str | None = None
    n_train: int = 6000
    n_val: int = 1500
    n_test: int | None = None
    hidden: int = 256
    epochs: int = 20
    batch: int = 128
    lr: float = 1e-3
    sd_coefs: tuple[float, ...] = (0.01, 0.1, 1.0)
    pc_lams: tuple[float, ...] = (0.2, 1.0)
    pc_gamma0s: tuple[float, ...] = (-0.44, 0.0, 0.5)
    pc_gamma1s: tuple[float, ...] = (1.0, 2.5)
    dro_etas: tuple[float, ...] = (0.01, 0.1)
    min_worst_gain: float = 0.15
    max_avg_cost: float = 0.15
    dataset: str = "fashion-patch"
    weights: str | None = None
    celeba_n_train: int | None = None
    celeba_n_val: int | None = None
    celeba_n_test: int | None = None
    celeba_crop: int = celeba.CROP
    celeba_size: int = celeba.SIZE
    celeba_epochs: int = 3
    celeba_batch: int = 128
    celeba_lr: float = 1e-5
    celeba_momentum: float = 0.9
    celeba_methods: tuple[str, ...] = CELEBA_METHODS

    def validate(self) -> None:
        check.integer("seeds", self.seeds, minimum=1)
        check.integer("n_train", self.n_train, minimum=4)
        check.integer("n_val", self.n_val, minimum=4)
        if self.n_test is not None:
            check.integer("n_test", self.n_test, minimum=4)
        for name in ("hidden", "epochs", "batch"):
            check.integer(name, getattr(self, name), minimum=1)
        check.positive("lr", self.lr)
        for name in ("sd_coefs", "pc_lams", "dro_etas"):
            vals = getattr(self, name)
            if not vals:
                raise check.fail(name, vals, "must hold at least one value")
            for v in vals:
                check.positive(name, v)
        for name in ("pc_gamma0s", "pc_gamma1s"):
            vals = getattr(self, name)
            if not vals:
                raise check.fail(name, vals, "must hold at least one value")
            for v in vals:
                check.finite_scalar(name, v)
        check.nonnegative("min_worst_gain", self.min_worst_gain)
        check.nonnegative("max_avg_cost", self.max_avg_cost)
        if self.dataset == "celeba":
            if self.data_dir is None:
                raise check.fail("data_dir", None, "is required with dataset=celeba (the "
                                 "directory holding img_align_celeba/ and the two lists)")
        elif self.data_dir is not None:
            load_idx_dataset("fashion-mnist", self.data_dir)
        if self.weights is not None and self.dataset != "celeba":
            raise check.fail("weights", self.weights, "applies to dataset=celeba only")


PRESETS = {
    "paper": MinorityGroupsConfig(),
    # CPU: 4000 training images (34 in the rarest group), 10 epochs, the same grids.
    "quick": MinorityGroupsConfig(seeds=4, n_train=4000, n_val=1000, hidden=256, epochs=10,
                                  batch=128),
    "smoke": MinorityGroupsConfig(seeds=1, n_train=400, n_val=100, n_test=200, hidden=16,
                                  epochs=1, batch=64, sd_coefs=(0.1,), pc_lams=(0.2,),
                                  pc_gamma0s=(-0.44,), pc_gamma1s=(2.5,), dro_etas=(0.01,),
                                  celeba_size=32, celeba_batch=8, celeba_epochs=1),
}


def variants(config: MinorityGroupsConfig) -> list[tuple[str, str, dict]]:
    """``(row, label, hyper-parameters)`` of every stacked copy."""
    out = [("ERM", "ERM", {})]
    out += [("SD", f"SD coef={c:g}", {"coef": c}) for c in config.sd_coefs]
    for lam, g0, g1 in itertools.product(config.pc_lams, config.pc_gamma0s,
                                         config.pc_gamma1s):
        hp = {"lam0": lam, "lam1": lam, "gamma0": g0, "gamma1": g1}
        out.append(("SDPerClass", f"SDPerClass lam={lam:g} g0={g0:g} g1={g1:g}", hp))
    out.append(("SDPerClass-authors", "SDPerClass authors", dict(AUTHORS_PER_CLASS)))
    out += [("GroupDRO", f"GroupDRO eta={e:g}", {"eta": e}) for e in config.dro_etas]
    return out


def _method(row: str, hp: dict):
    name = {"SDPerClass-authors": "SDPerClass"}.get(row, row)
    return make_method(name, **hp)


def _evaluate(model, data: GroupData, device) -> list[dict]:
    import torch

    with torch.no_grad():
        x = torch.as_tensor(data.x.reshape(len(data), -1), device=device)
        logits = model(x)  # (S, n)
    pred = (logits > 0).long().cpu().numpy()
    return [group_accuracies(p, data) for p in pred]


def train_seed(config: MinorityGroupsConfig, ds, seed: int, device) -> dict:
    """Train every variant of one seed as one stacked model; evaluate on val and test."""
    import torch

    from gstheory.empirical.models import BatchedMLP, init_mlps

    train, val, test = minority_group_splits(ds.x_train, ds.y_train, ds.x_test, ds.y_test,
                                             n_train=config.n_train, n_val=config.n_val,
                                             seed=seed, n_test=config.n_test)
    specs = variants(config)
    methods = [_method(row, hp) for row, _, hp in specs]
    widths = (train.x[0].size, config.hidden, 1)
    model = BatchedMLP.from_modules(init_mlps(widths, [seed] * len(specs))).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    X = torch.as_tensor(train.x.reshape(len(train), -1), device=device)
    Y = torch.as_tensor(train.y, device=device)
    G = torch.as_tensor(train.group, device=device)
    gen = torch.Generator().manual_seed(seed)
    step = 0
    for _ in progress(range(config.epochs), desc=f"minority-groups seed {seed}"):
        perm = torch.randperm(len(train), generator=gen).to(device)
        for i in range(0, len(train), config.batch):
            b = perm[i:i + config.batch]
            logits = model(X[b])
            loss = sum(m.loss([logits[k]], [Y[b]], step=step, groups=[G[b]])
                       for k, m in enumerate(methods))
            if not torch.isfinite(loss):
                raise diverged(f"minority-groups seed {seed}", float(loss.detach()), step,
                               config.lr)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
    model.eval()
    v, t = _evaluate(model, val, device), _evaluate(model, test, device)
    return {"groups_train": train.group_counts(), "groups_val": val.group_counts(),
            "groups_test": test.group_counts(), "steps": step,
            "variants": [{"row": row, "label": label, "hparams": hp, "val": v[k],
                          "test": t[k]} for k, (row, label, hp) in enumerate(specs)]}


def celeba_limits(config: MinorityGroupsConfig) -> dict[str, int | None]:
    """How many images of each CelebA split a run uses (``None``: all)."""
    return {"train": config.celeba_n_train, "val": config.celeba_n_val,
            "test": config.celeba_n_test}


def _celeba_batches(index, rows, config, device):
    """Preprocessed ``(x, y, group)`` tensors of ``rows`` in batches of celeba_batch."""
    import torch

    for i in range(0, len(rows), config.celeba_batch):
        r = rows[i:i + config.celeba_batch]
        x = np.stack([celeba.load_image(index.path(int(k)), config.celeba_crop,
                                        config.celeba_size) for k in r])
        y = index.y[r]
        yield (torch.as_tensor(x, device=device),
               torch.as_tensor(y.astype(np.float32), device=device),
               torch.as_tensor(2 * y + index.a[r], device=device))


def _celeba_eval(model, index, rows, config, device) -> dict:
    import torch

    model.eval()
    preds = []
    with torch.no_grad():
        for x, _, _ in _celeba_batches(index, rows, config, device):
            preds.append((model(x)[:, 0] > 0).long().cpu().numpy())
    model.train()
    y, a = index.y[rows], index.a[rows]
    data = GroupData(np.zeros((len(rows), 0), np.float32), y.astype(np.float32), a,
                     2 * y + a)
    return group_accuracies(np.concatenate(preds), data)


def train_celeba_seed(config: MinorityGroupsConfig, seed: int, device) -> dict:
    """Train each CelebA method's ResNet-50 from the same initial weights (the paper's:
    ERM with SGD + momentum, per-class SD with Adam, Group DRO with SGD); keep for each
    the epoch of best validation average accuracy (the authors' model selection).

    Raises:
        DivergenceError: a non-finite loss (names the learning rate).
    """
    import copy

    import torch

    from gstheory.empirical.resnet import load_weights, resnet50

    index = celeba.read_index(config.data_dir)
    lim = celeba_limits(config)
    rows = {s: index.rows(s, lim[s]) for s in ("train", "val", "test")}
    torch.manual_seed(seed)
    start = resnet50(1)
    if config.weights is not None:
        load_weights(start, config.weights)
    out = {"groups_train": index.group_counts("train", lim["train"]),
           "groups_val": index.group_counts("val", lim["val"]),
           "groups_test": index.group_counts("test", lim["test"]),
           "weights": config.weights or "none (from scratch)", "variants": []}
    for name in config.celeba_methods:
        model = copy.deepcopy(start).to(device).train()
        method = _method(name, dict(AUTHORS_PER_CLASS) if name == "SDPerClass" else
                         {"eta": config.dro_etas[0]} if name == "GroupDRO" else {})
        opt = (torch.optim.Adam(model.parameters(), lr=config.celeba_lr)
               if name == "SDPerClass" else
               torch.optim.SGD(model.parameters(), lr=config.celeba_lr,
                               momentum=config.celeba_momentum))
        gen = np.random.default_rng(seed)
        best, step, epochs = None, 0, []
        for epoch in progress(range(config.celeba_epochs),
                              desc=f"minority-groups celeba {name} seed {seed}"):
            order = rows["train"][gen.permutation(len(rows["train"]))]
            for x, y, g in _celeba_batches(index, order, config, device):
                loss = method.loss([model(x)[:, 0]], [y], step=step, groups=[g])
                if not torch.isfinite(loss):
                    raise diverged(f"minority-groups celeba {name} seed {seed}",
                                   float(loss.detach()), step, config.celeba_lr)
                opt.zero_grad()
                loss.backward()
                opt.step()
                step += 1
            val = _celeba_eval(model, index, rows["val"], config, device)
            test = _celeba_eval(model, index, rows["test"], config, device)
            epochs.append({"epoch": epoch, "val": val, "test": test})
            if best is None or val["average"] > best["val"]["average"]:
                best = epochs[-1]
        out["variants"].append({"row": name, "label": f"{name} epoch {best['epoch']}",
                                "hparams": {}, "val": best["val"], "test": best["test"],
                                "epochs": epochs})
    return out


def select(per_variant: list[dict]) -> dict:
    """Each row's variant with the best *validation* worst-group accuracy (ties: the
    better validation average)."""
    best: dict = {}
    for v in per_variant:
        key = (v["val"]["worst"], v["val"]["average"])
        if v["row"] not in best or key > best[v["row"]][0]:
            best[v["row"]] = (key, v)
    return {row: v for row, (_, v) in best.items()}


#: The paper's setting of Table 3 (ours is the Fashion-MNIST analogue unless
#: ``dataset=celeba``).
_TABLE3 = "CelebA blond vs dark hair (spurious: gender), ResNet-50, over ten runs"


def _table3(label: str, row: str, key: str, value: float, std: float) -> PaperNumber:
    return PaperNumber(label, value, f"metrics.rows.{row}.{key}_per_seed", "%", "Table 3",
                       scale=100.0, std=std, setting=_TABLE3)


#: Table 3's average and worst-group test accuracies (mean and std). The paper's SD row is
#: the per-class variant with lambda and gamma tuned per class: our ``SDPerClass`` row
#: (chosen on validation worst-group accuracy). LfF is not run here. Paper: Table 3.
PAPER_NUMBERS = (
    _table3("ERM worst-group accuracy", "ERM", "worst", 40.35, 1.68),
    _table3("SD (per-class) worst-group accuracy", "SDPerClass", "worst", 83.24, 2.01),
    _table3("Group DRO worst-group accuracy", "GroupDRO", "worst", 87.78, 0.96),
    _table3("ERM average accuracy", "ERM", "avg", 94.61, 0.67),
    _table3("SD (per-class) average accuracy", "SDPerClass", "avg", 91.64, 0.61),
    _table3("Group DRO average accuracy", "GroupDRO", "avg", 91.76, 0.28),
)


@register
class MinorityGroups(Experiment):
    name = "minority-groups"
    paper_ref = "Table 3 (Sec. 4.4), CelebA analogue"
    description = ("Pullover vs Coat with a corner patch at CelebA's group proportions: "
                   "worst-group accuracy of ERM, SD, per-class SD and Group DRO")
    presets = PRESETS
    seed_chunk = 1
    paper_numbers = PAPER_NUMBERS

    def data_digest(self, config):
        if config.dataset == "celeba":
            index = celeba.read_index(config.data_dir)
            for split, lim in celeba_limits(config).items():
                celeba.check_images(index, index.rows(split, lim), config.celeba_crop)
            if config.weights is not None:
                from gstheory.empirical.resnet import load_weights, resnet50
                load_weights(resnet50(1), config.weights)
            else:
                print("[gstheory] minority-groups: no --set weights=FILE: ResNet-50 "
                      "training starts from scratch (random initial weights), not from "
                      "ImageNet weights as in the paper", file=sys.stderr, flush=True)
            return index.sha256
        return load_idx_dataset("fashion-mnist", config.data_dir).sha256

    def run_seeds(self, config, seeds, device):
        if config.dataset == "celeba":
            return {seed: train_celeba_seed(config, seed, device) for seed in seeds}
        find_idx_dir("fashion-mnist", config.data_dir)
        ds = load_idx_dataset("fashion-mnist", config.data_dir)
        out = {}
        for seed in seeds:
            res = train_seed(config, ds, seed, device)
            res["dataset"] = ds.describe()
            out[seed] = res
        return out

    def summarize(self, config, per_seed):
        rows: dict = {r: {"avg": [], "worst": [], "groups": [], "chosen": []} for r in ROWS}
        for res in per_seed.values():
            for row, v in select(res["variants"]).items():
                rows[row]["avg"].append(v["test"]["average"])
                rows[row]["worst"].append(v["test"]["worst"])
                rows[row]["groups"].append(v["test"]["groups"])
                rows[row]["chosen"].append(v["label"])
        first = next(iter(per_seed.values()))
        metrics = {"groups_train": first["groups_train"], "groups_test": first["groups_test"],
                   "rows": {}}
        for row, r in rows.items():
            if not r["avg"]:
                continue
            metrics["rows"][row] = {
                "avg": float(np.mean(r["avg"])), "avg_std": float(np.std(r["avg"])),
                "worst": float(np.mean(r["worst"])), "worst_std": float(np.std(r["worst"])),
                "avg_per_seed": r["avg"], "worst_per_seed": r["worst"],
                "groups": np.mean(r["groups"], axis=0).tolist(), "chosen": r["chosen"]}
        return metrics

    def predictions(self, config, metrics):
        rows = metrics["rows"]
        if not {"ERM", "SDPerClass", "GroupDRO"} <= set(rows):
            return []          # a CelebA run of a subset of the methods: nothing to compare
        erm, pc, dro = rows["ERM"], rows["SDPerClass"], rows["GroupDRO"]
        sd = rows.get("SD", erm)    # CelebA runs no single-lambda SD: compare the others
        gain = pc["worst"] - erm["worst"]
        cost = erm["avg"] - pc["avg"]
        return [
            Prediction("sd-lifts-worst-group",
                       f"per-class SD (no group labels in training) raises worst-group test "
                       f"accuracy by >= {config.min_worst_gain * 100:.0f} points over ERM",
                       gain >= config.min_worst_gain,
                       {"erm_worst": erm["worst"], "sd_per_class_worst": pc["worst"],
                        "gain": gain, "threshold": config.min_worst_gain}),
            Prediction("sd-small-average-cost",
                       f"... at an average-accuracy cost of at most "
                       f"{config.max_avg_cost * 100:.0f} points",
                       cost <= config.max_avg_cost,
                       {"erm_avg": erm["avg"], "sd_per_class_avg": pc["avg"], "cost": cost,
                        "threshold": config.max_avg_cost},
                       threshold_source="ours",
                       paper_check={"statement": f"paper (CelebA, Table 3): average cost "
                                                 f"about {PAPER_AVG_COST * 100:.0f} points "
                                                 f"(<= {PAPER_AVG_COST_MAX * 100:.0f})",
                                    "threshold": PAPER_AVG_COST_MAX, "value": cost,
                                    "confirmed": bool(cost <= PAPER_AVG_COST_MAX)}),
            Prediction("erm-best-average",
                       "ERM has the highest average accuracy of ERM, per-class SD and Group "
                       "DRO", erm["avg"] >= max(pc["avg"], dro["avg"]),
                       {"erm_avg": erm["avg"], "sd_per_class_avg": pc["avg"],
                        "group_dro_avg": dro["avg"]}),
            Prediction("group-dro-upper-reference",
                       "Group DRO (trained with group labels) has the highest worst-group "
                       "accuracy of ERM, SD, per-class SD and Group DRO",
                       dro["worst"] >= max(erm["worst"], sd["worst"], pc["worst"]),
                       {"group_dro_worst": dro["worst"], "erm_worst": erm["worst"],
                        "sd_worst": sd["worst"], "sd_per_class_worst": pc["worst"]}),
        ]

    def figures(self, config, per_seed, metrics, out_dir):
        import matplotlib.pyplot as plt

        rows = [r for r in ROWS if r in metrics["rows"]]
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
        xs = np.arange(len(rows))
        avg = [metrics["rows"][r]["avg"] for r in rows]
        worst = [metrics["rows"][r]["worst"] for r in rows]
        axes[0].bar(xs - 0.2, avg, 0.4, label="average (CelebA proportions)")
        axes[0].bar(xs + 0.2, worst, 0.4, label="worst group")
        axes[0].set_xticks(xs)
        axes[0].set_xticklabels(rows, fontsize=8, rotation=15)
        axes[0].set_ylim(0, 1)
        axes[0].set_ylabel("test accuracy")
        axes[0].legend(fontsize=8)
        names = (["dark, female", "dark, male", "blond, female", "blond, male (0.85%)"]
                 if config.dataset == "celeba" else
                 ["pullover", "pullover+patch", "coat", "coat+patch (0.85%)"])
        width = 0.8 / len(rows)
        for k, r in enumerate(rows):
            axes[1].bar(np.arange(4) + k * width, metrics["rows"][r]["groups"], width, label=r)
        axes[1].set_xticks(np.arange(4) + 0.4 - width / 2)
        axes[1].set_xticklabels(names, fontsize=8)
        axes[1].set_ylim(0, 1)
        axes[1].legend(fontsize=7)
        axes[1].set_title("per-group test accuracy", fontsize=9)
        task = ("CelebA, Blond_Hair vs Male" if config.dataset == "celeba" else
                "Pullover vs Coat, corner patch")
        fig.suptitle(f"Minority groups ({task}; {len(per_seed)} "
                     f"seed(s), n_train {sum(metrics['groups_train'])})", fontsize=10)
        fig.tight_layout()
        p = Path(out_dir) / "minority_groups.png"
        save_figure(fig, p, dpi=110)
        plt.close(fig)
        return [p]
