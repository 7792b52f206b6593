r"""Perturbation expansion of the fixed point of Eq. 10 in the coupling size delta.

Shared by Lemma 1, Theorem 2 and the n-feature starvation matrix. The fixed point solves
:math:`F(\alpha, \delta) = \log\alpha + A(\delta)\alpha = 0` (Eq. 10); at
:math:`\delta = 0` it is the uncoupled point :math:`a_i = W(c_i)/c_i` (Eq. 13), kept here
as positive symbols ``a_i`` with the defining relation :math:`\log a_i = -c_i a_i`.
Implicit differentiation gives the series coefficients as linear solves.

Paper: Eq. 10, Eq. 13, Lemma 1, Theorem 2 (Sec. 3.3).
"""

from __future__ import annotations

import sympy as sp

from .common import lam


def taylor(expr: sp.Expr, var: sp.Symbol, order: int) -> sp.Expr:
    r"""Taylor polynomial :math:`\sum_{k \le order} f^{(k)}(0) v^k / k!` by ``diff``
    (the same as ``series(...).removeO()``, much faster on large expressions).

    Paper: none (infrastructure).
    """
    out, f = sp.Integer(0), expr
    for k in range(order + 1):
        out += f.subs(var, 0) * var**k / sp.factorial(k)
        f = sp.diff(f, var)
    return out


def uncoupled_symbols(n: int) -> list[sp.Symbol]:
    r"""Positive symbols ``a_1..a_n`` for the uncoupled fixed point :math:`\alpha^*_0`.

    Paper: the uncoupled fixed point of Lemma 1 (Eq. 13).
    """
    return list(sp.symbols(f"a_1:{n + 1}", positive=True))


def a_derivative(a: sp.Symbol, s2: sp.Symbol) -> sp.Expr:
    r""":math:`da/ds^2` at the uncoupled fixed point, from implicit differentiation of
    :math:`\log a + c a = 0`, :math:`c = (s^2+\lambda)/\lambda`:
    :math:`-a^2/(\lambda(1 + c a))`. Computed by SymPy (``idiff``).

    Paper: Eq. 13 (its fixed point's slope), Theorem 2.
    """
    x = sp.Symbol("x", positive=True)
    c = (s2 + lam) / lam
    da = sp.idiff(sp.log(x) + c * x, x, s2)
    return sp.factor(da.subs(x, a))


def total_derivative(expr: sp.Expr, s2: sp.Symbol, a: sp.Symbol) -> sp.Expr:
    r""":math:`\frac{d}{ds^2}` of ``expr`` where ``a`` depends on ``s2`` through the
    uncoupled fixed point (chain rule with :func:`a_derivative`).

    Paper: Theorem 2 (Eq. 16), through the fixed point of Eq. 13.
    """
    return sp.diff(expr, s2) + sp.diff(expr, a) * a_derivative(a, s2)


def first_order(A: sp.Matrix, a: list[sp.Symbol], delta: sp.Symbol) -> sp.Matrix:
    r""":math:`\alpha'(0)` from :math:`F_\alpha\,\alpha' + F_\delta = 0` at
    :math:`(\alpha, \delta) = (a, 0)`, with :math:`F_\alpha = \operatorname{diag}(1/a)
    + A(0)` and :math:`F_\delta = A'(0)a` (``LUsolve``).

    Paper: Lemma 1 (Eq. 14), Eq. 10.
    """
    av = sp.Matrix(a)
    A0 = A.subs(delta, 0)
    A1 = sp.diff(A, delta).subs(delta, 0)
    J = sp.diag(*[1 / x for x in a]) + A0
    return J.LUsolve(-A1 * av).applyfunc(sp.factor)


def second_order(A: sp.Matrix, a: list[sp.Symbol], delta: sp.Symbol,
                 p: sp.Matrix) -> sp.Matrix:
    r""":math:`\alpha''(0)`: differentiate :math:`F(\alpha(\delta), \delta) = 0` twice,
    :math:`J q + \operatorname{diag}(-p_i^2/a_i^2)\mathbf 1 + 2A'(0)p + A''(0)a = 0`.

    Paper: Lemma 1 (its error), Eq. 10; beyond the paper: the second-order term.
    """
    av = sp.Matrix(a)
    A0 = A.subs(delta, 0)
    A1 = sp.diff(A, delta).subs(delta, 0)
    A2 = sp.diff(A, delta, 2).subs(delta, 0)
    J = sp.diag(*[1 / x for x in a]) + A0
    rhs = sp.Matrix([p[i] ** 2 / a[i] ** 2 for i in range(len(a))]) - 2 * A1 * p - A2 * av
    return J.LUsolve(rhs).applyfunc(sp.factor)
