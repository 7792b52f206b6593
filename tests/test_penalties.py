"""Penalties: ridge (Eq. 5), SD (Eq. 17) with per-example lam and margin target gamma."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gstheory.penalties import (
    Ridge,
    SpectralDecoupling,
    as_penalty,
    make_penalty,
    torch_penalty,
    torch_softplus_loss,
)

from .strategies import lams

vecs = st.lists(st.floats(-10, 10), min_size=1, max_size=6).map(np.array)


@given(lam=lams(), theta=vecs)
def test_ridge_value_and_gradient(lam, theta):
    p = Ridge(lam)
    assert np.isclose(p.value(theta), 0.5 * lam * np.sum(theta**2), rtol=1e-14, atol=1e-300)
    g, gm = p.gradient(theta)
    assert gm is None and np.allclose(g, lam * theta, rtol=1e-15)


@given(lam=lams(), gamma=st.floats(-5, 5), m=vecs)
def test_sd_value_gradient_and_margin_target(lam, gamma, m):
    p = SpectralDecoupling(lam, gamma)
    assert np.isclose(p.value(None, m), 0.5 * lam * np.sum((m - gamma) ** 2), rtol=1e-13,
                      atol=1e-300)
    _, gm = p.gradient(None, m)
    assert np.allclose(gm, lam * (m - gamma), rtol=1e-14, atol=1e-300)


def test_sd_per_example_and_target_signed_by_label():
    """(lam/2)||yhat - y*gamma||^2 == (lam/2) sum (y_i yhat_i - gamma_i)^2 (Sec. 4.4)."""
    lam = np.array([0.5, 2.0, 1.0])
    gamma = np.array([1.0, 0.0, -2.0])
    y = np.array([1.0, -1.0, -1.0])
    yhat = np.array([0.3, 1.2, -0.4])
    p = SpectralDecoupling(lam, gamma)
    expected = 0.5 * np.sum(lam * (yhat - y * gamma) ** 2)
    assert np.isclose(p.value(None, y * yhat), expected, rtol=1e-14)
    L, G = p.per_example(3)
    assert np.array_equal(L, lam) and np.array_equal(G, gamma)
    with pytest.raises(ValueError, match="lam"):
        p.per_example(4)


def test_make_penalty_and_validation():
    assert make_penalty("ridge", 0.1) == Ridge(0.1)
    assert make_penalty("sd", 0.1, 2.0) == SpectralDecoupling(0.1, 2.0)
    assert as_penalty("sd", 0.3).lam == 0.3
    for bad, name in [(lambda: Ridge(0.0), "lam"), (lambda: Ridge(np.nan), "lam"),
                      (lambda: SpectralDecoupling([1.0, -1.0]), "lam"),
                      (lambda: SpectralDecoupling(1.0, np.inf), "gamma"),
                      (lambda: SpectralDecoupling([1.0, 2.0], [1.0, 2.0, 3.0]), "gamma"),
                      (lambda: make_penalty("l1", 1.0), "penalty"),
                      (lambda: make_penalty("ridge", 1.0, 2.0), "gamma"),
                      (lambda: as_penalty(3.0), "penalty")]:
        with pytest.raises(ValueError, match=name):
            bad()


def test_torch_penalties_match_numpy():
    torch = pytest.importorskip("torch")
    th = [torch.tensor([1.0, -2.0], dtype=torch.float64), torch.tensor([[0.5]],
                                                                       dtype=torch.float64)]
    assert np.isclose(float(torch_penalty(Ridge(0.3), theta=th)),
                      Ridge(0.3).value(np.array([1.0, -2.0, 0.5])), rtol=1e-14)
    yhat = torch.tensor([[0.3], [1.2], [-0.4]], dtype=torch.float64)
    y = np.array([1.0, -1.0, -1.0])
    p = SpectralDecoupling(np.array([0.5, 2.0, 1.0]), np.array([1.0, 0.0, -2.0]))
    margins = y * yhat.numpy().ravel()
    assert np.isclose(float(torch_penalty(p, yhat=yhat, y=y)), p.value(None, margins),
                      rtol=1e-14)
    assert np.isclose(float(torch_penalty(SpectralDecoupling(0.2), yhat=yhat,
                                          reduction="mean")),
                      SpectralDecoupling(0.2).value(None, margins) / 3, rtol=1e-14)
    ce = torch_softplus_loss(yhat, y)
    assert np.isclose(float(ce), np.sum(np.log1p(np.exp(-margins))), rtol=1e-14)
    with pytest.raises(ValueError, match="y"):
        torch_penalty(SpectralDecoupling(0.2, 1.0), yhat=yhat)
    with pytest.raises(ValueError, match="theta"):
        torch_penalty(Ridge(0.2))


def test_docstring_examples_run():
    import doctest

    import gstheory.penalties as module
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("kind", [Ridge, SpectralDecoupling])
def test_penalty_type_from_every_form_and_decouples_is_what_the_dual_shows(kind):
    """penalty_type maps a name, a type or an instance to the type; ``decouples`` is True
    exactly for the penalty whose starvation matrix vanishes (Eq. 18)."""
    from gstheory.penalties import penalty_type
    from gstheory.sensitivity import starvation_matrix
    from gstheory.spectrum import perturbed_identity

    assert penalty_type(kind.name) is kind
    assert penalty_type(kind) is kind
    assert penalty_type(kind(0.1)) is kind
    S = starvation_matrix(perturbed_identity([9.0, 1.0], 0.3), kind(0.1))
    off = abs(float(S[0, 1])) + abs(float(S[1, 0]))
    assert kind.decouples == (off < 1e-12)
    with pytest.raises(ValueError, match="penalty"):
        penalty_type("lasso")
