r"""The derivation engine: an ordered list of checked steps.

A :class:`Derivation` is built step by step by the modules of :mod:`gstheory.symbolic`.
Each :class:`Step` records

* the **claim**: a SymPy object (an ``Eq``, a matrix equation, a relation, a sign rule),
  which is what the document displays;
* **how it was obtained**: the SymPy operation, in words;
* **which earlier steps it uses** (cited by title): their *rules* (a definition
  ``symbol := value``, a solved ``x = e``, a named identity) are substituted into an
  identity before it is simplified, and their *sign facts* (a hypothesis or a proven
  sign) let a sign step replace an expression by a symbol of that sign;
* **how it was verified**, one of

  - ``exact``: ``lhs - rhs`` reduced to zero by a named SymPy simplifier (for matrices,
    entrywise; matrix-symbol expressions are made explicit through cited definitions);
    forced log simplifiers split a log only into factors proven positive;
  - ``back-substitution``: a solution of ``solve`` substituted back reduces to zero;
  - ``sign``: SymPy's assumption system proves the sign, after the cited facts are
    substituted; also the sign rules (:meth:`Derivation.sign_rule`), case analyses
    (:meth:`Derivation.same_sign`) and divided differences of increasing functions
    (:meth:`Derivation.divided_difference`);
  - ``numeric``: used **only** where SymPy cannot simplify: ``lhs - rhs`` evaluated with
    mpmath at 50 significant digits at seeded pseudo-random points of a stated domain,
    and required to vanish to :data:`NUMERIC_TOL` relative to the size of the terms;
  - ``given``: a definition or a hypothesis, stated, not proven;
  - ``computed``: the output of a SymPy operation recorded as it is, with no separate
    check of its own (the document says what it rests on).

A step whose check fails raises :class:`StepFailed` at once, naming the derivation and
the step. Every checked step keeps its check (:attr:`Step.check`) and the checked value
(:attr:`Step.value`), so a test can re-check it with a wrong claim; :func:`mutation`
injects a wrong claim into a re-run. Boxed results (:meth:`Derivation.result`) must be
the claim of a step. Nothing is cached.

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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
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
    """A step's verification failed; the message names derivation, step and reason.

    Paper: none (infrastructure).
    """


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


#: simplifiers that apply identities valid only for positive arguments (``force=True``);
#: the engine first proves every log argument / power base positive
FORCED = frozenset({"expand_log(., force=True)", "lambert-log", "powsimp(.)"})


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

    Paper: none (infrastructure).
    """

    title: str
    claim: Any
    how: str
    method: str
    verified: str
    text: str = ""
    ref: str = ""
    uses: tuple[str, ...] = ()
    fact: tuple[Any, str] | None = None
    rule: dict | None = None
    pair: tuple[Any, Any] | None = None
    check: Callable[[Any], None] | None = field(default=None, compare=False, repr=False)
    value: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Result:
    """A boxed final result: the claim of the step ``step`` (its title), rendered from the
    checked object, with a name and where gstheory implements it.

    Paper: none (infrastructure).
    """

    name: str
    claim: Any
    implemented_by: tuple[str, ...] = ()
    step: str = ""


class Mutation:
    """A mutation injected into one named claim while a derivation is re-run.

    Made by :func:`mutation`; ``applied`` counts how often the hook fired (a mutation that
    never fired would make a vacuous test).

    Paper: none (infrastructure).
    """

    def __init__(self, derivation: str, target: str, fn: Callable[[Any], Any]) -> None:
        self.derivation, self.target, self.fn, self.applied = derivation, target, fn, 0


_MUTATION: Mutation | None = None


@contextmanager
def mutation(derivation: str, target: str, fn: Callable[[Any], Any]) -> Iterator[Mutation]:
    """Re-run a derivation with ``fn`` applied to the claim named ``target``.

    ``target`` is a step title (the mutated object is what the step claims: the rhs of
    an identity, the solution of a solve, the expression of a sign step, the product of
    a sign rule, the matrix of a symmetry step, the derivative of a divided difference)
    or the name of a boxed result. The engine must then reject the derivation.

    Example:
        >>> import sympy as sp
        >>> x = sp.Symbol("x", positive=True)
        >>> def build():
        ...     d = Derivation("demo", "Demo", "Eq. 0")
        ...     d.step("square", sp.expand((x + 1) ** 2), x**2 + 2 * x + 1, how="expand")
        >>> with mutation("demo", "square", lambda e: -e) as m:
        ...     try:
        ...         build()
        ...     except StepFailed:
        ...         print("rejected", m.applied)
        rejected 1

    Paper: none (infrastructure).
    """
    global _MUTATION
    previous, _MUTATION = _MUTATION, Mutation(derivation, target, fn)
    try:
        yield _MUTATION
    finally:
        _MUTATION = previous


