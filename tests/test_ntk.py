"""Tests of gstheory.ntk: NTK parametrisation, NTRF, the NTK Gram routes, spectra.

Every Gram is checked against an independent route: the Jacobian from plain autograd,
one backward pass per example (per output for batch-coupled modules). float64 throughout.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from gstheory.ntk import (
    DEFAULT_MAX_BYTES,
    NTKMLP,
    activation_gain,
    feature_directions,
    network_outputs,
    network_spectrum,
    ntk_gram,
    ntrf,
    parameter_count,
    parameter_vector,
    responses,
)
from gstheory.spectrum import from_features

#: float64 Gram entries are sums of O(m) products of O(1) numbers: agreement to 1e-10
#: relative to the largest entry leaves 4-5 orders of magnitude of headroom over rounding.
GRAM_RTOL = 1e-10


def plain_jacobian(model: nn.Module, X: torch.Tensor) -> np.ndarray:
    """d yhat_i / d theta by plain autograd: one backward per output of the batch."""
    params = [p for p in model.parameters() if p.requires_grad]
    out = model(X).reshape(-1)
    rows = []
    for i in range(out.shape[0]):
        g = torch.autograd.grad(out[i], params, retain_graph=True, allow_unused=True)
        rows.append(torch.cat([(torch.zeros_like(p) if gi is None else gi).reshape(-1)
                               for gi, p in zip(g, params)]))
    return torch.stack(rows).detach().numpy()


def assert_gram_close(K: np.ndarray, J: np.ndarray) -> None:
    ref = J @ J.T
    scale = max(1.0, float(np.max(np.abs(ref))))
    assert np.max(np.abs(K - ref)) <= GRAM_RTOL * scale


def inputs(n: int, d: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed),
                       dtype=torch.float64)


# --------------------------------------------------------------------------- Eq. 1
def test_activation_gains() -> None:
    assert activation_gain("relu") == 2.0
    # erf: closed form (2/pi) arcsin(2/3) against Gauss-Hermite quadrature of erf^2
    from scipy.special import erf
    t, w = np.polynomial.hermite_e.hermegauss(200)
    second = float(np.sum(w * erf(t) ** 2) / np.sqrt(2 * np.pi))
    assert activation_gain("erf") == pytest.approx(1.0 / second, rel=1e-12)
    # tanh by quadrature against Monte Carlo (1e6 samples: standard error ~3e-4 relative)
    z = np.random.default_rng(0).standard_normal(1_000_000)
    assert activation_gain("tanh") == pytest.approx(1.0 / np.mean(np.tanh(z) ** 2),
                                                    rel=3e-3)
    with pytest.raises(ValueError, match="activation"):
        activation_gain("sigmoid")


@pytest.mark.parametrize("activation", ["relu", "tanh", "erf"])
def test_ntk_parametrisation_keeps_the_norm(activation: str) -> None:
    """With gamma = 1/E[xi^2], E||f^(l)||^2 / d_l stays ~ ||x||^2 / d_0 layer after layer."""
    net = NTKMLP(20, [3000, 3000], activation, seed=1)
    X = inputs(3, 20)
    ref = float((X**2).mean())
    h = X
    for layer in net.layers:
        with torch.no_grad():
            h = layer(h)
        if isinstance(layer, type(net.layers[0])) and h.shape[1] > 1:
            # fluctuation of a mean of 3000 squares of O(1) variables: ~5% relative
            assert float((h**2).mean()) == pytest.approx(ref, rel=0.15)
    # weights are N(0, 1), not scaled
    W = net.layers[2].weight.detach()
    assert float(W.std()) == pytest.approx(1.0, rel=0.01)


def test_mlp_shapes_and_validation() -> None:
    net = NTKMLP(3, [5, 4], "tanh", bias=True, seed=0)
    assert parameter_count(net) == 3 * 5 + 5 + 5 * 4 + 4 + 4 + 1
    assert parameter_vector(net).shape == (parameter_count(net),)
    assert net(inputs(7, 3)).shape == (7,)
    # same seed, same network; another seed, another network
    assert np.array_equal(parameter_vector(NTKMLP(3, [5], seed=2)),
                          parameter_vector(NTKMLP(3, [5], seed=2)))
    assert not np.array_equal(parameter_vector(NTKMLP(3, [5], seed=2)),
                              parameter_vector(NTKMLP(3, [5], seed=3)))
    with pytest.raises(ValueError, match="widths"):
        NTKMLP(3, [0])
    with pytest.raises(ValueError, match="activation"):
        NTKMLP(3, [4], "gelu")
    with pytest.raises(ValueError, match="in_features"):
        NTKMLP(0, [4])


# --------------------------------------------------------------------------- Gram
@given(depth=st.integers(0, 3), width=st.integers(1, 12), n=st.integers(1, 7),
       d=st.integers(1, 4), activation=st.sampled_from(["relu", "tanh", "erf"]),
       bias=st.booleans(), seed=st.integers(0, 2**16))
def test_gram_equals_plain_autograd_jjt(depth, width, n, d, activation, bias, seed):
    net = NTKMLP(d, [width] * depth, activation, bias=bias, seed=seed)
    X = inputs(n, d, seed)
    J = plain_jacobian(net, X)
    assert_gram_close(ntk_gram(net, X, route="layerwise"), J)
    assert_gram_close(ntk_gram(net, X, route="general"), J)
    assert np.allclose(ntrf(net, X), J, rtol=0, atol=1e-12 * max(1, np.abs(J).max()))


def test_plain_torch_module_fast_route() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 6), nn.ReLU(),
                        nn.Linear(6, 1)).double()
    X = inputs(9, 3)
    J = plain_jacobian(net, X)
    assert_gram_close(ntk_gram(net, X, route="layerwise"), J)
    # frozen parameters are not part of theta
    net[0].weight.requires_grad_(False)
    J = plain_jacobian(net, X)
    assert J.shape[1] == parameter_count(net)
    assert_gram_close(ntk_gram(net, X, route="layerwise"), J)


def test_general_route_in_blocks_under_the_memory_guard() -> None:
    net = NTKMLP(4, [16, 16], "erf", bias=True, seed=3)
    X = inputs(11, 4)
    m = parameter_count(net)
    J = plain_jacobian(net, X)
    # room for the Gram and two blocks of 3 rows: 4 row blocks, 10 block products
    budget = 11 * 11 * 8 + 2 * 3 * m * 8
    assert_gram_close(ntk_gram(net, X, route="general", max_bytes=budget), J)


class Twice(nn.Module):
    """The same Linear applied twice (weight sharing)."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = nn.Linear(4, 4)
        self.out = nn.Linear(4, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.inner(torch.tanh(self.inner(x)))))


