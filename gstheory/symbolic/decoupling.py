r"""Spectral decoupling (Eq. 17-18) and its gamma variant (Sec. 4.4).

Replacing the weight decay by a penalty on the outputs, SymPy finds the critical points
in :math:`\theta` (a flat family: the penalty does not see the null space of
:math:`\Phi_0`), picks the minimum-norm one, and shows that :math:`U` and :math:`S` cancel
from the dual: every :math:`\alpha_i` evolves on its own (Eq. 18). The fixed point (exact
implicit form and Lambert-W Taylor form) depends on :math:`\lambda` (and :math:`\gamma`)
only, so the responses :math:`z^*` do not depend on any strength: the starvation matrix is
zero. The same holds with per-example :math:`\lambda_i` and margin targets
:math:`\gamma_i` (Sec. 4.4).

Explicit matrices: n = 2 examples, m = 3 parameters, :math:`Y\Phi_0 = USV^T` with ``U`` a
generic rotation, ``V`` the first two columns of a two-parameter rotation.

Paper: Eq. 17, Eq. 18 (Sec. 3.4), Sec. 4.4.
"""

from __future__ import annotations

import sympy as sp

from .common import alphas, binary_entropy, lam, rotation, rotation3
from .derivation import Derivation, Tex, eq
from .lambert import lambert_positivity

NAME = "spectral-decoupling"


def paper_eq18() -> sp.MatrixExpr:
    r"""Eq. 18 as printed (column form, :math:`\eta = 1`), in matrix symbols:
    :math:`\log\frac{1-\alpha}{\alpha} - \frac1\lambda US^2S^{-2}U^T\alpha`.

    Paper: Eq. 18 (Sec. 3.4).
    """
    U, S = sp.MatrixSymbol("U", 2, 2), sp.MatrixSymbol("S", 2, 2)
    return (sp.MatrixSymbol("\\log\\frac{1-\\alpha}{\\alpha}", 2, 1)
            - U * S**2 * (S**2).I * U.T * sp.MatrixSymbol("alpha", 2, 1) / lam)


