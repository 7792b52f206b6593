r"""Multi-class gradient starvation: the softmax dual, its reduction to Eq. 6-9 at K = 2,
first-order starvation for K classes, and spectral decoupling with K logits.

Paper: Sec. 3.3 ("the argument extends to multi-class settings"), Eq. 6-10, Eq. 15-18,
restated for softmax cross-entropy. Explicit small sizes where SymPy needs explicit
matrices (K = 3 classes for the variational bound, n = 2 examples and m = 2 parameters
for the dual); the starvation step keeps K a symbol by the symmetry of the problem.

Numeric twins: :mod:`gstheory.multiclass` (the fixed point, the starvation matrix and
the validity scan of the sign derived here).
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from .common import delta, eq15, lam
from .derivation import Derivation, Tex, eq

NAME = "multiclass"


def entropy(ps: list[sp.Expr]) -> sp.Expr:
    r""":math:`H(p) = -\sum_c p_c\log p_c`.

    Paper: Eq. 6 (the entropy H); beyond the paper: the K-class form.
    """
    return -sum(p * sp.log(p) for p in ps)


def _variational(d: Derivation) -> None:
    x = sp.symbols("x_1:4", real=True)
    p1, p2 = sp.symbols("p_1:3", positive=True)
    P3 = 1 - p1 - p2
    ps = [p1, p2, P3]
    f = sum(pc * xc for pc, xc in zip(ps, x)) + entropy(ps)
    d.given("Objective on the simplex (K = 3)", eq(sp.Function("f")(p1, p2), f),
            text="For logits $x \\in \\mathbb R^3$ and $p$ in the open simplex, with "
                 "$p_3 = 1 - p_1 - p_2$ eliminated (K = 3 explicitly; every step is "
                 "the same for any K):", ref="Eq. 6 (K-class form)")
    d.hypothesis("Open simplex", P3, "positive",
                 text="The eliminated probability is positive in the open simplex:")
    g1 = d.step("Gradient in the free coordinates", sp.diff(f, p1),
                x[0] - x[2] - sp.log(p1) + sp.log(P3), how="`diff(f, p_1)`",
                simplifier="expand_log(., force=True)", uses=["Open simplex"],
                show=eq(sp.Derivative(sp.Function("f")(p1, p2), p1),
                        x[0] - x[2] - sp.log(p1) + sp.log(P3)))
    g2 = sp.diff(f, p2)
    S = sum(sp.exp(v) for v in x)
    soft = {p1: sp.exp(x[0]) / S, p2: sp.exp(x[1]) / S}
    d.step("Stationary at softmax(x)", sp.Matrix([g1.subs(soft), g2.subs(soft)]),
           sp.zeros(2, 1), how="substitute $p_c = e^{x_c}/\\sum_k e^{x_k}$",
           simplifier="expand_log(., force=True)",
           show=eq(Tex(r"\nabla f\big|_{p = \mathrm{softmax}(x)}"), sp.zeros(2, 1)))
    q3 = sp.Symbol("p_3", positive=True)
    d.definition("Eliminated probability", q3, P3,
                 text="Write $p_3$ for the eliminated coordinate:")
    H = sp.hessian(f, (p1, p2))
    Hs = sp.Matrix([[-1 / p1 - 1 / q3, -1 / q3], [-1 / q3, -1 / p2 - 1 / q3]])
    d.step("Hessian", H, Hs, how="`hessian(f, (p_1, p_2))`", uses=["Eliminated probability"],
           show=eq(Tex(r"\nabla^2 f"), Hs))
    d.sign("Hessian: first pivot negative", Hs[0, 0].subs(q3, P3), "negative",
           how="`is_negative`, with $p_3 = 1 - p_1 - p_2 > 0$", uses=["Open simplex"])
    det = d.step("Hessian: determinant", H.det(),
                 1 / (p1 * p2) + 1 / (p1 * q3) + 1 / (p2 * q3), how="`det`",
                 uses=["Eliminated probability"], show=eq(Tex(r"\det\nabla^2 f"),
                 1 / (p1 * p2) + 1 / (p1 * q3) + 1 / (p2 * q3)))
    d.sign("Hessian: determinant positive", det.subs(q3, P3), "positive",
           how="`is_positive`, with $p_3 = 1 - p_1 - p_2 > 0$", uses=["Open simplex"],
           text="Negative definite: $f$ is strictly concave on the simplex and the "
                "stationary point is its maximum.")
    d.step("Value at the maximum: logsumexp", f.subs(soft), sp.log(S),
           how="substitute softmax into $f$", simplifier="expand_log(., force=True)",
           show=eq(Tex(r"\max_{p\in\Delta} [p\cdot x + H(p)]"), sp.log(S)))
    softmax = sp.Matrix([sp.exp(v) / S for v in x])
    d.step("The maximiser is the gradient of logsumexp",
           sp.Matrix([sp.diff(sp.log(S), v) for v in x]), softmax,
           how="`diff(log(sum exp x), x_c)`",
           show=eq(Tex(r"\nabla_x\,\mathrm{lse}(x)"), softmax),
           text="The gradient of $\\mathrm{lse}$ is $\\mathrm{softmax}(x)$:")
    # cross-entropy of class 1: lse(x) - x_1 = max_p [H(p) - (e_1 - p).x]
    e1 = [1, 0, 0]
    ce = entropy(ps) - sum((ec - pc) * xc for ec, pc, xc in zip(e1, ps, x))
    d.step("Cross-entropy as a maximum", f - x[0], ce,
           how="expand", show=eq(Tex(r"p\cdot x + H(p) - x_1"), ce),
           text="So the softmax cross-entropy of label $y$, $\\mathrm{lse}(\\hat y) - "
                "\\hat y_y$, is the maximum over the simplex of $H(p) - \\alpha\\cdot"
                "\\hat y$ with $\\alpha = e_y - p$ (the K-class form of Eq. 6; at the "
                "maximum $\\alpha^* = e_y - \\mathrm{softmax}(\\hat y)$). For $y = 1$ the "
                "objective minus $x_1$ is:")


def _dual(d: Derivation) -> None:
    n, K, m = 2, 3, 2
    labels = [0, 1]
    p = [[sp.Symbol(f"p_{i + 1}{c + 1}", positive=True) for c in range(K - 1)]
         for i in range(n)]
    P = [[*row, 1 - sum(row)] for row in p]
    al = [sp.Matrix([(1 if c == labels[i] else 0) - P[i][c] for c in range(K)])
          for i in range(n)]
    Phi = [sp.Matrix(K, m, lambda c, k, i=i: sp.Symbol(f"phi_{i + 1}{c + 1}{k + 1}",
                                                         real=True)) for i in range(n)]
    th = sp.Matrix(sp.symbols("theta_1:3", real=True))
    Hs = sum(entropy(row) for row in P)
    Phis = Phi[0].col_join(Phi[1])
    alv = al[0].col_join(al[1])
    A = sp.MatrixSymbol(r"\alpha", n * K, 1)
    F = sp.MatrixSymbol(r"\Phi", n * K, m)
    Cm = sp.MatrixSymbol("C_n", n * K, n * K)
    d.definition("Stacked dual variables", A, alv,
                 text="Linearised model $\\hat y_i = \\Phi_i\\theta$ ($\\Phi_i$ is $K\\times m$), "
                      "weight decay $\\lambda > 0$, $\\alpha_i = e_{y_i} - p_i$. Explicitly: "
                      "$n = 2$ examples with labels 1 and 2, $K = 3$, $m = 2$, every entry of "
                      "$\\Phi_i$ a free symbol, $p_{i3} = 1 - p_{i1} - p_{i2}$; stacked over "
                      "the examples:", ref="Eq. 7 (K-class form)")
    d.definition("Stacked features", F, Phis)
    for i in range(n):
        d.hypothesis(f"Open simplex (example {i + 1})", P[i][K - 1], "positive",
                     text=f"$p_{i + 1}$ lies in the open simplex:" if i == 0 else "")
    Lag = Hs - sum((al[i].T * Phi[i] * th)[0, 0] for i in range(n)) \
        + lam / 2 * (th.T * th)[0, 0]
    d.given("Saddle function", eq(Tex(r"\mathcal L(\theta, p)"), Lag),
            text="The saddle function $\\mathcal L(\\theta, p) = \\sum_i H(p_i) - "
                 "\\sum_i\\alpha_i^T\\Phi_i\\theta + \\frac\\lambda2\\|\\theta\\|^2$:",
            ref="Eq. 7 (K-class form)")
    grad = sp.Matrix([sp.diff(Lag, t) for t in th])
    d.step("Gradient in theta", grad, -F.T * A + lam * th, how="`diff` in each $\\theta_k$",
           uses=["Stacked dual variables", "Stacked features"],
           show=eq(Tex(r"\nabla_\theta\mathcal L"), -F.T * A + lam * th),
           text="With $\\Phi^T\\alpha = \\sum_i\\Phi_i^T\\alpha_i$:")
    sol = sp.solve(list(grad), list(th), dict=True)
    if len(sol) != 1:
        raise AssertionError(f"expected one critical point, got {len(sol)}")
    th_star = th.subs(sol[0])
    d.step("Critical point", th_star, F.T * A / lam,
           how="`solve` the linear system $\\nabla_\\theta\\mathcal L = 0$",
           uses=["Stacked dual variables", "Stacked features"],
           show=eq(Tex(r"\theta^*"), F.T * A / lam),
           text="That is, $\\theta^* = \\frac1\\lambda\\sum_i\\Phi_i^T(e_{y_i} - p_i)$:")
    d.step("Hessian in theta", sp.hessian(Lag, list(th)), lam * sp.eye(m),
           how="`hessian` in $\\theta$",
           show=eq(Tex(r"\nabla^2_\theta\mathcal L"), lam * sp.eye(m)),
           text="$\\lambda I$: the critical point is the global minimum.")
    dual = sp.Matrix([[Hs]]) - A.T * F * F.T * A / (2 * lam)
    d.step("The dual objective", sp.Matrix([[Lag.subs(dict(zip(th, th_star)))]]), dual,
           how="substitute $\\theta^*$ (`subs`)",
           uses=["Stacked dual variables", "Stacked features"],
           show=eq(Tex(r"D(p) = \min_\theta\mathcal L"), dual),
           text="$D(p) = \\sum_i H(p_i) - \\frac1{2\\lambda}\\alpha^T\\Phi\\Phi^T\\alpha$ "
                "(a $1\\times1$ matrix; the entropies written out):")
    C = sp.eye(K) - sp.ones(K, K) / K
    d.definition("Centring", Cm, sp.diag(C, C),
                 text="$C_n = I_n\\otimes(I - \\frac1K\\mathbf 1\\mathbf 1^T)$:")
    d.step("Each alpha_i sums to zero", Cm * A, A, how="multiply",
           uses=["Stacked dual variables", "Centring"], show=eq(Cm * A, A))
    d.step("Only the centred kernel enters", A.T * F * F.T * A,
           A.T * Cm * F * F.T * Cm * A,
           how="insert $C_n$; $C_n\\alpha = \\alpha$ because each $\\alpha_i$ sums to 0",
           uses=["Stacked dual variables", "Stacked features", "Centring"],
           text="So $\\alpha^T\\Phi\\Phi^T\\alpha = \\alpha^TG_c\\alpha$ with $G_c = "
                "C_n\\Phi\\Phi^TC_n = US^2U^T$: this is why the spectrum is that of the "
                "centred model $C_n\\Phi = USV^T$ (softmax is shift invariant).")
    d.note("**Concavity of the dual.** $D$ is the sum of the strictly concave entropies "
           "(verified above) and $-\\frac1{2\\lambda}\\alpha^TG_c\\alpha$ with $G_c$ positive "
           "semidefinite and $\\alpha$ affine in $p$: strictly concave on the product of "
           "simplices, so its maximiser is unique; min and max swap by Sion's theorem as "
           "in the binary case.")
    # dynamics: gradient of the dual in the free coordinates
    yh = sp.symbols("yhat_11 yhat_13", real=True)
    yhat = Phi[0] * th_star
    d.definition("Logits at the inner minimiser", {yh[0]: yhat[0], yh[1]: yhat[K - 1]},
                 text="$\\hat y = \\Phi\\theta^*(p)$; for example 1, classes 1 and 3:")
    g = sp.diff(sp.Matrix([[Hs]]) - (alv.T * Phis * Phis.T * alv) / (2 * lam), p[0][0])
    expect = -sp.log(P[0][0]) + sp.log(P[0][K - 1]) + yh[0] - yh[1]
    d.step("Dual gradient (free coordinates)", g[0, 0], expect,
           how="`diff(D, p_11)` with $p_{13} = 1 - p_{11} - p_{12}$",
           simplifier="expand_log(., force=True)",
           uses=["Logits at the inner minimiser", "Open simplex (example 1)"],
           show=eq(Tex(r"\partial D/\partial p_{11}"), expect),
           text="The dual gradient-ascent dynamics $\\dot p_{ic} = \\eta\\,\\partial D/"
                "\\partial p_{ic}$ ($c < K$) are driven by $\\partial D/\\partial p_{ic} = "
                "-\\log\\frac{p_{ic}}{p_{iK}} + (\\hat y_{ic} - \\hat y_{iK})$; for "
                "$p_{11}$:")
    Sy = sum(sp.exp(v) for v in (yh[0], sp.Symbol("yhat_12", real=True), yh[1]))
    soft = {p[0][0]: sp.exp(yh[0]) / Sy, p[0][1]: sp.exp(sp.Symbol("yhat_12", real=True)) / Sy}
    d.step("Fixed-point equation", expect.subs(soft), 0,
           how="substitute $p_1 = \\mathrm{softmax}(\\hat y_1)$ into the gradient",
           simplifier="expand_log(., force=True)",
           show=eq(Tex(r"\partial D/\partial p_{11}\big|_{p_1 = \mathrm{softmax}(\hat y_1)}"),
                   0),
           text="The gradient vanishes iff $\\log(p_{ic}/p_{iK}) = \\hat y_{ic} - "
                "\\hat y_{iK}$ for all $c$, i.e. at the fixed point $p_i^* = "
                "\\mathrm{softmax}(\\Phi_i\\theta^*(p^*)) = \\mathrm{softmax}"
                "\\big(\\tfrac1\\lambda(G_c\\alpha^*)_i\\big)$; softmax indeed solves it "
                "(the logits held fixed):")
    b1, b2 = sp.symbols("beta_1 beta_2", positive=True)
    t = sp.Symbol("t", positive=True)
    ser = sp.series(sp.log(1 - t * b1 - t * b2), t, 0, 2).removeO().subs(t, 1)
    d.step("Taylor analogue", ser, -b1 - b2,
           how="`series` of $\\log(1 - t\\beta_1 - t\\beta_2)$ to first order in $t$, "
               "at $t = 1$",
           show=eq(Tex(r"\log(1 - \beta_1 - \beta_2)\big|_{\text{first order}}"), -b1 - b2),
           text="When every example is fit ($p_{ic}$ small for $c\\ne y_i$), "
                "$\\log p_{i,y_i} = \\log(1 - \\sum_{c\\ne y_i}p_{ic})$ expands as below "
                "($\\beta_c = p_{ic}$, $c \\ne y_i$; the K-class analogue of Eq. 10's "
                "$\\log(1-\\alpha)\\approx-\\alpha$): the Taylor dynamics replace it by "
                "$-\\sum_{c\\ne y_i}p_{ic} + O(p^2)$; at K = 2 this is Eq. 10 (next section).")


def _binary(d: Derivation) -> None:
    f = sp.Symbol("f", real=True)
    d.step("Two logits (-f/2, f/2): cross-entropy is the softplus",
           sp.log(sp.exp(-f / 2) + sp.exp(f / 2)) - f / 2, sp.log(1 + sp.exp(-f)),
           how="$\\mathrm{lse}(-f/2, f/2) - f/2$ for label $+1$ (class 2)",
           simplifier="expand_log(., force=True)",
           show=eq(Tex(r"\mathrm{lse}(-\tfrac f2,\tfrac f2) - \tfrac f2"),
                   sp.log(1 + sp.exp(-f))),
           text="**Reduction to the binary case (K = 2).** Take $\\Phi_i = "
                "[-\\phi_i/2;\\ \\phi_i/2]$ ($\\phi_i$ a row of $\\Phi_0$), so the logits are "
                "$\\pm f_i/2$ with $f_i = \\phi_i\\theta$; label $y_i = \\pm1$ is class "
                "2 / class 1. (Label $-1$ is the same identity with $f \\to -f$.)",
           ref="Eq. 5")
    n, m = 2, 2
    ys = [1, -1]
    a = sp.symbols("a_1:3", positive=True)
    phi = [sp.Matrix(1, m, lambda _, k, i=i: sp.Symbol(f"phi_{i + 1}{k + 1}", real=True))
           for i in range(n)]
    Phi = [(-phi[i] / 2).col_join(phi[i] / 2) for i in range(n)]
    # p_i: the wrong class has probability a_i (the binary dual variable)
    P = [[a[0], 1 - a[0]], [1 - a[1], a[1]]]
    al = [sp.Matrix([(1 if (c == 1) == (ys[i] == 1) else 0) - P[i][c] for c in range(2)])
          for i in range(n)]
    d.step("Dual variables", sp.Matrix.hstack(*al),
           sp.Matrix.hstack(*[a[i] * ys[i] * sp.Matrix([-1, 1]) for i in range(n)]),
           how="$\\alpha_i = e_{y_i} - p_i$ with $p_{i,\\text{wrong}} = a_i$",
           show=eq(Tex(r"(\alpha_1, \alpha_2)"),
                   sp.Matrix.hstack(*[a[i] * ys[i] * sp.Matrix([-1, 1]) for i in range(n)])),
           text="Write $a_i = 1 - p_{i,y_i}$ (the binary $\\alpha_i$ of Eq. 6); then "
                "$\\alpha_i = a_i\\,y_i\\,(-1, 1)^T$ ($y = (1, -1)$):")
    for i in range(n):
        d.hypothesis(f"a_{i + 1} < 1", 1 - a[i], "positive",
                     how="the binary dual variable lies in $(0, 1)$")
    Hb = [-(v * sp.log(v) + (1 - v) * sp.log(1 - v)) for v in a]
    d.step("Entropies", sum(entropy(row) for row in P), sum(Hb), how="expand",
           show=eq(Tex(r"\sum_i H(p_i)"), sum(Hb)),
           text="The entropies are $\\mathbf 1\\cdot H(a)$ (the binary entropy of Eq. 6):")
    Phi0 = phi[0].col_join(phi[1])
    Y = sp.diag(*ys)
    av = sp.Matrix(a)
    th = sum((Phi[i].T * al[i] for i in range(n)), sp.zeros(m, 1)) / lam
    d.step("Inner minimiser", th, Phi0.T * Y * av / lam, how="expand the K-class "
           "$\\theta^*$", show=eq(Tex(r"\theta^*"), Phi0.T * Y * av / lam),
           text="The K-class $\\theta^*$ is $\\frac1\\lambda\\Phi_0^TYa$ "
                "($\\Phi_0$ the matrix of rows $\\phi_i$, $Y = \\mathrm{diag}(y)$):",
           ref="Eq. 8")
    Phis = Phi[0].col_join(Phi[1])
    alv = al[0].col_join(al[1])
    quad = (alv.T * Phis * Phis.T * alv)[0, 0]
    G = Y * Phi0 * Phi0.T * Y
    d.step("Dual quadratic term", quad, (av.T * G * av)[0, 0], how="expand",
           show=eq(Tex(r"\alpha^T\Phi\Phi^T\alpha"), (av.T * G * av)[0, 0]),
           text="The quadratic term is $a^TY\\Phi_0\\Phi_0^TYa = a^TUS^2U^Ta$:",
           ref="Eq. 8")
    D = sum(Hb) - (av.T * G * av)[0, 0] / (2 * lam)
    d.step("Dual gradient ascent is Eq. 9", sp.Matrix([sp.diff(D, v) for v in a]),
           sp.Matrix([sp.log((1 - a[i]) / a[i]) - (G * av)[i] / lam for i in range(n)]),
           how="`diff` of the reduced dual in $a_i$", simplifier="expand_log(., force=True)",
           uses=["a_1 < 1", "a_2 < 1"],
           show=eq(Tex(r"\dot a / \eta"),
                   sp.Matrix([sp.log((1 - a[i]) / a[i]) - (G * av)[i] / lam
                              for i in range(n)])),
           text="Gradient ascent on the reduced dual, $\\dot a/\\eta = \\log\\frac{1-a}{a}"
                " - \\frac1\\lambda US^2U^Ta$:", ref="Eq. 9")
    taylor = [sp.series(sp.log(1 - sp.Symbol("t") * v), sp.Symbol("t"), 0, 2).removeO()
              .subs(sp.Symbol("t"), 1) for v in a]
    d.step("Taylor form is Eq. 10",
           sp.Matrix([-sp.log(a[i]) + taylor[i] - (G * av)[i] / lam for i in range(n)]),
           sp.Matrix([-sp.log(a[i]) - ((G + lam * sp.eye(n)) * av)[i] / lam
                      for i in range(n)]),
           how="the K-class Taylor analogue at K = 2 ($\\log(1-a)\\to -a$)",
           show=eq(Tex(r"\dot a/\eta"),
                   sp.Matrix([-sp.log(a[i]) - ((G + lam * sp.eye(n)) * av)[i] / lam
                              for i in range(n)])),
           text="Its Taylor form, $\\dot a/\\eta = -\\log a - \\frac1\\lambda "
                "U(S^2 + \\lambda I)U^Ta$:", ref="Eq. 10")


def _reduced_system(K: sp.Expr, s1: sp.Symbol, s2: sp.Symbol, v: list[sp.Symbol]
                    ) -> tuple[sp.Matrix, list, list]:
    """Fixed-point equations of the coupled pair by class type: class 1 (label of
    example 1), class 2 (label of example 2) and, for K > 2, the K - 2 other classes
    (equal by symmetry). ``v`` = probabilities of classes 1 and 2 in both examples."""
    a1, b1, a2, b2 = v
    U = eq15()
    M = U * sp.diag(s1, s2) * U.T
    al: list[tuple[Any, ...]]
    if K == 2:
        al = [(1 - a1, -b1), (-a2, 1 - b2)]
        diff_ = [[x[0] - x[1] for x in al]]
        own = [[(a1, b1)], [(a2, b2)]]
    else:
        c1, c2 = (1 - a1 - b1) / (K - 2), (1 - a2 - b2) / (K - 2)
        al = [(1 - a1, -b1, -c1), (-a2, 1 - b2, -c2)]
        diff_ = [[x[0] - x[2] for x in al], [x[1] - x[2] for x in al]]
        own = [[(a1, c1), (b1, c1)], [(a2, c2), (b2, c2)]]
    F = []
    for i in range(2):
        for t, dv in enumerate(diff_):
            num, den = own[i][t]
            F.append(sp.log(num / den) - sum(M[i, j] * dv[j] for j in range(2)) / lam)
    return sp.Matrix(F), al, U


def _norm_sq(x: tuple, y: tuple, K: sp.Expr) -> sp.Expr:
    if K == 2:
        return x[0] * y[0] + x[1] * y[1]
    return x[0] * y[0] + x[1] * y[1] + (K - 2) * x[2] * y[2]


def first_order_starvation(K: sp.Expr) -> dict[str, sp.Expr]:
    r"""First-order coefficient :math:`D_1` of :math:`d\|z^*_2\|/ds_1^2` in
    :math:`\delta` for the coupled pair with ``K`` classes (a symbol > 2, or 2).

    Returns:
        dict with ``D1``, ``z1`` (first-order coefficient of :math:`\|z^*_2\|`), ``dr``
        (:math:`dr_1/ds_1^2`), the symbols ``s1, s2, r1, r2`` (:math:`r_i`: uncoupled
        probability of each wrong class of example i), ``J0``, ``Fd``, ``v1``.

    Paper: Theorem 2 (K-class form).
    """
    s1, s2 = sp.Symbol("s_1^2", positive=True), sp.Symbol("s_2^2", positive=True)
    r1, r2 = sp.symbols("r_1 r_2", positive=True)
    v = list(sp.symbols("a_1 b_1 a_2 b_2", positive=True))
    F, _, U = _reduced_system(K, s1, s2, v)
    v0 = {v[0]: 1 - (K - 1) * r1, v[1]: r1, v[2]: r2, v[3]: 1 - (K - 1) * r2}
    unknowns = v
    if K == 2:   # one equation per example: eliminate b_1 = 1 - a_1, a_2 = 1 - b_2
        F = F.subs({v[1]: 1 - v[0], v[2]: 1 - v[3]})
        unknowns = [v[0], v[3]]
    J0 = F.jacobian(unknowns)
    J0 = J0.subs(delta, 0).subs(v0).applyfunc(sp.factor)
    Fd = sp.diff(F, delta).subs(delta, 0).subs(v0).applyfunc(sp.factor)
    v1 = J0.LUsolve(-Fd).applyfunc(sp.factor)
    if K == 2:
        da2, db2 = -v1[1], v1[1]
        al2_1: tuple[Any, ...] = (-da2, -db2)
        al1_0: tuple[Any, ...] = ((K - 1) * r1, -r1)
        al2_0: tuple[Any, ...] = (-r2, (K - 1) * r2)
    else:
        da2, db2 = v1[2], v1[3]
        al2_1 = (-da2, -db2, (da2 + db2) / (K - 2))
        al1_0, al2_0 = ((K - 1) * r1, -r1, -r1), (-r2, (K - 1) * r2, -r2)
    rho20 = tuple(s2 / lam * x for x in al2_0)
    rho21 = tuple(s2 / lam * (-x + y) for x, y in zip(al1_0, al2_1))
    z1 = sp.factor(_norm_sq(rho20, rho21, K) / sp.sqrt(_norm_sq(rho20, rho20, K)))
    xx = sp.Symbol("x", positive=True)
    G = sp.log((1 - (K - 1) * xx) / xx) - s1 / lam * K * xx
    dr = sp.factor(sp.idiff(G, xx, s1).subs(xx, r1))
    D1 = sp.factor(sp.diff(z1, s1) + sp.diff(z1, r1) * dr)
    return {"D1": D1, "z1": z1, "dr": dr, "s1": s1, "s2": s2, "r1": r1, "r2": r2,
            "J0": J0, "Fd": Fd, "v1": v1, "F": F, "U": U}


def _starvation(d: Derivation) -> dict[str, sp.Expr]:
    K = sp.Symbol("K", positive=True)
    e = first_order_starvation(K)
    s1, s2, r1, r2 = e["s1"], e["s2"], e["r1"], e["r2"]
    U = sp.ImmutableMatrix(e["U"])
    d.given("Coupled pair (K classes)",
            eq(Tex(r"XX^T"), sp.MatMul(U, sp.ImmutableMatrix(sp.diag(s1, s2)), U.T)),
            text="**Starvation with K classes.** Two examples with labels 1 and 2, the "
                 "shared-feature model $\\hat y_i = W^Tx_i$, two data features coupled by "
                 "Eq. 15's $U_\\delta$, $XX^T = U_\\delta\\,\\mathrm{diag}(s_1^2, s_2^2)\\,"
                 "U_\\delta^T$ and $G_c = XX^T\\otimes C$. Feature $j$'s response is the "
                 "K-vector $\\rho_j = \\frac{s_j^2}\\lambda\\sum_iU_{ij}\\alpha_i$ and its "
                 "convention-free magnitude $\\|z_j\\| = \\|\\rho_j\\|$ (independent of "
                 "signs and of the basis of the $K-1$ centred directions feature $j$ "
                 "spans). By symmetry the $K-2$ classes that label neither example have "
                 "equal probabilities, so each example has two free probabilities "
                 "(classes 1 and 2) and K stays a symbol.", ref="Eq. 15, Definition 2")
    d.given("Uncoupled fixed point",
            sp.And(*[eq(sp.log((1 - (K - 1) * r) / r), s / lam * K * r)
                     for r, s in ((r1, s1), (r2, s2))], evaluate=False),
            text="At $\\delta = 0$ example $i$ sees only feature $i$; every wrong class "
                 "has probability $r_i$ and $\\alpha^0_i := 1 - p_{i,y_i} = (K-1)r_i$ "
                 "(the softmax fixed point with $\\hat y_i = \\frac{s_i^2}\\lambda C\\alpha_i$).")
    d.step("Implicit differentiation: first order", e["J0"] * e["v1"], -e["Fd"],
           how="`LUsolve` of $F_v v' = -F_\\delta$ at $\\delta = 0$ (4 unknowns)",
           show=eq(Tex(r"F_v(0)\,v'(0)"), -e["Fd"]),
           text="The first-order response $v'(0)$ of the four free probabilities solves "
                "$F_v(0)\\,v'(0) = -F_\\delta(0)$:")
    d.computed("First-order response", eq(Tex(r"\frac{d\|z^*_2\|}{d\delta}\Big|_0"),
                                          e["z1"]),
               how="$\\hat\\rho_2^0\\cdot\\rho_2'(0)$ with the class-type inner product "
                   "$x_1y_1 + x_2y_2 + (K-2)x_oy_o$",
               basis="the verified first-order solve")
    xx = sp.Symbol("x", positive=True)
    G = sp.log((1 - (K - 1) * xx) / xx) - s1 / lam * K * xx
    d.step("Strength dependence of the uncoupled point",
           (-sp.diff(G, s1) / sp.diff(G, xx)).subs(xx, r1), e["dr"],
           how="implicit function theorem on the uncoupled equation $G(r_1, s_1^2) = 0$: "
               "$dr_1/ds_1^2 = -\\partial_{s_1^2}G/\\partial_{r_1}G$ (`idiff`)",
           show=eq(Tex(r"\frac{dr_1}{ds_1^2}"), e["dr"]))
    Q = [K * r * s * ((K - 1) * r - 1) - lam for r, s in ((r1, s1), (r2, s2))]
    Pf = K**sp.Rational(3, 2) * r1 * s2 / (sp.sqrt(K - 1) * Q[0] * Q[1])
    form = Pf * (r2 - r1) * (1 - (K - 1) * (r1 + r2))
    D1 = d.step("First-order starvation coefficient", e["D1"], form,
                how="total derivative $\\partial_{s_1^2} + \\frac{dr_1}{ds_1^2}"
                    "\\partial_{r_1}$ of the first-order response, `factor`",
                show=eq(Tex(r"D_1"), form),
                text="Differentiating with respect to $s_1^2$ through the uncoupled point, "
                     "$\\frac{d\\|z^*_2\\|}{ds_1^2} = \\delta D_1 + O(\\delta^2)$ with "
                     "$D_1 = \\frac{d}{ds_1^2}\\frac{d\\|z^*_2\\|}{d\\delta}\\big|_0 = "
                     "P\\,(\\alpha^0_2 - \\alpha^0_1)(1 - \\alpha^0_1 - \\alpha^0_2)/(K-1)$, "
                     "$\\alpha^0_i = (K-1)r_i$, and "
                     f"$P = {sp.latex(Pf)}$:")
    w1, w2, kap = sp.symbols("w_1 w_2 kappa", positive=True)
    # alpha_i = (K-1) r_i in (0,1): alpha_i = w_i/(1+w_i); K = 1 + kappa
    d.definition("Interior parametrisation",
                 {K: 1 + kap, r1: w1 / ((1 + w1) * kap), r2: w2 / ((1 + w2) * kap)},
                 how="change of variables $\\alpha^0_i = (K-1)r_i = w_i/(1+w_i)$, "
                     "$K = 1 + \\kappa$",
                 text="$w_i, \\kappa > 0$ cover exactly $\\alpha^0_i\\in(0,1)$, $K > 1$:")
    d.sign("The prefactor P is positive", Pf, "positive",
           via=sp.factor(Pf.subs({K: 1 + kap, r1: w1 / ((1 + w1) * kap),
                                  r2: w2 / ((1 + w2) * kap)})),
           uses=["Interior parametrisation"],
           how="substitute the interior parametrisation, `factor`, `is_positive`")
    sub = {K: 1 + kap, r1: w1 / ((1 + w1) * kap), r2: w2 / ((1 + w2) * kap)}
    d.sign("The stronger feature's example is fit better", e["dr"], "negative",
           via=sp.factor(e["dr"].subs(sub)), uses=["Interior parametrisation"],
           how="same substitution, `is_negative`",
           text="$r_i$ decreases with $s_i^2$ ($dr_1/ds_1^2 < 0$), so $s_1^2 > s_2^2$ gives "
                "$\\alpha^0_1 < \\alpha^0_2$:")
    # K = 2: alpha^0 < 1/2 always; K >= 3: the reversal region is not empty
    u1, u2 = sp.symbols("u_1 u_2", positive=True)
    sub2 = {r1: u1 / (2 * (1 + u1)), r2: u2 / (2 * (1 + u2))}
    d.definition("K = 2 uncoupled points", sub2,
                 how="change of variables $\\alpha^0_i = r_i = \\frac12 u_i/(1+u_i)$",
                 text="At K = 2 the uncoupled equation $\\log\\frac{1-\\alpha}{\\alpha} = "
                      "\\frac{2s^2}\\lambda\\alpha > 0$ forces $\\alpha^0_i = r_i < "
                      "\\frac12$; $u_i > 0$ covers exactly $(0, \\frac12)$:")
    bracket2 = (1 - (K - 1) * (r1 + r2)).subs(K, 2)
    d.sign("K = 2: the bracket is positive", bracket2, "positive",
           via=sp.factor(bracket2.subs(sub2)), uses=["K = 2 uncoupled points"],
           how="substitute $r_i = \\frac12 u_i/(1+u_i)$, `factor`, `is_positive`",
           text="so $1 - \\alpha^0_1 - \\alpha^0_2 > 0$:")
    k3 = {K: 3}
    pts = {r1: sp.Rational(11, 40), r2: sp.Rational(3, 10)}      # alpha^0 = 11/20, 3/5
    ratios = [sp.log((1 - 2 * r) / r) / (3 * r) for r in (pts[r1], pts[r2])]
    for i, ratio in enumerate(ratios, start=1):
        d.sign(f"K = 3 point: s_{i}^2/lambda > 0", ratio, "positive",
               how="solve the uncoupled equation for $s_i^2/\\lambda$ at "
                   "$\\alpha^0 = (11/20, 3/5)$")
    d.sign("K = 3 point: s_1^2 > s_2^2", ratios[0] - ratios[1], "positive",
           how="difference of the two values above")
    d.sign("K = 3 point: the first-order sign reverses",
           (D1 / Pf).subs(k3).subs(pts), "negative",
           how="evaluate $(\\alpha^0_2-\\alpha^0_1)(1-\\alpha^0_1-\\alpha^0_2)$",
           text="For $K \\ge 3$, $\\alpha^0_i$ ranges up to $(K-1)/K \\ge 2/3$: at "
                "$K = 3$, $\\alpha^0 = (11/20, 3/5)$ (valid strengths below, "
                "$s_1^2 > s_2^2$) the bracket is negative:")
    d.step("K = 2 direct computation agrees", first_order_starvation(sp.Integer(2))["D1"],
           D1.subs(K, 2), how="redo the first-order solve with two classes (no "
                             "'other' class) and compare",
           show=eq(Tex(r"D_1\big|_{K=2}\ \text{(direct)}"), D1.subs(K, 2)))
    return {"D1": D1, "Pf": Pf, "K": K, **e}


def _binary_theorem(d: Derivation, D1_K2: sp.Expr, e: dict) -> None:
    """The K = 2 coefficient against Eq. 9's binary first-order coefficient."""
    s1, s2, r1, r2 = e["s1"], e["s2"], e["r1"], e["r2"]
    lb = lam / 2
    db = sp.Symbol("delta_b", real=True)
    a = sp.symbols("alpha_1 alpha_2", positive=True)
    Ub = eq15(db)
    M = Ub * sp.diag(s1, s2) * Ub.T / lb
    av = sp.Matrix(a)
    F = sp.Matrix([sp.log((1 - a[i]) / a[i]) - (M * av)[i] for i in range(2)])
    v0 = {a[0]: r1, a[1]: r2}
    J0 = F.jacobian(list(a)).subs(db, 0).subs(v0)
    Fd = sp.diff(F, db).subs(db, 0).subs(v0)
    v1 = J0.LUsolve(-Fd).applyfunc(sp.factor)
    U1 = sp.diff(Ub, db).subs(db, 0)
    z1 = (s2 * (U1.T * sp.Matrix([r1, r2]) + v1) / lb)[1]
    xx = sp.Symbol("x", positive=True)
    dr = sp.idiff(sp.log((1 - xx) / xx) - 2 * s1 / lam * xx, xx, s1).subs(xx, r1)
    Db = sp.factor(sp.diff(z1, s1) + sp.diff(z1, r1) * dr)
    d.step("K = 2 is Theorem 2 on the exact dynamics (Eq. 9)", D1_K2, -Db / sp.sqrt(2),
           how="the binary problem equivalent to two labels of the shared model: "
               "$\\Phi_0 = X$, $\\lambda_b = \\lambda/2$, $Y = \\mathrm{diag}(-1, 1)$ "
               "(so $\\delta_b = -\\delta$ after fixing the sign of $u_1$), "
               "$\\|z\\| = |z_b|/\\sqrt2$; the binary first-order coefficient "
               "$D_{1,b}$ of $dz^*_2/ds_1^2$ from Eq. 9",
           show=eq(Tex(r"D_1\big|_{K=2}"), -Db / sp.sqrt(2)),
           text="The binary coefficient $D_{1,b}$, computed independently from Eq. 9 "
                "($\\log\\frac{1-\\alpha}{\\alpha} = \\frac1{\\lambda_b}US^2U^T\\alpha$, "
                "Eq. 15 with $\\delta_b$), maps onto the K = 2 coefficient as "
                "$D_1|_{K=2} = -D_{1,b}/\\sqrt2$, that is:")


