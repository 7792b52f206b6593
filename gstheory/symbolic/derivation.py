r"""The derivation engine: an ordered list of checked steps.

A :class:`Derivation` is built step by step by the modules of :mod:`gstheory.symbolic`.
Each :class:`Step` records

* the **claim**: a SymPy equation (or a sign statement),
* **how it was obtained**: the SymPy operation, in words,
* **how it was verified**, one of

  - ``exact``: ``lhs - rhs`` reduced to zero by a named SymPy simplifier (for matrices,
    entrywise);
  - ``back-substitution``: a solution of ``solve`` substituted back into its equation
    reduces to zero;
  - ``sign``: SymPy's assumption system proves the expression positive (negative) from
    the stated assumptions on its symbols;
  - ``numeric``: used **only** where SymPy cannot simplify: ``lhs - rhs`` evaluated with
    mpmath at 50 significant digits at seeded pseudo-random points of a stated domain,
    and required to vanish to :data:`NUMERIC_TOL` relative to the size of the terms;
  - ``given``: a definition or a hypothesis (the paper's setup), stated, not proven;
  - ``computed``: the output of a SymPy operation recorded as it is, with no separate
    check of its own (the document says what it rests on).

A step whose check fails raises :class:`StepFailed` at once, naming the derivation and
the step: a failing step fails the derivation. Nothing is cached.

Paper: the checks apply to every derivation of Sec. 3 (Eq. 6-18).

Example:
    >>> import sympy as sp
    >>> x = sp.Symbol("x", positive=True)
    >>> d = Derivation("demo", "Demo", "Eq. 0")
    >>> _ = d.step("square", sp.expand((x + 1) ** 2), x**2 + 2 * x + 1, how="expand")
    >>> d.steps[0].method
    'exact'
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy as sp

#: Working precision (significant decimal digits) of numeric checks.
NUMERIC_DPS = 50
#: A numeric check passes when ``|lhs - rhs| <= NUMERIC_TOL * (1 + |lhs| + |rhs|)`` at
#: every point. 1e-35 leaves 15 of the 50 digits for cancellation inside the
#: expressions (Lambert W evaluations and differences of nearly equal terms); a wrong
#: claim differs at O(1) relative size, 35 orders of magnitude above the threshold.
NUMERIC_TOL = mpmath.mpf("1e-35")
#: Default number of random points of a numeric check.
NUMERIC_POINTS = 8

Simplifier = Callable[[sp.Expr], sp.Expr]


class StepFailed(AssertionError):
    """A step's verification failed; the message names derivation, step and reason."""


def _rational_zero(e: sp.Expr) -> sp.Expr:
    """Numerator of ``together(e)``, expanded: zero iff ``e`` is zero as a rational
    function of its atoms (symbols, logs, Lambert W's... are treated as atoms)."""
    return sp.expand(sp.numer(sp.together(e)))


def _lambert_log(e: sp.Expr) -> sp.Expr:
    """``log W(c) -> log c - W(c)`` (``W(c) e^{W(c)} = c``, valid for ``c > 0``), then
    logs expanded and the result reduced as a rational function."""
    def logs(x: sp.Expr) -> sp.Expr:
        return sp.expand_log(sp.expand(x.replace(sp.log, lambda z: sp.log(sp.factor(z)))),
                             force=True)
    e = logs(e).replace(lambda z: isinstance(z, sp.log) and isinstance(z.args[0], sp.LambertW),
                        lambda z: sp.log(z.args[0].args[0]) - z.args[0])
    return _rational_zero(logs(e))


#: Named simplifiers a step may choose; the name is printed in the document.
SIMPLIFIERS: dict[str, Simplifier] = {
    "rational": _rational_zero,
    "rewrite(exp)": lambda e: _rational_zero(sp.powsimp(sp.expand(e.rewrite(sp.exp)))),
    "lambert-log": _lambert_log,
    "cancel(expand(.))": lambda e: sp.cancel(sp.expand(e)),
    "cancel(.)": sp.cancel,
    "expand(.)": sp.expand,
    "trigsimp(.)": lambda e: sp.trigsimp(sp.expand(e)),
    "simplify(.)": sp.simplify,
    "expand_log(., force=True)": lambda e: sp.cancel(sp.expand_log(sp.expand(
        e.replace(sp.log, lambda z: sp.log(sp.factor(z)))), force=True)),
    "powsimp(.)": lambda e: sp.cancel(sp.powsimp(sp.expand(e), force=True)),
    "radsimp(.)": lambda e: sp.cancel(sp.radsimp(sp.expand(e))),
}