#: order in which fact-substitutions are tried: larger expressions first
def _size(e: Any) -> int:
    return int(sp.count_ops(e)) + len(sp.sympify(e).free_symbols)


_SIGN_ATTR = {"positive": "is_positive", "negative": "is_negative",
              "nonnegative": "is_nonnegative", "nonpositive": "is_nonpositive",
              "zero": "is_zero"}
_SIGN_REL = {"positive": sp.StrictGreaterThan, "negative": sp.StrictLessThan,
             "nonnegative": sp.GreaterThan, "nonpositive": sp.LessThan, "zero": sp.Eq}


@dataclass
class Derivation:
    """An ordered list of checked steps and the boxed results they establish.

    Arguments:
        name: registry key (``theorem-2``), also the document's file stem.
        title: human title.
        paper_ref: the paper's equation numbers and section (``Eq. 16, Sec. 3.3``).
        intro: prose that opens the document.

    Every ``step``/``solve``/``sign``/``numeric``/``sign_rule``/``same_sign``/
    ``divided_difference``/``swap_symmetry`` call verifies its claim before recording it
    and raises :class:`StepFailed` when the check fails. A step may cite earlier steps by
    title (``uses=``): a cited *definition* or solve ``x = e`` is substituted into an
    identity before it is simplified; a cited *sign fact* (hypothesis or proven sign)
    lets a sign step replace that expression by a symbol of that sign. Each recorded step
    keeps its check (:attr:`Step.check`), so a test can re-check it with a wrong claim.

    Paper: none (infrastructure).
    """

    name: str
    title: str
    paper_ref: str
    intro: str = ""
    steps: list[Step] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    implemented_by: list[tuple[str, str]] = field(default_factory=list)
    reading: str = ""
    key_steps: list[str] = field(default_factory=list)

    # -- bookkeeping ---------------------------------------------------------------------
    def _fail(self, title: str, reason: str) -> StepFailed:
        return StepFailed(f"derivation {self.name!r}, step {len(self.steps) + 1} "
                          f"({title}): {reason}")

    def _mutate(self, target: str, value: Any) -> Any:
        m = _MUTATION
        if m is not None and m.derivation == self.name and m.target == target:
            m.applied += 1
            return m.fn(value)
        return value

    def index(self, title: str) -> int:
        """1-based number of the step called ``title`` (``KeyError`` when none)."""
        for k, s in enumerate(self.steps, start=1):
            if s.title == title:
                return k
        raise KeyError(title)

    def cite(self, title: str) -> str:
        """``"Step k"`` for the step called ``title``."""
        return f"Step {self.index(title)}"

    def _cited(self, title: str, uses: Sequence[str]) -> list[Step]:
        out = []
        for u in uses:
            try:
                out.append(self.steps[self.index(u) - 1])
            except KeyError:
                raise self._fail(title, f"cites {u!r}, which is not an earlier step") from None
        return out

    def _rules(self, cited: list[Step]) -> dict:
        out: dict = {}
        for s in cited:
            out.update(s.rule or {})
        return out

    def _facts(self, cited: list[Step]) -> list[tuple[Any, str]]:
        return sorted((s.fact for s in cited if s.fact is not None),
                      key=lambda f: -_size(f[0]))

    def _safe_logs(self, title: str, e: Any, facts: Any) -> Any:
        """Split every ``log`` of a product into a sum of logs of its factors, each factor
        first proven positive (or its negative proven positive, the signs collected in a
        coefficient that must be positive), from the symbols' assumptions and the cited
        facts. This is what makes a forced simplifier (``force=True``) sound here."""
        def flist(p: Any) -> tuple[Any, list]:
            try:
                return sp.factor_list(p)
            except sp.PolynomialError:
                return sp.Integer(1), [(p, 1)]

        def split(z: Any) -> Any:
            num, den = sp.fraction(sp.together(z))
            cn, fn = flist(num)
            cd, fd = flist(den)
            coeff = cn / cd
            factors = fn + [(f, -k) for f, k in fd]
            out = sp.Integer(0)
            for f, k in factors:
                if _apply_facts(f, facts).is_positive is True:
                    out += k * sp.log(f)
                elif _apply_facts(-f, facts).is_positive is True:
                    out += k * sp.log(-f)
                    coeff *= (-1) ** k
                else:
                    raise self._fail(title, f"a forced log simplification needs {f} > 0 "
                                            f"(or < 0), which is not proven (cite a sign fact)")
            if not coeff.is_positive:
                raise self._fail(title, f"log of a negative coefficient {coeff} in log({z})")
            return out + sp.log(coeff)
        if isinstance(e, sp.MatrixBase):
            return e.applyfunc(lambda m: self._safe_logs(title, m, facts))
        return sp.sympify(e).replace(sp.log, split)

    def _record(self, step: Step) -> None:
        if any(s.title == step.title for s in self.steps):
            raise self._fail(step.title, "a step of that title exists already")
        self.steps.append(step)

    def _uses_text(self, uses: Sequence[str]) -> str:
        return "; uses " + ", ".join(f"{self.cite(u)} ({u})" for u in uses) if uses else ""

    # -- stated steps --------------------------------------------------------------------
    def given(self, title: str, claim: Any, *, text: str = "", ref: str = "",
              how: str = "definition / hypothesis of the paper") -> Any:
        """Record a definition or hypothesis (not proven: it is where we start)."""
        self._record(Step(title, claim, how, "given", "stated, not derived", text, ref))
        return claim

    def definition(self, title: str, symbol: Any, value: Any = None, *, text: str = "",
                   ref: str = "", how: str = "definition", show: Any = None) -> Any:
        """Record ``symbol := value`` (or a dict of them: a change of variables); a step
        citing it substitutes ``value`` for ``symbol``."""
        rule = dict(symbol) if isinstance(symbol, Mapping) else {symbol: value}
        rule = {k: sp.ImmutableMatrix(v) if isinstance(v, sp.MatrixBase) else v
                for k, v in rule.items()}
        claim = show if show is not None else (
            _eq(symbol, value) if len(rule) == 1 and not isinstance(symbol, Mapping)
            else sp.And(*[_eq(k, v) for k, v in rule.items()], evaluate=False))
        self._record(Step(title, claim, how, "given", "stated (a definition)", text, ref,
                          rule=rule))
        return symbol

    def hypothesis(self, title: str, expr: Any, sign: str, *, text: str = "",
                   ref: str = "", how: str = "hypothesis", show: Any = None) -> Any:
        """Record the hypothesis ``expr`` *sign* 0 (``positive``, ``negative``,
        ``nonnegative``...); a sign step citing it may use it."""
        claim = show if show is not None else _SIGN_REL[sign](expr, 0, evaluate=False)
        self._record(Step(title, claim, how, "given", "stated (a hypothesis)", text, ref,
                          fact=(expr, sign)))
        return expr

    def computed(self, title: str, claim: Any, *, how: str, basis: str, text: str = "",
                 ref: str = "") -> Any:
        """Record the output of a SymPy operation without a separate check.

        ``basis`` says what it rests on (e.g. "the product rule applied to the verified
        step 8"). Use only for quantities that are displayed, not relied on later.
        """
        self._record(Step(title, claim, how, "computed",
                          f"computed, not separately verified ({basis})", text, ref))
        return claim

    # -- checked steps -------------------------------------------------------------------
    def step(self, title: str, lhs: Any, rhs: Any, *, how: str, text: str = "",
             ref: str = "", simplifier: str = "rational", uses: Sequence[str] = (),
             show: Any = None, name: Any = None) -> Any:
        """Record ``lhs = rhs`` verified exactly: ``simplifier(lhs - rhs) == 0``.

        ``lhs`` is usually the result of a SymPy operation and ``rhs`` the form it is
        claimed to equal (the paper's, or a simpler one). Definitions and solved
        equations among the cited steps ``uses`` are substituted into both sides first.
        Returns ``rhs``. ``show`` replaces the rendered claim (default ``Eq(lhs, rhs)``);
        when it is an equation its right-hand side must be ``rhs`` itself, so a document
        never displays anything but the checked object. ``name``: a symbol that denotes
        ``lhs``; the step is shown as ``name = rhs`` and later steps citing it substitute
        ``rhs`` for ``name``.
        """
        simp = SIMPLIFIERS[simplifier]
        cited = self._cited(title, uses)
        rules, facts = self._rules(cited), self._facts(cited)
        rhs = self._mutate(title, rhs)

        def check(candidate: Any) -> None:
            left, right = _subs(lhs, rules), _subs(candidate, rules)
            if simplifier in FORCED:
                left = self._safe_logs(title, left, facts)
                right = self._safe_logs(title, right, facts)
            residual = _residual(left, right, simp)
            if residual is not None:
                raise self._fail(title, f"{simplifier} of lhs - rhs is {_short(residual)}, "
                                        f"not 0")
        check(rhs)
        claim = self._shown(title, show, lhs, rhs) if name is None else _eq(name, rhs)
        self._record(Step(title, claim, how, "exact",
                          f"exact: {_simp_text(simplifier)} of the difference of both sides "
                          f"is 0{self._uses_text(uses)}", text, ref, tuple(uses),
                          rule={name: rhs} if name is not None else None,
                          check=check, value=rhs))
        return rhs

    def _shown(self, title: str, show: Any, lhs: Any, rhs: Any) -> Any:
        if show is None:
            return _eq(lhs, rhs)
        shown = _as_matrix(getattr(show, "rhs", None))
        if shown is None or (shown != _as_matrix(rhs) and shown != _as_matrix(lhs)):
            raise self._fail(title, "the displayed equation's right-hand side is not "
                                    "the checked expression")
        return show

    def solve(self, title: str, equation: sp.Expr | sp.Eq, var: sp.Symbol, *, how: str,
              pick: Callable[[list[sp.Expr]], sp.Expr] | None = None, text: str = "",
              ref: str = "", simplifier: str = "rational",
              uses: Sequence[str] = ()) -> sp.Expr:
        """Solve ``equation`` for ``var`` with ``sympy.solve``; verify by back-substitution.

        ``pick`` chooses among several solutions (default: there must be exactly one).
        The recorded step defines the rule ``var = solution`` for later steps that cite
        it. Returns the solution.
        """
        if isinstance(var, (list, tuple)):
            return self._solve_system(title, equation, list(var), how=how, text=text,
                                      ref=ref, simplifier=simplifier, uses=uses)
        eq_ = equation.lhs - equation.rhs if isinstance(equation, sp.Eq) else equation
        sols = sp.solve(eq_, var)
        if pick is not None:
            sol = pick(sols)
        elif len(sols) == 1:
            sol = sols[0]
        else:
            raise self._fail(title, f"solve returned {len(sols)} solutions: {sols}")
        sol = self._mutate(title, sol)
        simp = SIMPLIFIERS[simplifier]
        facts = self._facts(self._cited(title, uses))

        def check(candidate: Any) -> None:
            at = eq_.subs(var, candidate)
            if simplifier in FORCED:
                at = self._safe_logs(title, at, facts)
            residual = _residual(at, sp.Integer(0), simp)
            if residual is not None:
                raise self._fail(title, f"back-substitution leaves {_short(residual)}")
        check(sol)
        self._record(Step(title, sp.Eq(var, sol), how, "back-substitution",
                          f"back-substitution: {_simp_text(simplifier)} of the equation at "
                          f"the solution is 0{self._uses_text(uses)}", text, ref, tuple(uses),
                          rule={var: sol}, check=check, value=sol))
        return sol

    def _solve_system(self, title: str, equations: Any, vars_: list, *, how: str,
                      text: str, ref: str, simplifier: str, uses: Sequence[str]) -> sp.Matrix:
        """A linear (or any) system: exactly one solution, every equation back-substituted."""
        eqs = [e.lhs - e.rhs if isinstance(e, sp.Eq) else e for e in equations]
        sols = sp.solve(eqs, vars_, dict=True)
        if len(sols) != 1:
            raise self._fail(title, f"solve returned {len(sols)} solutions")
        sol = sp.Matrix([sols[0][v] for v in vars_])
        sol = self._mutate(title, sol)
        simp = SIMPLIFIERS[simplifier]

        def check(candidate: Any) -> None:
            at = dict(zip(vars_, candidate))
            for e in eqs:
                residual = _residual(e.xreplace(at), sp.Integer(0), simp)
                if residual is not None:
                    raise self._fail(title, f"back-substitution leaves {_short(residual)}")
        check(sol)
        self._record(Step(title, _eq(sp.Matrix(vars_), sol), how, "back-substitution",
                          f"back-substitution: {_simp_text(simplifier)} of every equation at "
                          f"the solution is 0{self._uses_text(uses)}", text, ref, tuple(uses),
                          rule=dict(zip(vars_, sol)), check=check, value=sol))
        return sol

    def sign(self, title: str, expr: sp.Expr, expected: str, *, how: str,
             text: str = "", ref: str = "", show: Any = None, uses: Sequence[str] = (),
             via: Any = None) -> sp.Expr:
        """Record that ``expr`` is ``positive``/``negative``/``nonnegative``/...

        Proven by SymPy's assumptions (``is_positive`` etc. must be ``True``). ``via``:
        an equal form (checked as an identity, with the cited definitions substituted)
        whose sign is decided instead. Every cited sign fact (``uses``) replaces its
        expression by a fresh symbol of that sign before the assumptions are asked.
        The recorded step is itself a sign fact that later steps may cite.
        """
        cited = self._cited(title, uses)
        rules, facts = self._rules(cited), self._facts(cited)
        expr = self._mutate(title, expr)
        attr = _SIGN_ATTR[expected]

        def check(candidate: Any) -> None:
            target = candidate
            if via is not None:
                residual = _residual(_subs(candidate, rules), _subs(via, rules),
                                     SIMPLIFIERS["rational"])
                if residual is not None:
                    raise self._fail(title, f"the rewritten form differs by "
                                            f"{_short(residual)}")
                target = via
            target = _apply_facts(target, facts)
            verdict = getattr(sp.factor(target), attr)
            if verdict is not True:
                verdict = getattr(sp.sympify(target), attr)
            if verdict is not True:
                raise self._fail(title, f"SymPy's assumptions do not prove {_short(candidate)} "
                                        f"{expected} (got {verdict})")
        check(expr)
        claim = show if show is not None else _SIGN_REL[expected](expr, 0, evaluate=False)
        via_text = (f" after rewriting it as ${sp.latex(via)}$ (a checked identity)"
                    if via is not None else "")
        self._record(Step(title, claim, how, "sign",
                          f"sign: SymPy's assumption system proves the expression "
                          f"{expected}{via_text} from the symbols' assumptions "
                          f"({_assumption_text(expr)})"
                          + (" and the sign facts of the cited steps" if facts else "")
                          + self._uses_text(uses), text, ref,
                          tuple(uses), fact=(expr, expected), check=check, value=expr))
        return expr

    def divided_difference(self, title: str, link: Callable[[Any], Any], a: Any, b: Any,
                           kappa: sp.Symbol, derivative: Callable[[Any], Any], *, how: str,
                           domain: Sequence[str], text: str = "", ref: str = "",
                           simplifier: str = "rational") -> sp.Symbol:
        r"""Record :math:`\kappa = (f(a) - f(b))/(a - b) > 0` for an increasing ``link``.

        Checked: ``diff(link(x), x) == derivative(x)`` (an identity) and
        ``derivative(x) > 0`` for a generic point ``x`` of the domain, by a sign step whose
        facts are the hypotheses ``domain`` (stated on the symbol ``x`` of
        :data:`DOMAIN_POINT`). Then :math:`\kappa = \int_0^1 f'(b + t(a-b))\,dt` (the
        fundamental theorem of calculus) is an average of positive values: ``kappa`` is
        recorded as a positive fact and as the rule ``kappa = (f(a) - f(b))/(a - b)``.
        """
        cited = self._cited(title, domain)
        facts = self._facts(cited)
        x = DOMAIN_POINT
        fprime = self._mutate(title, derivative(x))

        def check(candidate: Any) -> None:
            residual = _residual(sp.diff(link(x), x), candidate, SIMPLIFIERS[simplifier])
            if residual is not None:
                raise self._fail(title, f"d/dx link(x) differs from the stated derivative "
                                        f"by {_short(residual)}")
            if _apply_facts(candidate, facts).is_positive is not True:
                raise self._fail(title, f"the derivative {_short(candidate)} is not proven "
                                        f"positive on the domain")
        check(fprime)
        tt = sp.Symbol("t")
        claim = sp.And(_eq(kappa, (link(a) - link(b)) / (a - b)),
                       _eq(kappa, sp.Integral(derivative(b + tt * (a - b)), (tt, 0, 1))),
                       sp.StrictGreaterThan(kappa, 0, evaluate=False), evaluate=False)
        self._record(Step(title, claim, how, "sign",
                          f"divided difference: $f'(x) = {sp.latex(fprime)}$ checked by `diff`, "
                          f"and proven positive for every $x$ of the domain "
                          f"({self._uses_text(domain)[7:]}); the fundamental theorem of "
                          f"calculus makes $\\kappa$ an average of $f'$, hence positive",
                          text, ref, tuple(domain), fact=(kappa, "positive"),
                          rule={kappa: (link(a) - link(b)) / (a - b)}, check=check,
                          value=fprime))
        return kappa

    def sign_rule(self, title: str, expr: Any, factors: Sequence[Any], cofactor: Any, *,
                  name: Any, how: str, const: int = -1, uses: Sequence[str] = (),
                  positive: str, same_sign: Mapping[Any, str] | None = None,
                  text: str = "", ref: str = "") -> Any:
        r"""Record :math:`\operatorname{sign}(\text{name}) = \operatorname{sign}(c)
        \prod_i \operatorname{sign}(f_i)`.

        Checked: ``expr == const * prod(factors) * cofactor`` (an identity, with the cited
        definitions substituted) and ``cofactor`` is the expression of the positive fact
        ``positive`` (a step title). ``same_sign`` maps a factor to the title of a
        :meth:`same_sign` step whose first expression is that factor; the rule is then
        stated with the step's second expression. Returns the claimed sign expression.
        """
        cited = self._cited(title, [*list(uses), positive, *list((same_sign or {}).values())])
        rules = self._rules(cited)
        pos = self.steps[self.index(positive) - 1]
        if pos.fact is None or pos.fact[1] != "positive" or \
                _residual(pos.fact[0], cofactor, SIMPLIFIERS["rational"]) is not None:
            raise self._fail(title, f"{positive!r} does not prove the cofactor positive")
        product = sp.Mul(const, *factors, cofactor, evaluate=False)
        product = self._mutate(title, product)

        def check(candidate: Any) -> None:
            residual = _residual(_subs(expr, rules), _subs(candidate, rules),
                                 SIMPLIFIERS["rational"])
            if residual is not None:
                raise self._fail(title, f"expr - const*factors*cofactor is {_short(residual)}")
        check(product)
        shown = []
        for f in factors:
            if same_sign and f in same_sign:
                st_ = self.steps[self.index(same_sign[f]) - 1]
                if st_.pair is None or st_.pair[0] != f:
                    raise self._fail(title, f"{same_sign[f]!r} is not a same-sign step for {f}")
                shown.append(sp.sign(st_.pair[1]))
            else:
                shown.append(sp.sign(f))
        rhs = sp.Mul(*shown, evaluate=False) if const > 0 else \
            sp.Mul(sp.sign(const), *shown, evaluate=False)
        claim = _eq(sp.sign(name), rhs)
        self._record(Step(title, claim, how, "sign",
                          f"sign rule: ${sp.latex(expr)} = {sp.latex(product)}$ checked as an "
                          f"identity, with the cofactor ${sp.latex(cofactor)}$ positive by "
                          f"{self.cite(positive)}"
                          f"{self._uses_text(list(uses) + list((same_sign or {}).values()))}",
                          text, ref, tuple(uses), check=check, value=product))
        return rhs

    def same_sign(self, title: str, f: Any, g: Any, cases: Mapping[str, Sequence[str]], *,
                  how: str, text: str = "", ref: str = "") -> Any:
        r"""Record :math:`\operatorname{sign} f = \operatorname{sign} g`, by cases.

        ``cases`` maps a case hypothesis (a step title; all cases state a sign of the same
        expression and together cover the real line) to the sign steps proving the case:
        either one step proving ``f/g > 0`` or two steps proving ``f`` and ``g`` of one
        strict sign. Each proof must cite its case hypothesis. ``f/g > 0`` leaves the
        points where both vanish, where the signs agree (both 0).
        """
        hyps = self._cited(title, list(cases))
        facts = [h.fact for h in hyps]
        if any(f is None for f in facts) or len({f[0] for f in facts if f}) != 1:
            raise self._fail(title, "the cases must be sign hypotheses on one expression")
        signs = {f[1] for f in facts if f}
        if not any(cover <= signs for cover in ({"negative", "nonnegative"},
                                                {"positive", "nonpositive"},
                                                {"negative", "zero", "positive"})):
            raise self._fail(title, f"the cases {sorted(signs)} do not cover the real line")
        g = self._mutate(title, g)

        def check(candidate: Any) -> None:
            for case, proofs in cases.items():
                steps = self._cited(title, proofs)
                if any(case not in s.uses for s in steps):
                    raise self._fail(title, f"a proof of case {case!r} does not cite it")
                fs = [s.fact for s in steps if s.fact is not None]
                ok = any(sg == "positive" and _residual(e, f / candidate,
                                                        SIMPLIFIERS["rational"]) is None
                         for e, sg in fs)
                for sg in ("positive", "negative"):
                    have = [e for e, s_ in fs if s_ == sg]
                    if any(_residual(e, f, SIMPLIFIERS["rational"]) is None for e in have) and \
                            any(_residual(e, candidate, SIMPLIFIERS["rational"]) is None
                                for e in have):
                        ok = True
                if not ok:
                    raise self._fail(title, f"case {case!r}: no proof that sign({f}) = "
                                            f"sign({_short(candidate)})")
        check(g)
        proofs_text = "; ".join(f"case {self.cite(c)}: " + ", ".join(self.cite(p) for p in ps)
                                for c, ps in cases.items())
        self._record(Step(title, _eq(sp.sign(f), sp.sign(g)), how, "sign",
                          f"same sign, by cases covering the real line ({proofs_text})",
                          text, ref, tuple(cases), pair=(f, g), check=check, value=g))
        return g

    def swap_symmetry(self, title: str, A: sp.Matrix, swap: sp.Matrix, conclusion: Any, *,
                      how: str, uses: Sequence[str] = (), text: str = "",
                      ref: str = "", rule: Mapping[Any, Any] | None = None) -> Any:
        r"""Record "``A`` commutes with the swap ``P``, the fixed point is unique, so it is
        swap-symmetric" (``conclusion``, e.g. ``Eq(alpha_1, alpha_2)``).

        Checked: ``P A P^T == A`` entrywise (with the cited definitions substituted) and
        ``P`` is a permutation matrix. The link function acts entrywise, so
        :math:`F(P\alpha) = PF(\alpha)`: :math:`P\alpha^*` is a fixed point too, and the
        uniqueness (Theorem 1's strict concavity, cited in ``how``) gives
        :math:`P\alpha^* = \alpha^*`.
        """
        rules = self._rules(self._cited(title, uses))
        if sorted(swap) != [0] * (swap.rows * swap.cols - swap.rows) + [1] * swap.rows or \
                swap * swap.T != sp.eye(swap.rows):
            raise self._fail(title, "the swap is not a permutation matrix")
        A = self._mutate(title, A)

        def check(candidate: Any) -> None:
            M = _subs(sp.Matrix(candidate), rules)
            residual = _residual(swap * M * swap.T, M, SIMPLIFIERS["rational"])
            if residual is not None:
                raise self._fail(title, f"P A P^T - A is not 0 ({_short(residual)})")
        check(A)
        self._record(Step(title, conclusion, how, "exact",
                          f"exact: $PAP^T - A = 0$ entrywise for $P = {sp.latex(swap)}$"
                          f"{self._uses_text(uses)}; with uniqueness of the fixed point "
                          f"this gives the claim", text, ref, tuple(uses), check=check,
                          value=A, rule=dict(rule) if rule else None))
        return conclusion

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
        rhs = self._mutate(title, rhs)
        seed = int.from_bytes(hashlib.sha256(f"{self.name}/{title}".encode()).digest()[:8],
                              "big")

        def check(candidate: Any) -> None:
            free = (_free(lhs) | _free(candidate)) - set(syms)
            if free:
                raise self._fail(title, f"numeric check: no domain for "
                                        f"{sorted(map(str, free))}")
            rng = random.Random(seed)
            with mpmath.workdps(NUMERIC_DPS):
                f = sp.lambdify(syms, _as_matrix(lhs) - _as_matrix(candidate),
                                modules="mpmath")
                g = sp.lambdify(syms, _as_matrix(lhs), modules="mpmath")
                h = sp.lambdify(syms, _as_matrix(candidate), modules="mpmath")
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
        check(rhs)
        dom = ", ".join(f"${sp.latex(s)} \\in [{_num(lo)}, {_num(hi)}]$"
                        for s, (lo, hi) in ((s, domain[s]) for s in syms))
        claim = self._shown(title, show, lhs, rhs)
        self._record(Step(title, claim, how, "numeric",
                          f"**numeric check** (SymPy could not simplify: {why}): "
                          f"both sides agree to a relative {_num(float(NUMERIC_TOL))} "
                          f"at {points} seeded random points, {NUMERIC_DPS} digits "
                          f"(mpmath), over {dom}", text, ref, check=check, value=rhs))
        return rhs

    # -- prose and results ---------------------------------------------------------------
    def note(self, text: str) -> None:
        """A paragraph of prose after the steps (e.g. a caveat)."""
        self.notes.append(text)

    def summary(self, reading: str, keys: Sequence[str]) -> None:
        """The proof summary that opens the document: a researcher's reading and the key
        equations, each the claim of the named step (rendered from the checked object)."""
        for k in keys:
            self.index(k)
        self.reading, self.key_steps = reading, list(keys)

    def result(self, name: str, step: str, implemented_by: Sequence[str] = ()) -> None:
        """A boxed final result: the claim of the step titled ``step``, as checked.

        Raises :class:`StepFailed` when the box would show anything else (e.g. after a
        mutation of the boxed claim).
        """
        try:
            source = self.steps[self.index(step) - 1]
        except KeyError:
            raise self._fail(f"result {name}", f"cites {step!r}, not a step") from None
        claim = self._mutate(name, source.claim)
        if claim is not source.claim and not _same(claim, source.claim):
            raise self._fail(f"result {name}", f"the boxed claim is not the checked claim "
                                               f"of {self.cite(step)}")
        self.results.append(Result(name, claim, tuple(implemented_by), step))

    def implements(self, function: str, what: str) -> None:
        """Name a numeric function of gstheory that implements a result."""
        self.implemented_by.append((function, what))