def _sd(d: Derivation) -> None:
    n, K = 2, 3
    labels = [0, 1]
    p = [[sp.Symbol(f"p_{i + 1}{c + 1}", positive=True) for c in range(K - 1)]
         for i in range(n)]
    P = [[*row, 1 - sum(row)] for row in p]
    al = [[(1 if c == labels[i] else 0) - P[i][c] for c in range(K)] for i in range(n)]
    yh = [[sp.Symbol(f"yhat_{i + 1}{c + 1}", real=True) for c in range(K)] for i in range(n)]
    Lag = sum(entropy(row) for row in P) - sum(al[i][c] * yh[i][c] for i in range(n)
                                               for c in range(K)) \
        + lam / 2 * sum(v**2 for row in yh for v in row)
    d.given("Spectral decoupling with K logits",
            eq(Tex(r"\mathcal L(\hat y, p)"), Lag),
            text="**Spectral decoupling (Eq. 17) with K logits.** $\\mathcal L(\\hat y, p) "
                 "= \\sum_iH(p_i) - \\sum_i\\alpha_i\\cdot\\hat y_i + \\frac\\lambda2"
                 "\\sum_{i,c}\\hat y_{ic}^2$: the penalty "
                 "$\\frac\\lambda2\\|\\hat y\\|^2$ sums over examples and classes. With "
                 "$\\Phi$ of full row rank the logits are free, so the inner minimum is "
                 "over $\\hat y$ ($n = 2$, $K = 3$ explicitly):", ref="Eq. 17")
    flat = [v for row in yh for v in row]
    sol = sp.solve([sp.diff(Lag, v) for v in flat], flat, dict=True)[0]
    d.step("Critical logits", sp.Matrix([sol[v] for v in flat]),
           sp.Matrix([a / lam for row in al for a in row]), how="`solve`",
           show=eq(Tex(r"\hat y^*"), sp.Matrix([a / lam for row in al for a in row])),
           text="The critical logits are $\\hat y^* = \\alpha/\\lambda$:")
    D = sp.expand(Lag.subs(sol))
    Dsd = sum(entropy(row) for row in P) - sum(a**2 for row in al for a in row) / (2 * lam)
    d.step("Dual", D, Dsd, how="substitute",
           show=eq(Tex("D(p)"), Dsd),
           text="The dual is $D(p) = \\sum_i\\big[H(p_i) - \\frac1{2\\lambda}"
                "\\|\\alpha_i\\|^2\\big]$:")
    cross = sp.Matrix([[sp.diff(Dsd, x, y) for y in p[1]] for x in p[0]])
    d.step("Examples decouple", cross, sp.zeros(2, 2), how="mixed second derivatives "
           "between examples", show=eq(Tex(r"\partial^2D/\partial p_{1c}\partial p_{2c'}"),
                                      sp.zeros(2, 2)),
           text="The dual is a sum over examples, independent of $U$ and $S$: each "
                "example's dynamics evolve independently of every other, for any "
                "coupling, as Eq. 18 states for K = 2.")
    q3 = sp.Symbol("p_13", positive=True)
    d.definition("Eliminated probability of example 1", q3, P[0][2])
    d.hypothesis("Open simplex for example 1", P[0][2], "positive")
    within = sp.diff(Dsd, p[0][0], p[0][1])
    d.step("Classes inside an example stay coupled", within, -1 / q3 - 1 / lam,
           how="`diff(D, p_11, p_12)`", uses=["Eliminated probability of example 1"],
           show=eq(Tex(r"\partial^2D/\partial p_{11}\partial p_{12}"), -1 / q3 - 1 / lam))
    d.sign("... and the coupling is nonzero", -1 / P[0][2] - 1 / lam, "negative",
           how="`is_negative`, with $p_{13} = 1 - p_{11} - p_{12} > 0$",
           uses=["Open simplex for example 1"],
           text="Within an example the $K-1$ free probabilities remain coupled (through "
                "the simplex and $\\|\\alpha_i\\|^2$): at K = 2 there is one free "
                "coordinate, hence Eq. 18's full decoupling; for K > 2 the decoupling is "
                "across examples (and features), not across classes.")
    Kq, r = sp.Symbol("K", positive=True), sp.Symbol("r", positive=True)
    q = 1 - (Kq - 1) * r
    d.step("Symmetric fixed point", (1 - q) + r, Kq * r,
           how="$p_i = (q, r, \\dots, r)$, $\\alpha_i = (1-q, -r, \\dots)$: "
               "$\\alpha_{i,y}-\\alpha_{i,c} = 1 - q + r = Kr$",
           show=eq(Tex(r"\alpha_{i,y} - \alpha_{i,c}"), Kq * r),
           text="The fixed point $p_i = \\mathrm{softmax}(\\alpha_i/\\lambda)$ is the "
                "ridge uncoupled point with every $s_i^2 = 1$, $\\log\\frac{1-(K-1)r}{r} "
                "= \\frac{K r}{\\lambda}$ (the same equation as above), because the logit "
                "gap is:")
    lamS, nS = sp.symbols("lambda_S n", positive=True)
    sq = sp.Symbol("Q", positive=True)   # Q = sum_{i,c} yhat_ic^2
    d.step("Scale of the penalty with K logits", lamS / 2 * sq / nS,
           sp.Mul(Kq * lamS / 2, sq / (nS * Kq), evaluate=False), how="rewrite",
           show=eq(Tex(r"\frac\lambda2\,\frac1n\sum_i\sum_c\hat y_{ic}^2"),
                   sp.Mul(Kq * lamS / 2, sq / (nS * Kq), evaluate=False)),
           text="Per example (loss averaged over $n$), Eq. 17's $\\lambda$ multiplies "
                "$\\frac1n\\sum_i\\sum_c\\hat y_{ic}^2$, the *sum over classes* "
                "convention (empirical `squared_logits`, `convention='sum'`); DomainBed's "
                "SD averages over all $nK$ entries, so its coefficient is K times ours:")


