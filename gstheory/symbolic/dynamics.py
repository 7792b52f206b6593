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


def paper_eq9(al: sp.Matrix, U: sp.Matrix, S2: sp.Matrix) -> sp.Matrix:
    r"""Eq. 9 as the paper states it (column form, :math:`\eta = 1`):
    :math:`-\log\alpha + \log(1-\alpha) - \lambda^{-1}US^2U^T\alpha`."""
    return al.applyfunc(lambda a: -sp.log(a) + sp.log(1 - a)) - U * S2 * U.T * al / lam


def paper_eq10(al: sp.Matrix, U: sp.Matrix, S2: sp.Matrix) -> sp.Matrix:
    r"""Eq. 10 as the paper states it (column form, :math:`\eta = 1`):
    :math:`-\log\alpha - \lambda^{-1}U(S^2+\lambda I)U^T\alpha`."""
    n = al.shape[0]
    return -al.applyfunc(sp.log) - U * (S2 + lam * sp.eye(n)) * U.T * al / lam


def paper_theorem1_jacobian(al: sp.Matrix, U: sp.Matrix, S2: sp.Matrix) -> sp.Matrix:
    r"""Theorem 1's Jacobian of Eq. 10: :math:`-\operatorname{diag}(1/\alpha) - A`."""
    n = al.shape[0]
    A = U * (S2 + lam * sp.eye(n)) * U.T / lam
    return -sp.diag(*[1 / a for a in al]) - A


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
    d.step("U is orthogonal", U * U.T, sp.eye(n), how="multiply", show=eq(
        Tex("U U^T"), sp.Symbol("I")))
    d.given("Dual objective (Eq. 8)", eq(Tex("D(\\alpha)"), Tex(
        r"\mathbf{1}\cdot H(\alpha) - \frac{1}{2\lambda}\alpha^T U S^2 U^T\alpha")),
        ref="Eq. 8", text="Established in the derivation `dual-objective`.")
    eq9 = d.step("Gradient: Eq. 9", f["eq9"], paper_eq9(al, U, S2),
                 how="`diff` of $D$ with respect to each $\\alpha_i$",
                 simplifier="expand_log(., force=True)", ref="Eq. 9",
                 show=eq(Tex(r"\dot\alpha = \nabla_{\alpha} D"), Tex(
                     r"-\log\alpha + \log(1-\alpha) - \frac{1}{\lambda}US^2U^T\alpha")))
    u, ser = f["u"], f["series"]
    lin = d.step("First-order series of log(1 - alpha)", f["linear"], -u,
                 how="`series(log(1 - u), u, 0, 2)`",
                 show=eq(sp.log(1 - u), ser))
    taylor = eq9.subs({sp.log(1 - a): lin.subs(u, a) for a in al})
    d.step("Substitution: Eq. 10", taylor, paper_eq10(al, U, S2),
           how="replace each $\\log(1-\\alpha_i)$ in Eq. 9 by $-\\alpha_i$ (`subs`) and "
               "collect $-\\alpha = -\\frac{1}{\\lambda} U(\\lambda I)U^T\\alpha$ using "
               "$UU^T = I$", ref="Eq. 10",
           show=eq(Tex(r"\dot\alpha"), Tex(
               r"-\log\alpha - \frac{1}{\lambda}U(S^2+\lambda I)U^T\alpha")),
           text="The neglected remainder is $\\log(1-\\alpha_i) + \\alpha_i = O(\\alpha_i^2)$, "
                "small when the fixed point is near the origin ($\\lambda \\ll s_k^2$).")
    A = U * (S2 + lam * sp.eye(n)) * U.T / lam
    J = f["jacobian"]
    d.step("Jacobian of Eq. 10 (Theorem 1)", J, paper_theorem1_jacobian(al, U, S2),
           how="`jacobian` of the right-hand side of Eq. 10", ref="Theorem 1",
           show=eq(Tex(r"\partial\dot\alpha/\partial\alpha"),
                      Tex(r"-\operatorname{diag}(1/\alpha) - A,\quad "
                                r"A = \frac{1}{\lambda}U(S^2+\lambda I)U^T")))
    c = [(si + lam) / lam for si in s2]
    d.step("Eigen-decomposition of A", U.T * A * U, sp.diag(*c),
           how="$U^TAU$ multiplied out",
           show=eq(Tex("U^T A U"), sp.diag(*c)),
           text="$A$ is orthogonally similar to $\\operatorname{diag}(c_i)$, "
                "$c_i = (s_i^2+\\lambda)/\\lambda$:")
    for i, ci in enumerate(c, start=1):
        d.sign(f"Eigenvalue {i} of A is positive", ci, "positive",
               how="$\\lambda > 0$, $s_i^2 > 0$")
    d.note("Hence $A$ is positive definite, and $-J = \\operatorname{diag}(1/\\alpha) + A$ is "
           "the sum of a positive diagonal matrix and a positive definite one: $J$ is "
           "symmetric negative definite at every $\\alpha \\in (0,\\infty)^n$, so every fixed "
           "point of Eq. 10 is linearly stable (attractive): Theorem 1. The argument is "
           "the same for any $n$ (nothing above used $n = 2$ except to write the matrices "
           "out).")
    F = sum(a - a * sp.log(a) for a in al) - (al.T * A * al)[0, 0] / 2
    d.step("Eq. 10 is a gradient flow", sp.Matrix([sp.diff(F, a) for a in al]), taylor,
           how="`diff` of $F(\\alpha) = \\sum_i(\\alpha_i - \\alpha_i\\log\\alpha_i) - "
               "\\frac12\\alpha^TA\\alpha$",
           show=eq(Tex(r"\nabla_{\alpha} F"), Tex(r"\dot\alpha")),
           text="Beyond the paper: Eq. 10 is the gradient flow of $F(\\alpha) = "
                "\\sum_i(\\alpha_i - \\alpha_i\\log\\alpha_i) - \\frac12\\alpha^TA\\alpha$, whose "
                "Hessian is the Jacobian above (negative definite): $F$ is strictly "
                "concave, so the fixed point is unique and $F$ is a Lyapunov function; "
                "every trajectory in $(0,\\infty)^n$ converges to it.")
    d.result("Eq. 9", eq(Tex(r"\dot\alpha"), Tex(
        r"-\log\alpha + \log(1-\alpha) - \frac{1}{\lambda}\alpha U S^2 U^T")))
    d.result("Eq. 10", eq(Tex(r"\dot\alpha"), Tex(
        r"-\log\alpha - \frac{1}{\lambda}\alpha U(S^2+\lambda I)U^T")))
    d.result("Theorem 1", eq(Tex(r"\partial\dot\alpha/\partial\alpha"), Tex(
        r"-\operatorname{diag}(1/\alpha) - A \prec 0")))
    d.implements("gstheory.dual.vector_field", "Eq. 9 (`dynamics=\"exact\"`) and Eq. 10 "
                 "(`dynamics=\"taylor\"`)")
    d.implements("gstheory.dual.vector_field_jacobian", "Theorem 1's Jacobian")
    d.implements("gstheory.dynamics.integrate_dual", "trajectories of Eq. 9-10")
    return d
