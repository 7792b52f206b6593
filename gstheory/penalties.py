r"""Penalties of the primal loss: ridge (Eq. 5) and spectral decoupling (Eq. 17, Sec. 4.4).

The theory and the torch training code share these objects: the dual solvers read
``lam`` (and ``gamma``) from them, the primal optimisers call :meth:`value` /
:meth:`gradient`, and training loops call :func:`torch_penalty`.

* :class:`Ridge` -- weight decay :math:`\frac{\lambda}{2}\|\theta\|^2` (Eq. 5).
* :class:`SpectralDecoupling` -- an L2 penalty on the logits,
  :math:`\sum_i \frac{\lambda_i}{2}(y_i\hat y_i - \gamma_i)^2` (Eq. 17 with
  :math:`\gamma = 0` and a scalar :math:`\lambda`; per-example :math:`\lambda_i` and a
  target :math:`\gamma_i` on the *margin* :math:`y_i\hat y_i` as in the CelebA variant of
  Sec. 4.4). Since :math:`y_i^2 = 1`, :math:`(y_i\hat y_i - \gamma_i)^2 =
  (\hat y_i - y_i\gamma_i)^2`, i.e. the paper's :math:`\|\hat y - \gamma\|^2` with the
  target signed by the label.

Example:
    >>> import numpy as np
    >>> p = make_penalty("sd", 0.5, gamma=1.0)
    >>> float(p.value(np.zeros(3), np.array([1.0, 3.0])))
    1.0

Paper: Eq. 5 (Sec. 3.2), Eq. 17 (Sec. 3.4), Sec. 4.4.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import validation as check


def finite_result(name: str, value: Any, compute: Any) -> Any:
    """Evaluate ``compute()`` with float warnings silenced; a non-finite result is refused
    as a ValueError naming the input ``name`` (its magnitude overflows float64).

    Paper: none (infrastructure).
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        out = compute()
    if not np.all(np.isfinite(out)):
        raise check.fail(name, value, "is too large: the result overflows float64")
    return out


def _vector(name: str, value: Any) -> np.ndarray:
    arr = check.finite_array(name, value, ndim=1)
    if arr.size == 0:
        raise check.fail(name, value, "must not be empty")
    return arr


def _scalar_or_vector(name: str, value: Any, *, positive: bool) -> float | np.ndarray:
    """A finite scalar, or a finite 1-D array (per example); ``positive`` -> entries > 0."""
    arr = check.finite_array(name, value)
    if arr.ndim > 1:
        raise check.fail(name, value, f"must be a scalar or a 1-D per-example array, got "
                                      f"shape {arr.shape}")
    if arr.ndim == 1 and arr.size == 0:
        raise check.fail(name, value, "must not be empty")
    if positive and not np.all(arr > 0):
        raise check.fail(name, value, "every entry must be > 0 (allowed range (0, inf))")
    if arr.ndim == 0:
        return float(arr)
    arr = arr.copy()
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True)
class Ridge:
    r"""Weight decay :math:`\frac{\lambda}{2}\|\theta\|^2` (Eq. 5).

    Arguments:
        lam: the weight-decay coefficient :math:`\lambda > 0`.

    Raises:
        ValueError: ``lam`` not a finite scalar ``> 0``.

    Paper: Eq. 5 (Sec. 3.2).
    """

    lam: float

    name = "ridge"
    #: Whether the penalty decouples the dual dynamics (Eq. 18: starvation matrix 0).
    decouples = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "lam", check.positive("lam", self.lam))

    def value(self, theta: Any, margins: Any = None) -> float:
        r""":math:`\frac{\lambda}{2}\|\theta\|^2` (``margins`` unused)."""
        th = _vector("theta", theta)
        return float(finite_result("theta", th, lambda: 0.5 * self.lam * float(th @ th)))

    def gradient(self, theta: Any, margins: Any = None) -> tuple[np.ndarray, np.ndarray | None]:
        r"""Gradient w.r.t. ``theta`` and w.r.t. the margins: :math:`(\lambda\theta, None)`."""
        th = _vector("theta", theta)
        return finite_result("theta", th, lambda: self.lam * th), None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"penalty": "ridge", "lam": self.lam}


