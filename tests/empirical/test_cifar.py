"""CIFAR-10 pickle batches: a small file written here, and malformed batches refused."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from gstheory.empirical.data.cifar import TEST_BATCH, TRAIN_BATCHES, load_cifar10, read_cifar_batch


def _batch(n: int, seed: int, *, cols: int = 3072, labels=None) -> dict:
    rng = np.random.default_rng(seed)
    return {b"data": rng.integers(0, 256, (n, cols), dtype=np.uint8),
            b"labels": list(rng.integers(0, 10, n)) if labels is None else labels,
            b"batch_label": b"test"}


def _write(path, obj):
    with open(path, "wb") as fh:
        pickle.dump(obj, fh)


def test_small_cifar_directory(tmp_path):
    for k, b in enumerate((*TRAIN_BATCHES, TEST_BATCH)):
        _write(tmp_path / b, _batch(4, k))
    ds = load_cifar10(tmp_path)
    assert ds.x_train.shape == (20, 3, 32, 32) and ds.x_test.shape == (4, 3, 32, 32)
    # channel-first: the first 1024 values of a row are the red plane
    raw = _batch(4, 0)[b"data"]
    np.testing.assert_array_equal(ds.x_train[0, 0].reshape(-1), raw[0, :1024])
    np.testing.assert_array_equal(ds.x_train[0, 2].reshape(-1), raw[0, 2048:])


def test_wrong_shape_is_refused(tmp_path):
    p = tmp_path / "data_batch_1"
    _write(p, _batch(4, 0, cols=3000))
    with pytest.raises(ValueError, match="data_batch_1.*shape \\(4, 3000\\)"):
        read_cifar_batch(p)


def test_bad_labels_and_not_a_pickle(tmp_path):
    p = tmp_path / "b"
    _write(p, _batch(3, 0, labels=[1, 2]))
    with pytest.raises(ValueError, match="labels for 3 images"):
        read_cifar_batch(p)
    _write(p, _batch(2, 0, labels=[1, 10]))
    with pytest.raises(ValueError, match="labels must be integers in \\[0, 10\\)"):
        read_cifar_batch(p)
    p.write_bytes(b"this is not a pickle")
    with pytest.raises(ValueError, match="not a readable CIFAR-10 pickle"):
        read_cifar_batch(p)
    _write(p, [1, 2, 3])
    with pytest.raises(ValueError, match="holds a list"):
        read_cifar_batch(p)


def test_missing_batches(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a directory"):
        load_cifar10(tmp_path / "none")
    _write(tmp_path / "data_batch_1", _batch(2, 0))
    with pytest.raises(FileNotFoundError, match="data_batch_2"):
        load_cifar10(tmp_path)
