r"""Beyond the paper: Theorem 2 at first order for the exact dual dynamics (Eq. 9).

The paper proves Theorem 2 on the Taylor form (Eq. 10). Here SymPy repeats the
first-order expansion on the exact fixed-point equation of Eq. 9,
:math:`\log\frac{\alpha}{1-\alpha} + \frac1\lambda US^2U^T\alpha = 0`, whose uncoupled
solution has no Lambert-W form (kept as symbols :math:`b_i`), and proves the same sign:
for :math:`s_1^2 > s_2^2 > 0`, :math:`\lambda > 0`,
:math:`dz^*_2/ds_1^2 = \delta E_1 + O(\delta^2)` with :math:`E_1 < 0`.

Paper: Eq. 9, Eq. 11, Eq. 15, Theorem 2 (Sec. 3.2-3.3); the exact-dynamics form goes
beyond the paper.
"""

from __future__ import annotations

import sympy as sp

from .common import delta, eq15, lam, strengths_sq
from .derivation import DOMAIN_POINT, Derivation, Tex, eq

NAME = "theorem-2-exact-dynamics"


def expansion() -> dict:
    r"""First-order expansion of :math:`z^*_2` for Eq. 9 and its :math:`s_1^2` derivative.

    Returns:
        dict with ``s1``, ``s2`` (squared strengths), ``b1``, ``b2`` (uncoupled fixed
        point of Eq. 9, symbols), ``B`` (:math:`\frac1\lambda US^2U^T`), ``p``
        (:math:`\alpha'(0)`), ``z1`` (:math:`dz^*_2/d\delta` at 0), ``db1``
        (:math:`db_1/ds_1^2`) and ``E1`` (coefficient of :math:`\delta` in
        :math:`dz^*_2/ds_1^2`).

    Paper: Eq. 9, Theorem 2.
    """
    s1, s2 = strengths_sq(2)
    b1, b2 = sp.symbols("b_1 b_2", positive=True)
    U = eq15()
    S2 = sp.diag(s1, s2)
    B = U * S2 * U.T / lam
    bv = sp.Matrix([b1, b2])
    B1 = sp.diff(B, delta).subs(delta, 0)
    J0 = sp.diag(1 / (b1 * (1 - b1)), 1 / (b2 * (1 - b2))) + B.subs(delta, 0)
    p = J0.LUsolve(-B1 * bv).applyfunc(sp.factor)
    U1 = sp.diff(U, delta).subs(delta, 0)
    z1 = sp.factor((S2 * (U1.T * bv + p) / lam)[1])
    x = sp.Symbol("x", positive=True)
    db1 = sp.factor(sp.idiff(sp.log(x / (1 - x)) + s1 / lam * x, x, s1).subs(x, b1))
    E1 = sp.factor(sp.diff(z1, s1) + sp.diff(z1, b1) * db1)
    return {"s1": s1, "s2": s2, "b1": b1, "b2": b2, "B": B, "B1": B1, "J0": J0, "p": p,
            "z1": z1, "db1": db1, "E1": E1, "U": U}


