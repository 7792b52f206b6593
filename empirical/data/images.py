r"""The in-memory form every image loader returns, and the error for missing data files.

:class:`ImageDataset` holds a labelled image data set with its official train/test split
and a digest of its arrays; :class:`DataNotFoundError` is raised by the loaders
(:mod:`gstheory.empirical.data.idx`, :mod:`gstheory.empirical.data.digits`,
:mod:`gstheory.empirical.data.cifar`)
when a file or directory is missing.

Paper: the data of Table 1 / Fig. 2, Table 2 / Fig. 3 and Table 3 are all held in this form.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np


class DataNotFoundError(FileNotFoundError, ValueError):
    """A data file or directory is missing: a :class:`FileNotFoundError` that is also a
    :class:`ValueError`, so the command line reports it as bad input (one line, exit 2).

    Paper: none (the error of every data loader).
    """


@dataclass(frozen=True)
class ImageDataset:
    """A labelled grey-scale image data set with its official train/test split.

    Attributes:
        name: ``"fashion-mnist"``, ``"mnist"`` or ``"digits"``.
        x_train, x_test: ``uint8`` arrays ``(n, rows, cols)``, 0 = black, 255 = white.
        y_train, y_test: ``int64`` class indices in ``[0, 10)``.
        source: where the data came from (a directory or ``sklearn.datasets``).
        sha256: digest of the decoded arrays (train images+labels, test images+labels),
            recorded in results so that a run can be traced to its data.

    Paper: the form of the data of Table 1 / Fig. 2, Table 2 / Fig. 3 and Table 3.
    """

    name: str
    x_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    x_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    source: str = ""
    sha256: str = ""

    @property
    def image_shape(self) -> tuple[int, int]:
        """``(rows, cols)`` of every image."""
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]

    def describe(self) -> dict:
        """JSON-able summary: name, sizes, image shape, source and digest."""
        return {"name": self.name, "n_train": len(self.y_train),
                "n_test": len(self.y_test), "image_shape": list(self.image_shape),
                "source": self.source, "sha256": self.sha256}


def digest(*arrays: np.ndarray) -> str:
    """SHA-256 hex digest of the arrays' bytes, in order (C-contiguous layout).

    Arguments:
        arrays: the arrays to hash (train images, train labels, test images, test labels).

    Returns:
        64 hex characters; equal arrays in the same order give the same digest.

    Example:
        >>> import numpy as np
        >>> digest(np.zeros(3, np.uint8)) == digest(np.zeros(3, np.uint8))
        True
        >>> digest(np.zeros(3, np.uint8)) == digest(np.ones(3, np.uint8))
        False

    Paper: none (traces a result to its data).
    """
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()
