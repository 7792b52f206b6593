r"""Theorem 2 (Eq. 16): gradient starvation at first order in the coupling delta.

With Eq. 15's coupling, SymPy expands the fixed point of Eq. 10 and the response
:math:`z^*_2` (Eq. 11) in :math:`\delta` (first and second order), differentiates the
first-order coefficient with respect to :math:`s_1^2` (chain rule through the uncoupled
Lambert-W fixed point), and proves its sign: for :math:`s_1^2 > s_2^2 > 0`,
:math:`\lambda > 0`,

.. math:: \frac{dz^*_2}{ds_1^2} = \delta\,D_1 + O(\delta^2), \qquad D_1 < 0,

so the theorem's inequality holds for :math:`\delta > 0` and **reverses** for
:math:`\delta < 0` at first order; at :math:`\delta = 0` the derivative vanishes.

Paper: Eq. 10, Eq. 11, Eq. 15, Theorem 2 / Eq. 16 (Sec. 3.3).
"""

from __future__ import annotations

import sympy as sp

from .common import delta, eq15, lam, lambert_alpha, lambert_c, strengths_sq
from .derivation import Derivation, Tex, eq
from .lambert import lambert_positivity, scalar_root
from .perturbation import (
    a_derivative,
    first_order,
    second_order,
    taylor,
    total_derivative,
    uncoupled_symbols,
)

NAME = "theorem-2"


def lead_hint(s1: sp.Expr, s2: sp.Expr, a1: sp.Expr, a2: sp.Expr) -> sp.Expr:
    r"""The hand-derived first-order form this derivation is checked against:
    :math:`-s_2^2 a_1(1 - a_1/a_2) / ((\lambda + a_1(s_1^2+\lambda))(\lambda/a_2 + \lambda
    + s_2^2))` (coefficient of :math:`\delta`)."""
    return -s2 * a1 * (1 - a1 / a2) / ((lam + a1 * (s1 + lam)) * (lam / a2 + lam + s2))


def expansion(second: bool = True) -> dict[str, sp.Expr]:
    r"""The series of :math:`z^*_2` and of :math:`dz^*_2/ds_1^2` in :math:`\delta`.

    Returns:
        dict with the symbols ``s1``, ``s2`` (squared strengths), ``a1``, ``a2``
        (uncoupled fixed point), and the expressions ``z0``, ``z1``, ``z2`` (coefficients
        of :math:`\delta^0, \delta^1, \delta^2` in :math:`z^*_2`), ``D1`` and ``D2``
        (coefficients of :math:`\delta, \delta^2` in :math:`dz^*_2/ds_1^2`), ``p``/``q``
        (first and second derivatives of :math:`\alpha^*` at 0), all rational in
        ``a1, a2, s1, s2, lambda``. ``second=False`` skips the second order (``q``,
        ``z2``, ``D2`` are then ``None``).

    Paper: Theorem 2.
    """
    s1, s2 = strengths_sq(2)
    a1, a2 = uncoupled_symbols(2)
    U = eq15()
    S2 = sp.diag(s1, s2)
    A = U * (S2 + lam * sp.eye(2)) * U.T / lam
    p = first_order(A, [a1, a2], delta)
    q = second_order(A, [a1, a2], delta, p) if second else None
    # z(delta) = S^2 U(delta)^T alpha(delta) / lambda, differentiated by the product rule
    av = sp.Matrix([a1, a2])
    U0, U1, U2 = (sp.diff(U, delta, k).subs(delta, 0) for k in range(3))
    z0 = (S2 * U0.T * av / lam)[1]
    z1 = sp.factor((S2 * (U1.T * av + U0.T * p) / lam)[1])
    D1 = sp.factor(total_derivative(z1, s1, a1))
    zz = D2 = None
    if second:
        zz = sp.factor((S2 * (U2.T * av + 2 * U1.T * p + U0.T * q) / lam)[1] / 2)
        D2 = sp.factor(total_derivative(zz, s1, a1))
    return {"s1": s1, "s2": s2, "a1": a1, "a2": a2, "A": A, "U": U, "p": p, "q": q,
            "z0": z0, "z1": z1, "z2": zz, "D1": D1, "D2": D2}


def first_order_lambert() -> tuple[tuple[sp.Symbol, ...], sp.Expr]:
    r"""The first-order coefficient :math:`D_1` of :math:`dz^*_2/ds_1^2` in Lambert-W form.

    Returns:
        ``((s1, s2, lam), D1)`` with :math:`a_i = W(c_i)/c_i` substituted; ready for
        ``sympy.lambdify``.

    Paper: Theorem 2 (Eq. 16).
    """
    e = expansion(second=False)
    s1, s2 = e["s1"], e["s2"]
    D1 = e["D1"].subs({e["a1"]: lambert_alpha(lambert_c(s1)),
                       e["a2"]: lambert_alpha(lambert_c(s2))})
    return (s1, s2, lam), D1


