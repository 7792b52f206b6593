"""Multi-class spectra: centred SVD, groups, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from gstheory.multiclass import (
    MulticlassSpectrum,
    centred_basis,
    centring,
    class_labels,
    coupled_pair,
    from_features,
    from_shared_features,
    shared_jacobians,
)
from tests.multiclass.strategies import general_jacobians, labelled_data


@given(labelled_data())
def test_shared_spectrum_is_the_centred_svd(data):
    X, y, K = data
    sp = from_shared_features(X, y, K)
    Phi = shared_jacobians(X, K)
    Pc = (Phi - Phi.mean(axis=1, keepdims=True)).reshape(-1, Phi.shape[2])
    np.testing.assert_allclose(sp.gram(), Pc @ Pc.T, atol=1e-10 * np.max(np.abs(Pc))**2)
    assert all(len(g) == K - 1 for g in sp.groups)
    # the general constructor finds the same strengths, grouped by multiplicity
    gen = from_features(Phi, y, K)
    np.testing.assert_allclose(np.sort(gen.s2), np.sort(sp.s2), rtol=1e-8)


@given(general_jacobians())
def test_general_spectrum_reconstructs_the_centred_model(data):
    Phi, y, K = data
    sp = from_features(Phi, y, K)
    Pc = (Phi - Phi.mean(axis=1, keepdims=True)).reshape(-1, Phi.shape[2])
    np.testing.assert_allclose((sp.U * np.sqrt(sp.s2)) @ sp.V.T, Pc,
                               atol=1e-9 * np.max(np.abs(Pc)))


def test_z_norm_is_w_projection():
    """Shared model: ||z_j|| = s_j ||C W^T v_j|| for every data feature v_j."""
    rng = np.random.default_rng(0)
    X, y, K = rng.standard_normal((5, 3)), np.array([0, 1, 2, 3, 0]), 4
    sp = from_shared_features(X, y, K)
    W = rng.standard_normal((3, K))
    _, s, Vt = np.linalg.svd(X, full_matrices=False)
    expect = s * np.linalg.norm(Vt @ W @ centring(K), axis=1)
    np.testing.assert_allclose(sp.group_norms(sp.z_from_yhat(X @ W)), expect, rtol=1e-10)


def test_centred_basis():
    for K in (2, 3, 7):
        Q = centred_basis(K)
        np.testing.assert_allclose(Q.T @ Q, np.eye(K - 1), atol=1e-14)
        np.testing.assert_allclose(Q @ Q.T, centring(K), atol=1e-14)


@pytest.mark.parametrize("y, K, match", [
    ([0, 1.5], None, "integer"), ([0, -1], None, "integer"), ([0, 3], 3, "0..2"),
    ([0, float("nan")], None, "finite"), ([], None, "at least one"), ([0, 1], 1, "K"),
])
def test_bad_labels_are_named(y, K, match):
    with pytest.raises(ValueError, match=match):
        class_labels("y", y, K)


def test_bad_spectra_are_named():
    with pytest.raises(ValueError, match="centred"):
        MulticlassSpectrum(np.eye(4)[:, :2], [1.0, 1.0], [0, 1], 2)
    with pytest.raises(ValueError, match="s2"):
        MulticlassSpectrum(coupled_pair([1.0, 1.0], 0.0, 2).U, [1.0, -1.0], [0, 1], 2)
    with pytest.raises(ValueError, match="delta"):
        coupled_pair([1.0, 2.0], 1.5, 3)
    with pytest.raises(ValueError, match="X"):
        from_shared_features(np.zeros((3, 2)), [0, 1, 2])
    with pytest.raises(ValueError, match="Phi"):
        from_features(np.ones((2, 3, 4)), [0, 1], K=4)
