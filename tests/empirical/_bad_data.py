"""Shared helpers of the experiment tests: broken IDX directories."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from gstheory.empirical.data.idx import FILE_STEMS, IMAGES_MAGIC, LABELS_MAGIC


def write_idx_dir(d: Path, *, rows: int = 28, truncate: bool = False, n: int = 40) -> Path:
    """Four IDX files of ``n`` random images each; ``truncate`` cuts the train images."""
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for (split, kind), stem in FILE_STEMS.items():
        if kind == "images":
            blob = struct.pack(">IIII", IMAGES_MAGIC, n, rows, rows) + rng.integers(
                0, 256, n * rows * rows, dtype=np.uint8).tobytes()
            if truncate and split == "train":
                blob = blob[:-7]
        else:
            blob = struct.pack(">II", LABELS_MAGIC, n) + (np.arange(n) % 10).astype(
                np.uint8).tobytes()
        (d / (stem + ".gz")).write_bytes(gzip.compress(blob))
    return d


def write_cifar_dir(d: Path, *, n: int = 20, cols: int = 3072) -> Path:
    """Six CIFAR-10 pickle batches of ``n`` random images (``cols`` values each)."""
    import pickle

    from gstheory.empirical.data.cifar import TEST_BATCH, TRAIN_BATCHES

    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for k, name in enumerate((*TRAIN_BATCHES, TEST_BATCH)):
        batch = {b"data": rng.integers(0, 256, (n, cols), dtype=np.uint8),
                 b"labels": [int(v) for v in (np.arange(n) + k) % 10]}
        with open(d / name, "wb") as fh:
            pickle.dump(batch, fh)
    return d
