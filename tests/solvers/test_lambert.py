"""W(e^L) and log W(e^L) from scipy.special.wrightomega (gstheory/solvers/lambert.py)."""

from __future__ import annotations

import mpmath as mp
import numpy as np

from gstheory.solvers.lambert import lambertw_exp, log_lambertw_exp


def test_lambertw_exp_and_its_log_are_accurate_over_the_whole_range():
    L = np.concatenate([-np.logspace(4, -3, 200), [0.0], np.logspace(-3, 6, 200)])
    w, lw = lambertw_exp(L), log_lambertw_exp(L)
    worst_w = worst_log = 0.0
    with mp.workdps(40):
        for Lk, wk, lwk in zip(L, w, lw, strict=True):
            ref = mp.lambertw(mp.exp(mp.mpf(Lk)))
            if ref > mp.mpf(2.3e-308):       # normal floats: relative error
                worst_w = max(worst_w, float(abs(wk - ref) / ref))
            worst_log = max(worst_log, float(abs(lwk - mp.log(ref)) / abs(mp.log(ref))))
    assert worst_w < 1e-14 and worst_log < 1e-14
