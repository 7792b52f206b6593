r"""A minority-group spurious task with CelebA's group proportions (Table 3 analogue).

CelebA (Blond_Hair target, Male spurious attribute) cannot be downloaded here. The
substitute keeps what makes it hard (``docs/experiments.md``, minority-groups): a *hard* target,
Pullover
(class 2, ``y = 0``) vs Coat (class 4, ``y = 1``) of Fashion-MNIST, and an *easy*
spurious attribute ``a``, a bright 4x4 patch in the top-left corner, whose four groups
``g = 2 y + a`` copy CelebA's training proportions:

=========  =========================  ==========
group      CelebA                     here
=========  =========================  ==========
(0, 0)     dark hair, female: 44%     pullover, no patch
(0, 1)     dark hair, male: 41%       pullover, patch
(1, 0)     blond, female: 14%         coat, no patch
(1, 1)     blond, male: 0.85%         coat, patch (the rarest group)
=========  =========================  ==========

The patch almost always means ``y = 0`` in training, so a model that grabs it fails on
coats with a patch. Training sets follow the proportions exactly (rounded, the rarest
group kept non-empty). Validation and test sets are *group-balanced* (every image of the
split appears once, half of each class with the patch): worst-group accuracy is then
measured on ~n/4 images per group instead of a handful, and the average accuracy at
CelebA's proportions is the proportion-weighted mean of the group accuracies (the same
expected value as on an imbalanced test set, with far less noise).

Paper: Sec. 4.4, Table 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gstheory import validation as check

#: CelebA's training proportions of the groups (y, a) (sum 0.9985 as reported; used
#: normalised).
CELEBA_PROPORTIONS = {(0, 0): 0.44, (0, 1): 0.41, (1, 0): 0.14, (1, 1): 0.0085}
#: Fashion-MNIST classes used as y = 0 and y = 1 (Pullover, Coat).
CLASSES = (2, 4)
#: Side of the square corner patch and its value (uint8).
PATCH = 4
PATCH_VALUE = 255
N_GROUPS = 4


def proportions() -> np.ndarray:
    """The four group proportions in group order ``g = 2 y + a``, normalised.

    Paper: Table 3: CelebA's training group proportions.
    """
    p = np.array([CELEBA_PROPORTIONS[(g // 2, g % 2)] for g in range(N_GROUPS)])
    return p / p.sum()


@dataclass(frozen=True)
class GroupData:
    """One split: ``x`` float32 ``(n, 1, rows, cols)`` in [0, 1]; ``y`` float32 {0, 1};
    ``a`` int64 {0, 1} (patch present); ``group`` int64 ``2 y + a``.

    Paper: Sec. 4.4, Table 3: one split of the minority-group task.
    """

    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    a: np.ndarray = field(repr=False)
    group: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return len(self.y)

    def group_counts(self) -> list[int]:
        """Number of examples in each of the four groups."""
        return np.bincount(self.group, minlength=N_GROUPS).tolist()


def add_patch(images: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Copy of ``uint8`` images ``(n, rows, cols)`` with the corner patch where ``a = 1``.

    Paper: Sec. 4.4: the easy spurious attribute (the stand-in for CelebA's Male).
    """
    out = np.array(images, copy=True)
    out[np.asarray(a, bool), :PATCH, :PATCH] = PATCH_VALUE
    return out


def _pack(images: np.ndarray, y: np.ndarray, a: np.ndarray) -> GroupData:
    x = add_patch(images, a).astype(np.float32)[:, None] / 255.0
    y = np.asarray(y, np.int64)
    a = np.asarray(a, np.int64)
    return GroupData(x, y.astype(np.float32), a, 2 * y + a)


def group_counts_for(n: int) -> np.ndarray:
    """Training group sizes for ``n`` examples at CelebA's proportions (largest-remainder
    rounding; the rarest group gets at least one example).

    Paper: Table 3: training group sizes at CelebA's proportions.
    """
    n = check.integer("n", n, minimum=N_GROUPS)
    raw = proportions() * n
    counts = np.floor(raw).astype(int)
    counts[np.argsort(raw - counts)[::-1][: n - counts.sum()]] += 1
    if counts[3] == 0:
        counts[3] = 1
        counts[int(np.argmax(counts))] -= 1
    return counts