#: the generic point of a link function's domain used by :meth:`Derivation.divided_difference`
DOMAIN_POINT = sp.Symbol("x", positive=True)


class Tex(sp.Symbol):
    """A display-only symbol whose name is printed verbatim as LaTeX (no mangling of
    underscores); used for the paper's matrix notation in rendered claims.

    Paper: none (infrastructure).
    """

    def _latex(self, printer: Any) -> str:
        return self.name


# -- helpers ---------------------------------------------------------------------------
def eq(lhs: Any, rhs: Any) -> Any:
    """An unevaluated ``Eq`` (also between a symbol and a matrix) for display.

    Paper: none (infrastructure).
    """
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
    lhs, rhs = _explicit(lhs), _explicit(rhs)
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        if isinstance(lhs, sp.MatrixExpr) or isinstance(rhs, sp.MatrixExpr):
            return "a matrix expression with matrix symbols left (cite their definitions)"
        L, R = sp.Matrix(lhs), sp.Matrix(rhs)
        if L.shape != R.shape:
            return f"shape mismatch {L.shape} vs {R.shape}"
        for a, b in zip(L, R):
            if a == b:  # structurally identical (also covers oo == oo)
                continue
            quick = _quick_nonzero(a, b)
            if quick is not None:
                return quick
            r = simp(a - b)
            if r != 0:
                return r
        return None
    if sp.sympify(lhs) == sp.sympify(rhs):
        return None
    quick = _quick_nonzero(sp.sympify(lhs), sp.sympify(rhs))
    if quick is not None:
        return quick
    r = simp(sp.sympify(lhs) - sp.sympify(rhs))
    return None if r == 0 else r