def derive() -> Derivation:
    """Build the checked derivation of Theorem 2's first-order sign for Eq. 9.

    Returns:
        The :class:`~gstheory.symbolic.derivation.Derivation`.

    Paper: Theorem 2 (Eq. 16) for the dynamics of Eq. 9.
    """
    d = Derivation(
        NAME, "Beyond the paper: Theorem 2 at first order for the exact dynamics (Eq. 9)",
        "Eq. 9, Eq. 11, Eq. 15-16, Sec. 3.2-3.3",
        intro="The paper's proof of Theorem 2 uses the Taylor form (Eq. 10). The exact "
              "dynamics (Eq. 9) have the fixed-point equation $G(\\alpha,\\delta) = "
              "\\log\\frac{\\alpha}{1-\\alpha} + B(\\delta)\\alpha = 0$, $B = \\frac1\\lambda "
              "U(\\delta)S^2U(\\delta)^T$ with Eq. 15's $U$. Its uncoupled solution $b_i$ "
              "has no closed form; we keep it as a symbol with its defining equation "
              "and repeat the first-order argument of derivation `theorem-2`.")
    e = expansion()
    s1, s2, b1, b2, B, _p = e["s1"], e["s2"], e["b1"], e["b2"], e["B"], e["p"]
    e1, e2 = s1 / lam, s2 / lam
    Um, S2m, Al = sp.MatrixSymbol("U", 2, 2), sp.MatrixSymbol("S^2", 2, 2), \
        sp.MatrixSymbol("alpha", 2, 1)
    d.given("Fixed-point equation of Eq. 9", eq(Tex("G(\\alpha,\\delta)"), sp.MatrixSymbol(
        "\\log\\frac{\\alpha}{1-\\alpha}", 2, 1) + Um * S2m * Um.T * Al / lam), ref="Eq. 9",
        how="the fixed point of Eq. 9, $G = 0$; $U = U(\\delta)$ of Eq. 15")
    d.step("Uncoupled system", B.subs(delta, 0), sp.diag(e1, e2), how="`subs(delta, 0)`",
           show=eq(Tex("B(0)"), sp.diag(e1, e2)))
    u1, u2 = sp.symbols("u_1 u_2", positive=True)
    u = sp.Symbol("u", positive=True)
    bb = 1 / (1 + sp.exp(u))
    d.definition("Logit coordinates", {b1: 1 / (1 + sp.exp(u1)), b2: 1 / (1 + sp.exp(u2))},
                 how="$b_i = 1/(1+e^{u_i})$; $u_i > 0$ because the uncoupled equation reads "
                     "$u_i = \\frac{s_i^2}{\\lambda}b_i > 0$ (below)")
    d.step("Logit of b", sp.log(bb / (1 - bb)), -u, how="substitute $b = 1/(1+e^{u})$",
           simplifier="expand_log(., force=True)",
           name=Tex("\\log\\frac{b}{1-b}\\Big|_{b = 1/(1+e^u)}"))
    for i, (ui, si, _bi) in enumerate(((u1, s1, b1), (u2, s2, b2)), start=1):
        d.solve(f"Uncoupled fixed point {i} in logit coordinates",
                -ui + si / (lam * (1 + sp.exp(ui))), si,
                how=f"$\\log\\frac{{b_{i}}}{{1-b_{i}}} + \\frac{{s_{i}^2}}{{\\lambda}}b_{i} = 0$ "
                    f"with the logit of $b_{i}$ above; `solve` for $s_{i}^2$")
    d.step("First derivative of B", e["B1"], sp.Matrix([[0, (s1 - s2) / lam],
                                                        [(s1 - s2) / lam, 0]]),
           how="`diff(B, delta)` at 0", name=Tex("B'(0)"))
    pv = sp.Matrix(sp.symbols("alpha_1'(0) alpha_2'(0)"))
    d.solve("Implicit differentiation: first order",
            list(e["J0"] * pv + e["B1"] * sp.Matrix([b1, b2])),
            list(pv), how="`solve` $G_\\alpha\\alpha'(0) = -B'(0)b$, $G_\\alpha = "
            "\\operatorname{diag}(1/(b(1-b))) + B(0)$")
    q1, q2 = b1 * (1 - b1), b2 * (1 - b2)
    z1t = -(s2 / lam) * b1 * (e1 + 1 / q2) / (e2 + 1 / q2)
    d.step("Response z2: first-order coefficient", e["z1"], z1t,
           how="$z^*_2 = \\frac{s_2^2}{\\lambda}(U^T\\alpha^*)_2$ (Eq. 11), `diff` in "
               "$\\delta$ at 0", name=Tex("\\left.\\frac{dz^*_2}{d\\delta}\\right|_0"))
    d.step("Derivative of the uncoupled fixed point", e["db1"],
           -b1 * q1 / (lam + s1 * q1),
           how="`idiff(log(b/(1-b)) + s^2 b/lambda, b, s^2)`", name=Tex("\\frac{db_1}{ds_1^2}"))
    E1 = e["E1"]
    P = b1 * s2 / ((lam + s1 * q1) * (lam + s2 * q2))
    d.step("First-order starvation coefficient", E1, P * (q1 - q2),
           how="chain rule $\\frac{d}{ds_1^2}$ of the $\\delta$-coefficient, `factor`",
           name=Tex("E_1"),
           text="$\\frac{dz^*_2}{ds_1^2} = \\delta E_1 + O(\\delta^2)$ with, writing "
                "$q_i = b_i(1-b_i)$,", ref="Eq. 16")
    d.sign("The cofactor is positive", P, "positive", how="`is_positive`, $b_i, s_i^2, "
           "\\lambda > 0$ and $q_i = b_i(1-b_i) > 0$", uses=["Logit coordinates"],
           via=P.subs({b1: 1 / (1 + sp.exp(u1)), b2: 1 / (1 + sp.exp(u2))}))
    kq, mu = sp.Symbol("kappa", real=True), sp.Symbol("mu", real=True)
    d.hypothesis("u > 0", DOMAIN_POINT, "positive",
                 how="the segment between $u_1, u_2 > 0$ lies in $u > 0$")
    d.divided_difference("q decreases in u", lambda y: -sp.exp(y) / (1 + sp.exp(y)) ** 2,
                         u1, u2, kq,
                         lambda y: 2 * sp.exp(3 * y / 2) * sp.sinh(y / 2) / (1 + sp.exp(y)) ** 3,
                         domain=["u > 0"], simplifier="rewrite(exp)",
                         how="$q = b(1-b) = e^u/(1+e^u)^2$; $\\kappa$ the divided difference "
                             "of $-q$ between $u_1$ and $u_2$")
    d.divided_difference("u increases with the strength", lambda y: y * (1 + sp.exp(y)),
                         u1, u2, mu, lambda y: 1 + sp.exp(y) + y * sp.exp(y),
                         domain=["u > 0"],
                         how="$s^2/\\lambda = u(1+e^u)$ (the uncoupled equation); $\\mu$ its "
                             "divided difference between $u_1$ and $u_2$")
    cof = kq * P / (lam * mu)
    d.sign("kappa P / mu is positive", cof, "positive",
           uses=["q decreases in u", "u increases with the strength", "The cofactor is positive"],
           how="$\\kappa, \\mu > 0$, the cofactor $> 0$")
    d.sign_rule("Sign of E_1", E1, [s1 - s2], cof, name=Tex("E_1"),
                positive="kappa P / mu is positive",
                uses=["Logit coordinates", "Uncoupled fixed point 1 in logit coordinates",
                      "Uncoupled fixed point 2 in logit coordinates", "q decreases in u",
                      "u increases with the strength"],
                how="$q_1 - q_2 = -\\kappa(u_1 - u_2)$ and $u_1 - u_2 = (s_1^2 - s_2^2)/"
                    "(\\lambda\\mu)$")
    d.note("**Result.** For the exact dynamics too, for $s_1^2 > s_2^2 > 0$ and "
           "$\\lambda > 0$, $\\operatorname{sign}(dz^*_2/ds_1^2) = -\\operatorname{sign}"
           "(\\delta)$ at first order: Theorem 2's inequality holds for small $\\delta > 0$ "
           "and reverses for small $\\delta < 0$, exactly as for Eq. 10. Proven "
           "symbolically; no numeric evaluation was used.")
    d.summary("Keeping the uncoupled fixed point $b_i$ of Eq. 9 as a symbol, the first-order "
              "coefficient $E_1$ factors as a positive cofactor times $q_1 - q_2$, "
              "$q = b(1-b)$; in logit coordinates $q$ decreases and $u$ increases with the "
              "strength, so $E_1$ has the sign of $-(s_1^2 - s_2^2)$.",
              ["Response z2: first-order coefficient", "First-order starvation coefficient",
               "q decreases in u", "u increases with the strength", "Sign of E_1"])
    d.result("First-order coefficient (Eq. 9)", "First-order starvation coefficient")
    d.result("Sign of the first-order coefficient (Eq. 9)", "Sign of E_1")
    d.implements("gstheory.sensitivity.starvation_matrix", "entry [0][1] with "
                 "`dynamics=\"exact\"` (Eq. 9)")
    d.implements("gstheory.fixed_points.solve_fixed_point", "the exact fixed point")
    return d
