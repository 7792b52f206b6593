r"""The dual problem (Eq. 8): the inner minimisation over theta solved symbolically.

With :math:`\hat y = \Phi_0\theta`, the saddle function of Eq. 7 is quadratic in
:math:`\theta`; SymPy solves its stationarity condition, checks that it is a minimum,
substitutes back (Eq. 8) and rewrites the Gram matrix with the SVD of Definition 1
(:math:`Y\Phi_0\Phi_0^T Y = U S^2 U^T`). The algebra is done on explicit symbolic
matrices (n = 2 examples, m = 3 parameters, every entry a free symbol) because SymPy's
``solve`` does not accept matrix symbols; the SVD identity is shown on matrix symbols and
again on explicit orthogonal matrices.

Paper: Eq. 7, Eq. 8, Definition 1 (Sec. 3.1-3.2).
"""

from __future__ import annotations

import sympy as sp

from .common import alphas, binary_entropy, cayley, lam, rotation
from .derivation import Derivation, Tex, eq

NAME = "dual-objective"


def inner_minimum() -> dict:
    r"""The saddle function of Eq. 7 on explicit matrices and its minimum over theta.

    Returns:
        dict with ``alpha`` (2 x 1), ``y`` (labels), ``Phi`` (2 x 3 symbols), ``theta``
        (3 x 1), ``lagrangian``, ``grad``, ``theta_star`` (from ``solve``) and ``dual``
        (the Lagrangian at ``theta_star``: Eq. 8 as SymPy derives it).

    Paper: Eq. 7-8.
    """
    n, m = 2, 3
    al = sp.Matrix(alphas(n))
    ys = sp.symbols("y_1:3", real=True)
    Y = sp.diag(*ys)
    Phi = sp.Matrix(n, m, lambda i, j: sp.Symbol(f"phi_{i + 1}{j + 1}", real=True))
    th = sp.Matrix(sp.symbols("theta_1:4", real=True))
    Hsum = sum(binary_entropy(a) for a in al)
    Lag = Hsum - (al.T * Y * Phi * th)[0, 0] + lam / 2 * (th.T * th)[0, 0]
    grad = sp.Matrix([sp.diff(Lag, t) for t in th])
    sol = sp.solve(list(grad), list(th), dict=True)
    if len(sol) != 1:
        raise AssertionError(f"expected one critical point, got {sol}")
    th_star = th.subs(sol[0])
    return {"alpha": al, "y": ys, "Y": Y, "Phi": Phi, "theta": th, "H": Hsum,
            "lagrangian": Lag, "grad": grad, "theta_star": th_star,
            "dual": Lag.subs(dict(zip(th, th_star)))}


