"""The multi-class derivation: every step checks, and its first-order coefficient D1
agrees with the numeric starvation matrix (implicit differentiation) at small delta."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from gstheory import symbolic
from gstheory.multiclass import coupled_pair, starvation_matrix
from gstheory.symbolic.multiclass import first_order_starvation


def test_derivation_checks_and_is_registered():
    assert "multiclass" in symbolic.names()
    d = symbolic.derive("multiclass")
    methods = {s.method for s in d.steps}
    assert methods <= {"exact", "back-substitution", "sign", "given", "computed"}
    assert sum(s.method in ("exact", "sign") for s in d.steps) >= 30


@pytest.fixture(scope="module")
def D1():
    K = sp.Symbol("K", positive=True)
    e = first_order_starvation(K)
    return e, K


@pytest.mark.parametrize("Kv, lam", [(3, 0.1), (3, 1e-3), (5, 10.0), (4, 1.0), (10, 3.0)])
def test_first_order_coefficient_matches_numerics(D1, Kv, lam):
    e, K = D1
    s = (36.0, 4.0)
    # the uncoupled root lies in (0, 1/K): bracketed solve (real by construction)
    r = [float(mp.findroot(lambda q, sv=sv: mp.log((1 - (Kv - 1) * q) / q)
                           - sv / lam * Kv * q, (mp.mpf("1e-30"), mp.mpf(1) / Kv),
                           solver="anderson")) for sv in s]
    sym = float(sp.re(sp.N(e["D1"].subs({K: Kv, sp.Symbol("lambda", positive=True): lam,
                                         e["s1"]: s[0], e["s2"]: s[1], e["r1"]: r[0],
                                         e["r2"]: r[1]}))))
    def odd(h):   # odd part of S(delta) / delta: D1 + O(h^2)
        up = starvation_matrix(coupled_pair(list(s), h, Kv), lam)[0, 1]
        dn = starvation_matrix(coupled_pair(list(s), -h, Kv), lam)[0, 1]
        return (up - dn) / (2 * h)
    num = (4 * odd(5e-5) - odd(1e-4)) / 3      # Richardson: error O(h^4)
    assert np.sign(num) == np.sign(sym)
    assert abs(num - sym) <= 1e-5 * abs(sym)
