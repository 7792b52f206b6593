r"""L-infinity PGD and each point's minimal flipping perturbation found by bisection.

The authors' Fig. 2 code runs foolbox-2's L-infinity PGD (no random start, 40
iterations) with a binary search over the radius, and records ``||x_adv - x||_inf`` of
the smallest successful attack. This module does the same with plain torch, batched over
points, each point with its own radius:

* :func:`pgd_linf`: ``steps`` signed-gradient ascent steps on the per-example loss,
  projected onto the L-inf ball of radius ``eps_i`` around ``x_i`` and onto the input
  box; step size ``step_frac * eps_i`` (default ``2.5 / steps``, Madry et al.'s rule, so
  that the ball's corner is reachable from the centre with room to spare); no random
  start. The iterate that flips a point first is kept.
* :func:`minimal_perturbation`: bisection over ``eps`` in ``[0, eps_max]``: ``0`` for a
  point misclassified without attack, ``inf`` when PGD at ``eps_max`` does not flip it,
  else the L-inf norm of the best attack found at the smallest flipping radius
  (``bisections`` halvings: resolution ``eps_max / 2^bisections``).
* :func:`robust_accuracy`: the accuracy under PGD at one radius.

Binary models output one logit (label ``{0, 1}``, logit ``> 0`` means class 1);
multi-class models output ``(n, K)`` logits and integer labels.

Paper: Fig. 2 (margin CDF) and Table 1 (accuracy under PGD, eps = 0.05), Sec. 4.1.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from gstheory import validation as check
from gstheory.empirical.methods import per_example_nll

#: foolbox-2 PGD settings of the authors' Fig. 2 code.
PGD_STEPS = 40
EPS_MAX = 0.3
BISECTIONS = 12


def predict(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Predicted labels (binary: ``logit > 0``; multi-class: ``argmax``)."""
    out = model(x)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    return (out > 0).long() if out.ndim == 1 else out.argmax(1)


def _check_common(x: torch.Tensor, y: torch.Tensor, steps: int, bounds: tuple) -> tuple:
    if not isinstance(x, torch.Tensor) or x.ndim < 2:
        raise check.fail("x", getattr(x, "shape", x), "must be a tensor (n, ...)")
    if not isinstance(y, torch.Tensor) or y.shape[:1] != x.shape[:1]:
        raise check.fail("y", getattr(y, "shape", y), f"must be a tensor of {x.shape[0]} labels")
    steps = check.integer("steps", steps, minimum=1)
    lo, hi = (check.finite_scalar("bounds[0]", bounds[0]),
              check.finite_scalar("bounds[1]", bounds[1]))
    if not lo < hi:
        raise check.fail("bounds", bounds, "must be (low, high) with low < high")
    return steps, lo, hi


def _eps_vector(eps: Any, n: int, like: torch.Tensor) -> torch.Tensor:
    e = torch.as_tensor(eps, dtype=like.dtype, device=like.device)
    if e.ndim == 0:
        e = e.expand(n)
    if e.shape != (n,) or not bool(torch.isfinite(e).all()) or bool((e < 0).any()):
        raise check.fail("eps", eps, f"must be a finite scalar or {n} values, all >= 0")
    return e.reshape((n,) + (1,) * (like.ndim - 1))


def pgd_linf(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, eps: Any, *,
             steps: int = PGD_STEPS, step_frac: float | None = None,
             bounds: tuple[float, float] = (-1.0, 1.0)) -> torch.Tensor:
    r"""Untargeted L-inf PGD without random start; per-example radii.

    Arguments:
        model: maps ``x`` to logits; put it in ``eval()`` mode first.
        x: inputs ``(n, ...)`` inside ``bounds``; y: labels ``(n,)``.
        eps: radius, a scalar or one per point (``>= 0``).
        steps: ascent steps (40 in the authors' code).
        step_frac: step size as a fraction of ``eps`` (default ``2.5 / steps``).
        bounds: the valid input box (``[-1, 1]`` for the authors' normalisation).

    Returns:
        adversarial inputs, same shape as ``x``: for each point the first iterate that
        flips its prediction, else the last iterate.

    Raises:
        ValueError: bad shapes, steps, radii or bounds.

    Paper: Table 1, Fig. 2 (PGD of Madry et al., 2018).
    """
    steps, lo, hi = _check_common(x, y, steps, bounds)
    step_frac = 2.5 / steps if step_frac is None else check.positive("step_frac", step_frac)
    e = _eps_vector(eps, x.shape[0], x)
    x0 = x.detach()
    best = x0.clone()
    done = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
    adv = x0.clone()
    for _ in range(steps):
        adv.requires_grad_(True)
        loss = per_example_nll(model(adv), y).sum()
        (grad,) = torch.autograd.grad(loss, [adv])
        with torch.no_grad():
            adv = adv + step_frac * e * grad.sign()
            adv = torch.minimum(torch.maximum(adv, x0 - e), x0 + e).clamp(lo, hi)
            flipped = predict(model, adv) != y.long()
            new = flipped & ~done
            best[new] = adv[new]
            done |= flipped
        adv = adv.detach()
    with torch.no_grad():
        best[~done] = adv[~done]
    return best


