r"""The authors' Colored MNIST construction (from the IRM code) and the Fig. 3 probes.

Official code: ``mpezeshki/Gradient_Starvation`` ``cmnist.py`` (adapted from Arjovsky et
al.'s IRM code). For one restart:

1. the first 50,000 training images are shuffled; even positions form environment 1
   (colour flip ``e = 0.2``), odd positions environment 2 (``e = 0.1``); training images
   50,000-59,999 form the test environment (``e = 0.9``);
2. images are subsampled 28 -> 14 (``[::2, ::2]``); binary label ``= (class < 5)``;
   the label is flipped with probability 0.25; colour ``= label XOR Bernoulli(e)``;
3. the input has two channels; the image goes to channel ``colour`` and the other
   channel is zero; values are divided by 255.

The colour agrees with the (noisy) label 80% / 90% of the time in training and 10% at
test; the shape agrees 75% of the time everywhere, so 75% is the ceiling of a model that
ignores colour.

Paper: Sec. 4.2, Table 2 and Fig. 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gstheory import validation as check

#: The authors' settings.
TRAIN_FLIPS = (0.2, 0.1)
TEST_FLIP = 0.9
LABEL_NOISE = 0.25
N_TRAIN_POOL = 50_000
#: Classes ``< CLASS_SPLIT`` get binary label 1.
CLASS_SPLIT = 5


@dataclass(frozen=True)
class Environment:
    """One environment: ``x`` float32 ``(n, 2, h, w)`` in [0, 1], ``y`` float32 {0, 1}
    (noisy binary label), ``color`` int64 {0, 1}, ``gray`` float32 ``(n, h, w)`` in [0, 1]
    (the image before colouring), ``flip`` the colour-flip probability ``e``.

    Paper: Sec. 4.2: one environment of Colored MNIST (Table 2).
    """

    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    color: np.ndarray = field(repr=False)
    gray: np.ndarray = field(repr=False)
    flip: float = 0.0

    def __len__(self) -> int:
        return len(self.y)


def make_environment(images: np.ndarray, classes: np.ndarray, flip: float,
                     rng: np.random.Generator, *, label_noise: float = LABEL_NOISE,
                     downsample: int = 2) -> Environment:
    r"""Colour one environment exactly as ``make_environment`` of the IRM code.

    Arguments:
        images: ``uint8`` ``(n, rows, cols)``.
        classes: class indices ``(n,)`` in 0..9.
        flip: colour-flip probability ``e`` in [0, 1].
        rng: the generator drawing label noise, then colour flips.
        label_noise: label-flip probability (0.25 in the paper).
        downsample: stride of the spatial subsampling (2 for 28x28, 1 for 8x8 digits).

    Returns:
        :class:`Environment`.

    Raises:
        ValueError: shapes or probabilities out of range.

    Paper: Sec. 4.2 (construction of Arjovsky et al., 2019).
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise check.fail("images", images, "must have shape (n, rows, cols)")
    classes = np.asarray(classes)
    if classes.shape != (len(images),):
        raise check.fail("classes", classes, f"must have shape ({len(images)},)")
    flip = check.finite_scalar("flip", flip)
    label_noise = check.finite_scalar("label_noise", label_noise)
    for nm, p in (("flip", flip), ("label_noise", label_noise)):
        if not 0.0 <= p <= 1.0:
            raise check.fail(nm, p, "must lie in [0, 1]")
    downsample = check.integer("downsample", downsample, minimum=1)
    gray = images[:, ::downsample, ::downsample].astype(np.float32) / 255.0
    y = (classes < CLASS_SPLIT).astype(np.int64)
    y = y ^ (rng.random(len(y)) < label_noise)
    color = y ^ (rng.random(len(y)) < flip)
    x = np.zeros((len(y), 2, *gray.shape[1:]), dtype=np.float32)
    x[np.arange(len(y)), color] = gray
    return Environment(x, y.astype(np.float32), color.astype(np.int64), gray, float(flip))


@dataclass(frozen=True)
class ColoredData:
    """The two training environments and the test environment of one restart.

    Paper: Sec. 4.2: the two training environments and the test environment of Table 2.
    """

    train: tuple[Environment, Environment]
    test: Environment


