"""gstheory.validation: every check names the parameter, its value and the allowed range."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gstheory import validation as check

any_float = st.floats(allow_nan=True, allow_infinity=True)


@given(x=any_float)
def test_positive_accepts_exactly_finite_positive(x):
    if math.isfinite(x) and x > 0:
        assert check.positive("lam", x) == x
    else:
        with pytest.raises(ValueError, match=r"^lam="):
            check.positive("lam", x)


@given(x=any_float)
def test_open_interval(x):
    if math.isfinite(x) and -1 < x < 1:
        assert check.open_interval("delta", x, -1, 1) == x
    else:
        msg = r"delta=.*(open interval \(-1, 1\)|finite)"
        with pytest.raises(ValueError, match=msg):
            check.open_interval("delta", x, -1, 1)


@given(v=st.lists(any_float, min_size=1, max_size=5))
def test_probabilities_and_finite_array(v):
    arr = np.array(v)
    ok = np.all(np.isfinite(arr)) and np.all((arr > 0) & (arr < 1))
    if ok:
        assert np.array_equal(check.probabilities("alpha", v), arr)
    else:
        with pytest.raises(ValueError, match="alpha="):
            check.probabilities("alpha", v)
    if not np.all(np.isfinite(arr)):
        with pytest.raises(ValueError, match="finite"):
            check.finite_array("x", v)


def test_messages_name_value_and_range():
    with pytest.raises(ValueError) as e:
        check.positive("lam", -1.0)
    assert str(e.value) == "lam=-1.0: must be > 0 (allowed range (0, inf))"
    with pytest.raises(ValueError, match=r"s2=.*shape \(any, 2\)"):
        check.finite_array("s2", np.ones((3, 3)), shape=(None, 2))
    with pytest.raises(ValueError, match="dimension"):
        check.finite_array("s2", np.ones((3, 3)), ndim=1)
    with pytest.raises(ValueError, match="real number"):
        check.finite_array("s2", ["a", "b"])
    with pytest.raises(ValueError, match="bool"):
        check.finite_scalar("lam", True)
    with pytest.raises(ValueError, match="scalar"):
        check.finite_scalar("lam", [1.0, 2.0])
    with pytest.raises(ValueError, match=">= 0"):
        check.nonnegative("eta", -1e-300)
    assert check.nonnegative("eta", 0.0) == 0.0
    with pytest.raises(ValueError, match="every entry must be > 0"):
        check.positive_array("s2", [1.0, 0.0])
    with pytest.raises(ValueError, match="-1 or \\+1"):
        check.labels("y", [1.0, 0.0])
    with pytest.raises(ValueError, match="integer"):
        check.integer("steps", 2.0)
    with pytest.raises(ValueError, match=r"\[1, 3\]"):
        check.integer("n", 4, minimum=1, maximum=3)
    with pytest.raises(ValueError, match="one of ridge, sd"):
        check.choice("penalty", "l1", ("ridge", "sd"))
    big = np.zeros(100)
    big[0] = np.nan
    with pytest.raises(ValueError, match=r"array\(shape=\(100,\)\)"):   # long arrays abbreviated
        check.finite_array("x", big)


@given(eps=st.floats(0, 1e-6), seed=st.integers(0, 2**31))
def test_orthogonal_tolerance_is_stated_and_applied(eps, seed):
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    P = Q * (1 + eps)                      # max|P^T P - I| ~ 2 eps
    err = np.max(np.abs(P.T @ P - np.eye(3)))
    if err <= check.ORTHOGONALITY_TOL:
        check.orthogonal("U", P)
    else:
        with pytest.raises(ValueError, match="tolerance"):
            check.orthogonal("U", P)
    with pytest.raises(ValueError, match="square"):
        check.orthogonal("U", np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        check.orthogonal("U", Q, n=2)
