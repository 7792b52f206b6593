r"""CIFAR-10 from the python-pickle batches in a user directory.

The official ``cifar-10-python.tar.gz`` unpacks to ``cifar-10-batches-py/`` with
``data_batch_1`` .. ``data_batch_5`` and ``test_batch``: pickled dictionaries whose
``b"data"`` entry is a ``uint8`` array ``(n, 3072)`` (1024 red, then green, then blue
values of a 32x32 image, row-major) and whose ``b"labels"`` entry is a list of ``n``
integers in 0..9. Each batch is checked (keys, dtype, shape, label range, matching
lengths) and any mismatch is a :class:`ValueError` naming the file.

CIFAR cannot be downloaded in this project's environment; the margin experiment runs on
Fashion-MNIST by default and uses this loader only when a user points at the batches.

Paper: data of Table 1 and Fig. 2 (CIFAR-2/10/100).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

from gstheory.empirical.data.idx import DataNotFoundError, ImageDataset, _digest

HOW_TO_GET = ("download cifar-10-python.tar.gz from https://www.cs.toronto.edu/~kriz/"
              "cifar.html and unpack it; point data_dir at cifar-10-batches-py/")
TRAIN_BATCHES = tuple(f"data_batch_{k}" for k in range(1, 6))
TEST_BATCH = "test_batch"
#: Values per image: 3 channels x 32 x 32.
IMAGE_VALUES = 3 * 32 * 32
N_CLASSES = 10


def read_cifar_batch(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    r"""Read one CIFAR-10 pickle batch.

    Arguments:
        path: a batch file (``data_batch_k`` or ``test_batch``).

    Returns:
        ``(images, labels)``: ``uint8`` ``(n, 3, 32, 32)`` (channels first) and ``int64``
        ``(n,)``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a pickle, not a dictionary with ``data`` and ``labels``, data not
            ``uint8`` of shape ``(n, 3072)``, labels outside 0..9 or of another length.

    Paper: data of Table 1 and Fig. 2 (CIFAR); not run here (no CIFAR files).
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"{path}: no such CIFAR-10 batch file; {HOW_TO_GET}")
    try:
        with open(path, "rb") as fh:
            batch = pickle.load(fh, encoding="bytes")
    except Exception as exc:
        raise ValueError(f"{path}: not a readable CIFAR-10 pickle batch ({type(exc).__name__}:"
                         f" {exc}); {HOW_TO_GET}") from exc
    if not isinstance(batch, dict):
        raise ValueError(
            f"{path}: holds a {type(batch).__name__}, expected the dictionary of a "
            f"CIFAR-10 batch; {HOW_TO_GET}")
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise ValueError(f"{path}: keys {sorted(map(str, batch))} lack 'data' and/or "
                         f"'labels'; {HOW_TO_GET}")
    data = np.asarray(batch["data"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != IMAGE_VALUES:
        raise ValueError(f"{path}: data has dtype {data.dtype} and shape {data.shape}; "
                         f"expected uint8 (n, {IMAGE_VALUES}) (3x32x32 images); {HOW_TO_GET}")
    labels = np.asarray(batch["labels"])
    if labels.ndim != 1 or len(labels) != len(data):
        raise ValueError(f"{path}: {labels.shape} labels for {len(data)} images; "
                         f"expected one label per image; {HOW_TO_GET}")
    if not np.issubdtype(labels.dtype, np.integer) or (
            labels.size and (labels.min() < 0 or labels.max() >= N_CLASSES)):
        raise ValueError(f"{path}: labels must be integers in [0, {N_CLASSES}); "
                         f"{HOW_TO_GET}")
    return data.reshape(-1, 3, 32, 32).copy(), labels.astype(np.int64)


def load_cifar10(data_dir: str | os.PathLike) -> ImageDataset:
    r"""CIFAR-10 train (five batches) and test splits from ``data_dir``.

    Returns:
        :class:`~gstheory.empirical.data.idx.ImageDataset` named ``"cifar10"`` whose images are
        ``uint8`` ``(n, 3, 32, 32)``.

    Raises:
        FileNotFoundError: ``data_dir`` is not a directory or lacks a batch.
        ValueError: a malformed batch (see :func:`read_cifar_batch`).

    Paper: Table 1 / Fig. 2 data.
    """
    d = Path(data_dir)
    if not d.is_dir():
        raise DataNotFoundError(f"data_dir={str(d)!r}: not a directory; {HOW_TO_GET}")
    missing = [b for b in (*TRAIN_BATCHES, TEST_BATCH) if not (d / b).is_file()]
    if missing:
        raise DataNotFoundError(f"{d}: missing CIFAR-10 batch file(s) {', '.join(missing)};"
                                f" {HOW_TO_GET}")
    parts = [read_cifar_batch(d / b) for b in TRAIN_BATCHES]
    x_tr = np.concatenate([p[0] for p in parts])
    y_tr = np.concatenate([p[1] for p in parts])
    x_te, y_te = read_cifar_batch(d / TEST_BATCH)
    return ImageDataset("cifar10", x_tr, y_tr, x_te, y_te, source=str(d),
                        sha256=_digest(x_tr, y_tr, x_te, y_te))
