r"""Beyond the paper: the first-order starvation matrix for n features.

For :math:`U = \exp(\delta K)` with any skew-symmetric :math:`K`, SymPy expands the fixed
point of Eq. 10 and the responses (Eq. 11) to first order in :math:`\delta` and
differentiates with respect to every :math:`s_i^2`. The result is the starvation matrix
:math:`M_{ij} = dz^*_j/ds_i^2 = M^{(0)}_{ij} + \delta M^{(1)}_{ij} + O(\delta^2)` with, for
:math:`i \ne j`,

.. math:: M^{(1)}_{ij} = K_{ji}\, g(s_i^2, s_j^2), \qquad
          g = -\frac{s_j^2 a_i (1 - a_i/a_j)}{(\lambda + a_i(s_i^2+\lambda))
          (\lambda/a_j + \lambda + s_j^2)},

i.e. pairwise: only the coupling between features ``i`` and ``j`` enters. With n = 2 and
Eq. 15 (:math:`K_{21} = 1`) it is Theorem 2's coefficient. Derived on explicit n = 3 and
n = 4 systems with symbolic ``K``.

Paper: Eq. 10-11, Theorem 2 (Sec. 3.3); the n-feature form goes beyond the paper.
"""

from __future__ import annotations

import sympy as sp

from .common import delta, lam, lambert_alpha, lambert_c, strengths_sq
from .derivation import Derivation, Tex, eq
from .perturbation import first_order, total_derivative, uncoupled_symbols
from .starvation import expansion

NAME = "n-feature-starvation"


def skew(n: int) -> tuple[sp.Matrix, list[sp.Symbol]]:
    """A generic skew-symmetric ``n x n`` matrix with entries ``k_ij`` above the diagonal.

    Paper: Eq. 15 (n = 2); beyond the paper: the n-feature coupling :math:`U = \\exp(\\delta K)`.
    """
    ks: list[sp.Symbol] = []
    K = sp.zeros(n, n)
    for i in range(n):
        for j in range(i + 1, n):
            k = sp.Symbol(f"k_{i + 1}{j + 1}", real=True)
            ks.append(k)
            K[i, j], K[j, i] = k, -k
    return K, ks


def first_order_matrices(n: int, factor: bool = True) -> dict:
    r"""Zeroth- and first-order starvation matrices for ``U = I + delta K + O(delta^2)``.

    Returns:
        dict with ``K`` (symbolic skew matrix), ``k`` (its symbols), ``s2`` (squared
        strengths), ``a`` (uncoupled fixed point symbols), ``M0``, ``M1`` (``n x n``,
        entry ``[i, j]`` = coefficient of :math:`\delta^0`, :math:`\delta^1` in
        :math:`dz^*_j/ds_i^2`), ``p`` (:math:`\alpha'(0)`) and ``z1``; ``factor=False``
        leaves the entries unfactored (faster; for comparisons only).

    Paper: Eq. 10-11 (beyond the paper for n > 2).
    """
    K, ks = skew(n)
    s2 = strengths_sq(n)
    a = uncoupled_symbols(n)
    U = sp.eye(n) + delta * K
    D = sp.diag(*[si + lam for si in s2])
    A = U * D * U.T / lam
    p = first_order(A, a, delta)
    S2 = sp.diag(*s2)
    av = sp.Matrix(a)
    z0 = S2 * av / lam
    z1 = (S2 * (K.T * av + p) / lam).applyfunc(sp.factor if factor else sp.together)
    f = sp.factor if factor else (lambda x: x)
    M0 = sp.Matrix(n, n, lambda i, j: f(total_derivative(z0[j], s2[i], a[i])))
    M1 = sp.Matrix(n, n, lambda i, j: f(total_derivative(z1[j], s2[i], a[i])))
    return {"K": K, "k": ks, "s2": s2, "a": a, "A": A, "p": p, "z1": z1, "M0": M0, "M1": M1,
            "U": U}


