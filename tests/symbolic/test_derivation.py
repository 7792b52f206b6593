"""The step-checking engine itself: correct claims pass, wrong ones fail, loudly."""

from __future__ import annotations

import pytest
import sympy as sp

from gstheory.symbolic.derivation import NUMERIC_POINTS, Derivation, StepFailed

x = sp.Symbol("x", positive=True)
y = sp.Symbol("y", real=True)


def fresh() -> Derivation:
    return Derivation("demo", "Demo", "Eq. 0")


def test_exact_step_accepts_identity_and_rejects_a_sign_flip():
    d = fresh()
    d.step("square", sp.expand((x + 1) ** 2), x**2 + 2 * x + 1, how="expand")
    assert d.steps[-1].method == "exact"
    with pytest.raises(StepFailed, match=r"'demo', step 2 \(flipped\)"):
        d.step("flipped", sp.expand((x + 1) ** 2), x**2 - 2 * x + 1, how="expand")
    assert len(d.steps) == 1  # the failing step was not recorded


def test_exact_step_on_matrices_checks_every_entry():
    d = fresh()
    M = sp.Matrix([[x, 1], [2, x**2]])
    d.step("matrix ok", M * 2, sp.Matrix([[2 * x, 2], [4, 2 * x**2]]), how="scale")
    with pytest.raises(StepFailed, match="lhs - rhs"):
        d.step("one entry off", M * 2, sp.Matrix([[2 * x, 2], [4, 2 * x**2 + 1]]),
               how="scale")
    with pytest.raises(StepFailed, match="shape mismatch"):
        d.step("shape", M, sp.Matrix([x, 1]), how="none")


def test_solve_is_verified_by_back_substitution():
    d = fresh()
    sol = d.solve("linear", 3 * y - 6, y, how="solve")
    assert sol == 2 and d.steps[-1].method == "back-substitution"
    with pytest.raises(StepFailed, match="solutions"):
        d.solve("two roots", y**2 - 1, y, how="solve")
    d2 = fresh()
    chosen = d2.solve("pick", y**2 - 1, y, how="solve", pick=lambda s: max(s))
    assert chosen == 1
    # a "solution" that is not one is caught by the back-substitution
    with pytest.raises(StepFailed, match="back-substitution leaves"):
        d2.solve("bad pick", y**2 - 1, y, how="solve", pick=lambda s: max(s) + 1)


def test_sign_needs_a_proof_from_the_assumptions():
    d = fresh()
    d.sign("positive", x**2 + x + 1, "positive", how="is_positive")
    with pytest.raises(StepFailed, match="do not prove"):
        d.sign("not provable", y + 1, "positive", how="is_positive")
    with pytest.raises(StepFailed, match="do not prove"):
        d.sign("false", -x, "positive", how="is_positive")


def test_numeric_check_passes_where_sympy_cannot_simplify_and_catches_tiny_errors():
    d = fresh()
    w = sp.LambertW(x * sp.exp(x))  # = x for x > 0, which SymPy does not simplify
    assert sp.simplify(w - x) != 0
    d.numeric("W(x e^x) = x", w, x, {x: (0.1, 5.0)}, how="definition of W",
              why="SymPy does not simplify W(x e^x)")
    step = d.steps[-1]
    assert step.method == "numeric" and "numeric check" in step.verified
    assert f"{NUMERIC_POINTS} seeded random points" in step.verified
    # a relative error of 1e-20 is far above the 1e-35 threshold: caught
    with pytest.raises(StepFailed, match="numeric check failed"):
        d.numeric("off by 1e-20", w, x * (1 + sp.Rational(1, 10**20)), {x: (0.1, 5.0)},
                  how="none", why="test")


def test_numeric_check_is_deterministic_and_needs_a_full_domain():
    a, b = fresh(), fresh()
    for d in (a, b):
        d.numeric("exp-log", sp.exp(sp.log(x)), x, {x: (1.0, 2.0)}, how="h", why="w")
    assert a.steps[-1] == b.steps[-1]
    with pytest.raises(StepFailed, match="no domain"):
        fresh().numeric("missing", x + y, y + x, {x: (1.0, 2.0)}, how="h", why="w")


def test_computed_and_given_are_labelled_as_unchecked():
    d = fresh()
    d.given("hyp", sp.Eq(x, 1))
    d.computed("shown", sp.Eq(y, 2), how="subs", basis="step 1")
    assert [s.method for s in d.steps] == ["given", "computed"]
    assert "not separately verified (step 1)" in d.steps[-1].verified
