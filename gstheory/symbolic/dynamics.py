r"""Dual dynamics (Eq. 9), their Taylor form (Eq. 10) and Theorem 1.

SymPy takes the gradient of the dual objective (Eq. 8) to get Eq. 9, replaces
:math:`\log(1-\alpha)` by its first-order series to get Eq. 10, and computes the
Jacobian of Eq. 10: :math:`-\operatorname{diag}(1/\alpha) - A` with
:math:`A = \lambda^{-1}U(S^2+\lambda I)U^T` positive definite, hence every fixed point is
attractive (Theorem 1). It also shows the stronger fact that Eq. 10 is the gradient flow
of a strictly concave function.

Explicit matrices: n = 2, ``U`` a generic rotation (rational Cayley form), which is
enough for every identity below (they are matrix identities that hold entrywise).

Paper: Eq. 9, Eq. 10, Theorem 1 (Sec. 3.2).
"""

from __future__ import annotations

import sympy as sp

from .common import alphas, binary_entropy, lam, rotation, strengths_sq, t
from .derivation import Derivation, Tex, eq

NAME = "dual-dynamics"


#: the paper's matrix notation (n = 2); the derivation defines them as explicit matrices
UM, S2M = sp.MatrixSymbol("U", 2, 2), sp.MatrixSymbol("S^2", 2, 2)
AL = sp.MatrixSymbol("alpha", 2, 1)
LOG, LOG1M = sp.MatrixSymbol(r"\log\alpha", 2, 1), sp.MatrixSymbol(r"\log(1-\alpha)", 2, 1)
DIAG = sp.MatrixSymbol(r"\operatorname{diag}(1/\alpha)", 2, 2)
AM = sp.MatrixSymbol("A", 2, 2)


def paper_eq9() -> sp.MatrixExpr:
    r"""Eq. 9 as the paper states it (column form, :math:`\eta = 1`):
    :math:`-\log\alpha + \log(1-\alpha) - \lambda^{-1}US^2U^T\alpha`.

    Paper: Eq. 9 (Sec. 3.2).
    """
    return -LOG + LOG1M - UM * S2M * UM.T * AL / lam


def paper_eq10() -> sp.MatrixExpr:
    r"""Eq. 10 as the paper states it (column form, :math:`\eta = 1`):
    :math:`-\log\alpha - \lambda^{-1}U(S^2+\lambda I)U^T\alpha`.

    Paper: Eq. 10 (Sec. 3.2).
    """
    return -LOG - UM * (S2M + lam * sp.Identity(2)) * UM.T * AL / lam


def paper_theorem1_jacobian() -> sp.MatrixExpr:
    r"""Theorem 1's Jacobian of Eq. 10: :math:`-\operatorname{diag}(1/\alpha) - A`.

    Paper: Theorem 1 (Sec. 3.2).
    """
    return -DIAG - AM


def derived_fields() -> dict:
    r"""Eq. 9, Eq. 10 and Theorem 1's Jacobian as SymPy derives them (n = 2).

    Returns:
        dict with ``alpha`` (2 x 1), ``s2`` (squared strengths), ``t`` (rotation
        parameter of ``U``), ``U``, ``dual`` (Eq. 8), ``eq9`` (its gradient), ``eq10``
        (Eq. 9 with the first-order series of :math:`\log(1-\alpha)`), ``jacobian`` (of
        ``eq10``) and ``series`` (that of :math:`\log(1-u)`, variable ``u``).

    Paper: Eq. 8-10, Theorem 1.
    """
    n = 2
    al = sp.Matrix(alphas(n))
    s2 = strengths_sq(n)
    S2 = sp.diag(*s2)
    U = rotation()
    dual = sum(binary_entropy(a) for a in al) - (al.T * U * S2 * U.T * al)[0, 0] / (2 * lam)
    eq9 = sp.Matrix([sp.diff(dual, a) for a in al])
    u = sp.Symbol("u", positive=True)
    ser = sp.series(sp.log(1 - u), u, 0, 2)
    lin = ser.removeO()
    eq10 = eq9.subs({sp.log(1 - a): lin.subs(u, a) for a in al})
    return {"alpha": al, "s2": s2, "S2": S2, "t": t, "U": U, "dual": dual, "eq9": eq9,
            "u": u, "series": ser, "linear": lin, "eq10": eq10,
            "jacobian": eq10.jacobian(list(al))}


