r"""Lemma 1 (Eq. 14): one Newton step from the uncoupled fixed point.

SymPy performs one Newton step on the fixed-point equation of Eq. 10,
:math:`G(\alpha) = \log\alpha + A\alpha = 0`, from :math:`\alpha^*_0`, simplifies it to the
paper's form :math:`[A + \operatorname{diag}(1/\alpha^*_0)]^{-1}(1 - \log\alpha^*_0)`, and
shows that for Eq. 15's coupling it reproduces the exact fixed point to first order in
:math:`\delta` (error :math:`O(\delta^2)`).

Paper: Lemma 1 / Eq. 14, Eq. 15 (Sec. 3.3).
"""

from __future__ import annotations

import sympy as sp

from .common import delta, eq15, lam, lambert_c, strengths_sq
from .derivation import Derivation, Tex, eq
from .perturbation import first_order, uncoupled_symbols

NAME = "lemma-1"


def paper_eq14(A: sp.Matrix, a0: list[sp.Expr]) -> sp.Matrix:
    r"""Eq. 14 as printed (column form):
    :math:`[A + \operatorname{diag}(1/\alpha^*_0)]^{-1}(1 - \log\alpha^*_0)`.

    Paper: Lemma 1 (Eq. 14).
    """
    M = A + sp.diag(*[1 / x for x in a0])
    return M.LUsolve(sp.Matrix([1 - sp.log(x) for x in a0]))


def derive() -> Derivation:
    """Build the checked derivation of Lemma 1.

    Returns:
        The :class:`~gstheory.symbolic.derivation.Derivation`.

    Paper: Lemma 1 (Eq. 14).
    """
    d = Derivation(
        NAME, "Lemma 1: one Newton step from the uncoupled fixed point", "Eq. 14-15, Sec. 3.3",
        intro="The fixed points of Eq. 10 solve $G(\\alpha) = \\log\\alpha + A\\alpha = 0$, "
              "$A = \\frac1\\lambda U(S^2+\\lambda I)U^T$. Lemma 1 approximates the coupled "
              "fixed point from the uncoupled one $\\alpha^*_0$. First for a generic "
              "symmetric $2\\times 2$ matrix $A$ and a generic starting point, then for "
              "Eq. 15's coupling.")
    b = list(sp.symbols("b_1:3", positive=True))
    A = sp.Matrix([[sp.Symbol("A_11"), sp.Symbol("A_12")], [sp.Symbol("A_12"),
                                                              sp.Symbol("A_22")]])
    bv = sp.Matrix(b)
    G = bv.applyfunc(sp.log) + A * bv
    JG = G.jacobian(b)
    AM, DG = sp.MatrixSymbol("A", 2, 2), sp.MatrixSymbol(r"\operatorname{diag}(1/\alpha_0)", 2, 2)
    LG, ONE = sp.MatrixSymbol(r"\log\alpha_0", 2, 1), sp.MatrixSymbol(r"\mathbf{1}", 2, 1)
    A0 = sp.MatrixSymbol("alpha_0", 2, 1)
    d.definition("Generic matrices", {AM: A, DG: sp.diag(*[1 / x for x in b]),
                                      LG: bv.applyfunc(sp.log), ONE: sp.ones(2, 1), A0: bv},
                 how="$A$ symmetric with free entries, $\\alpha_0 = (b_1, b_2) > 0$",
                 show=eq(AM, A))
    d.step("Jacobian of G", JG, AM + DG, how="`jacobian`", uses=["Generic matrices"],
           name=Tex("G'(\\alpha_0)"))
    newton = bv - JG.LUsolve(G)
    eq14 = (AM + DG).I * (ONE - LG)
    d.step("One Newton step equals Eq. 14", newton, eq14,
           how="$\\alpha_0 - G'(\\alpha_0)^{-1}G(\\alpha_0)$ with `LUsolve`, at a generic "
               "$\\alpha_0 = (b_1, b_2)$", uses=["Generic matrices"],
           name=Tex("\\alpha_0 - G'(\\alpha_0)^{-1}G(\\alpha_0)"), ref="Eq. 14",
           text="(because $\\operatorname{diag}(1/\\alpha_0)\\alpha_0 = \\mathbf 1$):")
    # accuracy for Eq. 15's coupling
    s1, s2 = strengths_sq(2)
    a = uncoupled_symbols(2)
    Ud = eq15()
    Ad = Ud * (sp.diag(s1, s2) + lam * sp.eye(2)) * Ud.T / lam
    c = [lambert_c(s1), lambert_c(s2)]
    L = paper_eq14(Ad, a).subs({sp.log(a[i]): -c[i] * a[i] for i in range(2)})
    d.step("At delta = 0 the step is exact", L.subs(delta, 0), sp.Matrix(a),
           how="`subs(delta, 0)`, with $\\alpha^*_0 = a$, $\\log a_i = -c_ia_i$ "
               "($a_i = W(c_i)/c_i$, derivation `theorem-2`)",
           show=eq(Tex("\\alpha_{\\mathrm{L1}}(0)"), sp.Matrix(a)),
           text="With Eq. 15's $U(\\delta)$ and the uncoupled point "
                "$\\alpha^*_0 = a$ (which solves $G = 0$ at $\\delta = 0$):")
    p = first_order(Ad, a, delta)
    L1 = sp.diff(L, delta).subs(delta, 0)
    d.step("First order agrees with the exact fixed point", L1, p,
           how="$\\frac{d}{d\\delta}$ of Eq. 14 at 0 vs $\\alpha^{*\\prime}(0)$ from implicit "
               "differentiation of $G(\\alpha^*(\\delta), \\delta) = 0$ (`LUsolve`), shown",
           name=Tex("\\alpha_{\\mathrm{L1}}'(0) = \\alpha^{*\\prime}(0)"),
           text="Lemma 1's approximation and the exact fixed point have the same value and "
                "the same first derivative at $\\delta = 0$, so the error of Eq. 14 is "
                "$O(\\delta^2)$ (Newton's method converges quadratically from a point at "
                "distance $O(\\delta)$):")
    d.summary("Eq. 14 is exactly one Newton step for $\\log\\alpha + A\\alpha = 0$ from the "
              "uncoupled fixed point; for Eq. 15's coupling it reproduces the fixed point's "
              "value and first derivative in $\\delta$, so its error is $O(\\delta^2)$.",
              ["One Newton step equals Eq. 14", "At delta = 0 the step is exact",
               "First order agrees with the exact fixed point"])
    d.result("Lemma 1 (Eq. 14) is a Newton step", "One Newton step equals Eq. 14")
    d.result("Lemma 1 is first-order exact", "First order agrees with the exact fixed point")
    d.implements("gstheory.fixed_points.lemma1", "Eq. 14")
    d.implements("gstheory.fixed_points.uncoupled_alpha", "$\\alpha^*_0$ (Eq. 13)")
    return d
