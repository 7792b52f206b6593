r"""Hypothesis strategies and oracle assertions for property tests against the theory.

In the spirit of :mod:`numpy.testing` and :mod:`hypothesis.extra.numpy`: users' own tests
draw spectra, couplings, penalties and small torch networks from here, and check their
code with assertions that compare to the derived results.

Strategies (Hypothesis is imported with this module; torch only inside
:func:`networks`): :func:`log_uniform`, :func:`lams`, :func:`strengths`, :func:`deltas`,
:func:`spectra_s2`, :func:`orthogonal_matrices`, :func:`couplings`, :func:`spectra`,
:func:`penalties`, :func:`two_feature_regime`, :func:`networks`.

Oracles: :func:`assert_dual_fixed_point` (``z`` is the dual fixed point of Eq. 9/11 for the
spectrum and penalty), :func:`assert_starvation_sign` (an observed change of
:math:`z_j^*` under a change of :math:`s_i^2` has the sign of the derived
:math:`\partial z_j^*/\partial s_i^2`).

Ranges are the project's: ``lambda`` log-uniform in [1e-4, 1e2], squared strengths
log-uniform in [1e-2, 1e3], coupling ``delta`` in (0, 1).

Paper: Definition 1, Definition 2, Eq. 9-11, Theorem 2.

Example:
    >>> from hypothesis import given, settings
    >>> from gstheory.penalties import Ridge
    >>> from gstheory.fixed_points import solve_fixed_point
    >>> @settings(max_examples=5)
    ... @given(spectra(2), lams())
    ... def test_solver(sp, lam):
    ...     assert_dual_fixed_point(solve_fixed_point(sp, Ridge(lam)).z, sp, Ridge(lam))
    >>> test_solver()
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from hypothesis import strategies as st

from .spectrum import Spectrum, coupling_matrix

LAM_RANGE = (1e-4, 1e2)
N_FEATURES = st.integers(1, 6)
STRENGTH_RANGE = (1e-2, 1e3)
#: Default relative tolerance of :func:`assert_dual_fixed_point` (relative to
#: :math:`\max_j |z^*_j|`).
Z_RTOL = 1e-8


# --------------------------------------------------------------------------- strategies
def log_uniform(lo: float, hi: float) -> st.SearchStrategy[float]:
    """``10**u`` with ``u`` uniform in ``[log10 lo, log10 hi]``.

    Paper: none (infrastructure).
    """
    return st.floats(np.log10(lo), np.log10(hi), allow_nan=False).map(lambda u: 10.0 ** u)


def lams(lo: float = LAM_RANGE[0], hi: float = LAM_RANGE[1]) -> st.SearchStrategy[float]:
    """Regularisation strengths, log-uniform (default [1e-4, 1e2]).

    Paper: the lambda of Eq. 5 and Eq. 17 (test data).
    """
    return log_uniform(lo, hi)


def strengths(lo: float = STRENGTH_RANGE[0],
              hi: float = STRENGTH_RANGE[1]) -> st.SearchStrategy[float]:
    """One squared strength ``s^2``, log-uniform (default [1e-2, 1e3]).

    Paper: the strengths of Definition 1 (test data).
    """
    return log_uniform(lo, hi)


def deltas(lo: float = 1e-3, hi: float = 0.99) -> st.SearchStrategy[float]:
    """Coupling sizes in ``[lo, hi]`` inside the open interval (0, 1).

    Paper: the coupling delta of Eq. 15 (test data).
    """
    return st.floats(lo, hi, allow_nan=False, exclude_min=False)


def spectra_s2(n: int | st.SearchStrategy[int] = N_FEATURES,
               lo: float = STRENGTH_RANGE[0],
               hi: float = STRENGTH_RANGE[1]) -> st.SearchStrategy[np.ndarray]:
    """A vector of ``n`` squared strengths.

    Paper: the strengths of Definition 1 (test data).
    """
    ns = st.just(n) if isinstance(n, int) else n
    return ns.flatmap(lambda k: st.lists(strengths(lo, hi), min_size=k, max_size=k)).map(
        lambda v: np.array(v, dtype=float))


def orthogonal_matrices(n: int) -> st.SearchStrategy[np.ndarray]:
    """Haar-random ``n x n`` orthogonal matrices (QR of a seeded Gaussian, signs fixed).

    Paper: the orthogonal ``U`` of Definition 1 (test data).
    """
    def build(seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        Q, R = np.linalg.qr(rng.standard_normal((n, n)))
        return Q * np.sign(np.diag(R))
    return st.integers(0, 2**32 - 1).map(build)


def couplings(n: int, kind: str = "random") -> st.SearchStrategy[np.ndarray]:
    """Coupling matrices ``U``: ``random`` (Haar), ``delta`` (Eq. 15 and its n-feature
    form, :func:`gstheory.spectrum.coupling_matrix`) or ``skew`` (a random skew generator
    of size ``delta``).

    Paper: ``U`` of Definition 1, Eq. 15 (test data); beyond the paper: the n-feature forms.
    """
    if kind == "random":
        return orthogonal_matrices(n)
    if kind == "delta":
        return deltas().map(lambda d: coupling_matrix(n, d))
    if kind == "skew":
        def build(t: tuple[float, int]) -> np.ndarray:
            G = np.random.default_rng(t[1]).standard_normal((n, n))
            return coupling_matrix(n, t[0], G - G.T)
        return st.tuples(deltas(), st.integers(0, 2**32 - 1)).map(build)
    raise ValueError(f"kind={kind!r}: must be one of random, delta, skew")


def spectra(n: int | st.SearchStrategy[int] = N_FEATURES, *,
            coupling: str = "random") -> st.SearchStrategy[Spectrum]:
    """Spectra with ``n`` features; ``coupling`` as in :func:`couplings`.

    Paper: Definition 1 (test data).
    """
    ns = st.just(n) if isinstance(n, int) else n
    return ns.flatmap(lambda k: st.builds(Spectrum, couplings(k, coupling), spectra_s2(k)))


def penalties(n: int | None = None, *, kinds: tuple[str, ...] = ("ridge", "sd")
              ) -> st.SearchStrategy[Any]:
    """Penalties: :class:`~gstheory.penalties.Ridge` with a drawn lambda, and (when ``n``
    is given, for per-example parameters) :class:`~gstheory.penalties.SpectralDecoupling`
    with scalar or per-example lambda and gamma.

    Paper: Eq. 5, Eq. 17, Sec. 4.4 (test data).
    """
    from .penalties import Ridge, SpectralDecoupling

    out: list[st.SearchStrategy[Any]] = []
    if "ridge" in kinds:
        out.append(lams().map(Ridge))
    if "sd" in kinds:
        out.append(st.builds(SpectralDecoupling, lams(1e-2, 1e1), st.floats(0.0, 3.0)))
        if n is not None:
            vec = st.lists(lams(1e-2, 1e1), min_size=n, max_size=n).map(np.array)
            out.append(st.builds(SpectralDecoupling, vec, st.just(0.0)))
    if not out:
        raise ValueError(f"kinds={kinds!r}: must include ridge or sd")
    return st.one_of(*out)


def two_feature_regime() -> st.SearchStrategy[tuple[float, float, float, float]]:
    """``(s1^2, s2^2, lam, delta)`` with ``s1^2 > s2^2`` (Theorem 2's hypothesis).

    Paper: the hypotheses of Theorem 2, Eq. 15 (test data).
    """
    return st.tuples(strengths(), strengths(), lams(), deltas(1e-4, 0.7)).filter(
        lambda t: max(t[0], t[1]) > (1 + 1e-6) * min(t[0], t[1])).map(
        lambda t: (max(t[0], t[1]), min(t[0], t[1]), t[2], t[3]))


def networks(*, depths: tuple[int, int] = (1, 2), widths: tuple[int, int] = (4, 16),
             activations: tuple[str, ...] = ("relu", "tanh"),
             in_features: int = 3) -> st.SearchStrategy[Any]:
    """Small float64 NTK-parametrised MLPs (:class:`gstheory.ntk.NTKMLP`, Eq. 1): depth,
    width, activation and initialisation seed drawn. torch is imported only when this
    strategy draws.

    Paper: Eq. 1 (test data).
    """
    def build(t: tuple[int, int, str, int]) -> Any:
        from .ntk import NTKMLP

        depth, width, act, seed = t
        return NTKMLP(in_features, [width] * depth, act, seed=seed)
    return st.tuples(st.integers(*depths), st.integers(*widths), st.sampled_from(activations),
                     st.integers(0, 2**31 - 1)).map(build)


def examples(n: int) -> int:
    """``n`` examples in the ci profile, 20x that in the thorough profile
    (``GSTHEORY_PROFILE=thorough``).

    Paper: none (infrastructure).
    """
    return n * (20 if os.environ.get("GSTHEORY_PROFILE", "ci") == "thorough" else 1)


# --------------------------------------------------------------------------- oracles
def assert_dual_fixed_point(z: Any, spectrum: Spectrum, penalty: Any, dynamics: str = "exact",
                            *, rtol: float = Z_RTOL) -> None:
    r"""Assert that ``z`` is the dual fixed point's response :math:`z^*` (Eq. 9-11).

    Arguments:
        z: ``(n,)`` responses to check (e.g. :math:`U^T Y \hat y` of a trained model).
        spectrum, penalty, dynamics: the problem.
        rtol: tolerance relative to :math:`\max|z^*|`.

    Raises:
        AssertionError: naming the worst entry and both values.

    Paper: Eq. 9, Eq. 11.
    """
    from .fixed_points import solve_fixed_point

    zz = np.asarray(z, dtype=float)
    ref = solve_fixed_point(spectrum, penalty, dynamics).z
    if zz.shape != ref.shape:
        raise AssertionError(f"z has shape {zz.shape}, the spectrum has {ref.shape[0]} "
                             "features")
    scale = max(float(np.max(np.abs(ref))), 1e-300)
    err = np.abs(zz - ref) / scale
    k = int(np.argmax(err))
    if not err[k] <= rtol:
        raise AssertionError(f"z[{k}] = {zz[k]!r} but the dual fixed point gives "
                             f"{ref[k]!r}: relative error {err[k]:.3g} > rtol={rtol:g}")


def assert_starvation_sign(spectrum: Spectrum, penalty: Any, i: int, j: int,
                           observed_change: float, ds2: float, dynamics: str = "exact",
                           *, rtol: float = 1e-2, atol: float = 0.0) -> float:
    r"""Assert that changing :math:`s_i^2` by ``ds2`` changed :math:`z_j^*` by
    ``observed_change`` with the sign (and, to first order, the size) of the derived
    :math:`\partial z_j^*/\partial s_i^2` (implicit differentiation, Definition 2).

    Arguments:
        spectrum, penalty, dynamics: the unperturbed problem.
        i, j: the perturbed feature and the observed one.
        observed_change: :math:`\Delta z_j` measured by the caller; ds2: :math:`\Delta s_i^2`.
        rtol, atol: allowed deviation of :math:`\Delta z_j/\Delta s_i^2` from the
            derivative, ``rtol * |derivative| + atol`` (``atol``: the caller's resolution
            of the rate; a derivative within ``atol`` of 0 has no sign to check).

    Returns:
        The derived derivative.

    Raises:
        AssertionError: a sign or size mismatch.

    Paper: Definition 2, Theorem 2.
    """
    from .sensitivity import starvation_matrix

    S = starvation_matrix(spectrum, penalty, dynamics)
    d = float(S[i, j])
    rate = float(observed_change) / float(ds2)
    if abs(d) > atol and np.sign(rate) != np.sign(d):
        raise AssertionError(f"d z_{j}/d s_{i}^2: derived {d:.6g}, observed "
                             f"{rate:.6g}: the signs differ")
    if not abs(rate - d) <= rtol * abs(d) + atol:
        raise AssertionError(f"d z_{j}/d s_{i}^2: derived {d:.6g}, observed {rate:.6g}: "
                             f"deviation {abs(rate - d):.3g} > {rtol:g} * |derived| + "
                             f"{atol:g}")
    return d