class CentreBatch(nn.Module):
    """A parameter-free batch-coupling layer the type check cannot know."""

    def forward(self, x):
        return x - x.mean(dim=0, keepdim=True)


def _refusal_cases():
    torch.manual_seed(1)
    shared = nn.Linear(4, 4)
    return {
        "called 2 times": Twice(),
        "shared by modules": nn.Sequential(shared, nn.Tanh(), nn.Sequential(shared),
                                           nn.Tanh(), nn.Linear(4, 1)),
        "couples the examples": nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6),
                                              nn.Tanh(), nn.Linear(6, 1)),
        "batch is removed": nn.Sequential(nn.Linear(4, 6), CentreBatch(), nn.Tanh(),
                                          nn.Linear(6, 1)),
        "only nn.Linear and NTKLinear": nn.Sequential(
            nn.Unflatten(1, (1, 4)), nn.Conv1d(1, 2, 3), nn.Tanh(), nn.Flatten(),
            nn.Linear(4, 1)),
    }


@pytest.mark.parametrize("reason", list(_refusal_cases()))
def test_layerwise_refusals_and_general_route(reason: str) -> None:
    """The shortcut is refused with a message naming the cause and the way out; the
    general route (and route='auto') gives the true Jacobian Gram of the batch output."""
    net = _refusal_cases()[reason].double()
    X = inputs(6, 4)
    with pytest.raises(ValueError, match=reason) as err:
        ntk_gram(net, X, route="layerwise")
    assert "route='general'" in str(err.value)
    J = plain_jacobian(net, X)
    assert_gram_close(ntk_gram(net, X, route="general"), J)
    assert_gram_close(ntk_gram(net, X, route="auto"), J)


def test_dropout_in_training_mode_is_refused() -> None:
    net = nn.Sequential(nn.Linear(3, 5), nn.Dropout(0.5), nn.Linear(5, 1)).double()
    X = inputs(4, 3)
    with pytest.raises(ValueError, match="model.eval"):
        ntk_gram(net, X, route="layerwise")
    net.eval()
    assert_gram_close(ntk_gram(net, X, route="layerwise"), plain_jacobian(net, X))


def test_in_place_activation_is_detected() -> None:
    net = nn.Sequential(nn.Linear(3, 5), nn.ReLU(inplace=True), nn.Linear(5, 1)).double()
    X = inputs(5, 3)
    with pytest.raises(ValueError, match="in place"):
        ntk_gram(net, X, route="layerwise")
    assert_gram_close(ntk_gram(net, X), plain_jacobian(net, X))


