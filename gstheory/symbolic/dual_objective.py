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
    Hsum, Lag = im["H"], im["lagrangian"]
    d.given("Saddle function of Eq. 7", eq(Tex(r"\mathcal{L}(\theta, \alpha)"),
                                               Tex(r"\mathbf{1}\cdot H(\alpha) - "
                                                         r"\alpha^T Y \Phi_0 \theta + "
                                                         r"\frac{\lambda}{2}\|\theta\|^2")),
            ref="Eq. 7")
    grad = im["grad"]
    d.step("Gradient in theta", grad, -Phi.T * Y * al + lam * th,
           how="`diff` of the saddle function with respect to each $\\theta_k$",
           show=eq(Tex(r"\nabla_\theta \mathcal{L}"),
                      Tex(r"-\Phi_0^T Y \alpha + \lambda\theta")))
    th_star = im["theta_star"]
    d.step("Critical point", th_star, Phi.T * Y * al / lam,
           how="`solve` the linear system $\\nabla_\\theta\\mathcal L = 0$ for "
               "$\\theta_1, \\theta_2, \\theta_3$",
           show=eq(Tex(r"\theta^*"), Tex(r"\frac{1}{\lambda}\Phi_0^T Y\alpha")),
           text="The unique critical point (the paper's $\\theta^* = \\frac1\\lambda "
                "(\\alpha Y\\Phi_0)^T$):")
    hess = sp.hessian(Lag, list(th))
    d.step("Hessian in theta", hess, lam * sp.eye(m), how="`hessian` in $\\theta$",
           text="The Hessian is $\\lambda I$ with $\\lambda > 0$: the critical point is the "
                "global minimum.")
    dual = im["dual"]
    G = Y * Phi * Phi.T * Y
    eq8 = Hsum - (al.T * G * al)[0, 0] / (2 * lam)
    d.step("Substitution: the dual objective", dual, eq8,
           how="substitute $\\theta^*$ into $\\mathcal L$ (`subs`)", ref="Eq. 8",
           show=eq(Tex(r"\min_\theta \mathcal{L}(\theta,\alpha)"),
                      Tex(r"\mathbf{1}\cdot H(\alpha) - \frac{1}{2\lambda}\alpha^T "
                                r"Y\Phi_0\Phi_0^T Y\alpha")))
    # SVD: matrix symbols first
    U_, S_, V_ = sp.MatrixSymbol("U", n, n), sp.MatrixSymbol("S", n, n), \
        sp.MatrixSymbol("V", m, n)
    svd = U_ * S_ * V_.T
    gram_ms = (svd * svd.T).subs(V_.T * V_, sp.Identity(n))
    if gram_ms != U_ * S_ * S_.T * U_.T:
        raise AssertionError(f"matrix-symbol SVD identity gave {gram_ms}")
    d.given("Definition 1", eq(Tex(r"Y\Phi_0"), svd),
            text="$U$ orthogonal, $S$ diagonal with positive entries, $V$ with orthonormal "
                 "columns ($V^TV = I$).", ref="Definition 1")
    d.given("Gram matrix with matrix symbols", eq(svd * svd.T, gram_ms),
            how="matrix symbols: `(U S V^T)(U S V^T)^T` then `subs(V^T V, I)`; with $S$ "
                "diagonal, $S S^T = S^2$",
            text="SymPy's matrix-symbol algebra performs the substitution $V^TV = I$:")
    ps = list(sp.symbols("p_1:4", real=True))
    s1, s2 = sp.symbols("s_1 s_2", positive=True)
    Ue, Se, Ve = rotation(), sp.diag(s1, s2), cayley(ps)[:, :2]
    d.step("Explicit check: V^T V = I", Ve.T * Ve, sp.eye(n),
           how="$V$ = first two columns of the Cayley rotation $(I-K)^{-1}(I+K)$, $K$ skew "
               "with free entries $p_1, p_2, p_3$ (a generic $3\\times 2$ matrix with "
               "orthonormal columns, rational in $p$)",
           show=eq(Tex("V^T V"), sp.Symbol("I_2")))
    YPhi = Ue * Se * Ve.T
    d.step("Explicit check of the Gram identity", YPhi * YPhi.T, Ue * Se**2 * Ue.T,
           how="multiply the explicit $U S V^T$ by its transpose; $U$ the rotation "
               "$\\begin{pmatrix}\\frac{1-t^2}{1+t^2} & \\frac{-2t}{1+t^2}\\\\ \\frac{2t}{1+t^2} & "
               "\\frac{1-t^2}{1+t^2}\\end{pmatrix}$ (every rotation but the half turn)",
           show=eq(Tex(r"Y\Phi_0\Phi_0^TY"), Tex(r"U S^2 U^T")),
           text="With $U$ a generic rotation and $V$ as above, entry by entry:")
    d.result("Inner minimiser", eq(Tex(r"\theta^*"),
                                      Tex(r"\frac{1}{\lambda}\Phi_0^T Y\alpha")))
    d.result("Dual problem (Eq. 8)", eq(Tex(r"\min_\theta\mathcal{L}"),
                                           Tex(r"\mathbf{1}\cdot H(\alpha) - "
                                                     r"\frac{1}{2\lambda}\alpha^T U S^2 U^T"
                                                     r"\alpha")))
    d.implements("gstheory.dual.dual_objective", "Eq. 8")
    d.implements("gstheory.spectrum.Spectrum.gram", "$U S^2 U^T = Y\\Phi_0\\Phi_0^TY$")
    d.implements("gstheory.primal.minimise_primal", "the primal side; "
                 "$\\theta^* = \\frac1\\lambda\\Phi_0^TY\\alpha^*$ links the two")
    return d
