"""IDX loader: real Fashion-MNIST files, and every kind of bad file refused clearly."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from gstheory.empirical.data import idx
from gstheory.empirical.data.idx import FILE_STEMS, load_dataset, load_idx_dataset, read_idx

FASHION = Path("/usr/share/datasets/fashion-mnist")
needs_fashion = pytest.mark.skipif(not (FASHION / "train-images-idx3-ubyte.gz").is_file(),
                                   reason="dataset-fashion-mnist is not installed")


def _images_bytes(n: int, rows: int, cols: int, seed: int = 0) -> bytes:
    data = np.random.default_rng(seed).integers(0, 256, (n, rows, cols), dtype=np.uint8)
    return struct.pack(">IIII", idx.IMAGES_MAGIC, n, rows, cols) + data.tobytes()


def _labels_bytes(n: int, seed: int = 0) -> bytes:
    lab = np.random.default_rng(seed).integers(0, 10, n, dtype=np.uint8)
    return struct.pack(">II", idx.LABELS_MAGIC, n) + lab.tobytes()


def _write_set(d: Path, *, n_train=12, n_test=6, rows=28, cols=28, gz=True) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    blobs = {("train", "images"): _images_bytes(n_train, rows, cols, 1),
             ("train", "labels"): _labels_bytes(n_train, 2),
             ("test", "images"): _images_bytes(n_test, rows, cols, 3),
             ("test", "labels"): _labels_bytes(n_test, 4)}
    for key, blob in blobs.items():
        name = FILE_STEMS[key] + (".gz" if gz else "")
        (d / name).write_bytes(gzip.compress(blob) if gz else blob)
    return d


@pytest.mark.parametrize("gz", [True, False])
def test_roundtrip_gzipped_and_raw(tmp_path, gz):
    d = _write_set(tmp_path / "set", gz=gz)
    ds = load_idx_dataset("mnist", d)
    assert ds.x_train.shape == (12, 28, 28) and ds.x_test.shape == (6, 28, 28)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64
    expected = np.frombuffer(_images_bytes(12, 28, 28, 1)[16:], np.uint8).reshape(12, 28, 28)
    np.testing.assert_array_equal(ds.x_train, expected)
    assert len(ds.sha256) == 64


@needs_fashion
def test_fashion_mnist_default_location():
    ds = load_dataset("fashion-mnist")
    assert ds.x_train.shape == (60000, 28, 28) and ds.x_test.shape == (10000, 28, 28)
    # Fashion-MNIST is exactly balanced: 6000 training and 1000 test images per class.
    assert np.bincount(ds.y_train).tolist() == [6000] * 10
    assert np.bincount(ds.y_test).tolist() == [1000] * 10
    assert not ds.x_train.flags.writeable


def test_truncated_file_names_the_file(tmp_path):
    d = _write_set(tmp_path / "trunc", gz=False)
    p = d / (FILE_STEMS[("train", "images")])
    p.write_bytes(p.read_bytes()[:-100])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.*truncated"):
        load_idx_dataset("mnist", d)


def test_truncated_gzip_stream(tmp_path):
    d = _write_set(tmp_path / "tgz")
    p = d / (FILE_STEMS[("test", "labels")] + ".gz")
    p.write_bytes(p.read_bytes()[:20])
    with pytest.raises(ValueError, match="t10k-labels.*(corrupt|truncated)"):
        load_idx_dataset("mnist", d)


def test_wrong_magic(tmp_path):
    p = tmp_path / "x"
    p.write_bytes(_labels_bytes(5))
    with pytest.raises(ValueError, match="magic 0x00000801, expected 0x00000803"):
        read_idx(p, kind="images")


def test_wrong_image_size(tmp_path):
    d = _write_set(tmp_path / "small", rows=14, cols=14)
    with pytest.raises(ValueError, match="14x14, expected 28x28"):
        load_idx_dataset("fashion-mnist", d)


def test_labels_out_of_range(tmp_path):
    p = tmp_path / "lab"
    p.write_bytes(struct.pack(">II", idx.LABELS_MAGIC, 3) + bytes([1, 2, 12]))
    with pytest.raises(ValueError, match="label 12"):
        read_idx(p, kind="labels")


def test_count_mismatch(tmp_path):
    d = _write_set(tmp_path / "mm")
    (d / (FILE_STEMS[("train", "labels")] + ".gz")).write_bytes(gzip.compress(_labels_bytes(7)))
    with pytest.raises(ValueError, match="12 images but 7 labels"):
        load_idx_dataset("mnist", d)


def test_missing_directory_and_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a directory.*dataset-fashion-mnist"):
        load_idx_dataset("fashion-mnist", tmp_path / "nowhere")
    # also a ValueError, so the command line reports it as bad input (exit 2)
    with pytest.raises(ValueError, match="not a directory"):
        load_idx_dataset("fashion-mnist", tmp_path / "nowhere")
    d = _write_set(tmp_path / "partial")
    (d / (FILE_STEMS[("test", "images")] + ".gz")).unlink()
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte.*yann.lecun"):
        load_idx_dataset("mnist", d)


def test_unknown_names():
    with pytest.raises(ValueError, match="dataset='cifar'"):
        load_dataset("cifar")
    with pytest.raises(ValueError, match="kind='pixels'"):
        read_idx("whatever", kind="pixels")
    with pytest.raises(ValueError, match="embedded"):
        load_dataset("digits", data_dir="/tmp")
