r"""Validity maps: where the paper's sign claims and approximations hold, by scanning.

Paper: Theorem 2 (Eq. 16), Eq. 9, Eq. 10, Lemma 1 (Eq. 14), Eq. 15, Eq. 18.

Every scan is vectorised over the core's batched solvers
(:func:`gstheory.fixed_points.solve_fixed_points`) and batched starvation matrices
(:func:`gstheory.sensitivity.starvation_matrices`, implicit differentiation). A point where
float64 is in doubt (Newton did not converge, or the derivative is within
:data:`DOUBT_REL` of the size of the starvation matrix) is recomputed with
:func:`gstheory.sensitivity.starvation_matrix_mp` at :data:`MP_DPS` digits before its sign
is reported.

Conventions (Theorem 2): two features, Eq. 15 coupling ``delta``, :math:`s_2^2 = 1`,
``ratio`` :math:`= s_1^2/s_2^2`, ``lam`` :math:`= \lambda/s_2^2`; the sign of
:math:`\partial z_2^*/\partial s_1^2` depends only on these
(:func:`scaling_invariance_error` checks it, derivation ``theorem-2-scaling`` proves it).

The sign rule these scans test (ridge; derived in :mod:`gstheory.certificates` from the
closed-form implicit derivative, :math:`\operatorname{sign} = \operatorname{sign}(\delta)
\operatorname{sign}(u_1\cdot\alpha^*)\operatorname{sign}(d_2 - d_1)`, together with
:math:`\alpha_1^* = \alpha_2^*` iff :math:`(1 - 2\delta^2)(s_1^2 - s_2^2) = 0` and
:math:`z_1^* = 0` iff :math:`\delta = -1/\sqrt2`):

.. math::
    \operatorname{sign}\frac{\partial z_2^*}{\partial s_1^2} =
    -\operatorname{sign}(s_1^2 - s_2^2)\,\operatorname{sign}(\delta)\,
    \operatorname{sign}(1 - 2\delta^2)\,\operatorname{sign}(\delta + 1/\sqrt2),

independent of :math:`\lambda`; see :func:`predicted_sign`.

Example:
    >>> m = scan_theorem2([0.1, -0.1], [4.0], [0.1])
    >>> m.sign[:, 0, 0].tolist()
    [-1, 1]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import validation as check
from .dynamics import as_dynamics
from .fixed_points import lemma1, solve_fixed_point, solve_fixed_points
from .penalties import Ridge, SpectralDecoupling, penalty_type
from .sensitivity import starvation_matrices, starvation_matrix_mp
from .spectrum import Spectrum, coupling_matrix, eq15, perturbed_identity

#: A float64 derivative smaller than this times max|S| (the starvation matrix at that
#: point) is "in doubt" and re-checked in mpmath. Measured: over the 60 smallest of 3000
#: random points of the Theorem 2 space, ``|float64 - mpmath| / max|S|`` was at most 1e-17
#: (exact and Taylor), so 1e-12 leaves a margin of 1e5.
DOUBT_REL = 1e-12
#: An mpmath value smaller than this times max|S| counts as zero: the input U itself is
#: float64 (Eq. 15 with c = sqrt(1 - delta^2) rounded), so a relative 1e-16 is the input's
#: own rounding, not a property of the problem.
ZERO_REL = 1e-14
#: Digits of the mpmath re-checks.
MP_DPS = 40
#: Largest number of mpmath re-checks per scan (each takes a few milliseconds).
MP_BUDGET = 400
INV_SQRT2 = 1.0 / math.sqrt(2.0)



# ------------------------------------------------------------------------- building blocks
def coupling_batch(delta: Any) -> np.ndarray:
    r"""Eq. 15 for a batch of couplings: ``(B, 2, 2)`` with
    ``[[sqrt(1 - d^2), -d], [d, sqrt(1 - d^2)]]``, entry for entry equal to
    :func:`gstheory.spectrum.coupling_matrix` ``(2, d)``.

    Raises:
        ValueError: a coupling outside ``(-1, 1)``.

    Paper: Eq. 15.
    """
    return eq15(check.finite_array("delta", delta, ndim=1))


def predicted_sign(delta: Any, ratio: Any) -> np.ndarray:
    r"""The sign rule of the module docstring, for arrays ``delta`` and ``ratio``
    (broadcast). Returns ``-1, 0, +1`` as int8.

    Paper: Theorem 2 (what this package finds in its place; see the module docstring).
    """
    d = check.finite_array("delta", delta)
    r = check.positive_array("ratio", ratio)
    s = (-np.sign(r - 1.0) * np.sign(d) * np.sign(1.0 - 2.0 * d * d)
         * np.sign(d + INV_SQRT2))
    return s.astype(np.int8)


@dataclass(frozen=True)
class Derivatives:
    r""":math:`\partial z_2^*/\partial s_1^2` at a batch of points (:math:`s_2^2 = 1`).

    Attributes:
        value: ``(B,)`` float64 derivative (mpmath-rounded where re-checked).
        sign: ``(B,)`` int8 in ``{-1, 0, +1}``; 0 = zero within :data:`ZERO_REL`.
        undetermined: ``(B,)`` bool: in doubt and not re-checked (budget exhausted).
        rechecked: ``(B,)`` bool: value comes from mpmath.
        z: ``(B, 2)`` responses :math:`z^*` (float64).
        alpha: ``(B, 2)`` fixed points.
        scale: ``(B,)`` ``max |starvation matrix|`` (the size the derivative is compared to).

    Paper: Theorem 2 (Eq. 16), Eq. 15.
    """

    value: np.ndarray
    sign: np.ndarray
    undetermined: np.ndarray
    rechecked: np.ndarray
    z: np.ndarray
    alpha: np.ndarray
    scale: np.ndarray


def theorem2_derivatives(delta: Any, ratio: Any, lam: Any, *, penalty: Any = "ridge",
                         dynamics: str = "exact", mp_budget: int = MP_BUDGET
                         ) -> Derivatives:
    r"""Batched :math:`\partial z_2^*/\partial s_1^2` with mpmath re-checks where in doubt.

    Arguments:
        delta, ratio, lam: ``(B,)`` arrays (Eq. 15 coupling in ``(-1, 1)``,
            :math:`s_1^2/s_2^2 > 0`, :math:`\lambda/s_2^2 > 0`).
        penalty: ``ridge`` (Eq. 5) or ``sd`` (Eq. 17; ``lam`` is SD's coefficient), or
            the type :class:`~gstheory.penalties.Ridge` /
            :class:`~gstheory.penalties.SpectralDecoupling`.
        dynamics: ``exact`` (Eq. 9 / 18) or ``taylor`` (Eq. 10).
        mp_budget: largest number of mpmath re-checks.

    Returns:
        :class:`Derivatives`.

    Raises:
        ValueError: invalid input, shapes that disagree.

    Paper: Theorem 2, Definition 2, Eq. 11.
    """
    pen = penalty_type(penalty)
    dyn = as_dynamics(dynamics).name
    d = check.finite_array("delta", delta, ndim=1)
    B = d.shape[0]
    r = check.positive_array("ratio", ratio, ndim=1, shape=(B,))
    lm = check.positive_array("lam", lam, ndim=1, shape=(B,))
    budget = check.integer("mp_budget", mp_budget, minimum=0)
    U = coupling_batch(d)
    s2 = np.stack([r, np.ones(B)], -1)
    fps = solve_fixed_points(U, s2, lm, pen, dyn)
    conv = np.asarray(fps.converged, dtype=bool)
    value = np.zeros(B)
    scale = np.zeros(B)
    if conv.any():
        S = starvation_matrices(U[conv], s2[conv], lm[conv], pen, dyn)
        value[conv] = S[:, 0, 1]
        scale[conv] = np.max(np.abs(S), axis=(1, 2))
    doubt = ~conv | (np.abs(value) <= DOUBT_REL * scale)
    if pen.decouples:
        doubt[:] = ~conv     # exactly zero by construction (Eq. 18), not by cancellation
    rechecked = np.zeros(B, dtype=bool)
    undetermined = np.zeros(B, dtype=bool)
    for k in np.flatnonzero(doubt):
        if rechecked.sum() >= budget:
            undetermined[k] = True
            continue
        v, sc = _mp_derivative(d[k], r[k], lm[k], pen, dyn)
        value[k], scale[k] = v, sc
        rechecked[k] = True
    sign = np.sign(value).astype(np.int8)
    sign[np.abs(value) <= ZERO_REL * scale] = 0
    sign[undetermined] = 0
    return Derivatives(value, sign, undetermined, rechecked, np.asarray(fps.z),
                       np.asarray(fps.alpha), scale)


def _mp_derivative(delta: float, ratio: float, lam: float, penalty: type,
                   dynamics: str) -> tuple[float, float]:
    sp = perturbed_identity([ratio, 1.0], delta)
    S = starvation_matrix_mp(sp, penalty(lam), dynamics, dps=MP_DPS)
    scale = max(abs(float(v)) for row in S for v in row)
    return float(S[0][1]), scale


# ------------------------------------------------------------------------- Theorem 2 map
@dataclass(frozen=True)
class SignMap:
    r"""The sign of :math:`\partial z_2^*/\partial s_1^2` on a grid
    ``delta x ratio x lam`` (axis order of every array).

    Attributes:
        penalty, dynamics: what was scanned.
        delta, ratio, lam: the grid axes.
        value: derivative; sign: ``-1/0/+1``; undetermined, rechecked: masks (as in
            :class:`Derivatives`); z1: :math:`z_1^*`; alpha_sum: :math:`\alpha_1^* +
            \alpha_2^*`.
        boundaries: boundary locations found by bisection (see :func:`locate_boundaries`).

    Paper: Theorem 2 (Eq. 16), Eq. 15.
    """

    penalty: str
    dynamics: str
    delta: np.ndarray
    ratio: np.ndarray
    lam: np.ndarray
    value: np.ndarray
    sign: np.ndarray
    undetermined: np.ndarray
    rechecked: np.ndarray
    z1: np.ndarray
    alpha_sum: np.ndarray
    boundaries: dict[str, Any] = field(default_factory=dict)

    def holds(self) -> np.ndarray:
        """Mask where Theorem 2's strict inequality ``< 0`` holds."""
        return self.sign < 0

    def summary(self) -> dict[str, Any]:
        """Numbers that describe the map (JSON-ready)."""
        D, R = np.meshgrid(self.delta, self.ratio, indexing="ij")
        D = np.broadcast_to(D[:, :, None], self.sign.shape)
        R = np.broadcast_to(R[:, :, None], self.sign.shape)
        determined = ~self.undetermined
        paper = (D > 0) & (R > 1) & determined
        out: dict[str, Any] = {
            "penalty": self.penalty, "dynamics": self.dynamics,
            "points": int(self.sign.size),
            "delta_range": [float(self.delta.min()), float(self.delta.max())],
            "ratio_range": [float(self.ratio.min()), float(self.ratio.max())],
            "lam_range": [float(self.lam.min()), float(self.lam.max())],
            "fraction_holds": float(np.mean(self.sign < 0)),
            "fraction_reversed": float(np.mean(self.sign > 0)),
            "fraction_zero": float(np.mean((self.sign == 0) & determined)),
            "undetermined": int(self.undetermined.sum()),
            "mp_rechecked": int(self.rechecked.sum()),
            "fraction_holds_paper_assumptions": (float(np.mean(self.sign[paper] < 0))
                                                 if paper.any() else None),
            "max_abs_derivative": float(np.max(np.abs(self.value))),
            "max_alpha_sum": float(np.max(self.alpha_sum)),
        }
        if not penalty_type(self.penalty).decouples:   # the sign rule of a coupled penalty
            pred = predicted_sign(D, R)
            nz = determined & (self.sign != 0)
            agree = (pred == self.sign) & nz
            out["sign_rule_agreement"] = float(agree.sum() / max(int(nz.sum()), 1))
            bad = np.argwhere(nz & ~agree)
            out["sign_rule_disagreements"] = [
                {"delta": float(self.delta[i]), "ratio": float(self.ratio[j]),
                 "lam": float(self.lam[k]), "value": float(self.value[i, j, k])}
                for i, j, k in bad[:20]]
            # does the sign depend on lam? (same sign along every lam line)
            s = self.sign
            out["sign_constant_along_lam"] = float(np.mean(np.all(s == s[:, :, :1], axis=2)))
        out["boundaries"] = self.boundaries
        return out


def scan_theorem2(delta: ArrayLike, ratio: ArrayLike, lam: ArrayLike, *,
                  penalty: Any = "ridge", dynamics: str = "exact",
                  mp_budget: int = MP_BUDGET) -> SignMap:
    r"""Sign of :math:`\partial z_2^*/\partial s_1^2` on the grid ``delta x ratio x lam``.

    Arguments:
        delta: couplings in ``(-1, 1)``; ratio: :math:`s_1^2/s_2^2 > 0`;
        lam: :math:`\lambda/s_2^2 > 0` (1-d sequences).
        penalty: ``ridge`` or ``sd``; dynamics: ``exact`` (Eq. 9) or ``taylor`` (Eq. 10).
        mp_budget: largest number of mpmath re-checks.

    Returns:
        :class:`SignMap` (boundaries empty; see :func:`locate_boundaries`).

    Raises:
        ValueError: invalid input.

    Paper: Theorem 2 (Eq. 16), Eq. 9, Eq. 10, Eq. 15, Eq. 18.
    """
    dg = check.finite_array("delta", delta, ndim=1)
    rg = check.positive_array("ratio", ratio, ndim=1)
    lg = check.positive_array("lam", lam, ndim=1)
    if not (dg.size and rg.size and lg.size):
        raise check.fail("delta/ratio/lam", (dg.size, rg.size, lg.size),
                         "every axis needs at least one value")
    D, R, L = np.meshgrid(dg, rg, lg, indexing="ij")
    res = theorem2_derivatives(D.ravel(), R.ravel(), L.ravel(), penalty=penalty,
                               dynamics=dynamics, mp_budget=mp_budget)
    shape = D.shape
    return SignMap(penalty_type(penalty).name, dynamics, dg, rg, lg, res.value.reshape(shape),
                   res.sign.reshape(shape), res.undetermined.reshape(shape),
                   res.rechecked.reshape(shape), res.z[:, 0].reshape(shape),
                   res.alpha.sum(axis=1).reshape(shape))


def _bisect(f: Callable[[np.ndarray], np.ndarray], lo: np.ndarray, hi: np.ndarray,
            steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised bisection of sign changes: ``sign f(lo) != sign f(hi)`` on entry."""
    flo = f(lo)
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        same = (mid == lo) | (mid == hi)
        if np.all(same):
            break
        fm = f(mid)
        left = np.sign(fm) == np.sign(flo)
        lo = np.where(left & ~same, mid, lo)
        flo = np.where(left & ~same, fm, flo)
        hi = np.where(~left & ~same, mid, hi)
    return lo, hi


def locate_boundaries(ratios: ArrayLike, lams: ArrayLike, *,
                      dynamics: str = "exact", steps: int = 60) -> dict[str, Any]:
    r"""Locate the sign changes of :math:`\partial z_2^*/\partial s_1^2` by bisection.

    For every ``(ratio, lam)`` pair: the sign change in ``delta`` on ``(-0.3, 0.3)``
    (expected at 0) and on ``(0.3, 0.95)`` (expected at :math:`1/\sqrt2`); for every
    ``lam`` and ``delta`` in ``{-0.5, 0.3, 0.9}``: the sign change in ``ratio`` on
    ``(0.5, 2)`` (expected at 1). Each bracket is bisected in float64 (until adjacent
    numbers or ``steps``); then, at a few of the pairs, mpmath confirms opposite signs at
    the expected location :math:`\pm` :data:`CONFIRM_EPS` (relative).

    Returns:
        dict with, per boundary, the expected location, the largest deviation from it over
        every ``(ratio, lam)`` / ``(delta, lam)``, the spread of the located points, and
        whether every bracket's ends were confirmed in mpmath.

    Raises:
        ValueError: invalid input.

    Paper: Theorem 2 (where it holds).
    """
    dyn = as_dynamics(dynamics).name
    rg = check.positive_array("ratios", ratios, ndim=1)
    lg = check.positive_array("lams", lams, ndim=1)
    steps = check.integer("steps", steps, minimum=1, maximum=200)
    out: dict[str, Any] = {}
    R, L = (a.ravel() for a in np.meshgrid(rg[rg != 1.0], lg, indexing="ij"))

    def along_delta(rr: np.ndarray, ll: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        return lambda dd: theorem2_derivatives(dd, rr, ll, dynamics=dyn, mp_budget=0).value

    for name, (a, b), expected in (("delta_zero", (-0.3, 0.3), 0.0),
                                   ("delta_inv_sqrt2", (0.3, 0.95), INV_SQRT2)):
        lo, hi = _bisect(along_delta(R, L), np.full(R.shape, a), np.full(R.shape, b), steps)
        out[name] = _boundary_record(lo, hi, expected, R, L, "delta", dyn)
    Dd, Ll = (a.ravel() for a in np.meshgrid(np.array([-0.5, 0.3, 0.9]), lg, indexing="ij"))
    lo, hi = _bisect(lambda rr: theorem2_derivatives(Dd, rr, Ll, dynamics=dyn,
                                                     mp_budget=0).value,
                     np.full(Dd.shape, 0.5), np.full(Dd.shape, 2.0), steps)
    out["ratio_one"] = _boundary_record(lo, hi, 1.0, Dd, Ll, "ratio", dyn)
    return out


#: Offset (relative) at which a located boundary is confirmed in mpmath on both sides.
CONFIRM_EPS = 1e-8


def _boundary_record(lo: np.ndarray, hi: np.ndarray, expected: float, p1: np.ndarray,
                     p2: np.ndarray, axis: str, dynamics: str) -> dict[str, Any]:
    mid = 0.5 * (lo + hi)
    # confirm in mpmath that the sign changes across expected +- eps at a few points
    eps = CONFIRM_EPS * max(1.0, abs(expected))
    confirmed = True
    checks = []
    for k in sorted({0, len(mid) // 3, 2 * len(mid) // 3, len(mid) - 1}):
        vals = []
        for x in (expected - eps, expected + eps):
            d_, r_ = (x, p1[k]) if axis == "delta" else (p1[k], x)
            vals.append(_mp_derivative(d_, r_, p2[k], Ridge, dynamics)[0])
        opposite = vals[0] * vals[1] < 0
        confirmed &= opposite
        other = ("ratio", "lam") if axis == "delta" else ("delta", "lam")
        checks.append({other[0]: float(p1[k]), other[1]: float(p2[k]),
                       "mp_values_at_expected_minus_plus_eps": vals,
                       "opposite_signs": bool(opposite)})
    return {"axis": axis, "expected": expected,
            "max_abs_deviation_float64": float(np.max(np.abs(mid - expected))),
            "located_min": float(mid.min()), "located_max": float(mid.max()),
            "brackets": int(mid.size), "mp_confirm_eps": eps,
            "mp_confirmed": bool(confirmed), "mp_checks": checks}


def scaling_invariance_error(delta: float, ratio: float, lam: float, k: Any,
                             dynamics: str = "exact") -> float:
    r"""Relative deviation from the scaling law of Theorem 2's derivative.

    Scaling :math:`(s_1^2, s_2^2, \lambda)` by ``k`` should leave :math:`\alpha^*, z^*`
    unchanged and divide :math:`\partial z_2^*/\partial s_1^2` by ``k``; returns
    :math:`\max_k |k\, D(k) - D(1)| / |D(1)|` over the given factors.

    Paper: Theorem 2 (derivation ``theorem-2-scaling``).
    """
    ks = check.positive_array("k", k, ndim=1)
    check.open_interval("delta", delta, -1.0, 1.0)
    base = check.positive("ratio", ratio)
    lm = check.positive("lam", lam)
    B = ks.size + 1
    U = np.broadcast_to(coupling_matrix(2, delta), (B, 2, 2))
    allk = np.concatenate([[1.0], ks])
    s2 = np.stack([base * allk, allk], -1)
    S = starvation_matrices(U, s2, lm * allk, "ridge", dynamics)
    D = S[:, 0, 1] * allk
    return float(np.max(np.abs(D[1:] - D[0])) / abs(D[0]))


# ------------------------------------------------------------------------- n features
@dataclass(frozen=True)
class NFeatureScan:
    """How often every stronger feature starves every weaker one (random spectra).

    Attributes:
        n_values, delta_values: the grid; samples: spectra per cell; lam: the penalty.
        all_starve: ``(len(n), len(delta))`` fraction of spectra where
            ``S[i, j] < 0`` for every pair with ``s_i^2 > s_j^2``.
        pair_fraction: fraction of such pairs with ``S[i, j] < 0``.
        magnitude_pair_fraction: fraction of pairs with :math:`z_j^* S[i,j] < 0`
            (:math:`|z_j^*|` shrinks; invariant to the sign convention of ``u_j``).
        weak_pair_fraction: the fraction of pairs where the weaker feature starves the
            stronger one (``S[j, i] < 0``).
        pairwise_rule_agreement: fraction of pairs (``s_i^2 > s_j^2``) where
            ``sign S[i, j] = -sign U[j, i]``: the 2-feature rule at first order in the
            coupling (feature ``i`` starves ``j`` when it loads positively on example ``j``).

    Paper: Theorem 2's remark that the argument extends pairwise to higher dimensions; beyond the
    paper: the n-feature form.
    """

    n_values: np.ndarray
    delta_values: np.ndarray
    samples: int
    lam: float
    all_starve: np.ndarray
    pair_fraction: np.ndarray
    magnitude_pair_fraction: np.ndarray
    weak_pair_fraction: np.ndarray
    pairwise_rule_agreement: np.ndarray

    def summary(self) -> dict[str, Any]:
        """JSON-ready numbers."""
        return {"n_values": self.n_values.tolist(), "delta_values": self.delta_values.tolist(),
                "samples": self.samples, "lam": self.lam,
                "all_starve": self.all_starve.tolist(),
                "pair_fraction": self.pair_fraction.tolist(),
                "magnitude_pair_fraction": self.magnitude_pair_fraction.tolist(),
                "weak_pair_fraction": self.weak_pair_fraction.tolist(),
                "pairwise_rule_agreement": self.pairwise_rule_agreement.tolist()}


def scan_n_features(n_values: Sequence[int] = tuple(range(3, 11)),
                    delta_values: Sequence[float] = (0.02, 0.05, 0.1, 0.2, 0.4, 0.7),
                    *, samples: int = 200, lam: float = 0.1, seed: int = 0,
                    dynamics: str = "exact") -> NFeatureScan:
    r"""Starvation matrices of random n-feature spectra (beyond the paper's n = 2).

    For each ``n`` and coupling size ``delta``: ``samples`` spectra with squared strengths
    log-uniform in ``[1, 100]`` and :math:`U = \exp(\arcsin(\delta) K/\|K\|_2)` for a
    random Gaussian skew-symmetric ``K`` (:func:`gstheory.spectrum.coupling_matrix`).

    Returns:
        :class:`NFeatureScan`.

    Raises:
        ValueError: invalid input.

    Paper: Theorem 2's remark that the argument extends pairwise to higher dimensions.
    """
    ns = [check.integer("n", v, minimum=2, maximum=64) for v in n_values]
    ds = [check.open_interval("delta", v, -1.0, 1.0) for v in delta_values]
    samples = check.integer("samples", samples, minimum=1)
    lm = check.positive("lam", lam)
    dyn = as_dynamics(dynamics).name
    rng = np.random.default_rng(check.integer("seed", seed, minimum=0))
    shape = (len(ns), len(ds))
    all_starve, pair, mag, weak, rule = (np.zeros(shape) for _ in range(5))
    for a, n in enumerate(ns):
        for b, d in enumerate(ds):
            U = np.empty((samples, n, n))
            for k in range(samples):
                G = rng.standard_normal((n, n))
                U[k] = coupling_matrix(n, d, G - G.T)
            s2 = 10.0 ** rng.uniform(0.0, 2.0, (samples, n))
            S = starvation_matrices(U, s2, lm, "ridge", dyn)
            z = solve_fixed_points(U, s2, lm, "ridge", dyn).z
            stronger = s2[:, :, None] > s2[:, None, :]          # [b, i, j]: s_i > s_j
            neg = S < 0
            pair_ok = neg | ~stronger
            all_starve[a, b] = float(np.mean(np.all(pair_ok, axis=(1, 2))))
            pair[a, b] = float(neg[stronger].mean())
            mag[a, b] = float(((z[:, None, :] * S) < 0)[stronger].mean())
            weak[a, b] = float(np.swapaxes(neg, 1, 2)[stronger].mean())
            pred = -np.sign(np.swapaxes(U, 1, 2))                # [b, i, j]: -sign U[j, i]
            rule[a, b] = float((np.sign(S) == pred)[stronger].mean())
    return NFeatureScan(np.array(ns), np.array(ds), samples, lm, all_starve, pair, mag, weak,
                        rule)


# ------------------------------------------------------------------------- approximations
@dataclass(frozen=True)
class ErrorCurve:
    """An approximation's error along one parameter, with a fitted log-log slope.

    Attributes:
        name: which approximation; parameter: the x-axis name; x, error: the curve;
        slope: least-squares slope of log(error) against log(x) over ``fit_range``;
        fit_range: the x-interval of the fit; details: other numbers.

    Paper: Eq. 9, Eq. 10 (Sec. 3.2), Lemma 1 (Eq. 14): the approximations it measures.
    """

    name: str
    parameter: str
    x: np.ndarray
    error: np.ndarray
    slope: float
    fit_range: tuple[float, float]
    details: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """JSON-ready numbers."""
        return {"name": self.name, "parameter": self.parameter, "x": self.x.tolist(),
                "error": self.error.tolist(), "slope": self.slope,
                "fit_range": list(self.fit_range), **self.details}


def _slope(x: np.ndarray, y: np.ndarray, lo: float, hi: float) -> float:
    m = (x >= lo) & (x <= hi) & (y > 0)
    if m.sum() < 2:
        raise ValueError(f"fit_range=({lo}, {hi}): fewer than two points with error > 0")
    return float(np.polyfit(np.log(x[m]), np.log(y[m]), 1)[0])


def taylor_error_curve(lam_over_s2: Sequence[float] | None = None, *, delta: float = 0.3,
                       ratio: float = 4.0) -> ErrorCurve:
    r"""Error of Eq. 10's fixed point against Eq. 9's as a function of :math:`\lambda/s^2`.

    Two features, Eq. 15 coupling ``delta``, :math:`s_1^2 = \text{ratio}\cdot s_2^2`;
    ``x`` is :math:`\lambda / s_1^2`. Error: :math:`\max_i |z^*_{T,i} - z^*_{E,i}| /
    \max_i |z^*_{E,i}|`. Eq. 10 replaces :math:`\log(1-\alpha)` by :math:`-\alpha`, an error
    :math:`O(\alpha^2)`, and :math:`\alpha^* \sim (\lambda/s^2)\log(s^2/\lambda)`.

    Returns:
        :class:`ErrorCurve` with the slope fitted for :math:`\lambda/s^2 \le 10^{-2}`.

    Raises:
        ValueError: invalid input.

    Paper: Eq. 9, Eq. 10 (the "lambda << s_k^2" regime of Sec. 3.2).
    """
    x = (np.logspace(-5, 1, 25) if lam_over_s2 is None
         else check.positive_array("lam_over_s2", lam_over_s2, ndim=1))
    check.open_interval("delta", delta, -1.0, 1.0)
    r = check.positive("ratio", ratio)
    B = x.size
    U = np.broadcast_to(coupling_matrix(2, delta), (B, 2, 2))
    s2 = np.broadcast_to(np.array([r, 1.0]), (B, 2))
    lam = x * r
    ex = solve_fixed_points(U, s2, lam, "ridge", "exact")
    ta = solve_fixed_points(U, s2, lam, "ridge", "taylor")
    if not (np.all(ex.converged) and np.all(ta.converged)):
        raise ValueError("taylor_error_curve: a fixed point did not converge in float64")
    err = np.max(np.abs(ta.z - ex.z), axis=1) / np.max(np.abs(ex.z), axis=1)
    aerr = np.max(np.abs(ta.alpha - ex.alpha) / ex.alpha, axis=1)
    fr = (float(x.min()), 1e-2)
    return ErrorCurve("taylor-vs-exact", "lambda/s1^2", x, err, _slope(x, err, *fr), fr,
                      {"alpha_rel_error": aerr.tolist(), "delta": delta, "ratio": r,
                       "error_at_1e-2": float(np.interp(-2, np.log10(x), err)),
                       "first_x_error_above_10pct": (float(x[np.argmax(err > 0.1)])
                                                     if np.any(err > 0.1) else None)})


def lemma1_error_curve(deltas: Sequence[float] | None = None, *, s2: Sequence[float] =
                       (4.0, 1.0), lam: float = 0.1) -> ErrorCurve:
    r"""Error of Lemma 1 (Eq. 14) against Eq. 10's exact fixed point as a function of
    ``delta`` (Eq. 15 / its n-feature form), with the log-log slope (expected 2: one
    Newton step from the uncoupled point, whose distance is :math:`O(\delta)`).

    Error: :math:`\max_i |\alpha_{L,i} - \alpha^*_i| / \alpha^*_i`.

    Returns:
        :class:`ErrorCurve` with the slope fitted for ``delta <= 0.1``.

    Raises:
        ValueError: invalid input.

    Paper: Lemma 1, Eq. 14.
    """
    ds = (np.logspace(-4, np.log10(0.9), 25) if deltas is None
          else check.finite_array("deltas", deltas, ndim=1))
    s2v = check.positive_array("s2", s2, ndim=1)
    pen = Ridge(check.positive("lam", lam))
    err = np.empty(ds.size)
    for k, d in enumerate(ds):
        sp = perturbed_identity(s2v, float(d))
        exact = solve_fixed_point(sp, pen, "taylor")
        if not exact.converged:
            raise ValueError(f"lemma1_error_curve: Eq. 10 fixed point did not converge at "
                             f"delta={d}")
        approx = lemma1(sp, pen)
        err[k] = float(np.max(np.abs(approx - exact.alpha) / exact.alpha))
    fr = (float(ds.min()), 0.1)
    return ErrorCurve("lemma-1", "delta", ds, err, _slope(ds, err, *fr), fr,
                      {"s2": s2v.tolist(), "lam": pen.lam,
                       "error_at_0.1": float(np.interp(np.log10(0.1), np.log10(ds), err))})


def sd_decoupling_check(delta: Sequence[float] = (-0.6, -0.1, 0.1, 0.6), ratio: float = 9.0,
                        lam: float = 0.5) -> dict[str, Any]:
    r"""Spectral decoupling (Eq. 18): the mpmath finite-difference starvation matrix
    (independent of implicit differentiation) at a few couplings, exact dynamics.

    Returns:
        dict with the largest :math:`|\partial z_j^*/\partial s_i^2|` found (expected 0).

    Paper: Eq. 17, Eq. 18.
    """
    from .sensitivity import starvation_matrix_fd_mp

    worst = 0.0
    for d in delta:
        sp = perturbed_identity([check.positive("ratio", ratio), 1.0], float(d))
        S = starvation_matrix_fd_mp(sp, SpectralDecoupling(check.positive("lam", lam)),
                                    "exact", dps=30)
        worst = max(worst, max(abs(float(v)) for row in S for v in row))
    return {"deltas": list(map(float, delta)), "ratio": ratio, "lam": lam,
            "max_abs_entry": worst}


def spectrum_of(delta: float, ratio: float) -> Spectrum:
    """The Theorem 2 spectrum (Eq. 15, :math:`s_2^2 = 1`).

    Paper: Eq. 15.
    """
    return perturbed_identity([check.positive("ratio", ratio), 1.0], delta)


# ------------------------------------------------------------------------- n features,
# convention-free
#: Coupling distributions of :func:`scan_starvation_magnitude`.
COUPLINGS = ("random-skew", "default", "positive-loadings")


@dataclass(frozen=True)
class MagnitudeScan:
    r"""Per-pair statistics of the convention-free starvation matrix over random spectra.

    :math:`M_{ij} = \operatorname{sign}(z_j^*)\,\partial z_j^*/\partial s_i^2 =
    \partial|z_j^*|/\partial s_i^2` (undefined where :math:`z_j^* = 0`). For every ordered
    pair with :math:`s_i^2 > s_j^2` (``i`` stronger):

    Attributes:
        couplings, n_values: the grid (rows ``couplings x n_values``); delta, lam,
            samples, dynamics: the setting.
        stronger_starves: fraction of pairs with :math:`M_{ij} < 0` (the stronger feature
            shrinks the weaker one's response).
        weaker_starves: fraction with :math:`M_{ji} < 0`.
        rule_accuracy: fraction where the first-order pairwise rule
            :math:`\operatorname{sign} M_{ij} = -\operatorname{sign}(U_{ji} U_{ii})` holds
            (``i`` starves ``j`` when it loads on example ``j`` with the sign it has on
            example ``i``; invariant to the SVD sign convention, exact for n = 2).
        undefined: fraction of pairs dropped because :math:`z_j^*` is 0.
        pairs: pairs counted per cell.
        violation: the first pair where the stronger feature does *not* starve the weaker
            (``M_ij > 0``), with where it was drawn; ``None`` if there is none.

    The sign of :math:`M` is symmetric. Implicit differentiation gives
    :math:`\partial z_j^*/\partial s_i^2 = -(s_j^2/s_i^2)\, z_i^*\,
    u_j^T M_\alpha^{-1} u_i/\lambda` (:math:`i \ne j`) with the symmetric matrix
    :math:`M_\alpha = \operatorname{diag}(\operatorname{link}'(\alpha)) + A`, so
    :math:`\operatorname{sign} M_{ij} = -\operatorname{sign}(z_i^* z_j^*\,
    u_j^T M_\alpha^{-1} u_i) = \operatorname{sign} M_{ji}`: ``stronger_starves`` equals
    ``weaker_starves``, and in magnitude who starves whom does not depend on which
    feature is stronger.

    Paper: Theorem 2's remark on higher dimensions; Definition 2 read convention-free; beyond the
    paper: the n-feature form.
    """

    couplings: tuple[str, ...]
    n_values: tuple[int, ...]
    delta: float
    lam: float
    samples: int
    dynamics: str
    stronger_starves: np.ndarray
    weaker_starves: np.ndarray
    rule_accuracy: np.ndarray
    undefined: np.ndarray
    pairs: np.ndarray
    violation: dict[str, Any] | None = None

    def summary(self) -> dict[str, Any]:
        """JSON-ready numbers."""
        return {"violation": self.violation, "couplings": list(self.couplings),
                "n_values": list(self.n_values),
                "delta": self.delta, "lam": self.lam, "samples": self.samples,
                "dynamics": self.dynamics,
                "stronger_starves": self.stronger_starves.tolist(),
                "weaker_starves": self.weaker_starves.tolist(),
                "rule_accuracy": self.rule_accuracy.tolist(),
                "undefined": self.undefined.tolist(), "pairs": self.pairs.tolist()}

    def table(self) -> list[str]:
        """The statistics as text lines (what ``report`` and docs quote)."""
        head = (f"{'coupling':<18} {'n':>3} {'pairs':>6} {'stronger starves':>17} "
                f"{'weaker starves':>15} {'pairwise rule':>14}")
        out = [head]
        for a, cp in enumerate(self.couplings):
            for b, n in enumerate(self.n_values):
                out.append(f"{cp:<18} {n:>3} {int(self.pairs[a, b]):>6} "
                           f"{self.stronger_starves[a, b]:>17.1%} "
                           f"{self.weaker_starves[a, b]:>15.1%} "
                           f"{self.rule_accuracy[a, b]:>14.1%}")
        return out


def _draw_couplings(kind: str, n: int, delta: float, samples: int,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(U, s2)`` batches of one coupling distribution (strengths log-uniform in
    [1, 100] unless the distribution fixes them)."""
    s2 = 10.0 ** rng.uniform(0.0, 2.0, (samples, n))
    if kind == "default":
        U = np.broadcast_to(coupling_matrix(n, delta), (samples, n, n)).copy()
        return U, s2
    if kind == "random-skew":
        U = np.empty((samples, n, n))
        for k in range(samples):
            G = rng.standard_normal((n, n))
            U[k] = coupling_matrix(n, delta, G - G.T)
        return U, s2
    # positive loadings: Phi0 = diag(s) + delta * mean(s) * |G| (every entry >= 0), y = 1;
    # U and the strengths come from the SVD of Y Phi0 (Definition 1)
    from .spectrum import from_features

    U = np.empty((samples, n, n))
    out_s2 = np.empty((samples, n))
    for k in range(samples):
        s = np.sqrt(s2[k])
        Phi = np.diag(s) + delta * s.mean() * np.abs(rng.standard_normal((n, n)))
        sp = from_features(Phi, np.ones(n))
        U[k], out_s2[k] = sp.U, sp.s2
    return U, out_s2


def scan_starvation_magnitude(n_values: Sequence[int] = (3, 4, 5, 6),
                              couplings: Sequence[str] = COUPLINGS, *, delta: float = 0.3,
                              samples: int = 100, lam: float = 0.1, seed: int = 0,
                              dynamics: str = "exact") -> MagnitudeScan:
    r"""Convention-free starvation between every stronger/weaker pair of random spectra.

    Arguments:
        n_values: numbers of features (2..64); couplings: distributions of ``U`` from
            :data:`COUPLINGS` (``random-skew``: :math:`\exp(\arcsin(\delta)K/\|K\|)` with
            a Gaussian skew ``K``; ``default``: :func:`gstheory.spectrum.coupling_matrix`;
            ``positive-loadings``: the SVD of a non-negative feature matrix).
        delta: coupling size in (-1, 1); samples: spectra per cell; lam: ridge penalty;
        seed: RNG seed; dynamics: ``exact`` (Eq. 9) or ``taylor`` (Eq. 10).

    Returns:
        :class:`MagnitudeScan`.

    Raises:
        ValueError: invalid input (names the argument).

    Example:
        >>> s = scan_starvation_magnitude([3], ["default"], samples=5)
        >>> s.pairs.shape
        (1, 1)

    Paper: Theorem 2's remark on higher dimensions; Definition 2 read convention-free.
    """
    ns = tuple(check.integer("n", v, minimum=2, maximum=64) for v in n_values)
    cps = tuple(check.choice("coupling", c, COUPLINGS) for c in couplings)
    if not ns or not cps:
        raise check.fail("n_values/couplings", (n_values, couplings), "must be non-empty")
    d = check.open_interval("delta", delta, -1.0, 1.0)
    samples = check.integer("samples", samples, minimum=1)
    lm = check.positive("lam", lam)
    dyn = as_dynamics(dynamics).name
    rng = np.random.default_rng(check.integer("seed", seed, minimum=0))
    shape = (len(cps), len(ns))
    strong, weak, rule, undef, pairs = (np.zeros(shape) for _ in range(5))
    violation: dict[str, Any] | None = None
    for a, cp in enumerate(cps):
        for b, n in enumerate(ns):
            U, s2 = _draw_couplings(cp, n, d, samples, rng)
            S = starvation_matrices(U, s2, lm, "ridge", dyn)      # [b, i, j] dz_j/ds_i^2
            z = solve_fixed_points(U, s2, lm, "ridge", dyn).z
            zs = np.sign(z)
            M = zs[:, None, :] * S                                 # [b, i, j] d|z_j|/ds_i^2
            defined = (zs[:, None, :] != 0) & (zs[:, :, None] != 0)
            stronger = s2[:, :, None] > s2[:, None, :]
            cnt = stronger & defined
            pairs[a, b] = int(cnt.sum())
            undef[a, b] = float(np.mean(~defined[stronger])) if stronger.any() else 0.0
            strong[a, b] = float(np.mean(M[cnt] < 0))
            weak[a, b] = float(np.mean(np.swapaxes(M, 1, 2)[cnt] < 0))
            diag = np.diagonal(U, axis1=1, axis2=2)                # U[b, i, i]
            pred = -np.sign(np.swapaxes(U, 1, 2) * diag[:, :, None])  # -sign(U[j,i] U[i,i])
            rule[a, b] = float(np.mean(np.sign(M[cnt]) == pred[cnt]))
            bad = np.argwhere(cnt & (M > 0))
            if violation is None and bad.size:
                k, i, j = (int(v) for v in bad[0])
                violation = {"coupling": cp, "n": n, "sample": k, "i": i, "j": j,
                             "s2_i": float(s2[k, i]), "s2_j": float(s2[k, j]),
                             "d|z_j|/ds_i^2": float(M[k, i, j]), "seed": seed,
                             "delta": d}
    return MagnitudeScan(cps, ns, d, lm, samples, dyn, strong, weak, rule, undef, pairs,
                         violation)
