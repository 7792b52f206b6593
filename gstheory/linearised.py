r"""Training: the linearised network (Eq. 3) and the full network, recording z(t).

Paper: Eq. 3-5, Eq. 17 (Sec. 3.1-3.4).

Both models are trained full batch by plain gradient descent on the paper's loss,
:math:`\sum_i \log(1 + e^{-y_i\hat y_i})` plus a penalty (sum convention, Eq. 5):

* ``Ridge(lam)`` -- weight decay :math:`\frac{\lambda}{2}\|\theta - \theta_a\|^2` with the
  anchor :math:`\theta_a = \theta_0` (``decay_to="init"``, the centring of Eq. 3, the
  default) or :math:`0` (``decay_to="zero"``, ordinary weight decay);
* ``SpectralDecoupling(lam, gamma)`` -- the logit penalty of Eq. 17 / Sec. 4.4.

The losses are :func:`gstheory.penalties.torch_softplus_loss` and
:func:`gstheory.penalties.torch_penalty`. With ``centre_output=True`` the output is
:math:`\hat y - \hat y_0` (the network's change since initialisation), which makes the
linearised model exactly the paper's :math:`\hat y = \Phi_0\theta` (Eq. 3 with centred
:math:`\theta` and :math:`\hat y`), i.e. the linear model of the numeric core.

The linearised network :math:`\hat y = \hat y_0 + \Phi_0(\theta - \theta_0)` is evaluated
with one Jacobian-vector product per step and trained with one vector-Jacobian product,
so :math:`\Phi_0` is never built. Responses are recorded as
:math:`z(t) = U^T Y (\hat y(t) - \hat y_0)` (Eq. 4) with ``U`` from the network's NTK at
initialisation (:func:`gstheory.ntk.network_spectrum`).

:func:`width_study` measures how far the full network's :math:`z(t)` strays from its
linearisation as the width grows (NTK theory bounds it by :math:`\text{width}^{-1/2}`;
finite-width corrections to the dynamics are :math:`O(\text{width}^{-1})`).

Example:
    >>> import torch
    >>> from gstheory.ntk import NTKMLP
    >>> from gstheory.penalties import Ridge
    >>> X = torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    >>> y = np.array([1, -1, 1, -1, 1, -1.0])
    >>> net = NTKMLP(3, [32], "tanh", bias=True, seed=0)
    >>> lin = train_linearised(net, X, y, Ridge(0.1), lr=0.05, steps=10, centre_output=True)
    >>> _, full = train_network(net, X, y, Ridge(0.1), lr=0.05, steps=10, centre_output=True)
    >>> lin.z.shape, bool(z_gap(full, lin) < 0.1)
    ((2, 6), True)
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from . import validation as check
from .ntk import (
    NTKMLP,
    _batch_vjp,
    _outputs,
    as_inputs,
    call_model,
    network_spectrum,
    trainable_parameters,
)
from .penalties import (
    Penalty,
    Ridge,
    SpectralDecoupling,
    as_penalty,
    torch_penalty,
    torch_softplus_loss,
)
from .spectrum import Spectrum

DECAY_ANCHORS = ("init", "zero")


@dataclass(frozen=True, eq=False)
class Trajectory:
    r"""Outputs and responses recorded during training.

    Attributes:
        steps: ``(k,)`` the recorded step numbers (0 = initialisation; step ``t`` is the
            state after ``t`` updates).
        z: ``(k, n)`` responses :math:`z(t) = U^T Y(\hat y(t) - \hat y_0)` (Eq. 4).
        yhat: ``(k, n)`` outputs (centred if the run was).
        loss: ``(k,)`` the objective (loss + penalty) at those steps.
        theta: final parameters minus initial ones, :math:`\theta_T - \theta_0`, flattened
            in :func:`gstheory.ntk.parameter_vector` order.

    Paper: Eq. 4.
    """

    steps: np.ndarray
    z: np.ndarray
    yhat: np.ndarray
    loss: np.ndarray
    theta: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (without ``theta``)."""
        return {"steps": self.steps.tolist(), "z": self.z.tolist(),
                "yhat": self.yhat.tolist(), "loss": self.loss.tolist()}


