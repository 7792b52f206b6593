"""The one damped-Newton engine (gstheory/solvers/newton.py) in both number contexts."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gstheory.contexts import MP
from gstheory.dynamics import EXACT, TAYLOR
from gstheory.penalties import Ridge, SpectralDecoupling
from gstheory.solvers import (
    STATUSES,
    Status,
    batch_system,
    mp_system,
    newton,
    solve_fixed_point,
    solve_fixed_point_mp,
    solve_fixed_points,
)

from ..strategies import examples, lams, spectra

DPS = 40


def findroot_reference(sp, pen, dyn, x0):
    """The fixed point by mpmath.findroot (multidimensional Newton, an independent
    library solver) on F(x) = -x - c - M g(x) at DPS digits."""
    with mp.workdps(DPS):
        M, c = mp_system(sp.U.tolist(), list(sp.s2), pen, dyn)
        n = sp.n

        def F(*x):
            a = [dyn.from_coords(MP.asarray([list(x)]), MP)[0][0, k] for k in range(n)]
            return [-x[i] - c[0, i] - mp.fsum(M[0, i, j] * a[j] for j in range(n))
                    for i in range(n)]
        root = mp.findroot(F, [mp.mpf(v) for v in x0], tol=mp.mpf(10) ** (-(DPS - 8)))
        x = [root[k] for k in range(n)] if n > 1 else [root]
        return [dyn.from_coords(MP.asarray([[v]]), MP)[0][0, 0] for v in x]


@settings(max_examples=examples(10))
@given(sp=spectra(st.integers(1, 4)), lam=lams(1e-2, 1e2), sd=st.booleans(),
       dyn=st.sampled_from([EXACT, TAYLOR]))
def test_mpmath_engine_matches_mpmath_findroot(sp, lam, sd, dyn):
    pen = SpectralDecoupling(lam) if sd else Ridge(lam)
    fp = solve_fixed_point_mp(sp, pen, dyn, DPS)
    assert fp.converged and fp.status is Status.SUCCESSFUL
    ref = findroot_reference(sp, pen, dyn, dyn.to_coords(solve_fixed_point(sp, pen, dyn).alpha))
    with mp.workdps(DPS):
        for a, r in zip(fp.alpha, ref, strict=True):
            assert abs(a - r) <= mp.mpf(10) ** (-(DPS - 12)) * abs(r)


def test_status_says_why_newton_stopped():
    sp_U, s2 = np.eye(2), np.array([[1e3, 1e-2]])
    few = solve_fixed_points(sp_U, s2, 1e-4, Ridge, EXACT, max_iter=1)
    assert not few.converged[0] and few.status(0) is Status.MAX_ITER_REACHED
    assert few[0].status.value == "Newton reached max_iter before the residual fell below tol"
    ok = solve_fixed_points(sp_U, s2, 1e-4, Ridge, EXACT)
    assert ok.converged[0] and ok[0].status is Status.SUCCESSFUL and ok[0].converged
    assert Status.SUCCESSFUL.value == "" and all(s.value for s in STATUSES[1:])


def test_engine_runs_the_same_iteration_in_both_contexts():
    bs = batch_system(np.eye(2), [36.0, 4.0], 0.01, Ridge, EXACT, None)
    r64 = newton(bs.M, bs.c, EXACT, max_iter=3, tol=1e-300)
    with mp.workdps(30):
        M = MP.asarray(bs.M.tolist())
        c = MP.asarray(bs.c.tolist())
        x0 = MP.asarray(newton(bs.M, bs.c, EXACT, max_iter=1, tol=1e300).x.tolist())
        rmp = newton(M, c, EXACT, x0, max_iter=3, tol=mp.mpf(10) ** -300, ctx=MP)
    assert np.array_equal(r64.iterations, rmp.iterations)
    assert np.allclose(r64.x, np.array(rmp.x, dtype=float), rtol=1e-13)


@pytest.mark.parametrize("penalty", ["ridge", Ridge, Ridge(0.3)])
def test_batched_api_takes_the_penalty_types(penalty):
    lam = None if isinstance(penalty, Ridge) else 0.3
    got = solve_fixed_points(np.eye(2), [4.0, 1.0], lam, penalty, "taylor")
    ref = solve_fixed_points(np.eye(2), [4.0, 1.0], 0.3, "ridge", TAYLOR)
    assert np.array_equal(got.alpha, ref.alpha) and got.penalty == "ridge"
    sd = solve_fixed_points(np.eye(2), [4.0, 1.0], None, SpectralDecoupling(0.3, 0.5))
    sd_ref = solve_fixed_points(np.eye(2), [4.0, 1.0], 0.3, "sd", "exact", 0.5)
    assert np.array_equal(sd.alpha, sd_ref.alpha) and sd.penalty == "sd"
    with pytest.raises(ValueError, match="lam"):
        solve_fixed_points(np.eye(2), [4.0, 1.0], 0.3, Ridge(0.3))


def test_docstring_examples_run():
    import doctest
    import importlib

    for name in ("closed_forms", "lambert", "mp", "newton", "results", "solve"):
        module = importlib.import_module(f"gstheory.solvers.{name}")
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