@dataclass(frozen=True)
class Step:
    """One checked step of a derivation.

    Arguments:
        title: short name of the step (rendered as a heading).
        claim: the SymPy object shown (an ``Eq``, a matrix equation or an expression).
        how: how it was obtained (the SymPy operation, in words).
        method: ``exact`` | ``back-substitution`` | ``sign`` | ``numeric`` | ``given``.
        verified: how it was verified, in words (simplifier, points, digits...).
        text: optional prose shown before the claim.
        ref: optional paper reference (``Eq. 10``).
    """

    title: str
    claim: Any
    how: str
    method: str
    verified: str
    text: str = ""
    ref: str = ""


@dataclass(frozen=True)
class Result:
    """A boxed final result: ``lhs = rhs`` with a name and where gstheory implements it."""

    name: str
    claim: Any
    implemented_by: tuple[str, ...] = ()


@dataclass
class Derivation:
    """An ordered list of checked steps and the boxed results they establish.

    Arguments:
        name: registry key (``theorem-2``), also the document's file stem.
        title: human title.
        paper_ref: the paper's equation numbers and section (``Eq. 16, Sec. 3.3``).
        intro: prose that opens the document.

    Every ``step``/``solve``/``sign``/``numeric`` call verifies its claim before
    recording it and raises :class:`StepFailed` when the check fails.
    """

    name: str
    title: str
    paper_ref: str
    intro: str = ""
    steps: list[Step] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    implemented_by: list[tuple[str, str]] = field(default_factory=list)

    # -- recording helpers -------------------------------------------------------------
    def _fail(self, title: str, reason: str) -> StepFailed:
        return StepFailed(f"derivation {self.name!r}, step {len(self.steps) + 1} "
                          f"({title}): {reason}")

    def given(self, title: str, claim: Any, *, text: str = "", ref: str = "",
              how: str = "definition / hypothesis of the paper") -> Any:
        """Record a definition or hypothesis (not proven: it is where we start)."""
        self.steps.append(Step(title, claim, how, "given", "stated, not derived", text, ref))
        return claim

    def computed(self, title: str, claim: Any, *, how: str, basis: str, text: str = "",
                 ref: str = "") -> Any:
        """Record the output of a SymPy operation without a separate check.

        ``basis`` says what it rests on (e.g. "the product rule applied to the verified
        step 8"). Use only for quantities that are displayed, not relied on later.
        """
        self.steps.append(Step(title, claim, how, "computed",
                               f"computed, not separately verified ({basis})", text, ref))
        return claim

    def step(self, title: str, lhs: Any, rhs: Any, *, how: str, text: str = "",
             ref: str = "", simplifier: str = "rational",
             show: Any = None) -> Any:
        """Record ``lhs = rhs`` verified exactly: ``simplifier(lhs - rhs) == 0``.

        ``lhs`` is usually the result of a SymPy operation and ``rhs`` the form it is
        claimed to equal (the paper's, or a simpler one). Returns ``rhs``.
        ``show`` replaces the rendered claim (default ``Eq(lhs, rhs)``).
        """
        simp = SIMPLIFIERS[simplifier]
        residual = _residual(lhs, rhs, simp)
        if residual is not None:
            raise self._fail(title, f"{simplifier} of lhs - rhs is {residual}, not 0")
        claim = show if show is not None else _eq(lhs, rhs)
        self.steps.append(Step(title, claim, how, "exact",
                               f"exact: {_simp_text(simplifier)} of the difference of "
                               f"both sides is 0", text, ref))
        return rhs

    def solve(self, title: str, equation: sp.Expr | sp.Eq, var: sp.Symbol, *, how: str,
              pick: Callable[[list[sp.Expr]], sp.Expr] | None = None, text: str = "",
              ref: str = "", simplifier: str = "rational") -> sp.Expr:
        """Solve ``equation`` for ``var`` with ``sympy.solve``; verify by back-substitution.

        ``pick`` chooses among several solutions (default: there must be exactly one).
        Returns the solution.
        """
        eq = equation.lhs - equation.rhs if isinstance(equation, sp.Eq) else equation
        sols = sp.solve(eq, var)
        if pick is not None:
            sol = pick(sols)
        elif len(sols) == 1:
            sol = sols[0]
        else:
            raise self._fail(title, f"solve returned {len(sols)} solutions: {sols}")
        residual = _residual(eq.subs(var, sol), sp.Integer(0), SIMPLIFIERS[simplifier])
        if residual is not None:
            raise self._fail(title, f"back-substitution leaves {residual}")
        self.steps.append(Step(title, sp.Eq(var, sol), how, "back-substitution",
                               f"back-substitution: {_simp_text(simplifier)} of the "
                               f"equation at the solution is 0", text, ref))
        return sol

    def sign(self, title: str, expr: sp.Expr, expected: str, *, how: str,
             text: str = "", ref: str = "", show: Any = None) -> sp.Expr:
        """Record that ``expr`` is ``positive``/``negative``/``nonnegative``, proven by
        SymPy's assumptions (``expr.is_positive`` etc. must be ``True``)."""
        attr = {"positive": "is_positive", "negative": "is_negative",
                "nonnegative": "is_nonnegative", "nonpositive": "is_nonpositive",
                "zero": "is_zero"}[expected]
        verdict = getattr(sp.factor(expr), attr)
        if verdict is not True:
            verdict = getattr(expr, attr)
        if verdict is not True:
            raise self._fail(title, f"SymPy's assumptions do not prove {expr} "
                                    f"{expected} (got {verdict})")
        rel = {"positive": sp.StrictGreaterThan, "negative": sp.StrictLessThan,
               "nonnegative": sp.GreaterThan, "nonpositive": sp.LessThan,
               "zero": sp.Eq}[expected]
        claim = show if show is not None else rel(expr, 0, evaluate=False)
        self.steps.append(Step(title, claim, how, "sign",
                               f"sign: SymPy's assumption system proves the expression "
                               f"{expected} from the symbols' assumptions "
                               f"({_assumption_text(expr)})", text, ref))
        return expr

    def numeric(self, title: str, lhs: Any, rhs: Any, domain: Mapping[sp.Symbol,
                tuple[float, float]], *, how: str, why: str, text: str = "",
                ref: str = "", points: int = NUMERIC_POINTS, show: Any = None) -> Any:
        """Record ``lhs = rhs`` verified numerically (only where SymPy cannot simplify).

        Both sides are evaluated with mpmath at :data:`NUMERIC_DPS` digits at ``points``
        pseudo-random points drawn uniformly from ``domain`` (symbol -> (lo, hi)), with a
        seed derived from the derivation and step names (deterministic). ``why`` says
        why SymPy's exact simplification was not used. Returns ``rhs``.
        """
        syms = sorted(domain, key=lambda s: s.name)
        free = (_free(lhs) | _free(rhs)) - set(syms)
        if free:
            raise self._fail(title, f"numeric check: no domain for {sorted(map(str, free))}")
        seed = int.from_bytes(hashlib.sha256(f"{self.name}/{title}".encode()).digest()[:8],
                              "big")
        rng = random.Random(seed)
        worst = mpmath.mpf(0)
        with mpmath.workdps(NUMERIC_DPS):
            f = sp.lambdify(syms, _as_matrix(lhs) - _as_matrix(rhs), modules="mpmath")
            g = sp.lambdify(syms, _as_matrix(lhs), modules="mpmath")
            h = sp.lambdify(syms, _as_matrix(rhs), modules="mpmath")
            for _ in range(points):
                pt = [mpmath.mpf(lo) + (mpmath.mpf(hi) - mpmath.mpf(lo))
                      * mpmath.mpf(rng.random()) for lo, hi in (domain[s] for s in syms)]
                diff, a, b = f(*pt), g(*pt), h(*pt)
                for dv, av, bv in zip(_entries(diff), _entries(a), _entries(b)):
                    err = abs(dv) / (1 + abs(av) + abs(bv))
                    if not mpmath.isfinite(err) or err > NUMERIC_TOL:
                        raise self._fail(title, f"numeric check failed at "
                                                f"{dict(zip(map(str, syms), map(float, pt)))}"
                                                f": relative difference {float(err):.3g}")
                    worst = max(worst, err)
        dom = ", ".join(f"${sp.latex(s)} \\in [{_num(lo)}, {_num(hi)}]$"
                        for s, (lo, hi) in ((s, domain[s]) for s in syms))
        claim = show if show is not None else _eq(lhs, rhs)
        self.steps.append(Step(title, claim, how, "numeric",
                               f"**numeric check** (SymPy could not simplify: {why}): "
                               f"both sides agree to a relative {_num(float(NUMERIC_TOL))} "
                               f"at {points} seeded random points, {NUMERIC_DPS} digits "
                               f"(mpmath), over {dom}", text, ref))
        return rhs

    def note(self, text: str) -> None:
        """A paragraph of prose after the steps (e.g. a caveat)."""
        self.notes.append(text)

    def result(self, name: str, claim: Any, implemented_by: Sequence[str] = ()) -> None:
        """A boxed final result (must be something a step above established)."""
        self.results.append(Result(name, claim, tuple(implemented_by)))

    def implements(self, function: str, what: str) -> None:
        """Name a numeric function of gstheory that implements a result."""
        self.implemented_by.append((function, what))


