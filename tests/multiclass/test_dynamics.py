"""Dual (mirror) gradient ascent integrated by SciPy: it ends at the Newton fixed point
and the dual objective increases along it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from gstheory.multiclass import (
    coupled_pair,
    dual_objective,
    from_shared_features,
    integrate_dual,
    solve_fixed_point,
)
from tests.multiclass.strategies import labelled_data
from tests.strategies import lams


@given(labelled_data(n_max=5, d_max=3), lams(0.05, 10.0))
def test_newton_agrees_with_ode_integration(data, lam):
    X, y, K = data
    sp = from_shared_features(X, y, K)
    fp = solve_fixed_point(sp, lam)
    tr = integrate_dual(sp, lam, t_end=200.0)
    assert tr.success
    assert np.max(np.abs(tr.p[-1] - fp.p)) < 1e-7


def test_dual_objective_increases_along_the_flow():
    sp = coupled_pair([9.0, 2.0], 0.4, 3)
    tr = integrate_dual(sp, 0.1, t_end=20.0)
    D = np.array([dual_objective(np.clip(p, 1e-300, 1), sp, 0.1) for p in tr.p[1:]])
    assert np.all(np.diff(D) >= -1e-9 * (1 + np.abs(D[1:])))




def test_bad_arguments_are_named():
    sp = coupled_pair([9.0, 2.0], 0.4, 3)
    with pytest.raises(ValueError, match="t_end"):
        integrate_dual(sp, 0.1, t_end=0.0)
    with pytest.raises(ValueError, match="p0"):
        integrate_dual(sp, 0.1, p0=np.full((2, 3), 0.5))