def _record_steps(steps: int, record_steps: Sequence[int] | None) -> np.ndarray:
    if record_steps is None:
        return np.array([0, steps])
    rs = sorted({check.integer("record_steps", int(s) if isinstance(s, np.integer) else s,
                               minimum=0, maximum=steps) for s in record_steps})
    if not rs:
        raise check.fail("record_steps", list(record_steps), "must name at least one step")
    return np.array(rs)


def _objective(penalty: Penalty, yhat: torch.Tensor, yt: torch.Tensor, y: np.ndarray,
               offsets: list[torch.Tensor] | None) -> torch.Tensor:
    loss = torch_softplus_loss(yhat, yt)
    if isinstance(penalty, Ridge):
        return loss + torch_penalty(penalty, theta=offsets)
    return loss + torch_penalty(penalty, yhat=yhat, y=y)


@dataclass(frozen=True, eq=False)
class _TrainingSetup:
    """Validated inputs shared by :func:`train_network` and :func:`train_linearised`."""

    X: torch.Tensor          # inputs as the model's tensor
    n: int                   # number of examples
    y: np.ndarray            # labels in {-1, +1}
    penalty: Any             # Ridge or SpectralDecoupling
    lr: float
    steps: int
    record: np.ndarray       # steps at which to record
    decay_to: str            # ridge anchor: "init" or "zero"


def _common(model: nn.Module, X: Any, y: Any, penalty: Any, lr: Any, steps: Any,
            record_steps: Any, decay_to: str) -> _TrainingSetup:
    Xt = as_inputs(model, X)
    n = Xt.shape[0]
    yv = check.labels("y", y, n=n)
    pen = as_penalty(penalty)
    lr = check.positive("lr", lr)
    steps = check.integer("steps", steps, minimum=0)
    rec = _record_steps(steps, record_steps)
    decay_to = check.choice("decay_to", decay_to, DECAY_ANCHORS)
    if isinstance(pen, SpectralDecoupling):
        pen.per_example(n)  # per-example lam/gamma must have n entries
    return _TrainingSetup(Xt, n, yv, pen, lr, steps, rec, decay_to)


def _spectrum_for(model: nn.Module, Xt: torch.Tensor, yv: np.ndarray,
                  spectrum: Spectrum | None) -> Spectrum:
    if spectrum is None:
        return network_spectrum(model, Xt, yv)
    if not isinstance(spectrum, Spectrum) or spectrum.n != Xt.shape[0]:
        raise check.fail("spectrum", getattr(spectrum, "n", spectrum),
                         f"must be a Spectrum of the same {Xt.shape[0]} examples")
    return spectrum


def _finite(name: str, t: torch.Tensor, step: int) -> None:
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} became non-finite at step {step}: the learning rate is "
                         f"too large for this network (lower lr)")