def derive() -> Derivation:
    """Build the checked derivation of Eq. 8.

    Returns:
        The :class:`~gstheory.symbolic.derivation.Derivation`.

    Paper: Eq. 7, Eq. 8.
    """
    n, m = 2, 3
    im = inner_minimum()
    al, Y, Phi, th = im["alpha"], im["Y"], im["Phi"], im["theta"]
    d = Derivation(
        NAME, "The dual problem", "Eq. 7-8, Definition 1, Sec. 3.1-3.2",
        intro="With the linearised model $\\hat y = \\Phi_0\\theta$ (Eq. 3), the saddle "
              "function of Eq. 7 is quadratic in $\\theta$. We solve the inner "
              "minimisation exactly and substitute it back. Explicit matrices: $n = 2$ "
              "examples, $m = 3$ parameters, every entry of $\\Phi_0$ a free symbol, "
              "$\\alpha$ a column vector (the paper writes it as a row).")
    Lag = im["lagrangian"]
    PhiM, YM = sp.MatrixSymbol("Phi_0", n, m), sp.MatrixSymbol("Y", n, n)
    alM, thM = sp.MatrixSymbol("alpha", n, 1), sp.MatrixSymbol("theta", m, 1)
    HM, oneM = sp.MatrixSymbol("H", n, 1), sp.MatrixSymbol("1", n, 1)
    d.definition("Explicit matrices", {PhiM: Phi, YM: Y, alM: al, thM: th,
                                       HM: sp.Matrix([binary_entropy(a) for a in al]),
                                       oneM: sp.ones(n, 1)},
                 how="every entry of $\\Phi_0$ a free real symbol $\\phi_{ij}$, "
                     "$Y = \\operatorname{diag}(y_1, y_2)$, $H$ the binary entropy (Eq. 6) "
                     "entrywise",
                 show=eq(PhiM, Phi))
    d.given("Saddle function of Eq. 7", eq(Tex(r"\mathcal{L}(\theta, \alpha)"), Lag), ref="Eq. 7",
            text="In matrix form $\\mathcal L = \\mathbf 1^TH(\\alpha) - \\alpha^TY\\Phi_0"
                 "\\theta + \\frac\\lambda2\\|\\theta\\|^2$; explicitly:")
    grad = im["grad"]
    d.step("Gradient in theta", grad, -PhiM.T * YM * alM + lam * thM,
           how="`diff` of the saddle function with respect to each $\\theta_k$",
           uses=["Explicit matrices"],
           show=eq(Tex(r"\nabla_\theta \mathcal{L}"), -PhiM.T * YM * alM + lam * thM))
    th_star = im["theta_star"]
    d.step("Critical point", th_star, PhiM.T * YM * alM / lam,
           how="`solve` the linear system $\\nabla_\\theta\\mathcal L = 0$ for "
               "$\\theta_1, \\theta_2, \\theta_3$", uses=["Explicit matrices"],
           name=Tex(r"\theta^*"),
           text="The unique critical point (the paper's $\\theta^* = \\frac1\\lambda "
                "(\\alpha Y\\Phi_0)^T$):")
    hess = sp.hessian(Lag, list(th))
    d.step("Hessian in theta", hess, lam * sp.eye(m), how="`hessian` in $\\theta$",
           show=eq(Tex(r"\nabla^2_\theta\mathcal L"), lam * sp.eye(m)),
           text="The Hessian is $\\lambda I$ with $\\lambda > 0$: the critical point is the "
                "global minimum.")
    dual = sp.Matrix([[im["dual"]]])
    eq8 = oneM.T * HM - alM.T * YM * PhiM * PhiM.T * YM * alM / (2 * lam)
    d.step("Substitution: the dual objective", dual, eq8,
           how="substitute $\\theta^*$ into $\\mathcal L$ (`subs`)", ref="Eq. 8",
           uses=["Explicit matrices"],
           show=eq(Tex(r"\min_\theta \mathcal{L}(\theta,\alpha)"), eq8))
    U_, S_, V_ = sp.MatrixSymbol("U", n, n), sp.MatrixSymbol("S", n, n), \
        sp.MatrixSymbol("V", m, n)
    svd = U_ * S_ * V_.T
    d.given("Definition 1", eq(YM * PhiM, svd),
            text="$U$ orthogonal, $S$ diagonal with positive entries, $V$ with orthonormal "
                 "columns ($V^TV = I$).", ref="Definition 1")
    ps = list(sp.symbols("p_1:4", real=True))
    s1, s2 = sp.symbols("s_1 s_2", positive=True)
    Ue, Se, Ve = rotation(), sp.diag(s1, s2), cayley(ps)[:, :2]
    d.definition("A generic SVD", {U_: Ue, S_: Se, V_: Ve},
                 how="$U$ the rotation with parameter $t$ (every rotation but the half "
                     "turn), $S = \\operatorname{diag}(s_1, s_2)$, $V$ the first two columns "
                     "of the Cayley rotation $(I-K)^{-1}(I+K)$, $K$ skew with free entries "
                     "$p_1, p_2, p_3$ (rational in $t$, $p$)", show=eq(U_, Ue))
    d.step("V has orthonormal columns", V_.T * V_, sp.Identity(n), how="multiply",
           uses=["A generic SVD"])
    d.step("Gram identity", svd * svd.T, U_ * S_**2 * U_.T,
           how="multiply the explicit $U S V^T$ by its transpose, entry by entry",
           uses=["A generic SVD"])
    spectral = oneM.T * HM - alM.T * U_ * S_**2 * U_.T * alM / (2 * lam)
    d.step("Eq. 8 in spectral form", oneM.T * HM - alM.T * svd * svd.T * alM / (2 * lam),
           spectral, how="$Y\\Phi_0\\Phi_0^TY = (Y\\Phi_0)(Y\\Phi_0)^T$ ($Y$ diagonal) "
           "with Definition 1, and the Gram identity", uses=["A generic SVD", "Explicit matrices"],
           ref="Eq. 8", show=eq(Tex(r"\min_\theta \mathcal{L}(\theta,\alpha)"), spectral))
    d.summary("The saddle function is a positive quadratic in $\\theta$, so its inner "
              "minimum is attained at the unique critical point $\\theta^* = \\frac1\\lambda"
              "\\Phi_0^TY\\alpha$; substituting it leaves the dual objective, which depends "
              "on the data only through the Gram matrix $U S^2 U^T$ (Definition 1).",
              ["Critical point", "Hessian in theta", "Substitution: the dual objective",
               "Gram identity", "Eq. 8 in spectral form"])
    d.result("Inner minimiser", "Critical point")
    d.result("Dual problem (Eq. 8)", "Eq. 8 in spectral form")
    d.implements("gstheory.dual.dual_objective", "Eq. 8")
    d.implements("gstheory.spectrum.Spectrum.gram", "$U S^2 U^T = Y\\Phi_0\\Phi_0^TY$")
    d.implements("gstheory.primal.minimise_primal", "the primal side; "
                 "$\\theta^* = \\frac1\\lambda\\Phi_0^TY\\alpha^*$ links the two")
    return d