def derive() -> Derivation:
    """Build the checked derivation of Eq. 17-18 and the gamma variant.

    Returns:
        The :class:`~gstheory.symbolic.derivation.Derivation`.

    Paper: Eq. 17-18, Sec. 4.4.
    """
    n = 2
    d = Derivation(
        NAME, "Spectral decoupling: the dual dynamics decouple", "Eq. 17-18, Sec. 3.4, Sec. 4.4",
        intro="Spectral decoupling replaces $\\frac\\lambda2\\|\\theta\\|^2$ by "
              "$\\frac\\lambda2\\|\\hat y\\|^2$ (Eq. 17). With $\\hat y = \\Phi_0\\theta$ and "
              "$Y\\Phi_0 = USV^T$ (Definition 1), margins are $Y\\hat y = USV^T\\theta$ and, "
              "since $y_i^2 = 1$, $\\|\\hat y\\|^2 = \\|Y\\hat y\\|^2$. Explicit matrices: "
              "$n = 2$, "
              "$m = 3$, $U$ a generic rotation (parameter $t$), $S = \\operatorname{diag}(s_1, "
              "s_2)$, $V$ the first two columns of the rotation $R_{12}(p)R_{23}(q)$ (rational "
              "Cayley form; only $V^TV = I$ is used, and it is checked).")
    al = sp.Matrix(alphas(n))
    s = sp.symbols("s_1 s_2", positive=True)
    S = sp.diag(*s)
    U = rotation()
    Q = rotation3(*sp.symbols("p q", real=True))
    V, v3 = Q[:, :2], Q[:, 2]
    B = U * S * V.T  # = Y Phi0
    Hsum = sum(binary_entropy(a) for a in al)
    YPhi, thM = sp.MatrixSymbol("B", n, 3), sp.MatrixSymbol("theta", 3, 1)
    HM, oneM, AlM = sp.MatrixSymbol("H", n, 1), sp.MatrixSymbol("1", n, 1), \
        sp.MatrixSymbol("alpha", n, 1)
    d.given("Saddle function with spectral decoupling", eq(
        Tex("\\mathcal{L}(\\theta,\\alpha)"),
        oneM.T * HM - AlM.T * YPhi * thM + lam / 2 * (YPhi * thM).T * (YPhi * thM)),
        ref="Eq. 17", how="the saddle function of Eq. 7 with the penalty of Eq. 17, "
                          "$B = Y\\Phi_0$ ($\\|\\hat y\\|^2 = \\|Y\\hat y\\|^2$, $H$ the "
                          "binary entropy)")
    d.step("V has orthonormal columns", V.T * V, sp.eye(n), how="multiply",
           show=eq(Tex("V^TV"), sp.eye(n)))
    mv = sp.Matrix(sp.symbols("m_1:3", real=True))
    Lm = Hsum - (al.T * mv)[0, 0] + lam / 2 * (mv.T * mv)[0, 0]
    d.step("Gradient in the margins", sp.Matrix([sp.diff(Lm, x) for x in mv]),
           lam * mv - al, how="`diff` with respect to the margins $m = Y\\hat y = "
           "Y\\Phi_0\\theta$",
           show=eq(Tex("\\nabla_m\\mathcal L"), lam * mv - al),
           text="$\\mathcal L$ depends on $\\theta$ only through the margins "
                "$m = Y\\Phi_0\\theta$, so by the chain rule "
                "$\\nabla_\\theta\\mathcal L = \\Phi_0^TY\\,\\nabla_m\\mathcal L$ with")
    d.step("The Hessian is singular", B * v3, sp.zeros(n, 1),
           how="multiply $Y\\Phi_0 = USV^T$ by $v_3$, the third column of the rotation whose "
               "first two columns are $V$",
           show=eq(Tex("Y\\Phi_0 v_3"), sp.zeros(n, 1)),
           text="The Hessian $\\lambda\\Phi_0^T\\Phi_0$ annihilates $v_3$: the critical points "
                "form a line $\\theta^* + \\mathbb{R}v_3$ (the null space of $\\Phi_0$, along "
                "which neither the loss nor the penalty changes); the paper takes the "
                "minimum-norm one.")
    w = sp.Matrix(sp.symbols("w_1:3", real=True))
    Lw = Hsum - (al.T * U * S * w)[0, 0] + lam / 2 * ((U * S * w).T * (U * S * w))[0, 0]
    Um, Sm, Vm = sp.MatrixSymbol("U", n, n), sp.MatrixSymbol("S", n, n), sp.MatrixSymbol("V", 3, n)
    Alm = sp.MatrixSymbol("alpha", n, 1)
    LOGm = sp.MatrixSymbol("\\log\\frac{1-\\alpha}{\\alpha}", n, 1)
    d.definition("Explicit matrices", {Um: U, Sm: S, Vm: V, Alm: al,
                                       LOGm: al.applyfunc(lambda a: sp.log((1 - a) / a))},
                 how="as in the introduction", show=eq(Vm, V))
    for i, ai in enumerate(al, start=1):
        d.hypothesis(f"alpha_{i} < 1", 1 - ai, "positive", how="dual variables lie in $(0, 1)$")
    d.step("Only the row-space component matters", Um * Sm * Vm.T * Vm, Um * Sm,
           how="multiply $USV^T\\cdot V$ (uses $V^TV = I$)", uses=["Explicit matrices"],
           text="Write $\\theta = Vw + \\theta_\\perp$ with $V^T\\theta_\\perp = 0$. Then "
                "$m = Y\\Phi_0\\theta = USw$ because")
    sol = sp.solve([sp.diff(Lw, x) for x in w], list(w), dict=True)
    if len(sol) != 1:
        raise AssertionError(f"expected one critical w, got {sol}")
    wstar = w.subs(sol[0])
    d.step("Critical point in the row space", wstar, Sm.I * Um.T * Alm / lam,
           how="`solve` $\\nabla_w = 0$", name=Tex("w^*"), uses=["Explicit matrices"])
    th_star = V * wstar
    d.step("Minimum-norm critical point (the paper's form)", th_star,
           Vm * (Sm**2).I * Vm.T * (Um * Sm * Vm.T).T * Alm / lam, uses=["Explicit matrices"],
           how="$\\theta^* = Vw^*$ (since $\\|\\theta\\|^2 = \\|w\\|^2 + \\|\\theta_\\perp\\|^2$, "
               "$\\theta_\\perp = 0$ is the minimum norm); compared with the paper's "
               "$\\frac1\\lambda VS^{-2}V^T\\Phi_0^TY\\alpha$",
           name=Tex("\\theta^*"), ref="Eq. 18",
           text="($= \\frac1\\lambda VS^{-1}U^T\\alpha = Vw^*$)")
    marg_star = U * S * wstar
    d.step("U and S cancel: the margins", marg_star, al / lam,
           how="$Y\\hat y^* = USV^T\\theta^* = USw^*$ multiplied out",
           name=Tex("Y\\hat y^*"),
           text="Every example's margin at the optimum is its own dual variable over "
                "$\\lambda$; $U$ and $S$ have cancelled. (So $\\nabla_m\\mathcal L = 0$ "
                "there, and $\\theta^*$ is a critical point in the full space.)")
    dual = Lw.subs(dict(zip(w, wstar)))
    sd_dual = Hsum - (al.T * al)[0, 0] / (2 * lam)
    d.step("Dual objective", dual, sd_dual, how="substitute $w^*$ into $\\mathcal L(Vw, "
           "\\alpha)$ (equal to $\\mathcal L(\\theta^*, \\alpha)$ by the step above)",
           show=eq(Tex("D_{SD}(\\alpha)"), sd_dual))
    flow = sp.Matrix([sp.diff(sd_dual, a) for a in al])
    d.step("Decoupled dynamics (Eq. 18)", flow, paper_eq18(),
           uses=["Explicit matrices", "alpha_1 < 1", "alpha_2 < 1"],
           how="`diff` of $D_{SD}$; compared with the paper's "
               "$\\log\\frac{1-\\alpha}{\\alpha} - \\frac1\\lambda\\alpha US^2S^{-2}U^T$",
           simplifier="expand_log(., force=True)", ref="Eq. 18",
           show=eq(Tex("\\dot\\alpha"), paper_eq18()))
    d.step("The Jacobian is diagonal", flow.jacobian(list(al)),
           sp.diag(*[-1 / (a * (1 - a)) - 1 / lam for a in al]), how="`jacobian`",
           show=eq(Tex("\\partial\\dot\\alpha/\\partial\\alpha"),
                   sp.diag(*[-1 / (a * (1 - a)) - 1 / lam for a in al])),
           text="Each $\\alpha_i$ evolves independently of the others, for any $U$ and $S$:")
    # --- fixed points ---
    a = sp.Symbol("alpha", positive=True)
    u = sp.Symbol("u", real=True)
    g = sp.Symbol("gamma", real=True)
    lg = sp.Symbol("lambda", positive=True)
    h = sp.log((1 - a) / a) - g - a / lg
    hp = d.step("Exact fixed point: monotone equation", sp.diff(h, a),
                -1 / (a * (1 - a)) - 1 / lg, how="`diff` of "
                "$h(\\alpha) = \\log\\frac{1-\\alpha}{\\alpha} - \\gamma - \\alpha/\\lambda$",
                show=eq(Tex("h'(\\alpha)"), -1 / (a * (1 - a)) - 1 / lg),
                text="The exact fixed point solves $h(\\alpha) = 0$ (with margin target "
                     "$\\gamma$; $\\gamma = 0$ is Eq. 18). Writing it with a general "
                     "$\\gamma$ covers Sec. 4.4 below:")
    d.sign("h is strictly decreasing on (0, 1)", sp.simplify(hp.subs(a, 1 / (1 + sp.exp(u)))),
           "negative", how="substitute $\\alpha = 1/(1+e^{u})$ (all of $(0,1)$), `simplify`")
    lim0 = sp.limit(h, a, 0, "+")
    lim1 = sp.limit(h, a, 1, "-")
    d.step("Limits at the ends", sp.Matrix([lim0, lim1]), sp.Matrix([sp.oo, -sp.oo]),
           how="`limit` at $0^+$ and $1^-$",
           show=eq(Tex("\\left(h(0^+), h(1^-)\\right)"), sp.Matrix([sp.oo, -sp.oo])),
           text="So $h$ has exactly one root $\\alpha^*_{SD}(\\lambda, \\gamma) \\in (0,1)$, "
                "the same for every example with the same $(\\lambda, \\gamma)$, whatever "
                "$U$ and $S$ are (no closed form; the Taylor form has one):")
    lin = sp.series(sp.log(1 - a), a, 0, 2).removeO()
    ht = -sp.log(a) + lin - g - a / lg
    lambert_positivity(d)
    at = d.solve("Taylor fixed point", ht, a, how="replace $\\log(1-\\alpha)$ by its "
                 "first-order series $-\\alpha$ (as for Eq. 10) and `solve`",
                 simplifier="lambert-log", uses=["W is positive on (0, inf)"])
    d.step("Taylor fixed point at gamma = 0", at.subs(g, 0),
           lg * sp.LambertW(1 / lg + 1) / (1 + lg), how="`subs(gamma, 0)`",
           show=eq(Tex("\\alpha^*_{SD}\\big|_{\\gamma=0}"),
                   lg * sp.LambertW(1 / lg + 1) / (1 + lg)))
    # --- responses: no dependence on strengths ---
    zs = sp.Symbol("zeta", positive=True)  # alpha*_SD, a function of lambda, gamma only
    z = U.T * (sp.Matrix([g, g]) + sp.Matrix([zs, zs]) / lam)
    d.step("Responses", z, U.T * sp.ones(n, 1) * (g + zs / lam),
           how="$z^* = U^TY\\hat y^* = U^T(\\gamma + \\alpha^*/\\lambda)$ (Eq. 4) with "
               "$\\alpha^*_i = \\zeta$ for every $i$",
           name=Tex("z^*"), text="$z^* = (\\gamma + \\alpha^*_{SD}/\\lambda)U^T\\mathbf 1$:")
    d.step("No strength enters z*", sp.Matrix([[sp.diff(zj, si) for zj in z] for si in s]),
           sp.zeros(n, n), how="`diff` of $z^*_j$ with respect to each strength $s_i$ "
           "($\\zeta = \\alpha^*_{SD}$ depends on $\\lambda, \\gamma$ only)",
           show=eq(Tex("\\left[\\partial z^*_j/\\partial s_i^2\\right]_{ij}"), sp.zeros(n, n)),
           text="Hence the whole starvation matrix vanishes (in particular every "
                "off-diagonal entry): no feature starves another under spectral "
                "decoupling. $z^*$ still depends on the coupling $U$, which is not a "
                "strength.")
    # --- Sec. 4.4: per-example lambda_i and gamma_i ---
    lams = sp.symbols("lambda_1:3", positive=True)
    gs = sp.symbols("gamma_1:3", real=True)
    mw = U * S * w
    Lg = Hsum - (al.T * mw)[0, 0] + sum(lams[i] / 2 * (mw[i] - gs[i]) ** 2 for i in range(n))
    yi, yh, gi = sp.Symbol("y_i"), sp.Symbol("\\hat y_i"), sp.Symbol("g_i")
    d.step("Sec. 4.4: logit targets are margin targets", (yh - gi) ** 2
           - (yi * yh - yi * gi) ** 2, (1 - yi**2) * (yh - gi) ** 2,
           how="expand; with $y_i^2 = 1$ the right side is 0",
           show=eq(Tex("(\\hat y_i - g_i)^2 - (y_i\\hat y_i - y_ig_i)^2"),
                   (1 - yi**2) * (yh - gi) ** 2),
           text="**Sec. 4.4 variant.** The paper's penalty $\\frac{\\lambda}{2}\\|\\hat y - "
                "g\\|^2$ with per-class $\\lambda$ and logit targets $g$ is the same as "
                "$\\sum_i\\frac{\\lambda_i}{2}(y_i\\hat y_i - \\gamma_i)^2$ with margin "
                "targets $\\gamma_i = y_ig_i$:")
    solg = sp.solve([sp.diff(Lg, x) for x in w], list(w), dict=True)
    if len(solg) != 1:
        raise AssertionError(f"expected one critical w, got {solg}")
    mstar = mw.subs(solg[0])
    d.step("Sec. 4.4: margins at the optimum", mstar,
           sp.Matrix([gs[i] + al[i] / lams[i] for i in range(n)]),
           how="`solve` $\\nabla_w\\mathcal L = 0$ (row-space component, as above), then "
               "$Y\\hat y^* = USw^*$",
           show=eq(Tex("Y\\hat y^*"), sp.Matrix([gs[i] + al[i] / lams[i] for i in range(n)])))
    dualg = Lg.subs(solg[0])
    target = Hsum - sum(al[i] * gs[i] + al[i] ** 2 / (2 * lams[i]) for i in range(n))
    d.step("Sec. 4.4: dual objective", dualg, target, how="substitute",
           show=eq(Tex("D_{SD,\\gamma}(\\alpha)"), target))
    flowg = sp.Matrix([sp.diff(target, x) for x in al])
    d.step("Sec. 4.4: decoupled dynamics", flowg,
           sp.Matrix([sp.log((1 - al[i]) / al[i]) - gs[i] - al[i] / lams[i]
                      for i in range(n)]), how="`diff`", simplifier="expand_log(., force=True)",
           uses=["alpha_1 < 1", "alpha_2 < 1"], name=Tex("\\dot\\alpha"),
           text="Example $i$'s fixed point is $h = 0$ above with $(\\lambda_i, \\gamma_i)$: "
                "again independent of $U$, $S$ and of the other examples, and "
                "$z^* = U^T(\\gamma + \\alpha^*/\\lambda)$ contains no strength.")
    d.summary("With the penalty on the outputs, the margins at the optimum are "
              "$\\alpha/\\lambda$: $U$ and $S$ cancel, the dual objective loses its coupling "
              "term, and each dual variable follows its own one-dimensional dynamics (Eq. 18). "
              "The fixed point is the same for every example, so no strength enters $z^*$ "
              "and no feature starves another; per-example $\\lambda_i, \\gamma_i$ "
              "(Sec. 4.4) keep the decoupling.",
              ["U and S cancel: the margins", "Dual objective", "Decoupled dynamics (Eq. 18)",
               "No strength enters z*", "Sec. 4.4: decoupled dynamics"])
    d.result("Eq. 18", "Decoupled dynamics (Eq. 18)")
    d.result("Eq. 18 with per-example targets (Sec. 4.4)", "Sec. 4.4: decoupled dynamics")
    d.result("Taylor fixed point", "Taylor fixed point")
    d.result("No starvation under spectral decoupling", "No strength enters z*")
    d.implements("gstheory.penalties.SpectralDecoupling", "the penalty (Eq. 17, Sec. 4.4)")
    d.implements("gstheory.fixed_points.sd_alpha", "$\\alpha^*_{SD}$: Taylor (Lambert W) "
                 "and exact forms")
    d.implements("gstheory.fixed_points.closed_form_sd", "the SD fixed point and $z^*$")
    d.implements("gstheory.dual.vector_field", "Eq. 18 (SD penalty)")
    d.implements("gstheory.sensitivity.starvation_matrix", "zero for SD")
    return d