def train_network(model: nn.Module, X: Any, y: Any, penalty: Any, *, lr: float,
                  steps: int, record_steps: Sequence[int] | None = None,
                  spectrum: Spectrum | None = None, centre_output: bool = False,
                  decay_to: str = "init") -> tuple[nn.Module, Trajectory]:
    r"""Train (a copy of) the full network by full-batch gradient descent.

    Objective: :math:`\sum_i \log(1+e^{-y_i\hat y_i})` + penalty (Eq. 5 / Eq. 17).

    Arguments:
        model: the network at initialisation :math:`\theta_0` (not modified).
        X: ``(n, ...)`` inputs; y: ``(n,)`` labels in ``{-1, +1}``.
        penalty: a :class:`~gstheory.penalties.Ridge` or
            :class:`~gstheory.penalties.SpectralDecoupling`.
        lr: learning rate :math:`\eta > 0`; steps: number of updates.
        record_steps: steps at which to record (default ``[0, steps]``).
        spectrum: ``U`` for :math:`z = U^T Y(\hat y - \hat y_0)`; default the network's NTK
            spectrum at initialisation.
        centre_output: train :math:`\hat y(\theta) - \hat y(\theta_0)` instead of
            :math:`\hat y(\theta)`.
        decay_to: ridge anchor, ``"init"`` (:math:`\theta_0`) or ``"zero"``.

    Returns:
        ``(trained copy of model, Trajectory)``.

    Raises:
        ValueError: bad labels, shapes, penalty, ``lr``, ``steps`` or ``record_steps``;
            non-finite values during training (lower ``lr``).

    Paper: Eq. 5, Eq. 17.
    """
    setup = _common(model, X, y, penalty, lr, steps, record_steps, decay_to)
    Xt, n, yv, pen = setup.X, setup.n, setup.y, setup.penalty
    lr, steps, rec, decay_to = setup.lr, setup.steps, setup.record, setup.decay_to
    net = copy.deepcopy(model)
    spec = _spectrum_for(net, Xt, yv, spectrum)
    params = [p for _, p in trainable_parameters(net)]
    anchors = [p.detach().clone() if decay_to == "init" else torch.zeros_like(p)
               for p in params]
    theta0 = [p.detach().clone() for p in params]
    yt = torch.as_tensor(yv, dtype=Xt.dtype, device=Xt.device)
    with torch.no_grad():
        yhat0 = _outputs(call_model(net, Xt), n).clone()
    rec_set = set(rec.tolist())
    out_y, out_loss = [], []
    for t in range(steps + 1):
        yhat = _outputs(call_model(net, Xt), n)
        if centre_output:
            yhat = yhat - yhat0
        obj = _objective(pen, yhat, yt, yv, [p - a for p, a in zip(params, anchors)])
        _finite("the objective", obj, t)
        if t in rec_set:
            out_y.append(yhat.detach().cpu().double().numpy().copy())
            out_loss.append(float(obj.detach()))
        if t == steps:
            break
        grads = torch.autograd.grad(obj, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p.sub_(lr * g)
    Y = np.array(out_y)
    base = np.zeros(n) if centre_output else yhat0.cpu().double().numpy()
    z = (yv[None, :] * (Y - base[None, :])) @ spec.U
    theta = np.concatenate([(p.detach() - p0).cpu().double().reshape(-1).numpy()
                            for p, p0 in zip(params, theta0)])
    return net, Trajectory(rec, z, Y, np.array(out_loss), theta)


class LinearisedNetwork:
    r"""The linearisation of a network at :math:`\theta_0` (Eq. 3).

    :math:`\hat y(\theta) = \hat y_0 + \Phi_0 (\theta - \theta_0)` on a fixed batch ``X``,
    with :math:`\Phi_0` applied by Jacobian-vector products (forward mode) and its
    transpose by vector-Jacobian products; :math:`\Phi_0` is never built.

    Arguments:
        model: the network at :math:`\theta_0`; X: the batch.

    Paper: Eq. 2-3.
    """

    def __init__(self, model: nn.Module, X: Any) -> None:
        from torch.func import vjp

        self.Xt = as_inputs(model, X)
        self.n = int(self.Xt.shape[0])
        self.model = model
        self.theta0 = [p.detach().clone() for _, p in trainable_parameters(model)]
        yhat0, self._vjp, _ = _batch_vjp(model, self.Xt)
        self.yhat0 = yhat0.detach()
        # Phi0 v by the "double vjp": vjp_fn(u) = Phi0^T u is linear in u, so its own vjp
        # is u-independent and equals v -> Phi0 v; built once, reused every step (forward
        # mode through functional_call is ~100x slower per call on small MLPs).
        _, self._jvp_fn = vjp(self._vjp, torch.zeros_like(self.yhat0))  # type: ignore[misc]

    def jvp(self, delta: Sequence[torch.Tensor]) -> torch.Tensor:
        r""":math:`\Phi_0\,\delta` for a parameter offset given per tensor."""
        (out,) = self._jvp_fn(tuple(delta))
        return out

    def vjp(self, v: torch.Tensor) -> tuple[torch.Tensor, ...]:
        r""":math:`\Phi_0^T v`, per parameter tensor."""
        return self._vjp(v)

    def outputs(self, delta: Sequence[torch.Tensor]) -> torch.Tensor:
        r""":math:`\hat y_0 + \Phi_0\delta`."""
        return self.yhat0 + self.jvp(delta)


def train_linearised(model: nn.Module, X: Any, y: Any, penalty: Any, *, lr: float,
                     steps: int, record_steps: Sequence[int] | None = None,
                     spectrum: Spectrum | None = None, centre_output: bool = False,
                     decay_to: str = "init") -> Trajectory:
    r"""Train the linearised network :math:`\hat y_0 + \Phi_0(\theta - \theta_0)` (Eq. 3).

    Full-batch gradient descent on the same objective as :func:`train_network`; the
    update is :math:`\delta \leftarrow \delta - \eta(\Phi_0^T \partial_{\hat y}\ell +
    \partial_\delta R)` with :math:`\delta = \theta - \theta_0`. With
    ``centre_output=True`` and ``decay_to="init"`` this is gradient descent on the
    numeric core's linear model :math:`\hat y = \Phi_0\delta` (Eq. 3, 5, 17).

    Arguments and Raises: as :func:`train_network`.

    Returns:
        A :class:`Trajectory` (``theta`` is the final :math:`\delta`).

    Paper: Eq. 3, Eq. 5, Eq. 17.
    """
    setup = _common(model, X, y, penalty, lr, steps, record_steps, decay_to)
    Xt, n, yv, pen = setup.X, setup.n, setup.y, setup.penalty
    lr, steps, rec, decay_to = setup.lr, setup.steps, setup.record, setup.decay_to
    spec = _spectrum_for(model, Xt, yv, spectrum)
    lin = LinearisedNetwork(model, Xt)
    delta = [torch.zeros_like(p) for p in lin.theta0]
    anchor_off = [torch.zeros_like(p) if decay_to == "init" else p.clone()
                  for p in lin.theta0]  # theta - anchor = delta + anchor_off
    yt = torch.as_tensor(yv, dtype=Xt.dtype, device=Xt.device)
    base = torch.zeros_like(lin.yhat0) if centre_output else lin.yhat0
    rec_set = set(rec.tolist())
    out_y, out_loss = [], []
    for t in range(steps + 1):
        with torch.no_grad():
            yhat_val = base + lin.jvp(delta)
        _finite("the outputs", yhat_val, t)
        yhat = yhat_val.clone().requires_grad_(True)
        offs = [(d + a).requires_grad_(True) for d, a in zip(delta, anchor_off)]
        obj = _objective(pen, yhat, yt, yv, offs)
        if t in rec_set:
            out_y.append(yhat_val.cpu().double().numpy().copy())
            out_loss.append(float(obj.detach()))
        if t == steps:
            break
        if isinstance(pen, Ridge):
            g_out, *g_theta = torch.autograd.grad(obj, [yhat, *offs])
        else:
            (g_out,) = torch.autograd.grad(obj, [yhat])
            g_theta = [None] * len(delta)  # type: ignore[list-item]
        back = lin.vjp(g_out)
        with torch.no_grad():
            delta = [d - lr * (b if g is None else b + g)
                     for d, b, g in zip(delta, back, g_theta)]
    Y = np.array(out_y)
    y0 = np.zeros(n) if centre_output else lin.yhat0.cpu().double().numpy()
    z = (yv[None, :] * (Y - y0[None, :])) @ spec.U
    theta = np.concatenate([d.cpu().double().reshape(-1).numpy() for d in delta])
    return Trajectory(rec, z, Y, np.array(out_loss), theta)


# --------------------------------------------------------------------------- width study
@dataclass(frozen=True, eq=False)
class WidthStudy:
    r"""How the full network's :math:`z(t)` approaches its linearisation as width grows.

    Attributes:
        widths: ``(w,)`` hidden widths.
        gaps: ``(seeds, w)`` relative gaps
            :math:`\max_t\|z_{net}(t) - z_{lin}(t)\| / \max_t\|z_{lin}(t)\|`.
        exponent: least-squares slope of :math:`\log(\text{mean gap})` against
            :math:`\log(\text{width})` (NTK theory: about :math:`-1/2`).
        intercept: the fit's intercept (natural logs).
        settings: the run's settings (JSON-able).

    Paper: Eq. 3 (the linear regime the theory assumes).
    """

    widths: np.ndarray
    gaps: np.ndarray
    exponent: float
    intercept: float
    settings: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"widths": self.widths.tolist(), "gaps": self.gaps.tolist(),
                "mean_gaps": self.gaps.mean(axis=0).tolist(), "exponent": self.exponent,
                "intercept": self.intercept, "settings": self.settings}


