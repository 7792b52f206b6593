r"""Validity scan of the multi-class starvation claim over K, coupling and lambda.

Paper: Theorem 2 / Eq. 16 and Sec. 3.3's "extends to multi-class settings".

On the coupled pair (:func:`gstheory.multiclass.spectrum.coupled_pair`: two examples with
distinct labels, two shared data features with :math:`s_1^2 > s_2^2`, Eq. 15's coupling
``delta``) the claim "feature 1 starves feature 2" is
:math:`\partial\|z^*_2\|/\partial s_1^2 < 0` (convention-free, see
:mod:`gstheory.multiclass.sensitivity`). Each cell records the measured sign (implicit
differentiation) and the first-order prediction of ``gstheory derive multiclass``:
:math:`\mathrm{sign}\,\partial\|z^*_2\|/\partial s_1^2 = \mathrm{sign}\,\delta
(1 - \alpha^0_1 - \alpha^0_2)` with :math:`\alpha^0_i = 1 - p_{i,y_i}` at ``delta = 0``.

Example:
    >>> rows = validity_scan(Ks=(3,), deltas=(-0.1, 0.1), lams=(0.1,))
    >>> sorted(rows[0])[:3]
    ['K', 'agrees', 'alpha0_sum']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import validation as check
from .fixed_points import solve_fixed_point
from .sensitivity import starvation
from .spectrum import coupled_pair

#: Default grid (the issue's axes: K, coupling, lambda).
KS = (2, 3, 5, 10)
DELTAS = (-0.5, -0.1, -0.01, -0.001, 0.001, 0.01, 0.1, 0.5)
LAMS = (1e-3, 1e-1, 1e1)
S2 = (36.0, 4.0)


def first_order_sign(s2: Any, K: int, lam: float, delta: float
                     ) -> tuple[int, float]:
    r"""The first-order prediction :math:`\mathrm{sign}\,\delta(1-\alpha^0_1-\alpha^0_2)`
    (+1, -1 or 0) and :math:`\alpha^0_1 + \alpha^0_2`.

    Paper: Theorem 2 (K-class form derived in ``gstheory derive multiclass``).
    """
    fp = solve_fixed_point(coupled_pair(s2, 0.0, K), lam)
    a0 = float(fp.alpha[0, 0] + fp.alpha[1, 1])       # 1 - p_{i, y_i}, labels (0, 1)
    return int(np.sign(delta * (1.0 - a0))), a0


def validity_scan(Ks: Sequence[int] = KS, deltas: Sequence[float] = DELTAS,
                  lams: Sequence[float] = LAMS, s2: Sequence[float] = S2
                  ) -> list[dict[str, Any]]:
    r"""Measure :math:`\partial\|z^*_2\|/\partial s_1^2` on the grid.

    Arguments:
        Ks: class counts (>= 2); deltas: couplings in (-1, 1), nonzero; lams: > 0;
        s2: the two squared strengths, ``s2[0] > s2[1]``.

    Returns:
        one dict per cell: ``K``, ``lam``, ``delta``, ``dz2_ds1`` (the derivative),
        ``starves`` (measured), ``first_order`` (predicted sign of the derivative: -1
        starves), ``alpha0_sum``, ``agrees`` (measured sign = first-order sign).

    Raises:
        ValueError: an axis value out of range.

    Paper: Theorem 2, Sec. 3.3.
    """
    s2v = check.positive_array("s2", s2, ndim=1, shape=(2,))
    if not s2v[0] > s2v[1]:
        raise check.fail("s2", s2, "needs s2[0] > s2[1] (feature 1 the stronger)")
    rows = []
    for K in Ks:
        K = check.integer("Ks", K, minimum=2)
        for lam in lams:
            lam = check.positive("lams", lam)
            for d in deltas:
                d = check.open_interval("deltas", d, -1.0, 1.0)
                if d == 0.0:
                    raise check.fail("deltas", d, "must be nonzero (at 0 the derivative "
                                                  "vanishes)")
                st = starvation(coupled_pair(s2v, d, K), lam)
                val = float(st.matrix[0, 1])
                sign, a0 = first_order_sign(s2v, K, lam, d)
                rows.append({"K": K, "lam": lam, "delta": d, "dz2_ds1": val,
                             "starves": bool(val < 0), "first_order": sign,
                             "alpha0_sum": a0, "agrees": bool(np.sign(val) == sign)})
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The scan as a text table: one line per (K, lambda); cells ``S`` (starves) or
    ``.`` (does not), ``*`` where the first-order prediction disagrees.

    Paper: none (infrastructure).
    """
    deltas = sorted({r["delta"] for r in rows})
    head = f"{'K':>3} {'lambda':>8} {'a1+a2':>6} | " + " ".join(f"{d:>+6g}" for d in deltas)
    lines = [head, "-" * len(head)]
    keys = sorted({(r["K"], r["lam"]) for r in rows})
    for K, lam in keys:
        cell = {r["delta"]: r for r in rows if r["K"] == K and r["lam"] == lam}
        a0 = next(iter(cell.values()))["alpha0_sum"]
        marks = []
        for d in deltas:
            r = cell.get(d)
            marks.append(" " * 6 if r is None else
                         f"{('S' if r['starves'] else '.') + ('' if r['agrees'] else '*'):>6}")
        lines.append(f"{K:>3} {lam:>8g} {a0:>6.3f} | " + " ".join(marks))
    n = len(rows)
    held = sum(r["starves"] for r in rows)
    small = [r for r in rows if abs(r["delta"]) <= 0.001]
    agree = sum(r["agrees"] for r in small)
    lines.append(f"starves in {held}/{n} cells; first-order sign right in {agree}/"
                 f"{len(small)} cells with |delta| <= 0.001 and in "
                 f"{sum(r['agrees'] for r in rows)}/{n} overall "
                 "(S: d||z2*||/ds1^2 < 0; *: first-order prediction wrong)")
    return "\n".join(lines)


def main() -> None:  # pragma: no cover - convenience entry point
    """Print the default scan (``python3 -m gstheory.multiclass.scan``).

    Paper: none (infrastructure).
    """
    print(table(validity_scan()))


if __name__ == "__main__":  # pragma: no cover
    main()
