r"""Variational bound of the softplus and the saddle problem (Eq. 6-7, Sec. 3.2).

For a scalar margin :math:`x = y\hat y`,
:math:`\max_{\alpha\in(0,1)} [H(\alpha) - \alpha x] = \log(1 + e^{-x})`, attained at
:math:`\alpha^* = \sigma(-x) = 1/(1 + e^{x})`. SymPy differentiates, solves the
stationarity condition, proves concavity from the second derivative and evaluates the
maximum.

Paper: Eq. 6, Eq. 7 (Sec. 3.2).
"""

from __future__ import annotations

import sympy as sp

from .common import binary_entropy, x
from .derivation import Derivation, Tex, eq

NAME = "variational-bound"


def derive() -> Derivation:
    """Build the checked derivation of Eq. 6-7.

    Returns:
        The :class:`~gstheory.symbolic.derivation.Derivation` (raises
        :class:`~gstheory.symbolic.derivation.StepFailed` if a step fails).

    Paper: Eq. 6, Eq. 7.
    """
    a = sp.Symbol("alpha", positive=True)
    u = sp.Symbol("u", real=True)
    d = Derivation(
        NAME, "Variational bound of the softplus and the saddle problem",
        "Eq. 6-7, Sec. 3.2",
        intro="For one training example with margin $x = y\\hat y$ the cross-entropy is "
              "the softplus $\\log(1+e^{-x})$. Eq. 6 writes it as the maximum over a dual "
              "variable $\\alpha \\in (0,1)$ of $H(\\alpha) - \\alpha x$, with $H$ the binary "
              "entropy; this is what turns the training problem into the saddle problem "
              "of Eq. 7.")
    d.hypothesis("alpha < 1", 1 - a, "positive", how="the dual variable lies in $(0, 1)$ "
                 "($\\alpha > 0$ is the symbol's assumption)")
    H = d.given("Binary entropy", eq(sp.Function("H")(a), binary_entropy(a)),
                ref="Eq. 6").rhs
    f = H - a * x
    d.given("Objective of the inner maximisation", eq(sp.Function("f")(a), f),
            text="For a fixed margin $x \\in \\mathbb{R}$:", ref="Eq. 6")
    f1 = d.step("First derivative", sp.diff(f, a), sp.log((1 - a) / a) - x,
                how="`diff(f, alpha)`", simplifier="expand_log(., force=True)",
                uses=["alpha < 1"],
                show=eq(sp.Derivative(sp.Function("f")(a), a),
                           sp.log((1 - a) / a) - x))
    star = d.solve("Stationarity", f1, a, how="`solve(f'(alpha) = 0, alpha)`",
                   simplifier="expand_log(., force=True)", uses=["alpha < 1"],
                   text="The unique stationary point is the logistic sigmoid of $-x$:")
    f2 = d.step("Second derivative", sp.diff(f, a, 2), -1 / (a * (1 - a)),
                how="`diff(f, alpha, 2)`",
                show=eq(sp.Derivative(sp.Function("f")(a), (a, 2)), -1 / (a * (1 - a))))
    # every alpha in (0,1) is 1/(1+e^u) for a real u: the sign is then decidable
    d.sign("Concavity on (0, 1)", sp.factor(sp.simplify(f2.subs(a, 1 / (1 + sp.exp(u))))),
           "negative",
           how="substitute $\\alpha = 1/(1+e^{u})$, $u \\in \\mathbb{R}$ (this covers "
               "exactly $\\alpha \\in (0,1)$), `simplify`, then `is_negative`",
           text="$f'' < 0$ on $(0,1)$, so $f$ is strictly concave and the stationary point "
                "is the global maximum.")
    value = d.step("Value at the maximum", sp.simplify(f.subs(a, star)),
                   sp.log(1 + sp.exp(-x)), how="`simplify(f(alpha*))`",
                   simplifier="expand_log(., force=True)",
                   show=eq(Tex(r"\max_{\alpha} f(\alpha)"), sp.log(1 + sp.exp(-x))),
                   ref="Eq. 6")
    d.step("The maximiser is minus the derivative of the loss",
           -sp.diff(value, x), star, how="`-diff(log(1 + exp(-x)), x)`",
           text="Equality in Eq. 6 holds at $\\alpha^* = -\\partial_x \\log(1+e^{-x})$, "
                "i.e. $\\alpha^*_i$ is the derivative of the loss with respect to $-y_i\\hat "
                "y_i$, as the paper states:",
           show=eq(-sp.Derivative(sp.log(1 + sp.exp(-x)), x), star))
    d.note("Summing over the $n$ examples gives Eq. 7: $L(\\theta) = \\max_{\\alpha\\in(0,1)^n}"
           " [\\mathbf 1\\cdot H(\\alpha) - \\alpha\\cdot Y\\hat y] + \\frac{\\lambda}{2}"
           "\\|\\theta\\|^2$. The bracket is concave in $\\alpha$ (above) and, with "
           "$\\hat y = \\Phi_0\\theta$, convex in $\\theta$ (a linear term plus a positive "
           "quadratic), so min and max may be swapped (Sion's minimax theorem); that is "
           "the step the paper takes without comment.")
    d.summary("The softplus is the Fenchel conjugate of the binary entropy: the inner "
              "objective is strictly concave on $(0, 1)$, its unique stationary point is "
              "the sigmoid of $-x$, and its value there is the softplus, so the training "
              "loss is a maximum over dual variables (Eq. 6) and the problem a saddle "
              "problem (Eq. 7).",
              ["Stationarity", "Concavity on (0, 1)", "Value at the maximum",
               "The maximiser is minus the derivative of the loss"])
    d.result("Variational bound (Eq. 6)", "Value at the maximum")
    d.result("Maximiser", "Stationarity")
    d.implements("gstheory.penalties", "the cross-entropy (softplus) that the dual "
                 "variables bound; `gstheory.fixed_points.responses` uses "
                 "$\\alpha^* = \\sigma(-y\\hat y)$")
    return d