def _quick_nonzero(a: Any, b: Any) -> str | None:
    """A fast refutation: ``a - b`` evaluated at one fixed point (distinct rationals in
    (0, 1) for the symbols, 30 digits). Only ever *rejects*: a clearly nonzero value
    proves the identity false; anything else (small, complex, undefined) leaves the
    decision to the exact simplifier. A wrong claim is then rejected without expanding
    it; a true one costs one evaluation."""
    try:
        free = sorted((a - b).free_symbols, key=lambda s: s.name)
        if any(not isinstance(s, sp.Symbol) for s in free):
            return None
        at = {s: sp.Rational(3 + 2 * k, 7 + 3 * k) / 2 for k, s in enumerate(free)}
        va = sp.sympify(a).xreplace(at).evalf(30)
        vb = sp.sympify(b).xreplace(at).evalf(30)
        if not (va.is_number and vb.is_number):
            return None
        va, vb = complex(va), complex(vb)
    except (TypeError, ValueError, ZeroDivisionError, AttributeError):
        return None
    diff = abs(va - vb)
    if diff == diff and diff > 1e-12 * (1 + abs(va) + abs(vb)) and diff != float("inf"):
        return f"a nonzero value ({diff:.3g}) at {at}"
    return None


def _subs(x: Any, rules: Mapping[Any, Any]) -> Any:
    """``x`` with every cited rule ``symbol -> value`` substituted (repeatedly, so that a
    rule whose value contains another rule's symbol is resolved)."""
    if rules:
        for _ in range(len(rules) + 1):
            y = x.xreplace(rules) if hasattr(x, "xreplace") else x
            if y == x:
                break
            x = y
    return _explicit(x)


