"""The minority-group spurious task: CelebA proportions, patch, balanced evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from gstheory.empirical.data.groups import (
    CLASSES,
    PATCH,
    group_accuracies,
    group_counts_for,
    minority_group_splits,
    proportions,
)


@pytest.fixture(scope="module")
def raw():
    rng = np.random.default_rng(0)
    c_tr = np.repeat(np.arange(10), 2000)
    c_te = np.repeat(np.arange(10), 100)
    x_tr = rng.integers(0, 100, (len(c_tr), 28, 28), dtype=np.uint8)
    x_te = rng.integers(0, 100, (len(c_te), 28, 28), dtype=np.uint8)
    return x_tr, c_tr, x_te, c_te


@pytest.fixture(scope="module")
def splits(raw):
    return minority_group_splits(*raw, n_train=2000, n_val=400, seed=3)


def test_train_proportions_match_celeba(splits):
    train, _, _ = splits
    counts = np.array(train.group_counts())
    assert counts.sum() == 2000
    np.testing.assert_allclose(counts / 2000, proportions(), atol=1 / 2000)
    assert 0 < counts[3] / 2000 < 0.01  # the rarest group is under 1%


def test_patch_marks_attribute(splits):
    for d in splits:
        corner = d.x[:, 0, :PATCH, :PATCH]
        assert np.all(corner[d.a == 1] == 1.0)
        # the raw images are < 100/255, so an unpatched corner is never bright
        assert np.all(corner[d.a == 0] < 100 / 255)
        np.testing.assert_array_equal(d.group, 2 * d.y.astype(int) + d.a)


def test_eval_splits_balanced_and_disjoint(splits, raw):
    train, val, test = splits
    for d, n in ((val, 400), (test, 200)):
        counts = d.group_counts()
        assert sum(counts) == n and max(counts) - min(counts) <= 1
    # validation images are not training images
    tr = {bytes(r) for r in (train.x[:, 0, PATCH:] * 255).round().astype(np.uint8)}
    va = {bytes(r) for r in (val.x[:, 0, PATCH:] * 255).round().astype(np.uint8)}
    assert not tr & va


def test_group_accuracies():
    _, _, test = minority_group_splits(*_small(), n_train=100, n_val=20, seed=0)
    perfect = group_accuracies(test.y.astype(int), test)
    assert perfect["worst"] == perfect["average"] == 1.0
    # predicting y = 0 everywhere: groups 0, 1 right, 2, 3 wrong
    zero = group_accuracies(np.zeros(len(test), int), test)
    assert zero["groups"] == [1.0, 1.0, 0.0, 0.0] and zero["worst"] == 0.0
    np.testing.assert_allclose(zero["average"], proportions()[:2].sum())


def _small():
    rng = np.random.default_rng(1)
    c = np.repeat(np.arange(10), 100)
    x = rng.integers(0, 100, (len(c), 28, 28), dtype=np.uint8)
    return x, c, x, c


def test_counts_and_errors(raw):
    counts = group_counts_for(1000)
    assert counts.sum() == 1000 and counts[3] >= 1
    assert group_counts_for(10)[3] == 1
    with pytest.raises(ValueError, match="n_train"):
        minority_group_splits(*raw, n_train=6000, n_val=10, seed=0)
    assert CLASSES == (2, 4)
