"""The mutation suite: every wrong claim of every derivation must be rejected by the engine.

For every derivation of :mod:`gstheory.symbolic`:

* every checked step is re-checked (:attr:`Step.check`, the very check that accepted
  it) with its claim mutated: a flipped sign, a wrong factor (x 2) and a dropped term
  (the first term of a sum or factor of a product left out; ``0`` becomes ``1``); a sign
  step is mutated by the flip only (twice a positive expression is still positive: not a
  wrong claim). A mutation that leaves the claim unchanged is not counted;
* every boxed result is mutated at the box (the engine accepts a box only if it is the
  checked claim of the step it cites);
* end to end, a few derivations are re-run with a mutation injected by the hook
  :func:`gstheory.symbolic.derivation.mutation` (the load-bearing steps and the boxed
  signs), and the run must fail.

``test_every_mutation_is_caught`` asserts caught == total and prints the count.
"""

from __future__ import annotations

import copy

import pytest
import sympy as sp

from gstheory import symbolic
from gstheory.symbolic.derivation import Step, StepFailed, mutation


def _flip(e):
    return -e if e != 0 else sp.Integer(1)


def _double(e):
    return 2 * e if e != 0 else sp.Integer(2)


def _drop(e):
    if isinstance(e, (sp.Add, sp.Mul, sp.MatAdd, sp.MatMul)) and len(e.args) > 1:
        k = next(i for i, a in enumerate(e.args) if a != 1)  # a factor 1 is no term
        return e.func(*(e.args[:k] + e.args[k + 1:]))
    return e + 1 if not isinstance(e, sp.MatrixExpr) else 2 * e


MUTATORS = {"flipped sign": _flip, "wrong factor": _double, "dropped term": _drop}


def _entrywise(fn):
    """Apply a scalar mutator to the first nonzero entry of an explicit matrix."""
    def apply(v):
        if isinstance(v, sp.MatrixBase):
            M = sp.Matrix(v)
            k = next((i for i, e in enumerate(M) if e != 0), 0)
            M[k] = fn(M[k])
            return M
        return fn(v)
    return apply


def _flip_claim(c):
    """A boxed claim with its right-hand side's sign flipped (a relation keeps its kind)."""
    if isinstance(c, sp.Rel) or hasattr(c, "rhs"):
        return c.func(c.lhs, _entrywise(_flip)(c.rhs), evaluate=False)
    return _flip(c)


def mutations(step: Step) -> list[tuple[str, object]]:
    """The (name, mutated claim) pairs of a checked step; unchanged ones left out."""
    names = ["flipped sign"] if step.fact is not None and step.method == "sign" \
        and step.pair is None and not step.title.startswith("Sign") else list(MUTATORS)
    out = []
    for name in names:
        mutated = _entrywise(MUTATORS[name])(step.value)
        if mutated != step.value:  # structurally different: a different claim
            out.append((name, mutated))
    return out


@pytest.fixture(scope="module")
def derivations():
    return {name: symbolic.derive(name) for name in symbolic.names()}


def test_every_mutation_is_caught(derivations, capsys):
    caught, total, missed = 0, 0, []
    for name, d in derivations.items():
        for step in d.steps:
            if step.check is None:
                continue
            for what, mutated in mutations(step):
                total += 1
                try:
                    step.check(mutated)
                except StepFailed:
                    caught += 1
                else:
                    missed.append(f"{name} / {step.title}: {what}")
        for r in d.results:
            total += 1
            box = copy.copy(d)
            box.results = []
            with mutation(name, r.name, _flip_claim) as m:
                try:
                    box.result(r.name, r.step)
                except StepFailed:
                    caught += 1
                else:
                    missed.append(f"{name} / result {r.name}")
            assert m.applied == 1
    with capsys.disabled():
        print(f"\nmutation suite: {caught}/{total} mutations caught")
    assert not missed, missed
    assert caught == total and total > 300


# (derivation, claim) pairs re-run end to end with the hook; the cheap derivations and the
# load-bearing claims of the all-orders proof
END_TO_END = [
    ("variational-bound", "Stationarity"),
    ("variational-bound", "Variational bound (Eq. 6)"),
    ("lambert-w-fixed-points", "Scalar fixed point"),
    ("lemma-1", "One Newton step equals Eq. 14"),
    ("theorem-2-all-orders", "Difference lemma (Eq. 10)"),
    ("theorem-2-all-orders", "Sign of the starvation (Eq. 10)"),
]


@pytest.mark.parametrize(("name", "target"), END_TO_END)
def test_a_mutated_rerun_fails(name, target):
    with mutation(name, target, _flip_claim) as m, pytest.raises(StepFailed):
        symbolic.derive(name)
    assert m.applied >= 1


def test_the_hook_is_inert_without_a_mutation_and_for_another_derivation():
    with mutation("another-derivation", "Stationarity", _flip) as m:
        d = symbolic.derive("variational-bound")
    assert m.applied == 0 and d.results


def test_every_derivation_has_mutable_steps(derivations):
    for name, d in derivations.items():
        checked = [s for s in d.steps if s.check is not None]
        assert len(checked) >= 3, name
        assert all(r.step for r in d.results), name