def robust_accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float,
                    *, steps: int = PGD_STEPS, bounds: tuple[float, float] = (-1.0, 1.0),
                    batch: int = 1000) -> float:
    """Accuracy on PGD-perturbed inputs at radius ``eps`` (``eps = 0``: clean accuracy).

    Paper: Table 1 (eps = 0.05)."""
    eps = check.nonnegative("eps", eps)
    correct = 0
    for i in range(0, x.shape[0], batch):
        xb, yb = x[i:i + batch], y[i:i + batch]
        xa = pgd_linf(model, xb, yb, eps, steps=steps, bounds=bounds) if eps > 0 else xb
        with torch.no_grad():
            correct += int((predict(model, xa) == yb.long()).sum())
    return correct / x.shape[0]


def minimal_perturbation(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *,
                         eps_max: float = EPS_MAX, bisections: int = BISECTIONS,
                         steps: int = PGD_STEPS, bounds: tuple[float, float] = (-1.0, 1.0),
                         batch: int = 1000) -> np.ndarray:
    r"""Each point's smallest L-inf perturbation that flips the model (bisection on PGD).

    Arguments:
        model, x, y, steps, bounds: as :func:`pgd_linf`.
        eps_max: the largest radius tried (0.3 in the authors' code).
        bisections: halvings of the bracket ``[0, eps_max]``.
        batch: points attacked together.

    Returns:
        float64 ``(n,)``: ``0`` where the clean prediction is wrong, ``inf`` where PGD at
        ``eps_max`` does not flip the point, else ``||x_adv - x||_inf`` of the attack at
        the smallest flipping radius found (within ``eps_max / 2^bisections`` of the
        smallest radius at which this PGD flips it).

    Raises:
        ValueError: bad arguments.

    Paper: Fig. 2 (the margin CDF is the empirical CDF of these values).
    """
    eps_max = check.positive("eps_max", eps_max)
    bisections = check.integer("bisections", bisections, minimum=0)
    _check_common(x, y, steps, bounds)
    out = np.empty(x.shape[0])
    for i in range(0, x.shape[0], batch):
        xb, yb = x[i:i + batch].detach(), y[i:i + batch]
        n = xb.shape[0]
        with torch.no_grad():
            wrong = predict(model, xb) != yb.long()
        lo = torch.zeros(n, dtype=xb.dtype, device=xb.device)
        hi = torch.full((n,), eps_max, dtype=xb.dtype, device=xb.device)
        adv = pgd_linf(model, xb, yb, hi, steps=steps, bounds=bounds)
        with torch.no_grad():
            ok = (predict(model, adv) != yb.long()) & ~wrong
            norm = (adv - xb).reshape(n, -1).abs().amax(1)
        active = ok.clone()
        for _ in range(bisections):
            if not bool(active.any()):
                break
            idx = torch.nonzero(active).reshape(-1)
            mid = (lo[idx] + hi[idx]) / 2
            a = pgd_linf(model, xb[idx], yb[idx], mid, steps=steps, bounds=bounds)
            with torch.no_grad():
                flip = predict(model, a) != yb[idx].long()
                nrm = (a - xb[idx]).reshape(len(idx), -1).abs().amax(1)
            hi[idx] = torch.where(flip, mid, hi[idx])
            lo[idx] = torch.where(flip, lo[idx], mid)
            norm[idx] = torch.where(flip, nrm, norm[idx])
        res = torch.where(wrong, torch.zeros_like(norm),
                          torch.where(ok, norm, torch.full_like(norm, math.inf)))
        out[i:i + n] = res.detach().cpu().double().numpy()
    return out


def margin_cdf(margins: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Fraction of points flipped by a perturbation of L-inf norm ``<= grid[k]``
    (the paper's Fig. 2 curve; ``inf`` margins are never counted)."""
    m = np.asarray(margins, dtype=float).reshape(-1)
    if m.size == 0 or np.isnan(m).any():
        raise check.fail("margins", margins, "must be a non-empty array without NaN")
    g = check.finite_array("grid", grid, ndim=1)
    return (m[None, :] <= g[:, None]).mean(axis=1)
