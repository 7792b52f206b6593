r"""Symbols and small building blocks shared by the derivations of Sec. 3.

Paper: Definition 1, Eq. 6 (binary entropy), Eq. 15 (two-dimensional coupling).

All symbols carry the assumptions the paper makes (strengths and ``lambda`` positive,
``alpha`` in ``(0, 1)`` expressed as positive with ``1 - alpha`` positive where SymPy needs
it), so that SymPy's assumption system can decide signs.
"""

from __future__ import annotations

import sympy as sp

from ..spectrum import eq15_entries

#: ridge / SD strength lambda > 0
lam = sp.Symbol("lambda", positive=True)
#: coupling size delta of Eq. 15 (real; its sign matters for Theorem 2)
delta = sp.Symbol("delta", real=True)
#: parameter of a generic 2 x 2 rotation (Cayley form, rational in t)
t = sp.Symbol("t", real=True)
#: scalar margin x = y * yhat of Eq. 6
x = sp.Symbol("x", real=True)


def alphas(n: int) -> list[sp.Symbol]:
    """Dual variables ``alpha_1..alpha_n`` (positive; ``alpha_i < 1`` is used explicitly).

    Paper: the dual variables of Eq. 6-9.
    """
    return list(sp.symbols(f"alpha_1:{n + 1}", positive=True))


def strengths_sq(n: int) -> list[sp.Symbol]:
    """Squared strengths ``s_1^2..s_n^2`` as positive symbols named ``s_i^2``.

    Paper: the strengths of Definition 1.
    """
    return [sp.Symbol(f"s_{i}^2", positive=True) for i in range(1, n + 1)]


def binary_entropy(a: sp.Expr) -> sp.Expr:
    r""":math:`H(\alpha) = -[\alpha\log\alpha + (1-\alpha)\log(1-\alpha)]` (Eq. 6).

    Paper: Eq. 6.
    """
    return -(a * sp.log(a) + (1 - a) * sp.log(1 - a))


def rotation(tt: sp.Expr = t) -> sp.Matrix:
    r"""A generic 2 x 2 rotation in rational (Cayley) form.

    :math:`\cos\varphi = (1-t^2)/(1+t^2)`, :math:`\sin\varphi = 2t/(1+t^2)` with
    :math:`t = \tan(\varphi/2)`: every rotation except the half turn, and orthogonality
    is then a *rational* identity that ``cancel`` proves (much faster than ``trigsimp``).

    Paper: Definition 1 (a generic orthogonal ``U``, n = 2).
    """
    c, s = (1 - tt**2) / (1 + tt**2), 2 * tt / (1 + tt**2)
    return sp.Matrix([[c, -s], [s, c]])


def cayley(params: list[sp.Expr]) -> sp.Matrix:
    r"""A generic 3 x 3 rotation :math:`(I - K)^{-1}(I + K)`, ``K`` skew with the three
    given parameters (rational in them; every rotation without eigenvalue -1).

    Paper: Definition 1 (a generic orthogonal ``U``, n = 3).
    """
    a, b, c = params
    K = sp.Matrix([[0, -a, b], [a, 0, -c], [-b, c, 0]])
    # closed form of (I - K)^{-1}(I + K) for a 3 x 3 skew K (no matrix inverse needed);
    # orthogonality of the result is checked wherever it is used
    return sp.eye(3) + 2 * (K + K * K) / (1 + a**2 + b**2 + c**2)


def eq15(d: sp.Expr = delta) -> sp.Matrix:
    r"""Eq. 15: :math:`U = [[\sqrt{1-\delta^2}, -\delta], [\delta, \sqrt{1-\delta^2}]]`,
    the one definition (:func:`gstheory.spectrum.eq15_entries`) in SymPy.

    Paper: Eq. 15 (Sec. 3.3).
    """
    return sp.Matrix(eq15_entries(d, sp.sqrt))


class SympyFunctions:
    """The number context of :mod:`gstheory.dynamics` in SymPy: a dynamics' link written
    once serves the numerics and the derivations (``dyn.link(x, SYMPY)``).

    Paper: none (infrastructure).
    """

    log = staticmethod(sp.log)
    exp = staticmethod(sp.exp)

    @staticmethod
    def log1p(x: sp.Expr) -> sp.Expr:
        r""":math:`\log(1 + x)`."""
        return sp.log(1 + x)


#: The SymPy context.
SYMPY = SympyFunctions()


def lambert_c(s2: sp.Expr, lam_: sp.Expr = lam) -> sp.Expr:
    r""":math:`c = (s^2 + \lambda)/\lambda`, the argument of W in Eq. 12-13.

    Paper: Eq. 12, Eq. 13.
    """
    return (s2 + lam_) / lam_


def lambert_alpha(c: sp.Expr) -> sp.Expr:
    r""":math:`W(c)/c`, the root of :math:`\log\alpha + c\alpha = 0` (Eq. 12-13).

    Paper: Eq. 12, Eq. 13.
    """
    return sp.LambertW(c) / c


def rotation3(p: sp.Expr, q: sp.Expr) -> sp.Matrix:
    """A two-parameter 3 x 3 rotation: a rotation in the (1, 2) plane (parameter ``p``)
    times one in the (2, 3) plane (parameter ``q``), both in rational Cayley form. Its
    first two columns are a 3 x 2 matrix with orthonormal columns, general enough that no
    entry vanishes identically, at a fraction of the cost of a three-parameter one.

    Paper: Definition 1 (generic orthonormal columns for the factors of the SVD).
    """
    R = rotation(p)
    Q = rotation(q)
    R12 = sp.Matrix([[R[0, 0], R[0, 1], 0], [R[1, 0], R[1, 1], 0], [0, 0, 1]])
    R23 = sp.Matrix([[1, 0, 0], [0, Q[0, 0], Q[0, 1]], [0, Q[1, 0], Q[1, 1]]])
    return R12 * R23