def pair_coefficient(si: sp.Expr, sj: sp.Expr, ai: sp.Expr, aj: sp.Expr) -> sp.Expr:
    r"""The derived pairwise coefficient :math:`g(s_i^2, s_j^2)` (``a`` symbols form),
    obtained from entry ``[0, 1]`` of the n = 3 first-order matrix divided by
    :math:`K_{21}` and relabelled.

    Paper: Theorem 2 (Sec. 3.3); beyond the paper: the n-feature form.
    """
    e = first_order_matrices(2)
    s1, s2 = e["s2"]
    a1, a2 = e["a"]
    g = sp.factor(e["M1"][0, 1] / e["K"][1, 0])
    return g.subs({s1: si, s2: sj, a1: ai, a2: aj}, simultaneous=True)


def pair_coefficient_lambert() -> tuple[tuple[sp.Symbol, ...], sp.Expr]:
    r""":math:`g(s_i^2, s_j^2)` with :math:`a = W(c)/c` substituted: ``((si, sj, lam), g)``,
    ready for ``lambdify``.

    Paper: Theorem 2, Eq. 13; beyond the paper: the n-feature form.
    """
    si, sj = sp.symbols("s_i^2 s_j^2", positive=True)
    ai, aj = sp.symbols("a_i a_j", positive=True)
    g = pair_coefficient(si, sj, ai, aj)
    return (si, sj, lam), g.subs({ai: lambert_alpha(lambert_c(si)),
                                  aj: lambert_alpha(lambert_c(sj))})


