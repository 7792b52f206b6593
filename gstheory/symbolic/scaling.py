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

from . import theorem2_all_orders as t2
from .common import alphas, eq15, lam, strengths_sq
from .derivation import Derivation, Tex

NAME = "theorem-2-scaling"


def _closed_form(dynamics: str) -> tuple[sp.Expr, sp.Symbol, sp.Symbol, sp.Symbol]:
    r"""The all-orders closed form of :math:`dz^*_2/ds_1^2` with the slopes
    :math:`d_i = \operatorname{link}'(\alpha^*_i)` kept as symbols (they depend on the
    parameters only through the invariant :math:`\alpha^*`), ``c`` written out."""
    d1, d2 = sp.symbols("d_1 d_2", positive=True)
    A = t2.system_matrix(dynamics)
    M = sp.diag(d1, d2) + A
    Z = (t2.s2 * (t2.c * t2.a1 + t2.delta * t2.a2) * t2.c * t2.delta * (d2 - d1)
         / (t2.lam**2 * M.det()))
    return Z.subs(t2.c, sp.sqrt(1 - t2.delta**2)), t2.s1, t2.s2, t2.lam


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
           name=Tex("A(ts_1^2, ts_2^2, t\\lambda)"))
    d.step("Eq. 9's matrix is scale invariant", A9.subs(scale, simultaneous=True), A9,
           how="the same for $\\frac1\\lambda US^2U^T$",
           name=Tex("\\tfrac{1}{t\\lambda}U(tS^2)U^T"))
    d.note("The fixed-point equations $\\log\\alpha + A\\alpha = 0$ (Eq. 10) and "
           "$\\log\\frac{\\alpha}{1-\\alpha} + \\frac1\\lambda US^2U^T\\alpha = 0$ (Eq. 9) "
           "contain the parameters only through these matrices, so their (unique, "
           "Theorem 1) solution $\\alpha^*$ is invariant.")
    z = S2 * U.T * al / lam
    d.step("Responses are homogeneous of degree 0", z.subs(scale, simultaneous=True), z,
           how="`subs` in $z = \\frac1\\lambda S^2U^T\\alpha$ at fixed $\\alpha$ (Eq. 11)",
           name=Tex("z^*(ts_1^2, ts_2^2, t\\lambda)"))
    r, ell = sp.symbols("r ell", positive=True)
    keys = []
    for dyn, lab in (("taylor", "Eq. 10"), ("exact", "Eq. 9")):
        Z, x1, x2, lm = _closed_form(dyn)
        sc = {x1: t * x1, x2: t * x2, lm: t * lm}
        d.step(f"The starvation is homogeneous of degree -1 ({lab})",
               t * Z.subs(sc, simultaneous=True), Z,
               how="`subs` in the all-orders closed form of $dz^*_2/ds_1^2$ (derivation "
                   "`theorem-2-all-orders`; $d_i = \\operatorname{link}'(\\alpha_i)$ kept as "
                   "symbols) at the invariant $\\alpha^*$, times $t$",
               name=Tex("t\\,\\frac{dz^*_2}{ds_1^2}(ts_1^2, ts_2^2, t\\lambda)"))
        title = f"Reduction to two ratios ({lab})"
        d.step(title, x2 * Z.subs({x1: r * x2, lm: ell * x2}, simultaneous=True),
               Z.subs({x1: r, x2: 1, lm: ell}, simultaneous=True),
               how="$t = 1/s_2^2$: substitute $s_1^2 = rs_2^2$, $\\lambda = \\ell s_2^2$ and "
                   "compare with the closed form at $(r, 1, \\ell)$",
               name=Tex("s_2^2\\frac{dz^*_2}{ds_1^2}(\\delta; rs_2^2, s_2^2, \\ell s_2^2)"))
        keys.append(title)
    d.note("With $r = s_1^2/s_2^2$ and $\\ell = \\lambda/s_2^2$ the fixed point (hence "
           "$\\alpha^*$ in the closed form) depends on $(\\delta, r, \\ell)$ only, so "
           "$\\operatorname{sign}\\frac{dz^*_2}{ds_1^2}(\\delta; s_1^2, s_2^2, \\lambda) = "
           "\\operatorname{sign}\\frac{dz^*_2}{ds_1^2}(\\delta; r, 1, \\ell)$ for both "
           "dynamics and every $\\delta$: a certificate over $(\\delta, r, \\ell)$ covers "
           "all parameters.")
    d.summary("Scaling $(s_1^2, s_2^2, \\lambda)$ by $t > 0$ leaves the fixed-point matrices, "
              "hence $\\alpha^*$ and $z^*$, unchanged; the all-orders closed form of "
              "$dz^*_2/ds_1^2$ is then homogeneous of degree $-1$, so its sign depends on "
              "$(\\delta, s_1^2/s_2^2, \\lambda/s_2^2)$ only.",
              ["Eq. 10's matrix is scale invariant", "Eq. 9's matrix is scale invariant",
               "The starvation is homogeneous of degree -1 (Eq. 10)", *keys])
    for k in keys:
        d.result(k.replace("Reduction to two ratios", "Scaling"), k)
    d.implements("gstheory.certificates", "certifies the sign on boxes in "
                 "$(\\delta, s_1^2/s_2^2, \\lambda/s_2^2)$, relying on this reduction")
    d.implements("gstheory.sensitivity.starvation_matrix", "numeric $dz^*_j/ds_i^2$ "
                 "(satisfies the degree $-1$ homogeneity)")
    return d