def _explicit(x: Any) -> Any:
    """A matrix expression whose symbols were all replaced by explicit matrices, as an
    explicit matrix (``doit``); anything else unchanged."""
    if isinstance(x, sp.MatrixExpr) and not x.atoms(sp.MatrixSymbol):
        return sp.Matrix(x.doit())
    return x


def _apply_facts(e: Any, facts: Sequence[tuple[Any, str]]) -> Any:
    """Replace each fact's expression by a fresh symbol of the fact's sign (largest
    expressions first). Sound: the claim is then proven for every value of that sign."""
    e = sp.sympify(e)
    for k, (expr, sign) in enumerate(facts):
        if isinstance(expr, sp.Function) and expr.args == (DOMAIN_POINT,):
            # a schema: f(x) has the sign for every positive x (x = DOMAIN_POINT)
            found = sorted((z for z in e.atoms(expr.func) if z.args[0].is_positive),
                           key=sp.default_sort_key)
            e = e.xreplace({z: sp.Symbol(f"_fact{k}_{j}", **{sign: True})
                            for j, z in enumerate(found)})
            continue
        dummy = sp.Symbol(f"_fact{k}", **{sign: True})
        e = e.xreplace({expr: dummy})
        e = e.subs(expr, dummy)
    return e


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except TypeError:
        return False


def _short(x: Any, limit: int = 300) -> str:
    s = str(x)
    return s if len(s) <= limit else s[:limit] + f"... ({len(s)} characters)"


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