def derive() -> Derivation:
    """Build the checked derivation of Theorem 2 at first (and second) order in delta.

    Returns:
        The :class:`~gstheory.symbolic.derivation.Derivation`.

    Paper: Theorem 2 (Eq. 16).
    """
    d = Derivation(
        NAME, "Theorem 2: the sign of the starvation at first order in the coupling",
        "Eq. 10-11, Eq. 13, Eq. 15, Theorem 2 / Eq. 16, Sec. 3.3",
        intro="Two features with squared strengths $s_1^2, s_2^2$, ridge $\\lambda > 0$, "
              "coupled by Eq. 15. The fixed point of Eq. 10 solves $F(\\alpha,\\delta) = "
              "\\log\\alpha + A(\\delta)\\alpha = 0$ with $A(\\delta) = \\frac1\\lambda U(\\delta)"
              "(S^2+\\lambda I)U(\\delta)^T$, and $z^* = \\frac1\\lambda S^2U^T\\alpha^*$ "
              "(Eq. 11). We expand in $\\delta$ around the uncoupled fixed point and "
              "differentiate with respect to $s_1^2$. The paper's Theorem 2 claims "
              "$dz^*_2/ds_1^2 < 0$ for $s_1^2 > s_2^2$ (feature 1 starves feature 2).")
    e = expansion()
    s1, s2, a1, a2, A, U = e["s1"], e["s2"], e["a1"], e["a2"], e["A"], e["U"]
    c1, c2 = lambert_c(s1), lambert_c(s2)
    d.given("Coupling", eq(Tex("U(\\delta)"), U), ref="Eq. 15")
    d.step("U is orthogonal for |delta| < 1", U * U.T, sp.eye(2), how="multiply",
           show=eq(Tex("U U^T"), sp.eye(2)))
    d.step("Uncoupled system", A.subs(delta, 0), sp.diag(c1, c2),
           how="`subs(delta, 0)` in $A(\\delta)$",
           show=eq(Tex("A(0)"), sp.diag(c1, c2)),
           text="At $\\delta = 0$ the system decouples ($c_i = (s_i^2+\\lambda)/\\lambda$):")
    c, root = scalar_root()
    for i, (ai, ci) in enumerate(((a1, c1), (a2, c2)), start=1):
        d.step(f"Uncoupled fixed point {i}", sp.log(root) + c * root, 0,
               how=f"`solve(log(alpha) + c*alpha, alpha)` (derivation "
                   f"`lambert-w-fixed-points`), with $c = c_{i}$",
               simplifier="lambert-log",
               show=eq(Tex(f"a_{i}"), lambert_alpha(ci)),
               text="" if i > 1 else
               "We write $a_i = W(c_i)/c_i$ for the uncoupled fixed point (Eq. 13) and "
               "keep $a_i$ as a positive symbol, using only $\\log a_i = -c_ia_i$:")
    A1 = sp.diff(A, delta).subs(delta, 0)
    e1 = (s1 - s2) / lam
    d.step("First derivative of A", A1, sp.Matrix([[0, e1], [e1, 0]]),
           how="`diff(A, delta)` at $\\delta = 0$",
           show=eq(Tex("A'(0)"), sp.Matrix([[0, e1], [e1, 0]])))
    p = e["p"]
    av = sp.Matrix([a1, a2])
    J0 = sp.diag(1 / a1, 1 / a2) + A.subs(delta, 0)
    d.step("Implicit differentiation: first order", J0 * p, -A1 * av,
           how="solve $F_\\alpha\\,\\alpha'(0) = -F_\\delta$ with "
               "$F_\\alpha = \\operatorname{diag}(1/a) + A(0)$, $F_\\delta = A'(0)a$ (`LUsolve`)",
           show=eq(Tex("\\alpha'(0)"), p),
           text="Differentiating $F(\\alpha^*(\\delta),\\delta) = 0$ at $\\delta = 0$ (the "
                "Jacobian $F_\\alpha$ is invertible: Theorem 1):")
    q = e["q"]
    # independent check of both orders: F(a + delta p + delta^2 q / 2, delta) = O(delta^3)
    alpha2 = av + delta * p + delta**2 * q / 2
    Fser = (alpha2.applyfunc(sp.log) + A * alpha2).applyfunc(lambda f: taylor(f, delta, 2))
    Fser = Fser.subs({sp.log(a1): -c1 * a1, sp.log(a2): -c2 * a2})
    d.step("Second order, checked by substitution", Fser, sp.zeros(2, 1),
           how="implicit differentiation twice (`LUsolve` of $F_\\alpha\\alpha''(0) = "
               "\\operatorname{diag}(\\alpha'^2/a^2)\\mathbf 1 - 2A'(0)\\alpha'(0) - A''(0)a$); "
               "then substitute $\\alpha = a + \\delta\\alpha'(0) + \\frac{\\delta^2}{2}"
               "\\alpha''(0)$ into $F$, Taylor polynomial to $O(\\delta^3)$ (`diff` at 0), and use "
               "$\\log a_i = -c_ia_i$",
           show=eq(Tex("F\\left(a + \\delta\\alpha'(0) + \\tfrac{\\delta^2}{2}\\alpha''(0), "
                       "\\delta\\right)"), Tex("O(\\delta^3)")),
           text="Both orders are confirmed at once: the truncated series solves the "
                "fixed-point equation up to $O(\\delta^3)$.")
    z0, z1, zz = e["z0"], e["z1"], e["z2"]
    z1_target = -(s2 / lam) * a1 * (c1 + 1 / a2) / (c2 + 1 / a2)
    d.step("Response z2: first-order coefficient", z1, z1_target,
           how="$z^*_2 = \\frac{s_2^2}{\\lambda}(U^T\\alpha^*)_2$ (Eq. 11); `diff` in "
               "$\\delta$ at 0",
           show=eq(Tex("\\left.\\frac{dz^*_2}{d\\delta}\\right|_{0}"), z1_target))
    d.given("Series of z2*", eq(Tex("z^*_2"), Tex(
        f"{sp.latex(z0)} + \\delta\\left({sp.latex(z1)}\\right) + \\delta^2 z_{{2,2}} + "
        "O(\\delta^3)")), how="collected from the steps above",
        text="with the second-order coefficient $z_{2,2} = \\frac12 z_2^{*\\prime\\prime}(0)$ "
             "given at the end.")
    da = a_derivative(a1, s1)
    d.step("Derivative of the uncoupled fixed point", da, -a1**2 / (lam * (1 + c1 * a1)),
           how="`idiff(log(a) + c*a, a, s^2)` (implicit differentiation of the scalar "
               "fixed point)", show=eq(Tex("\\frac{da_1}{ds_1^2}"),
                                       -a1**2 / (lam * (1 + c1 * a1))))
    x = sp.Symbol("x", positive=True)
    gW = sp.diff(lambert_alpha(x), x)
    d.step("Same derivative through W' = W/(x(1+W))",
           gW / lam, (-a1**2 / (lam * (1 + c1 * a1))).subs({a1: lambert_alpha(x),
                                                            s1: lam * x - lam}),
           how="`diff(LambertW(x)/x, x)` (SymPy uses $W'(x) = W/(x(1+W))$) times "
               "$dc_1/ds_1^2 = 1/\\lambda$, compared with the line above at $a_1 = W(x)/x$",
           show=eq(Tex("\\frac{1}{\\lambda}\\frac{d}{dx}\\frac{W(x)}{x}"), sp.factor(gW) / lam))
    d.step("Zeroth order does not depend on s1", total_derivative(z0, s1, a1), 0,
           how="chain rule on $z^*_2(0) = s_2^2a_2/\\lambda$",
           show=eq(Tex("\\frac{d}{ds_1^2}z^*_2\\big|_{\\delta=0}"), 0),
           text="At $\\delta = 0$ the features do not interact; the first order decides the "
                "sign for small $|\\delta|$:")
    D1, D2 = e["D1"], e["D2"]
    d.step("First-order starvation coefficient", D1, lead_hint(s1, s2, a1, a2),
           how="chain rule: $\\frac{d}{ds_1^2}$ of the $\\delta$-coefficient, with "
               "$da_1/ds_1^2$ above (`diff`, `factor`)",
           show=eq(Tex("D_1"), D1), ref="Eq. 16",
           text="$\\frac{dz^*_2}{ds_1^2} = \\delta D_1 + O(\\delta^2)$ with (as SymPy's "
                "`factor` prints it, and checked equal to the hand calculation "
                "$-\\frac{s_2^2 a_1(1 - a_1/a_2)}{(\\lambda + a_1(s_1^2+\\lambda))"
                "(\\lambda/a_2 + \\lambda + s_2^2)}$):")
    P = -D1 / (a2 - a1)
    Pf = sp.factor(P)
    d.step("Factor out a2 - a1", D1, -(a2 - a1) * Pf, how="`factor(-D_1/(a_2 - a_1))`",
           show=eq(Tex("D_1"), sp.Mul(-1, sp.Add(a2, -a1, evaluate=False), Pf,
                                      evaluate=False)))
    d.sign("The cofactor is positive", Pf, "positive",
           how="`is_positive` with $a_i, s_i^2, \\lambda > 0$")
    lambert_positivity(d)
    w = sp.Symbol("w", positive=True)
    gWw = sp.factor(gW).subs(sp.LambertW(x), w)
    d.sign("W(c)/c is decreasing", gWw, "negative",
           how="$\\frac{d}{dx}\\frac{W(x)}{x}$ from above with $W(x) = w > 0$",
           show=sp.StrictLessThan(Tex("\\frac{d}{dx}\\frac{W(x)}{x}"), 0),
           text="$\\frac{d}{dx}\\frac{W(x)}{x} = " + sp.latex(sp.factor(gW)) + "$, "
                "negative because $W(x) > 0$ for $x > 0$:")
    d.step("c1 - c2", c1 - c2, (s1 - s2) / lam, how="subtract",
           show=eq(Tex("c_1 - c_2"), (s1 - s2) / lam),
           text="So $s_1^2 > s_2^2 \\Rightarrow c_1 > c_2 \\Rightarrow a_1 = W(c_1)/c_1 < "
                "a_2 = W(c_2)/c_2$ (strictly decreasing), i.e. $a_2 - a_1 > 0$ and $D_1 < 0$:")
    lam_form = D1.subs({a1: lambert_alpha(c1), a2: lambert_alpha(c2)})
    d.computed("First-order coefficient in Lambert-W form", eq(Tex("D_1"), lam_form),
               how="substitute $a_i = W(c_i)/c_i$ into $D_1$ (`subs`)",
               basis="a substitution into the verified $D_1$")
    d.computed("Second-order coefficient of z2*", eq(Tex("z_{2,2}"), zz),
               how="$\\frac12 z_2^{*\\prime\\prime}(0) = \\frac{s_2^2}{2\\lambda}(U''(0)^Ta + "
                   "2U'(0)^T\\alpha'(0) + \\alpha''(0))_2$, `factor`",
               basis="the product rule applied to $\\alpha'(0)$, $\\alpha''(0)$ of the verified "
                     "step 8",
               text="Beyond first order (for reference; its sign is not needed):")
    d.computed("Second-order coefficient of the starvation", eq(Tex("D_2"), D2),
               how="chain rule $\\frac{d}{ds_1^2}$ of $z_{2,2}$ with $da_1/ds_1^2$ above, "
                   "`factor`", basis="the chain rule applied to $z_{2,2}$",
               text="so $\\frac{dz^*_2}{ds_1^2} = \\delta D_1 + \\delta^2 D_2 + O(\\delta^3)$ "
                    "with")
    d.note("**Sign of Theorem 2 at first order (proven above, symbolically).** For "
           "$s_1^2 > s_2^2 > 0$ and $\\lambda > 0$, $D_1 < 0$, hence "
           "$\\operatorname{sign}(dz^*_2/ds_1^2) = -\\operatorname{sign}(\\delta)$ for "
           "$|\\delta|$ small enough. The theorem's inequality (Eq. 16) therefore holds for "
           "$\\delta > 0$ (the paper's hypothesis in Lemma 1: off-diagonal entries "
           "proportional to a small $\\delta > 0$) and **reverses for $\\delta < 0$**: "
           "then feature 1 *feeds* feature 2. The sign is carried by the orientation of the "
           "coupling, not only by the ordering of the strengths. At $\\delta = 0$ and at "
           "$s_1^2 = s_2^2$ the first-order term vanishes and higher orders decide. How "
           "small $|\\delta|$ must be is not settled here: that is the job of the "
           "numeric validity scans and interval certificates (`gstheory certify`).")
    d.note("The proof uses only: the implicit function theorem at the uncoupled point "
           "(invertible Jacobian, Theorem 1), $W(c) > 0$ for $c > 0$, and "
           "$W'(x) = W/(x(1+W))$; no numeric evaluation was needed.")
    d.result("First-order series", eq(Tex("\\frac{dz^*_2}{ds_1^2}"), Tex(
        f"\\delta\\,{sp.latex(D1)} + O(\\delta^2)")))
    d.result("Sign", Tex("s_1^2 > s_2^2 > 0,\\ \\lambda > 0 \\implies "
                         "\\operatorname{sign}\\frac{dz^*_2}{ds_1^2} = -\\operatorname{sign}"
                         "(\\delta) \\text{ at first order}"))
    d.implements("gstheory.sensitivity.starvation_matrix", "$dz^*_j/ds_i^2$ for any "
                 "$\\delta$ by implicit differentiation (entry [0][1] is "
                 "$dz^*_2/ds_1^2$; `dynamics=\"taylor\"` is Eq. 10)")
    d.implements("gstheory.sensitivity.starvation_matrix_mp", "the same at 50 digits")
    d.implements("gstheory.certificates", "interval certificates of the sign beyond "
                 "first order")
    return d
