r"""Lambert-W fixed points of Eq. 10 in the two decoupled cases (Eq. 12-13).

SymPy solves the scalar fixed-point equation :math:`\log\alpha + c\,\alpha = 0` to
:math:`\alpha = W(c)/c`, shows that equal strengths (any ``U``) and a permutation ``U``
(any strengths) decouple Eq. 10 into such scalar equations, and derives the responses
:math:`z^*` of Eq. 11 in both cases.

Paper: Eq. 10, Eq. 11, Eq. 12, Eq. 13 (Sec. 3.3).
"""

from __future__ import annotations

import sympy as sp

from .common import alphas, lam, lambert_c, rotation, strengths_sq
from .derivation import DOMAIN_POINT, Derivation, Tex, eq

NAME = "lambert-w-fixed-points"


def scalar_root() -> tuple[sp.Symbol, sp.Expr]:
    r"""The root of :math:`\log\alpha + c\alpha = 0` as SymPy's ``solve`` returns it.

    Returns:
        ``(c, root)`` with ``c`` a positive symbol and ``root`` = ``LambertW(c)/c``.

    Paper: Eq. 12-13.
    """
    c = sp.Symbol("c", positive=True)
    a = sp.Symbol("alpha", positive=True)
    (root,) = sp.solve(sp.log(a) + c * a, a)
    return c, root


def lambert_positivity(d: Derivation) -> None:
    r"""Steps showing :math:`W(c) > 0` for :math:`c > 0` (SymPy does not know it).

    W is the principal branch, the inverse of :math:`w \mapsto we^w` on
    :math:`w \ge -1`; for :math:`-1 \le w \le 0` the product :math:`we^w` is
    :math:`\le 0`, so a positive :math:`c` has :math:`W(c) > 0`.

    Paper: Eq. 12, Eq. 13; beyond the paper: the positivity of W they use.
    """
    v = sp.Symbol("v", nonpositive=True)
    cc = sp.Symbol("c")
    d.given("Definition of W", eq(sp.LambertW(cc) * sp.exp(sp.LambertW(cc)), cc),
            text="$W$ is the principal branch of the Lambert W function: the inverse of "
                 "$w\\mapsto we^{w}$ on $w \\ge -1$.")
    d.sign("w e^w <= 0 for w <= 0", v * sp.exp(v), "nonpositive",
           how="`is_nonpositive` for $v \\le 0$")
    d.hypothesis("W is positive on (0, inf)", sp.LambertW(DOMAIN_POINT), "positive",
                 how=f"for $c > 0$, $c = W(c)e^{{W(c)}}$ "
                     f"(the definition, {d.cite('Definition of W')})"
                     f" and $ve^v \\le 0$ for $v \\le 0$ ({d.cite('w e^w <= 0 for w <= 0')}) "
                     "force $W(c) > 0$; an argument in words from the two steps above, stated "
                     "for every $x > 0$ and cited wherever a sign or a log needs it",
                 show=sp.Implies(sp.StrictGreaterThan(DOMAIN_POINT, 0),
                                 sp.StrictGreaterThan(sp.LambertW(DOMAIN_POINT), 0)))


