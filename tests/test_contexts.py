"""The number contexts (gstheory/contexts.py): float64 and mpmath do the same operations."""

from __future__ import annotations

import mpmath as mp
import numpy as np

from gstheory.contexts import FLOAT, MP


def test_operations_agree_between_contexts():
    rng = np.random.default_rng(0)
    x = rng.uniform(-50, 50, size=(3, 4))
    J = rng.standard_normal((3, 4, 4)) + 4 * np.eye(4)
    with mp.workdps(40):
        xm, Jm = MP.asarray(x.tolist()), MP.asarray(J.tolist())
        for name in ("exp", "log1p", "expit", "log_expit", "softplus"):
            arg = np.abs(x) if name == "log1p" else x
            argm = MP.asarray(arg.tolist())
            ref = np.array(getattr(MP, name)(argm), dtype=float)
            assert np.allclose(getattr(FLOAT, name)(arg), ref, rtol=1e-13, atol=0), name
        assert np.allclose(FLOAT.solve(J, x), np.array(MP.solve(Jm, xm), dtype=float),
                           rtol=1e-12)
        assert np.allclose(FLOAT.norm(x), np.array(MP.norm(xm), dtype=float), rtol=1e-14)
        assert np.all(MP.isfinite(xm)) and MP.eps < 1e-39


def test_softplus_and_expit_do_not_overflow():
    x = np.array([-1e308, -800.0, 0.0, 800.0, 1e308])
    assert np.all(np.isfinite(FLOAT.softplus(x))) and np.all(np.isfinite(FLOAT.expit(x)))
    assert FLOAT.softplus(np.array([800.0]))[0] == 800.0


def test_docstring_examples_run():
    import doctest

    import gstheory.contexts as module
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