def z_gap(full: Trajectory, lin: Trajectory) -> float:
    r"""Relative gap :math:`\max_t\|z_{net}(t) - z_{lin}(t)\| / \max_t\|z_{lin}(t)\|`.

    Raises:
        ValueError: trajectories recorded at different steps, or a linearised trajectory
            with :math:`z \equiv 0`.

    Paper: Eq. 3, Eq. 4 (how far the full network strays from the linear regime).
    """
    if not np.array_equal(full.steps, lin.steps) or full.z.shape != lin.z.shape:
        raise check.fail("full", full.steps, "must be recorded at the same steps as lin")
    scale = float(np.max(np.linalg.norm(lin.z, axis=1)))
    if not scale > 0:
        raise check.fail("lin", scale, "has z = 0 at every recorded step")
    return float(np.max(np.linalg.norm(full.z - lin.z, axis=1)) / scale)


def width_study(X: Any, y: Any, widths: Sequence[int], *, penalty: Any, lr: float,
                steps: int, seeds: Sequence[int] = (0, 1, 2), depth: int = 1,
                activation: str = "relu", bias: bool = True,
                record_steps: Sequence[int] | None = None,
                centre_output: bool = True, progress: bool = False) -> WidthStudy:
    r"""Gap between full and linearised training of :class:`~gstheory.ntk.NTKMLP` over
    widths.

    For each width and seed: build the network, take ``U`` from its NTK at
    initialisation, train it and its linearisation with the same ``lr``, ``steps`` and
    penalty, and record :func:`z_gap`. Then fit :math:`\log \bar g = a + b\log w` over the
    widths; ``b`` is the measured exponent.

    Arguments:
        X: ``(n, d)`` inputs; y: labels in ``{-1, +1}``.
        widths: at least two distinct hidden widths (four or more for a meaningful fit).
        penalty, lr, steps, record_steps, centre_output: as in :func:`train_network`.
        seeds: initialisation seeds (gaps are averaged over them).
        depth: number of hidden layers; activation: ``relu``, ``tanh`` or ``erf``.
        bias: biases in every layer (needed for a non-singular NTK on low-dimensional
            inputs such as two moons: without them a ReLU net is positively homogeneous).
        progress: show a tqdm progress bar.

    Returns:
        A :class:`WidthStudy`.

    Raises:
        ValueError: fewer than two distinct widths, bad sizes, and everything
            :func:`train_network` raises.

    Paper: Eq. 1, Eq. 3.
    """
    Xa = check.finite_array("X", X, ndim=2)
    yv = check.labels("y", y, n=Xa.shape[0])
    ws = [check.integer("widths", w, minimum=1) for w in widths]
    if len(set(ws)) < 2:
        raise check.fail("widths", ws, "needs at least two distinct widths for a slope")
    sd = [check.integer("seeds", s, minimum=0) for s in seeds]
    if not sd:
        raise check.fail("seeds", list(seeds), "must name at least one seed")
    depth = check.integer("depth", depth, minimum=1)
    pen = as_penalty(penalty)
    gaps = np.zeros((len(sd), len(ws)))
    jobs = [(i, j) for i in range(len(sd)) for j in range(len(ws))]
    if progress:
        from tqdm import tqdm
        jobs = tqdm(jobs, desc="width study")
    for i, j in jobs:
        net = NTKMLP(Xa.shape[1], [ws[j]] * depth, activation, bias=bool(bias),
                     seed=sd[i])
        spec = network_spectrum(net, Xa, yv)
        kw: dict[str, Any] = {"lr": lr, "steps": steps, "record_steps": record_steps,
              "spectrum": spec,
              "centre_output": centre_output}
        lin = train_linearised(net, Xa, yv, pen, **kw)
        _, full = train_network(net, Xa, yv, pen, **kw)
        gaps[i, j] = z_gap(full, lin)
    lw, lg = np.log(np.array(ws, dtype=float)), np.log(gaps.mean(axis=0))
    slope, icpt = np.polyfit(lw, lg, 1)
    settings = {"n": int(Xa.shape[0]), "depth": depth, "activation": activation,
                "bias": bool(bias),
                "penalty": pen.to_dict(), "lr": float(lr), "steps": int(steps),
                "seeds": sd, "centre_output": bool(centre_output)}
    return WidthStudy(np.array(ws), gaps, float(slope), float(icpt), settings)


__all__ = ["LinearisedNetwork", "Trajectory", "WidthStudy", "train_linearised", "train_network",
           "width_study", "z_gap"]