def derive() -> Derivation:
    """Build the checked derivation of Eq. 9, Eq. 10 and Theorem 1.

    Returns:
        The :class:`~gstheory.symbolic.derivation.Derivation`.

    Paper: Eq. 9, Eq. 10, Theorem 1.
    """
    n = 2
    f = derived_fields()
    al, s2, S2, U = f["alpha"], f["s2"], f["S2"], f["U"]
    d = Derivation(
        NAME, "Dual dynamics, their Taylor form and Theorem 1", "Eq. 9-10, Theorem 1, Sec. 3.2",
        intro="Gradient ascent on the dual objective of Eq. 8 in continuous time "
              "(learning rate $\\eta = 1$, which only rescales time). Explicit $2\\times 2$ "
              "matrices: $U$ a generic rotation, $U = \\begin{pmatrix}\\frac{1-t^2}{1+t^2} & "
              "\\frac{-2t}{1+t^2}\\\\ \\frac{2t}{1+t^2} & \\frac{1-t^2}{1+t^2}\\end{pmatrix}$ "
              "(every rotation but the half turn; a reflection only flips a column's sign), "
              "$S^2 = \\operatorname{diag}(s_1^2, s_2^2)$.")
    A = U * (S2 + lam * sp.eye(n)) * U.T / lam
    d.definition("Explicit matrices", {UM: U, S2M: S2, AL: al, LOG: al.applyfunc(sp.log),
                                       LOG1M: al.applyfunc(lambda a: sp.log(1 - a)),
                                       DIAG: sp.diag(*[1 / a for a in al]), AM: A},
                 how="$U$ the rotation above, $S^2 = \\operatorname{diag}(s_1^2, s_2^2)$, "
                     "$\\log$ entrywise, $A = \\frac1\\lambda U(S^2+\\lambda I)U^T$",
                 show=eq(UM, U))
    d.step("U is orthogonal", UM * UM.T, sp.Identity(n), how="multiply",
           uses=["Explicit matrices"])
    HM, oneM = sp.MatrixSymbol("H", n, 1), sp.MatrixSymbol("1", n, 1)
    d.given("Dual objective (Eq. 8)", eq(Tex("D(\\alpha)"), oneM.T * HM - AL.T * UM * S2M
                                          * UM.T * AL / (2 * lam)),
            ref="Eq. 8", text="Established in the derivation `dual-objective` ($H$ the "
                              "binary entropy, entrywise); below it is written out with the "
                              "explicit matrices and differentiated.")
    d.step("Gradient: Eq. 9", f["eq9"], paper_eq9(),
                 how="`diff` of $D$ with respect to each $\\alpha_i$", ref="Eq. 9",
                 uses=["Explicit matrices"],
                 show=eq(Tex(r"\dot\alpha = \nabla_{\alpha} D"), paper_eq9()))
    u = f["u"]
    lin = d.step("First-order series of log(1 - alpha)", f["linear"], -u,
                 how="`series(log(1 - u), u, 0, 2)`, `removeO`",
                 name=Tex(r"\log(1-u) + O(u^2)"))
    taylor = f["eq9"].subs({sp.log(1 - a): lin.subs(u, a) for a in al})
    d.step("Substitution: Eq. 10", taylor, paper_eq10(),
           how="replace each $\\log(1-\\alpha_i)$ in Eq. 9 by $-\\alpha_i$ (`subs`); "
               "$-\\alpha = -\\frac{1}{\\lambda} U(\\lambda I)U^T\\alpha$ since $UU^T = I$",
           ref="Eq. 10", uses=["Explicit matrices"],
           show=eq(Tex(r"\dot\alpha"), paper_eq10()),
           text="The neglected remainder is $\\log(1-\\alpha_i) + \\alpha_i = O(\\alpha_i^2)$, "
                "small when the fixed point is near the origin ($\\lambda \\ll s_k^2$).")
    J = f["jacobian"]
    d.step("Jacobian of Eq. 10 (Theorem 1)", J, paper_theorem1_jacobian(),
           how="`jacobian` of the right-hand side of Eq. 10", ref="Theorem 1",
           uses=["Explicit matrices"],
           show=eq(Tex(r"J = \partial\dot\alpha/\partial\alpha"), paper_theorem1_jacobian()))
    c = [(si + lam) / lam for si in s2]
    d.step("Eigen-decomposition of A", UM.T * AM * UM, sp.diag(*c),
           how="$U^TAU$ multiplied out", uses=["Explicit matrices"],
           text="$A$ is orthogonally similar to $\\operatorname{diag}(c_i)$, "
                "$c_i = (s_i^2+\\lambda)/\\lambda$:")
    Jt, Jd = Tex(r"\operatorname{tr} J", real=True), Tex(r"\det J", real=True)
    tr_form = -(sum(1 / a for a in al) + sum(c))
    det_form = 1 / (al[0] * al[1]) + A[0, 0] / al[1] + A[1, 1] / al[0] + c[0] * c[1]
    d.step("Trace of J", J.trace(), tr_form, name=Jt,
           how="`trace`; $\\operatorname{tr}A = \\operatorname{tr}(U^TAU) = c_1 + c_2$")
    d.step("Determinant of J", J.det(), det_form, name=Jd,
           how="`det`; $\\det A = c_1c_2$ ($\\det U = 1$)")
    d.sign("tr J < 0", Jt, "negative", via=tr_form, uses=["Trace of J"],
           how="$\\alpha_i, s_i^2, \\lambda > 0$")
    d.sign("det J > 0", Jd, "positive", via=det_form, uses=["Determinant of J"],
           how="a sum of nonnegative terms, $1/(\\alpha_1\\alpha_2) > 0$")
    d.step("J is symmetric", J.T - J, sp.zeros(n, n), how="transpose",
           name=Tex("J^T - J"))
    d.note("A symmetric $2\\times2$ matrix with negative trace and positive determinant has "
           "two negative eigenvalues (their product is $\\det J > 0$, so they have one "
           "sign, and their sum $\\operatorname{tr} J < 0$ fixes it): $J \\prec 0$ at every "
           "$\\alpha \\in (0,\\infty)^2$, so every fixed point of Eq. 10 is linearly stable "
           "(attractive): Theorem 1. For general $n$ the same holds because $-J = "
           "\\operatorname{diag}(1/\\alpha) + A$ is a positive diagonal matrix plus a positive "
           "definite one ($A = U\\operatorname{diag}(c)U^T$, $c_i > 0$); the steps above "
           "check $n = 2$.")
    F = sum(a - a * sp.log(a) for a in al) - (al.T * A * al)[0, 0] / 2
    d.step("Eq. 10 is a gradient flow", sp.Matrix([sp.diff(F, a) for a in al]), paper_eq10(),
           how="`diff` of $F(\\alpha) = \\sum_i(\\alpha_i - \\alpha_i\\log\\alpha_i) - "
               "\\frac12\\alpha^TA\\alpha$", uses=["Explicit matrices"],
           show=eq(Tex(r"\nabla_{\alpha} F"), paper_eq10()),
           text="Beyond the paper: Eq. 10 is the gradient flow of $F(\\alpha) = "
                "\\sum_i(\\alpha_i - \\alpha_i\\log\\alpha_i) - \\frac12\\alpha^TA\\alpha$, whose "
                "Hessian is the Jacobian $J \\prec 0$: $F$ is strictly "
                "concave, so the fixed point is unique and $F$ is a Lyapunov function; "
                "every trajectory in $(0,\\infty)^n$ converges to it.")
    d.summary("Gradient ascent on the dual objective gives Eq. 9; replacing "
              "$\\log(1-\\alpha)$ by its first-order series gives Eq. 10, which is the "
              "gradient flow of a strictly concave function: its Jacobian has negative trace "
              "and positive determinant, so the fixed point is unique and attractive "
              "(Theorem 1).",
              ["Gradient: Eq. 9", "Substitution: Eq. 10", "Jacobian of Eq. 10 (Theorem 1)",
               "tr J < 0", "det J > 0"])
    d.result("Eq. 9", "Gradient: Eq. 9")
    d.result("Eq. 10", "Substitution: Eq. 10")
    d.result("Theorem 1: trace", "tr J < 0")
    d.result("Theorem 1: determinant", "det J > 0")
    d.implements("gstheory.dual.vector_field", "Eq. 9 (`dynamics=\"exact\"`) and Eq. 10 "
                 "(`dynamics=\"taylor\"`)")
    d.implements("gstheory.dual.vector_field_jacobian", "Theorem 1's Jacobian")
    d.implements("gstheory.trajectories.integrate_dual", "trajectories of Eq. 9-10")
    return d
