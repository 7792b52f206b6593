r"""Full-batch training of many independent copies of a network at once.

The copies (seeds, or seeds x hyper-parameter variants) live in one
:class:`~gstheory.empirical.models.BatchedMLP`; the loss is the *sum* of the copies' losses, so
each copy's gradient is exactly the gradient of its own loss. The optimisers below are
SGD with momentum and Adam written over the stacked tensors with **per-copy**
hyper-parameters (learning rate, weight decay), so copies with different settings share
one forward/backward pass. With equal settings they reproduce ``torch.optim.SGD`` /
``torch.optim.Adam`` step for step (both are elementwise), which the tests check.

Why not ``torch.func.vmap``: on a 2-core CPU, autograd over all stacked copies at once
(what ``vmap(functional_call)`` also computes) was *slower* than the ordinary per-seed
loop for the 2-500-1 net (41.8 s vs 31.2 s for the Figure_1 workload), because the
``(S, n, H)`` activations of 20 copies leave the cache. For one-hidden-layer ReLU nets
(the two-moons experiments) the gradients have a closed form, used two ways
(``gradients="auto"`` picks the first that applies):

* ``"kernel"``: :class:`gstheory.empirical.kernels.TwoLayerKernel`, a compiled (numba) CPU kernel
  for 2-D inputs that never materialises the activations;
* ``"closed-form"``: :func:`two_layer_grads` in torch, one pass over the activations, in
  cache-sized blocks of copies on a CPU and all copies at once on CUDA (any input
  dimension, dropout included);
* ``"autograd"``: any architecture (BatchNorm, deeper nets).

The optimiser steps stay batched over all copies. ``benchmarks/bench_two_moons.py``
measures the whole against the per-seed loop.

Paper: the training protocol of Fig. 1 (full batch, mean softplus(-y yhat), SGD with
momentum) and of the SD penalty (Eq. 17: ``lambda * mean(yhat^2)`` added to the loss).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from gstheory import validation as check

from .harness import progress as _progress

#: the optimisers :func:`train_full_batch` knows.
OPTIMIZERS = ("sgd", "adam")
#: the data losses :func:`train_full_batch` knows.
LOSSES = ("softplus", "bce")
#: how :func:`train_full_batch` computes gradients (see the module docstring).
GRADIENTS = ("auto", "kernel", "closed-form", "autograd")


def per_copy(name: str, value: float | Sequence[float], copies: int, *,
             minimum: float = 0.0, device=None, dtype=torch.float32) -> torch.Tensor:
    """A hyper-parameter as a ``(copies, 1, 1)`` tensor (scalar broadcast or one per copy).

    Raises:
        ValueError: wrong length, non-finite or below ``minimum``.
    """
    arr = check.finite_array(name, value)
    if arr.ndim == 0:
        arr = np.full(copies, float(arr))
    if arr.shape != (copies,):
        raise check.fail(name, value, f"must be a scalar or have {copies} entries")
    if (arr < minimum).any():
        raise check.fail(name, value, f"every entry must be >= {minimum:g}")
    return torch.as_tensor(arr, dtype=dtype, device=device).view(copies, 1, 1)


class StackedSGD:
    r"""SGD with momentum over stacked ``(S, ...)`` parameters, per-copy lr and decay.

    ``g = grad + wd * p``; ``buf = momentum * buf + g`` (``buf = g`` at the first step);
    ``p -= lr * buf``: the update of ``torch.optim.SGD`` (dampening 0, no Nesterov).
    """

    def __init__(self, params: Sequence[torch.Tensor], lr, momentum: float = 0.0,
                 weight_decay=0.0) -> None:
        self.params = list(params)
        S = self.params[0].shape[0]
        dev, dt = self.params[0].device, self.params[0].dtype
        self.lr = per_copy("lr", lr, S, device=dev, dtype=dt)
        self.wd = per_copy("weight_decay", weight_decay, S, device=dev, dtype=dt)
        self.momentum = check.finite_scalar("momentum", momentum)
        if not 0.0 <= self.momentum < 1.0:
            raise check.fail("momentum", momentum, "must lie in [0, 1)")
        self.bufs: list[torch.Tensor | None] = [None] * len(self.params)
        self.use_wd = bool((self.wd != 0).any())

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor]) -> None:
        """Apply one update with the given gradients (one per parameter)."""
        for i, (p, g) in enumerate(zip(self.params, grads)):
            shape = (-1,) + (1,) * (p.dim() - 1)
            if self.use_wd:
                g = g.addcmul(self.wd.view(shape), p)
            if self.momentum:
                if self.bufs[i] is None:
                    self.bufs[i] = g.clone()
                else:
                    self.bufs[i].mul_(self.momentum).add_(g)
                g = self.bufs[i]
            p.addcmul_(self.lr.view(shape), g, value=-1.0)


class StackedAdam:
    r"""Adam over stacked parameters, per-copy lr and (L2, not decoupled) weight decay.

    ``torch.optim.Adam``'s update: ``m = b1 m + (1-b1) g``, ``v = b2 v + (1-b2) g^2``,
    ``p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``.
    """

    def __init__(self, params: Sequence[torch.Tensor], lr, betas=(0.9, 0.999),
                 eps: float = 1e-8, weight_decay=0.0) -> None:
        self.params = list(params)
        S = self.params[0].shape[0]
        dev, dt = self.params[0].device, self.params[0].dtype
        self.lr = per_copy("lr", lr, S, device=dev, dtype=dt)
        self.wd = per_copy("weight_decay", weight_decay, S, device=dev, dtype=dt)
        self.b1 = check.open_interval("betas[0]", betas[0], -1e-12, 1.0)
        self.b2 = check.open_interval("betas[1]", betas[1], -1e-12, 1.0)
        self.eps = check.positive("eps", eps)
        self.t = 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor]) -> None:
        """Apply one update with the given gradients (one per parameter)."""
        self.t += 1
        c1 = 1.0 - self.b1 ** self.t
        c2 = 1.0 - self.b2 ** self.t
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            shape = (-1,) + (1,) * (p.dim() - 1)
            g = g + self.wd.view(shape) * p
            m.mul_(self.b1).add_(g, alpha=1 - self.b1)
            v.mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
            denom = (v.sqrt() / c2 ** 0.5).add_(self.eps)
            p.sub_((self.lr.view(shape) / c1) * m / denom)


def make_optimizer(name: str, params: Sequence[torch.Tensor], *, lr, momentum: float = 0.0,
                   weight_decay=0.0):
    """``"sgd"`` -> :class:`StackedSGD`, ``"adam"`` -> :class:`StackedAdam`."""
    check.choice("optimizer", name, OPTIMIZERS)
    if name == "sgd":
        return StackedSGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    return StackedAdam(params, lr=lr, weight_decay=weight_decay)


def data_loss(logits: torch.Tensor, y: torch.Tensor, loss: str = "softplus") -> torch.Tensor:
    r"""Per-copy mean data loss, shape ``(S,)``.

    ``softplus``: ``mean softplus(-y * logits)`` with ``y`` in {-1, +1} (Eq. 5's data term,
    averaged); ``bce``: binary cross-entropy with logits, ``y`` in {0, 1}.
    """
    if loss == "softplus":
        return F.softplus(-y * logits).mean(dim=-1)
    if loss == "bce":
        return F.binary_cross_entropy_with_logits(logits, y, reduction="none").mean(dim=-1)
    raise check.fail("loss", loss, f"must be one of {', '.join(LOSSES)}")


@dataclass
class TrainLog:
    """What :func:`train_full_batch` returns: per-copy losses at the logged steps."""

    steps: list[int]
    loss: list[list[float]]     # [logged step][copy], total objective
    final_loss: list[float]


def train_full_batch(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, *,
                     steps: int, optimizer: str = "sgd", lr=1e-2, momentum: float = 0.0,
                     weight_decay=0.0, sd=0.0, loss: str = "softplus",
                     callback: Callable[[int, torch.Tensor], None] | None = None,
                     log_every: int = 0, desc: str = "train", gradients: str = "auto",
                     block_bytes: int = 1 << 20) -> TrainLog:
    r"""Train every copy of a stacked model by full-batch gradient steps.

    Objective of copy ``k``: ``data_loss_k + sd_k * mean(yhat_k^2)`` (SD, Eq. 17, as the
    authors implement it) plus weight decay ``weight_decay_k`` inside the optimiser.

    Arguments:
        model: a :class:`~gstheory.empirical.models.BatchedMLP` (or any module mapping ``X`` to
            ``(S, n)`` logits whose parameters all have a leading copy axis).
        X: inputs ``(S, n, d)`` or shared ``(n, d)``.
        y: labels ``(S, n)`` or shared ``(n,)`` ({-1,+1} for softplus, {0,1} for bce).
        steps: number of full-batch updates (>= 0).
        optimizer: ``sgd`` (with ``momentum``) or ``adam``.
        lr, weight_decay, sd: scalars or one value per copy.
        callback: called as ``callback(step, logits)`` with the pre-step logits (detached)
            before every update, e.g. to record feature responses.
        log_every: record the per-copy objective every this many steps (0: never).
        desc: label of the progress bar.
        gradients: ``auto`` (the fastest that applies), ``kernel`` (compiled CPU kernel:
            one-hidden-layer ReLU :class:`~gstheory.empirical.models.BatchedMLP` on 2-D inputs,
            softplus loss, no BatchNorm or dropout), ``closed-form``
            (:func:`two_layer_grads`: one-hidden-layer ReLU net, softplus loss, no
            BatchNorm) or ``autograd`` (anything). All give the same numbers up to
            summation order.
        block_bytes: ``closed-form`` evaluates the copies in blocks whose hidden
            activations fit in this many bytes (cache-sized blocks are faster on a CPU
            than one huge batched product; on CUDA all copies go at once).

    Returns:
        a :class:`TrainLog`.

    Raises:
        ValueError: bad step count, optimiser, loss, hyper-parameter, or a ``gradients``
            choice that does not apply to this model.
    """
    steps = check.integer("steps", steps, minimum=0)
    check.choice("loss", loss, LOSSES)
    check.choice("gradients", gradients, GRADIENTS)
    params = [p for p in model.parameters() if p.requires_grad]
    S = params[0].shape[0]
    opt = make_optimizer(optimizer, params, lr=lr, momentum=momentum,
                         weight_decay=weight_decay)
    sd_t = per_copy("sd", sd, S, device=params[0].device, dtype=params[0].dtype).view(S)
    use_sd = bool((sd_t != 0).any())
    if y.dim() == 1:
        y = y.unsqueeze(0).expand(S, -1)
    if X.dim() == 2:
        X = X.unsqueeze(0).expand(S, -1, -1)
    model.train()
    log = TrainLog(steps=[], loss=[], final_loss=[])
    last = None
    mode = _gradient_mode(gradients, model, X, loss)
    if mode == "kernel":
        from .kernels import TwoLayerKernel
        kernel = TwoLayerKernel(X, y, sd_t)
    if mode != "autograd":
        # the closed forms return (dW1, db1, dW2, db2); map them onto the parameter order
        order = {id(model.weights[0]): 0, id(model.biases[0]): 1,
                 id(model.weights[1]): 2, id(model.biases[1]): 3}
        slots = [order[id(p)] for p in params]
    if mode == "closed-form":
        # bias as an extra input column: pre-activations = [X, 1] @ [W1; b1]
        Xt = torch.cat([X, torch.ones_like(X[..., :1])], dim=-1)
    last_step = steps - 1
    for t in _progress(range(steps), desc=desc):
        want_obj = t == last_step or (log_every and t % log_every == 0)
        if mode != "autograd":
            if mode == "kernel":
                out, g4 = kernel(model.weights[0], model.biases[0], model.weights[1],
                                 model.biases[1])
            else:
                out, g4 = _two_layer_step(model, Xt, y, sd_t, block_bytes)
            grads = [g4[k] for k in slots]
            obj = _objective(out, y, sd_t) if want_obj else None
        else:
            out = model(X)
            obj = data_loss(out, y, loss)
            if use_sd:
                obj = obj + sd_t * (out * out).mean(dim=-1)
            grads = torch.autograd.grad(obj.sum(), params)
            out = out.detach()
        if callback is not None:
            callback(t, out)
        opt.step(grads)
        if want_obj:
            last = obj.detach()
            if log_every and t % log_every == 0:
                log.steps.append(t)
                log.loss.append(last.tolist())
    if last is not None:
        log.final_loss = last.tolist()
        bad = [k for k, v in enumerate(log.final_loss) if not math.isfinite(v)]
        if bad:
            from .harness import diverged
            lrs = lr if isinstance(lr, (int, float)) else [lr[k] for k in bad] \
                if isinstance(lr, (list, tuple)) else lr
            raise diverged(f"{desc} (copies {bad})", log.final_loss[bad[0]], steps - 1, lrs)
    return log


def _gradient_mode(gradients: str, model: torch.nn.Module, X: torch.Tensor,
                   loss: str) -> str:
    """Resolve ``gradients`` (one of :data:`GRADIENTS`) for this model and data."""
    from . import kernels
    from .models import BatchedMLP
    closed = (isinstance(model, BatchedMLP) and len(model.widths) == 3
              and model.widths[-1] == 1 and not model.batchnorm and loss == "softplus")
    kernel = closed and kernels.supports(X, model.widths, dropout=model.dropout)
    if gradients == "auto":
        return "kernel" if kernel else "closed-form" if closed else "autograd"
    if gradients == "kernel" and not kernels.AVAILABLE:
        raise check.fail("gradients", gradients, "needs numba (pip install "
                         "'gstheory[empirical]'); use auto or closed-form")
    if (gradients == "kernel" and not kernel) or (gradients == "closed-form" and not closed):
        raise check.fail("gradients", gradients, "does not apply to this model, loss or "
                         "data (see train_full_batch)")
    return gradients


def _objective(out: torch.Tensor, y: torch.Tensor, sd: torch.Tensor) -> torch.Tensor:
    """Per-copy ``mean softplus(-y yhat) + sd * mean(yhat^2)``."""
    return F.softplus(-y * out).mean(dim=1) + sd * (out * out).mean(dim=1)


def _block_grads(Xt, y, Wb, W2, b2, sd, mask):
    """Hot loop of :func:`two_layer_grads` on ``Xt = [X, 1]`` and ``Wb = [W1; b1]``."""
    n = Xt.shape[1]
    h = torch.bmm(Xt, Wb).clamp_min_(0)
    if mask is not None:
        h.mul_(mask)
    out = torch.baddbmm(b2, h, W2).squeeze(-1)
    g = torch.sigmoid(-y * out).mul_(-y)
    if sd is not None:
        g.add_(out * (2.0 * sd)[:, None])
    g.div_(n)
    D = h.sign_() if mask is None else h.sign_().mul_(mask)   # h is consumed
    M = torch.bmm((Xt * g[..., None]).transpose(1, 2), D)    # (S, d+1, H)
    dWb = M * W2.transpose(1, 2)
    dW2 = (Wb * M).sum(dim=1).unsqueeze(-1)
    db2 = g.sum(dim=1).view(-1, 1, 1)
    return out, dWb, dW2, db2


@torch.no_grad()
def two_layer_grads(X: torch.Tensor, y: torch.Tensor, W1: torch.Tensor, b1: torch.Tensor,
                    W2: torch.Tensor, b2: torch.Tensor, sd: torch.Tensor,
                    mask: torch.Tensor | None = None):
    r"""Logits, objective and exact gradients of stacked 1-hidden-layer ReLU nets.

    For copy ``k`` with ``h = relu(X W1 + b1)``, ``yhat = h W2 + b2`` and objective
    ``mean softplus(-y yhat) + sd * mean(yhat^2)``: with ``g = d obj / d yhat``
    (``(-y sigmoid(-y yhat) + 2 sd yhat) / n``) and ``D = 1[h > 0]``,
    ``dW1 = X^T (D * g w2^T)``, ``db1 = 1^T (D * g w2^T)``, ``dW2 = h^T g`` and
    ``db2 = 1^T g``. Writing ``Xt = [X, 1]`` and ``Wb = [W1; b1]`` (the bias as an extra
    input), ``h = D * (Xt Wb)``, so all three hidden-layer gradients come from one product
    ``M = (Xt * g)^T D`` of shape ``(S, d + 1, H)``: ``[dW1; db1] = M * w2`` and
    ``dW2 = sum_r Wb_r * M_r``. One pass over the ``(n, H)`` activations instead of
    autograd's several. Dropout on the pre-activations (``h = relu(pre) * m`` with
    ``m = bernoulli / keep >= 0``) only replaces ``D`` by ``D * m``; the identity for
    ``dW2`` still holds.

    Arguments:
        X: ``(S, n, d)``; y: ``(S, n)`` in {-1, +1}; W1: ``(S, d, H)``; b1: ``(S, 1, H)``;
        W2: ``(S, H, 1)``; b2: ``(S, 1, 1)``; sd: ``(S,)`` SD coefficients;
        mask: optional ``(S, n, H)`` dropout multipliers.

    Returns:
        ``(logits (S, n), objective (S,), (dW1, db1, dW2, db2))``.
    """
    d = X.shape[2]
    Xt = torch.cat([X, torch.ones_like(X[..., :1])], dim=-1)
    Wb = torch.cat([W1, b1], dim=1)
    out, dWb, dW2, db2 = _block_grads(Xt, y, Wb, W2, b2, sd, mask)
    return out, _objective(out, y, sd), (dWb[:, :d], dWb[:, d:], dW2, db2)


def _two_layer_step(model, Xt, y, sd, block_bytes):
    """Gradients ``(dW1, db1, dW2, db2)`` of every copy, in cache-sized blocks."""
    W1, W2 = (w.detach() for w in model.weights)
    b1, b2 = (b.detach() for b in model.biases)
    S, n, d1 = Xt.shape
    H = W1.shape[2]
    Wb = torch.cat([W1, b1], dim=1)
    sdv = sd if bool((sd != 0).any()) else None
    per = n * H * W1.element_size()
    block = S if Xt.is_cuda else max(1, int(block_bytes // max(per, 1)))
    mask = None
    if model.dropout > 0:
        mask = model._dropout_mask(torch.empty(S, n, H, dtype=W1.dtype, device=Xt.device))
    if block >= S:
        out, dWb, dW2, db2 = _block_grads(Xt, y, Wb, W2, b2, sdv, mask)
    else:
        parts = [_block_grads(Xt[i:i + block], y[i:i + block], Wb[i:i + block],
                              W2[i:i + block], b2[i:i + block],
                              None if sdv is None else sdv[i:i + block],
                              None if mask is None else mask[i:i + block])
                 for i in range(0, S, block)]
        out, dWb, dW2, db2 = (torch.cat(x) for x in zip(*parts))
    return out, (dWb[:, :d1 - 1], dWb[:, d1 - 1:], dW2, db2)


@torch.no_grad()
def evaluate(model: torch.nn.Module, X: torch.Tensor, chunk: int | None = None) -> torch.Tensor:
    """Eval-mode logits ``(S, n)`` of a stacked model on shared or per-copy inputs.

    A one-hidden-layer ReLU :class:`~gstheory.empirical.models.BatchedMLP` on 2-D CPU inputs goes
    through :func:`gstheory.empirical.kernels.logits` (the activations are never stored). Otherwise
    ``chunk`` points are evaluated at a time (default: as many as keep the hidden
    activations of all copies near 16 MB).
    """
    from . import kernels
    from .models import BatchedMLP
    if isinstance(model, BatchedMLP) and not model.batchnorm and X.dim() in (2, 3):
        Xs = X.unsqueeze(0).expand(model.copies, -1, -1) if X.dim() == 2 else X
        if kernels.supports(Xs, model.widths) and Xs.dtype == model.weights[0].dtype:
            return kernels.logits(Xs, model.weights[0], model.biases[0], model.weights[1],
                                  model.biases[1])
    if chunk is None:
        widths = getattr(model, "widths", (1024,))
        copies = getattr(model, "copies", 1)
        chunk = max(64, (1 << 22) // (copies * max(widths)))
    was = model.training
    model.eval()
    try:
        n = X.shape[-2]
        parts = [model(X[..., i:i + chunk, :]) for i in range(0, n, chunk)]
    finally:
        model.train(was)
    return torch.cat(parts, dim=1)