def derive() -> Derivation:
    """Build the checked derivation of the first-order n-feature starvation matrix.

    Returns:
        The :class:`~gstheory.symbolic.derivation.Derivation`.

    Paper: beyond Theorem 2 (Sec. 3.3).
    """
    d = Derivation(
        NAME, "Beyond the paper: the first-order starvation matrix for n features",
        "Eq. 10-11, Theorem 2, Sec. 3.3 (generalised)",
        intro="Any coupling close to the identity is $U = \\exp(\\delta K)$ with $K$ "
              "skew-symmetric. We expand the fixed point of Eq. 10 and the responses of "
              "Eq. 11 to first order in $\\delta$ and differentiate with respect to each "
              "$s_i^2$: the starvation matrix $M_{ij} = dz^*_j/ds_i^2$ (Definition 2). "
              "Derived on $n = 3$ with a generic symbolic $K$, checked again on $n = 4$; "
              "$a_i = W(c_i)/c_i$ is the uncoupled fixed point, $c_i = (s_i^2+\\lambda)"
              "/\\lambda$.")
    e = first_order_matrices(3)
    K, U, A, a, s2 = e["K"], e["U"], e["A"], e["a"], e["s2"]
    n = 3
    KM, UM = sp.MatrixSymbol("K", n, n), sp.MatrixSymbol("U", n, n)
    S2M = sp.MatrixSymbol("S^2", n, n)
    d.definition("Coupling", {UM: U, KM: K, S2M: sp.diag(*s2)},
                 how="the first-order truncation of $U = \\exp(\\delta K)$, $K$ a generic "
                     "skew-symmetric matrix (free entries $k_{ij}$, $i < j$)",
                 show=eq(UM, sp.Identity(n) + delta * KM))
    d.given("Skew-symmetric K", eq(KM, K), how="a generic skew-symmetric matrix")
    UU = U.T * U
    d.step("Orthogonal to first order", sp.diff(UU, delta).subs(delta, 0), sp.zeros(n, n),
           how="$\\frac{d}{d\\delta}(U^TU)$ at 0 $= K^T + K$",
           name=Tex("\\frac{d}{d\\delta}U^TU\\big|_0"))
    A1 = sp.diff(A, delta).subs(delta, 0)
    d.step("First derivative of A", A1,
           (KM * (S2M + lam * sp.Identity(n)) - (S2M + lam * sp.Identity(n)) * KM) / lam,
           how="`diff(A, delta)` at 0, $A = \\frac1\\lambda U(S^2+\\lambda I)U^T$; entrywise "
               "$A'(0)_{ij} = K_{ij}(c_j - c_i)$", uses=["Coupling"], name=Tex("A'(0)"))
    J0 = sp.diag(*[1 / x for x in a]) + A.subs(delta, 0)
    pv = sp.Matrix(sp.symbols(f"alpha_1:{n + 1}'(0)"))
    d.solve("Implicit differentiation: first order", list(J0 * pv + A1 * sp.Matrix(a)),
            list(pv), how="`solve` $(\\operatorname{diag}(1/a) + A(0))\\alpha'(0) = -A'(0)a$ "
                          "($A(0) = \\operatorname{diag}(c)$: the system is diagonal)")
    M0, M1 = e["M0"], e["M1"]
    d.step("Zeroth order: diagonal", M0, sp.diag(*[M0[i, i] for i in range(n)]),
           how="$\\frac{d}{ds_i^2}$ of $z^*_j(0) = s_j^2a_j/\\lambda$ (chain rule through "
               "$da_i/ds_i^2$)", name=Tex("M^{(0)}"))
    t = sp.Symbol("t")
    d.step("First order is linear in K", M1.subs({k: t * k for k in e["k"]}) - t * M1,
           sp.zeros(n, n), how="`subs` $K \\to tK$", name=Tex("M^{(1)}(tK) - tM^{(1)}(K)"),
           text="$z^{*\\prime}(0) = \\frac1\\lambda S^2(K^Ta + \\alpha'(0))$; its derivatives "
                "$M^{(1)}_{ij} = \\frac{d}{ds_i^2}z^{*\\prime}_j(0)$ are linear in $K$ "
                "(the $3\\times3$ matrix itself is not printed: several kilobytes):")
    g12 = sp.factor(M1[0, 1] / K[1, 0])
    d.step("Entry (1, 2) involves K_21 only", sp.Matrix([sp.diff(g12, k) for k in e["k"]]),
           sp.zeros(len(e["k"]), 1), how="`factor(M1[1,2]/K[2,1])`, then `diff` in each "
           "$k_{ij}$", name=Tex("\\partial_{k}\\left(M^{(1)}_{12}/K_{21}\\right)"))
    si, sj = sp.symbols("s_i^2 s_j^2", positive=True)
    ai, aj = sp.symbols("a_i a_j", positive=True)
    gen = g12.subs({s2[0]: si, s2[1]: sj, a[0]: ai, a[1]: aj}, simultaneous=True)
    G = sp.Function("g")
    d.definition("Pairwise coefficient", G(si, sj), gen,
                 how="relabel $(1, 2) \\to (i, j)$ in $M^{(1)}_{12}/K_{21}$ above")
    offdiag = [(i, j) for i in range(n) for j in range(n) if i != j]
    lhs = sp.Matrix([M1[i, j] for i, j in offdiag])
    rhs = sp.Matrix([K[j, i] * gen.subs({si: s2[i], sj: s2[j], ai: a[i], aj: a[j]},
                                        simultaneous=True) for i, j in offdiag])
    d.step("Every off-diagonal entry is pairwise (n = 3)", lhs - rhs, sp.zeros(len(offdiag), 1),
           how="compare all six off-diagonal entries with $K_{ji}\\,g(s_i^2, s_j^2)$",
           name=Tex("\\left(M^{(1)}_{ij} - K_{ji}\\,g(s_i^2, s_j^2)\\right)_{i \\ne j,\\ n = 3}"))
    e4 = first_order_matrices(4, factor=False)
    off4 = [(i, j) for i in range(4) for j in range(4) if i != j]
    lhs4 = sp.Matrix([e4["M1"][i, j] for i, j in off4])
    rhs4 = sp.Matrix([e4["K"][j, i] * gen.subs({si: e4["s2"][i], sj: e4["s2"][j],
                                                ai: e4["a"][i], aj: e4["a"][j]},
                                               simultaneous=True) for i, j in off4])
    d.step("The same on n = 4", lhs4 - rhs4, sp.zeros(len(off4), 1),
           how="rebuild the expansion with a generic $4\\times 4$ skew $K$ and compare all "
               "twelve off-diagonal entries",
           name=Tex("\\left(M^{(1)}_{ij} - K_{ji}\\,g(s_i^2, s_j^2)\\right)_{i \\ne j,\\ n = 4}"))
    d.note("**Scope.** The steps check $n = 3$ and $n = 4$ (and $n = 2$ below). For general "
           "$n$ the argument is in words, not checked by SymPy: $A'(0)_{jk} = K_{jk}(c_k - "
           "c_j)$ and $A(0)$ is diagonal, so $\\alpha'_j(0) = -\\sum_k K_{jk}(c_k - c_j)a_k/"
           "(1/a_j + c_j)$ and $z^{*\\prime}_j(0) = \\frac{s_j^2}{\\lambda}(\\sum_k K_{kj}a_k + "
           "\\alpha'_j(0))$: the only term of $z^{*\\prime}_j$ that depends on $s_i^2$ "
           "($i \\ne j$) is the $k = i$ term, proportional to $K_{ji}$.")
    g2 = first_order_matrices(2)
    thm2 = expansion(second=False)
    d.step("n = 2 with Eq. 15 is Theorem 2", g2["M1"][0, 1].subs(g2["k"][0], -1),
           thm2["D1"].subs({thm2["s1"]: g2["s2"][0], thm2["s2"]: g2["s2"][1],
                            thm2["a1"]: g2["a"][0], thm2["a2"]: g2["a"][1]},
                           simultaneous=True),
           how="$n = 2$, $K = \\begin{pmatrix}0 & -1\\\\ 1 & 0\\end{pmatrix}$ (Eq. 15 is "
               "$I + \\delta K + O(\\delta^2)$), compared with $D_1$ of derivation "
               "`theorem-2`", name=Tex("M^{(1)}_{12}\\big|_{n=2}"))
    cof = sp.factor(gen / (ai - aj))
    d.step("Sign structure", G(si, sj), (ai - aj) * cof, how="`factor`",
           uses=["Pairwise coefficient"], name=G(si, sj))
    d.sign("The cofactor is positive", cof, "positive",
           how="`is_positive` with $a, s^2, \\lambda > 0$",
           text="Since $W(c)/c$ decreases (derivation `theorem-2`), $a_i < a_j$ iff "
                "$s_i^2 > s_j^2$: $\\operatorname{sign} g = -\\operatorname{sign}"
                "(s_i^2 - s_j^2)$, and")
    d.note("**Result.** To first order, a stronger feature $i$ ($s_i^2 > s_j^2$) starves "
           "feature $j$ ($M_{ij} < 0$) exactly when $\\delta K_{ji} > 0$, and feeds it when "
           "$\\delta K_{ji} < 0$: $dz^*_j/ds_i^2 = \\delta K_{ji}\\,g(s_i^2, s_j^2) + "
           "O(\\delta^2)$ for $i \\ne j$. The paper's statement that Theorem 2 extends "
           "pairwise to higher dimensions holds at first order (checked for $n \\le 4$), "
           "with the orientation of each pair's coupling deciding the sign.")
    d.summary("To first order in $\\delta$ the starvation matrix of $n$ features coupled by "
              "$U = \\exp(\\delta K)$ is pairwise: entry $(i, j)$ is $K_{ji}$ times a "
              "coefficient $g(s_i^2, s_j^2)$ of the two strengths alone, with the sign of "
              "$a_i - a_j$; checked for $n = 3$ and $n = 4$, and equal to Theorem 2's "
              "coefficient for $n = 2$.",
              ["Every off-diagonal entry is pairwise (n = 3)", "The same on n = 4",
               "n = 2 with Eq. 15 is Theorem 2", "Sign structure"])
    d.result("First-order starvation matrix is pairwise (n = 3)",
             "Every off-diagonal entry is pairwise (n = 3)")
    d.result("Pairwise for n = 4", "The same on n = 4")
    d.result("Pairwise coefficient", "Sign structure")
    d.implements("gstheory.sensitivity.starvation_matrix", "the full matrix at any "
                 "$\\delta$, any $n$ (implicit differentiation)")
    d.implements("gstheory.spectrum.coupling_matrix", "$U = \\exp(\\arcsin(\\delta)K/\\|K\\|_2)$"
                 " (first order $\\delta K/\\|K\\|_2$)")
    return d