class Tex(sp.Symbol):
    """A display-only symbol whose name is printed verbatim as LaTeX (no mangling of
    underscores); used for the paper's matrix notation in rendered claims."""

    def _latex(self, printer: Any) -> str:
        return self.name


# -- helpers ---------------------------------------------------------------------------
def eq(lhs: Any, rhs: Any) -> Any:
    """An unevaluated ``Eq`` (also between a symbol and a matrix) for display."""
    return _eq(lhs, rhs)


def _eq(lhs: Any, rhs: Any) -> Any:
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        lhs = sp.ImmutableMatrix(lhs) if isinstance(lhs, sp.MatrixBase) else lhs
        rhs = sp.ImmutableMatrix(rhs) if isinstance(rhs, sp.MatrixBase) else rhs
    return sp.Eq(lhs, rhs, evaluate=False)


def _as_matrix(x: Any) -> Any:
    return sp.ImmutableMatrix(x) if isinstance(x, sp.MatrixBase) else sp.sympify(x)


def _entries(v: Any) -> list:
    if hasattr(v, "tolist"):
        return [e for row in v.tolist() for e in row]
    return [v]


def _free(x: Any) -> set:
    return set(sp.sympify(x).free_symbols) if not isinstance(x, sp.MatrixBase) \
        else set(x.free_symbols)