# --------------------------------------------------------------------------- bad input
def test_bad_inputs() -> None:
    net = NTKMLP(3, [4], seed=0)
    X = inputs(5, 3)
    bad = X.clone()
    bad[0, 0] = float("nan")
    with pytest.raises(ValueError, match="X"):
        ntk_gram(net, bad)
    with pytest.raises(ValueError, match="X"):
        ntk_gram(net, np.zeros((0, 3)))
    with pytest.raises(ValueError, match="route"):
        ntk_gram(net, X, route="fast")
    with pytest.raises(ValueError, match="model"):
        ntk_gram("not a module", X)
    two_out = nn.Linear(3, 2).double()
    with pytest.raises(ValueError, match="one scalar per example"):
        ntk_gram(two_out, X)
    with pytest.raises(ValueError, match="one scalar per example"):
        ntk_gram(two_out, X, route="general")
    with pytest.raises(ValueError, match="-1 or \\+1"):
        network_spectrum(net, X, [1, -1, 0, 1, 1])
    with pytest.raises(ValueError, match="shape"):
        network_spectrum(net, X, [1, -1, 1])
    for route in ("layerwise", "general"):
        with pytest.raises(ValueError, match="cannot be applied"):
            ntk_gram(net, inputs(5, 2), route=route)
    with pytest.raises(ValueError, match="cannot be applied"):
        ntrf(net, inputs(5, 2))
    with pytest.raises(ValueError, match="cannot be applied"):
        network_outputs(net, inputs(5, 2))


def test_memory_guard() -> None:
    net = NTKMLP(10, [64, 64], bias=True, seed=0)
    X = inputs(50, 10)
    n, m = 50, parameter_count(net)
    with pytest.raises(ValueError, match="ntk_gram") as err:
        ntrf(net, X, max_bytes=n * m * 8 - 1)
    assert "smaller batch" in str(err.value)
    assert ntrf(net, X, max_bytes=n * m * 8).shape == (n, m)
    # the layer-wise route needs 3 n^2 (Gram + one layer's two Gram factors) + n * (sum of
    # layer input and output widths) numbers, far below n x m
    need = (3 * n * n + n * (10 + 64 + 64 + 64 + 64 + 1)) * 8
    assert need < n * m * 8 // 10
    K = ntk_gram(net, X, route="layerwise", max_bytes=need)
    with pytest.raises(ValueError, match="smaller batch"):
        ntk_gram(net, X, route="layerwise", max_bytes=need - 1)
    with pytest.raises(ValueError, match="smaller batch"):
        ntk_gram(net, X, route="general", max_bytes=n * n * 8 - 1)
    with pytest.raises(ValueError, match="max_bytes"):
        ntk_gram(net, X, route="general", max_bytes=n * n * 8 + 8)
    assert_gram_close(K, plain_jacobian(net, X))
    assert DEFAULT_MAX_BYTES >= 2**20


# --------------------------------------------------------------------------- spectrum
def test_network_spectrum_matches_svd_of_the_ntrf() -> None:
    net = NTKMLP(3, [32], "tanh", bias=True, seed=4)
    X = inputs(8, 3, seed=4)
    y = np.array([1, -1, 1, 1, -1, -1, 1, -1.0])
    sp = network_spectrum(net, X, y)
    Phi0 = ntrf(net, X)
    ref = from_features(Phi0, y)
    assert np.allclose(sp.s2, ref.s2, rtol=1e-10)
    assert np.allclose(sp.gram(), y[:, None] * (Phi0 @ Phi0.T) * y[None, :], rtol=1e-10)
    # V columns on demand, without Phi0: equal to the SVD's up to the sign of U's column
    V = feature_directions(net, X, y, sp, [0, 3, 7])
    assert np.allclose(V.T @ V, np.eye(3), atol=1e-10)
    for k, j in enumerate([0, 3, 7]):
        sign = np.sign(sp.U[:, j] @ ref.U[:, j])
        assert np.allclose(V[:, k], sign * ref.V[:, j], atol=1e-8)
    # z = U^T Y (yhat - yhat0) (Eq. 4), also = S V^T theta for a linear change
    y0 = network_outputs(net, X)
    theta = V @ np.array([0.5, -1.0, 2.0])
    yhat = y0 + Phi0 @ theta
    z = responses(sp, y, yhat, y0)
    assert np.allclose(z, sp.s * (np.column_stack(
        [feature_directions(net, X, y, sp, range(8))]).T @ theta), atol=1e-9)
    with pytest.raises(ValueError, match="columns"):
        feature_directions(net, X, y, sp, [8])
    with pytest.raises(ValueError, match="spectrum"):
        feature_directions(net, X[:4], y[:4], sp, [0])


def test_singular_ntk_is_refused() -> None:
    """More examples than parameters: a zero strength, which the theory cannot use."""
    net = NTKMLP(2, [2], seed=0)
    X = inputs(12, 2)
    y = np.where(np.arange(12) % 2 == 0, 1.0, -1.0)
    with pytest.raises(ValueError, match="positive definite"):
        network_spectrum(net, X, y)