def paper_eq12(s2: sp.Expr, column_sum: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    r"""Eq. 12 as printed: :math:`\alpha^*_i = \lambda W(s^2/\lambda+1)/(s^2+\lambda)`,
    :math:`z^*_j = s^2 W(s^2/\lambda+1)/(s^2+\lambda)\sum_i u_{ij}`.

    Paper: Eq. 12 (Sec. 3.3).
    """
    W = sp.LambertW(s2 / lam + 1)
    return lam * W / (s2 + lam), s2 * W / (s2 + lam) * column_sum


def paper_eq13(s2_j: sp.Expr) -> sp.Expr:
    r"""Eq. 13 as printed: :math:`z^*_j = s_j^2 W(s_j^2/\lambda+1)/(s_j^2+\lambda)`.

    Paper: Eq. 13 (Sec. 3.3).
    """
    return s2_j * sp.LambertW(s2_j / lam + 1) / (s2_j + lam)


def derive() -> Derivation:
    """Build the checked derivation of Eq. 12-13.

    Returns:
        The :class:`~gstheory.symbolic.derivation.Derivation`.

    Paper: Eq. 12, Eq. 13.
    """
    d = Derivation(
        NAME, "Lambert-W fixed points in the decoupled cases", "Eq. 10-13, Sec. 3.3",
        intro="At a fixed point of Eq. 10, $\\log\\alpha + A\\alpha = 0$ with "
              "$A = \\frac1\\lambda U(S^2+\\lambda I)U^T$, and the responses are "
              "$z^* = \\frac1\\lambda S^2U^T\\alpha^*$ (Eq. 11). When $A$ is diagonal the "
              "equations decouple into scalar ones that SymPy solves with the Lambert W "
              "function.")
    c, root = scalar_root()
    a = sp.Symbol("alpha", positive=True)
    lambert_positivity(d)
    d.solve("Scalar fixed point", sp.log(a) + c * a, a,
            how="`solve(log(alpha) + c*alpha, alpha)`", simplifier="lambert-log",
            uses=["W is positive on (0, inf)"],
            text="For $c > 0$ the scalar equation $\\log\\alpha + c\\alpha = 0$ has the root")
    w = sp.Symbol("w", positive=True)
    d.step("The root lies in (0, 1)", (c - w).subs(c, w * sp.exp(w)), w * (sp.exp(w) - 1),
           how="write $w = W(c) > 0$, so $c = we^{w}$ (definition of W), and substitute into "
               "$c - W(c)$", show=eq(sp.Symbol("c - W(c)"), w * (sp.exp(w) - 1)))
    pos = d.step("Positive form", w * (sp.exp(w) - 1), 2 * w * sp.exp(w / 2) * sp.sinh(w / 2),
                 how="$e^{w} - 1 = 2e^{w/2}\\sinh(w/2)$", simplifier="rewrite(exp)")
    d.sign("c - W(c) > 0", pos, "positive", how="`is_positive`, $w > 0$",
           text="so $0 < W(c)/c < 1$: the root is an admissible dual variable.")
    # --- case 1: equal strengths, any U ---
    n = 2
    s2 = sp.Symbol("s^2", positive=True)
    U = rotation()
    al = sp.Matrix(alphas(n))
    A = U * (s2 + lam) * sp.eye(n) * U.T / lam
    cc = lambert_c(s2)
    d.step("Equal strengths: A is a multiple of I", A, cc * sp.eye(n),
           how="multiply out $\\frac1\\lambda U (s^2+\\lambda)I U^T$ with a generic rotation $U$",
           text="**Case 1** ($S^2 = s^2I$, any orthogonal $U$):", ref="Eq. 12",
           show=eq(sp.Symbol("A"), cc * sp.eye(n)))
    fp = al.applyfunc(sp.log) + A * al
    d.step("Equal strengths: the fixed-point equations decouple", fp,
           al.applyfunc(lambda x: sp.log(x) + cc * x), how="expand $\\log\\alpha + A\\alpha$",
           show=eq(Tex(r"\log\alpha + A\alpha"), al.applyfunc(lambda x: sp.log(x) + cc * x)))
    a_eq = root.subs(c, cc)
    a12, _z12 = paper_eq12(s2, Tex("\\Sigma_j"))
    d.step("Equal strengths: alpha* (Eq. 12)", a_eq, a12,
           how="the scalar root with $c = (s^2+\\lambda)/\\lambda$", ref="Eq. 12",
           show=eq(Tex("\\alpha^*_i"), a12))
    z = s2 * U.T * sp.Matrix([a_eq] * n) / lam
    colsum = [sum(U[:, j]) for j in range(n)]
    d.step("Equal strengths: responses (Eq. 12)", z,
           sp.Matrix([paper_eq12(s2, colsum[j])[1] for j in range(n)]),
           how="$z^* = \\frac{s^2}{\\lambda}U^T\\alpha^*$ (Eq. 11) with the constant "
               "$\\alpha^*$; entry $j$ is $\\frac{s^2W(s^2/\\lambda+1)}{s^2+\\lambda}"
               "\\sum_i u_{ij}$",
           ref="Eq. 12", name=Tex("z^*"))
    # --- case 2: permutation U ---
    m = 3
    s2s = strengths_sq(m)
    P = sp.Matrix([[0, 0, 1], [1, 0, 0], [0, 1, 0]])  # feature j lives in example j+1 (mod 3)
    Ap = P * sp.diag(*[si + lam for si in s2s]) * P.T / lam
    d.step("Permutation: A is diagonal", Ap,
           sp.diag(*[lambert_c(s2s[(i - 1) % m]) for i in range(m)]),
           how="multiply out $\\frac1\\lambda P(S^2+\\lambda I)P^T$ for the cyclic permutation "
               "$P$ (feature $j$ carried by example $j+1 \\bmod 3$ only)",
           text="**Case 2** ($U = P$ a permutation matrix, any strengths; shown for $n = 3$ "
                "and a cyclic $P$, the general case only relabels):", ref="Eq. 13",
           show=eq(sp.Symbol("A"), sp.diag(*[lambert_c(s2s[(i - 1) % m]) for i in range(m)])))
    a_p = sp.Matrix([root.subs(c, Ap[i, i]) for i in range(m)])
    d.step("Permutation: each example solves its own scalar equation",
           a_p.applyfunc(sp.log) + Ap * a_p,
           sp.zeros(m, 1), how="substitute $\\alpha^*_i = W(A_{ii})/A_{ii}$ into "
           "$\\log\\alpha + A\\alpha$; $\\log W(c) = \\log c - W(c)$ (definition of W)",
           simplifier="lambert-log", uses=["W is positive on (0, inf)"],
           show=eq(Tex(r"\log\alpha^* + A\alpha^*"), sp.zeros(m, 1)))
    zp = sp.diag(*s2s) * P.T * a_p / lam
    d.step("Permutation: responses (Eq. 13)", zp,
           sp.Matrix([paper_eq13(si) for si in s2s]),
           how="$z^* = \\frac1\\lambda S^2P^T\\alpha^*$ (Eq. 11)", ref="Eq. 13",
           name=Tex("z^*"),
           text="The permutation cancels: feature $j$'s response depends on its own strength "
                "only.")
    d.summary("Where $A$ is diagonal (equal strengths, or a permutation $U$) the fixed-point "
              "equations decouple into $\\log\\alpha + c\\alpha = 0$, solved by "
              "$W(c)/c \\in (0, 1)$; Eq. 11 then gives the responses in closed form.",
              ["Scalar fixed point", "c - W(c) > 0", "Equal strengths: alpha* (Eq. 12)",
               "Equal strengths: responses (Eq. 12)", "Permutation: responses (Eq. 13)"])
    d.result("Scalar root", "Scalar fixed point")
    d.result("Eq. 12 (equal strengths)", "Equal strengths: responses (Eq. 12)")
    d.result("Eq. 13 (permutation)", "Permutation: responses (Eq. 13)")
    d.implements("gstheory.fixed_points.closed_form_equal_strengths", "Eq. 12")
    d.implements("gstheory.fixed_points.closed_form_permutation", "Eq. 13")
    d.implements("gstheory.fixed_points.responses", "Eq. 11 ($z^*$ from $\\alpha^*$)")
    return d
