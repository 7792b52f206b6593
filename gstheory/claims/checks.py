"""The checks of the claims registry: each runs and returns :class:`Evidence`.

Paper: Eq. 6-18, Theorem 1, Theorem 2, Lemma 1.

Every status follows from the numbers a check measured (see :mod:`.evidence`): a bound
with its limit, or regions where a statement holds or fails.

Example:
    >>> variational_bound().status
    'confirmed'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .evidence import Bound, Evidence, Region

#: Tolerances of the numeric checks (relative errors unless said).
TOL_IDENTITY = 1e-12
TOL_DUALITY = 1e-9
TOL_Z = 1e-7
TOL_FIELD = 1e-8
TOL_CLOSED_FORM = 1e-10
TOL_TAYLOR = 1e-3
TOL_SCALING = 1e-10


def _spectra(seed: int = 0, count: int = 6):
    from ..spectrum import Spectrum

    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        n = 2 + k % 3
        Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        out.append(Spectrum(Q, 10.0 ** rng.uniform(-1, 2, n)))
    return out


def variational_bound() -> Evidence:
    """Eq. 6-7: softplus(-m) >= H(a) - a m, with equality at a = sigmoid(-m).

    Paper: Eq. 6, Eq. 7 (Sec. 3.2).
    """
    from scipy.special import expit

    from ..dual import binary_entropy

    rng = np.random.default_rng(1)
    m = rng.normal(0, 4, 2000)
    a = rng.uniform(1e-6, 1 - 1e-6, 2000)
    H = binary_entropy(a)
    gap = np.logaddexp(0, -m) - (H - a * m)
    astar = expit(-m)
    Hs = binary_entropy(astar)
    eq_gap = float(np.max(np.abs(np.logaddexp(0, -m) - (Hs - astar * m))))
    return Evidence(f"softplus(-m) - (H(a) - a m) >= {gap.min():.2e} over 2000 random "
                    f"(a, m); equality at a = sigmoid(-m) to {eq_gap:.1e}",
                    (Bound("-min gap", float(-gap.min()), TOL_IDENTITY),
                     Bound("gap at the maximiser", eq_gap, TOL_IDENTITY)))


def strong_duality() -> Evidence:
    """Eq. 5 = Eq. 8 at the optimum; dual z* (Eq. 11) = primal z (Eq. 4).

    Paper: Eq. 4, Eq. 5, Eq. 7-8 (strong duality), Eq. 11 (Sec. 3.1-3.2).
    """
    from ..dual import dual_objective
    from ..fixed_points import solve_fixed_point
    from ..penalties import Ridge
    from ..primal import minimise_primal

    rng = np.random.default_rng(2)
    worst_gap, worst_z = 0.0, 0.0
    for k in range(5):
        n, m = 3 + k % 2, 6
        Phi = rng.standard_normal((n, m))
        y = rng.choice([-1.0, 1.0], n)
        pen = Ridge(10.0 ** rng.uniform(-2, 0))
        prim = minimise_primal(Phi, y, pen)
        fp = solve_fixed_point(prim.spectrum, pen, "exact")
        d = dual_objective(fp.alpha, prim.spectrum, pen, "exact")
        worst_gap = max(worst_gap, abs(prim.objective - d) / abs(prim.objective))
        worst_z = max(worst_z, float(np.max(np.abs(prim.z - fp.z))
                                     / max(1.0, np.max(np.abs(prim.z)))))
    return Evidence(f"primal minimum (Eq. 5) = dual maximum (Eq. 8) to {worst_gap:.1e} "
                    f"(relative); dual z* (Eq. 11) = primal z (Eq. 4) to {worst_z:.1e}, "
                    "5 random problems",
                    (Bound("duality gap", worst_gap, TOL_DUALITY),
                     Bound("z mismatch", worst_z, TOL_Z)))


def fixed_point_field(dynamics: str) -> Callable[[], Evidence]:
    """Eq. 9 / Eq. 10 vector field vanishes at the Newton fixed point.

    Paper: Eq. 9, Eq. 10 (Sec. 3.2).
    """
    def run() -> Evidence:
        from ..dual import vector_field
        from ..dynamics import as_dynamics
        from ..fixed_points import solve_fixed_point
        from ..penalties import Ridge

        worst = 0.0
        spectra = _spectra(3)
        for sp in spectra:
            fp = solve_fixed_point(sp, Ridge(0.1), dynamics)
            worst = max(worst, float(np.max(np.abs(vector_field(fp.alpha, sp, Ridge(0.1),
                                                                 dynamics)))))
        eq = as_dynamics(dynamics).equation
        return Evidence(f"{eq} vector field vanishes at the Newton fixed point: max "
                        f"|d alpha/dt| = {worst:.1e} over {len(spectra)} random spectra",
                        (Bound("max |field|", worst, TOL_FIELD),))
    return run


def theorem1() -> Evidence:
    """Theorem 1: the Jacobian of Eq. 10 at its fixed point is negative definite.

    Paper: Theorem 1, Eq. 10 (Sec. 3.2).
    """
    from ..dual import vector_field_jacobian
    from ..fixed_points import solve_fixed_point
    from ..penalties import Ridge

    worst, count = -math.inf, 0
    for sp in _spectra(4):
        for lam in (1e-3, 0.1, 10.0):
            fp = solve_fixed_point(sp, Ridge(lam), "taylor")
            J = vector_field_jacobian(fp.alpha, sp, Ridge(lam), "taylor")
            worst = max(worst, float(np.max(np.linalg.eigvalsh(J))))
            count += 1
    return Evidence(f"largest Jacobian eigenvalue of Eq. 10 at its fixed point: "
                    f"{worst:.3g} ({count} random cases)",
                    (Bound("largest eigenvalue", worst, -1e-300),))


def closed_form(kind: str) -> Callable[[], Evidence]:
    """Eq. 12 / Eq. 13 Lambert-W closed forms against Newton.

    Paper: Eq. 12, Eq. 13 (Sec. 3.3).
    """
    def run() -> Evidence:
        from ..fixed_points import (
            closed_form_equal_strengths,
            closed_form_permutation,
            solve_fixed_point,
        )
        from ..penalties import Ridge
        from ..spectrum import equal_strengths, permutation

        rng = np.random.default_rng(5)
        worst = 0.0
        for k in range(6):
            n = 2 + k % 3
            lam = 10.0 ** rng.uniform(-3, 1)
            if kind == "eq12":
                Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
                sp = equal_strengths(10.0 ** rng.uniform(-1, 2), Q)
                cf = closed_form_equal_strengths(sp, Ridge(lam))
            else:
                sp = permutation(10.0 ** rng.uniform(-1, 2, n), rng.permutation(n))
                cf = closed_form_permutation(sp, Ridge(lam))
            nw = solve_fixed_point(sp, Ridge(lam), "taylor")
            worst = max(worst, float(np.max(np.abs(cf.alpha - nw.alpha) / nw.alpha)),
                        float(np.max(np.abs(cf.z - nw.z)) / max(1e-300, np.max(np.abs(nw.z)))))
        return Evidence(f"Lambert-W closed form = Newton on Eq. 10 to {worst:.1e} "
                        "(relative), 6 random cases",
                        (Bound("max relative error", worst, TOL_CLOSED_FORM),))
    return run


def taylor_scan() -> Evidence:
    """Eq. 10 vs Eq. 9: where the Taylor fixed point's z* is within TOL_TAYLOR.

    Paper: Eq. 9, Eq. 10 (the "lambda << s_k^2" regime of Sec. 3.2).
    """
    from ..validity import taylor_error_curve

    c = taylor_error_curve()
    err, x = np.asarray(c.error), np.asarray(c.x)
    good = err <= TOL_TAYLOR
    # the holding region: the longest prefix (small lambda/s1^2) within tolerance
    k = int(np.argmin(good)) if not good.all() else len(x)
    holds = (Region({"lambda/s1^2": (float(x[0]), float(x[k - 1]))}, "scanned", k),) \
        if k else ()
    fails = (Region({"lambda/s1^2": (float(x[k]), float(x[-1]))}, "scanned", len(x) - k,
                    {"lambda/s1^2": float(x[-1]), "relative_error": float(err[-1])}),) \
        if k < len(x) else ()
    return Evidence(f"Eq. 10's z* differs from Eq. 9's by <= {TOL_TAYLOR:g} (relative) "
                    f"for lambda/s1^2 <= {float(x[k - 1]) if k else 0:.3g} (log-log slope "
                    f"{c.slope:.2f}); {float(err[-1]):.1%} at lambda/s1^2 = {float(x[-1]):g}",
                    holds=holds, fails=fails, stats={"slope": c.slope})


def lemma1_scan() -> Evidence:
    """Lemma 1's error order in delta (fitted slope 2 within 0.1).

    Paper: Lemma 1 (Eq. 14), Eq. 15.
    """
    from ..validity import lemma1_error_curve

    c = lemma1_error_curve()
    x = np.asarray(c.x)
    return Evidence(f"relative error of Eq. 14 scales as delta^{c.slope:.2f} for "
                    f"delta <= 0.1 ({c.details['error_at_0.1']:.1e} at delta = 0.1; "
                    f"{float(c.error[-1]):.1%} at delta = {float(x[-1]):.2g})",
                    (Bound("|slope - 2|", abs(c.slope - 2.0), 0.1),),
                    holds=(Region({"delta": (float(x[0]), 0.1)}, "scanned",
                                  int(np.sum(x <= 0.1))),),
                    stats={"slope": c.slope, "error_at_0.1": c.details["error_at_0.1"]})


def theorem2_scan(dynamics: str, grid: int, given: Any = None) -> Callable[[], Evidence]:
    """Sign map of d z2*/d s1^2 over delta x ratio x lam: where Eq. 16 holds (s1 > s2).
    ``given``: a ridge :class:`~gstheory.validity.SignMap` already computed (used as is).

    Paper: Theorem 2 (Eq. 16), Eq. 15.
    """
    def run() -> Evidence:
        from ..validity import scan_theorem2

        if given is not None:
            m = given
        else:
            m = scan_theorem2(np.linspace(-0.98, 0.98, grid), np.logspace(-2, 3, grid),
                              np.logspace(-4, 2, max(4, grid // 2)), dynamics=dynamics)
        d, r, lam = np.asarray(m.delta), np.asarray(m.ratio), np.asarray(m.lam)
        s = m.summary()
        strong = r > 1
        # per delta: does Eq. 16 hold at every point with s1 > s2 (all lambda)?
        ok = np.all(m.sign[:, strong, :] < 0, axis=(1, 2))
        bounds_r = (float(r[strong].min()), float(r.max()))
        lam_b = (float(lam.min()), float(lam.max()))
        holds, fails = [], []
        i = 0
        while i < len(d):      # contiguous runs of delta values
            j = i
            while j + 1 < len(d) and ok[j + 1] == ok[i]:
                j += 1
            box = {"delta": (float(d[i]), float(d[j])), "ratio": bounds_r, "lam": lam_b}
            n = (j - i + 1) * int(strong.sum()) * len(lam)
            if ok[i]:
                holds.append(Region(box, "scanned", n))
            else:
                a, b, c = np.argwhere(m.sign[i:j + 1][:, strong, :] >= 0)[0]
                pt = {"delta": float(d[i + a]), "ratio": float(r[strong][b]),
                      "lam": float(lam[c]),
                      "derivative": float(m.value[i + a][strong][b, c])}
                fails.append(Region(box, "scanned", n, pt))
            i = j + 1
        return Evidence(
            f"{s['points']} grid points (delta in [{d.min():.3g}, {d.max():.3g}], s1^2/s2^2 "
            f"in [{r.min():.3g}, {r.max():.3g}], lambda/s2^2 in [{lam.min():.3g}, "
            f"{lam.max():.3g}]): d z2*/d s1^2 < 0 on {s['fraction_holds']:.1%}, "
            f"> 0 on {s['fraction_reversed']:.1%}; the sign rule agrees at "
            f"{s['sign_rule_agreement']:.1%} of determined points; {s['mp_rechecked']} "
            f"re-checked in mpmath, {s['undetermined']} undetermined",
            (Bound("1 - sign rule agreement", 1 - s["sign_rule_agreement"], 0.0),),
            holds=tuple(holds), fails=tuple(fails),
            stats={k: s[k] for k in ("points", "fraction_holds", "fraction_reversed",
                                     "sign_rule_agreement", "sign_constant_along_lam",
                                     "mp_rechecked", "undetermined")})
    return run


def _cert_regions(cert, how: str = "certified") -> tuple[tuple[Region, ...],
                                                        tuple[Region, ...]]:
    from ..dynamics import as_dynamics

    dyn = as_dynamics(cert.dynamics)
    label = f"{dyn.label} ({dyn.equation})"
    holds = (Region({k: tuple(v) for k, v in cert.box.to_dict().items()}, how,
                    len(cert.certified), label=label),) \
        if cert.certified and not cert.refuted else ()
    fails = tuple(Region({k: tuple(v) for k, v in b.box.to_dict().items()}, how, 1,
                         {"enclosure_method": b.enclosure_method,
                          "alpha_bounds": b.alpha_bounds, "enclosure_log_alpha": b.enclosure,
                          "value": b.derivative, "reason": b.reason}, label=label)
                  for b in cert.refuted[:3])
    return holds, fails


def theorem2_certificate(max_seconds: float = 20.0) -> Evidence:
    """Interval certificates: 0 < delta < 1/sqrt2 certified, delta > 1/sqrt2 refuted,
    delta < 0 refuted at a verified point.

    Paper: Theorem 2 (Eq. 16), Eq. 15; beyond the paper: interval certificates.
    """
    from ..certificates import certify_theorem2, point_derivative

    ratio, lam = (1.01, 1e3), (1e-4, 1e2)
    holds: list[Region] = []
    fails: list[Region] = []
    lines: list[str] = []
    for dyn in ("exact", "taylor"):
        for delta in ((0.01, 0.70), (0.75, 0.95)):
            c = certify_theorem2(delta, ratio, lam, dynamics=dyn, max_seconds=max_seconds)
            h, f = _cert_regions(c)
            holds += h
            fails += f
            lines.append(f"{dyn} delta [{delta[0]:g}, {delta[1]:g}]: certified "
                         f"{c.certified_fraction:.1%}, refuted {c.refuted_fraction:.1%}")
    pd = point_derivative(-0.1, 4.0, 0.1, "exact")
    if pd is not None and pd[0] > 0:
        fails.append(Region({"delta": (-0.1, -0.1), "ratio": (4.0, 4.0), "lam": (0.1, 0.1)},
                            "certified", 1, {"derivative": list(pd)}))
        lines.append(f"delta = -0.1, ratio = 4, lam = 0.1: d z2*/d s1^2 in "
                     f"[{pd[0]:.6g}, {pd[1]:.6g}] > 0")
    else:
        lines.append("delta = -0.1: enclosure failed" if pd is None else
                     f"delta = -0.1: enclosure [{pd[0]:.3g}, {pd[1]:.3g}] not > 0")
    return Evidence("interval certificates: " + "; ".join(lines), holds=tuple(holds),
                    fails=tuple(fails))


def theorem2_magnitude_certificate(max_seconds: float = 20.0) -> Evidence:
    """The convention-free statement d|z2*|/d s1^2 < 0 on delta in [0.05, 0.95].

    Paper: Theorem 2 (Eq. 16), Definition 2 read in magnitude; beyond the paper: interval
    certificates.
    """
    from ..certificates import certify_theorem2

    holds: list[Region] = []
    fails: list[Region] = []
    lines: list[str] = []
    worst = 0.0
    for dyn in ("exact", "taylor"):
        c = certify_theorem2((0.05, 0.95), (1.01, 1e3), (1e-4, 1e2), dynamics=dyn,
                             magnitude=True, max_seconds=max_seconds)
        worst = max(worst, 1.0 - c.certified_fraction)
        h, f = _cert_regions(c)
        holds += h
        fails += f
        lines.append(f"{dyn}: certified {c.certified_fraction:.1%} "
                     f"({c.boxes_examined} boxes)")
    return Evidence("d|z2*|/d s1^2 < 0 where z2* != 0: " + "; ".join(lines),
                    (Bound("largest uncertified fraction", worst, 0.01),),
                    holds=tuple(holds), fails=tuple(fails))


def sd_scan() -> Evidence:
    """Eq. 18: the SD starvation matrix vanishes.

    Paper: Eq. 17, Eq. 18 (Sec. 3.4).
    """
    from ..validity import scan_theorem2, sd_decoupling_check

    m = scan_theorem2(np.linspace(-0.9, 0.9, 7), np.logspace(-2, 3, 6),
                      np.logspace(-4, 2, 4), penalty="sd", dynamics="exact")
    fd = sd_decoupling_check()
    mx = float(np.max(np.abs(m.value)))
    return Evidence(f"SD starvation matrix: max |entry| = {mx:g} on {m.sign.size} scan "
                    f"points (implicit) and {fd['max_abs_entry']:g} by mpmath finite "
                    "differences (independent route)",
                    (Bound("max |entry| (implicit)", mx, 0.0),
                     Bound("max |entry| (finite differences)", fd["max_abs_entry"], 0.0)))


def sd_gamma() -> Evidence:
    """Sec. 4.4: per-class lambda and gamma also decouple.

    Paper: Sec. 4.4 (per-class lambda and gamma), Eq. 18.
    """
    from ..fixed_points import sd_alpha, solve_fixed_point
    from ..penalties import SpectralDecoupling
    from ..sensitivity import starvation_matrix_fd_mp
    from ..spectrum import perturbed_identity

    worst_fd, worst_cf = 0.0, 0.0
    for d, lam, gam in ((0.3, [0.5, 2.0], [2.5, 0.44]), (-0.6, [0.1, 0.1], [1.0, -0.5])):
        sp = perturbed_identity([9.0, 1.0], d)
        pen = SpectralDecoupling(np.array(lam), np.array(gam))
        S = starvation_matrix_fd_mp(sp, pen, "exact", dps=30)
        worst_fd = max(worst_fd, max(abs(float(v)) for row in S for v in row))
        nw = solve_fixed_point(sp, pen, "exact")
        cf = sd_alpha(np.array(lam), np.array(gam), "exact")
        worst_cf = max(worst_cf, float(np.max(np.abs(nw.alpha - cf) / cf)))
    return Evidence(f"per-class lambda and gamma: starvation matrix max |entry| = "
                    f"{worst_fd:g} (mpmath finite differences); per-example fixed point "
                    f"matches the scalar equation to {worst_cf:.1e}",
                    (Bound("max |entry|", worst_fd, 0.0),
                     Bound("per-example mismatch", worst_cf, TOL_CLOSED_FORM)))


def n_feature_scan(samples: int = 30) -> Evidence:
    """Theorem 2's n-feature remark, convention-free: does the stronger feature of a pair
    shrink the weaker one's ``|z*|``? Per-pair statistics over three coupling distributions,
    with the accuracy of the first-order pairwise rule beside them.

    Paper: Theorem 2's remark on higher dimensions, Definition 2 read in magnitude; beyond the
    paper: the n-feature form.
    """
    from ..validity import scan_starvation_magnitude

    s = scan_starvation_magnitude((3, 5), delta=0.1, samples=samples)
    fails: tuple[Region, ...] = ()
    if s.violation is not None:
        v = s.violation
        fails = (Region({"delta": (s.delta, s.delta), "n": (v["n"], v["n"])}, "scanned",
                        int(s.pairs.sum()), v),)
    cells = "; ".join(f"{cp} n={n}: stronger starves {s.stronger_starves[a, b]:.0%}, "
                      f"weaker starves {s.weaker_starves[a, b]:.0%}, pairwise rule "
                      f"{s.rule_accuracy[a, b]:.0%}"
                      for a, cp in enumerate(s.couplings) for b, n in enumerate(s.n_values))
    return Evidence(f"delta = {s.delta:g}, {s.samples} spectra per cell: {cells}",
                    fails=fails, stats=s.summary())


def multiclass_scan(mp_cells: int = 4) -> Evidence:
    """Sec. 3.3's multi-class extension, convention-free: where does the stronger
    feature's strength shrink the weaker feature's response magnitude? Each cell of the
    scan over K, coupling delta and lambda is a region where it holds or fails, and a few
    cells are recomputed in mpmath (a bound on the float64 error).

    Paper: Sec. 3.3 ("extends to multi-class settings"), Theorem 2; beyond the paper: the K-class
    form.
    """
    from ..multiclass import claim as mc

    rows = mc.validity_scan(mc.KS, mc.DELTAS, mc.LAMS)
    num = mc._numeric(rows, mp_cells)

    def runs(starves: bool) -> tuple[Region, ...]:
        # one region per run of consecutive grid deltas with the same outcome, per (K, lambda)
        out = []
        for key in sorted({(r["K"], r["lam"]) for r in rows}):
            cells = sorted((r for r in rows if (r["K"], r["lam"]) == key),
                           key=lambda r: r["delta"])
            run: list[dict[str, Any]] = []
            for r in [*cells, None]:
                if r is not None and r["starves"] == starves:
                    run.append(r)
                    continue
                if run:
                    out.append(Region({"K": (key[0], key[0]), "lambda": (key[1], key[1]),
                                       "delta": (run[0]["delta"], run[-1]["delta"])},
                                      "scanned", len(run),
                                      {"d|z2|/ds1^2": run[0]["dz2_ds1"],
                                       "alpha0_1 + alpha0_2": run[0]["alpha0_sum"]}))
                run = []
        return tuple(out)

    holds, fails = runs(True), runs(False)
    ks = sorted({r["K"] for r in rows})
    per_k = "; ".join(f"K={k}: {sum(r['starves'] for r in rows if r['K'] == k)}/"
                      f"{sum(r['K'] == k for r in rows)} cells starve" for k in ks)
    starving = sum(r["starves"] for r in rows)
    return Evidence(f"{starving}/{len(rows)} cells starve ({per_k}); mpmath agrees to "
                    f"{num['mpmath_worst_rel']:.1e} on {num['mpmath_cells']} cells",
                    bounds=(Bound("float64 vs mpmath relative error",
                                  num["mpmath_worst_rel"], 1e-8),),
                    holds=holds, fails=fails,
                    stats={k: v for k, v in num.items() if k != "passed"})


def scaling() -> Evidence:
    """Theorem 2's scaling: k d z2*/d s1^2 at (k s1^2, k s2^2, k lambda) is invariant.

    Paper: Theorem 2 (Eq. 16); beyond the paper: the scale invariance (derivation
    ``theorem-2-scaling``).
    """
    from ..validity import scaling_invariance_error

    e = max(scaling_invariance_error(d, r, lm, [1e-3, 0.37, 1e3], dynamics=dyn)
            for d, r, lm in ((0.3, 4.0, 0.1), (-0.5, 0.2, 3.0)) for dyn in ("exact", "taylor"))
    return Evidence(f"k * d z2*/d s1^2 at (k s1^2, k s2^2, k lambda) equals the k = 1 value "
                    f"to {e:.1e}", (Bound("max relative deviation", e, TOL_SCALING),))
