"""The authors' Colored MNIST construction and the Fig. 3 probes."""

from __future__ import annotations

import numpy as np
import pytest

from gstheory.empirical.data.colored import (
    BLANKS,
    PROBES,
    colored_environments,
    grayscale,
    make_environment,
    probe_inputs,
)

N = 20000  # images per synthetic set: binomial std of a rate ~ 0.5/sqrt(N/2) < 0.01


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (N + 4000, 6, 6), dtype=np.uint8)
    c = rng.integers(0, 10, N + 4000)
    return x, c


@pytest.fixture(scope="module")
def data(images):
    x, c = images
    return colored_environments(x, c, seed=0, pool=N, downsample=1), c


def test_environment_statistics(data):
    d, _ = data
    # 5 binomial standard deviations of a rate estimated on >= 4000 draws: 0.04
    tol = 5 * 0.5 / np.sqrt(4000)
    for env, e in zip((*d.train, d.test), (0.2, 0.1, 0.9)):
        assert env.flip == e
        assert abs(np.mean(env.color != env.y) - e) < tol


def test_label_noise_and_channels(images):
    x, c = images
    env = make_environment(x, c, 0.3, np.random.default_rng(1), downsample=2)
    clean = (c < 5).astype(float)
    tol = 5 * 0.5 / np.sqrt(len(c))
    assert abs(np.mean(env.y != clean) - 0.25) < tol
    assert env.x.shape == (len(c), 2, 3, 3)
    other = env.x[np.arange(len(c)), 1 - env.color]
    assert np.all(other == 0)
    np.testing.assert_allclose(env.x[np.arange(len(c)), env.color],
                               x[:, ::2, ::2] / 255.0, rtol=0, atol=1e-7)
    np.testing.assert_allclose(grayscale(env.x), env.gray.reshape(len(c), -1), atol=1e-7)


def test_split_is_the_authors(data, images):
    d, _ = data
    x, _ = images
    assert len(d.train[0]) == len(d.train[1]) == N // 2
    # the test environment is the images after the pool, in order
    np.testing.assert_allclose(d.test.gray, x[N:] / 255.0, atol=1e-7)
    # the same seed reproduces; another seed shuffles differently
    again = colored_environments(x, images[1], seed=0, pool=N, downsample=1)
    np.testing.assert_array_equal(again.train[0].x, d.train[0].x)
    other = colored_environments(x, images[1], seed=1, pool=N, downsample=1)
    assert not np.array_equal(other.train[0].gray, d.train[0].gray)


@pytest.mark.parametrize("blank", BLANKS)
def test_probes(data, blank):
    d, _ = data
    env = d.test
    out = {p: probe_inputs(env, p, blank=blank) for p in PROBES}
    n = len(env)
    np.testing.assert_array_equal(out["colored-digit"], env.x)
    np.testing.assert_allclose(out["gray-digit"][:, 0], env.gray / 2, atol=1e-7)
    np.testing.assert_allclose(out["gray-digit"][:, 1], env.gray / 2, atol=1e-7)
    gb, cb = out["gray-blank"], out["colored-blank"]
    # blanks carry no information about the example: identical across examples
    assert np.all(gb == gb[:1])
    if blank == "constant":
        assert np.allclose(gb, env.gray.mean() / 2, atol=1e-6)
    else:
        np.testing.assert_allclose(gb[0, 0], env.gray.mean(0) / 2, atol=1e-6)
    # colored-blank: only the colour channel is filled, with twice the gray-blank value
    np.testing.assert_allclose(cb[np.arange(n), env.color], 2 * gb[:, 0], atol=1e-6)
    assert np.all(cb[np.arange(n), 1 - env.color] == 0)


def test_bad_arguments(images):
    x, c = images
    with pytest.raises(ValueError, match="flip"):
        make_environment(x, c, 1.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="n_train"):
        colored_environments(x, c, seed=0, pool=N, n_train=N + 1)
    with pytest.raises(ValueError, match="probe"):
        probe_inputs(make_environment(x[:4], c[:4], 0.1, np.random.default_rng(0)), "blank")
