"""The public testing helpers (gstheory.testing): strategies draw valid objects, oracles
accept the theory's answers and reject perturbed ones."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings

from gstheory.fixed_points import solve_fixed_point
from gstheory.penalties import Ridge, SpectralDecoupling
from gstheory.sensitivity import starvation_matrix
from gstheory.spectrum import Spectrum
from gstheory.testing import (
    assert_dual_fixed_point,
    assert_starvation_sign,
    couplings,
    lams,
    penalties,
    spectra,
)


@given(spectra(3, coupling="skew"), lams())
def test_dual_fixed_point_oracle_accepts_and_rejects(sp, lam):
    z = solve_fixed_point(sp, Ridge(lam)).z
    assert_dual_fixed_point(z, sp, Ridge(lam))
    bad = z.copy()
    k = int(np.argmax(np.abs(z)))
    bad[k] *= 1 + 1e-4
    with pytest.raises(AssertionError, match=f"z\\[{k}\\]"):
        assert_dual_fixed_point(bad, sp, Ridge(lam))


@given(spectra(2, coupling="delta"), lams(1e-2, 1.0))
def test_starvation_sign_oracle_rejects_the_wrong_sign(sp, lam):
    d = float(starvation_matrix(sp, Ridge(lam))[0, 1])
    if d == 0.0:
        return
    assert assert_starvation_sign(sp, Ridge(lam), 0, 1, d * 1e-3, 1e-3) == d
    with pytest.raises(AssertionError, match="signs differ"):
        assert_starvation_sign(sp, Ridge(lam), 0, 1, -d * 1e-3, 1e-3)


@settings(max_examples=10)
@given(couplings(4, "skew"), penalties(4))
def test_couplings_are_orthogonal_and_penalties_valid(U, pen):
    np.testing.assert_allclose(U.T @ U, np.eye(4), atol=1e-12)
    assert isinstance(pen, (Ridge, SpectralDecoupling))
    solve_fixed_point(Spectrum(U, np.array([4.0, 3.0, 2.0, 1.0])), pen)


def test_networks_strategy_imports_torch_lazily():
    code = ("import sys, gstheory, gstheory.testing as t; "
            "assert 'torch' not in sys.modules; s = t.networks(); "
            "assert 'torch' not in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "ok"


def test_docs_claims_examples_run():
    """Every ```python block of docs/claims.md runs (the worked example is a test)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "claims.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert blocks
    ns: dict = {}
    for b in blocks:
        exec(compile(b, "docs/claims.md", "exec"), ns)
