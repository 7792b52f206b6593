"""The shared image-data-set type and its digest (empirical/data/images.py)."""

from __future__ import annotations

import numpy as np
import pytest

from gstheory.empirical.data.images import DataNotFoundError, ImageDataset, digest


def test_digest_depends_on_content_and_order():
    a, b = np.arange(6, dtype=np.uint8), np.arange(6, 12, dtype=np.uint8)
    assert digest(a, b) == digest(a.copy(), b.copy())
    assert digest(a, b) != digest(b, a)
    assert digest(a) != digest(a[::-1])
    # the layout, not the view, is hashed: a strided view hashes as its contiguous copy
    m = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert digest(m.T) == digest(np.ascontiguousarray(m.T))


def test_missing_data_is_both_file_not_found_and_bad_input():
    with pytest.raises(ValueError):
        raise DataNotFoundError("x")
    assert issubclass(DataNotFoundError, FileNotFoundError)


def test_describe_reports_sizes_and_shape():
    x = np.zeros((5, 3, 2), np.uint8)
    y = np.zeros(5, np.int64)
    ds = ImageDataset("t", x, y, x[:2], y[:2], source="mem", sha256=digest(x, y))
    d = ds.describe()
    assert (d["n_train"], d["n_test"], d["image_shape"]) == (5, 2, [3, 2])