def derive() -> Derivation:
    """Build the checked multi-class derivation.

    Returns:
        The :class:`~gstheory.symbolic.derivation.Derivation`.

    Paper: Sec. 3.3 (multi-class), Eq. 6-10, 15-18 in K-class form.
    """
    d = Derivation(
        NAME, "Multi-class gradient starvation: softmax dual, K = 2 reduction, "
              "starvation and spectral decoupling",
        "Eq. 6-10, Eq. 15-18, Theorem 2, Sec. 3.3 (multi-class extension)",
        intro="The paper states that its argument extends to multi-class settings. "
              "This derivation builds the K-class theory for softmax cross-entropy: the "
              "variational bound, the dual of the linearised model with weight decay, its "
              "gradient-ascent dynamics and Taylor analogue; checks that K = 2 gives "
              "back Eq. 6-10 and Theorem 2's exact-dynamics coefficient; derives the "
              "first-order starvation coefficient for K classes (whose sign **can "
              "reverse** for K >= 3); and answers whether Eq. 17 decouples with K logits.")
    _variational(d)
    _dual(d)
    _binary(d)
    e = _starvation(d)
    _binary_theorem(d, e["D1"].subs(e["K"], 2), e)
    _sd(d)
    d.note("**Where the multi-class claim holds (first order in $\\delta$).** With "
           "$s_1^2 > s_2^2$, $\\frac{d\\|z^*_2\\|}{ds_1^2} = \\delta\\,P\\,(\\alpha^0_2 - "
           "\\alpha^0_1)(1-\\alpha^0_1-\\alpha^0_2) + O(\\delta^2)$, $P > 0$, "
           "$\\alpha^0_2 > \\alpha^0_1$. Feature 1 starves feature 2 iff "
           "$\\delta(1-\\alpha^0_1-\\alpha^0_2) < 0$. At K = 2, $\\alpha^0_i < 1/2$ and the "
           "sign is that of Theorem 2 (in the convention $\\delta_b = -\\delta$). For "
           "K >= 3 the bracket changes sign when the examples' residual error mass "
           "$\\alpha^0_1 + \\alpha^0_2$ exceeds 1 (strong regularisation, many classes): "
           "the first-order statement of Theorem 2 **reverses** there. The second order "
           "(not derived here) is measured by `gstheory.multiclass.scan`.")
    d.summary("Softmax cross-entropy is the Fenchel conjugate of the entropy on the "
              "simplex (the K-class Eq. 6), so the linearised model with weight decay is a "
              "saddle problem whose inner minimiser is $\\theta^* = \\Phi^T\\alpha/\\lambda$ "
              "and whose dual is $\\sum_iH(p_i) - \\frac1{2\\lambda}\\alpha^T\\Phi\\Phi^T"
              "\\alpha$, depending only on the centred kernel. Dual gradient ascent has the "
              "softmax fixed point; at K = 2 everything reduces to Eq. 6-10 and to Theorem 2's "
              "exact-dynamics coefficient. For K classes the first-order starvation "
              "coefficient factors as $P(\\alpha^0_2-\\alpha^0_1)(1-\\alpha^0_1-\\alpha^0_2)/"
              "(K-1)$ with $P > 0$: positive bracket at K = 2, but the sign reverses at a "
              "valid K = 3 point. Spectral decoupling with K logits decouples the examples, "
              "not the classes inside an example.",
              ["Cross-entropy as a maximum", "Critical point", "The dual objective",
               "Dual gradient (free coordinates)", "Dual gradient ascent is Eq. 9",
               "First-order starvation coefficient", "The prefactor P is positive",
               "K = 3 point: the first-order sign reverses", "Examples decouple"])
    d.result("K-class dual", "The dual objective")
    d.result("Inner minimiser", "Critical point")
    d.result("First-order starvation", "First-order starvation coefficient")
    d.implements("gstheory.multiclass.fixed_points.solve_fixed_point", "the fixed point")
    d.implements("gstheory.multiclass.sensitivity.starvation", "the starvation matrix")
    d.implements("gstheory.multiclass.scan.validity_scan", "where the sign holds")
    return d
