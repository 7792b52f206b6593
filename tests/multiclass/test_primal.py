"""The primal K-class problem against scikit-learn's multinomial logistic regression.

scikit-learn minimises ``C sum_i loss_i + 0.5 ||W||^2`` (internally divided by n); ours
is ``sum_i loss_i + (lam/2) ||W||^2``: the same minimiser at ``C = 1/lam``. The worst
relative error over the Hypothesis examples is printed at the end of the module
(``pytest -s``) and asserted below a bound.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given

from gstheory.multiclass import (
    from_shared_features,
    minimise_primal,
    primal_objective,
    shared_jacobians,
    solve_fixed_point,
    theta_from_alpha,
)
from tests.multiclass.strategies import labelled_data, weight_decays

sklearn = pytest.importorskip("sklearn.linear_model")

WORST: list[float] = []


@pytest.fixture(scope="module", autouse=True)
def _report_worst():
    yield
    if WORST:
        print(f"\nworst relative error vs scikit-learn over {len(WORST)} examples: "
              f"{max(WORST):.3e}")


@given(labelled_data(), weight_decays())
def test_dual_fixed_point_matches_sklearn_multinomial(data, lam):
    X, y, K = data
    fp = solve_fixed_point(from_shared_features(X, y, K), lam)
    W = theta_from_alpha(shared_jacobians(X, K), fp.alpha, lam).reshape(X.shape[1], K)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = sklearn.LogisticRegression(C=1.0 / lam, fit_intercept=False,
                                         solver="newton-cholesky", tol=1e-14,
                                         max_iter=1000).fit(X, y)
    assert list(clf.classes_) == list(range(K))
    W_ref = clf.coef_.T
    # sklearn's own objective value at both points: ours is never worse
    Phi = shared_jacobians(X, K)
    f_ours = primal_objective(W.reshape(-1), Phi, y, lam)
    f_ref = primal_objective(W_ref.reshape(-1), Phi, y, lam)
    assert f_ours <= f_ref + 1e-12 * abs(f_ref)
    rel = float(np.max(np.abs(W - W_ref)) / np.max(np.abs(W_ref)))
    WORST.append(rel)
    assert rel < 1e-7


def test_objective_scaling_matches_sklearn_loss():
    """Our objective equals n * sklearn's (mean loss + ||W||^2 / (2 C n)) at C = 1/lam."""
    from sklearn.metrics import log_loss
    rng = np.random.default_rng(3)
    X, y, lam = rng.standard_normal((9, 3)), np.arange(9) % 3, 0.2
    W = rng.standard_normal((3, 3))
    Y = X @ W
    P = np.exp(Y - Y.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    sk = 9 * log_loss(y, P, labels=[0, 1, 2]) + 0.5 * lam * np.sum(W**2)
    ours = primal_objective(W.reshape(-1), shared_jacobians(X, 3), y, lam)
    assert abs(ours - sk) < 1e-12 * abs(sk)


def test_primal_rejects_bad_input():
    Phi = shared_jacobians(np.eye(3), 3)
    with pytest.raises(ValueError, match="lam"):
        minimise_primal(Phi, [0, 1, 2], -1.0)
    with pytest.raises(ValueError, match="y"):
        minimise_primal(Phi, [0, 1, 3], 1.0)
    with pytest.raises(ValueError, match="y"):
        minimise_primal(Phi, [0, 1], 1.0)
