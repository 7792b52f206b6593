"""Deliberately wrong versions of the paper's statements must be caught by the steps.

Each derivation compares what SymPy derives with the paper's statement (module-level
``paper_*`` functions). Replacing one of them by a wrong variant must make the derivation
fail at the step that compares them, naming it.
"""

from __future__ import annotations

import pytest
import sympy as sp

from gstheory.symbolic import decoupling, dynamics, lambert, lemma1, starvation
from gstheory.symbolic.common import lam
from gstheory.symbolic.derivation import StepFailed


def test_flipped_sign_in_eq10_is_caught(monkeypatch):
    right = dynamics.paper_eq10
    monkeypatch.setattr(dynamics, "paper_eq10",
                        lambda: dynamics.LOG - dynamics.UM * (dynamics.S2M + lam * sp.Identity(2))
                        * dynamics.UM.T * dynamics.AL / lam)
    with pytest.raises(StepFailed, match=r"Substitution: Eq\. 10"):
        dynamics.derive()
    monkeypatch.setattr(dynamics, "paper_eq10", right)
    assert len(dynamics.derive().steps) > 5


def test_eq10_without_the_lambda_shift_is_caught(monkeypatch):
    # the Taylor term -alpha must be absorbed as + lambda I; dropping it is an error
    monkeypatch.setattr(dynamics, "paper_eq10",
                        lambda: -dynamics.LOG - dynamics.UM * dynamics.S2M * dynamics.UM.T
                        * dynamics.AL / lam)
    with pytest.raises(StepFailed, match=r"Eq\. 10"):
        dynamics.derive()


def test_wrong_eq9_and_wrong_theorem1_jacobian_are_caught(monkeypatch):
    monkeypatch.setattr(dynamics, "paper_eq9",
                        lambda: -dynamics.LOG - dynamics.LOG1M
                        - dynamics.UM * dynamics.S2M * dynamics.UM.T * dynamics.AL / lam)
    with pytest.raises(StepFailed, match=r"Eq\. 9"):
        dynamics.derive()
    monkeypatch.undo()
    monkeypatch.setattr(dynamics, "paper_theorem1_jacobian",
                        lambda: dynamics.DIAG - dynamics.AM)
    with pytest.raises(StepFailed, match="Theorem 1"):
        dynamics.derive()


def test_wrong_lambert_arguments_are_caught(monkeypatch):
    # Eq. 12 with W(s^2/lambda) instead of W(s^2/lambda + 1)
    monkeypatch.setattr(lambert, "paper_eq12",
                        lambda s2, cs: (lam * sp.LambertW(s2 / lam) / (s2 + lam),
                                        s2 * sp.LambertW(s2 / lam) / (s2 + lam) * cs))
    with pytest.raises(StepFailed, match=r"Eq\. 12"):
        lambert.derive()
    monkeypatch.undo()
    monkeypatch.setattr(lambert, "paper_eq13",
                        lambda s2: s2 * sp.LambertW(s2 / lam + 1) / s2)
    with pytest.raises(StepFailed, match=r"Eq\. 13"):
        lambert.derive()


def test_wrong_lemma1_is_caught(monkeypatch):
    def wrong(A, a0):
        M = A + sp.diag(*[1 / x for x in a0])
        return M.LUsolve(sp.Matrix([1 + sp.log(x) for x in a0]))
    monkeypatch.setattr(lemma1, "paper_eq14", wrong)
    with pytest.raises(StepFailed, match="At delta = 0"):
        lemma1.derive()


def test_flipped_theorem2_coefficient_is_caught(monkeypatch):
    right = starvation.lead_hint
    monkeypatch.setattr(starvation, "lead_hint", lambda *a: -right(*a))
    with pytest.raises(StepFailed, match="First-order starvation coefficient"):
        starvation.derive()


def test_theorem2_with_an_off_by_one_factor_is_caught(monkeypatch):
    right = starvation.lead_hint
    # forgetting the lambda/a_2 term of the second factor
    monkeypatch.setattr(starvation, "lead_hint",
                        lambda s1, s2, a1, a2: -s2 * a1 * (1 - a1 / a2)
                        / ((lam + a1 * (s1 + lam)) * (lam + s2)))
    with pytest.raises(StepFailed):
        starvation.derive()
    assert right is not starvation.lead_hint


def test_wrong_sd_dynamics_are_caught(monkeypatch):
    # keeping S^2 (no S^-2): the dynamics would stay coupled
    U, S = sp.MatrixSymbol("U", 2, 2), sp.MatrixSymbol("S", 2, 2)
    monkeypatch.setattr(decoupling, "paper_eq18",
                        lambda: sp.MatrixSymbol("\\log\\frac{1-\\alpha}{\\alpha}", 2, 1)
                        - U * S**2 * U.T * sp.MatrixSymbol("alpha", 2, 1) / lam)
    with pytest.raises(StepFailed, match=r"Eq\. 18"):
        decoupling.derive()
