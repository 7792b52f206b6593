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
    + s_2^2))` (coefficient of :math:`\delta`).

    Paper: Theorem 2 (Eq. 16), first order in the coupling.
    """
    return -s2 * a1 * (1 - a1 / a2) / ((lam + a1 * (s1 + lam)) * (lam / a2 + lam + s2))


def expansion(second: bool = True, coefficients: bool = True) -> dict[str, sp.Expr]:
    r"""The series of :math:`z^*_2` and of :math:`dz^*_2/ds_1^2` in :math:`\delta`.

    Returns:
        dict with the symbols ``s1``, ``s2`` (squared strengths), ``a1``, ``a2``
        (uncoupled fixed point), and the expressions ``z0``, ``z1``, ``z2`` (coefficients
        of :math:`\delta^0, \delta^1, \delta^2` in :math:`z^*_2`), ``D1`` and ``D2``
        (coefficients of :math:`\delta, \delta^2` in :math:`dz^*_2/ds_1^2`), ``p``/``q``
        (first and second derivatives of :math:`\alpha^*` at 0), all rational in
        ``a1, a2, s1, s2, lambda``. ``second=False`` skips the second order (``q``,
        ``z2``, ``D2`` are then ``None``); ``coefficients=False`` computes ``q`` but not
        the (large) second-order coefficients ``z2``, ``D2``.

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
    if second and coefficients:
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
    e = expansion(coefficients=False)
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
    lambert_positivity(d)
    for i, (_ai, _ci) in enumerate(((a1, c1), (a2, c2)), start=1):
        d.step(f"Uncoupled fixed point {i}", sp.log(root) + c * root, 0,
               how=f"`solve(log(alpha) + c*alpha, alpha)` (derivation "
                   f"`lambert-w-fixed-points`), with $c = c_{i}$",
               simplifier="lambert-log", uses=["W is positive on (0, inf)"],
               show=eq(Tex(f"\\log a_{i} + c_{i}a_{i}\\big|_{{a_{i} = W(c_{i})/c_{i}}}"), 0),
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
    pv = sp.Matrix(sp.symbols("alpha_1'(0) alpha_2'(0)"))
    d.solve("Implicit differentiation: first order", list(J0 * pv + A1 * av), list(pv),
           how="solve $F_\\alpha\\,\\alpha'(0) = -F_\\delta$ with "
               "$F_\\alpha = \\operatorname{diag}(1/a) + A(0)$, $F_\\delta = A'(0)a$ (`LUsolve`)",
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
           name=Tex("F\\left(a + \\delta\\alpha'(0) + \\tfrac{\\delta^2}{2}\\alpha''(0), "
                    "\\delta\\right) \\bmod \\delta^3"),
           text="Both orders are confirmed at once: the truncated series solves the "
                "fixed-point equation up to $O(\\delta^3)$.")
    z0, z1 = e["z0"], e["z1"]
    z1_target = -(s2 / lam) * a1 * (c1 + 1 / a2) / (c2 + 1 / a2)
    d.step("Response z2: first-order coefficient", z1, z1_target,
           how="$z^*_2 = \\frac{s_2^2}{\\lambda}(U^T\\alpha^*)_2$ (Eq. 11); `diff` in "
               "$\\delta$ at 0",
           show=eq(Tex("\\left.\\frac{dz^*_2}{d\\delta}\\right|_{0}"), z1_target))
    da = a_derivative(a1, s1)
    d.step("Derivative of the uncoupled fixed point", da, -a1**2 / (lam * (1 + c1 * a1)),
           how="`idiff(log(a) + c*a, a, s^2)` (implicit differentiation of the scalar "
               "fixed point)", name=Tex("\\frac{da_1}{ds_1^2}"))
    x = sp.Symbol("x", positive=True)
    gW = sp.diff(lambert_alpha(x), x)
    d.step("Same derivative through W' = W/(x(1+W))",
           gW / lam, (-a1**2 / (lam * (1 + c1 * a1))).subs({a1: lambert_alpha(x),
                                                            s1: lam * x - lam}),
           how="`diff(LambertW(x)/x, x)` (SymPy uses $W'(x) = W/(x(1+W))$) times "
               "$dc_1/ds_1^2 = 1/\\lambda$, compared with the line above at $a_1 = W(x)/x$",
           name=Tex("\\frac{1}{\\lambda}\\frac{d}{dx}\\frac{W(x)}{x}"))
    d.step("Zeroth order does not depend on s1", total_derivative(z0, s1, a1), 0,
           how="chain rule on $z^*_2(0) = s_2^2a_2/\\lambda$",
           show=eq(Tex("\\frac{d}{ds_1^2}z^*_2\\big|_{\\delta=0}"), 0),
           text="At $\\delta = 0$ the features do not interact; the first order decides the "
                "sign for small $|\\delta|$:")
    D1 = e["D1"]
    d.step("First-order starvation coefficient", D1, lead_hint(s1, s2, a1, a2),
           how="chain rule: $\\frac{d}{ds_1^2}$ of the $\\delta$-coefficient, with "
               "$da_1/ds_1^2$ above (`diff`, `factor`); compared with the hand calculation",
           name=Tex("D_1"), ref="Eq. 16",
           text="$\\frac{dz^*_2}{ds_1^2} = \\delta D_1 + O(\\delta^2)$ with")
    P = -D1 / (a2 - a1)
    Pf = sp.factor(P)
    d.step("Factor out a2 - a1", D1, -(a2 - a1) * Pf, how="`factor(-D_1/(a_2 - a_1))`",
           name=Tex("D_1"))
    d.sign("The cofactor is positive", Pf, "positive",
           how="`is_positive` with $a_i, s_i^2, \\lambda > 0$")
    d.definition("Uncoupled fixed point", {a1: lambert_alpha(c1), a2: lambert_alpha(c2)},
                 how="$a_i = W(c_i)/c_i$ (the steps above)")
    kap = sp.Symbol("kappa", real=True)
    d.divided_difference("W(x)/x is decreasing", lambda y: -lambert_alpha(y), c1, c2, kap,
                         lambda y: sp.LambertW(y) ** 2 / (y**2 * (1 + sp.LambertW(y))),
                         domain=["W is positive on (0, inf)"],
                         how="$\\kappa$ the divided difference of $-W(x)/x$ between $c_1$ and "
                             "$c_2$")
    d.step("a2 - a1 from the strengths", a2 - a1, kap * (s1 - s2) / lam,
           how="$a_2 - a_1 = \\kappa(c_1 - c_2)$, $c_1 - c_2 = (s_1^2 - s_2^2)/\\lambda$",
           uses=["Uncoupled fixed point", "W(x)/x is decreasing"])
    d.sign("kappa times the cofactor is positive", kap * Pf / lam, "positive",
           uses=["W(x)/x is decreasing"], how="$\\kappa > 0$ and the cofactor $> 0$")
    d.sign_rule("Sign of D_1", D1, [s1 - s2], kap * Pf / lam, name=Tex("D_1"),
                positive="kappa times the cofactor is positive",
                uses=["Uncoupled fixed point", "W(x)/x is decreasing"],
                how="$D_1 = -(a_2 - a_1)\\cdot$cofactor with $a_2 - a_1$ above")
    d.note("The second-order coefficients $z_{2,2}$ and $D_2$ of the series are not "
           "printed: expanded they run to several kilobytes and no sign is drawn from them. "
           "Their ingredient $\\alpha''(0)$ is checked above by substitution. The "
           "derivation `theorem-2-all-orders` settles the sign for every $\\delta$.")
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
           "$W'(x) = W/(x(1+W))$; no numeric evaluation was needed. "
           "$dz^*_2/ds_1^2 = \\delta D_1 + O(\\delta^2)$.")
    d.summary("Expanding the fixed point of Eq. 10 in the coupling $\\delta$ around the "
              "uncoupled Lambert-W point, the response's first-order coefficient depends on "
              "$s_1^2$ only through $a_1$; its derivative $D_1$ factors as $-(a_2 - a_1)$ times "
              "a positive cofactor, and $W(x)/x$ decreasing makes $a_2 - a_1$ carry the sign "
              "of $s_1^2 - s_2^2$: $\\operatorname{sign} dz^*_2/ds_1^2 = -\\operatorname{sign}"
              "(\\delta)\\operatorname{sign}(s_1^2 - s_2^2)$ at first order.",
              ["Response z2: first-order coefficient", "First-order starvation coefficient",
               "Factor out a2 - a1", "a2 - a1 from the strengths", "Sign of D_1"])
    d.result("First-order coefficient", "First-order starvation coefficient")
    d.result("Sign of the first-order coefficient", "Sign of D_1")
    d.implements("gstheory.sensitivity.starvation_matrix", "$dz^*_j/ds_i^2$ for any "
                 "$\\delta$ by implicit differentiation (entry [0][1] is "
                 "$dz^*_2/ds_1^2$; `dynamics=\"taylor\"` is Eq. 10)")
    d.implements("gstheory.sensitivity.starvation_matrix_mp", "the same at 50 digits")
    d.implements("gstheory.certificates", "interval certificates of the sign beyond "
                 "first order")
    return d