@dataclass(frozen=True)
class SpectralDecoupling:
    r"""Spectral decoupling :math:`\sum_i \frac{\lambda_i}{2}(y_i\hat y_i - \gamma_i)^2`.

    Arguments:
        lam: :math:`\lambda > 0`, a scalar or one value per example (Sec. 4.4 tunes it per
            class).
        gamma: target on the margin :math:`y_i \hat y_i`, a scalar or one value per
            example (default 0, the plain Eq. 17).

    Raises:
        ValueError: ``lam`` not ``> 0`` or not finite, ``gamma`` not finite, either of
            rank > 1, or per-example arrays of different lengths.

    Paper: Eq. 17 (Sec. 3.4), Sec. 4.4.
    """

    lam: float | np.ndarray
    gamma: float | np.ndarray = 0.0

    name = "sd"
    #: Whether the penalty decouples the dual dynamics (Eq. 18: starvation matrix 0).
    decouples = True

    def __post_init__(self) -> None:
        lam = _scalar_or_vector("lam", self.lam, positive=True)
        gamma = _scalar_or_vector("gamma", self.gamma, positive=False)
        if (isinstance(lam, np.ndarray) and isinstance(gamma, np.ndarray)
                and lam.shape != gamma.shape):
            raise check.fail("gamma", gamma, f"must have the same length as lam "
                                             f"({lam.shape[0]}), got {gamma.shape[0]}")
        object.__setattr__(self, "lam", lam)
        object.__setattr__(self, "gamma", gamma)

    def per_example(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``(lam, gamma)`` broadcast to ``n`` examples.

        Raises:
            ValueError: a per-example array whose length is not ``n``.
        """
        n = check.integer("n", n, minimum=1)
        out = []
        for name in ("lam", "gamma"):
            v = getattr(self, name)
            if isinstance(v, np.ndarray):
                if v.shape != (n,):
                    raise check.fail(name, v, f"must have one entry per example ({n}), "
                                              f"got {v.shape[0]}")
                out.append(np.array(v, dtype=np.float64))
            else:
                out.append(np.full(n, float(v)))
        return out[0], out[1]

    def value(self, theta: Any, margins: Any) -> float:
        r""":math:`\sum_i \frac{\lambda_i}{2}(m_i - \gamma_i)^2` with margins
        :math:`m = Y\hat y` (``theta`` unused)."""
        m = _vector("margins", margins)
        lam, gamma = self.per_example(m.shape[0])
        return float(finite_result("margins", m,
                                   lambda: 0.5 * float(np.sum(lam * (m - gamma) ** 2))))

    def gradient(self, theta: Any, margins: Any) -> tuple[np.ndarray | None, np.ndarray]:
        r"""Gradient w.r.t. ``theta`` (``None``: none directly) and the margins,
        :math:`\lambda (m - \gamma)`."""
        m = _vector("margins", margins)
        lam, gamma = self.per_example(m.shape[0])
        return None, finite_result("margins", m, lambda: lam * (m - gamma))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        def js(v: Any) -> Any:
            return v.tolist() if isinstance(v, np.ndarray) else v
        return {"penalty": "sd", "lam": js(self.lam), "gamma": js(self.gamma)}


Penalty = Ridge | SpectralDecoupling
#: The penalty types by their command-line names (the one mapping from strings).
PENALTY_TYPES: dict[str, type[Penalty]] = {"ridge": Ridge, "sd": SpectralDecoupling}
#: The penalties' command-line names.
PENALTY_NAMES: tuple[str, ...] = tuple(PENALTY_TYPES)


def penalty_type(penalty: Any) -> type[Penalty]:
    """The penalty's type from a name (``"ridge"``, ``"sd"``), a type or an instance (the
    batched APIs take the type, with ``lam`` given separately).

    Raises:
        ValueError: anything else, naming ``penalty`` and the allowed names.

    Paper: Eq. 5, Eq. 17 (the penalty it selects).
    """
    if isinstance(penalty, (Ridge, SpectralDecoupling)):
        return type(penalty)
    if isinstance(penalty, type) and penalty in (Ridge, SpectralDecoupling):
        return penalty
    return PENALTY_TYPES[check.choice("penalty", penalty, tuple(PENALTY_TYPES))]


def make_penalty(name: str, lam: Any, gamma: Any = None) -> Penalty:
    r"""Build a penalty by name: ``"ridge"`` (Eq. 5) or ``"sd"`` (Eq. 17, Sec. 4.4).

    Arguments:
        name: ``"ridge"`` or ``"sd"``.
        lam: :math:`\lambda` (scalar; SD also accepts one value per example).
        gamma: SD margin target (scalar or per example); must be ``None`` for ridge.

    Returns:
        A :class:`Ridge` or :class:`SpectralDecoupling`.

    Raises:
        ValueError: unknown ``name``, invalid ``lam``/``gamma``, or ``gamma`` given for
            ridge.

    Paper: Eq. 5, Eq. 17.
    """
    name = check.choice("penalty", name, PENALTY_NAMES)
    if name == "ridge":
        if gamma is not None:
            raise check.fail("gamma", gamma, "is only defined for the sd penalty")
        return Ridge(lam)
    return SpectralDecoupling(lam, 0.0 if gamma is None else gamma)


def as_penalty(penalty: Any, lam: Any = None, gamma: Any = None) -> Penalty:
    """Accept a penalty object, or a name plus ``lam`` (and ``gamma``).

    Raises:
        ValueError: not a penalty, or a name without ``lam``.

    Paper: Eq. 5, Eq. 17, Sec. 4.4 (the penalty it selects).
    """
    if isinstance(penalty, (Ridge, SpectralDecoupling)):
        return penalty
    if isinstance(penalty, str):
        if lam is None:
            raise check.fail("lam", lam, f"is required with penalty={penalty!r}")
        return make_penalty(penalty, lam, gamma)
    raise check.fail("penalty", penalty, "must be a Ridge or SpectralDecoupling object, "
                                         "or one of 'ridge', 'sd'")


# --------------------------------------------------------------------------- torch side
def torch_penalty(penalty: Penalty, *, theta: Any = None, yhat: Any = None,
                  y: Any = None, reduction: str = "sum") -> Any:
    r"""The same penalties on torch tensors (torch is imported lazily here).

    Arguments:
        penalty: a :class:`Ridge` or :class:`SpectralDecoupling`.
        theta: ridge: a tensor or an iterable of tensors (e.g. ``model.parameters()``).
        yhat: SD: the network outputs, shape ``(N,)`` or ``(N, 1)``.
        y: SD: labels in ``{-1, +1}`` (needed when ``gamma != 0``; the margin target is
            signed by the label). Per-example ``lam``/``gamma`` arrays must have ``N``
            entries.
        reduction: ``"sum"`` (the paper's penalty) or ``"mean"`` (divide the SD sum by
            ``N``, as the authors' ``mean(yhat**2)`` code does).

    Returns:
        A 0-d tensor.

    Raises:
        ValueError: missing inputs, bad ``reduction``, or mismatched lengths.

    Paper: Eq. 5, Eq. 17, Sec. 4.4.
    """
    import torch

    reduction = check.choice("reduction", reduction, ("sum", "mean"))
    if isinstance(penalty, Ridge):
        if theta is None:
            raise check.fail("theta", theta, "ridge needs the parameters")
        tensors = [theta] if isinstance(theta, torch.Tensor) else list(theta)
        if not tensors:
            raise check.fail("theta", theta, "must contain at least one tensor")
        total = sum((t.pow(2).sum() for t in tensors), torch.zeros((), dtype=tensors[0].dtype,
                                                                   device=tensors[0].device))
        return 0.5 * penalty.lam * total
    if not isinstance(penalty, SpectralDecoupling):
        raise check.fail("penalty", penalty, "must be a Ridge or SpectralDecoupling")
    if yhat is None:
        raise check.fail("yhat", yhat, "spectral decoupling needs the outputs")
    out = yhat.reshape(-1)
    N = out.shape[0]
    lam = torch.as_tensor(np.broadcast_to(np.asarray(penalty.lam), (N,)).copy()
                          if isinstance(penalty.lam, np.ndarray) else penalty.lam,
                          dtype=out.dtype, device=out.device)
    if isinstance(penalty.lam, np.ndarray) and penalty.lam.shape != (N,):
        raise check.fail("lam", penalty.lam, f"must have {N} entries (one per output)")
    gamma_is_zero = not isinstance(penalty.gamma, np.ndarray) and penalty.gamma == 0.0
    if gamma_is_zero:
        resid = out
    else:
        if y is None:
            raise check.fail("y", y, "is needed when gamma != 0 (the target is y * gamma)")
        yt = torch.as_tensor(y, dtype=out.dtype, device=out.device).reshape(-1)
        if yt.shape[0] != N:
            raise check.fail("y", y, f"must have {N} entries (one per output)")
        if isinstance(penalty.gamma, np.ndarray) and penalty.gamma.shape != (N,):
            raise check.fail("gamma", penalty.gamma, f"must have {N} entries")
        g = torch.as_tensor(np.array(penalty.gamma), dtype=out.dtype, device=out.device)
        resid = out - yt * g
    total = 0.5 * (lam * resid.pow(2)).sum()
    return total / N if reduction == "mean" else total


def torch_softplus_loss(yhat: Any, y: Any, reduction: str = "sum") -> Any:
    r"""Cross-entropy of the paper, :math:`\sum_i \log(1 + e^{-y_i \hat y_i})` (Eq. 5).

    Arguments:
        yhat: outputs ``(N,)`` or ``(N, 1)``; y: labels in ``{-1, +1}``.
        reduction: ``"sum"`` or ``"mean"``.

    Paper: Eq. 5.
    """
    import torch

    reduction = check.choice("reduction", reduction, ("sum", "mean"))
    out = yhat.reshape(-1)
    yt = torch.as_tensor(y, dtype=out.dtype, device=out.device).reshape(-1)
    if yt.shape != out.shape:
        raise check.fail("y", y, f"must have {out.shape[0]} entries (one per output)")
    loss = torch.nn.functional.softplus(-yt * out)
    return loss.sum() if reduction == "sum" else loss.mean()
