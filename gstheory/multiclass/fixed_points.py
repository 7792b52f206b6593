r"""The multi-class dual and its fixed point: batched damped Newton and an mpmath twin.

Paper: Eq. 6-9 and Eq. 11 (Sec. 3.2), generalised to softmax cross-entropy with K classes.

Softmax cross-entropy has the variational form
:math:`\mathrm{lse}(\hat y_i) - \hat y_{i,y_i} = \max_{p_i\in\Delta_K}[H(p_i) -
\alpha_i\cdot\hat y_i]` with :math:`\alpha_i = e_{y_i} - p_i` (derived in
``gstheory derive multiclass``). For :math:`\hat y_i = \Phi_i\theta` with weight decay
:math:`\frac\lambda2\|\theta\|^2` the inner minimum is
:math:`\theta^* = \frac1\lambda\sum_i\Phi_i^T\alpha_i` and the concave dual is

.. math:: D(p) = \sum_i H(p_i) - \frac1{2\lambda}\alpha^TG_c\alpha,
   \qquad G_c = US^2U^T.

Its fixed point (the stationarity condition on the simplex) is
:math:`p_i = \mathrm{softmax}(\hat y_i)` with :math:`\hat y = \frac1\lambda G_c\alpha`.
The solver works in **centred-logit coordinates** :math:`x_i \in \mathbf 1^\perp`,
:math:`\log p_i = x_i - \mathrm{lse}(x_i)` (log-probabilities never underflow, the
simplex barrier never bites, and the shift invariance of softmax is removed by the
centring), solving

.. math:: F(x) = x - A\alpha(x) = 0,\qquad A = G_c/\lambda,\quad
   \alpha(x) = e - \mathrm{softmax}(x).

Its Jacobian :math:`I + AJ` (:math:`J = \mathrm{blockdiag}(\mathrm{diag}\,p_i - p_ip_i^T)`)
has eigenvalues :math:`\ge 1` (:math:`AJ` is a product of two positive semidefinite
matrices), so the Newton direction always exists; it is an ascent direction of ``D``
(:math:`\nabla_xD = -JF`), and the backtracking line search uses ``D``. The reported
``residual`` is relative: :math:`\max|F| / (1 + |x| + |A||\alpha|)`. At ``K = 2`` this is
the binary fixed point of Eq. 9 (tested against :func:`gstheory.solve_fixed_point`).

Example:
    >>> import numpy as np
    >>> from gstheory.multiclass.spectrum import coupled_pair
    >>> fp = solve_fixed_point(coupled_pair([36.0, 4.0], 0.5, K=3), 0.1)
    >>> bool(fp.converged), fp.p.shape
    (True, (2, 3))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mpmath as mp
import numpy as np

from .. import validation as check
from .spectrum import MulticlassSpectrum

#: Relative residual at which Newton stops (float64).
DEFAULT_TOL = 1e-13
#: Largest Newton step (infinity norm, logit units) before damping.
MAX_STEP = 50.0
#: Largest coupling ``s^2 / lambda`` accepted (beyond it logits leave float64's range).
MAX_COUPLING = 1e12


class ConvergenceError(ValueError):
    """Newton did not reach the tolerance (a ValueError: the CLI reports one line).

    Paper: none (infrastructure).
    """


@dataclass(frozen=True, eq=False)
class MulticlassFixedPoint:
    r"""The multi-class dual fixed point.

    Attributes:
        p: ``(n, K)`` probabilities :math:`p^* = \mathrm{softmax}(\hat y^*)`.
        alpha: ``(n, K)`` :math:`\alpha^* = e_y - p^*` (rows sum to 0).
        logits: ``(n, K)`` centred logits :math:`C\hat y^*` (the solver's ``x``).
        z: ``(r,)`` signed responses :math:`z^* = \frac1\lambda S^2U^T\alpha^*`.
        z_norm: ``(G,)`` convention-free group magnitudes :math:`\|z^*_g\|`.
        residual, iterations, converged: Newton diagnostics.
        method: ``"newton"`` or ``"mpmath"``.

    Paper: Eq. 11 (K-class form).
    """

    p: np.ndarray
    alpha: np.ndarray
    logits: np.ndarray
    z: np.ndarray
    z_norm: np.ndarray
    residual: float
    iterations: int
    converged: bool
    method: str = "newton"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"p": self.p.tolist(), "alpha": self.alpha.tolist(),
                "logits": self.logits.tolist(), "z": self.z.tolist(),
                "z_norm": self.z_norm.tolist(), "residual": float(self.residual),
                "iterations": int(self.iterations), "converged": bool(self.converged),
                "method": self.method}


# ----------------------------------------------------------------------------- helpers
def log_softmax(x: np.ndarray) -> np.ndarray:
    """Log-probabilities of the last axis, stable for any finite logits.

    Paper: the maximiser of Eq. 6 (``p = softmax``, in logs); beyond the paper: the K-class form.
    """
    m = np.max(x, axis=-1, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True))


def check_spectrum(spectrum: Any) -> MulticlassSpectrum:
    """The argument must be a :class:`MulticlassSpectrum`.

    Paper: none (infrastructure).
    """
    if not isinstance(spectrum, MulticlassSpectrum):
        raise check.fail("spectrum", type(spectrum).__name__,
                         "must be a MulticlassSpectrum (gstheory.multiclass.spectrum)")
    return spectrum


def check_lam(lam: Any, spectrum: MulticlassSpectrum) -> float:
    """``lam > 0`` with ``s^2 / lam`` inside float64's workable range.

    Paper: none (infrastructure).
    """
    lv = check.positive("lam", lam)
    ratio = float(np.max(spectrum.s2)) / lv
    if not ratio <= MAX_COUPLING:
        raise check.fail("lam", lam, f"s^2 / lam = {ratio:.3g} exceeds {MAX_COUPLING:g}: "
                                     "the logits would leave float64's range")
    return lv


def dual_objective(p: Any, spectrum: MulticlassSpectrum, lam: float) -> float:
    r"""The concave dual :math:`D(p) = \sum_iH(p_i) - \frac1{2\lambda}\alpha^TG_c\alpha`.

    Arguments:
        p: ``(n, K)`` rows in the open simplex; spectrum; lam > 0.

    Raises:
        ValueError: rows not in the simplex (entries in (0, 1), summing to 1), bad lam.

    Paper: Eq. 8 (K-class form).
    """
    sp = check_spectrum(spectrum)
    lv = check_lam(lam, sp)
    P = check.probabilities("p", p, ndim=2, shape=(sp.n, sp.K))
    if float(np.max(np.abs(P.sum(axis=1) - 1.0))) > 1e-12:
        raise check.fail("p", p, "every row must sum to 1 (a point of the simplex)")
    a = sp.targets() - P.reshape(-1)
    return float(-np.sum(P * np.log(P)) - 0.5 * a @ (sp.gram() @ a) / lv)


def dual_alpha(E: np.ndarray, p: np.ndarray, K: int) -> np.ndarray:
    r""":math:`\alpha = e - p` without cancellation: the true class's entry
    :math:`1 - p_{i,y_i}` is computed as :math:`\sum_{c\ne y_i}p_{ic}` (exact, since the
    row sums to 1), so a confident example keeps its tiny dual variable to full relative
    precision. ``E``, ``p``: ``(..., n*K)``.

    Paper: the dual variables of Eq. 6-8 (``alpha = e - p``); beyond the paper: the K-class form.
    """
    shape = p.shape
    pb = p.reshape((*shape[:-1], -1, K))
    Eb = E.reshape(pb.shape)
    wrong = np.sum(pb * (1.0 - Eb), axis=-1, keepdims=True)
    return np.where(Eb == 1.0, wrong, -pb).reshape(shape)


def _evaluate(x: np.ndarray, A: np.ndarray, E: np.ndarray, absA: np.ndarray, K: int
              ) -> tuple[np.ndarray, ...]:
    """``(p, F, D, relative residual)`` for a batch; x, E ``(B, N)``; A ``(B, N, N)``."""
    B, N = x.shape
    lp = log_softmax(x.reshape(B, N // K, K)).reshape(B, N)
    p = np.exp(lp)
    a = dual_alpha(E, p, K)
    Aa = np.einsum("bij,bj->bi", A, a)
    F = x - Aa
    D = -np.sum(p * lp, axis=1) - 0.5 * np.sum(a * Aa, axis=1)
    scale = 1.0 + np.abs(x) + np.einsum("bij,bj->bi", absA, np.abs(a))
    return p, F, D, np.max(np.abs(F) / scale, axis=1)


def _jac_apply(A: np.ndarray, p: np.ndarray, K: int) -> np.ndarray:
    r""":math:`AJ` for a batch without forming the block-diagonal ``J`` densely."""
    B, N = p.shape
    pb = p.reshape(B, N // K, K)
    Jb = np.einsum("bik,kl->bikl", pb, np.eye(K)) - pb[..., :, None] * pb[..., None, :]
    return np.einsum("bMik,bikl->bMil", A.reshape(B, N, N // K, K), Jb).reshape(B, N, N)


def newton_batch(A: np.ndarray, E: np.ndarray, K: int, x0: np.ndarray | None = None,
                 tol: float = DEFAULT_TOL, max_iter: int = 200
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Damped Newton on :math:`F(x) = x - A(e - \mathrm{softmax}(x)) = 0` for a batch.

    Arguments:
        A: ``(B, N, N)`` with ``N = n K`` (:math:`G_c/\lambda`); E: ``(B, N)`` one-hot
        targets; K: classes; x0: optional start (default 0, the uniform distribution).

    Returns:
        ``(x, residual, iterations, converged)``; converged instances leave the active set.

    Paper: the fixed-point equation of Eq. 9 (K-class form).
    """
    B, N = E.shape
    x = np.zeros((B, N)) if x0 is None else np.array(x0, dtype=float)
    absA = np.abs(A)
    iters = np.zeros(B, dtype=np.int64)
    eye = np.eye(N)
    active = np.arange(B)
    for _ in range(max_iter):
        p, F, D, rel = _evaluate(x[active], A[active], E[active], absA[active], K)
        keep = rel > tol
        active, p, F, D = active[keep], p[keep], F[keep], D[keep]
        if active.size == 0:
            break
        xa, Aa, Ea, aa = x[active], A[active], E[active], absA[active]
        AJ = _jac_apply(Aa, p, K)
        dx = -np.linalg.solve(eye + AJ, F[..., None])[..., 0]
        pb = p.reshape(-1, N // K, K)
        dxb = dx.reshape(pb.shape)
        Jdx = (pb * dxb - pb * np.sum(pb * dxb, axis=2, keepdims=True)).reshape(dx.shape)
        slope = -np.sum(F * Jdx, axis=1)
        t = np.minimum(1.0, MAX_STEP / np.maximum(np.max(np.abs(dx), axis=1), 1e-300))
        phi0 = np.linalg.norm(F, axis=1)
        x_new = xa.copy()
        todo = np.arange(active.size)
        for _ls in range(60):
            xt = xa[todo] + t[todo, None] * dx[todo]
            _, Ft, Dt, _ = _evaluate(xt, Aa[todo], Ea[todo], aa[todo], K)
            ok = ((Dt >= D[todo] + 1e-4 * t[todo] * slope[todo])
                  | (np.linalg.norm(Ft, axis=1) <= 0.5 * phi0[todo]) | (_ls == 59))
            x_new[todo[ok]] = xt[ok]
            todo = todo[~ok]
            if todo.size == 0:
                break
            t[todo] *= 0.5
        moved = np.max(np.abs(x_new - xa), axis=1) > 4 * np.finfo(float).eps * (
            1.0 + np.max(np.abs(xa), axis=1))
        x[active] = x_new
        iters[active] += 1
        active = active[moved]
        if active.size == 0:
            break
    _, _, _, res = _evaluate(x, A, E, absA, K)
    conv = (res <= tol) | (res <= 64 * np.finfo(float).eps)
    return x, res, iters, conv & np.all(np.isfinite(x), axis=1)


def _check_tol(tol: Any, max_iter: Any) -> tuple[float, int]:
    return (check.positive("tol", tol),
            check.integer("max_iter", max_iter, minimum=1, maximum=10_000))


def _result(sp: MulticlassSpectrum, lam: float, x: np.ndarray, res: float, it: int,
            conv: bool, method: str = "newton") -> MulticlassFixedPoint:
    lp = log_softmax(x.reshape(sp.n, sp.K))
    p = np.exp(lp)
    alpha = dual_alpha(sp.targets(), p.reshape(-1), sp.K).reshape(sp.n, sp.K)
    z = sp.s2 * (sp.U.T @ alpha.reshape(-1)) / lam
    return MulticlassFixedPoint(p, alpha, x.reshape(sp.n, sp.K), z, sp.group_norms(z),
                                float(res), int(it), bool(conv), method)


def one_hot_like(sp: MulticlassSpectrum) -> np.ndarray:
    """``(n, K)`` one-hot targets of a spectrum's labels.

    Paper: the labels of Sec. 3.1; beyond the paper: their one-hot K-class form.
    """
    return sp.targets().reshape(sp.n, sp.K)


def solve_fixed_point(spectrum: MulticlassSpectrum, lam: Any, *, tol: float = DEFAULT_TOL,
                      max_iter: int = 200) -> MulticlassFixedPoint:
    r"""The K-class dual fixed point for one spectrum (damped Newton, centred logits).

    Arguments:
        spectrum: :class:`~gstheory.multiclass.spectrum.MulticlassSpectrum`.
        lam: weight decay :math:`\lambda > 0`.
        tol, max_iter: relative residual target and Newton iteration cap.

    Returns:
        :class:`MulticlassFixedPoint` (check ``converged``).

    Raises:
        ValueError: invalid input (names the parameter).

    Paper: Eq. 9, Eq. 11 (K-class form).
    """
    sp = check_spectrum(spectrum)
    lv = check_lam(lam, sp)
    tol, max_iter = _check_tol(tol, max_iter)
    A = sp.gram()[None] / lv
    x, res, it, conv = newton_batch(A, sp.targets()[None], sp.K, tol=tol,
                                    max_iter=max_iter)
    return _result(sp, lv, x[0], res[0], it[0], conv[0])


def solve_fixed_points(spectra: list[MulticlassSpectrum], lams: Any, *,
                       tol: float = DEFAULT_TOL, max_iter: int = 200
                       ) -> list[MulticlassFixedPoint]:
    r"""Batched :func:`solve_fixed_point`: one Newton run for many spectra of the same
    size ``(n, K)`` (e.g. a scan over coupling and :math:`\lambda`).

    Arguments:
        spectra: list of spectra with equal ``n`` and ``K``; lams: scalar or one per
        spectrum.

    Returns:
        list of :class:`MulticlassFixedPoint`.

    Raises:
        ValueError: empty list, sizes that differ, bad ``lams``.

    Paper: Eq. 9, Eq. 11 (K-class form).
    """
    if not isinstance(spectra, (list, tuple)) or not spectra:
        raise check.fail("spectra", spectra, "must be a non-empty list of spectra")
    sps = [check_spectrum(s) for s in spectra]
    if len({(s.n, s.K) for s in sps}) != 1:
        raise check.fail("spectra", [(s.n, s.K) for s in sps], "must share n and K")
    lam_arr = check.positive_array("lams", lams)
    lam_v = np.broadcast_to(lam_arr, (len(sps),)) if lam_arr.ndim == 0 else lam_arr
    if lam_v.shape != (len(sps),):
        raise check.fail("lams", lams, f"must be a scalar or {len(sps)} values")
    lam_list = [check_lam(v, s) for v, s in zip(lam_v, sps)]
    tol, max_iter = _check_tol(tol, max_iter)
    A = np.stack([s.gram() / v for s, v in zip(sps, lam_list)])
    E = np.stack([s.targets() for s in sps])
    x, res, it, conv = newton_batch(A, E, sps[0].K, tol=tol, max_iter=max_iter)
    return [_result(s, v, x[b], res[b], it[b], conv[b])
            for b, (s, v) in enumerate(zip(sps, lam_list))]


# ---------------------------------------------------------------------------- mpmath
def check_dps(dps: Any) -> int:
    """Decimal digits for mpmath: an integer in [15, 10000].

    Paper: none (infrastructure).
    """
    return check.integer("dps", dps, minimum=15, maximum=10_000)


def mp_gram(spectrum: MulticlassSpectrum, s2: list | None = None) -> Any:
    r""":math:`G_c = US^2U^T` as an mpmath matrix at the working precision.

    Paper: Definition 1 (:math:`Y\Phi_0\Phi_0^TY = US^2U^T`); beyond the paper: the K-class form.
    """
    U = spectrum.U
    N, r = U.shape
    s2v = [mp.mpf(v) for v in (spectrum.s2 if s2 is None else s2)]
    Um = [[mp.mpf(v) for v in row] for row in U.tolist()]
    G = mp.matrix(N, N)
    for i in range(N):
        for j in range(i, N):
            G[i, j] = G[j, i] = mp.fsum(Um[i][k] * s2v[k] * Um[j][k] for k in range(r))
    return G


def _mp_softmax(x: list, K: int) -> list:
    out: list[Any] = []
    for i in range(0, len(x), K):
        blk = x[i:i + K]
        m = max(blk)
        e = [mp.exp(v - m) for v in blk]
        s = mp.fsum(e)
        out.extend(v / s for v in e)
    return out


def mp_newton(A: Any, E: list, K: int, x0: list, max_iter: int = 200
              ) -> tuple[list, Any, int, bool]:
    r"""Newton on :math:`x - A(e - \mathrm{softmax}(x)) = 0` in mpmath (working precision),
    damped on :math:`\|F\|`. Converged means a relative residual below
    :math:`10^{-(dps-5)}`.

    Paper: the fixed-point equation of Eq. 9; beyond the paper: the K-class form.
    """
    N = len(x0)
    x = [mp.mpf(v) for v in x0]
    tol = mp.mpf(10) ** (-(mp.mp.dps - 5))

    def resid(xv: list) -> tuple[list, list, Any]:
        p = _mp_softmax(xv, K)
        a = [E[i] - p[i] for i in range(N)]
        Aa = [mp.fsum(A[i, j] * a[j] for j in range(N)) for i in range(N)]
        F = [xv[i] - Aa[i] for i in range(N)]
        sc = [1 + abs(xv[i]) + mp.fsum(abs(A[i, j] * a[j]) for j in range(N))
              for i in range(N)]
        return F, p, max(abs(F[i]) / sc[i] for i in range(N))

    F, p, rel = resid(x)
    it = 0
    while rel > tol and it < max_iter:
        Jm = mp.matrix(N, N)
        for i in range(N):
            for j in range(N):
                blk = (j // K) * K
                acc = mp.fsum(A[i, blk + c] * ((p[j] if blk + c == j else 0) - p[blk + c]
                                               * p[j]) for c in range(K))
                Jm[i, j] = acc + (1 if i == j else 0)
        dx = mp.lu_solve(Jm, mp.matrix([-v for v in F]))
        norm0 = mp.sqrt(mp.fsum(v * v for v in F))
        t = mp.mpf(1)
        for _ in range(200):
            xt = [x[i] + t * dx[i] for i in range(N)]
            Ft, pt, relt = resid(xt)
            if mp.sqrt(mp.fsum(v * v for v in Ft)) <= (1 - t / 10000) * norm0:
                break
            t /= 2
        x, F, p, rel = xt, Ft, pt, relt
        it += 1
    return x, rel, it, bool(rel <= tol)


@dataclass(frozen=True, eq=False)
class MulticlassFixedPointMP:
    """The fixed point in mpmath: ``p``, ``alpha`` (nested lists of mpf, ``n x K``),
    ``z`` (list of mpf), residual, iterations, converged, dps.

    Paper: Eq. 9, Eq. 11; beyond the paper: the K-class form.
    """

    p: list
    alpha: list
    z: list
    residual: Any
    iterations: int
    converged: bool
    dps: int
    x: list

    def to_float(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(p, alpha, z)`` rounded to float64."""
        return (np.array(self.p, dtype=float), np.array(self.alpha, dtype=float),
                np.array([float(v) for v in self.z]))


def solve_fixed_point_mp(spectrum: MulticlassSpectrum, lam: Any, dps: int = 50
                         ) -> MulticlassFixedPointMP:
    r"""The K-class fixed point by Newton in mpmath at ``dps`` digits (started from the
    float64 solution; :math:`G_c` formed in mpmath from ``U`` and ``s2``).

    Raises:
        ValueError: invalid input.

    Paper: Eq. 9, Eq. 11 (K-class form).
    """
    dps = check_dps(dps)
    sp = check_spectrum(spectrum)
    lv = check_lam(lam, sp)
    fp = solve_fixed_point(sp, lv)
    x0 = fp.logits.reshape(-1).tolist() if fp.converged else [0.0] * (sp.n * sp.K)
    K = sp.K
    with mp.workdps(dps):
        lam_m = mp.mpf(lv)
        A = mp_gram(sp) / lam_m
        E = [mp.mpf(v) for v in sp.targets()]
        x, rel, it, conv = mp_newton(A, E, K, x0)
        p = _mp_softmax(x, K)
        a = [E[i] - p[i] for i in range(len(p))]
        z = [mp.mpf(sp.s2[j]) * mp.fsum(mp.mpf(sp.U[i, j]) * a[i] for i in range(len(a)))
             / lam_m for j in range(sp.r)]
        rows = lambda v: [[+v[i * K + c] for c in range(K)] for i in range(sp.n)]
        return MulticlassFixedPointMP(rows(p), rows(a), [+v for v in z], +rel, it, conv,
                                      dps, [+v for v in x])