def _residual(lhs: Any, rhs: Any, simp: Simplifier) -> Any:
    """None when ``simp(lhs - rhs)`` is zero (entrywise), else the nonzero residual."""
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        L, R = sp.Matrix(lhs), sp.Matrix(rhs)
        if L.shape != R.shape:
            return f"shape mismatch {L.shape} vs {R.shape}"
        for a, b in zip(L, R):
            if a == b:  # structurally identical (also covers oo == oo)
                continue
            r = simp(a - b)
            if r != 0:
                return r
        return None
    if sp.sympify(lhs) == sp.sympify(rhs):
        return None
    r = simp(sp.sympify(lhs) - sp.sympify(rhs))
    return None if r == 0 else r


def _simp_text(name: str) -> str:
    if name == "lambert-log":
        return ("`expand_log` after $\\log W(c) = \\log c - W(c)$ (the definition "
                "$W(c)e^{W(c)} = c$, $c > 0$), then a rational-function identity")
    if name == "rational":
        return "the expanded numerator of `together(.)` (a rational-function identity)"
    return f"`{name}`"


def _num(x: float) -> str:
    return f"{x:g}"


def _assumption_text(expr: sp.Expr) -> str:
    parts = []
    for s in sorted(expr.free_symbols, key=lambda s: s.name):
        a = [k for k in ("positive", "negative", "nonpositive", "nonnegative", "real")
             if s.assumptions0.get(k)]
        parts.append(f"${sp.latex(s)}$ {a[0] if a else 'unrestricted'}")
    return ", ".join(parts) if parts else "a constant"