def minority_group_splits(x_train: np.ndarray, c_train: np.ndarray, x_test: np.ndarray,
                          c_test: np.ndarray, *, n_train: int, n_val: int, seed: int,
                          n_test: int | None = None) -> tuple[GroupData, GroupData, GroupData]:
    r"""Train (CelebA proportions), validation and test (group-balanced) splits.

    Arguments:
        x_train, c_train: the data set's training images ``uint8 (n, rows, cols)`` and
            classes; train and validation are drawn from them without overlap.
        x_test, c_test: the official test split; the test set uses it.
        n_train: training examples (>= 4).
        n_val: validation examples (group-balanced, >= 4).
        seed: draws of images and of which get the patch.
        n_test: test examples (``None``: every test image of the two classes).

    Returns:
        ``(train, val, test)`` as :class:`GroupData`.

    Raises:
        ValueError: not enough images of a class for the requested sizes.

    Paper: Sec. 4.4 (the CelebA task's structure).
    """
    seed = check.integer("seed", seed, minimum=0)
    n_val = check.integer("n_val", n_val, minimum=N_GROUPS)
    counts = group_counts_for(n_train)
    rng = np.random.default_rng(seed)
    pools = {y: rng.permutation(np.flatnonzero(np.asarray(c_train) == c))
             for y, c in enumerate(CLASSES)}
    need = {0: counts[0] + counts[1] + n_val // 2, 1: counts[2] + counts[3] + n_val // 2}
    for y in (0, 1):
        if need[y] > len(pools[y]):
            raise check.fail("n_train", n_train,
                             f"needs {need[y]} images of class {CLASSES[y]} (train + val), "
                             f"the data set has {len(pools[y])}")
    idx, ys, As = [], [], []
    for g in range(N_GROUPS):
        y, a = divmod(g, 2)
        take, pools[y] = pools[y][:counts[g]], pools[y][counts[g]:]
        idx.append(take)
        ys.append(np.full(len(take), y))
        As.append(np.full(len(take), a))
    order = rng.permutation(int(counts.sum()))
    idx, ys, As = (np.concatenate(v)[order] for v in (idx, ys, As))
    train = _pack(np.asarray(x_train)[idx], ys, As)
    val = _balanced(np.asarray(x_train), {y: pools[y][: n_val // 2] for y in (0, 1)}, rng)
    tpools = {y: rng.permutation(np.flatnonzero(np.asarray(c_test) == c))
              for y, c in enumerate(CLASSES)}
    if n_test is not None:
        n_test = check.integer("n_test", n_test, minimum=N_GROUPS,
                               maximum=len(tpools[0]) + len(tpools[1]))
        tpools = {y: p[: n_test // 2] for y, p in tpools.items()}
    test = _balanced(np.asarray(x_test), tpools, rng)
    return train, val, test


def _balanced(images: np.ndarray, pools: dict, rng: np.random.Generator) -> GroupData:
    idx, ys, As = [], [], []
    for y in (0, 1):
        p = pools[y]
        a = np.zeros(len(p), np.int64)
        a[rng.permutation(len(p))[: len(p) // 2]] = 1
        idx.append(p)
        ys.append(np.full(len(p), y))
        As.append(a)
    return _pack(images[np.concatenate(idx)], np.concatenate(ys), np.concatenate(As))


def group_accuracies(pred: np.ndarray, data: GroupData) -> dict:
    r"""Per-group, worst-group, balanced and CelebA-weighted average accuracy.

    Arguments:
        pred: predicted labels {0, 1} for every example of ``data``.

    Returns:
        ``{"groups": [acc_g], "worst": min_g, "balanced": mean_g, "average": sum_g p_g
        acc_g}`` with ``p`` = :func:`proportions`; a group without examples is ``NaN`` in
        ``groups`` and is left out of ``worst``/``balanced``/``average`` (the weights are
        renormalised).

    Paper: Table 3 metrics (average and worst-group accuracy).
    """
    pred = np.asarray(pred).reshape(-1)
    if pred.shape != (len(data),):
        raise check.fail("pred", pred, f"must have one entry per example ({len(data)})")
    correct = (pred.astype(np.int64) == data.y.astype(np.int64)).astype(float)
    n = np.bincount(data.group, minlength=N_GROUPS)
    hit = np.bincount(data.group, weights=correct, minlength=N_GROUPS)
    present = n > 0
    acc = np.full(N_GROUPS, np.nan)
    acc[present] = hit[present] / n[present]
    p = proportions()[present]
    return {"groups": acc.tolist(), "worst": float(acc[present].min()),
            "balanced": float(acc[present].mean()),
            "average": float(np.sum(p * acc[present]) / p.sum())}
