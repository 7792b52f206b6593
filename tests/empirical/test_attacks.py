"""PGD and the bisection against the exact L-inf margin of linear models."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gstheory.empirical.attacks import margin_cdf, minimal_perturbation, pgd_linf, robust_accuracy


class Linear1(torch.nn.Module):
    """A one-logit linear model f(x) = w.x + b (exact L-inf margin |f| / ||w||_1)."""

    def __init__(self, w, b):
        super().__init__()
        self.w, self.b = w, b

    def forward(self, x):
        return x.reshape(len(x), -1) @ self.w + self.b


@pytest.fixture(scope="module")
def problem():
    g = torch.Generator().manual_seed(0)
    d = 12
    w = torch.randn(d, generator=g, dtype=torch.float64)
    x = (torch.rand(300, d, generator=g, dtype=torch.float64) * 1.2 - 0.6)
    model = Linear1(w, 0.1)
    with torch.no_grad():
        f = model(x)
    y = (f > 0).long()
    y[:10] = 1 - y[:10]  # ten points misclassified from the start
    exact = (f.abs() / w.abs().sum()).numpy()
    exact[:10] = 0.0
    return model, x, y, exact


def test_bisection_finds_the_exact_margin(problem):
    model, x, y, exact = problem
    eps_max, bis = 0.3, 12
    m = minimal_perturbation(model, x, y, eps_max=eps_max, bisections=bis, steps=5,
                             bounds=(-10, 10))
    inside = exact < eps_max
    # one signed-gradient step already reaches the ball's optimal corner for a linear model,
    # so the bisection is exact up to its bracket width eps_max / 2^bisections
    res = eps_max / 2 ** bis
    assert np.all(np.abs(m[inside] - exact[inside]) <= res + 1e-9)
    assert np.all(np.isinf(m[~inside]))
    assert np.all(m[:10] == 0)


def test_robust_accuracy_equals_margin_count(problem):
    model, x, y, exact = problem
    for eps in (0.02, 0.05, 0.1):
        acc = robust_accuracy(model, x, y, eps, steps=5, bounds=(-10, 10))
        assert acc == pytest.approx(np.mean(exact > eps), abs=1 / len(y))
    assert robust_accuracy(model, x, y, 0.0) == pytest.approx(1 - 10 / len(y))


def test_two_logit_model_and_bounds():
    g = torch.Generator().manual_seed(1)
    W = torch.randn(8, 2, generator=g, dtype=torch.float64)
    model = Linear1(W, torch.zeros(2, dtype=torch.float64))
    x = torch.rand(50, 8, generator=g, dtype=torch.float64) * 0.2 - 0.1
    with torch.no_grad():
        y = model(x).argmax(1)
    dw = W[:, 1] - W[:, 0]
    exact = (x @ dw).abs() / dw.abs().sum()
    m = minimal_perturbation(model, x, y, eps_max=0.5, bisections=10, steps=5,
                             bounds=(-1, 1))
    np.testing.assert_allclose(m, exact.numpy(), atol=0.5 / 2 ** 10 + 1e-9)
    adv = pgd_linf(model, x, y, 0.4, steps=10, bounds=(-0.2, 0.2))
    assert float(adv.abs().max()) <= 0.2 + 1e-12
    assert float((adv - x).abs().max()) <= 0.4 + 1e-12


def test_margin_cdf_and_errors():
    m = np.array([0.0, 0.01, 0.05, math.inf])
    np.testing.assert_allclose(margin_cdf(m, np.array([0.0, 0.02, 1.0])), [0.25, 0.5, 0.75])
    model = Linear1(torch.ones(2), 0.0)
    x, y = torch.zeros(3, 2), torch.zeros(3, dtype=torch.long)
    with pytest.raises(ValueError, match="eps"):
        pgd_linf(model, x, y, -0.1)
    with pytest.raises(ValueError, match="steps"):
        pgd_linf(model, x, y, 0.1, steps=0)
    with pytest.raises(ValueError, match="bounds"):
        pgd_linf(model, x, y, 0.1, bounds=(1, -1))
    with pytest.raises(ValueError, match="margins"):
        margin_cdf(np.array([np.nan]), np.array([0.1]))
