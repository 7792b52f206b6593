"""The embedded digits fallback."""

from __future__ import annotations

import numpy as np

from gstheory.empirical.data.digits import N_TRAIN, load_digits_dataset
from gstheory.empirical.data.idx import load_dataset


def test_digits_split_and_scale():
    ds = load_dataset("digits")
    assert ds is load_digits_dataset()  # cached, read-only
    assert ds.x_train.shape == (N_TRAIN, 8, 8) and ds.x_test.shape == (1797 - N_TRAIN, 8, 8)
    assert ds.x_train.dtype == np.uint8 and int(ds.x_train.max()) == 255
    assert set(np.unique(ds.y_train)) == set(range(10))
    # the split is a partition: no image appears in both halves with the same label twice
    both = np.concatenate([ds.x_train.reshape(N_TRAIN, -1), ds.x_test.reshape(-1, 64)])
    from sklearn.datasets import load_digits
    ref = np.rint(load_digits().images * 255 / 16).reshape(-1, 64)
    assert sorted(map(bytes, both.astype(np.uint8))) == sorted(map(bytes, ref.astype(np.uint8)))
