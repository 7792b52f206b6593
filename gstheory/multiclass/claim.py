r"""Evidence for the ``multi-class`` claim at the symbolic, numeric and empirical levels.

Paper: Sec. 3.3 ("the argument ... extends to multi-class settings"), Theorem 2.

The claim checked: *with K classes the stronger feature starves the weaker*, i.e. on the
coupled pair :math:`\partial\|z^*_2\|/\partial s_1^2 < 0` for :math:`s_1^2 > s_2^2`.
Each level returns measured evidence and a verdict computed from it (never typed):

* **symbolic**: ``gstheory derive multiclass`` runs (every step checked); the first-order
  coefficient's sign factor :math:`(1-\alpha^0_1-\alpha^0_2)` is evaluated on the scan's
  uncoupled points and compared with the numeric first-order slope;
* **numeric**: :func:`gstheory.multiclass.scan.validity_scan` (implicit differentiation)
  plus an mpmath recomputation of the starvation entry at a few cells;
* **empirical** (optional, needs torch): a linearised network trained to convergence
  matches the dual fixed point of its own NTK (``gstheory.empirical.experiments.multiclass``,
  passed in by the caller).

The claim's overall verdict is ``"holds"`` when every scanned cell starves,
``"fails"`` when none does, else ``"conditional"`` with the measured region.

Example:
    >>> ev = claim_checks(symbolic=False, empirical=None, Ks=(2, 3), lams=(0.1,))
    >>> ev["verdict"] in ("holds", "fails", "conditional")
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .scan import DELTAS, KS, LAMS, S2, validity_scan
from .sensitivity import starvation, starvation_mp
from .spectrum import coupled_pair

CLAIM = "multi-class"
STATEMENT = ("With K classes the stronger feature starves the weaker: "
             "d||z2*||/ds1^2 < 0 for s1^2 > s2^2 on the coupled pair (Sec. 3.3).")


def _symbolic(rows: list[dict[str, Any]]) -> dict[str, Any]:
    import time

    from ..symbolic import derive
    from ..symbolic.derivation import StepFailed
    t0 = time.perf_counter()
    try:
        d = derive("multiclass")
    except StepFailed as exc:
        return {"passed": False, "error": str(exc)}
    seconds = time.perf_counter() - t0
    small = [r for r in rows if abs(r["delta"]) <= 1e-3]
    agree = sum(r["agrees"] for r in small)
    return {"passed": bool(small) and agree == len(small), "steps": len(d.steps),
            "seconds": seconds,
            "first_order_agreement": f"{agree}/{len(small)} cells with |delta| <= 1e-3",
            "reversal_region": sorted({(r["K"], r["lam"]) for r in rows
                                       if r["alpha0_sum"] > 1.0})}


def _numeric(rows: list[dict[str, Any]], mp_cells: int) -> dict[str, Any]:
    worst = 0.0
    picked = rows[:: max(1, len(rows) // max(mp_cells, 1))][:mp_cells]
    for r in picked:
        sp = coupled_pair(S2, r["delta"], r["K"])
        f64 = starvation(sp, r["lam"]).matrix[0, 1]
        M, _ = starvation_mp(sp, r["lam"], dps=30)
        ref = float(M[0][1])
        worst = max(worst, abs(f64 - ref) / max(abs(ref), 1e-300))
    held = [r for r in rows if r["starves"]]
    k2 = [r for r in rows if r["K"] == 2]
    return {"passed": bool(worst < 1e-8), "cells": len(rows), "starves": len(held),
            "mpmath_cells": len(picked), "mpmath_worst_rel": worst,
            "k2_starves_iff_delta_negative": all(r["starves"] == (r["delta"] < 0)
                                                 for r in k2),
            "k_ge_3_starves_for_both_signs_at": sorted(
                {(r["K"], r["lam"], abs(r["delta"])) for r in rows if r["K"] > 2 and
                 all(x["starves"] for x in rows if x["K"] == r["K"] and x["lam"] == r["lam"]
                     and abs(x["delta"]) == abs(r["delta"]))})}


def claim_checks(*, symbolic: bool = True,
                 empirical: Callable[..., dict[str, Any]] | None = None,
                 Ks: Sequence[int] = KS, deltas: Sequence[float] = DELTAS,
                 lams: Sequence[float] = LAMS, mp_cells: int = 4,
                 seed: int = 0) -> dict[str, Any]:
    """Run the checks of the ``multi-class`` claim and compute its verdict.

    Arguments:
        symbolic: run the derivation (about 5 s); empirical: the empirical check,
            passed in from the layer above (``gstheory.empirical.experiments.multiclass.
            linearised_check``: train the linearised network, torch), called with
            ``seed=``; ``None`` skips that level; Ks, deltas, lams: the scan grid; mp_cells: cells
            recomputed in mpmath; seed: empirical seed.

    Returns:
        dict with ``claim``, ``statement``, ``levels`` (``symbolic``, ``numeric``,
        ``empirical``: each a dict with ``passed`` and its evidence, or ``None`` when
        not run), ``verdict`` and ``region`` (a sentence computed from the scan).

    Raises:
        ValueError: a bad grid value (from the scan).

    Paper: Sec. 3.3, Theorem 2.
    """
    rows = validity_scan(Ks, deltas, lams)
    levels: dict[str, Any] = {
        "symbolic": _symbolic(rows) if symbolic else None,
        "numeric": _numeric(rows, mp_cells),
        "empirical": empirical(seed=seed) if empirical is not None else None,
    }
    held = sum(r["starves"] for r in rows)
    verdict = "holds" if held == len(rows) else ("fails" if held == 0 else "conditional")
    neg = all(r["starves"] for r in rows if r["delta"] < 0 and r["alpha0_sum"] < 1)
    region = (f"starves in {held}/{len(rows)} cells; for alpha0_1 + alpha0_2 < 1 every "
              f"delta < 0 cell {'starves' if neg else 'does not always starve'}; "
              "near delta = 0 the sign is that of delta (1 - alpha0_1 - alpha0_2) "
              f"(first order right in {sum(r['agrees'] for r in rows if abs(r['delta']) <= 1e-3)}"
              f"/{sum(abs(r['delta']) <= 1e-3 for r in rows)} small-delta cells)")
    checks_ok = all(v["passed"] for v in levels.values() if v is not None)
    return {"claim": CLAIM, "statement": STATEMENT, "levels": levels,
            "verdict": verdict, "checks_passed": checks_ok, "region": region,
            "rows": rows}
