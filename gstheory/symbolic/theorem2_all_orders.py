r"""Beyond the paper: Theorem 2 to all orders in the coupling, both dynamics.

Two features with squared strengths :math:`s_1^2, s_2^2`, ridge :math:`\lambda > 0`,
Eq. 15's coupling :math:`U = [[c, -\delta], [\delta, c]]`, :math:`c = \sqrt{1-\delta^2}`,
for **every** :math:`\delta \in (-1, 1)` (no expansion). The fixed point solves
:math:`\operatorname{link}(\alpha) + A\alpha = 0` with

* Taylor dynamics (Eq. 10): :math:`\operatorname{link} = \log`,
  :math:`A = U(S^2 + \lambda I)U^T/\lambda`;
* exact dynamics (Eq. 9): :math:`\operatorname{link} = \operatorname{logit}`,
  :math:`A = US^2U^T/\lambda`.

The route (every inference an engine step): the implicit derivative in closed form,

.. math:: \frac{dz^*_2}{ds_1^2} = \frac{s_2^2 (c\alpha_1 + \delta\alpha_2)\, c\delta
          (d_2 - d_1)}{\lambda^2 \det M}, \quad M = \operatorname{diag}(d) + A,
          \quad d_i = \operatorname{link}'(\alpha_i);

a difference lemma :math:`\alpha_1 - \alpha_2 = -(1-2\delta^2)(s_1^2 - s_2^2)
(\alpha_1+\alpha_2)/(\lambda N)`, :math:`N = 2\kappa + v^TAv > 0` with the divided
difference :math:`\kappa > 0` of the link; and the factorisation

.. math:: \frac{dz^*_2}{ds_1^2} = -(1-2\delta^2)(s_1^2-s_2^2)\,\delta\,(c+\delta)\,R,
          \qquad R > 0,

hence :math:`\operatorname{sign} = -\operatorname{sign}(s_1^2-s_2^2)\operatorname{sign}
(\delta)\operatorname{sign}(1-2\delta^2)\operatorname{sign}(\delta+1/\sqrt2)`. The
convention-free starvation :math:`d|z^*_2|/ds_1^2` has the sign of
:math:`z^*_2\,dz^*_2/ds_1^2 = -(1-2\delta^2)^2(s_1^2-s_2^2)\,\delta\,P_2R`.

Paper: Eq. 9, Eq. 10, Eq. 11, Eq. 15, Theorem 1, Theorem 2 / Eq. 16 (Sec. 3.3).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import sympy as sp

from ..dynamics import EXACT, TAYLOR, Dynamics, as_dynamics
from ..spectrum import eq15_entries
from .common import SYMPY, alphas, delta, lam, strengths_sq
from .derivation import Derivation, Tex, eq

NAME = "theorem-2-all-orders"

#: the dynamics, in the order the document treats them (Taylor first: it defines W)
DYNAMICS: tuple[Dynamics, ...] = (TAYLOR, EXACT)

c = sp.Symbol("c", positive=True)
s1, s2 = strengths_sq(2)
a1, a2 = alphas(2)
S = sp.Symbol("S", positive=True)          # alpha_1 + alpha_2 (> 0: alpha_i > 0)
Dl = sp.Symbol("Delta", real=True)          # alpha_1 - alpha_2
ROOT_HALF = sp.sqrt(2) / 2


def _link(dyn: Dynamics) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """``(link, link')`` of the dynamics' own definition (:mod:`gstheory.dynamics`, in
    SymPy), with the sign that makes it increasing: ``log`` and ``1/x`` (Eq. 10) or
    ``logit`` and ``1/(x(1-x))`` (Eq. 9)."""
    return (lambda x: -dyn.link(x, SYMPY)), dyn.link_slope


def coupling_matrix() -> sp.Matrix:
    """Eq. 15 (:func:`gstheory.spectrum.eq15_entries`) with ``c`` a positive symbol
    standing for ``sqrt(1 - delta^2)``.

    Paper: Eq. 15 (Sec. 3.3).
    """
    return sp.Matrix(eq15_entries(delta, lambda _: c))


def system_matrix(dynamics: Any) -> sp.Matrix:
    r""":math:`A`: :math:`U(S^2+\lambda I)U^T/\lambda` (Eq. 10) or :math:`US^2U^T/\lambda`
    (Eq. 9), in terms of ``c`` and ``delta`` (the dynamics' ``identity_in_M``).

    Paper: Eq. 9, Eq. 10 (the matrix of their fixed-point equations).
    """
    dyn = as_dynamics(dynamics)
    U = coupling_matrix()
    A = U * sp.diag(s1, s2) * U.T / lam + dyn.identity_in_M * sp.eye(2)
    return A.applyfunc(sp.expand)


def derivative_closed_form(dynamics: Any = "exact") -> tuple[tuple[sp.Symbol, ...], sp.Expr]:
    r"""The all-orders closed form of :math:`dz^*_2/ds_1^2` (Theorem 2, two features).

    .. math:: \frac{dz^*_2}{ds_1^2} = \frac{s_2^2 (c\alpha_1 + \delta\alpha_2)\, c\delta
              (d_2 - d_1)}{\lambda^2 \det M}, \quad M = \operatorname{diag}(d_1, d_2) + A,
              \quad d_i = \operatorname{link}'(\alpha_i), \quad c = \sqrt{1-\delta^2},

    at the fixed point :math:`\alpha^*` (the derivation ``theorem-2-all-orders`` proves
    it equal to the implicit derivative). Evaluate it at a fixed point from
    :func:`gstheory.solve_fixed_point` (spectrum from
    :func:`gstheory.spectrum.perturbed_identity`).

    Arguments:
        dynamics: ``"taylor"`` (Eq. 10, link = log) or ``"exact"`` (Eq. 9, link = logit).

    Returns:
        ``((alpha_1, alpha_2, delta, s_1^2, s_2^2, lambda), expr)``: the symbols (the two
        squared strengths are symbols named ``s_1^2``, ``s_2^2``) and the SymPy
        expression, ready for ``sympy.lambdify``.

    Raises:
        ValueError: unknown ``dynamics``.

    Example:
        >>> import sympy as sp
        >>> args, expr = derivative_closed_form("taylor")
        >>> f = sp.lambdify(args, expr)
        >>> abs(float(f(0.3, 0.4, 0.0, 2.0, 1.0, 1.0)))  # no coupling: no starvation
        0.0
        >>> float(f(0.3, 0.4, 0.2, 2.0, 1.0, 1.0)) < 0  # alpha_1 < alpha_2, delta > 0
        True

    Paper: Eq. 9-11, Eq. 15, Theorem 2 (Eq. 16).
    """
    dyn = as_dynamics(dynamics)
    _, dlink = _link(dyn)
    A = system_matrix(dyn)
    d1, d2 = dlink(a1), dlink(a2)
    M = sp.diag(d1, d2) + A
    expr = s2 * (c * a1 + delta * a2) * c * delta * (d2 - d1) / (lam**2 * M.det())
    return (a1, a2, delta, s1, s2, lam), expr.subs(c, sp.sqrt(1 - delta**2))


def _shared(d: Derivation) -> None:
    """Definitions and the sign lemmas on delta used by both dynamics."""
    U = coupling_matrix()
    d.definition("Coupling (Eq. 15)", c, sp.sqrt(1 - delta**2), ref="Eq. 15",
                 text="$U = " + sp.latex(U, mat_delim="(") + "$ with $|\\delta| < 1$ and")
    d.step("U is orthogonal", U * U.T, sp.eye(2), how="multiply", uses=["Coupling (Eq. 15)"],
           show=eq(Tex("U U^T"), sp.eye(2)))
    d.definition("Sum and difference coordinates", {a1: (S + Dl) / 2, a2: (S - Dl) / 2},
                 how="change of variables $S = \\alpha_1 + \\alpha_2 > 0$, "
                     "$\\Delta = \\alpha_1 - \\alpha_2$")
    d.hypothesis("Case delta < 0", delta, "negative")
    d.hypothesis("Case delta >= 0", delta, "nonnegative")
    d.sign("(c + delta)/(delta + 1/sqrt2) > 0 for delta < 0",
           (c + delta) / (delta + ROOT_HALF), "positive",
           via=2 * (ROOT_HALF - delta) / (c - delta), uses=["Case delta < 0", "Coupling (Eq. 15)"],
           how="$(c+\\delta)(c-\\delta) = 1 - 2\\delta^2 = 2(\\tfrac{1}{\\sqrt2}-\\delta)"
               "(\\tfrac{1}{\\sqrt2}+\\delta)$, and $c - \\delta > 0$ for $\\delta < 0$")
    d.sign("c + delta > 0 for delta >= 0", c + delta, "positive", uses=["Case delta >= 0"],
           how="$c > 0$, $\\delta \\ge 0$")
    d.sign("delta + 1/sqrt2 > 0 for delta >= 0", delta + ROOT_HALF, "positive",
           uses=["Case delta >= 0"], how="$\\delta \\ge 0$")
    d.same_sign("sign(c + delta) = sign(delta + 1/sqrt2)", c + delta, delta + ROOT_HALF,
                {"Case delta < 0": ["(c + delta)/(delta + 1/sqrt2) > 0 for delta < 0"],
                 "Case delta >= 0": ["c + delta > 0 for delta >= 0",
                                     "delta + 1/sqrt2 > 0 for delta >= 0"]},
                how="the two cases")
    d.sign("(c - delta)/(1/sqrt2 - delta) > 0 for delta >= 0",
           (c - delta) / (ROOT_HALF - delta), "positive",
           via=2 * (delta + ROOT_HALF) / (c + delta), uses=["Case delta >= 0", "Coupling (Eq. 15)"],
           how="$(c-\\delta)(c+\\delta) = 2(\\tfrac{1}{\\sqrt2}-\\delta)(\\tfrac{1}{\\sqrt2}+"
               "\\delta)$, and $c + \\delta > 0$ for $\\delta \\ge 0$")
    d.sign("c - delta > 0 for delta < 0", c - delta, "positive", uses=["Case delta < 0"],
           how="$c > 0$, $\\delta < 0$")
    d.sign("1/sqrt2 - delta > 0 for delta < 0", ROOT_HALF - delta, "positive",
           uses=["Case delta < 0"], how="$\\delta < 0$")
    d.same_sign("sign(c - delta) = sign(1/sqrt2 - delta)", c - delta, ROOT_HALF - delta,
                {"Case delta < 0": ["c - delta > 0 for delta < 0",
                                    "1/sqrt2 - delta > 0 for delta < 0"],
                 "Case delta >= 0": ["(c - delta)/(1/sqrt2 - delta) > 0 for delta >= 0"]},
                how="the two cases")
    d.solve("c = delta only at delta = 1/sqrt2", sp.sqrt(1 - delta**2) - delta, delta,
            how="`solve(sqrt(1 - delta^2) - delta, delta)`")


def _branch(d: Derivation, dyn: Dynamics) -> dict[str, str]:
    """The all-orders argument for one dynamics; returns the titles of its results."""
    tag, word = dyn.equation, dyn.label
    link, dlink = _link(dyn)
    eye = dyn.identity_in_M                    # Taylor: A contains I
    bounded = math.isfinite(dyn.alpha_max)     # exact: the link's barrier at alpha = 1
    A = system_matrix(dyn)
    U = coupling_matrix()
    al = sp.Matrix([a1, a2])
    T = lambda s: f"{s} ({tag})"
    cdef = "Coupling (Eq. 15)"

    d.given(T("Fixed-point equation"), eq(Tex("F(\\alpha)"), al.applyfunc(link) + A * al),
            ref=tag, how=f"the fixed point of the {word} dynamics, $F(\\alpha^*) = 0$; "
            "$A = " + ("U(S^2+\\lambda I)U^T/\\lambda" if eye else "US^2U^T/\\lambda")
            + "$, $z^* = S^2U^T\\alpha^*/\\lambda$ (Eq. 11)")
    x = sp.Symbol("x", positive=True)
    domain = [T("Domain of the link")]
    if bounded:
        d.hypothesis(T("Domain of the link"), 1 - x, "positive",
                     how="$\\operatorname{logit}$ is defined on $(0, 1)$: every point $x$ "
                         "of the segments below satisfies $0 < x < 1$",
                     show=sp.And(sp.StrictLessThan(0, x), sp.StrictLessThan(x, 1)))
        for i, ai in ((1, a1), (2, a2)):
            d.hypothesis(T(f"alpha_{i} < 1"), 1 - ai, "positive",
                         how="the fixed point of Eq. 9 lies in $(0, 1)^2$")
    else:
        d.hypothesis(T("Domain of the link"), x, "positive",
                     how="$\\log$ is defined on $(0, \\infty)$; the fixed point of Eq. 10 "
                         "is positive")
    # -- implicit derivative in closed form ------------------------------------------------
    p1, p2 = sp.symbols("p_1 p_2")
    sv = sp.Symbol("sigma", positive=True)
    alf = sp.Matrix([sp.Function("alpha_1")(sv), sp.Function("alpha_2")(sv)])
    F = alf.applyfunc(link) + A.subs(s1, sv) * alf
    dF = sp.diff(F, sv).subs({sp.Derivative(alf[0], sv): p1, sp.Derivative(alf[1], sv): p2})
    dF = dF.subs({alf[0]: a1, alf[1]: a2, sv: s1})
    dd1, dd2 = sp.Symbol("d_1", real=True), sp.Symbol("d_2", real=True)
    M = sp.diag(dd1, dd2) + A
    dA = sp.diff(A, s1)
    pv = sp.Matrix([p1, p2])
    d.definition(T("Slopes of the link"), {dd1: dlink(a1), dd2: dlink(a2)},
                 how="$d_i = \\operatorname{link}'(\\alpha_i)$")
    lin = d.step(T("Differentiate the fixed-point equation in s1^2"), dF, M * pv + dA * al,
                 how="`diff` of $F(\\alpha(s_1^2), s_1^2)$, $p = d\\alpha^*/ds_1^2$ "
                     "(chain rule)", uses=[T("Slopes of the link")],
                 show=eq(Tex("\\frac{d}{ds_1^2}F = Mp + \\frac{\\partial A}{\\partial s_1^2}"
                             "\\alpha"), M * pv + dA * al))
    d.solve(T("Implicit derivative"), list(lin), [p1, p2],
            how="`solve` the linear system $Mp = -\\frac{\\partial A}{\\partial s_1^2}\\alpha$ "
                "($M$ invertible: $\\det M > 0$ below)")
    W = Tex("W", real=True)
    DM = Tex("\\det M", real=True)
    Z = Tex("\\frac{dz^*_2}{ds_1^2}", real=True)
    if dyn is DYNAMICS[0]:  # shared by both branches (the first one defines it)
        d.definition("W", W, c * a1 + delta * a2, how="$W = c\\alpha_1 + \\delta\\alpha_2 = "
                     "\\lambda z^*_1/s_1^2$ (Eq. 11)")
    d.definition(T("det M"), DM, M.det(), how="$M = \\operatorname{diag}(d) + A$")
    z2 = s2 * (U.T * al)[1] / lam
    chain = s2 * (U.T * pv)[1] / lam
    d.step(T("Closed form of the starvation"), chain,
           s2 * W * c * delta * (dd2 - dd1) / (lam**2 * DM),
           how=f"chain rule on $z^*_2 = {sp.latex(z2)}$ (Eq. 11; $U$ does not depend on "
               "$s_1^2$), with the implicit derivative",
           uses=[T("Implicit derivative"), "W", T("det M"), cdef], name=Z, ref="Eq. 16")
    detA = (s1 + eye * lam) * (s2 + eye * lam) / lam**2
    dm_form = dd1 * dd2 + dd1 * A[1, 1] + dd2 * A[0, 0] + detA
    d.step(T("det M expanded"), DM, dm_form, how="`det`, with $\\det U = c^2 + \\delta^2 = 1$",
           uses=[T("det M"), cdef])
    for i, (ddi, ai) in enumerate(((dd1, a1), (dd2, a2)), start=1):
        d.sign(T(f"d_{i} > 0"), ddi, "positive", via=dlink(ai),
               uses=[T("Slopes of the link")] + ([T(f"alpha_{i} < 1")] if bounded else []),
               how="the link is increasing")
    d.sign(T("det M > 0"), DM, "positive", via=dm_form,
           uses=[T("det M"), cdef, T("d_1 > 0"), T("d_2 > 0")],
           how="a sum of positive terms ($d_i > 0$, $A_{ii} > 0$, $\\det A > 0$)")
    # -- difference lemma ------------------------------------------------------------------
    kap = sp.Symbol("kappa", real=True)
    d.divided_difference(T("Divided difference kappa"), link, a1, a2, kap, dlink,
                         domain=domain, how="$\\kappa = \\frac{\\operatorname{link}(\\alpha_1) - "
                         "\\operatorname{link}(\\alpha_2)}{\\alpha_1 - \\alpha_2}$ "
                         "($= d_1$ if $\\alpha_1 = \\alpha_2$)")
    v = sp.Matrix([1, -1])
    vAv = sp.factor((v.T * A * v)[0])
    vAv_form = (s1 * (c - delta) ** 2 + s2 * (c + delta) ** 2) / lam + 2 * eye
    N = Tex("N", real=True)
    d.definition(T("N"), N, 2 * kap + vAv, show=eq(N, 2 * kap + vAv_form),
                 how="$N = 2\\kappa + v^TAv$, $v = (1, -1)$")
    d.sign(T("N > 0"), N, "positive", via=2 * kap + vAv_form,
           uses=[T("N"), T("Divided difference kappa"), cdef],
           how="$\\kappa > 0$ and $v^TAv = " + sp.latex(vAv_form) + " \\ge 0$")
    gap = (1 - 2 * delta**2) * (s1 - s2) / lam
    F1mF2 = (link(a1) + (A * al)[0]) - (link(a2) + (A * al)[1])
    diff_form = Dl * N / 2 + S * gap / 2
    d.step(T("Difference of the fixed-point equations"), F1mF2, diff_form,
           how="$F_1 - F_2$, with $\\operatorname{link}(\\alpha_1) - \\operatorname{link}"
               "(\\alpha_2) = \\kappa\\Delta$ and $\\alpha = \\frac S2(1, 1) + \\frac\\Delta2 v$",
           uses=[T("Divided difference kappa"), "Sum and difference coordinates", T("N"), cdef],
           show=eq(Tex("F_1 - F_2"), diff_form))
    d.solve(T("Difference lemma"), diff_form, Dl, pick=lambda sols: sp.factor(sols[0]),
            how="`solve` $F_1 - F_2 = 0$ (both vanish at the fixed point) for $\\Delta$; "
                "$N > 0$")
    # -- the factorisation -----------------------------------------------------------------
    K1 = 2 * lam * kap + 2 * s2 + 2 * eye * lam
    Wf = (c + delta) * S * K1 / (2 * lam * N)
    Wname = Tex("W", real=True)
    d.step(T("W at the fixed point"), c * a1 + delta * a2, Wf,
           how="$W = \\frac{c+\\delta}{2}S + \\frac{c-\\delta}{2}\\Delta$ with the "
               "difference lemma", name=Wname,
           uses=["Sum and difference coordinates", T("Difference lemma"), T("N"), cdef])
    gform = dyn.scaled_slope_quotient(a1, a2) / (a1 * a2)   # (d_2 - d_1)/Delta
    Tt = Tex("\\tau", real=True)
    if bounded:
        d.definition(T("tau"), Tt, 1 - a1 - a2, how="$\\tau = 1 - \\alpha_1 - \\alpha_2$")
        gform = Tt / (a1 * (1 - a1) * a2 * (1 - a2))
    d.step(T("Slope difference"), dd2 - dd1, Dl * gform,
           how="subtract the slopes", uses=[T("Slopes of the link"),
                                          "Sum and difference coordinates"]
           + ([T("tau")] if bounded else []))
    R_form = s2 * c * S**2 * K1 * (gform / (2 * lam**4 * N**2 * DM))
    R = Tex("R", real=True)
    d.definition(T("R"), R, R_form, how="the cofactor of the factorisation")
    d.step(T("Factorisation"), Z, -(1 - 2 * delta**2) * (s1 - s2) * delta * (c + delta) * R,
           how="the closed form with $d_2 - d_1 = \\Delta\\,g$, $W$ at the fixed point and "
               "the difference lemma for $\\Delta$",
           uses=[T("Closed form of the starvation"), T("W at the fixed point"),
                 T("Slopes of the link"), "Sum and difference coordinates",
                 T("Difference lemma"), T("R"), cdef] + ([T("tau")] if bounded else []),
           name=Z)
    pos_uses = [T("Divided difference kappa"), T("N > 0"), T("det M > 0")]
    if bounded:
        # 1 - alpha1 - alpha2 > 0, from the sum of the fixed-point equations
        mu = sp.Symbol("mu", real=True)
        d.divided_difference(T("Divided difference mu"), link, a1, 1 - a2, mu, dlink,
                             domain=domain, how="$\\mu = \\frac{\\operatorname{logit}(\\alpha_1)"
                             " - \\operatorname{logit}(1 - \\alpha_2)}"
                             "{\\alpha_1 - (1 - \\alpha_2)}$,"
                             " and $\\operatorname{logit}(1 - \\alpha_2) = -\\operatorname{logit}"
                             "(\\alpha_2)$")
        Sw = Tex("\\Sigma", real=True)
        d.definition(T("Sigma"), Sw, (A * al)[0] + (A * al)[1],
                     how="$\\Sigma = (A\\alpha)_1 + (A\\alpha)_2 = \\mathbf 1^TA\\alpha$")
        sum_form = -mu * Tt + Sw
        d.step(T("Sum of the fixed-point equations"), link(a1) + (A * al)[0] + link(a2)
               + (A * al)[1], sum_form,
               how="$F_1 + F_2$ with $\\operatorname{logit}\\alpha_1 + \\operatorname{logit}"
                   "\\alpha_2 = \\mu(\\alpha_1 + \\alpha_2 - 1)$",
               uses=[T("Divided difference mu"), T("tau"), T("Sigma")],
               show=eq(Tex("F_1 + F_2"), sum_form))
        d.solve(T("tau from the sum"), sum_form, Tt,
                how="`solve` $F_1 + F_2 = 0$ for $\\tau$ ($\\mu > 0$)")
        ab = (s1 * (c + delta) ** 2 + s2 * (c - delta) ** 2)
        Sw_form = S * (2 * lam * kap * ab + 4 * s1 * s2) / (2 * lam**2 * N)
        d.step(T("Sigma at the fixed point"), Sw, Sw_form,
               how="$\\Sigma = \\frac S2\\mathbf 1^TA\\mathbf 1 + \\frac\\Delta2\\mathbf 1^TAv$"
                   " with the difference lemma", name=Sw,
               uses=[T("Sigma"), "Sum and difference coordinates", T("Difference lemma"),
                     T("N"), cdef])
        d.sign(T("Sigma > 0"), Sw, "positive", via=Sw_form,
               uses=[T("Sigma at the fixed point"), T("Divided difference kappa"), T("N > 0")],
               how="$\\kappa, N > 0$")
        d.sign(T("tau > 0: alpha_1 + alpha_2 < 1"), Tt, "positive", via=Sw / mu,
               uses=[T("tau from the sum"), T("Sigma > 0"), T("Divided difference mu")],
               how="$\\tau = \\Sigma/\\mu$ with $\\Sigma, \\mu > 0$")
        pos_uses += [T("tau > 0: alpha_1 + alpha_2 < 1"), T("alpha_1 < 1"), T("alpha_2 < 1")]
    d.sign(T("R > 0"), R, "positive", via=R_form, uses=[T("R"), *pos_uses],
           how="a product of positive factors")
    results = {}
    results["sign"] = d.sign_rule(T("Sign of the starvation"), Z,
                                  [1 - 2 * delta**2, s1 - s2, delta, c + delta], R, name=Z,
                                  positive=T("R > 0"), uses=[T("Factorisation")],
                                  same_sign={c + delta: "sign(c + delta) = sign(delta + 1/sqrt2)"},
                                  how="the factorisation")
    # -- the convention-free starvation ----------------------------------------------------
    K2 = 2 * lam * kap + 2 * s1 + 2 * eye * lam
    P2_form = s2 * S * K2 / (2 * lam**2 * N)
    P2 = Tex("P_2", real=True)
    d.definition(T("P_2"), P2, P2_form, how="the cofactor of $z^*_2$")
    Z2 = Tex("z^*_2", real=True)
    d.step(T("z2 at the fixed point"), z2, (c - delta) * P2,
           how="$z^*_2 = \\frac{s_2^2}{\\lambda}(c\\alpha_2 - \\delta\\alpha_1)$ (Eq. 11) with "
               "the difference lemma", name=Z2,
           uses=["Sum and difference coordinates", T("Difference lemma"), T("N"), T("P_2"),
                 cdef])
    d.sign(T("P_2 > 0"), P2, "positive", via=P2_form,
           uses=[T("P_2"), T("Divided difference kappa"), T("N > 0")], how="$\\kappa, N > 0$")
    d.sign_rule(T("Sign of z2"), Z2, [c - delta], P2, name=Z2, const=1, positive=T("P_2 > 0"),
                uses=[T("z2 at the fixed point")],
                same_sign={c - delta: "sign(c - delta) = sign(1/sqrt2 - delta)"},
                how="$z^*_2 = (c - \\delta)P_2$; so $z^*_2 = 0$ exactly at "
                    "$\\delta = 1/\\sqrt 2$ (the solve above)")
    RP = R * P2
    ZZ = Tex("z^*_2\\frac{dz^*_2}{ds_1^2}", real=True)
    d.step(T("z2 times its derivative"), Z2 * Z,
           -(1 - 2 * delta**2) ** 2 * (s1 - s2) * delta * RP,
           how="multiply, $(c-\\delta)(c+\\delta) = 1 - 2\\delta^2$",
           uses=[T("z2 at the fixed point"), T("Factorisation"), cdef],
           name=ZZ)
    d.sign(T("R P_2 > 0"), RP, "positive", uses=[T("R > 0"), T("P_2 > 0")],
           how="a product of positive factors")
    results["magnitude"] = d.sign_rule(
        T("Sign of the starvation in magnitude"), ZZ,
        [(1 - 2 * delta**2) ** 2, s1 - s2, delta], RP,
        name=Tex("\\frac{d|z^*_2|}{ds_1^2}", real=True), positive=T("R P_2 > 0"),
        uses=[T("z2 times its derivative")],
        how="$\\frac{d|z^*_2|}{ds_1^2} = \\operatorname{sign}(z^*_2)\\frac{dz^*_2}{ds_1^2} = "
            "z^*_2\\frac{dz^*_2}{ds_1^2}/|z^*_2|$ where $z^*_2 \\ne 0$ (undefined at "
            "$\\delta = 1/\\sqrt2$)")
    # -- delta = 1/sqrt(2): symmetry -------------------------------------------------------
    at = {delta: ROOT_HALF, c: ROOT_HALF}
    d.swap_symmetry(T("At delta = 1/sqrt2 the fixed point is swap-symmetric"),
                    A.subs(at), sp.Matrix([[0, 1], [1, 0]]), sp.Eq(a1, a2),
                    how="$A$ at $\\delta = c = 1/\\sqrt2$ commutes with the swap $P$; the "
                        "link acts entrywise, so $P\\alpha^*$ is a fixed point too; the fixed "
                        "point is unique (Theorem 1: the dual objective is strictly concave, "
                        "derivation `dual-dynamics`), hence $P\\alpha^* = \\alpha^*$",
                    rule={a1: a2})
    d.step(T("z2 vanishes at delta = 1/sqrt2"), z2.subs(at), 0,
           how="$z^*_2 = \\frac{s_2^2}{\\lambda\\sqrt2}(\\alpha_2 - \\alpha_1)$ at "
               "$\\delta = 1/\\sqrt2$",
           uses=[T("At delta = 1/sqrt2 the fixed point is swap-symmetric")],
           show=eq(Tex("z^*_2\\big|_{\\delta = 1/\\sqrt2}"), 0))
    return {"sign": T("Sign of the starvation"),
            "magnitude": T("Sign of the starvation in magnitude"),
            "closed": T("Closed form of the starvation"), "factor": T("Factorisation"),
            "lemma": T("Difference lemma"), "zero": T("z2 vanishes at delta = 1/sqrt2")}


def derive() -> Derivation:
    """Build the checked all-orders derivation of Theorem 2 (Eq. 10 and Eq. 9).

    Returns:
        The :class:`~gstheory.symbolic.derivation.Derivation`.

    Paper: Theorem 2 (Eq. 16), Eq. 9-11, Eq. 15.
    """
    d = Derivation(
        NAME, "Theorem 2 to all orders in the coupling (Eq. 10 and Eq. 9)",
        "Eq. 9-11, Eq. 15, Theorem 1, Theorem 2 / Eq. 16, Sec. 3.3 (beyond the paper)",
        intro="Two features, squared strengths $s_1^2, s_2^2 > 0$, ridge $\\lambda > 0$, "
              "Eq. 15's coupling for **every** $\\delta \\in (-1, 1)$: no expansion in "
              "$\\delta$. The fixed point $\\alpha^* \\in (0,\\infty)^2$ (Eq. 10) or $(0,1)^2$ "
              "(Eq. 9) is kept as positive symbols $\\alpha_1, \\alpha_2$ with its "
              "fixed-point equation; $c$ is a positive symbol with $c = \\sqrt{1-\\delta^2}$, "
              "substituted wherever an identity needs $c^2 + \\delta^2 = 1$.")
    _shared(d)
    res = {dyn.name: _branch(d, dyn) for dyn in DYNAMICS}
    t, e = res[TAYLOR.name], res[EXACT.name]
    d.summary(
        "The implicit derivative has a closed form whose only sign-carrying factors are "
        "$c\\delta$, $W = c\\alpha_1 + \\delta\\alpha_2$ and $d_2 - d_1$. Subtracting the two "
        "fixed-point equations expresses $\\alpha_1 - \\alpha_2$ through a positive divided "
        "difference $\\kappa$, which turns both $W$ and $d_2 - d_1$ into explicit sign "
        "factors. The result holds for every $\\lambda$ and both dynamics: the signed "
        "derivative changes sign at $\\delta = 1/\\sqrt2$ (where $z^*_2 = 0$ identically, by "
        "swap symmetry) and at $\\delta = -1/\\sqrt2$, while in magnitude a stronger feature "
        "starves the weaker one for every $\\delta \\in (0, 1)$ and feeds it for every "
        "$\\delta \\in (-1, 0)$ except $-1/\\sqrt2$, where $d|z^*_2|/ds_1^2 = 0$.",
        [t["closed"], t["lemma"], t["factor"], t["sign"], t["magnitude"], e["sign"]])
    for name, r in res.items():
        lab = as_dynamics(name).equation
        d.result(f"Signed starvation, all orders ({lab})", r["sign"])
        d.result(f"Starvation in magnitude ({lab})", r["magnitude"])
    d.result("z2* = 0 at delta = 1/sqrt2 (Eq. 9)", e["zero"])
    d.note("**Reading the sign rules.** For $s_1^2 > s_2^2$: the signed derivative is "
           "$< 0$ (the paper's Eq. 16) exactly for $\\delta \\in (0, 1/\\sqrt2)$ and for "
           "$\\delta \\in (-1, -1/\\sqrt2)$, $> 0$ on $(-1/\\sqrt2, 0)$ and on "
           "$(1/\\sqrt2, 1)$, and $0$ at $\\delta \\in \\{-1/\\sqrt2, 0, 1/\\sqrt2\\}$. "
           "Above $1/\\sqrt2$ the signed derivative is positive only because $z^*_2 < 0$ "
           "there: $|z^*_2|$ still shrinks. The magnitude rule gives, for $s_1^2 > s_2^2$, "
           "$d|z^*_2|/ds_1^2 < 0$ for every $\\delta \\in (0, 1) \\setminus \\{1/\\sqrt2\\}$ "
           "(undefined at $1/\\sqrt2$, where $z^*_2 \\equiv 0$) and $> 0$ for every "
           "$\\delta \\in (-1, 0) \\setminus \\{-1/\\sqrt2\\}$; at $\\delta = -1/\\sqrt2$ both "
           "$d z^*_2/ds_1^2$ and $d|z^*_2|/ds_1^2$ vanish ($\\alpha_1^* = \\alpha_2^*$ by the "
           "same swap symmetry, so $d_1 = d_2$) while $z^*_2 \\ne 0$.")
    d.note("**Hypotheses used.** $\\lambda, s_i^2 > 0$; $|\\delta| < 1$ and $c = "
           "\\sqrt{1-\\delta^2}$ (Eq. 15); the fixed point lies in the link's domain "
           "($\\alpha_i > 0$; for Eq. 9 also $\\alpha_i < 1$) and is unique (Theorem 1); the "
           "implicit function theorem ($\\det M > 0$). The exact dynamics' factor "
           "$1 - \\alpha_1 - \\alpha_2$ is proven positive from the *sum* of the fixed-point "
           "equations ($\\tau = \\Sigma/\\mu$), which holds for every ordering of the strengths; "
           "no bound $\\alpha_i < 1/2$ is needed.")
    d.implements("gstheory.symbolic.theorem2_all_orders.derivative_closed_form",
                 "the closed form as a SymPy expression (lambdify it)")
    d.implements("gstheory.sensitivity.starvation_matrix", "entry [0][1] is "
                 "$dz^*_2/ds_1^2$ by implicit differentiation (both dynamics)")
    return d
