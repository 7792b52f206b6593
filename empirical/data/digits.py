r"""scikit-learn's bundled 8x8 handwritten digits: the embedded fallback data set.

``sklearn.datasets.load_digits`` ships 1797 images of 8x8 pixels with 17 grey levels
(0..16). They are rescaled to ``uint8`` 0..255 and split once, with a fixed permutation,
into 1400 training and 397 test images, the split used in ``docs/experiments.md`` (colored-mnist).

Paper: substitute data for Table 2 / Fig. 3 (Colored MNIST) when no image files exist.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from gstheory.empirical.data.images import ImageDataset, digest

#: Training images of the fixed split (the remaining 397 are the test split).
N_TRAIN = 1400
#: Seed of the fixed permutation that makes the split.
SPLIT_SEED = 0
#: Largest grey level in ``load_digits`` (values lie in 0..16).
DIGITS_MAX = 16


@lru_cache(maxsize=1)
def load_digits_dataset() -> ImageDataset:
    r"""The digits as an :class:`~gstheory.empirical.data.images.ImageDataset` (8x8, classes 0-9).

    Returns:
        1400 training and 397 test images, ``uint8`` in 0..255 (``round(v * 255 / 16)``),
        read-only.

    Paper: fallback for Sec. 4.2 (Colored MNIST).
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.rint(bunch.images * (255.0 / DIGITS_MAX)).astype(np.uint8)
    labels = bunch.target.astype(np.int64)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    tr, te = order[:N_TRAIN], order[N_TRAIN:]
    arrays = [images[tr], labels[tr], images[te], labels[te]]
    for a in arrays:
        a.setflags(write=False)
    return ImageDataset("digits", *arrays, source="sklearn.datasets.load_digits",
                        sha256=digest(*arrays))
