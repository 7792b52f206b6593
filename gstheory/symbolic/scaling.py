r"""Scaling: the sign of :math:`dz^*_2/ds_1^2` depends only on delta, s1^2/s2^2, lambda/s2^2.

Multiplying all squared strengths and :math:`\lambda` by the same :math:`t > 0` leaves the
fixed-point equations of Eq. 9 and Eq. 10 unchanged, hence :math:`\alpha^*` and
:math:`z^* = \frac1\lambda S^2U^T\alpha^*` (Eq. 11) too; :math:`z^*` is homogeneous of
degree 0, so :math:`dz^*_2/ds_1^2` is homogeneous of degree -1 and its sign is a function of
:math:`(\delta, s_1^2/s_2^2, \lambda/s_2^2)` only. This is what lets the interval
certificates of :mod:`gstheory.certificates` cover the whole parameter space with a
two-dimensional (compactified) box per :math:`\delta`.

Paper: Eq. 9-11, Eq. 15, Theorem 2 (Sec. 3.3); the reduction goes beyond the paper.
"""

from __future__ import annotations

import sympy as sp

from .common import alphas, eq15, lam, lambert_c, strengths_sq
from .derivation import Derivation, Tex, eq
from .starvation import expansion

NAME = "theorem-2-scaling"


def derive() -> Derivation:
    """Build the checked derivation of the scaling reduction.

    Returns:
        The :class:`~gstheory.symbolic.derivation.Derivation`.

    Paper: Theorem 2 (Eq. 16).
    """
    d = Derivation(
        NAME, "Theorem 2 depends on two ratios only (scaling)", "Eq. 9-11, Eq. 15-16, Sec. 3.3",
        intro="Why a certificate over $(\\delta, s_1^2/s_2^2, \\lambda/s_2^2)$ covers every "
              "$(\\delta, s_1^2, s_2^2, \\lambda)$: the theory is invariant under "
              "$(s_1^2, s_2^2, \\lambda) \\mapsto (ts_1^2, ts_2^2, t\\lambda)$, $t > 0$.")
    t = sp.Symbol("t", positive=True)
    s1, s2 = strengths_sq(2)
    U = eq15()
    S2 = sp.diag(s1, s2)
    al = sp.Matrix(alphas(2))
    scale = {s1: t * s1, s2: t * s2, lam: t * lam}
    A10 = U * (S2 + lam * sp.eye(2)) * U.T / lam
    A9 = U * S2 * U.T / lam
    d.step("Eq. 10's matrix is scale invariant", A10.subs(scale, simultaneous=True), A10,
           how="`subs` $s_i^2 \\to ts_i^2$, $\\lambda \\to t\\lambda$ in "
               "$A = \\frac1\\lambda U(S^2+\\lambda I)U^T$",
           show=eq(Tex("A(ts_1^2, ts_2^2, t\\lambda)"), Tex("A(s_1^2, s_2^2, \\lambda)")))
    d.step("Eq. 9's matrix is scale invariant", A9.subs(scale, simultaneous=True), A9,
           how="the same for $\\frac1\\lambda US^2U^T$",
           show=eq(Tex("\\tfrac{1}{t\\lambda}U(tS^2)U^T"), Tex("\\tfrac1\\lambda US^2U^T")))
    d.note("The fixed-point equations $\\log\\alpha + A\\alpha = 0$ (Eq. 10) and "
           "$\\log\\frac{\\alpha}{1-\\alpha} + \\frac1\\lambda US^2U^T\\alpha = 0$ (Eq. 9) "
           "contain the parameters only through these matrices, so their (unique, "
           "Theorem 1) solution $\\alpha^*$ is invariant.")
    z = S2 * U.T * al / lam
    d.step("Responses are homogeneous of degree 0", z.subs(scale, simultaneous=True), z,
           how="`subs` in $z = \\frac1\\lambda S^2U^T\\alpha$ at fixed $\\alpha$ (Eq. 11)",
           show=eq(Tex("z^*(ts_1^2, ts_2^2, t\\lambda)"), Tex("z^*(s_1^2, s_2^2, \\lambda)")))
    Z = sp.Function("z_2")
    x1, x2, x3 = sp.symbols("x_1:4", positive=True)
    identity = Z(t * x1, t * x2, t * x3) - Z(x1, x2, x3)
    dd = sp.diff(identity, x1)
    dZ = sp.Derivative(Z(x1, x2, x3), x1)
    xi = sp.Symbol("xi")
    dZt = sp.Subs(sp.Derivative(Z(xi, t * x2, t * x3), xi), xi, t * x1)
    d.step("Derivative is homogeneous of degree -1", dd, t * dZt - dZ,
           how="`diff` of the identity $z_2(tx) - z_2(x) = 0$ with respect to $x_1 = s_1^2$",
           show=eq(Tex("\\frac{\\partial}{\\partial x_1}\\left[z_2(tx) - z_2(x)\\right]"),
                   t * dZt - dZ),
           text="Differentiating the invariance $z^*_2(tx) = z^*_2(x)$, "
                "$x = (s_1^2, s_2^2, \\lambda)$, with respect to $x_1 = s_1^2$ (chain rule):")
    d.note("Since the bracket vanishes identically, $t\\,\\partial_1 z^*_2(tx) = "
           "\\partial_1 z^*_2(x)$: the derivative is homogeneous of degree $-1$; with "
           "$t = 1/s_2^2$ this is the reduction below. It holds at every $\\delta$ and for "
           "both dynamics (Eq. 9 and Eq. 10), not only at first order.")
    d.given("Reduction", eq(Tex("\\frac{dz^*_2}{ds_1^2}(\\delta; s_1^2, s_2^2, \\lambda)"),
                            Tex("\\frac{1}{s_2^2}\\,\\frac{dz^*_2}{ds_1^2}\\left(\\delta; "
                                "\\frac{s_1^2}{s_2^2}, 1, \\frac{\\lambda}{s_2^2}\\right)")),
            how="the previous step at $t = 1/s_2^2$")
    # check on the first-order closed form of Theorem 2
    e = expansion(second=False)
    D1 = e["D1"]
    c1, c2 = lambert_c(s1), lambert_c(s2)
    d.step("The Lambert arguments are invariant", sp.Matrix([c1, c2]).subs(
        scale, simultaneous=True), sp.Matrix([c1, c2]), how="`subs`",
        show=eq(Tex("c_i(ts_i^2, t\\lambda)"), Tex("c_i")),
        text="Check on Theorem 2's first-order coefficient $D_1$ (derivation `theorem-2`); "
             "$a_i = W(c_i)/c_i$ depend on the parameters only through $c_i$:")
    d.step("D1 is homogeneous of degree -1", t * D1.subs(scale, simultaneous=True), D1,
           how="`subs` then multiply by $t$",
           show=eq(Tex("t\\,D_1(ts_1^2, ts_2^2, t\\lambda)"), Tex("D_1(s_1^2, s_2^2, \\lambda)")))
    r, ell = sp.symbols("r ell", positive=True)
    ratio = {s1: r * s2, lam: ell * s2}
    D1r = sp.factor(D1.subs({s1: r, s2: 1, lam: ell}, simultaneous=True))
    d.step("In ratio form", s2 * D1.subs(ratio, simultaneous=True), D1r,
           how="substitute $s_1^2 = rs_2^2$, $\\lambda = \\ell s_2^2$ into $s_2^2D_1$ and compare "
               "with $D_1$ at $(s_1^2, s_2^2, \\lambda) = (r, 1, \\ell)$ (`factor`ed)",
           show=eq(Tex("s_2^2 D_1(rs_2^2, s_2^2, \\ell s_2^2)"), D1r),
           text="With $r = s_1^2/s_2^2$, $\\ell = \\lambda/s_2^2$ (so $c_1 = (r+\\ell)/\\ell$, "
                "$c_2 = (1+\\ell)/\\ell$ and the $a_i$ depend on $(r, \\ell)$ only), "
                "$s_2^2 D_1$ is a function of $(r, \\ell)$ alone:")
    d.result("Scaling", eq(Tex("\\operatorname{sign}\\frac{dz^*_2}{ds_1^2}"), Tex(
        "\\operatorname{sign}\\frac{dz^*_2}{ds_1^2}\\left(\\delta; \\frac{s_1^2}{s_2^2}, 1, "
        "\\frac{\\lambda}{s_2^2}\\right)\\quad\\text{(Eq. 9 and Eq. 10, any }\\delta)")))
    d.implements("gstheory.certificates", "certifies the sign on boxes in "
                 "$(\\delta, s_1^2/s_2^2, \\lambda/s_2^2)$, relying on this reduction")
    d.implements("gstheory.sensitivity.starvation_matrix", "numeric $dz^*_j/ds_i^2$ "
                 "(satisfies the degree $-1$ homogeneity)")
    return d