def colored_environments(images: np.ndarray, classes: np.ndarray, *, seed: int,
                         n_train: int | None = None, n_test: int | None = None,
                         pool: int | None = None, downsample: int = 2,
                         flips: tuple[float, float] = TRAIN_FLIPS,
                         test_flip: float = TEST_FLIP,
                         label_noise: float = LABEL_NOISE) -> ColoredData:
    r"""Build the three environments of one restart from a training split.

    Arguments:
        images, classes: the data set's *training* split (the paper never uses the
            official test split here).
        seed: restart seed; the authors shuffle with ``1234 + restart``.
        n_train: total training images of the two environments (``None``: the whole
            pool, 50,000 for MNIST); quick presets subsample.
        n_test: test-environment images (``None``: everything after the pool).
        pool: size of the training pool (``None``: 50,000, or 5/6 of a smaller split).
        downsample, flips, test_flip, label_noise: see :func:`make_environment`.

    Returns:
        :class:`ColoredData`.

    Raises:
        ValueError: sizes larger than the data or out of range.

    Paper: Sec. 4.2.
    """
    images = np.asarray(images)
    n_all = len(images)
    seed = check.integer("seed", seed, minimum=0)
    if pool is None:
        pool = N_TRAIN_POOL if n_all > N_TRAIN_POOL else (5 * n_all) // 6
    pool = check.integer("pool", pool, minimum=2, maximum=n_all - 1)
    n_train = pool if n_train is None else check.integer("n_train", n_train, minimum=2,
                                                         maximum=pool)
    n_test = n_all - pool if n_test is None else check.integer(
        "n_test", n_test, minimum=1, maximum=n_all - pool)
    rng = np.random.default_rng(1234 + seed)
    order = rng.permutation(pool)[:n_train]
    tr_img, tr_cls = images[order], np.asarray(classes)[order]
    te_img, te_cls = images[pool:pool + n_test], np.asarray(classes)[pool:pool + n_test]
    kw = {"label_noise": label_noise, "downsample": downsample}
    env1 = make_environment(tr_img[::2], tr_cls[::2], flips[0], rng, **kw)
    env2 = make_environment(tr_img[1::2], tr_cls[1::2], flips[1], rng, **kw)
    test = make_environment(te_img, te_cls, test_flip, rng, **kw)
    return ColoredData((env1, env2), test)


#: The two constructions of a "blank" image (docs/experiments.md, colored-mnist): the authors'
#: constant
#: fill with the global mean pixel, and the per-pixel mean image (which transfers to
#: Fashion-MNIST, where a constant fill is itself out of distribution).
BLANKS = ("constant", "mean-image")
PROBES = ("gray-digit", "colored-digit", "gray-blank", "colored-blank")


def probe_inputs(env: Environment, probe: str, *, blank: str = "constant") -> np.ndarray:
    r"""The inputs of one Fig. 3 probe built on a (test) environment.

    * ``gray-digit``: both channels = image / 2;
    * ``colored-digit``: the environment's own inputs;
    * ``gray-blank``: both channels = blank / 2;
    * ``colored-blank``: the blank in the colour channel of each example only.

    ``blank = "constant"`` fills every pixel with the global mean pixel value (the
    authors); ``"mean-image"`` uses the per-pixel mean image of the environment.

    Returns:
        float32 ``(n, 2, h, w)``.

    Paper: Fig. 3.
    """
    probe = check.choice("probe", probe, PROBES)
    blank = check.choice("blank", blank, BLANKS)
    n = len(env)
    if probe == "colored-digit":
        return env.x
    if probe == "gray-digit":
        return np.repeat(env.gray[:, None] / 2.0, 2, axis=1).astype(np.float32)
    if blank == "constant":
        img = np.full(env.gray.shape[1:], env.gray.mean(), dtype=np.float32)
    else:
        img = env.gray.mean(axis=0).astype(np.float32)
    if probe == "gray-blank":
        return np.broadcast_to(img / 2.0, (n, 2, *img.shape)).astype(np.float32)
    x = np.zeros((n, 2, *img.shape), dtype=np.float32)
    x[np.arange(n), env.color] = img
    return x


def grayscale(x: np.ndarray) -> np.ndarray:
    """The oracle's input: the two channels summed (``--grayscale_model``), flattened.

    Paper: Fig. 3: the input of the oracle trained on grey-scale images.
    """
    x = np.asarray(x)
    return x.sum(axis=1).reshape(len(x), -1)
